"""The plan reader on plans written the ways plans are published (fixtures under tests/fixtures/reader)."""

import hashlib
import json
import re
from pathlib import Path

import pytest

from kb.corpus import parse_file
from kb.departments import Registry
from kb.errors import SourceError
from kb.indicators import clause_indicators
from kb.reader import reassemble, uncovered_lines
from kb.reader.rules import list_role, read_marker
from tests.helpers import CORPUS

FIXTURES = Path(__file__).parent / "fixtures" / "reader"
REGISTRY = Registry.load(CORPUS / "departments.toml")


def read(name, path=None):
    return parse_file(path or FIXTURES / name, REGISTRY, {})


def body(path):
    return re.sub(r"\s+", "", Path(path).read_text(encoding="utf-8"))


def view(pd, *kinds):
    """(id, kind, domain, citation, departments, lead) of the clauses of the given kinds."""
    return [(c.id.split(".", 1)[1], c.kind, c.domain, c.citation, c.departments, c.lead) for c in pd.clauses if not kinds or c.kind in kinds]


def messages(pd):
    return [(w.line, w.message) for w in pd.warnings]


def test_seed_reading_is_pinned():
    """Every clause, heading and warning of the seed, digested: the reader must not change it by a character."""
    pd = parse_file(CORPUS / "zhenyuan-women-2021-2030.txt", REGISTRY, {})
    rows = [[c.id, c.kind, c.domain, c.number, c.citation, c.text, c.departments, c.departments_raw, c.lead, c.tag, c.marker, c.line] for c in pd.clauses]
    heads = [[h.level, h.marker, h.text, h.line, h.part, h.section] for h in pd.headings]
    digest = hashlib.sha256(json.dumps([rows, heads, [str(w) for w in pd.warnings]], ensure_ascii=False).encode()).hexdigest()
    assert len(rows) == 192 and pd.document.title == "镇原县妇女发展规划（2021—2030年）"
    assert digest == "534df296e9601d0862e2a3c083ec9bb6954a4dbb4a95eb56645cc141d7fbe580"


def test_county_children_numbered_list_headings():
    pd = read("county-children.txt")
    d = pd.document
    assert (d.title, d.issuer, d.level, d.period) == ("青禾县儿童发展规划（2021—2030年）", "青禾县", "县", "2021-2030")
    assert pd.counts() == {"goal": 4, "measure": 5, "principle": 2, "implementation": 2, "monitoring": 1, "text": 1, "notice": 0}
    assert view(pd, "goal", "measure") == [
        ("2-1-1-g1", "goal", "儿童与健康", "二（一）主要目标 第1条", ["卫健局"], None),
        ("2-1-1-g2", "goal", "儿童与健康", "二（一）主要目标 第2条", ["教育局", "卫健局"], None),
        ("2-1-2-m1", "measure", "儿童与健康", "二（一）策略措施 第1条", ["卫健局", "医保局"], None),
        ("2-1-2-m2", "measure", "儿童与健康", "二（一）策略措施 第2条", ["教育局", "卫健局", "妇联"], None),
        ("2-1-2-m3", "measure", "儿童与健康", "二（一）策略措施 第3条", ["残联", "卫健局", "民政局"], "残联"),
        ("2-2-1-g1", "goal", "儿童与教育", "二（二）主要目标 第1条", ["教育局"], None),
        ("2-2-1-g2", "goal", "儿童与教育", "二（二）主要目标 第2条", ["教育局"], None),
        ("2-2-2-m1", "measure", "儿童与教育", "二（二）策略措施 第1条", ["教育局", "财政局"], None),
        ("2-2-2-m2", "measure", "儿童与教育", "二（二）策略措施 第2条", ["教育局", "团县委", "科协"], None),
    ]
    assert [c.citation for c in pd.clauses if c.kind == "principle"] == ["一（二）基本原则 第1条", "一（二）基本原则 第2条"]
    assert [h.marker + h.text for h in pd.headings if h.level == "list"] == ["1.主要目标", "2.策略措施", "1.主要目标", "2.策略措施"]
    assert [h.text for h in pd.headings if h.level == "title"] == ["青禾县儿童发展规划", "（2021—2030年）"]
    assert pd.warnings == []
    assert reassemble(pd) == body(FIXTURES / "county-children.txt")


