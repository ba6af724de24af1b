"""Exports of duty lists and search results: JSON, CSV (UTF-8 with BOM), Markdown, XLSX, DOCX."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import quote

from kb.model import KIND_LABELS, Clause

GROUPS = (
    ("assigned", "本部门承担"),
    ("lead_in_text", "文中牵头"),
    ("shared", "各成员单位共同承担"),
    ("mentioned", "文中提及"),
)
COLUMNS = ["序号", "领域", "类别", "编号", "内容", "责任单位"]


def duties_json(duties: dict) -> dict:
    """The public JSON of a duty list: clause dicts in three groups."""
    out = {"department": duties["department"]}
    for key, _ in GROUPS:
        out[key] = [c.public_dict() for c in duties[key]]
    if duties.get("notes"):
        out["notes"] = duties["notes"]
    return out


def dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2)


def _has_lead(clauses) -> bool:
    return any(c.lead for c in clauses)


def clause_row(n: int, c: Clause, with_lead: bool) -> list:
    row = [n, c.domain or "", KIND_LABELS.get(c.kind, c.kind), c.number if c.number is not None else "", c.text, "、".join(c.departments)]
    if with_lead:
        row.append(c.lead or "")
    return row


def duty_rows(duties: dict, titles: dict[str, str]):
    """Header and rows for a flat duty table (CSV), groups labelled in a column."""
    every = [c for key, _ in GROUPS for c in duties[key]]
    lead = _has_lead(every)
    header = COLUMNS + (["牵头单位"] if lead else []) + ["分组", "出处", "规划"]
    rows, n = [], 0
    for key, label in GROUPS:
        for c in duties[key]:
            n += 1
            rows.append(clause_row(n, c, lead) + [label, c.citation, titles.get(c.doc, c.doc)])
    return header, rows


def to_csv(header, rows) -> bytes:
    """CSV as Excel opens it without mojibake: UTF-8 with BOM, CRLF line ends."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8-sig")


def duties_csv(duties: dict, titles: dict[str, str]) -> bytes:
    return to_csv(*duty_rows(duties, titles))


def duties_markdown(duties: dict, titles: dict[str, str]) -> str:
    """A Markdown duty list: a table per group."""
    dept = duties["department"]
    lines = [f"# {dept} 任务清单", ""]
    for note in duties.get("notes", []):
        lines += [f"> {note}", ""]
    for key, label in GROUPS:
        items = duties[key]
        lines += [f"## {label}（{len(items)} 条）", ""]
        if not items:
            lines += ["（无）", ""]
            continue
        lead = _has_lead(items)
        head = COLUMNS + (["牵头单位"] if lead else []) + ["出处"]
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|" + "---|" * len(head))
        for i, c in enumerate(items, 1):
            cells = [str(x) for x in clause_row(i, c, lead)] + [c.citation]
            lines.append("| " + " | ".join(x.replace("|", "\\|").replace("\n", "<br>") for x in cells) + " |")
        lines.append("")
    return "\n".join(lines)


def export_title(kb, doc: str | None) -> str:
    """The plan's title for an export: the chosen document, the only one, or a generic one."""
    if doc and doc in kb.docs:
        return kb.docs[doc].title
    if len(kb.documents) == 1:
        return kb.documents[0].title
    return "发展规划"


def filename(title: str, dept: str, ext: str) -> str:
    base = title.split("（")[0].split("(")[0] or title
    return f"{base}-{dept}-任务清单.{ext}"


def content_disposition(name: str) -> str:
    """attachment with an ASCII fallback and the Chinese name as RFC 5987 filename*."""
    ascii_name = "".join(ch if ch.isascii() and ch not in '"\\' else "_" for ch in name)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


# -- XLSX ------------------------------------------------------------------------
def duties_xlsx(duties: dict, title: str, titles: dict[str, str]) -> bytes:
    """A workbook with one sheet per group, laid out for reading and printing on A4."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    dept = duties["department"]
    for key, label in GROUPS:
        items = duties[key]
        lead = _has_lead(items)
        header = COLUMNS + (["牵头单位"] if lead else []) + ["出处"]
        rows = [clause_row(i, c, lead) + [c.citation] for i, c in enumerate(items, 1)]
        heading = f"{title} — {dept} 任务清单（{label}）"
        if duties.get("notes") and not items:
            heading += "：" + "；".join(duties["notes"])
        _sheet(wb, label, heading, header, rows)
    return _save(wb)


def table_xlsx(title: str, sheet: str, header, rows) -> bytes:
    """One formatted sheet (search results)."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    _sheet(wb, sheet, title, header, rows)
    return _save(wb)


WIDTHS = {"序号": 6, "领域": 14, "类别": 10, "编号": 6, "内容": 70, "责任单位": 24, "牵头单位": 14, "出处": 22, "分组": 16, "规划": 30, "匹配": 10}


