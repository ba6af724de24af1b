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
from kb.terminal import display_width

COLUMNS = ["序号", "领域", "类别", "编号", "内容", "责任单位"]
MATCH_LABELS = {**RELATION_LABELS, "text": "关键词匹配"}


# The duties every unit has (共同职责) come first: a clerk starts with them (实施方案, yearly reports).
GROUP_ORDER = ("common", *RELATIONS)
GROUP_LABELS = {"common": "共同职责", **RELATION_LABELS}


def groups(duties: dict) -> list[tuple[str, str]]:
    """The groups a duty list holds, in list order, with their Chinese labels."""
    return [(key, GROUP_LABELS[key]) for key in GROUP_ORDER if key in duties]


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


COMMON_UNITS = "各责任单位"


def units_of(c: Clause, duties: dict | None = None) -> list[str]:
    """The units a row names: the clause's tag; for a common duty every unit; for another untagged
    clause the units its text names."""
    if c.departments or duties is None:
        return list(c.departments)
    if any(c is other for other in duties.get("common", ())):
        return [COMMON_UNITS]
    return list(duties.get("named", {}).get(c.id, ()))


def clause_row(n: int, c: Clause, with_lead: bool, duties: dict | None = None) -> list:
    units = units_of(c, duties)
    number = c.number if c.number is not None else ""
    row = [n, c.domain or c.part_title or "", KIND_LABELS.get(c.kind, c.kind), number, c.text, "、".join(units)]
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
            rows.append(clause_row(n, c, lead, duties) + [label, c.citation, titles.get(c.doc, c.doc)])
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
            cells = [str(clean(x)) for x in clause_row(i, c, lead, duties)] + [c.citation]
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
WIDTHS = {
    "序号": 6, "领域": 12, "类别": 9, "编号": 6, "内容": 62, "责任单位": 22, "牵头单位": 12, "出处": 20, "分组": 12,
    "规划": 26, "匹配方式": 11, "部门": 16, "全称": 24, "文中表述": 30,
    "指标": 26, "目标": 14, "原文": 48, "最新值": 10, "年份": 7, "状态": 8,
}
LINE_PT = 15.0  # one line of 11 pt text, with leading
XLSX_FONT_PT = 11