def test_city_plan_with_notice_number_and_contents():
    pd = read("city-health-14th.txt")
    d = pd.document
    assert (d.title, d.issuer, d.level, d.period) == ("云川市“十四五”卫生健康事业发展规划", "云川市", "市", "2021-2025")
    assert (d.doc_number, d.issued) == ("云政发〔2022〕3号", "2022-03-15")
    assert pd.counts() == {"goal": 0, "measure": 4, "principle": 0, "implementation": 2, "monitoring": 0, "text": 2, "notice": 1}
    notice = pd.clauses[0]
    assert (notice.kind, notice.citation, notice.domain, notice.departments) == ("notice", "印发通知", None, [])
    assert notice.text.splitlines()[0] == "云川市人民政府文件" and notice.text.splitlines()[-1] == "（此件公开发布）"
    assert len(notice.text.splitlines()) == 8
    assert [h.text for h in pd.headings if h.level == "toc"] == ["目  录", "第一章  发展基础", "第二章  主要任务", "第一节  优化医疗服务体系", "第二节  提升公共卫生能力", "第三章  保障措施"]
    assert [(h.level, h.text) for h in pd.headings if h.level in ("part", "section")] == [
        ("part", "发展基础"), ("part", "主要任务"), ("section", "优化医疗服务体系"), ("section", "提升公共卫生能力"), ("part", "保障措施")]
    assert view(pd, "measure") == [
        # A city plan's own units carry the city's level (kb.departments): never the county's 卫健局.
        ("2-1-1-1", "measure", "完善分级诊疗制度", "第二章第一节一、（一）", ["市卫健委", "市财政局", "市医保局"], "市卫健委"),
        ("2-1-1-2", "measure", "完善分级诊疗制度", "第二章第一节一、（二）", ["市卫健委", "市人社局"], "市卫健委"),
        ("2-1-2-1", "measure", "加强专科能力建设", "第二章第一节二、（一）", ["市卫健委", "市发改局"], None),
        ("2-2-1-1", "measure", "健全疾病预防控制体系", "第二章第二节一、（一）", ["市卫健委", "市财政局", "市住建局"], "市卫健委"),
    ]
    assert [c.citation for c in pd.clauses if c.kind == "implementation"] == ["第三章一、", "第三章二、"]
    assert messages(pd) == []  # 市发改局 is in the built-in dictionary
    assert reassemble(pd) == body(FIXTURES / "city-health-14th.txt")


TASKS = [
    ("1-m1", "measure", "妇女与健康", "一 第1条", ["卫健局", "财政局", "医保局"], "卫健局"),
    ("1-m2", "measure", "妇女与健康", "一 第2条", ["卫健局", "妇联"], "卫健局"),
    ("2-m1", "measure", "妇女与教育", "二 第1条", ["人社局", "教育局", "妇联"], "人社局"),
]


def test_task_division_table_as_tab_rows():
    pd = read("task-division.txt")
    assert pd.counts()["measure"] == 3 and sum(pd.counts().values()) == 3
    assert view(pd) == TASKS
    assert [c.text for c in pd.clauses][0] == "完善妇幼健康服务体系，提升孕产妇健康管理水平。"
    assert pd.clauses[0].departments_raw == "卫健局；财政局、医保局"
    assert pd.warnings == []
    assert reassemble(pd) == body(FIXTURES / "task-division.txt")


def _table_rows():
    lines = (FIXTURES / "task-division.txt").read_text(encoding="utf-8").splitlines()
    return lines[0], lines


def test_task_division_table_as_html(tmp_path):
    """Needs kb.sources to emit a <table> row as one line of tab-joined cells (the byte readers' contract)."""
    import html

    title, lines = _table_rows()
    out = [f"<html><head><meta charset='utf-8'><title>{title}</title></head><body><div class='article'>"]
    rows = []
    for line in lines:
        if "\t" in line:
            cells = line.split("\t")
            tag = "th" if cells[0] == "序号" else "td"
            rows.append("<tr>" + "".join(f"<{tag}>{html.escape(c)}</{tag}>" for c in cells) + "</tr>")
            continue
        if rows:
            out.append("<table>" + "".join(rows) + "</table>")
            rows = []
        if line.strip():
            out.append(f"<p>{html.escape(line)}</p>")
    if rows:
        out.append("<table>" + "".join(rows) + "</table>")
    out.append("</div></body></html>")
    path = tmp_path / "task-division.html"
    path.write_text("\n".join(out), encoding="utf-8")
    pd = read(None, path)
    assert view(pd) == TASKS, "kb.sources must give each table row as one line of cells joined by tabs"


def test_task_division_table_as_docx(tmp_path):
    """Needs kb.sources to emit a Word table row as one line of tab-joined cells (the byte readers' contract)."""
    import docx

    _, lines = _table_rows()
    d = docx.Document()
    table = None
    for line in lines:
        if "\t" in line:
            cells = line.split("\t")
            if table is None:
                table = d.add_table(rows=0, cols=len(cells))
            row = table.add_row().cells
            for cell, text in zip(row, cells):
                cell.text = text
            continue
        table = None
        if line.strip():
            d.add_paragraph(line)
    path = tmp_path / "task-division.docx"
    d.save(path)
    pd = read(None, path)
    assert view(pd) == TASKS, "kb.sources must give each table row as one line of cells joined by tabs"


