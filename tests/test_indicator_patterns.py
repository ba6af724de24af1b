"""Target patterns of children's and women's plans: one sentence per pattern, written for these tests."""

import pytest

from kb import indicators as ki
from kb.model import Clause


def _targets(text):
    clause = Clause(id="t-1-g1", doc="t", kind="goal", domain="测试", number=1, text=text, departments=["卫健局"],
                    departments_raw="卫健局", citation="测试 第1条")
    found = ki.clause_indicators(clause)
    return [(i.name, i.comparator, i.value, i.unit, i.direction, i.target_label) for i in found if i.numeric]


@pytest.mark.parametrize("text, expected", [
    # 分别: N names sharing the last one's head, N values, one verb and one qualifier
    ("新生儿、婴儿和5岁以下儿童死亡率分别控制在2.8‰、4.5‰和5.6‰以内。", [
        ("新生儿死亡率", "<=", 2.8, "‰", "down", "≤2.8‰"),
        ("婴儿死亡率", "<=", 4.5, "‰", "down", "≤4.5‰"),
        ("5岁以下儿童死亡率", "<=", 5.6, "‰", "down", "≤5.6‰"),
    ]),
    # 分别: every name has its head, the later ones take the first one's modifier
    ("7岁以下儿童贫血率和生长迟缓率分别降至8%和4%以下。", [
        ("7岁以下儿童贫血率", "<=", 8, "%", "down", "≤8%"),
        ("7岁以下儿童生长迟缓率", "<=", 4, "%", "down", "≤4%"),
    ]),
    ("小学生、初中生和高中生近视率分别下降到36%、58%和68%以下。", [
        ("小学生近视率", "<=", 36, "%", "down", "≤36%"),
        ("初中生近视率", "<=", 58, "%", "down", "≤58%"),
        ("高中生近视率", "<=", 68, "%", "down", "≤68%"),
    ]),
    # a yearly change, with and without a base year and a range
    ("中小学生视力不良率每年降低1个百分点以上。", [
        ("中小学生视力不良率年降幅", ">=", 1, "个百分点", "up", "≥1个百分点"),
    ]),
    ("力争实现青少年肥胖率在2022年基础上每年下降0.3到0.6个百分点。", [
        ("青少年肥胖率年降幅", ">=", 0.3, "个百分点", "up", "0.3—0.6个百分点"),
    ]),
    # a change against a base year
    ("儿童溺水死亡率以2021年为基数下降15%。", [("儿童溺水死亡率较2021年降幅", ">=", 15, "%", "up", "≥15%")]),
    # coverage: the share of a group that does something
    ("85%以上的村（社区）建成儿童之家。", [("村（社区）建成儿童之家的比例", ">=", 85, "%", "up", "≥85%")]),
    ("80%的城市学校和60%的农村学校开设家长课堂。", [
        ("城市学校开设家长课堂的比例", "=", 80, "%", "up", "=80%"),
        ("农村学校开设家长课堂的比例", "=", 60, "%", "up", "=60%"),
    ]),
    # a range as the target
    ("适龄儿童免疫规划疫苗接种率保持在95%—98%。", [("适龄儿童免疫规划疫苗接种率", ">=", 95, "%", None, "95—98%")]),
    # 不低于, 以内, 力争, 以上
    ("学前教育毛入园率不低于92%。", [("学前教育毛入园率", ">=", 92, "%", "up", "≥92%")]),
    ("12岁儿童龋患率控制在28%以内。", [("12岁儿童龋患率", "<=", 28, "%", "down", "≤28%")]),
    ("力争孕产妇死亡率降至10/10万以下。", [("孕产妇死亡率", "<=", 10, "/10万", "down", "≤10/10万")]),
    ("残疾儿童康复服务覆盖率达到90%以上。", [("残疾儿童康复服务覆盖率", ">=", 90, "%", "up", "≥90%")]),
])
def test_target_patterns(text, expected):
    assert _targets(text) == expected


@pytest.mark.parametrize("text", [
    "35岁—45岁妇女宫颈癌筛查覆盖全部乡镇。",  # ages, not a range target
    "以2020年为基础建立儿童健康档案。",  # a base year without a change
    "每年开展2次儿童安全教育活动。",  # a yearly count of work, no rate
])
def test_not_targets(text):
    assert _targets(text) == []


def test_a_respectively_sentence_whose_names_cannot_be_paired_keeps_the_subject_and_the_place():
    assert _targets("城镇、农村和流动儿童的入学率分别达到98%和95%。") == [
        ("城镇、农村和流动儿童的入学率（第1项）", "=", 98, "%", "up", "=98%"),
        ("城镇、农村和流动儿童的入学率（第2项）", "=", 95, "%", "up", "=95%"),
    ]
