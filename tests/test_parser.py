"""The parser on the real plan, on variants built from it, and on the layouts of the plan family."""

import re
from collections import Counter

import pytest

from kb.departments import Registry
from kb.errors import SourceError
from kb.model import Document
from kb.parser import cn_number, cn_numeral, parse_lines, reassemble
from kb.sources import normalise_lines
from tests.helpers import CORPUS, seed_text

REGISTRY = Registry.load(CORPUS / "departments.toml")
DOMAINS = {  # our reading of the plan: goals / measures per domain
    "妇女与健康": (9, 12), "妇女与教育": (9, 11), "妇女与经济": (9, 13), "妇女参与决策和管理": (10, 10),
    "妇女与社会保障": (9, 11), "妇女与家庭建设": (9, 10), "妇女与环境": (9, 12), "妇女与法律": (9, 12),
}


def parse(text, doc_id="t"):
    lines = normalise_lines(text.splitlines())
    return parse_lines(lines, Document(id=doc_id, title="", source="plan.txt"), REGISTRY, "plan.txt")


@pytest.fixture(scope="module")
def seed():
    return parse(seed_text(), "zy")


def independent_reading(text):
    """A second, line-based reading of part 二 to check the parser against: (domain, kind, n, text, tag)."""
    out, domain, kind, in_two = [], None, None, False
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("二、"):
            in_two = True
        elif line.startswith("三、"):
            in_two = False
        if not in_two or not line:
            continue
        m = re.match(r"^（[一二三四五六七八]）(.+?)。$", line)
        if m:
            domain = m.group(1)
            continue
        if line.startswith("主要目标"):
            kind = "goal"
        elif line.startswith("策略措施"):
            kind = "measure"
        m = re.match(r"^(\d+)\.\s*(.*)（([^（）]+)）$", line)
        if m:
            out.append((domain, kind, int(m.group(1)), m.group(2), m.group(3)))
    return out


def test_seed_counts(seed):
    counts = seed.counts()
    assert counts == {"goal": 73, "measure": 91, "principle": 5, "implementation": 11, "monitoring": 5, "text": 7, "notice": 0}
    per_domain = Counter((c.domain, c.kind) for c in seed.clauses if c.is_duty)
    assert {d: (per_domain[(d, "goal")], per_domain[(d, "measure")]) for d in DOMAINS} == DOMAINS
    assert seed.warnings == []


def test_seed_matches_independent_reading(seed):
    expected = independent_reading(seed_text())
    got = [(c.domain, c.kind, c.number, c.text, c.departments_raw) for c in seed.clauses if c.is_duty]
    assert got == expected
    assert len(got) == 164


def test_every_duty_has_departments_and_32_units(seed):
    duties = [c for c in seed.clauses if c.is_duty]
    assert all(c.departments for c in duties)
    names = {d for c in duties for d in c.departments}
    assert "妇儿工委各成员单位" in names
    assert len(names - {"妇儿工委各成员单位"}) == 32
    # The two spellings of the 生态环境局 branch and 扶贫办 resolve to one unit each.
    assert "市生态环境局镇原分局" not in names and "扶贫办" not in names
    tagged_fupin = [c for c in duties if c.departments_raw and "扶贫办" in c.departments_raw]
    assert [c.departments for c in tagged_fupin] == [["人社局", "农业农村局", "乡村振兴局", "妇联"]]


def test_round_trip_loses_nothing(seed):
    assert reassemble(seed) == re.sub(r"\s+", "", seed_text())


def test_structure_of_other_parts(seed):
    principles = [c for c in seed.clauses if c.kind == "principle"]
    assert [c.number for c in principles] == [1, 2, 3, 4, 5]
    assert principles[0].text.startswith("坚持党的全面领导。")
    impl = [c for c in seed.clauses if c.kind == "implementation"]
    assert [c.number for c in impl] == list(range(1, 12))
    assert impl[10].citation == "三（十一）"
    mon = [c for c in seed.clauses if c.kind == "monitoring"]
    assert len(mon) == 5
    assert mon[1].text.count("\n") == 2 and "评估组由县妇儿工委办公室牵头" in mon[1].text
    texts = [c for c in seed.clauses if c.kind == "text"]
    assert [c.citation for c in texts] == ["前言 第1段", "前言 第2段", "前言 第3段", "前言 第4段", "前言 第5段", "一（一）指导思想 第1段", "一（三）总体目标 第1段"]
    assert all(c.domain is None for c in seed.clauses if not c.is_duty)