def test_province_plan_spaced_and_named_lists_unit_lines_and_subitem_tags():
    pd = read("province-women.txt")
    d = pd.document
    assert (d.title, d.issuer, d.level, d.period) == ("岭南省妇女发展规划（2021—2030年）", "岭南省", "省", "2021-2030")
    assert pd.counts() == {"goal": 3, "measure": 4, "principle": 2, "implementation": 1, "monitoring": 0, "text": 1, "notice": 0}
    assert view(pd, "goal", "measure") == [
        ("2-1-g1", "goal", "妇女与健康", "第二部分一、主要目标 第1条", ["省卫健委"], None),
        ("2-1-g2", "goal", "妇女与健康", "第二部分一、主要目标 第2条", ["省卫健委", "省人口计生"], None),
        ("2-1-m1", "measure", "妇女与健康", "第二部分一、重点任务 第1条", ["省卫健委", "省医保局", "省妇联"], None),
        ("2-1-m2", "measure", "妇女与健康", "第二部分一、重点任务 第2条", ["省卫健委", "省教育厅"], None),
        ("2-2-g1", "goal", "妇女与教育", "第二部分二、妇女与教育发展的主要目标 第1条", ["省教育厅"], None),
        ("2-2-m1", "measure", "妇女与教育", "第二部分二、主要措施 第1条", ["省教育厅", "省妇联"], None),
        ("2-2-m2", "measure", "妇女与教育", "第二部分二、主要措施 第2条", ["省人社厅", "省妇联"], None),
    ]
    principles = [c for c in pd.clauses if c.kind == "principle"]
    assert [(c.id.split(".")[1], c.citation) for c in principles] == [("1-2-1", "第一部分二、（一）"), ("1-2-2", "第一部分二、（二）")]
    subitems = next(c for c in pd.clauses if c.id.endswith("2-1-m2"))
    assert subitems.text.splitlines()[1] == "——在高校和企业开设心理咨询服务。（省教育厅）"
    unit_lines = next(c for c in pd.clauses if c.id.endswith("2-2-m2"))
    assert (unit_lines.text, unit_lines.tag) == ("开展妇女职业技能提升行动。", "\n省人社厅\n省妇联")
    # One informal name keeps the rest of its tag, and is named in a warning with its line.
    assert messages(pd) == [(22, "未知部门“省人口计生”：不像单位名称，按原文保留，请更正或在 departments.toml 中登记")]
    assert reassemble(pd) == body(FIXTURES / "province-women.txt")


def test_indicator_table_becomes_indicators():
    pd = read("indicator-table.txt")
    assert pd.document.period == "2021-2025"
    assert pd.counts() == {"goal": 3, "measure": 2, "principle": 0, "implementation": 0, "monitoring": 0, "text": 0, "notice": 0}
    rows = [c for c in pd.clauses if c.kind == "goal"]
    assert [(c.text, c.tag) for c in rows] == [
        ("孕产妇死亡率（/10万）", "\t15\t12以下\t约束性"), ("婴儿死亡率（‰）", "\t6.5\t5以下\t约束性"), ("适龄妇女宫颈癌筛查率（%）", "\t60\t80以上\t预期性")]
    targets = [(i.name, i.target_label, i.direction) for c in rows for i in clause_indicators(c)]
    assert targets == [("孕产妇死亡率", "≤12/10万", "down"), ("婴儿死亡率", "≤5‰", "down"), ("适龄妇女宫颈癌筛查率", "≥80%", "up")]
    assert view(pd, "measure") == [
        ("2-1-m1", "measure", "妇女儿童健康", "二（一） 第1条", ["卫健局"], None),
        ("2-1-m2", "measure", "妇女儿童健康", "二（一） 第2条", ["卫健局", "教育局"], None),
    ]
    assert pd.warnings == []
    assert reassemble(pd) == body(FIXTURES / "indicator-table.txt")


def test_saved_page_chrome_is_set_aside():
    pd = read("saved-page.txt")
    d = pd.document
    assert (d.title, d.issuer, d.period) == ("梅溪县老年人事业发展规划（2021—2025年）", "梅溪县", "2021-2025")
    chrome = [h.text for h in pd.headings if h.level == "chrome"]
    assert len(chrome) == 9 and chrome[0] == "手机版" and chrome[-1] == "网站标识码：6200000001"
    assert pd.counts() == {"goal": 2, "measure": 2, "principle": 0, "implementation": 1, "monitoring": 0, "text": 0, "notice": 0}
    assert view(pd, "goal", "measure") == [
        ("1-g1", "goal", None, "一主要目标 第1条", ["民政局"], None),
        ("1-g2", "goal", None, "一主要目标 第2条", ["卫健局"], None),
        ("1-m1", "measure", None, "一主要措施 第1条", ["民政局", "住建局"], None),
        ("1-m2", "measure", None, "一主要措施 第2条", ["卫健局", "医保局"], None),
    ]
    assert all("打印" not in c.text and "版权" not in c.text for c in pd.clauses)
    assert reassemble(pd) == body(FIXTURES / "saved-page.txt")


