"""Tests for kb.indicators and `plankb indicators`: the seed plan's pinned list and the extraction rules."""

import csv
import io
import json

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from kb import indicators as ki
from kb.cli import cli
from kb.model import Clause
from kb.corpus import REPO_ROOT
from kb.store import build, open_kb

CORPUS = REPO_ROOT / "corpus"
DOC = "zhenyuan-women-2021-2030"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    build(CORPUS, data)
    return data


@pytest.fixture(scope="module")
def kb(data_dir):
    return open_kb(data_dir, CORPUS)


@pytest.fixture
def runner(data_dir, monkeypatch):
    monkeypatch.setenv("PLANKB_DATA", str(data_dir))
    monkeypatch.setenv("PLANKB_CORPUS", str(CORPUS))
    return CliRunner()


# Our own reading of the plan: 20 sentences with a value, 23 targets once
# 孕产妇艾滋病、梅毒和乙肝检测率 (3) and 艾滋病、梅毒孕产妇感染者治疗率 (2) are split.
SEED_NUMERIC = [
    ("2-1-g2.n1", "孕产妇死亡率", "<=", 12, "/10万", "down", ["卫健局"]),
    ("2-1-g3.n1", "适龄妇女宫颈癌人群筛查率", ">=", 70, "%", "up", ["卫健局"]),
    ("2-1-g5.n1", "艾滋病母婴传播率", "<=", 2, "%", "down", ["卫健局"]),
    ("2-1-m4.n1", "孕产妇系统管理率", ">=", 90, "%", "up", ["卫健局"]),
    ("2-1-m5.n1", "宫颈癌和乳腺癌防治知识知晓率", ">=", 90, "%", "up", ["卫健局", "妇联"]),
    ("2-1-m5.n2", "妇女在35岁—45岁接受高质量的宫颈癌筛查的比例", "=", 70, "%", "up", ["卫健局", "妇联"]),
    ("2-1-m5.n3", "宫颈癌患者治疗率", ">=", 90, "%", "up", ["卫健局", "妇联"]),
    ("2-1-m7.n1", "孕产妇艾滋病检测率", ">=", 98, "%", "up", ["卫健局"]),
    ("2-1-m7.n2", "孕产妇梅毒检测率", ">=", 98, "%", "up", ["卫健局"]),
    ("2-1-m7.n3", "孕产妇乙肝检测率", ">=", 98, "%", "up", ["卫健局"]),
    ("2-1-m7.n4", "艾滋病孕产妇感染者治疗率", ">=", 95, "%", "up", ["卫健局"]),
    ("2-1-m7.n5", "梅毒孕产妇感染者治疗率", ">=", 95, "%", "up", ["卫健局"]),
    ("2-2-g4.n1", "九年义务教育巩固率", ">=", 99.8, "%", "up", ["教育局"]),
    ("2-2-g5.n1", "高中阶段毛入学率", ">=", 97, "%", "up", ["教育局"]),
    ("2-3-g2.n1", "就业人员中的女性比例", "≈", 45, "%", None, ["人社局"]),
    ("2-3-g3.n1", "城镇单位就业人员中的女性比例", "≈", 40, "%", None, ["人社局"]),
    ("2-3-g4.n1", "高级专业技术人员中的女性比例", ">=", 40, "%", "up", ["人社局"]),
    ("2-4-g8.n1", "村委会成员中女性比例", ">=", 30, "%", "up", ["民政局"]),
    ("2-4-g9.n1", "社区居委会成员中女性比例", "≈", 50, "%", None, ["民政局"]),
    ("2-4-g9.n2", "社区居委会主任中女性比例", ">=", 40, "%", "up", ["民政局"]),
    ("2-5-g3.n1", "妇女基本医疗保险参保率", ">=", 95, "%", "up", ["医保局"]),
    ("2-5-g4.n1", "妇女基本养老保险参保率", ">=", 95, "%", "up", ["人社局"]),
    ("2-7-g6.n1", "农村自来水普及率", ">=", 91, "%", "up", ["水务局"]),
]