def duties_xlsx(duties: dict, title: str, titles: dict[str, str]) -> bytes:
    """A workbook with one sheet per group that has clauses (a sheet saying only 无 would print a page
    of its own), laid out for reading and printing on A4."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    dept = duties["department"]
    present = [(key, label) for key, label in groups(duties) if duties[key]]
    for key, label in present:
        items = duties[key]
        lead = _has_lead(items)
        named = key in ("lead_in_text", "common")
        header = COLUMNS + (["牵头单位"] if lead else []) + (["文中表述"] if named else []) + ["出处"]
        rows = []
        for i, c in enumerate(items, 1):
            row = clause_row(i, c, lead, duties)
            if named:
                row.append(naming_sentence(c, dept, key) or "")
            rows.append(row + [c.citation])
        heading = f"{title}　{dept}任务清单（{label}，{len(items)} 条）　导出日期：{cn_date()}"
        _sheet(wb, label, heading, header, rows, notes=duties.get("notes", ()))
    if not present:
        empty = "；".join(duties.get("notes", ())) or f"规划没有给{dept}的条款"
        _sheet(wb, "任务清单", f"{title}　{dept}任务清单　导出日期：{cn_date()}", COLUMNS + ["出处"], [], empty=empty)
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
    first = 2  # the header row right under the title, so Excel's filter finds the table by itself
    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for j, h in enumerate(header, 1):
        cell = ws.cell(row=first, column=j, value=h)
        cell.font = Font(name="黑体", size=XLSX_FONT_PT, bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE6F0")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
        ws.column_dimensions[get_column_letter(j)].width = widths[j - 1]
    ws.row_dimensions[first].height = max(20, row_height(header, widths))
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
    below = first + max(1, len(rows)) + 2  # notes below the table, after a blank row
    for k, note in enumerate(notes):
        ws.cell(row=below + k, column=1, value=note).font = Font(name="仿宋", size=XLSX_FONT_PT)
        ws.cell(row=below + k, column=1).alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(start_row=below + k, start_column=1, end_row=below + k, end_column=ncol)
        ws.row_dimensions[below + k].height = row_height([note], [sum(widths)])
    ws.freeze_panes = ws.cell(row=first + 1, column=1)
    last = get_column_letter(ncol)
    ws.auto_filter.ref = f"A{first}:{last}{max(first, len(rows) + first)}"
    ws.print_title_rows = f"1:{first}"  # the title and the header on every printed page
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
# 公文 faces by the names stock Windows, WPS and LibreOffice know, each declared in the font table
# with its English name as the fallback (altName) and the GB2312 charset.
TITLE_FONT, BODY_FONT, HEAD_FONT, SUB_FONT, NUMBER_FONT = "宋体", "仿宋", "黑体", "楷体", "宋体"
FONTS = {  # name: (altName, panose-1, family, pitch)
    "宋体": ("SimSun", "02010600030101010101", "auto", "variable"),
    "仿宋": ("FangSong", "02010609060101010101", "modern", "fixed"),
    "黑体": ("SimHei", "02010609060101010101", "modern", "fixed"),
    "楷体": ("KaiTi", "02010609060101010101", "modern", "fixed"),
}
PAGE_WIDTH_MM = 210 - 28 - 26  # A4 less the GB/T 9704 left and right margins
CELL_MARGIN_MM = 1.2  # left and right cell margins (Table Grid's own 1.9 mm leaves the text column too narrow)
CELL_PADDING_MM = CELL_MARGIN_MM * 2 + 1.0  # both margins and a little slack
BODY_PT, SIDE_PT = 12, 10.5  # 小四 for the clause, 五号 for the units and the citation
MAX_UNIT_CHARS = 12
RESULT_COLUMNS = (("序号", 14), ("内容", 92), ("匹配方式", 20), ("出处", 30))


def _pt_mm(pt: float) -> float:
    return pt * 25.4 / 72


def _chars_mm(chars: float, pt: float) -> float:
    """Width of a cell that holds `chars` full-width characters of `pt` on one line."""
    return round(chars * _pt_mm(pt) + CELL_PADDING_MM, 1)


def _font(run, name, size_pt, bold=False):
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = name
    run.font.size = Pt(size_pt)
    run.font.bold = bold
    rfonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:eastAsia", "w:ascii", "w:hAnsi"):
        rfonts.set(qn(attr), name)


def _para(d, text, font, size, bold=False, align=None, space_after=0, style=None):
    from docx.shared import Pt

    p = d.add_paragraph(style=style)
    if align is not None:
        p.alignment = align
    p.paragraph_format.space_after = Pt(space_after)
    _font(p.add_run(clean(text)), font, size, bold)
    return p


def _style_fonts(style, name, size_pt, bold=False):
    """A style's face for every script (theme fonts removed, so the named face and its fallback apply)."""
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    style.font.size = Pt(size_pt)
    style.font.bold = bold
    style.font.italic = False
    style.font.color.rgb = RGBColor(0, 0, 0)
    rfonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in list(rfonts.attrib):
        if attr.endswith("Theme"):
            del rfonts.attrib[attr]
    for attr in ("w:eastAsia", "w:ascii", "w:hAnsi", "w:cs"):
        rfonts.set(qn(attr), name)


def _heading_styles(d):
    """标题 1 (黑体 三号) for the list's groups, 标题 2 (楷体 三号) for the plan's sections; both keep
    with the next paragraph or table, so a heading never ends a page."""
    from docx.shared import Pt

    looks = (("Heading 1", HEAD_FONT, 16, False, 12), ("Heading 2", SUB_FONT, 16, True, 8))
    for style_name, font, size, bold, before in looks:
        style = d.styles[style_name]
        _style_fonts(style, font, size, bold)
        fmt = style.paragraph_format
        fmt.keep_with_next = True
        fmt.keep_together = True
        fmt.space_before, fmt.space_after = Pt(before), Pt(6)
        fmt.line_spacing = 1.0
    _style_fonts(d.styles["Normal"], BODY_FONT, 12)


