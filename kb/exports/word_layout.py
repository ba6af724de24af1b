"""Word documents in 公文 layout: GB/T 9704 margins, 黑体/楷体/仿宋 declared with their fallbacks, page
numbers as “— 1 —”, and tables whose grid carries the column widths and whose header row repeats on
each page.
"""

from __future__ import annotations

import datetime as _dt
import io

from kb.cells import clean

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


def pt_mm(pt: float) -> float:
    return pt * 25.4 / 72


def chars_mm(chars: float, pt: float) -> float:
    """Width of a cell that holds `chars` full-width characters of `pt` on one line."""
    return round(chars * pt_mm(pt) + CELL_PADDING_MM, 1)


def _font(run, name, size_pt, bold=False):
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = name
    run.font.size = Pt(size_pt)
    run.font.bold = bold
    rfonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:eastAsia", "w:ascii", "w:hAnsi"):
        rfonts.set(qn(attr), name)


def paragraph(d, text, font, size, bold=False, align=None, space_after=0, style=None):
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


def new_document(title: str, subject: str):
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


def docx_bytes(d) -> bytes:
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


def grid_table(d, columns, rows, sizes=None):
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