def test_seed_plan_numeric_targets(kb):
    got = [
        (i.id.removeprefix(DOC + "."), i.name, i.comparator, i.value, i.unit, i.direction, i.departments)
        for i in ki.extract(kb, numeric=True)
    ]
    assert got == SEED_NUMERIC
    assert len(got) == 23


def test_seed_plan_indicator_points_at_its_clause(kb):
    for ind in ki.extract(kb):
        clause = kb.clause(ind.clause)
        assert ind.id.startswith(clause.id + ".")
        assert ind.departments == clause.departments
        assert ind.doc == DOC and ind.domain == clause.domain and ind.citation == clause.citation
        assert ind.text and ind.text.rstrip("。") in clause.text


@pytest.mark.parametrize("suffix, name, direction, wording", [
    ("2-1-g1.q1", "妇女人均预期寿命", "up", "延长"),
    ("2-1-g2.q1", "区域差距", "down", "缩小"),
    ("2-1-g3.q3", "乳腺癌人群筛查率", "up", "逐步提高"),
    ("2-1-g6.q1", "妇女心理健康素养水平", "up", "不断提升"),
    ("2-1-g6.q2", "妇女焦虑障碍、抑郁症患病率上升趋势", "down", "减缓"),
    ("2-3-g6.q1", "女职工职业病发病率", "down", "明显降低"),
    ("2-4-g8.q2", "村委会主任中女性比例", "up", "逐步提高"),
    ("2-7-g7.q1", "农村卫生厕所普及率", "up", "稳步提高"),
    ("2-1-m4.q1", "产前筛查率", "up", "逐步提高"),
])
def test_seed_plan_qualitative_targets(kb, suffix, name, direction, wording):
    ind = ki.get(kb, f"{DOC}.{suffix}")
    assert (ind.name, ind.comparator, ind.value, ind.unit, ind.direction, ind.target_label) == (name, None, None, "", direction, f"{ki.DIRECTION_LABELS[direction]} {wording}")


def test_seed_plan_has_no_year_or_age_targets(kb):
    for ind in ki.extract(kb):
        assert ind.unit not in ("岁", "年")
        assert ind.value not in (35, 2035, 3)
    assert not [i for i in ki.extract(kb) if i.value == 45 and i.unit != "%"]


def test_ids_are_unique_and_url_safe(kb):
    ids = [i.id for i in ki.extract(kb)]
    assert len(ids) == len(set(ids))
    assert all(all(ch.isascii() and (ch.isalnum() or ch in "-._") for ch in i) for i in ids)


def test_get_unknown_indicator(kb):
    with pytest.raises(ki.UnknownIndicator, match="没有编号为“nope.n1”的指标"):
        ki.get(kb, "nope.n1")


def _clause(text, kind="goal"):
    return Clause(id="t-1-g1", doc="t", kind=kind, domain="测试", number=1, text=text, departments=["卫健局"], departments_raw="卫健局", citation="测试 第1条")


def _numeric(text, kind="goal"):
    return [(i.id, i.name, i.comparator, i.value, i.unit, i.direction) for i in ki.clause_indicators(_clause(text, kind)) if i.numeric]


