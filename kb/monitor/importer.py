"""Importing a filled form (.xlsx) or a CSV: every problem found before anything is written.

A file is bounded before it is read (size, declared unpacked size) and while it is read (rows,
cells, text: kb.monitor.sheet). Numbers are read strictly (kb.monitor.values); notes, sources and
unit names that carry control or bidi characters are refused. One bad cell imports nothing.
"""

from __future__ import annotations

import csv
import datetime
import io
import math
import re
import zipfile
from pathlib import Path

from kb.errors import PlankbError
from kb.indicators import Indicator, extract
from kb.monitor.form import FIXED_HEADER, LONG_HEADER, SHEET, TAIL_HEADER, TITLE_ROWS
from kb.monitor.sheet import MAX_COLUMNS, MAX_ROWS, TOO_BIG, SheetError, column_letter, read_sheet
from kb.monitor.store import ImportReport, Monitor, Observation, open_monitor
from kb.monitor.values import PLAUSIBLE_MAX, UNIT_MAX, parse_number, plain_number, shown, unsafe_char, years_of

# Bounds checked before a file is read: real forms have a few hundred indicators and a column per year.
MAX_FILE_BYTES = 20 * 2**20
MAX_UNCOMPRESSED_BYTES = 100 * 2**20  # all members of an .xlsx (a zip) together, as declared
MAX_PROBLEMS = 50  # listed; the rest are counted
MAX_ID_SHOWN = 80  # an unknown indicator id is quoted up to this length (real ids are about 40)
YEAR = re.compile(r"[0-9]{4}")

Rows = list[tuple[int, list]]  # (row number, cells) of the rows that hold something


