"""Exports of duty lists, search results and the site's tables: JSON, CSV, Markdown, XLSX, DOCX.

Every file is made to be handed over as it is: Excel sheets wrap long text and size every row to
show the whole clause on the printout; Word lists follow 公文 conventions (GB/T 9704 margins,
黑体/楷体/仿宋, page numbers as “— 1 —”) with a real table grid and a header row repeated on each
page; every row cites the plan with its own numbering. No cell is ever a live formula and no text
can break a file (kb.cells).
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import math
import re
from urllib.parse import quote

from kb.cells import SafeWriter, clean, filename_part, workbook_bytes
from kb.model import KIND_LABELS, RELATION_LABELS, RELATIONS, Clause
from kb.reader.rules import cn_numeral
from kb.terminal import display_width

COLUMNS = ["序号", "领域", "类别", "编号", "内容", "责任单位"]
MATCH_LABELS = {**RELATION_LABELS, "text": "关键词匹配"}


def groups(duties: dict) -> list[tuple[str, str]]:
    """The relation groups a duty list holds, strongest first, with their Chinese labels."""
    return [(key, RELATION_LABELS[key]) for key in RELATIONS if key in duties]


def today() -> _dt.date:
    return _dt.date.today()


def cn_date(day: _dt.date | None = None) -> str:
    day = day or today()
    return f"{day.year}年{day.month}月{day.day}日"


def duties_json(duties: dict) -> dict:
    """The public JSON of a duty list: clause dicts per relation group."""
    out = {"department": duties["department"]}
    for key, _ in groups(duties):
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
    every = [c for key, _ in groups(duties) for c in duties[key]]
    lead = _has_lead(every)
    header = COLUMNS + (["牵头单位"] if lead else []) + ["分组", "出处", "规划"]
    rows, n = [], 0
    for key, label in groups(duties):
        for c in duties[key]:
            n += 1
            rows.append(clause_row(n, c, lead) + [label, c.citation, titles.get(c.doc, c.doc)])
    return header, rows


def to_csv(header, rows, preamble=()) -> bytes:
    """CSV as Excel opens it without mojibake: UTF-8 with BOM, CRLF line ends, no live formulas."""
    buf = io.StringIO()
    writer = SafeWriter(buf, lineterminator="\r\n")
    for line in preamble:
        writer.writerow(line)
    if preamble:
        writer.writerow([])
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8-sig")


def duties_csv(duties: dict, titles: dict[str, str]) -> bytes:
    return to_csv(*duty_rows(duties, titles))


def duties_markdown(duties: dict, titles: dict[str, str]) -> str:
    """A Markdown duty list: a table per group."""
    dept = duties["department"]
    lines = [f"# {clean(dept)} 任务清单", ""]
    for note in duties.get("notes", []):
        lines += [f"> {note}", ""]
    for key, label in groups(duties):
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
            cells = [str(clean(x)) for x in clause_row(i, c, lead)] + [c.citation]
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
    return f"{filename_part(base)}-{filename_part(dept)}-任务清单.{ext}"


def content_disposition(name: str) -> str:
    """attachment with an ASCII fallback and the Chinese name as RFC 5987 filename*."""
    name = filename_part(name.rsplit(".", 1)[0]) + ("." + name.rsplit(".", 1)[1] if "." in name else "")
    ascii_name = "".join(ch if ch.isascii() and ch.isprintable() and ch not in '"\\;' else "_" for ch in name)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


# -- XLSX ------------------------------------------------------------------------
WIDTHS = {"序号": 6, "领域": 12, "类别": 9, "编号": 6, "内容": 62, "责任单位": 22, "牵头单位": 12, "出处": 20, "分组": 12, "规划": 26, "匹配方式": 11, "部门": 16, "全称": 24}
LINE_PT = 15.0  # one line of 11 pt text, with leading
XLSX_FONT_PT = 11


def duties_xlsx(duties: dict, title: str, titles: dict[str, str]) -> bytes:
    """A workbook with one sheet per group, laid out for reading and printing on A4."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    dept = duties["department"]
    for key, label in groups(duties):
        items = duties[key]
        lead = _has_lead(items)
        header = COLUMNS + (["牵头单位"] if lead else []) + ["出处"]
        rows = [clause_row(i, c, lead) + [c.citation] for i, c in enumerate(items, 1)]
        heading = f"{title}　{dept}任务清单（{label}，{len(items)} 条）　导出日期：{cn_date()}"
        empty = "无" + ("：" + "；".join(duties["notes"]) if duties.get("notes") else "")
        _sheet(wb, label, heading, header, rows, empty=empty)
    wb.properties.title = f"{title}{dept}任务清单"
    wb.properties.creator = "plankb"
    return workbook_bytes(wb)