@pytest.mark.parametrize("text, expected", [
    ("孕产妇艾滋病、梅毒和乙肝检测率达到98%以上。", [
        ("t-1-g1.n1", "孕产妇艾滋病检测率", ">=", 98, "%", "up"),
        ("t-1-g1.n2", "孕产妇梅毒检测率", ">=", 98, "%", "up"),
        ("t-1-g1.n3", "孕产妇乙肝检测率", ">=", 98, "%", "up"),
    ]),
    ("艾滋病、梅毒孕产妇感染者治疗率达到95%以上。", [
        ("t-1-g1.n1", "艾滋病孕产妇感染者治疗率", ">=", 95, "%", "up"),
        ("t-1-g1.n2", "梅毒孕产妇感染者治疗率", ">=", 95, "%", "up"),
    ]),
    ("宫颈癌和乳腺癌防治知识知晓率达到90%以上。", [("t-1-g1.n1", "宫颈癌和乳腺癌防治知识知晓率", ">=", 90, "%", "up")]),
    ("孕产妇死亡率下降到12/10万以下。", [("t-1-g1.n1", "孕产妇死亡率", "<=", 12, "/10万", "down")]),
    ("婴儿死亡率控制在5‰以内。", [("t-1-g1.n1", "婴儿死亡率", "<=", 5, "‰", "down")]),
    ("就业人员中的女性比例保持在45%左右。", [("t-1-g1.n1", "就业人员中的女性比例", "≈", 45, "%", None)]),
    ("九年义务教育巩固率达到９９．８％以上。", [("t-1-g1.n1", "九年义务教育巩固率", ">=", 99.8, "%", "up")]),
    ("艾滋病母婴传播率下降到2％以下。", [("t-1-g1.n1", "艾滋病母婴传播率", "<=", 2, "%", "down")]),
    ("妇女基本养老保险参保率提高到95%。", [("t-1-g1.n1", "妇女基本养老保险参保率", "=", 95, "%", "up")]),
    ("低出生体重发生率下降到4%。", [("t-1-g1.n1", "低出生体重发生率", "=", 4, "%", "down")]),
    ("社区居委会成员中女性比例保持50%。", [("t-1-g1.n1", "社区居委会成员中女性比例", "=", 50, "%", None)]),
    ("女性人均预期寿命达到80岁。", [("t-1-g1.n1", "女性人均预期寿命", "=", 80, "岁", "up")]),
    ("促进70%的妇女在35岁—45岁接受高质量的宫颈癌筛查。", [("t-1-g1.n1", "妇女在35岁—45岁接受高质量的宫颈癌筛查的比例", "=", 70, "%", "up")]),
    ("展望2035年，男女平等取得更为明显的实质性进展。", []),
    ("推动将3岁以下婴幼儿照护服务费用纳入专项附加扣除。", []),
    ("对35岁—45岁妇女开展筛查，覆盖60岁以上老年妇女。", []),
])
def test_numeric_rules(text, expected):
    assert _numeric(text) == expected


def test_sub_item_lines_each_bear_targets():
    text = "妇女健康水平不断提高。\n——孕产妇死亡率下降到12/10万以下。\n——适龄妇女宫颈癌人群筛查率达到70%以上。\n-- 乳腺癌人群筛查率逐步提高。"
    got = [(i.id, i.name, i.target_label, i.text) for i in ki.clause_indicators(_clause(text))]
    assert got == [
        ("t-1-g1.n1", "孕产妇死亡率", "≤12/10万", "孕产妇死亡率下降到12/10万以下。"),
        ("t-1-g1.n2", "适龄妇女宫颈癌人群筛查率", "≥70%", "适龄妇女宫颈癌人群筛查率达到70%以上。"),
        ("t-1-g1.q1", "妇女健康水平", "↑ 不断提高", "妇女健康水平不断提高。"),
        ("t-1-g1.q2", "乳腺癌人群筛查率", "↑ 逐步提高", "乳腺癌人群筛查率逐步提高。"),
    ]


@pytest.mark.parametrize("text, kind, expected", [
    ("乳腺癌人群筛查率逐步提高。", "goal", [("乳腺癌人群筛查率", "up")]),
    ("女职工职业病发病率明显降低。", "goal", [("女职工职业病发病率", "down")]),
    ("男女收入差距明显缩小。", "goal", [("男女收入差距", "down")]),
    ("妇女焦虑障碍患病率上升趋势减缓。", "goal", [("妇女焦虑障碍患病率上升趋势", "down")]),
    ("妇女心理健康素养水平不断提升。", "goal", [("妇女心理健康素养水平", "up")]),
    ("女性平均受教育年限持续提高。", "goal", [("女性平均受教育年限", "up")]),
    ("稳步提高农村卫生厕所普及率。", "goal", [("农村卫生厕所普及率", "up")]),
    ("提高妇女健康素养水平。", "goal", [("妇女健康素养水平", "up")]),
    # Measures: verb-first actions count only for a measurable rate or ratio.
    ("提高妇女健康素养水平。", "measure", []),
    ("逐步提高产前筛查率。", "measure", [("产前筛查率", "up")]),
    ("完善妇女健康保障制度机制，加强宣传教育。", "goal", []),
])
def test_qualitative_rules(text, kind, expected):
    got = [(i.name, i.direction) for i in ki.clause_indicators(_clause(text, kind)) if not i.numeric]
    assert got == expected
    assert all(i.comparator is None and i.value is None for i in ki.clause_indicators(_clause(text, kind)) if not i.numeric)


