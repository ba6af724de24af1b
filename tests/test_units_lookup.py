"""Groups within their jurisdiction and the units a user can find (tests/fixtures/reader/county-group-levels.txt)."""

import shutil

import pytest
from click.testing import CliRunner

from kb.cli import cli
from kb.departments import Registry
from kb.errors import UnknownDepartment
from kb.store import build, open_kb
from tests.helpers import CORPUS

PLAN = CORPUS.parent / "tests" / "fixtures" / "reader" / "county-group-levels.txt"


@pytest.fixture(scope="module")
def dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("group-levels")
    corpus = root / "plans"
    corpus.mkdir()
    shutil.copyfile(PLAN, corpus / PLAN.name)
    build(corpus, root / "data")
    return corpus, root / "data"


@pytest.fixture(scope="module")
def kb(dirs):
    return open_kb(dirs[1])


def test_units_are_kept_by_jurisdiction_and_without_the_countys_prefix(kb):
    assert [c.departments for c in kb.clauses if c.kind == "measure"] == [
        ["卫健局", "省儿童医院", "市卫健委"],
        ["市公安局交警支队青山大队", "教育局"],
        ["青少年宫", "文明办"],  # 县青少年宫 is in no dictionary, 县文明办 is
        ["妇儿工委各成员单位"],
    ]


def test_a_county_group_shares_only_with_the_countys_units(kb):
    group = ["一主要目标 第2条", "一策略措施 第4条"]
    for county_unit in ("卫健局", "教育局", "文明办", "青少年宫"):
        assert [c.citation for c in kb.duties(county_unit)["shared"]] == group
    for other in ("省儿童医院", "市公安局交警支队青山大队", "市卫健委"):
        duties = kb.duties(other)
        assert duties["shared"] == [] and len(duties["assigned"]) == 1
    counts = {r["department"]: r["shared"] for r in kb.department_counts()}
    assert counts == {
        "教育局": 2, "卫健局": 2, "文明办": 2, "青少年宫": 2,
        "市公安局交警支队青山大队": 0, "市卫健委": 0, "省儿童医院": 0,
    }


@pytest.mark.parametrize("typed, unit", [
    ("青少年宫", "青少年宫"), ("县青少年宫", "青少年宫"), ("松岭县青少年宫", "青少年宫"),
    ("文明办", "文明办"), ("县文明办", "文明办"), ("精神文明建设委员会办公室", "文明办"),
    ("卫生健康局", "卫健局"), ("交警支队", "市公安局交警支队青山大队"),
    ("妇儿工委", "妇儿工委各成员单位"), ("县妇儿工委各成员单位", "妇儿工委各成员单位"),
])
def test_names_a_user_types(kb, typed, unit):
    assert kb.resolve_department(typed) == unit


@pytest.mark.parametrize("typed, suggested", [
    ("教育厅", "教育局"),  # in the dictionary, in no plan of this knowledge base
    ("青年宫", "青少年宫"),  # suggestions come from every unit of the knowledge base, known to the dictionary or not
    ("发改局", None),
])
def test_names_of_no_unit_of_the_knowledge_base_are_unknown(kb, typed, suggested):
    with pytest.raises(UnknownDepartment) as err:
        kb.resolve_department(typed)
    assert set(err.value.suggestions) <= set(kb.department_names() + kb.group_names())
    if suggested:
        assert suggested in err.value.suggestions


def test_duties_exit_codes(dirs):
    corpus, data = dirs
    unknown = CliRunner().invoke(cli, ["duties", "教育厅", "--data", str(data), "--corpus", str(corpus)])
    assert unknown.exit_code == 1 and "未知部门“教育厅”" in unknown.output and "教育局" in unknown.output
    args = ["duties", "妇儿工委", "--data", str(data), "--corpus", str(corpus), "--format", "json"]
    group = CliRunner().invoke(cli, args)
    assert group.exit_code == 0, group.output
    assert '"department": "妇儿工委各成员单位"' in group.output


@pytest.mark.parametrize("level, issuer, written, kept", [
    ("县", "松岭县", "县文明办", "文明办"), ("县", "松岭县", "松岭县关工委", "关工委"),
    ("县", "松岭县", "县青少年宫", "青少年宫"),
    ("县", "松岭县", "县医院", "人民医院"), ("县", "松岭县", "县网信办", "县委网信办"),
    ("县", "松岭县", "省儿童医院", "省儿童医院"), ("县", "松岭县", "县直机关工委", "县直机关工委"),
    ("县", "松岭县", "市生态环境局松岭分局", "市生态环境局松岭县分局"),
    ("市", "云川市", "市青少年宫", "市青少年宫"), ("市", "云川市", "青少年宫", "市青少年宫"),
])
def test_unknown_and_new_units_by_jurisdiction(level, issuer, written, kept):
    registry = Registry.load(None).for_issuer(issuer, level)
    assert (registry.resolve(written) or registry.unknown_name(written)) == kept


@pytest.mark.parametrize("unit, level", [
    ("省儿童医院", "省"), ("市公安局交警支队青山大队", "市"), ("青少年宫", "县"), ("市场服务中心", "县"),
    ("市生态环境局松岭县分局", "县"),  # a city bureau's branch in the county works for the county
])
def test_levels_of_units_no_dictionary_knows(unit, level):
    assert Registry.load(None).for_issuer("松岭县", "县").level_of(unit) == level