def _declare_fonts(d):
    """Every face the document names, in word/fontTable.xml with its fallback name and charset."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from lxml import etree

    part = d.part.part_related_by(RT.FONT_TABLE)
    root = etree.fromstring(part.blob)
    w = root.nsmap.get("w") or "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    for old in [f for f in root if f.get(f"{{{w}}}name") in FONTS]:
        root.remove(old)
    for name, (alt, panose, family, pitch) in FONTS.items():
        font = etree.SubElement(root, f"{{{w}}}font", {f"{{{w}}}name": name})
        fields = (("altName", alt), ("panose1", panose), ("charset", "86"), ("family", family), ("pitch", pitch))
        for tag, value in fields:
            etree.SubElement(font, f"{{{w}}}{tag}", {f"{{{w}}}val": value})
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _document(title: str, subject: str):
    """A 公文-style document: A4 portrait, GB/T 9704 margins, page numbers “— 1 —”, core properties."""
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.shared import Mm

    d = docx.Document()
    sec = d.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin = Mm(37), Mm(35)
    sec.left_margin, sec.right_margin = Mm(28), Mm(26)
    sec.footer_distance = Mm(20)
    _heading_styles(d)
    _page_number_footer(sec)
    props = d.core_properties
    now = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
    props.title = clean(f"{title}{subject}")
    props.subject = clean(subject)
    props.author = "plankb"
    props.last_modified_by = "plankb"
    props.created = now
    props.modified = now
    props.revision = 1
    props.comments = "由 plankb 根据规划原文生成"
    return d


def _save(d) -> bytes:
    _declare_fonts(d)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _page_number_footer(section):
    """Centred page number in the official style: — 1 —, 宋体 四号."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(p.add_run("— "), NUMBER_FONT, 14)
    run = p.add_run()
    _font(run, NUMBER_FONT, 14)
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
    _font(p.add_run(" —"), NUMBER_FONT, 14)


def _row_flag(row, tag):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    el = OxmlElement(tag)
    el.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(el)


def _cell_text(cell, value, size):
    """A cell's paragraph: a string, a list of lines (joined by line breaks), or a tuple of runs (text, bold)."""
    p = cell.paragraphs[0]
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list):
        for i, line in enumerate(value):
            run = p.add_run(clean(line))
            _font(run, BODY_FONT, size)
            if i < len(value) - 1:
                run.add_break()
        return
    for text, bold in value:  # runs
        _font(p.add_run(clean(text)), BODY_FONT, size, bold)


def _table(d, columns, rows, sizes=None):
    """A bordered table whose grid carries the column widths (LibreOffice and WPS read the grid),
    whose header row repeats on every page and never splits, and whose rows stay whole on a page."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm

    sizes = sizes or [BODY_PT] * len(columns)
    table = d.add_table(rows=1, cols=len(columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    tbl = table._tbl
    for gc, (_, width) in zip(tbl.tblGrid.findall(qn("w:gridCol")), columns):
        gc.set(qn("w:w"), str(int(Mm(width).twips)))
    tblpr = tbl.tblPr
    tblw = tblpr.find(qn("w:tblW"))
    if tblw is None:
        tblw = OxmlElement("w:tblW")
        tblpr.append(tblw)
    tblw.set(qn("w:type"), "dxa")
    tblw.set(qn("w:w"), str(int(Mm(sum(w for _, w in columns)).twips)))
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(int(Mm(CELL_MARGIN_MM).twips)))
        el.set(qn("w:type"), "dxa")
        margins.append(el)
    look = tblpr.find(qn("w:tblLook"))  # the schema's order: tblCellMar comes before tblLook
    if look is not None:
        look.addprevious(margins)
    else:
        tblpr.append(margins)
    head = table.rows[0]
    _row_flag(head, "w:cantSplit")
    _row_flag(head, "w:tblHeader")
    for cell, (text, _) in zip(head.cells, columns):
        _font(cell.paragraphs[0].add_run(text), HEAD_FONT, BODY_PT)
        cell.paragraphs[0].alignment = 1  # centred
    for values in rows:
        row = table.add_row()
        _row_flag(row, "w:cantSplit")  # a clause stays on one page
        for cell, value, size in zip(row.cells, values, sizes):
            _cell_text(cell, value, size)
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
    from kb.parser import cn_numeral

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


def unit_lines(tokens: list[str], capacity: float) -> list[str]:
    """Units laid out on lines of `capacity` full-width characters, a line breaking only after 、:
    a name is never split (a name longer than a line has a line of its own)."""
    lines: list[str] = []
    for token in _joined(tokens):
        if lines and display_width(lines[-1] + token) / 2 <= capacity:
            lines[-1] += token
        else:
            lines.append(token)
    return lines


def _joined(tokens: list[str]) -> list[str]:
    """Each unit with the 、 that follows it (none before a bracketed note such as （牵头：卫健局）)."""
    followed = [i < len(tokens) - 1 and not tokens[i + 1].startswith("（") for i in range(len(tokens))]
    return [t + ("、" if more else "") for t, more in zip(tokens, followed, strict=True)]


def _row_units(c: Clause, duties: dict, key: str) -> list[str]:
    """The 责任单位 tokens of a row: the tag's units, or the units the text names with the lead marked."""
    dept = duties["department"]
    units = units_of(c, duties)
    if key == "lead_in_text":
        units = [f"{dept}（牵头）"] + [u for u in units if u != dept]
    if c.lead and c.departments:
        units.append(f"（牵头：{c.lead}）")
    return units


