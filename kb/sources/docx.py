"""Word .docx: paragraphs in order, tables of two or more columns as tab-separated rows."""

from __future__ import annotations

import io
import zipfile

from kb.errors import SourceError
from kb.sources.layout import is_data_header, is_layout_cell
from kb.sources.text import normalise_lines, split_lines

MB = 1024 * 1024
# Generous for real plans: the XML of a 500-page plan is 10–20 MB, photos add tens of MB.
MAX_UNCOMPRESSED = 200 * MB
MAX_XML_PART = 50 * MB


def check_zip(path, data: bytes, what: str = "Word 文档") -> zipfile.ZipFile:
    """The zip archive, refused by its members' declared sizes before anything is inflated.

    zipfile never returns more than a member's declared size (it stops there and checks the CRC), so
    the declared sizes bound the memory any later reading takes.
    """
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise SourceError(path, f"不是有效的{what}（文件损坏或被截断）") from None
    total = 0
    for info in infos:
        total += info.file_size
        if info.filename.endswith((".xml", ".rels")) and info.file_size > MAX_XML_PART:
            raise SourceError(path, f"{what}中的 {info.filename} 解压后有 {info.file_size / MB:,.0f} MB，超过上限 {MAX_XML_PART // MB} MB，已拒绝")
    if total > MAX_UNCOMPRESSED:
        raise SourceError(path, f"{what}解压后共 {total / MB:,.0f} MB，超过上限 {MAX_UNCOMPRESSED // MB} MB，已拒绝")
    return zf


def read_docx(path, data: bytes):
    """Paragraphs of a Word file in order, tables included; the title property or Title paragraph as title_hint."""
    from kb.sources import SourceText

    zf = check_zip(path, data)
    if "word/document.xml" not in zf.namelist():
        raise SourceError(path, "是 zip 压缩包，但不是 Word 文档（缺少 word/document.xml）")
    try:
        import docx

        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many types for broken packages
        raise SourceError(path, f"无法打开 Word 文档：{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    lines: list[str] = []
    title = (document.core_properties.title or "").strip() or None
    for kind, text in _blocks(document.element.body, document):
        if kind == "title" and title is None and text.strip():
            title = " ".join(text.split())
        if kind == "row":
            lines.append(text)
        else:
            lines.extend(normalise_lines(split_lines(text.replace("\t", " "))))
    return SourceText(str(path), lines, "docx", None, title_hint=title)


def _blocks(element, document):
    """("p" | "title" | "row" | "blank", text) for a body or cell element's children, in order."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for child in element.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = Paragraph(child, document)
            yield ("title" if _is_title(para) else "p"), para.text
        elif tag == "tbl":
            table = Table(child, document)
            rows = [_row_cells(row) for row in table.rows]
            if max((len(cells) for cells in rows), default=0) < 2 or _is_layout(rows):
                # A one-column table, or one whose cells hold paragraphs, is a layout box: its paragraphs are ordinary lines.
                for cells in rows:
                    for cell in cells:
                        yield from _blocks(cell._tc, document)
                continue
            yield "blank", ""
            for cells in rows:
                yield "row", "\t".join(_cell_text(cell, document) for cell in cells)
            yield "blank", ""
        elif tag == "sdt":  # content controls (cover pages, tables of contents) wrap ordinary paragraphs
            content = next((c for c in child.iterchildren() if c.tag.endswith("}sdtContent")), None)
            if content is not None:
                yield from _blocks(content, document)


def _is_layout(rows) -> bool:
    """A table laying out a page (a cell of paragraphs, a nested table) rather than holding records."""
    if rows and is_data_header([cell.text.strip() for cell in rows[0]]):
        return False
    for cells in rows:
        for cell in cells:
            tc = cell._tc
            nested = any(c.tag.endswith("}tbl") for c in tc.iterchildren())
            paragraphs = sum(1 for c in tc.iterchildren() if c.tag.endswith("}p") and "".join(c.itertext()).strip())
            if is_layout_cell(paragraphs, nested, cell.text):
                return True
    return False


def _row_cells(row):
    """The row's cells, a cell spanning several grid columns once (a vertically merged cell repeats in each row)."""
    cells = []
    for cell in row.cells:
        if not cells or cells[-1]._tc is not cell._tc:
            cells.append(cell)
    return cells


def _cell_text(cell, document) -> str:
    """A cell's paragraphs (and nested tables) joined by a space, without tabs or line breaks."""
    parts = []
    for _kind, text in _blocks(cell._tc, document):
        text = " ".join(text.replace("\t", " ").split())
        if text:
            parts.append(text)
    return " ".join(parts)


def _is_title(para) -> bool:
    try:
        style = para.style
    except (KeyError, ValueError, AttributeError):
        return False
    return bool(style is not None and (style.name or "").lower() == "title")
