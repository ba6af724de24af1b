"""Duty-list exports checked by opening them: XLSX (openpyxl), DOCX (python-docx), CSV, Markdown."""

import io

import pytest

from kb import exports
from kb.store import build, open_kb
from tests.helpers import ROOT


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    data = tmp_path_factory.mktemp("exp") / "data"
    build(ROOT / "corpus", data)
    return open_kb(data, ROOT / "corpus")


@pytest.fixture(scope="module")
def duties(kb):
    return kb.duties("卫健局")


def test_xlsx_layout(kb, duties):
    from openpyxl import load_workbook

    title = exports.export_title(kb, None)
    wb = load_workbook(io.BytesIO(exports.duties_xlsx(duties, title, {d.id: d.title for d in kb.documents})))
    # Empty groups (文中牵头, 文中提及) have no sheet: a sheet saying only 无 would print a page of its own.
    assert wb.sheetnames == ["共同职责", "本部门承担", "共同承担"]
    ws = wb["本部门承担"]
    assert ws["A1"].value == f"镇原县妇女发展规划（2021—2030年）　卫健局任务清单（本部门承担，25 条）　导出日期：{exports.cn_date()}"
    assert [c.value for c in ws[2]] == ["序号", "领域", "类别", "编号", "内容", "责任单位", "出处"]
    assert all(c.font.bold for c in ws[2])
    assert ws.freeze_panes == "A3"
    assert ws.auto_filter.ref == "A2:G27"
    assert ws.max_row == 2 + 25
    assert ws["E3"].alignment.wrap_text and ws.column_dimensions["E"].width >= 60
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
    assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows in ("1:2", "$1:$2")  # the title and the header on every page
    assert wb["共同承担"].max_row == 2 + 12
    common = wb["共同职责"]
    assert [c.value for c in common[2]] == ["序号", "领域", "类别", "编号", "内容", "责任单位", "文中表述", "出处"]
    assert [r[7].value for r in common.iter_rows(min_row=3)] == ["三（四）", "三（五）", "四（一）"]
    assert [r[1].value for r in common.iter_rows(min_row=3)] == ["组织实施", "组织实施", "监测评估"]
    assert common["G4"].value == "健全报告制度，责任单位每年向县妇儿工委报告规划实施情况和下一年工作安排。"
    # Every unit does these (the 统计局 that 四（一） names is who receives the data, not who reports it).
    assert [r[5].value for r in common.iter_rows(min_row=3)] == ["各责任单位"] * 3
    assert wb.properties.title == "镇原县妇女发展规划（2021—2030年）卫健局任务清单"


def test_xlsx_rows_are_tall_enough_for_their_text(kb, duties):
    """Every row's height holds its longest cell wrapped at the column width (CJK counts double)."""
    import math

    from openpyxl import load_workbook

    from kb.terminal import display_width

    ws = load_workbook(io.BytesIO(exports.duties_xlsx(duties, "t", {})))["本部门承担"]
    widths = {c.column_letter: ws.column_dimensions[c.column_letter].width for c in ws[2]}
    for row in ws.iter_rows(min_row=3):
        need = max(math.ceil(display_width(str(c.value or "")) / (widths[c.column_letter] - 1.5)) for c in row)
        assert ws.row_dimensions[row[0].row].height >= need * 14.5, row[4].value[:20]
        assert all(c.alignment.wrap_text for c in row)


def test_docx_gongwen_style(kb, duties):
    import docx
    from docx.oxml.ns import qn

    d = docx.Document(io.BytesIO(exports.duties_docx(duties, exports.export_title(kb, None))))
    sec = d.sections[0]
    mm = lambda v: round(v.mm, 1)  # Word stores twips: compare in millimetres
    assert (mm(sec.page_width), mm(sec.page_height)) == (210, 297)
    assert (mm(sec.top_margin), mm(sec.bottom_margin), mm(sec.left_margin), mm(sec.right_margin)) == (37, 35, 28, 26)
    title_run = d.paragraphs[0].runs[0]
    assert title_run.text == "镇原县妇女发展规划（2021—2030年）" and d.paragraphs[1].text == "卫健局任务清单"
    assert title_run._element.rPr.rFonts.get(qn("w:eastAsia")) == exports.TITLE_FONT
    headings = [p.text for p in d.paragraphs]
    assert f"导出日期：{exports.cn_date()}" in headings[2]
    # The list's own groups carry no 一、二、 that could be read as the plan's numbering; headings are
    # Word's 标题 1 and 标题 2, kept with what follows.
    assert ["【共同职责】（3 条）", "【本部门承担】（25 条）", "【共同承担】（12 条）"] == [p.text for p in d.paragraphs if p.style.name == "Heading 1"]
    assert "二（三）妇女与经济" in [p.text for p in d.paragraphs if p.style.name == "Heading 2"]
    assert d.styles["Heading 1"].paragraph_format.keep_with_next and d.styles["Heading 2"].paragraph_format.keep_with_next
    table = d.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["序号", "内容", "责任单位", "出处"]
    assert table.style.name == "Table Grid"
    body_run = table.rows[1].cells[1].paragraphs[0].runs[0]
    assert body_run._element.rPr.rFonts.get(qn("w:eastAsia")) == exports.BODY_FONT
    assert sum(len(t.rows) - 1 for t in d.tables) == 3 + 25 + 12


