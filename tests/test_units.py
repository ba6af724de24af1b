"""Units: the built-in dictionary, a corpus registry on top, jurisdictions and groups at every level."""

import shutil

import pytest

from kb.departments import Registry, builtin_counts
from kb.errors import UnknownDepartment
from kb.store import build, open_kb
from tests.helpers import CORPUS, SEED

FIXTURES = CORPUS.parent / "tests" / "fixtures"
PROVINCE = FIXTURES / "province-children-plan.txt"


@pytest.fixture(scope="module")
def builtin():
    return Registry.load(None)


@pytest.mark.parametrize(
    "level, written, unit",
    [
        ("县", "卫健局", "卫健局"),
        ("县", "县卫健局", "卫健局"),
        ("县", "卫生健康局", "卫健局"),
        ("县", "镇原县卫健局", "卫健局"),
        ("县", "人力资源和社会保障局", "人社局"),
        ("县", "市卫健委", "市卫健委"),
        ("县", "市卫生健康委员会", "市卫健委"),
        ("县", "市统计局", "市统计局"),
        ("县", "省妇联", "省妇联"),
        ("县", "省总工会", "省总工会"),
        ("县", "市妇联", "市妇联"),
        ("县", "市场监督管理局", "市场监管局"),
        ("县", "组织部", "县委组织部"),
        ("县", "市委宣传部", "市委宣传部"),
        ("县", "团县委", "团县委"),
        ("县", "市生态环境局镇原分局", "市生态环境局镇原县分局"),
        ("省", "妇联", "省妇联"),
        ("省", "省妇联", "省妇联"),
        ("省", "团省委", "团省委"),
        ("省", "省发展改革委", "省发改委"),
        ("市", "卫健委", "市卫健委"),
        ("市", "市卫健委", "市卫健委"),
        ("市", "市场监管局", "市市场监管局"),
    ],
)
def test_units_by_jurisdiction_without_a_registry(builtin, level, written, unit):
    issuer = {"县": "镇原县", "市": "庆阳市", "省": "甘肃省"}[level]
    assert builtin.for_issuer(issuer, level).resolve(written) == unit


@pytest.mark.parametrize("written", ["县防疫站", "某某协调办", "省人口计生", "加强宣传"])
def test_unknown_names_are_not_units_of_the_dictionary(builtin, written):
    assert builtin.for_issuer("镇原县", "县").resolve(written) is None


def test_suffix_rules_recognise_units_nobody_listed(builtin):
    assert builtin.looks_like_unit("县防疫站") and builtin.looks_like_unit("某某协调办")
    assert not builtin.looks_like_unit("省人口计生") and not builtin.looks_like_unit("加强宣传，落实责任")


@pytest.mark.parametrize(
    "level, written, group",
    [("县", "妇儿工委各成员单位", "妇儿工委各成员单位"), ("县", "县妇儿工委各成员单位", "妇儿工委各成员单位"), ("县", "市妇儿工委各成员单位", "市妇儿工委各成员单位"), ("省", "省妇儿工委各成员单位", "省妇儿工委各成员单位"), ("市", "妇儿工委各成员单位", "市妇儿工委各成员单位")],
)
def test_groups_at_every_level(builtin, level, written, group):
    issuer = {"县": "镇原县", "市": "庆阳市", "省": "甘肃省"}[level]
    assert builtin.for_issuer(issuer, level).group(written).name == group


def test_corpus_registry_wins_over_the_dictionary():
    seed = Registry.load(CORPUS / "departments.toml").for_issuer("镇原县", "县")
    assert seed.resolve("卫健委") == "卫健局"  # the seed registry's alias, not the dictionary's 卫健委
    assert seed.resolve("市卫健委") == "市卫健委"  # another level: the dictionary decides
    assert seed.resolve("发改局") == "发改局"  # not in the seed registry: the dictionary adds it


def test_dictionary_size():
    counts = builtin_counts()
    assert counts["departments"] >= 90 and counts["party"] >= 10 and counts["spellings"] >= 230


def _seed_beside(root, other):
    """A KB built from the seed (with its departments.toml) and one more plan."""
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copyfile(SEED, corpus / SEED.name)
    shutil.copyfile(CORPUS / "departments.toml", corpus / "departments.toml")
    shutil.copyfile(other, corpus / other.name)
    build(corpus, root / "data")
    return open_kb(root / "data")