def test_unit_lines_informal_names_and_unread_tags():
    pd = read("units-variants.txt")
    assert view(pd, "goal", "measure") == [
        ("1-g1", "goal", "儿童与安全", "一主要目标 第1条", ["公安局", "卫健局"], None),
        ("1-m1", "measure", "儿童与安全", "一策略措施 第1条", ["教育局", "应急管理局", "团县委"], "教育局"),
        ("1-m2", "measure", "儿童与安全", "一策略措施 第2条", ["公安局", "市场监管局"], None),
        ("1-m3", "measure", "儿童与安全", "一策略措施 第3条", ["公安局", "交通运输局", "推进办公室", "某某热心人士"], None),
        ("1-m4", "measure", "儿童与安全", "一策略措施 第4条", [], None),
    ]
    assert messages(pd) == [
        (17, "未知部门“县推进办公室”：词典和 departments.toml 中都没有，按“推进办公室”保留"),
        (17, "未知部门“某某热心人士”：不像单位名称，按原文保留，请更正或在 departments.toml 中登记"),
        (18, "末尾括注“2025年前完成”不像责任单位，未作为标签读取"),
        (18, "第 4 条没有责任单位标签"),
    ]
    assert reassemble(pd) == body(FIXTURES / "units-variants.txt")


@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.glob("*.txt")))
def test_every_fixture_round_trips(fixture):
    assert reassemble(read(fixture)) == body(FIXTURES / fixture)


@pytest.mark.parametrize("line,expected", [
    ("第三章 主要任务", ("chapter", 3)), ("第二节 提升能力", ("sectnth", 2)), ("第一部分 总体要求", ("partnth", 1)),
    ("十二、保障", ("cn", 12)), ("(三)加强", ("pcn", 3)), ("1.加强", ("arabic", 1)), ("2、加强", ("arabic", 2)),
    ("(4)加强", ("parabic", 4)), ("⑸加强", ("circled", 5)), ("③加强", ("circled", 3)),
])
def test_markers(line, expected):
    assert read_marker(line)[:2] == expected


@pytest.mark.parametrize("title,role", [
    ("主 要 目 标", "goal"), ("发展目标：", "goal"), ("妇女与健康发展的主要目标", "goal"), ("重点任务：", "measure"),
    ("主要措施:", "measure"), ("主要任务", "measure"), ("策略措施", "measure"), ("主要指标", "indicator"), ("基本原则。", "principle"),
    ("发展领域、主要目标和策略措施", None), ("总体目标", None), ("指导思想", None),
])
def test_list_roles(title, role):
    assert list_role(title) == role


def test_many_repeated_item_numbers_stay_fast():
    """10,000 repeated `1.` lines: unique ids without a quadratic search (finishes in seconds)."""
    import time

    from kb.model import Document
    from kb.reader import parse_lines

    lines = ["某县规划", "一、任务", "主要措施："] + ["1.做好工作。（卫健局）"] * 10000
    start = time.perf_counter()
    pd = parse_lines(lines, Document(id="r", title="", source="r.txt"), REGISTRY, "r.txt")
    assert time.perf_counter() - start < 20
    ids = [c.id for c in pd.clauses]
    assert len(set(ids)) == len(ids) == 10000


def test_check_shows_outline_with_roles_and_counts(tmp_path):
    from kb.corpus import check_file

    rep = check_file(FIXTURES / "city-health-14th.txt", CORPUS)
    assert (rep["doc_number"], rep["issued"], rep["front"]) == ("云政发〔2022〕3号", "2022-03-15", {"chrome": 0, "toc": 6, "notice": 1})
    assert [(e["heading"], e["depth"], e["role"], e["counts"]) for e in rep["outline"]][:3] == [
        ("第一章  发展基础", 0, None, {"text": 2}),
        ("第二章  主要任务", 0, "措施清单", {"measure": 4}),
        ("第一节  优化医疗服务体系", 1, None, {"measure": 3}),
    ]
    assert rep["outline"][-1] == {"heading": "第三章  保障措施", "level": "part", "depth": 0, "line": 53, "role": "组织实施", "counts": {"implementation": 2}}


def _parse_text(text):
    from kb.model import Document
    from kb.reader import parse_lines

    return parse_lines(text.splitlines(), Document(id="w", title="", source="w.txt"), REGISTRY, "w.txt")