def table_xlsx(title: str, sheet: str, header, rows, notes=()) -> bytes:
    """One formatted sheet (search results, the departments table, the overview)."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    _sheet(wb, sheet, title, header, rows, notes=notes)
    wb.properties.title = title
    wb.properties.creator = "plankb"
    return workbook_bytes(wb)


def row_height(values, widths) -> float:
    """Points a row needs to show every cell's whole text, wrapped at its column's width."""
    lines = 1
    for value, width in zip(values, widths):
        text = str(clean(value)) if value is not None else ""
        per_line = max(1.0, width - 1.5)  # column width in character units, less the cell padding
        need = sum(max(1, math.ceil(display_width(part) * 1.08 / per_line)) for part in text.split("\n"))
        lines = max(lines, need)
    return round(lines * LINE_PT + 4, 1)


def _sheet(wb, name, title, header, rows, empty="无", notes=()):
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(clean(name)[:31])
    ncol = len(header)
    widths = [WIDTHS.get(h, 12) for h in header]
    ws.cell(row=1, column=1, value=title).font = Font(name="黑体", size=14, bold=True)
    ws.cell(row=1, column=1).alignment = Alignment(wrap_text=True, vertical="center")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
    ws.row_dimensions[1].height = max(30, row_height([title], [sum(widths) * 0.75]))
    first = 2
    for note in notes:
        ws.cell(row=first, column=1, value=note).font = Font(name="仿宋", size=XLSX_FONT_PT)
        ws.merge_cells(start_row=first, start_column=1, end_row=first, end_column=ncol)
        first += 1
    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for j, h in enumerate(header, 1):
        cell = ws.cell(row=first, column=j, value=h)
        cell.font = Font(name="黑体", size=XLSX_FONT_PT, bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE6F0")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
        ws.column_dimensions[get_column_letter(j)].width = widths[j - 1]
    ws.row_dimensions[first].height = 20
    if not rows:
        ws.cell(row=first + 1, column=1, value=empty).font = Font(name="仿宋", size=XLSX_FONT_PT)
        ws.merge_cells(start_row=first + 1, start_column=1, end_row=first + 1, end_column=ncol)
    for i, row in enumerate(rows, first + 1):
        for j, value in enumerate(row, 1):
            if header[j - 1] in ("序号", "编号"):  # labels, not quantities: text like every other label
                value = str(value)
            cell = ws.cell(row=i, column=j, value=value)
            cell.font = Font(name="仿宋", size=XLSX_FONT_PT)
            centred = header[j - 1] in ("序号", "编号", "类别") or isinstance(value, (int, float))
            cell.alignment = Alignment(vertical="top", wrap_text=True, horizontal="center" if centred else "left")
            cell.border = border
        ws.row_dimensions[i].height = row_height(row, widths)
    ws.freeze_panes = ws.cell(row=first + 1, column=1)
    last = get_column_letter(ncol)
    ws.auto_filter.ref = f"A{first}:{last}{max(first, len(rows) + first)}"
    ws.print_title_rows = f"{first}:{first}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    return ws


# -- DOCX ------------------------------------------------------------------------
TITLE_FONT, BODY_FONT, HEAD_FONT, SUB_FONT = "方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312"
DUTY_COLUMNS = (("序号", 10), ("内容", 92), ("责任单位", 26), ("出处", 28))  # mm; 内容 is 59 %
RESULT_COLUMNS = (("序号", 10), ("内容", 96), ("匹配方式", 20), ("出处", 30))


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


def _para(d, text, font, size, bold=False, align=None, space_after=0):
    from docx.shared import Pt

    p = d.add_paragraph()
    if align is not None:
        p.alignment = align
    p.paragraph_format.space_after = Pt(space_after)
    _font(p.add_run(clean(text)), font, size, bold)
    return p


def _document(title: str, subject: str):
    """A 公文-style document: A4 portrait, GB/T 9704 margins, page numbers “— 1 —”, core properties."""
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.oxml.ns import qn
    from docx.shared import Mm

    d = docx.Document()
    sec = d.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin = Mm(37), Mm(35)
    sec.left_margin, sec.right_margin = Mm(28), Mm(26)
    sec.footer_distance = Mm(20)
    normal = d.styles["Normal"]
    normal.font.name = BODY_FONT
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    _page_number_footer(sec)
    props = d.core_properties
    now = _dt.datetime.now(_dt.UTC).replace(microsecond=0)
    props.title = clean(f"{title}{subject}")
    props.subject = clean(subject)
    props.author = "plankb"
    props.last_modified_by = "plankb"
    props.created = now
    props.modified = now
    props.revision = 1
    props.comments = "由 plankb 根据规划原文生成"
    return d


def _page_number_footer(section):
    """Centred page number in the official style: — 1 —, 宋体 四号."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(p.add_run("— "), "宋体", 14)
    run = p.add_run()
    _font(run, "宋体", 14)
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        elif text.strip() == "PAGE":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        else:
            el = OxmlElement("w:t")
            el.text = text
        run._element.append(el)
    _font(p.add_run(" —"), "宋体", 14)