def test_dept_filter_includes_shared_clauses(kb):
    fulian = {i.id.removeprefix(DOC + ".") for i in ki.extract(kb, dept="妇联", numeric=True)}
    assert fulian == {"2-1-m5.n1", "2-1-m5.n2", "2-1-m5.n3"}
    assert [i.name for i in ki.extract(kb, dept="水务局", numeric=True)] == ["农村自来水普及率"]
    # 妇儿工委各成员单位 shares 二（二）主要目标 第8条 with every member unit.
    shared = [i.id.removeprefix(DOC + ".") for i in ki.extract(kb, dept="水务局", numeric=False)]
    assert "2-2-g8.q1" in shared
    assert "2-1-g3.q3" not in shared
    assert [i.id for i in ki.extract(kb, dept="水务局")] == [i.id for i in ki.extract(kb) if kb.relation(kb.clause(i.clause), "水务局") in ("assigned", "shared")]


def test_cli_json_contract(runner):
    res = runner.invoke(cli, ["indicators", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)
    contract = {"id", "name", "comparator", "value", "unit", "direction", "clause", "departments", "doc"}
    assert all(contract <= set(r) for r in rows)
    first = next(r for r in rows if r["comparator"])
    assert {k: first[k] for k in contract} == {
        "id": f"{DOC}.2-1-g2.n1", "name": "孕产妇死亡率", "comparator": "<=", "value": 12, "unit": "/10万",
        "direction": "down", "clause": f"{DOC}.2-1-g2", "departments": ["卫健局"], "doc": DOC,
    }
    assert {r["comparator"] for r in rows} == {"<=", ">=", "≈", "=", None}
    assert all((r["value"] is None) == (r["comparator"] is None) for r in rows)


def test_cli_dept_and_table(runner):
    res = runner.invoke(cli, ["indicators", "--dept", "水务"])
    assert res.exit_code == 0, res.output
    assert "≥91%" in res.output and "农村自来水普及率" in res.output
    assert "女性接受终身教育水平" in res.output  # shared through 妇儿工委各成员单位
    assert "孕产妇死亡率" not in res.output
    assert "量化目标 1 个" in res.output.strip().splitlines()[-1]


def test_cli_csv_and_xlsx(runner, tmp_path):
    out = tmp_path / "i.csv"
    res = runner.invoke(cli, ["indicators", "--dept", "民政局", "--format", "csv", "-o", str(out)])
    assert res.exit_code == 0, res.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ki.CSV_HEADER
    assert [r[1] for r in rows[1:] if r[3]] == ["村委会成员中女性比例", "社区居委会成员中女性比例", "社区居委会主任中女性比例"]
    xlsx = tmp_path / "i.xlsx"
    res = runner.invoke(cli, ["indicators", "--format", "xlsx", "-o", str(xlsx)])
    assert res.exit_code == 0, res.output
    ws = load_workbook(xlsx)["监测指标"]
    assert ws["A1"].value.startswith("镇原县妇女发展规划（2021—2030年）　监测指标")  # the plan's title, not its id
    assert [c.value for c in ws[2]] == ["序号", "领域", "指标", "目标", "责任单位", "出处", "原文"]  # no internal ids
    assert ws.max_row == 2 + len(json.loads(runner.invoke(cli, ["indicators", "--format", "json"]).output))
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1 and ws.freeze_panes == "A3"
    assert not [c.value for row in ws.iter_rows(min_row=3) for c in row if "zhenyuan-women" in str(c.value)]


@pytest.mark.parametrize("args, message", [
    (["indicators", "--dept", "不存在的局"], "错误：未知部门“不存在的局”"),
    (["indicators", "--doc", "nope"], "错误：没有编号为“nope”的规划"),
])
def test_cli_bad_input(runner, args, message):
    res = runner.invoke(cli, args)
    assert res.exit_code == 1
    assert message in res.output
    assert "Traceback" not in res.output