def test_list_like_lines_unused_list_headings_and_restarts_are_warnings():
    pd = _parse_text("某县规划\n一、儿童与健康\n主要目标：\n儿童健康状况持续改善，具体如下。\n策略措施：\n1.加强保健。（卫健局）\n1.改善营养。（卫健局）\n二、其他\n主要任务和分工安排\n")
    assert messages(pd) == [
        (3, "清单标题“主要目标”下没有编号条目，未读出目标或措施"),
        (4, "清单中出现没有编号的段落，已作为正文处理"),
        (7, "编号重复：第 1 条出现两次"),
        (9, "“主要任务和分工安排”像清单标题，但未作为标题读取：其后的条目归入上一个清单或正文"),
    ]
    assert len({c.id for c in pd.clauses}) == len(pd.clauses)


def test_goals_without_any_units_are_reported_once():
    pd = _parse_text("某县规划\n一、儿童与健康\n主要目标：\n1.儿童健康状况改善。\n2.近视率下降。\n")
    assert pd.document.assigns_departments is False
    assert messages(pd) == [(4, "本规划没有为目标和措施标注责任单位")]


def test_paren_list_headings_with_circled_and_paren_items():
    pd = _parse_text("某县儿童发展规划\n一、儿童与健康\n（一）主要目标\n（1）婴儿死亡率下降。（卫健局）\n（2）近视率下降。（教育局）\n"
                     "（二）策略措施\n⑴加强保健。（卫健局）\n⑵改善营养。（卫健局、妇联）\n二、儿童与教育\n（一）主要目标\n1.入园率提高。（教育局）\n")
    assert view(pd) == [
        ("1-1-g1", "goal", "儿童与健康", "一（一）主要目标 第1条", ["卫健局"], None),
        ("1-1-g2", "goal", "儿童与健康", "一（一）主要目标 第2条", ["教育局"], None),
        ("1-2-m1", "measure", "儿童与健康", "一（二）策略措施 第1条", ["卫健局"], None),
        ("1-2-m2", "measure", "儿童与健康", "一（二）策略措施 第2条", ["卫健局", "妇联"], None),
        ("2-1-g1", "goal", "儿童与教育", "二（一）主要目标 第1条", ["教育局"], None),
    ]
    assert pd.warnings == []


def test_issuer_from_the_notice_signature_and_source_warnings(tmp_path, monkeypatch):
    text = (FIXTURES / "city-health-14th.txt").read_text(encoding="utf-8")
    text = text.replace("云川市“十四五”卫生健康\n事业发展规划\n", "“十四五”卫生健康事业发展规划\n")
    path = tmp_path / "plan.txt"
    path.write_text(text, encoding="utf-8")
    import kb.corpus
    from kb.sources import read_source

    def with_warnings(p, encoding=None):
        src = read_source(p, encoding=encoding)
        src.warnings = [(3, "已删除控制字符")]
        return src

    monkeypatch.setattr(kb.corpus, "read_source", with_warnings)
    pd = read(None, path)
    d = pd.document
    assert (d.title, d.issuer, d.level, d.period) == ("“十四五”卫生健康事业发展规划", "云川市人民政府", "市", "2021-2025")
    assert (3, "已删除控制字符") in messages(pd)


def test_seed_with_a_notice_and_contents_reads_the_same(tmp_path):
    from tests.helpers import seed_text

    seed = parse_file(CORPUS / "zhenyuan-women-2021-2030.txt", REGISTRY, {})
    front = ("镇原县人民政府办公室\n镇政办发〔2022〕12号\n镇原县人民政府办公室关于印发《镇原县妇女发展规划（2021—2030年）》的通知\n"
             "各乡镇人民政府，县直各部门：\n现将《镇原县妇女发展规划（2021—2030年）》印发给你们，请认真贯彻落实。\n"
             "镇原县人民政府办公室\n2022年3月15日\n（此件公开发布）\n")
    text = seed_text()
    title, rest = text.split("\n", 1)
    toc = "目  录\n前  言\n一、指导思想、基本原则和总体目标\n二、发展领域、主要目标和策略措施\n三、组织实施\n四、监测评估\n"
    path = tmp_path / "zhenyuan-women-2021-2030.txt"
    path.write_text(front + title + "\n" + toc + rest, encoding="utf-8")
    pd = read(None, path)
    keep = lambda p: [(c.id, c.kind, c.domain, c.citation, c.text, c.departments, c.lead) for c in p.clauses if c.kind != "notice"]
    assert keep(pd) == keep(seed)
    assert [c.kind for c in pd.clauses].count("notice") == 1 and pd.warnings == []
    d = pd.document
    assert (d.title, d.issuer, d.doc_number, d.issued) == (seed.document.title, "镇原县", "镇政办发〔2022〕12号", "2022-03-15")
    assert len([h for h in pd.headings if h.level == "toc"]) == 6
    assert reassemble(pd) == re.sub(r"\s+", "", path.read_text(encoding="utf-8"))


