"""The plan reader on plans written the ways plans are published (fixtures under tests/fixtures/reader)."""

import hashlib
import json
import re
from pathlib import Path

import pytest

from kb.corpus import parse_file
from kb.departments import Registry
from kb.indicators import clause_indicators
from kb.reader import reassemble
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
    assert [h.text for h in pd.headings if h.level == "toc"] == ["目  录", "第一章  发展基础", "第二章  主要任务", "第一节  优化医疗服务体系",
                                                                "第二节  提升公共卫生能力", "第三章  保障措施"]
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
    """10,000 repeated `1.` lines: unique ids without a quadratic search (a runaway would miss the deadline)."""
    from kb.model import Document
    from kb.reader import parse_lines
    from tests.helpers import finishes

    lines = ["某县规划", "一、任务", "主要措施："] + ["1.做好工作。（卫健局）"] * 10000
    pd = finishes(lambda: parse_lines(lines, Document(id="r", title="", source="r.txt"), REGISTRY, "r.txt"))
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
    pd = _parse_text("某县规划\n一、儿童与健康\n主要目标：\n儿童健康状况持续改善，具体如下。\n策略措施：\n1.加强保健。（卫健局）\n"
                     "1.改善营养。（卫健局）\n二、其他\n主要任务和分工安排\n")
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