def test_identity_and_citation(seed):
    ids = [c.id for c in seed.clauses]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[A-Za-z0-9._~-]+", i) for i in ids)
    goal = next(c for c in seed.clauses if c.kind == "goal" and c.domain == "妇女与健康" and c.number == 2)
    assert goal.citation == "二（一）主要目标 第2条"
    assert goal.id == "zy.2-1-g2"
    assert goal.text == "孕产妇死亡率下降到12/10万以下，区域差距缩小。"
    assert goal.departments == ["卫健局"] and goal.departments_raw == "卫健局"
    measure = next(c for c in seed.clauses if c.kind == "measure" and c.domain == "妇女与法律" and c.number == 4)
    assert measure.departments == ["法院", "公安局", "司法局", "民政局", "卫健局", "妇联"]


def test_cn_numerals():
    for n in range(1, 40):
        assert cn_number(cn_numeral(n)) == n


# -- tolerated variants --------------------------------------------------------------
def duty_view(parsed):
    return [(c.domain, c.kind, c.number, c.text, c.departments) for c in parsed.clauses if c.is_duty]


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(lambda t: t.replace("\n", "\r\n"), id="crlf"),
        pytest.param(lambda t: "\ufeff" + t, id="bom"),
        pytest.param(lambda t: "\n".join(l + "  \u3000" for l in t.split("\n")), id="trailing-spaces"),
        pytest.param(lambda t: "\n".join("\u3000\u3000" + l for l in t.split("\n")), id="indented"),
        pytest.param(lambda t: re.sub(r"(?m)^(主要目标|策略措施)[:：]", r"\1:", t), id="ascii-colons"),
        pytest.param(lambda t: re.sub(r"(?m)^(主要目标|策略措施)[:：]", r"\1：", t), id="fullwidth-colons"),
        pytest.param(lambda t: re.sub(r"(?m)^(\d+)\.", lambda m: m.group(1).translate(str.maketrans("0123456789", "０１２３４５６７８９")) + "．", t), id="fullwidth-digits"),
        pytest.param(lambda t: re.sub(r"(?m)^(\d+)\.", r"\1. ", t), id="space-after-dot"),
        pytest.param(lambda t: re.sub(r"(?m)^(（[一二三四五六七八]）[^。\n]{2,12})。$", r"\1", t), id="headings-without-stop"),
    ],
)
def test_tolerated_variants_parse_identically(seed, variant):
    assert duty_view(parse(variant(seed_text()), "zy")) == duty_view(seed)


@pytest.mark.parametrize("sep", ["，", ",", "；", ";", "、"])
def test_tag_separators(seed, sep):
    text = re.sub(r"（([^（）]+)）$", lambda m: "（" + m.group(1).replace("、", sep) + "）", seed_text(), flags=re.M)
    parsed = parse(text, "zy")
    assert [c.departments for c in parsed.clauses if c.is_duty] == [c.departments for c in seed.clauses if c.is_duty]


# -- reported problems ---------------------------------------------------------------
def line_of(text, needle):
    return next(i for i, l in enumerate(text.splitlines(), 1) if needle in l)


def test_numbering_gap_and_repeat_are_warnings():
    text = seed_text()
    gap = text.replace("\n3.妇女的宫颈癌", "\n4.妇女的宫颈癌", 1)
    parsed = parse(gap)
    lineno = line_of(gap, "4.妇女的宫颈癌")
    assert any(w.line == lineno and "缺少第 3" in w.message for w in parsed.warnings)
    repeat = text.replace("\n3.妇女的宫颈癌", "\n2.妇女的宫颈癌", 1)
    parsed = parse(repeat)
    assert any(w.line == line_of(repeat, "2.妇女的宫颈癌") and "重复" in w.message for w in parsed.warnings)
    assert len({c.id for c in parsed.clauses}) == len(parsed.clauses)


def test_missing_tag_and_unknown_department_are_warnings():
    text = seed_text().replace("人均健康预期寿命提高。（卫健局）", "人均健康预期寿命提高。", 1)
    text = text.replace("区域差距缩小。（卫健局）", "区域差距缩小。（卫健局、县防疫站）", 1)
    parsed = parse(text)
    first = next(c for c in parsed.clauses if c.kind == "goal")
    assert first.departments == [] and first.departments_raw is None
    msgs = {(w.line, w.message) for w in parsed.warnings}
    assert any(l == line_of(text, "人均健康预期寿命提高。") and "没有责任单位" in m for l, m in msgs)
    assert any(l == line_of(text, "县防疫站") and "未知部门“县防疫站”" in m for l, m in msgs)
    second = [c for c in parsed.clauses if c.kind == "goal"][1]
    assert second.departments == ["卫健局", "防疫站"]  # kept without the county's own prefix