# -- real document shapes: saved gov.cn pages, documents issued directly, sentence-level tags, levels ------
def test_saved_govcn_page_with_layout_table_and_information_table():
    pd = read("govcn-page.html")
    d = pd.document
    assert (d.title, d.issuer, d.level, d.doc_number, d.issued) == (
        "国务院办公厅关于加强县域儿童友好空间建设的意见", "国务院办公厅", "国家", "国办发〔2025〕12号", "2025-04-08")
    assert [h.text for h in pd.headings if h.level == "front"] == [
        "国办发〔2025〕12号", "各省、自治区、直辖市人民政府，国务院各部委、各直属机构：", "国务院办公厅", "2025年4月8日", "（此件公开发布）"]
    assert [h.marker + h.text for h in pd.headings if h.level == "part"] == ["一、总体要求", "二、重点任务", "三、保障措施"]
    assert view(pd, "goal", "measure") == [
        ("1-1", "goal", "总体要求", "一（一）", ["国家发展改革委", "住房城乡建设部"], None),
        ("2-2", "measure", None, "二（二）", ["住房城乡建设部", "自然资源部", "教育部"], "住房城乡建设部"),
        ("2-3", "measure", None, "二（三）", ["教育部", "公安部", "交通运输部"], None),
        ("3-4", "measure", None, "三（四）", ["财政部", "国家发展改革委"], None),
    ]
    texts = " ".join(c.text for c in pd.clauses)
    assert "相关政策" not in texts and "中国儿童发展纲要" not in texts and "纠错" not in texts  # the side bar and chrome
    assert pd.counts()["text"] == 1 and pd.warnings == []


def test_document_issued_directly_with_every_tag_form():
    pd = read("national-opinion.txt")
    d = pd.document
    assert (d.title, d.issuer, d.level, d.doc_number, d.issued) == (
        "国务院关于推进社区儿童服务体系建设的意见", "国务院", "国家", "国发〔2024〕18号", "2024-06-03")
    assert [c for c in pd.clauses if c.kind == "notice"] == []  # no notice swallows the body
    assert [(h.line, h.text) for h in pd.headings if h.level == "front"] == [
        (2, "国发〔2024〕18号"), (3, "各省、自治区、直辖市人民政府，国务院各部委、各直属机构："), (18, "国务院"), (19, "2024年6月3日"), (20, "（此件公开发布）")]
    assert view(pd, "goal", "measure") == [
        ("1-2", "goal", "总体要求", "一（二）", ["民政部", "国家卫生健康委"], None),
        ("2-3", "measure", None, "二（三）", ["住房城乡建设部", "民政部", "自然资源部"], None),
        ("2-4", "measure", None, "二（四）", ["国家卫生健康委", "教育部", "国家医保局"], "国家卫生健康委"),
        ("2-5", "measure", None, "二（五）", ["教育部"], None),
        ("2-6", "measure", None, "二（六）", ["民政部", "财政部"], None),
        ("2-7", "measure", None, "二（七）", ["国家统计局", "各地"], None),
        ("2-8", "measure", None, "二（八）", ["国家数据局", "教育部", "民政部"], "国家数据局"),
        ("3-9", "measure", None, "三（九）", ["各有关部门"], None),
        ("3-10", "measure", None, "三（十）", ["国家发展改革委", "财政部"], None),
    ]
    assert [c.citation for c in pd.clauses if c.kind == "text"] == ["第1段", "一（一）"]
    assert pd.warnings == []


def test_plan_with_sentence_level_tags_and_a_lead_note():
    pd = read("jiutai-childcare-plan.txt")
    d = pd.document
    assert (d.title, d.issuer, d.level) == ("九台区促进婴幼儿照护服务发展实施方案", "九台区", "县")
    assert view(pd, "goal", "measure") == [
        ("1-t1", "goal", "工作目标", "一 第1段", ["卫健局", "发改局"], "卫健局"),
        ("2-1s1", "measure", None, "二（一）之1", ["卫健局", "住建局"], "卫健局"),
        ("2-1s2", "measure", None, "二（一）之2", ["人社局", "总工会", "妇联"], "人社局"),
        ("2-2s1", "measure", None, "二（二）之1", ["教育局"], "教育局"),
        ("2-2s2", "measure", None, "二（二）之2", ["人社局", "卫健局"], "人社局"),
        ("3-3", "measure", None, "三（三）", ["市场监管局", "公安局", "应急管理局"], "市场监管局"),
    ]
    first, second = pd.clauses[2], pd.clauses[3]
    assert (first.marker, first.text, first.tag) == ("（一）", "扩大普惠托育供给。支持社区利用闲置用房建设托育点。", "（卫健局、住建局）")
    assert (second.marker, second.text, second.line) == ("", "鼓励用人单位为职工提供福利性托育服务。", first.line)
    assert pd.clauses[0].kind == "text" and pd.clauses[0].text == "（排在第一位的部门为牵头部门，下同）"