def naming_sentence(c: Clause, dept: str, key: str) -> str | None:
    """The sentence that makes an untagged clause the unit's duty (the one naming it, or the common one)."""
    from kb.common_duties import SENTENCE, common_sentence

    if key == "common":
        return common_sentence(c)
    if key == "lead_in_text":
        return next((s.strip() for s in SENTENCE.findall(c.text) if dept in s), None)
    return None


def _text_runs(c: Clause, sentence: str | None) -> tuple[tuple[str, bool], ...]:
    """A clause's text as runs, the sentence that names the unit in bold."""
    if not sentence or sentence not in c.text:
        return ((c.text, False),)
    before, _, after = c.text.partition(sentence)
    return tuple((t, b) for t, b in ((before, False), (sentence, True), (after, False)) if t)


def _citation_lines(c: Clause) -> list[str]:
    """The citation on at most two lines: 二（三）策略措施 / 第11条; an untagged clause adds its part."""
    head, _, rest = c.citation.partition(" ")
    if rest:
        return [head, rest]
    return [head, c.domain or c.part_title or ""] if (c.domain or c.part_title) else [head]


def duty_columns(rows_units: list[list[str]], citations: list[list[str]]) -> tuple[tuple[str, float], ...]:
    """Column widths from content: 序号 two characters, 责任单位 the longest unit name (with its 、),
    出处 its longer line, 内容 the rest of the text width."""
    longest = max((display_width(u) / 2 for units in rows_units for u in _joined(units)), default=4)
    unit_chars = min(MAX_UNIT_CHARS, max(4, math.ceil(longest)))
    cite_chars = max(2, math.ceil(max((display_width(line) / 2 for lines in citations for line in lines), default=2)))
    number = _chars_mm(2, BODY_PT)
    units = _chars_mm(unit_chars, SIDE_PT)
    cite = _chars_mm(cite_chars, SIDE_PT)
    content = round(PAGE_WIDTH_MM - number - units - cite, 1)
    return (("序号", number), ("内容", content), ("责任单位", units), ("出处", cite))