def test_truncated_plan_warns_and_keeps_what_was_read():
    text = seed_text()
    cut = text[: text.index("保障偏远地区和少数民族聚居地女童")]
    parsed = parse(cut)
    assert parsed.counts()["goal"] == 18
    assert parsed.warnings and "没有责任单位" in parsed.warnings[-1].message
    assert reassemble(parsed) == re.sub(r"\s+", "", cut)


@pytest.mark.parametrize("text", ["今天天气很好。\n我们去公园散步。\n", "Hello world\nnot a plan\n"])
def test_non_plan_text_is_an_error(text):
    with pytest.raises(SourceError, match="不是规划文本"):
        parse(text)


# -- layouts of the plan family (issue 6) ----------------------------------------------
FAMILY = """镇原县儿童发展规划（2021—2030年）
{part}
（一）儿童与健康。
主要目标：
{g1}
策略措施：
{m1}
{m2}
三、组织实施
（一）加强组织领导。各级政府负责实施。
"""


def family(part="二、发展领域、主要目标和策略措施", g1="1.儿童健康水平提高。（卫健局）", m1="1.加强儿童保健。（卫健局）", m2="2.加强营养。（卫健局、妇联）"):
    return parse(FAMILY.format(part=part, g1=g1, m1=m1, m2=m2), "kids")


def test_layout_subitems_stay_with_their_goal():
    parsed = family(g1="1.儿童健康：\n——新生儿死亡率降至3‰以下。\n--5岁以下儿童死亡率降至5‰以下。（卫健局）")
    goal = next(c for c in parsed.clauses if c.kind == "goal")
    assert goal.text.split("\n") == ["儿童健康：", "——新生儿死亡率降至3‰以下。", "--5岁以下儿童死亡率降至5‰以下。"]
    assert goal.departments == ["卫健局"]


@pytest.mark.parametrize("m1,m2", [("（1）加强儿童保健。（卫健局）", "（2）加强营养。（卫健局、妇联）"), ("1、加强儿童保健。（卫健局）", "2、加强营养。（卫健局、妇联）")])
def test_layout_item_numbering_styles(m1, m2):
    parsed = family(m1=m1, m2=m2)
    measures = [c for c in parsed.clauses if c.kind == "measure"]
    assert [(c.number, c.text, c.departments) for c in measures] == [(1, "加强儿童保健。", ["卫健局"]), (2, "加强营养。", ["卫健局", "妇联"])]
    assert parsed.warnings == []


def test_layout_responsibility_line():
    parsed = family(m1="1.加强儿童保健。\n责任单位：卫健局、妇联")
    m = next(c for c in parsed.clauses if c.kind == "measure")
    assert (m.text, m.departments, m.departments_raw, m.lead) == ("加强儿童保健。", ["卫健局", "妇联"], "卫健局、妇联", None)
    assert reassemble(parsed) == re.sub(r"\s+", "", FAMILY.format(part="二、发展领域、主要目标和策略措施", g1="1.儿童健康水平提高。（卫健局）", m1="1.加强儿童保健。\n责任单位：卫健局、妇联", m2="2.加强营养。（卫健局、妇联）"))


def test_layout_lead_and_cooperating_units():
    parsed = family(m1="1.加强儿童保健。（牵头单位：卫健局；配合单位：妇联、教育局）")
    m = next(c for c in parsed.clauses if c.kind == "measure")
    assert m.departments == ["卫健局", "妇联", "教育局"]
    assert m.lead == "卫健局"
    assert m.text == "加强儿童保健。"
    assert m.public_dict()["lead"] == "卫健局"


@pytest.mark.parametrize("part", ["三、发展领域、主要目标和策略措施", "第二部分 发展领域、主要目标和策略措施", "二、主要目标和策略措施"])
def test_layout_part_titles(part):
    parsed = family(part=part)
    assert parsed.counts()["goal"] == 1 and parsed.counts()["measure"] == 2
    assert next(c for c in parsed.clauses if c.kind == "goal").domain == "儿童与健康"


def test_layout_without_any_tags():
    parsed = family(g1="1.儿童健康水平提高。", m1="1.加强儿童保健。", m2="2.加强营养（含微量营养素）。")
    assert all(c.departments == [] for c in parsed.clauses)
    assert parsed.document.assigns_departments is False
    assert len(parsed.warnings) == 1 and "没有为目标和措施标注责任单位" in parsed.warnings[0].message
    assert next(c for c in parsed.clauses if c.number == 2 and c.kind == "measure").text == "加强营养（含微量营养素）。"