@pytest.mark.parametrize("name, title, issuer", [
    ("zhuji-children.txt", "诸暨市儿童发展规划（2021—2030年）", "诸暨市"),
    ("panshi-women.txt", "磐石市妇女发展规划（2021—2030年）", "磐石市"),
])
def test_county_level_cities_are_county_level(name, title, issuer):
    d = read(name).document
    assert (d.title, d.issuer, d.level, d.period) == (title, issuer, "县", "2021-2030")


def test_item_numbers_before_numbers_and_unknown_name_lines():
    pd = read("panshi-women.txt")
    measures = [c for c in pd.clauses if c.kind == "measure"]
    assert [c.number for c in measures] == list(range(1, 13))
    assert (measures[10].text, measures[10].departments) == ("121人才梯队项目向女性倾斜，每年选拔一批女性青年骨干。", ["县委组织部", "人社局"])
    assert measures[9].departments == ["人社局", "团市委"]  # item 10 keeps its own tag
    goal = [c for c in pd.clauses if c.kind == "goal"][1]
    assert goal.text == "农村妇女技能培训覆盖率逐步提高。\n省人口计生" and goal.departments == []
    assert messages(pd) == [
        (5, "第 2 条没有责任单位标签"),
        (6, "“省人口计生”像单位名称，但词典和 departments.toml 中都没有：作为第 2 条的正文保留，未读作责任单位"),
    ]


@pytest.mark.parametrize("line, expected", [
    ("11.121人才梯队项目", ("arabic", 11)), ("3.2025年底前完成", ("arabic", 3)), ("2.5万人以上", None), ("12.5%", None),
])
def test_a_number_followed_by_text_is_a_marker(line, expected):
    marker = read_marker(line)
    assert (marker[:2] if marker else None) == expected


def test_page_leftovers_are_chrome_and_a_notice_title_is_not_the_plans(tmp_path):
    path = tmp_path / "page.txt"
    path.write_text("\n".join([
        ">> 政府信息公开 >> 政策文件 >> 规划计划",
        "2023-06-28 阅读次数:",
        "青禾县人民政府关于印发青禾县养老服务发展规划的通知",
        "青禾县养老服务发展规划",
        "一、主要目标",
        "1.养老床位达到800张。（民政局）",
        "2023-06-28 阅读次数:",
    ]), encoding="utf-8")
    pd = read(None, path)
    assert pd.document.title == "青禾县养老服务发展规划"
    assert [h.line for h in pd.headings if h.level == "chrome"] == [1, 2, 7]
    assert [(c.kind, c.line) for c in pd.clauses] == [("notice", 3), ("goal", 6)]


# -- line coverage: every source line lands in a clause, heading or front-matter field -------------------
ALL_FIXTURES = sorted(p.name for p in FIXTURES.iterdir() if p.suffix in (".txt", ".html"))


def _lines(path):
    from kb.sources import read_source

    return read_source(path).lines


@pytest.mark.parametrize("fixture", ALL_FIXTURES)
def test_every_fixture_passes_line_coverage(fixture):
    pd = read(fixture)
    assert uncovered_lines(_lines(FIXTURES / fixture), pd) == []
    assert not [w for w in pd.warnings if "行覆盖" in w.message]


@pytest.mark.parametrize("fixture", [n for n in ALL_FIXTURES if n.endswith(".txt")])
def test_line_coverage_holds_on_generated_variants(fixture, tmp_path):
    """Each fixture with one line left out, and with one line doubled: still every line accounted for."""
    lines = (FIXTURES / fixture).read_text(encoding="utf-8").splitlines()
    for k in range(len(lines)):
        for variant in (lines[:k] + lines[k + 1:], lines[:k + 1] + lines[k:]):
            path = tmp_path / f"v{k}.txt"
            path.write_text("\n".join(variant), encoding="utf-8")
            try:
                pd = read(None, path)
            except SourceError:
                continue  # a variant that lost every heading is refused, with its reason: not half-read
            assert uncovered_lines(_lines(path), pd) == [], (fixture, k)


def test_line_coverage_reports_a_line_nothing_holds():
    pd = read("zhuji-children.txt")
    pd.clauses = [c for c in pd.clauses if c.line != 5]
    assert uncovered_lines(_lines(FIXTURES / "zhuji-children.txt"), pd) == [5]