class ImportRejected(PlankbError):
    """A file that cannot be imported; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str], total: int | None = None):
        total = max(total or 0, len(problems))
        self.problems = list(problems[:MAX_PROBLEMS])
        if total > len(self.problems):
            self.problems.append(f"另有 {total - len(self.problems)} 处问题")
        self.total = total
        super().__init__(f"导入失败：共 {total} 处问题，未导入任何数据")


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def split_header(rows: Rows) -> tuple[int, list, Rows]:
    """The header row (number and cells) and the rows below it; title rows above it are skipped.

    A title row holds at most one cell; the form has TITLE_ROWS of them, and a form saved
    before it had a title has none.
    """
    if not rows:
        return 1, [], []
    skip = 0
    while skip < min(TITLE_ROWS, len(rows) - 1) and sum(_text(c) != "" for c in rows[skip][1]) <= 1:
        skip += 1
    number, cells = rows[skip]
    return number, cells, rows[skip + 1 :]


class _Reader:
    """Collects every problem of a file before anything is written."""

    def __init__(self, kb, file: str):
        self.kb = kb
        self.file = file
        self.by_id = {i.id: i for i in extract(kb)}
        self.problems: list[str] = []
        self.count = 0  # every problem; only the first MAX_PROBLEMS are kept as text
        self.rows: list[Observation] = []
        self.seen: dict[tuple, str] = {}

    def problem(self, sheet, row, col, message):
        self.count += 1
        if len(self.problems) < MAX_PROBLEMS:
            where = f"工作表“{sheet}”第 {row} 行" + (f" {col} 列" if col else "")
            self.problems.append(f"{where}：{message}")

    def indicator(self, sheet, row, col, raw) -> Indicator | None:
        ident = _text(raw)
        if not ident:
            self.problem(sheet, row, col, "缺少指标编号")
            return None
        ind = self.by_id.get(ident)
        if ind is None:
            self.problem(sheet, row, col, f"未知指标“{shown(ident, MAX_ID_SHOWN)}”")
        return ind

    def extras(self, sheet, row, first_col: int, cells) -> tuple[str, ...] | None:
        """填报单位, 数据来源, 备注 of a row; None (with a problem) when one carries a control character."""
        texts = tuple(_text(c) for c in cells)
        ok = True
        for i, (label, text) in enumerate(zip(TAIL_HEADER, texts, strict=True)):
            bad = unsafe_char(text)
            if bad:
                ok = False
                self.problem(
                    sheet, row, column_letter(first_col + i), f"{label}含不可见的控制字符 {bad}，请删除后再导入"
                )
        return texts if ok else None

    def value(self, sheet, row, col, ind: Indicator, year, raw, extra: tuple[str, ...] | None):
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return
        if isinstance(raw, (datetime.date, datetime.time, datetime.timedelta)):
            return self.problem(sheet, row, col, f"“{raw}”是日期或时间，不是数值（请把单元格格式设为“常规”或“数值”）")
        number: float | None = None
        if isinstance(raw, str):
            number = parse_number(raw, ind.unit)
        elif isinstance(raw, (int, float)) and not isinstance(raw, bool):
            try:
                number = float(raw)
            except OverflowError:
                number = None
        if number is None or not math.isfinite(number):
            return self.problem(sheet, row, col, f"“{shown(raw.strip() if isinstance(raw, str) else raw)}”不是数字")
        years = years_of(self.kb, ind.doc)
        if year not in years:
            return self.problem(sheet, row, col, f"{year} 年不在规划期 {years[0]}—{years[-1]} 年内")
        if number < 0:
            return self.problem(sheet, row, col, f"{shown(number)}{ind.unit} 不可能：数值不能为负")
        limit = UNIT_MAX.get(ind.unit, PLAUSIBLE_MAX)
        if number > limit:
            return self.problem(
                sheet,
                row,
                col,
                f"{shown(number)}{ind.unit} 不可能：不能超过 {shown(plain_number(float(limit)))}{ind.unit}",
            )
        key = (ind.id, year)
        if key in self.seen:
            return self.problem(sheet, row, col, f"{ind.name} {year} 年的数值重复（已在{self.seen[key]}）")
        self.seen[key] = f"第 {row} 行"
        if extra is None:
            return  # the row's notes were refused; its values are checked all the same
        department, source, note = extra
        self.rows.append(Observation(ind.id, year, number, department, source, note, ind.name))

    def header(self, sheet, row: int, cells: list) -> list[int] | None:
        """Year columns of a form header; None (with problems) when the header was edited."""
        cells = [_text(c) for c in cells]
        while cells and not cells[-1]:
            cells.pop()
        ok = True
        for i, want in enumerate(FIXED_HEADER):
            got = cells[i] if i < len(cells) else ""
            if got != want:
                ok = False
                self.problem(sheet, row, column_letter(i + 1), f"表头被修改：应为“{want}”，实际为“{shown(got)}”")
        years, i = [], len(FIXED_HEADER)
        while i < len(cells) and cells[i] not in TAIL_HEADER:
            y = cells[i].removesuffix("年")
            if not YEAR.fullmatch(y):
                ok = False
                self.problem(
                    sheet, row, column_letter(i + 1), f"表头被修改：应为年份（如“2021年”），实际为“{shown(cells[i])}”"
                )
            years.append(int(y) if YEAR.fullmatch(y) else 0)
            i += 1
        if not years:
            ok = False
            self.problem(sheet, row, None, "表头被修改：没有年份列")
        tail = cells[i:]
        if tail != TAIL_HEADER:
            ok = False
            self.problem(
                sheet,
                row,
                column_letter(i + 1),
                f"表头被修改：年份列之后应为“{'、'.join(TAIL_HEADER)}”，实际为“{shown('、'.join(tail))}”",
            )
        return years if ok else None

    def wide_rows(self, sheet, rows: Rows):
        """Rows of the form layout: one indicator per row, a column per year."""
        head, cells, body = split_header(rows)
        years = self.header(sheet, head, cells)
        if years is None:
            return
        first = len(FIXED_HEADER)
        tail = first + len(years)
        seen_ids: dict[str, int] = {}
        for r, cells in body:
            cells = list(cells) + [None] * (tail + len(TAIL_HEADER) - len(cells))
            values = cells[first:tail]
            if all(_text(v) == "" for v in values):
                continue  # nothing reported in this row
            ind = self.indicator(sheet, r, "A", cells[0])
            if ind is None:
                continue
            if ind.id in seen_ids:
                self.problem(sheet, r, "A", f"指标“{ind.name}”重复（已在第 {seen_ids[ind.id]} 行）")
                continue
            seen_ids[ind.id] = r
            extra = self.extras(sheet, r, tail + 1, cells[tail : tail + len(TAIL_HEADER)])
            for j, (year, raw) in enumerate(zip(years, values, strict=True)):
                self.value(sheet, r, column_letter(first + j + 1), ind, year, raw, extra)

    def long_rows(self, sheet, rows: Rows):
        """Rows of the long layout: indicator, year, value, department, source, note."""
        for r, cells in rows[1:]:
            cells = list(cells) + [None] * (len(LONG_HEADER) - len(cells))
            if all(_text(c) == "" for c in cells):
                continue
            if len(cells) > len(LONG_HEADER) and any(_text(c) for c in cells[len(LONG_HEADER) :]):
                self.problem(sheet, r, None, f"多出的列（只应有 {len(LONG_HEADER)} 列）")
                continue
            ind = self.indicator(sheet, r, "A", cells[0])
            year_text = _text(cells[1]).removesuffix("年")
            if not YEAR.fullmatch(year_text):
                self.problem(sheet, r, "B", f"年份“{shown(_text(cells[1]))}”不是整数年份")
                continue
            extra = self.extras(sheet, r, 4, cells[3:6])
            if ind is None:
                continue
            self.value(sheet, r, "C", ind, int(year_text), cells[2], extra)


def read_file(kb, path) -> list[Observation]:
    """Validate a filled form (.xlsx) or CSV; ImportRejected lists every problem."""
    path = Path(path)
    reader = _Reader(kb, path.name)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = _csv_rows(path)
        if rows and [_text(c) for c in rows[0][1]][: len(LONG_HEADER)] == LONG_HEADER:
            reader.long_rows(path.name, rows)
        else:
            reader.wide_rows(path.name, rows)
    elif suffix in (".xlsx", ".xlsm"):
        rows, formulas = _xlsx_rows(path)
        for r, col in formulas:
            reader.problem(SHEET, r, col, "公式单元格：请改为直接填写数值（复制后“选择性粘贴为数值”）")
        reader.wide_rows(SHEET, rows)
    else:
        raise ImportRejected([f"{path.name}：只能导入 .xlsx 或 .csv 文件"])
    if reader.count:
        raise ImportRejected(reader.problems, reader.count)
    if not reader.rows:
        raise ImportRejected([f"{path.name}：没有填写任何数值"])
    return reader.rows


def _check_size(path: Path):
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ImportRejected([f"{path.name}：无法读取（{exc.strerror or exc}）"]) from None
    if size > MAX_FILE_BYTES:
        raise ImportRejected(
            [f"{path.name}：文件过大（{size // 2**20} MB），填报表不应超过 {MAX_FILE_BYTES // 2**20} MB"]
        )


def _csv_rows(path: Path) -> Rows:
    _check_size(path)
    data = path.read_bytes()
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportRejected([f"{path.name}：无法识别编码，请另存为 UTF-8 的 CSV"])
    if "\0" in text:
        raise ImportRejected([f"{path.name}：不是文本格式的 CSV 文件"])
    rows: Rows = []
    try:
        for number, row in enumerate(csv.reader(io.StringIO(text)), 1):
            if number > MAX_ROWS or len(row) > MAX_COLUMNS:
                raise ImportRejected([f"{path.name}：{TOO_BIG}"])
            if any(row):
                rows.append((number, row))
    except csv.Error as exc:
        raise ImportRejected([f"{path.name}：CSV 格式错误（{exc}）"]) from None
    return rows


def _xlsx_rows(path: Path) -> tuple[Rows, list[tuple[int, str]]]:
    """Rows and formula cells of the form sheet, bounded before and while it is read."""
    _check_size(path)
    try:
        with zipfile.ZipFile(path) as z:
            unpacked = sum(i.file_size for i in z.infolist())
            if unpacked > MAX_UNCOMPRESSED_BYTES:
                raise ImportRejected([f"{path.name}：解压后过大（{unpacked // 2**20} MB），不像填报表"])
            return read_sheet(z, SHEET)
    except SheetError as exc:
        raise ImportRejected([f"{path.name}：{exc}"]) from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise ImportRejected([f"{path.name}：不是有效的 xlsx 文件（{type(exc).__name__}）"]) from None


def import_file(kb, path, data, monitor: Monitor | None = None) -> ImportReport:
    """Validate a file completely, then store all its values in one transaction (or none)."""
    rows = read_file(kb, path)
    own = monitor is None
    mon = monitor or open_monitor(data)
    try:
        return mon.store(rows, Path(path).name)
    finally:
        if own:
            mon.close()