@pytest.fixture(scope="module")
def county_and_province(tmp_path_factory):
    return _seed_beside(tmp_path_factory.mktemp("levels"), PROVINCE)


def test_county_and_province_units_never_merge(county_and_province):
    kb = county_and_province
    county = kb.duties("妇联")
    assert len(county["assigned"]) == 59 and {c.doc for c in county["assigned"]} == {"zhenyuan-women-2021-2030"}
    province = kb.duties("省妇联")
    assert [c.citation for c in province["assigned"]] == ["二（一）主要目标 第3条", "二（一）策略措施 第3条", "二（二）主要目标 第2条", "二（二）策略措施 第2条"]
    assert kb.other_levels("妇联") == ["省妇联"] and kb.other_levels("省妇联") == ["妇联"]
    assert kb.resolve_department("甘肃省妇联") == "省妇联"
    assert kb.resolve_department("团省委") == "团省委"


def test_groups_share_within_their_level(county_and_province):
    kb = county_and_province
    assert len(kb.duties("卫健局")["shared"]) == 12  # the county group only
    assert [c.citation for c in kb.duties("省卫健委")["shared"]] == ["二（二）主要目标 第1条"]
    assert [c.citation for c in kb.duties("团省委")["shared"]] == ["二（二）主要目标 第1条"]
    counts = {r["department"]: r for r in kb.department_counts()}
    assert counts["省卫健委"]["full"] == "省卫生健康委员会" and counts["妇联"]["shared"] == 12


def test_mentions_take_the_plans_level(county_and_province):
    kb = county_and_province
    stats = kb.duties("省统计局")  # …由省统计局牵头: the province's, and its lead in the text
    assert [c.citation for c in stats["lead_in_text"]] == ["三（二）"]
    assert [c.citation for c in kb.duties("统计局")["lead_in_text"]] == ["四（一）", "四（二）"]


def test_unknown_department_still_suggests(county_and_province):
    with pytest.raises(UnknownDepartment):
        county_and_province.duties("人事局")


def test_one_informal_name_does_not_unread_the_tag(county_and_province):
    kb = county_and_province
    clause = next(c for c in kb.clauses if c.doc.startswith("province") and c.citation == "二（一）策略措施 第2条")
    assert clause.departments == ["省卫健委", "省残联", "省人口计生"]
    warning = next(w for w in kb.warnings if "省人口计生" in w.message)
    assert warning.line == 29 and "按原文保留" in warning.message


def test_duty_page_links_the_other_levels(county_and_province):
    from search_app import create_app

    kb = county_and_province
    client = create_app({"TESTING": True, "PLANKB_DATA": str(kb.path.parent)}).test_client()
    page = client.get("/departments/妇联").get_data(as_text=True)
    assert "上级规划中的省妇联任务" in page and "/departments/%E7%9C%81%E5%A6%87%E8%81%94" in page
    page = client.get("/departments/省妇联").get_data(as_text=True)
    assert "县级规划中的妇联任务" in page


@pytest.fixture(scope="module")
def county_and_national(tmp_path_factory):
    return _seed_beside(tmp_path_factory.mktemp("national"), FIXTURES / "reader" / "national-opinion.txt")


def test_national_units_stay_apart_from_county_units(county_and_national):
    kb = county_and_national
    ministry = kb.duties("教育部")
    assert [(c.doc, c.citation) for c in ministry["assigned"]] == [("national-opinion", "二（四）"), ("national-opinion", "二（五）"), ("national-opinion", "二（八）")]
    bureau = kb.duties("教育局")
    assert bureau["assigned"] and {c.doc for c in bureau["assigned"]} == {"zhenyuan-women-2021-2030"}
    assert kb.resolve_department("国家统计局") == "国家统计局" and kb.resolve_department("统计局") == "统计局"
    assert kb.other_levels("教育部") == [] and kb.other_levels("教育局") == []
    doc = next(d for d in kb.documents if d.id == "national-opinion")
    assert (doc.issuer, doc.level) == ("国务院", "国家")