def duties_docx(duties: dict, title: str) -> bytes:
    """A 公文-style duty list: per group (标题 1), per plan section (标题 2), a table citing every clause."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    dept = clean(duties["department"])
    d = _document(title, f"{dept}任务清单")
    _para(d, title, TITLE_FONT, 22, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(d, f"{dept}任务清单", TITLE_FONT, 22, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=6)
    total = sum(len(duties[k]) for k, _ in groups(duties))
    summary = f"导出日期：{cn_date()}　共 {total} 条（出处为规划原文编号）"
    _para(d, summary, SUB_FONT, 14, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=12)
    for note in duties.get("notes", []):
        _para(d, note, BODY_FONT, 16)
    present = [(key, label) for key, label in groups(duties) if duties[key]]
    every = [(key, c) for key, _ in present for c in duties[key]]
    columns = duty_columns([_row_units(c, duties, key) for key, c in every], [_citation_lines(c) for _, c in every])
    capacity = (columns[2][1] - CELL_PADDING_MM) / _pt_mm(SIDE_PT)
    docs = {c.doc for _, c in every}
    for key, label in present:
        d.add_heading(f"【{label}】（{len(duties[key])} 条）", level=1)
        by_section: dict[tuple, list[Clause]] = {}
        for c in duties[key]:
            by_section.setdefault((c.doc, c.part, c.section), []).append(c)
        for (doc, _, _), clauses in by_section.items():
            heading = section_heading(clauses[0]) or "其他"
            d.add_heading(heading + (f"（{doc}）" if len(docs) > 1 else ""), level=2)
            rows = []
            for i, c in enumerate(clauses, 1):
                units = unit_lines(_row_units(c, duties, key), capacity)
                rows.append((str(i), _text_runs(c, naming_sentence(c, dept, key)), units, _citation_lines(c)))
            _table(d, columns, rows, sizes=[BODY_PT, BODY_PT, SIDE_PT, SIDE_PT])
    return _save(d)


# -- search results ------------------------------------------------------------------
RESULT_HEADER = ["序号", "领域", "类别", "编号", "内容", "责任单位", "匹配方式", "出处", "规划"]


def result_rows(result: dict, titles: dict[str, str]):
    rows = []
    for i, h in enumerate(result["hits"], 1):
        rows.append([i, h["domain"] or "", KIND_LABELS.get(h["kind"], h["kind"]), "" if h["number"] is None else h["number"], h["text"], "、".join(h["departments"]), MATCH_LABELS.get(h["match"], h["match"]), h["citation"], titles.get(h["doc"], h["doc"])])
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
    plan = next(iter(titles.values())) if len(titles) == 1 else "规划"
    d = _document(f"{plan}检索结果", f"：{summary[0][1]}")
    _para(d, plan, TITLE_FONT, 22, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(d, f"检索结果：{summary[0][1]}", TITLE_FONT, 18, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=12)
    for k, v in summary:
        _para(d, f"{k}：{v}", BODY_FONT, 14)
    _para(d, "", BODY_FONT, 8)
    rows = []
    for i, h in enumerate(result["hits"], 1):
        text = h["text"] + ("\n责任单位：" + "、".join(h["departments"]) if h["departments"] else "")
        source = h["citation"] + ("\n" + titles[h["doc"]] if len(titles) > 1 and h["doc"] in titles else "")
        rows.append((str(i), text.split("\n"), MATCH_LABELS.get(h["match"], h["match"]), source.split("\n")))
    if rows:
        _table(d, RESULT_COLUMNS, rows)
    else:
        _para(d, "无", BODY_FONT, 14)
    return _save(d)


# -- indicators --------------------------------------------------------------------------
def indicator_rows(indicators: list[dict], titles: dict[str, str], statuses: dict[str, dict] | None = None):
    """The indicators (Indicator.to_dict) as a printable table: no internal ids, the plan by its title.

    statuses (indicator id → kb.monitor status row) adds the latest value and whether it is met.
    """
    docs = {i["doc"] for i in indicators}
    header = ["序号", "领域", "指标", "目标", "责任单位", "出处"]
    if statuses is not None:
        header += ["最新值", "年份", "状态"]
    header += ["原文"] + (["规划"] if len(docs) > 1 else [])
    rows = []
    for n, ind in enumerate(indicators, 1):
        row = [n, ind["domain"] or "", ind["name"], ind["target"], "、".join(ind["departments"]), ind["citation"]]
        if statuses is not None:
            st = statuses.get(ind["id"]) or {}
            latest = st.get("latest") or {}
            value = latest.get("value")
            row += ["" if value is None else f"{value}{ind['unit']}", latest.get("year", ""), st.get("status", "")]
        row.append(ind["text"])
        if len(docs) > 1:
            row.append(titles.get(ind["doc"], ind["doc"]))
        rows.append(row)
    return header, rows


def indicators_xlsx(indicators: list[dict], title: str, titles: dict[str, str], statuses: dict[str, dict] | None = None) -> bytes:
    """The indicators workbook: a title row naming the plan, landscape A4 one page wide, wrapped text."""
    header, rows = indicator_rows(indicators, titles, statuses)
    heading = f"{title}　监测指标（{len(rows)} 项）　导出日期：{cn_date()}"
    return table_xlsx(heading, "监测指标", header, rows)


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