def test_docx_grid_header_footer_and_properties(kb, duties):
    import datetime

    import docx
    from docx.oxml.ns import qn

    d = docx.Document(io.BytesIO(exports.duties_docx(duties, exports.export_title(kb, None))))
    for table in d.tables:
        grid = [int(g.get(qn("w:w"))) for g in table._tbl.tblGrid.findall(qn("w:gridCol"))]
        assert len(grid) == 4 and grid[1] == max(grid) and grid[1] / sum(grid) >= 0.45
        assert abs(sum(grid) / 1440 * 25.4 - (210 - 28 - 26)) < 1  # the grid fills the text width
        header = table.rows[0]._tr.trPr.find(qn("w:tblHeader"))
        assert header is not None and header.get(qn("w:val")) in ("true", "1")
    footer = d.sections[0].footer.paragraphs[0]
    instr = "".join(e.text for e in footer._p.iter(qn("w:instrText")))
    assert instr.strip() == "PAGE" and footer.text.startswith("— ") and footer.text.endswith(" —")
    props = d.core_properties
    assert props.title == "镇原县妇女发展规划（2021—2030年）卫健局任务清单" and props.author == "plankb"
    assert abs((props.created - datetime.datetime.now(datetime.timezone.utc)).total_seconds()) < 600


def test_docx_sections_and_citations_are_the_plans_own(kb, duties):
    """卫健局 has no clause in 二（二）: its 经济 section is still 二（三）, and every row cites exactly."""
    import docx

    d = docx.Document(io.BytesIO(exports.duties_docx(duties, "t")))
    headings = [p.text for p in d.paragraphs]
    expected = {exports.section_heading(c) for c in duties["assigned"]}
    assert "二（三）妇女与经济" in expected and expected <= set(headings)
    # The citation is broken after its list name (二（三）策略措施 / 第2条); an untagged clause's second line
    # is its part (三（四） / 组织实施).
    cited = [row.cells[3].text for t in d.tables for row in t.rows[1:]]
    assert cited[:3] == ["三（四）\n组织实施", "三（五）\n组织实施", "四（一）\n监测评估"]
    assert [c.replace("\n", " ") for c in cited[3:]] == [c.citation for c in duties["assigned"]] + [c.citation for c in duties["shared"]]
    texts = [row.cells[1].text for t in d.tables for row in t.rows[1:]]
    assert texts == [c.text for c in duties["common"]] + [c.text for c in duties["assigned"]] + [c.text for c in duties["shared"]]


def test_csv_and_filename(kb, duties):
    data = exports.duties_csv(duties, {d.id: d.title for d in kb.documents})
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    name = exports.filename(exports.export_title(kb, None), "卫健局", "xlsx")
    assert name == "镇原县妇女发展规划-卫健局-任务清单.xlsx"
    header = exports.content_disposition(name)
    assert header.startswith('attachment; filename="') and "filename*=UTF-8''%E9%95%87" in header


def test_markdown_escapes_pipes(kb):
    md = exports.duties_markdown(kb.duties("统计局"), {})
    assert md.startswith("# 统计局 任务清单") and "文中牵头（2 条）" in md


LEAD_PLAN = """镇原县儿童发展规划（2021—2030年）
二、发展领域、主要目标和策略措施
（一）儿童与健康。
主要目标：
1.新生儿死亡率降至3‰以下。（牵头单位：卫健局；配合单位：妇联、教育局）
策略措施：
1.加强儿童保健。
责任单位：卫健局、妇联
"""
NATIONAL_PLAN = """中国儿童发展纲要（2021—2030年）
二、发展领域、主要目标和策略措施
（一）儿童与健康。
主要目标：
1.婴儿死亡率降至5‰以下。
策略措施：
1.加强儿童保健，卫健局牵头开展监测。
"""