def _table(d, columns, rows, size=12):
    """A bordered table whose grid carries the column widths (LibreOffice and WPS read the grid)
    and whose header row repeats on every page."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm

    table = d.add_table(rows=1, cols=len(columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    tbl = table._tbl
    grid = tbl.tblGrid
    for gc, (_, width) in zip(grid.findall(qn("w:gridCol")), columns):
        gc.set(qn("w:w"), str(int(Mm(width).twips)))
    tblpr = tbl.tblPr
    tblw = tblpr.find(qn("w:tblW"))
    if tblw is None:
        tblw = OxmlElement("w:tblW")
        tblpr.append(tblw)
    tblw.set(qn("w:type"), "dxa")
    tblw.set(qn("w:w"), str(int(Mm(sum(w for _, w in columns)).twips)))
    head = table.rows[0]
    trpr = head._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    trpr.append(repeat)
    for cell, (text, _) in zip(head.cells, columns):
        _font(cell.paragraphs[0].add_run(text), HEAD_FONT, size)
    for values in rows:
        row = table.add_row()
        keep = OxmlElement("w:cantSplit")  # a clause stays on one page (its row is never split)
        keep.set(qn("w:val"), "true")
        row._tr.get_or_add_trPr().append(keep)
        cells = row.cells
        for cell, value in zip(cells, values):
            bold = isinstance(value, tuple)
            _font(cell.paragraphs[0].add_run(clean(str(value[0] if bold else value))), BODY_FONT, size, bold)
    for row in table.rows:
        for cell, (_, width) in zip(row.cells, columns):
            cell.width = Mm(width)
    return table


_CN = "一二三四五六七八九十"
# The numbering a citation starts with: its part (第二章, 第一部分, 二) and section (第一节, （三）).
RE_CITED_SECTION = re.compile(rf"^(第[{_CN}]+(?:章|部分)|[{_CN}]+(?=（|、| |第))(第[{_CN}]+节|（[{_CN}]+）)?")


def section_heading(c: Clause) -> str:
    """The plan's own heading of a clause's section, numbered as the plan numbers it: 二（三）妇女与经济,
    第二章第一节　儿童与健康."""
    m = RE_CITED_SECTION.match(c.citation or "")
    if m and m.group(1).startswith("第"):
        if c.section is not None and m.group(2):
            return f"{m.group(1)}{m.group(2)}　{c.section_title or ''}".rstrip("　")
        if c.section is None:
            return f"{m.group(1)}　{c.part_title or ''}".rstrip("　")
    where = "前言" if c.part == 0 else cn_numeral(c.part) if c.part else ""
    if c.section is not None:
        where += f"（{cn_numeral(c.section)}）"
        return where + (c.section_title or "")
    return (where + "、" if where and where != "前言" else where) + (c.part_title or "" if where != "前言" else "")


def duties_docx(duties: dict, title: str) -> bytes:
    """A 公文-style duty list: per group, per plan section, a table citing every clause exactly."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    dept = clean(duties["department"])
    d = _document(title, f"{dept}任务清单")
    _para(d, title, TITLE_FONT, 22, align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(d, f"{dept}任务清单", TITLE_FONT, 22, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=6)
    total = sum(len(duties[k]) for k, _ in groups(duties))
    _para(d, f"导出日期：{cn_date()}　共 {total} 条（出处为规划原文编号）", SUB_FONT, 14, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=12)
    for note in duties.get("notes", []):
        _para(d, note, BODY_FONT, 16)
    n_group = 0
    for key, label in groups(duties):
        items = duties[key]
        if not items:
            continue
        n_group += 1
        _para(d, f"{cn_numeral(n_group)}、{label}（{len(items)} 条）", HEAD_FONT, 16, space_after=6)
        by_section: dict[tuple, list[Clause]] = {}
        for c in items:
            by_section.setdefault((c.doc, c.part, c.section), []).append(c)
        docs = {c.doc for c in items}
        for (doc, _, _), clauses in by_section.items():
            heading = section_heading(clauses[0]) or "其他"
            _para(d, heading + (f"（{doc}）" if len(docs) > 1 else ""), SUB_FONT, 16, bold=True, space_after=4)
            rows = [(str(i), c.text, _dept_text(c), (c.citation,)) for i, c in enumerate(clauses, 1)]
            _table(d, DUTY_COLUMNS, rows)
            _para(d, "", BODY_FONT, 8)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _dept_text(c: Clause) -> str:
    text = "、".join(c.departments)
    if c.lead:
        text += f"（牵头：{c.lead}）"
    return text


# -- search results ------------------------------------------------------------------
RESULT_HEADER = ["序号", "领域", "类别", "编号", "内容", "责任单位", "匹配方式", "出处", "规划"]


def result_rows(result: dict, titles: dict[str, str]) -> tuple[list[str], list[list]]:
    rows = []
    for i, h in enumerate(result["hits"], 1):
        number = "" if h["number"] is None else h["number"]
        rows.append([i, h["domain"] or "", KIND_LABELS.get(h["kind"], h["kind"]), number, h["text"], "、".join(h["departments"]),
                     MATCH_LABELS.get(h["match"], h["match"]), h["citation"], titles.get(h["doc"], h["doc"])])
    return RESULT_HEADER, rows


def result_summary(result: dict) -> list[tuple[str, str]]:
    """What a search export records: the query, how it was understood, the count, the date."""
    it = result.get("interpreted", {})
    understood = it.get("description") or "按关键词检索"
    if it.get("keywords"):
        understood += "；关键词：" + " ".join(it["keywords"])
    rows = [("检索词", result.get("query") or "（无，仅按条件筛选）"), ("理解为", understood), ("结果", f"共 {result.get('total', 0)} 条"), ("导出日期", cn_date())]
    if result.get("full_matches") is not None and result.get("full_matches") != result.get("total"):
        rows.insert(3, ("完全匹配", f"{result['full_matches']} 条包含全部关键词"))
    return rows


def results_xlsx(result: dict, titles: dict[str, str]) -> bytes:
    header, rows = result_rows(result, titles)
    summary = result_summary(result)
    title = f"检索结果：{summary[0][1]}（{summary[2][1]}）"
    return table_xlsx(title, "检索结果", header, rows, notes=[f"{k}：{v}" for k, v in summary[1:]])


def results_csv(result: dict, titles: dict[str, str]) -> bytes:
    return to_csv(*result_rows(result, titles), preamble=[list(p) for p in result_summary(result)])


def results_docx(result: dict, titles: dict[str, str]) -> bytes:
    """Search results as a Word document: the query and its reading, then every hit in a table."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    summary = result_summary(result)
    d = _document("检索结果", f"：{summary[0][1]}")
    _para(d, "检索结果", TITLE_FONT, 22, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=12)
    for k, v in summary:
        _para(d, f"{k}：{v}", BODY_FONT, 14)
    _para(d, "", BODY_FONT, 8)
    rows = []
    for i, h in enumerate(result["hits"], 1):
        text = h["text"] + ("\n责任单位：" + "、".join(h["departments"]) if h["departments"] else "")
        source = h["citation"] + ("\n" + titles[h["doc"]] if len(titles) > 1 and h["doc"] in titles else "")
        rows.append((str(i), text, MATCH_LABELS.get(h["match"], h["match"]), (source,)))
    if rows:
        _table(d, RESULT_COLUMNS, rows)
    else:
        _para(d, "无", BODY_FONT, 14)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


# -- the site's tables -------------------------------------------------------------------
def departments_rows(rows: list[dict]):
    """The departments table (KnowledgeBase.department_counts) as header and rows."""
    header = ["序号", "部门", "全称", "承担目标", "承担措施", "承担其他", "共同承担", "文中提及"]
    extra = "lead_in_text" in (rows[0] if rows else {})
    if extra:
        header.insert(7, "文中牵头")
    out = []
    for i, r in enumerate(rows, 1):
        row = [i, r["department"], r["full"], r["goals"], r["measures"], r["other"], r["shared"], r["mentioned"]]
        if extra:
            row.insert(7, r["lead_in_text"])
        out.append(row)
    return header, out


def matrix_rows(matrix: dict):
    """The department × domain overview (KnowledgeBase.department_matrix) as header and rows."""
    header = ["部门", *matrix["domains"], "合计"]
    rows = [[r["department"], *r["cells"], r["total"]] for r in matrix["rows"]]
    return header, rows