def _write(tmp_path, lines):
    path = tmp_path / "plan.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_a_goal_closed_by_unit_lines_survives_what_follows(tmp_path):
    path = _write(tmp_path, [
        "青禾县妇女发展规划", "一、妇女与健康", "主要目标", "1.妇女常见病筛查率达到80%以上。", "卫健局", "财政局", "省人口计生", "妇联",
        "——孕产妇住院分娩率稳定在99%以上。", "2.孕产妇死亡率控制在10/10万以下。", "卫健局",
        "——孕产妇系统管理率达到95%以上。", "医保局", "妇联",
    ])
    pd = read(None, path)
    # a ——row after the unit lines is the next row of the same item (a flattened 目标责任分解 table)
    assert [(c.id.split(".")[1], c.number, c.citation, c.departments) for c in pd.clauses] == [
        ("1-g1", 1, "一主要目标 第1条", ["卫健局", "财政局", "省人口计生", "妇联"]), ("1-g1~2", 1, "一主要目标 第1条", []),
        ("1-g2", 2, "一主要目标 第2条", ["卫健局"]), ("1-g2~2", 2, "一主要目标 第2条", ["医保局", "妇联"])]
    assert messages(pd) == [
        (7, "未知部门“省人口计生”：不像单位名称，按原文保留，请更正或在 departments.toml 中登记"),
        (9, "第 1 条没有责任单位标签")]
    assert uncovered_lines(path.read_text(encoding="utf-8").splitlines(), pd) == []


def test_list_heading_with_its_first_item_and_items_that_start_with_a_number(tmp_path):
    path = _write(tmp_path, [
        "青禾县儿童发展规划", "一、儿童与健康", "主要目标:1.新生儿死亡率控制在3‰以下。",
        "2.婴儿死亡率控制在5‰以下。", "3.5岁以下儿童死亡率控制在6‰以下。", "4.0—6个月婴儿纯母乳喂养率达到50%以上。",
        "策略措施：1.加强妇幼保健机构建设。（卫健局）",
    ])
    pd = read(None, path)
    assert [(c.kind, c.number, c.text) for c in pd.clauses] == [
        ("goal", 1, "新生儿死亡率控制在3‰以下。"), ("goal", 2, "婴儿死亡率控制在5‰以下。"),
        ("goal", 3, "5岁以下儿童死亡率控制在6‰以下。"), ("goal", 4, "0—6个月婴儿纯母乳喂养率达到50%以上。"),
        ("measure", 1, "加强妇幼保健机构建设。")]
    assert [h.text for h in pd.headings if h.level == "list"] == ["主要目标:", "策略措施："]


def test_information_bar_without_colons_and_a_number_before_the_notice_title(tmp_path):
    path = _write(tmp_path, [
        "适老版",
        "青府办发〔2023〕9号 青禾县人民政府办公室关于印发青禾县托育服务发展方案的通知",
        "索引号 000000000/2023-00009 成文日期 2023-05-06",
        "各乡镇人民政府，县政府各部门：",
        "现将《青禾县托育服务发展方案》印发给你们，请认真贯彻执行。",
        "青禾县人民政府办公室",
        "2023506",
        "青禾县托育服务发展方案",
        "一、重点任务",
        "（一）扩大托位供给。新建一批社区托育点。（卫健局）",
    ])
    pd = read(None, path)
    d = pd.document
    assert (d.title, d.doc_number, d.issued, d.issuer, d.level) == ("青禾县托育服务发展方案", "青府办发〔2023〕9号", "2023-05-06", "青禾县", "县")
    assert [c.kind for c in pd.clauses] == ["notice", "measure"]
    assert pd.clauses[0].text.splitlines()[-1] == "2023506"
    assert [h.line for h in pd.headings if h.level == "chrome"] == [1]


def test_a_plan_cut_off_after_its_opening_is_refused_with_that_reason(tmp_path):
    path = _write(tmp_path, ["青禾县妇女发展规划", "（2021—2030年）", "妇女是社会进步的推动者。", "县委、县政府高度重视妇女事业。"])
    with pytest.raises(SourceError, match="规划“青禾县妇女发展规划（2021—2030年）”只有标题和开头的段落.*文本可能不完整"):
        read(None, path)


def test_a_sites_category_before_the_title_is_not_part_of_it(tmp_path):
    path = _write(tmp_path, ["妇女丨青禾县妇女发展规划（2021—2030年）", "一、妇女与健康", "（一）主要目标", "1.妇女常见病筛查率达到80%以上。（卫健局）"])
    pd = read(None, path)
    assert (pd.document.title, pd.document.issuer) == ("青禾县妇女发展规划（2021—2030年）", "青禾县")
    assert [h.text for h in pd.headings if h.level == "title"] == ["妇女丨青禾县妇女发展规划（2021—2030年）"]