@pytest.fixture(scope="module")
def family_kb(tmp_path_factory):
    from tests.helpers import make_corpus

    base = tmp_path_factory.mktemp("family")
    corpus = make_corpus(base / "corpus", {"kids.txt": LEAD_PLAN, "national.txt": NATIONAL_PLAN})
    build(corpus, base / "data")
    return open_kb(base / "data", corpus)


def test_lead_shows_in_json_duty_lists_and_exports(family_kb):
    from openpyxl import load_workbook

    d = family_kb.duties("妇联", doc="kids")
    goal = d["assigned"][0]
    assert (goal.lead, goal.departments) == ("卫健局", ["卫健局", "妇联", "教育局"])
    assert exports.duties_json(d)["assigned"][0]["lead"] == "卫健局"
    assert exports.duties_json(d)["assigned"][1]["lead"] is None
    header, rows = exports.duty_rows(d, {})
    assert "牵头单位" in header and rows[0][header.index("牵头单位")] == "卫健局"
    ws = load_workbook(io.BytesIO(exports.duties_xlsx(d, "儿童", {})))["本部门承担"]
    assert [c.value for c in ws[2]][6] == "牵头单位" and ws["G3"].value == "卫健局"
    assert "| 牵头单位 |" in exports.duties_markdown(d, {})
    import docx

    table = docx.Document(io.BytesIO(exports.duties_docx(d, "儿童"))).tables[0]
    assert table.rows[1].cells[2].text.replace("\n", "") == "卫健局、妇联、教育局（牵头：卫健局）"


def test_document_without_tags_says_so(family_kb):
    national = family_kb.document("national")
    assert national.assigns_departments is False
    d = family_kb.duties("卫健局", doc="national")
    assert d["assigned"] == [] and [c.citation for c in d["lead_in_text"] + d["mentioned"]] == ["二（一）策略措施 第1条"]
    assert d["notes"] == ["《中国儿童发展纲要（2021—2030年）》没有为目标和措施标注责任单位，以下只列出文中提及本部门的条款"]
    assert national.level == "国家"
    assert "没有为目标和措施标注责任单位" in exports.duties_markdown(d, {})


HOSTILE_PLAN = """镇原县儿童发展规划（2021—2030年）
二、发展领域、主要目标和策略措施
（一）儿童与健康。
主要目标：
1.=HYPERLINK("http://example.invalid","点此")新生儿死亡率降至3‰以下。（卫健局）
2.+1 儿童健康素养普遍提升。（卫健局）
3.-2 近视率逐年下降。（卫健局、教育局）
4.@SUM(A1:A2) 儿童营养状况改善。（卫健局）
策略措施：
1.加强儿童保健\x00服务，推进\x1b[31m儿童友好医院建设。（卫健局）
"""
FORMULA_TEXTS = ('=HYPERLINK("http://example.invalid","点此")', "+1 儿童", "-2 近视率", "@SUM(A1:A2)")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    from tests.helpers import make_corpus

    base = tmp_path_factory.mktemp("hostile")
    corpus = make_corpus(base / "corpus", {"kids.txt": HOSTILE_PLAN})
    build(corpus, base / "data")
    return base / "data", corpus


def _xlsx_cells(body: bytes):
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(body))
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


