"""One sheet of an .xlsx read without trusting it: the zip's XML streamed through expat, on a budget.

Nothing is built before it is counted. Rows, cells in a row and cells in all are counted as the
parser meets them and the read stops at the first one over budget, so a row that declares millions
of empty cells costs what its first 16,384 cost. A DTD or an entity declaration is refused (a form
never has one: this also shuts out entity expansion), and every XML or zip error is a one-line
SheetError.
"""

from __future__ import annotations

import datetime
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable
from xml.parsers import expat

MAX_ROWS = 250_000  # a real form has hundreds of rows
MAX_COLUMNS = 60  # the columns that may hold values: indicators, a column per year, notes
MAX_ROW_CELLS = 16_384  # cell elements in one row, empty ones included (Excel's column limit)
MAX_CELLS = 250_000  # cell elements in the sheet; a form has a few thousand
MAX_CELL_CHARS = 32_767  # Excel's limit for the text of one cell
MAX_TEXT_CHARS = 20_000_000  # all shared strings together
MAX_PARTS = 65_536  # sheets, relationships, number formats and cell styles, each
CHUNK = 1 << 16
TOO_BIG = f"表格过大（超过 {MAX_ROWS} 行或 {MAX_COLUMNS} 列），请只保留填报表的内容"
CELL_REF = re.compile(r"([A-Z]{1,3})([0-9]{1,7})")
XML_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?")
INDEX = re.compile(r"[0-9]{1,9}")
DATE_FORMAT_IDS = frozenset((*range(14, 23), 45, 46, 47))  # the built-in date and time formats
REL_PREFIX = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"


class SheetError(Exception):
    """A sheet that cannot be read or is over budget; the message is one line for the user."""


def _local(name: str) -> str:
    return name.rpartition(":")[2] if ":" in name else name


