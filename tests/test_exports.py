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
    assert wb.sheetnames == ["本部门承担", "文中牵头", "各成员单位共同承担", "文中提及"]
    ws = wb["本部门承担"]
    assert ws["A1"].value == "镇原县妇女发展规划（2021—2030年） — 卫健局 任务清单（本部门承担）"
    assert [c.value for c in ws[2]] == ["序号", "领域", "类别", "编号", "内容", "责任单位", "出处"]
    assert all(c.font.bold for c in ws[2])
    assert ws.freeze_panes == "A3"
    assert ws.auto_filter.ref == "A2:G27"
    assert ws.max_row == 2 + 25
    assert ws["E3"].alignment.wrap_text and ws.column_dimensions["E"].width >= 60
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
    assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows in ("2:2", "$2:$2")
    assert wb["各成员单位共同承担"].max_row == 2 + 12


def test_docx_gongwen_style(kb, duties):
    import docx
    from docx.oxml.ns import qn

    d = docx.Document(io.BytesIO(exports.duties_docx(duties, exports.export_title(kb, None))))
    sec = d.sections[0]
    mm = lambda v: round(v.mm, 1)  # Word stores twips: compare in millimetres
    assert (mm(sec.page_width), mm(sec.page_height)) == (210, 297)
    assert (mm(sec.top_margin), mm(sec.bottom_margin), mm(sec.left_margin), mm(sec.right_margin)) == (37, 35, 28, 26)
    title_run = d.paragraphs[0].runs[0]
    assert "卫健局任务清单" in title_run.text
    assert title_run._element.rPr.rFonts.get(qn("w:eastAsia")) == exports.TITLE_FONT
    headings = [p.text for p in d.paragraphs]
    assert "一、本部门承担（25 条）" in headings and "二、各成员单位共同承担（12 条）" in headings
    assert "（一）妇女与健康" in headings
    table = d.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["序号", "类别", "编号", "内容", "责任单位"]
    assert table.style.name == "Table Grid"
    body_run = table.rows[1].cells[3].paragraphs[0].runs[0]
    assert body_run._element.rPr.rFonts.get(qn("w:eastAsia")) == exports.BODY_FONT
    assert sum(len(t.rows) - 1 for t in d.tables) == 25 + 12


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
    assert table.rows[1].cells[4].text == "卫健局、妇联、教育局（牵头：卫健局）"


def test_document_without_tags_says_so(family_kb):
    national = family_kb.document("national")
    assert national.assigns_departments is False
    d = family_kb.duties("卫健局", doc="national")
    assert d["assigned"] == [] and [c.citation for c in d["lead_in_text"] + d["mentioned"]] == ["二（一）策略措施 第1条"]
    assert d["notes"] == ["《中国儿童发展纲要（2021—2030年）》没有为目标和措施标注责任单位，以下只列出文中提及本部门的条款"]
    assert national.level == "国家"
    assert "没有为目标和措施标注责任单位" in exports.duties_markdown(d, {})