def test_no_live_formulas_and_no_control_characters_in_any_export(hostile):
    import csv as csvmod

    from kb import indicators, monitor
    from search_app import create_app

    data, corpus = hostile
    kb = open_kb(data)
    duties = kb.duties("卫健局")
    assert any(c.text.startswith("=HYPERLINK") for c in duties["assigned"])
    app = create_app({"TESTING": True, "PLANKB_DATA": str(data), "PLANKB_CORPUS": str(corpus)})
    client = app.test_client()
    xlsx = {
        "duties": exports.duties_xlsx(duties, "t", {}),
        "indicators": exports.indicators_xlsx([i.to_dict() for i in indicators.extract(kb)], "t", {}),
        "template": monitor.template(kb),
        "web duties": client.get("/departments/卫健局/export.xlsx").data,
        "web search": client.get("/search/export.xlsx?q=卫健局").data,
        "web departments": client.get("/departments.xlsx").data,
        "web overview": client.get("/overview.xlsx").data,
    }
    for name, body in xlsx.items():
        cells = _xlsx_cells(body)
        assert cells, name
        assert not [c.coordinate for c in cells if c.data_type == "f"], name
        assert not [c.value for c in cells if isinstance(c.value, str) and exports.clean(c.value) != c.value], name
    texts = [c.value for c in _xlsx_cells(xlsx["duties"]) if isinstance(c.value, str)]
    assert any(t.startswith('=HYPERLINK("http://example.invalid"') for t in texts)  # shown as text, as written
    assert any("加强儿童保健服务，推进[31m儿童友好医院建设" in t for t in texts)
    csvs = {
        "duties": exports.duties_csv(duties, {}).decode("utf-8-sig"),
        "indicators": indicators.to_csv(indicators.extract(kb)),
        "web duties": client.get("/departments/卫健局/export.csv").data.decode("utf-8-sig"),
        "web search": client.get("/search/export.csv?q=卫健局").data.decode("utf-8-sig"),
    }
    for name, text in csvs.items():
        cells = [cell for row in csvmod.reader(io.StringIO(text)) for cell in row]
        assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))], name
        assert not [c for c in cells if exports.clean(c) != c], name
        if name != "indicators":
            assert any(c.startswith("'=HYPERLINK") for c in cells), name
    for body in (exports.duties_docx(duties, "t"), client.get("/departments/卫健局/export.docx").data, client.get("/search/export.docx?q=卫健局").data):
        import docx

        d = docx.Document(io.BytesIO(body))
        cells = [cell.text for t in d.tables for row in t.rows for cell in row.cells]
        assert any(c.startswith("=HYPERLINK") for c in cells) and not [c for c in cells if exports.clean(c) != c]
    md = exports.duties_markdown(duties, {})
    assert "\x00" not in md and "\x1b" not in md


def test_department_name_with_line_breaks_never_breaks_a_download(hostile):
    from search_app import create_app

    data, corpus = hostile
    client = create_app({"TESTING": True, "PLANKB_DATA": str(data), "PLANKB_CORPUS": str(corpus)}).test_client()
    resp = client.get("/departments/卫健局%0D%0AX-Evil:%201/export.xlsx")
    assert resp.status_code in (200, 404)
    assert "X-Evil" not in resp.headers
    header = exports.content_disposition("镇原\r\n规划-卫健\x00局-任务清单.xlsx")
    assert "\r" not in header and "\n" not in header and "\x00" not in header


def test_search_exports_record_the_query_its_reading_and_the_date(client):
    import csv as csvmod

    import docx
    from openpyxl import load_workbook

    resp = client.get("/search/export.xlsx?q=妇联负责哪些措施")
    ws = load_workbook(io.BytesIO(resp.data)).active
    assert ws["A1"].value.startswith("检索结果：妇联负责哪些措施")
    assert [c.value for c in ws[2]][:2] == ["序号", "领域"] and ws.auto_filter.ref.startswith("A2:")  # the header comes first
    below = [str(ws.cell(row=r, column=1).value) for r in range(ws.max_row - 3, ws.max_row + 1)]  # notes under the table
    assert any("理解为" in t and "妇联" in t for t in below) and any(exports.cn_date() in t for t in below)
    labels = {c.value for c in ws["G"]}
    assert "本部门承担" in labels and "文本" not in labels
    text = client.get("/search/export.csv?q=宫颈癌").data.decode("utf-8-sig")
    rows = list(csvmod.reader(io.StringIO(text)))
    assert rows[0] == ["检索词", "宫颈癌"] and rows[3][0] == "导出日期"
    assert "关键词匹配" in {r[6] for r in rows if len(r) > 6}
    resp = client.get("/search/export.docx?q=宫颈癌")
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    d = docx.Document(io.BytesIO(resp.data))
    paras = [p.text for p in d.paragraphs]
    assert paras[:2] == ["镇原县妇女发展规划（2021—2030年）", "检索结果：宫颈癌"]
    assert "检索词：宫颈癌" in paras and f"导出日期：{exports.cn_date()}" in paras
    assert len(d.tables[0].rows) - 1 == int(next(p for p in paras if p.startswith("结果：")).split()[1])


def test_departments_table_and_overview_export(client, kb):
    import csv as csvmod

    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(client.get("/departments.xlsx").data)).active
    assert [c.value for c in ws[2]][:4] == ["序号", "部门", "全称", "承担目标"]
    first = [c.value for c in ws[3]]
    assert first[1] == "妇联" and first[3] == 19 and first[4] == 40
    text = client.get("/overview.csv").data.decode("utf-8-sig")
    rows = list(csvmod.reader(io.StringIO(text)))
    matrix = kb.department_matrix()
    assert rows[0] == ["部门", *matrix["domains"], "合计"] and len(rows) == 1 + len(matrix["rows"])
    assert rows[1] == [str(x) for x in [matrix["rows"][0]["department"], *matrix["rows"][0]["cells"], matrix["rows"][0]["total"]]]