def _stream(
    z: zipfile.ZipFile, member: str, start: Callable, end: Callable | None = None, text: Callable | None = None
):
    """Feed one zip member through expat in chunks; handlers get element names as written (see _local)."""
    parser = expat.ParserCreate()

    def refuse(*_):
        raise SheetError(f"无法读取：{member} 含 DTD 或实体声明（填报表不会有）")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True
    parser.StartElementHandler = start
    if end:
        parser.EndElementHandler = end
    if text:
        parser.CharacterDataHandler = text
    try:
        with z.open(member) as fh:
            while chunk := fh.read(CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except KeyError:
        raise SheetError(f"无法读取：缺少 {member}") from None
    except expat.ExpatError as exc:
        raise SheetError(f"无法读取：{member} 不是完整有效的 XML（第 {exc.lineno} 行第 {exc.offset + 1} 列）") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        raise SheetError(f"无法读取：{member} 已损坏（{type(exc).__name__}）") from None


def _count(items, what: str):
    if len(items) > MAX_PARTS:
        raise SheetError(f"无法读取：{what}超过 {MAX_PARTS} 个，不像填报表")


def _workbook(z: zipfile.ZipFile) -> tuple[dict[str, str], dict[str, str], bool]:
    """Sheet name → relationship id, relationship type → part path, and the 1904 date system flag."""
    sheets: dict[str, str] = {}
    flags = {"1904": False}

    def on_workbook(name, attrs):
        name = _local(name)
        if name == "sheet":
            rid = next((v for k, v in attrs.items() if k == "id" or k.endswith(":id")), "")
            sheets[attrs.get("name", "")] = rid
            _count(sheets, "工作表")
        elif name == "workbookPr":
            flags["1904"] = attrs.get("date1904") in ("1", "true")

    _stream(z, "xl/workbook.xml", on_workbook)
    targets: dict[str, str] = {}
    kinds: dict[str, str] = {}

    def on_rel(name, attrs):
        if _local(name) == "Relationship":
            target = attrs.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            targets[attrs.get("Id", "")] = path
            kinds.setdefault(attrs.get("Type", "").removeprefix(REL_PREFIX), path)
            _count(targets, "关系")

    _stream(z, "xl/_rels/workbook.xml.rels", on_rel)
    parts = {name: targets.get(rid, "") for name, rid in sheets.items()}
    return parts, kinds, flags["1904"]


def _shared_strings(z: zipfile.ZipFile, member: str | None) -> list[str]:
    """The shared string table, bounded in count and characters; phonetic runs left out."""
    strings: list[str] = []
    if not member:
        return strings
    state = {"in_t": False, "skip": 0, "chars": 0}
    parts: list[str] = []

    def start(name, _attrs):
        name = _local(name)
        if name == "si":
            parts.clear()
            if len(strings) >= MAX_CELLS:
                raise SheetError(f"表格过大：共享字符串超过 {MAX_CELLS} 个")
        elif name == "t" and not state["skip"]:
            state["in_t"] = True
        elif name == "rPh":
            state["skip"] += 1

    def end(name):
        name = _local(name)
        if name == "si":
            strings.append("".join(parts))
        elif name == "t":
            state["in_t"] = False
        elif name == "rPh":
            state["skip"] -= 1

    def text(data):
        if state["in_t"]:
            parts.append(data)
            state["chars"] += len(data)
            if state["chars"] > MAX_TEXT_CHARS:
                raise SheetError(f"表格过大：文字超过 {MAX_TEXT_CHARS} 个字符")

    _stream(z, member, start, end, text)
    return strings


def _date_styles(z: zipfile.ZipFile, member: str | None) -> set[int]:
    """Indices of the cell styles whose number format shows a date or a time."""
    if not member:
        return set()
    from openpyxl.styles.numbers import is_date_format

    formats: dict[int, str] = {}
    styles: list[int] = []
    depth = {"xfs": 0}

    def start(name, attrs):
        name = _local(name)
        if name == "numFmt" and INDEX.fullmatch(attrs.get("numFmtId", "")):
            formats[int(attrs["numFmtId"])] = attrs.get("formatCode", "")
            _count(formats, "数字格式")
        elif name == "cellXfs":
            depth["xfs"] += 1
        elif name == "xf" and depth["xfs"]:
            fmt = attrs.get("numFmtId", "0")
            styles.append(int(fmt) if INDEX.fullmatch(fmt) else 0)
            _count(styles, "单元格样式")

    def end(name):
        if _local(name) == "cellXfs":
            depth["xfs"] -= 1

    _stream(z, member, start, end)
    return {i for i, f in enumerate(styles) if f in DATE_FORMAT_IDS or (f in formats and is_date_format(formats[f]))}


def column_letter(col: int) -> str:
    """1 → A, 27 → AA."""
    out = ""
    while col:
        col, rest = divmod(col - 1, 26)
        out = chr(65 + rest) + out
    return out


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


class _SheetReader:
    """expat handlers for a worksheet: rows of values, formula cells, all counted as they come."""

    def __init__(self, shared: list[str], date_styles: set[int], date1904: bool):
        self.shared, self.date1904 = shared, date1904
        self.date_styles = {str(i) for i in date_styles}  # as the s attribute writes them
        self.rows: list[tuple[int, list]] = []
        self.formulas: list[tuple[int, str]] = []
        self.row_count = self.cells = self.row_cells = 0
        self.row_no = self.col = 0
        self.values: dict[int, object] = {}
        self.kind = self.style = ""
        self.text: list[str] | None = None  # collecting a <v> or an inline <t>
        self.parts: list[str] = []
        self.chars = 0
        self.formula = False
        self.in_inline = self.phonetic = 0

    def start(self, name, attrs):
        if ":" in name:
            name = name.rpartition(":")[2]
        if name == "c":
            self.cells += 1
            self.row_cells += 1
            if self.row_cells > MAX_ROW_CELLS:
                raise SheetError(f"表格过大：第 {self.row_no} 行有超过 {MAX_ROW_CELLS} 个单元格")
            if self.cells > MAX_CELLS:
                raise SheetError(f"表格过大：超过 {MAX_CELLS} 个单元格")
            ref = attrs.get("r")
            if ref is None:
                self.col += 1
            else:
                found = CELL_REF.fullmatch(ref)
                if not found:
                    raise SheetError(f"无法读取：第 {self.row_no} 行的单元格地址“{ref[:20]}”无效")
                self.col = _column_number(found.group(1))
            self.kind, self.style = attrs.get("t", "n"), attrs.get("s", "0")
            self.parts, self.chars, self.formula = [], 0, False
        elif name == "row":
            self.row_count += 1
            if self.row_count > MAX_ROWS:
                raise SheetError(TOO_BIG)
            ref = attrs.get("r", "")
            self.row_no = int(ref) if INDEX.fullmatch(ref) else self.row_no + 1
            self.row_cells, self.col, self.values = 0, 0, {}
        elif name == "v" or (name == "t" and self.in_inline and not self.phonetic):
            self.text = self.parts
        elif name == "f":
            self.formula = True
        elif name == "is":
            self.in_inline += 1
        elif name == "rPh":
            self.phonetic += 1

    def end(self, name):
        if ":" in name:
            name = name.rpartition(":")[2]
        if name == "c":
            self.finish_cell()
        elif name == "row":
            if self.values:
                if self.row_no > MAX_ROWS:
                    raise SheetError(TOO_BIG)
                width = max(self.values)
                self.rows.append((self.row_no, [self.values.get(c) for c in range(1, width + 1)]))
        elif name in ("v", "t"):
            self.text = None
        elif name == "is":
            self.in_inline -= 1
        elif name == "rPh":
            self.phonetic -= 1

    def characters(self, data):
        if self.text is not None:
            self.text.append(data)
            self.chars += len(data)
            if self.chars > MAX_CELL_CHARS:
                raise SheetError(
                    f"表格过大：第 {self.row_no} 行 {column_letter(self.col)} 列超过 {MAX_CELL_CHARS} 个字符"
                )

    def finish_cell(self):
        if self.formula:
            value: object = None
            self.formulas.append((self.row_no, column_letter(self.col)))
        else:
            value = self.cell_value("".join(self.parts))
        if value is None or value == "":
            if not self.formula:
                return
        if self.col > MAX_COLUMNS:
            raise SheetError(TOO_BIG)
        self.values[self.col] = value

    def cell_value(self, raw: str):
        """The cell's value as Python reads it: str, bool, float, datetime, or None when empty."""
        kind = self.kind
        if kind in ("inlineStr", "str", "e"):
            return raw
        if not raw:
            return None
        if kind == "s":
            if not INDEX.fullmatch(raw) or int(raw) >= len(self.shared):
                raise SheetError(f"无法读取：第 {self.row_no} 行引用了不存在的共享字符串")
            return self.shared[int(raw)]
        if kind == "b":
            return raw.strip() in ("1", "true")
        if kind == "d":
            try:
                return datetime.datetime.fromisoformat(raw.strip())
            except ValueError:
                return raw
        if not XML_NUMBER.fullmatch(raw.strip()):
            return raw  # not a number: the importer says so
        number = float(raw)
        if self.style in self.date_styles and 0 <= number < 2_958_466:
            from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

            return from_excel(number, CALENDAR_MAC_1904 if self.date1904 else CALENDAR_WINDOWS_1900)
        return number


def read_sheet(z: zipfile.ZipFile, sheet: str) -> tuple[list[tuple[int, list]], list[tuple[int, str]]]:
    """(row number, values) of every row that holds a value, and the (row, column) of formula cells."""
    parts, kinds, date1904 = _workbook(z)
    if sheet not in parts:
        raise SheetError(f"找不到工作表“{sheet}”（现有：{'、'.join(parts)}）")
    names = set(z.namelist())
    shared = _shared_strings(z, kinds.get("sharedStrings") if kinds.get("sharedStrings") in names else None)
    dates = _date_styles(z, kinds.get("styles") if kinds.get("styles") in names else None)
    reader = _SheetReader(shared, dates, date1904)
    _stream(z, parts[sheet], reader.start, reader.end, reader.characters)
    return reader.rows, reader.formulas