def _sheet(wb, name, title, header, rows):
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(name[:31])
    ncol = len(header)
    ws.cell(row=1, column=1, value=title).font = Font(name="黑体", size=14, bold=True)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
    ws.row_dimensions[1].height = 28
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for j, h in enumerate(header, 1):
        cell = ws.cell(row=2, column=j, value=h)
        cell.font = Font(name="黑体", bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE6F0")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
        ws.column_dimensions[get_column_letter(j)].width = WIDTHS.get(h, 14)
    for i, row in enumerate(rows, 3):
        for j, value in enumerate(row, 1):
            cell = ws.cell(row=i, column=j, value=value)
            cell.font = Font(name="仿宋")
            cell.alignment = Alignment(vertical="top", wrap_text=True, horizontal="center" if header[j - 1] in ("序号", "编号", "类别") else "left")
            cell.border = border
    ws.freeze_panes = "A3"
    last = get_column_letter(ncol)
    ws.auto_filter.ref = f"A2:{last}{max(2, len(rows) + 2)}"
    ws.print_title_rows = "2:2"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    return ws


def _save(wb) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# -- DOCX ------------------------------------------------------------------------
TITLE_FONT, BODY_FONT, HEAD_FONT = "方正小标宋简体", "仿宋_GB2312", "黑体"


def _font(run, name, size_pt, bold=False):
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = name
    run.font.size = Pt(size_pt)
    run.font.bold = bold
    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(rfonts)
    for attr in ("w:eastAsia", "w:ascii", "w:hAnsi"):
        rfonts.set(qn(attr), name)


def duties_docx(duties: dict, title: str) -> bytes:
    """A 公文-style Word document: A4, GB/T 9704 margins, one part per domain, bordered tables."""
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm

    d = docx.Document()
    sec = d.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin = Mm(37), Mm(35)
    sec.left_margin, sec.right_margin = Mm(28), Mm(26)
    normal = d.styles["Normal"]
    normal.font.name = BODY_FONT
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    dept = duties["department"]
    p = d.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(p.add_run(f"{title}\n{dept}任务清单"), TITLE_FONT, 22)
    for note in duties.get("notes", []):
        _font(d.add_paragraph().add_run(note), BODY_FONT, 16)
    for n_group, (key, label) in enumerate(((k, l) for k, l in GROUPS if duties[k]), 1):
        items = duties[key]
        _font(d.add_paragraph().add_run(f"{_cn_num(n_group)}、{label}（{len(items)} 条）"), HEAD_FONT, 16)
        by_domain: dict[str, list[Clause]] = {}
        for c in items:
            by_domain.setdefault(c.domain or c.citation.split(" ")[0] or "其他", []).append(c)
        for n, (domain, clauses) in enumerate(by_domain.items(), 1):
            _font(d.add_paragraph().add_run(f"（{_cn_num(n)}）{domain}"), "楷体_GB2312", 16, bold=True)
            table = d.add_table(rows=1, cols=5)
            table.style = "Table Grid"
            table.alignment = WD_TABLE_ALIGNMENT.CENTER
            for cell, text in zip(table.rows[0].cells, ["序号", "类别", "编号", "内容", "责任单位"]):
                _font(cell.paragraphs[0].add_run(text), HEAD_FONT, 12)
            for i, c in enumerate(clauses, 1):
                cells = table.add_row().cells
                values = [str(i), KIND_LABELS.get(c.kind, c.kind), "" if c.number is None else str(c.number), c.text, _dept_text(c)]
                for cell, text in zip(cells, values):
                    _font(cell.paragraphs[0].add_run(text), BODY_FONT, 12)
            widths = [Mm(12), Mm(20), Mm(12), Mm(95), Mm(30)]
            for row in table.rows:
                for cell, w in zip(row.cells, widths):
                    cell.width = w
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _dept_text(c: Clause) -> str:
    text = "、".join(c.departments)
    if c.lead:
        text += f"（牵头：{c.lead}）"
    return text


def _cn_num(n: int) -> str:
    from kb.parser import cn_numeral

    return cn_numeral(n)


# -- search results ------------------------------------------------------------------
RESULT_HEADER = ["序号", "领域", "类别", "编号", "内容", "责任单位", "匹配", "出处", "规划"]
MATCH_LABELS = {"assigned": "承担", "lead_in_text": "文中牵头", "shared": "共同承担", "mentioned": "提及", "text": "文本"}


def result_rows(result: dict, titles: dict[str, str]):
    rows = []
    for i, h in enumerate(result["hits"], 1):
        rows.append([i, h["domain"] or "", KIND_LABELS.get(h["kind"], h["kind"]), "" if h["number"] is None else h["number"], h["text"], "、".join(h["departments"]), MATCH_LABELS.get(h["match"], h["match"]), h["citation"], titles.get(h["doc"], h["doc"])])
    return RESULT_HEADER, rows
