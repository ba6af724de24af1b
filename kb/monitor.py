"""Monitoring: observed yearly values of indicators, the departments' form, status and warning.

Values live in ``monitor.sqlite`` in the data dir (WAL mode), apart from the rebuilt
knowledge-base generations. An import is validated completely before anything is
written, and written in one transaction: a bad row, a bad file or a killed process
leaves the store as it was. The status rules are documented in docs/indicators.md.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import logging
import math
import os
import sqlite3
import statistics
import time
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from kb.cells import SafeWriter, workbook_bytes
from kb.errors import PlankbError
from kb.indicators import Indicator, extract, normalise
from kb.store import default_data

MONITOR_FILE = "monitor.sqlite"
SHEET = "填报"
HELP_SHEET = "说明"
FIXED_HEADER = ["指标编号", "指标名称", "目标", "单位", "责任单位", "来源条款"]
TAIL_HEADER = ["填报单位", "数据来源", "备注"]
LONG_HEADER = ["指标编号", "年份", "数值", "填报单位", "数据来源", "备注"]
DEFAULT_YEARS = (2021, 2030)
# Plausible ranges: a rate cannot exceed its base; any other value above PLAUSIBLE_MAX is a typo or an attack.
UNIT_MAX = {"%": 100, "‰": 1000, "/千": 1000, "/万": 10_000, "/10万": 100_000, "/100万": 1_000_000, "岁": 150}
PLAUSIBLE_MAX = 1e12
# Bounds checked before a file is read: real forms have a few hundred indicators and a column per year.
MAX_FILE_BYTES = 20 * 2**20
MAX_UNCOMPRESSED_BYTES = 100 * 2**20  # all members of an .xlsx (a zip) together, as declared
MAX_ROWS = 250_000  # a real form has hundreds; beyond this the file is refused before validation
MAX_COLUMNS = 60
MAX_PROBLEMS = 50  # listed; the rest are counted

log = logging.getLogger(__name__)

MET, NOT_MET, NO_DATA = "已达标", "未达标", "无数据"
WARN, VOLATILE = "预警", "波动"
APPROX_TOLERANCE = 0.05  # "≈ t" (and "= t" without a direction) is met within ±5 % of t
VOLATILITY_FACTOR = 2.0  # a change is large when > 2 × the median of the other changes …
VOLATILITY_MIN_SHARE = 0.05  # … and at least 5 % of the series' mean level

SCHEMA = """
CREATE TABLE IF NOT EXISTS batch (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    file TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    rows INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS observation (
    indicator TEXT NOT NULL,
    year INTEGER NOT NULL,
    value REAL NOT NULL,
    department TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL DEFAULT '',
    batch INTEGER NOT NULL REFERENCES batch(id),
    PRIMARY KEY (indicator, year)
);
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    indicator TEXT NOT NULL,
    year INTEGER NOT NULL,
    value REAL NOT NULL,
    department TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL DEFAULT '',
    batch INTEGER NOT NULL,
    replaced_by INTEGER NOT NULL,
    replaced_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS history_indicator ON history(indicator, year);
"""
COLUMNS = ("indicator", "year", "value", "department", "source", "note", "name", "batch")


class ImportRejected(PlankbError):
    """A file that cannot be imported; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str], total: int | None = None):
        total = max(total or 0, len(problems))
        self.problems = list(problems[:MAX_PROBLEMS])
        if total > len(self.problems):
            self.problems.append(f"另有 {total - len(self.problems)} 处问题")
        self.total = total
        super().__init__(f"导入失败：共 {total} 处问题，未导入任何数据")


class MonitorError(PlankbError):
    """The monitoring store cannot be opened or written."""


@dataclass
class Observation:
    """One value reported for an indicator and year."""

    indicator: str
    year: int
    value: float
    department: str = ""
    source: str = ""
    note: str = ""
    name: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class ImportReport:
    """What an import stored: the batch, new values and replaced ones."""

    batch: int
    file: str
    added: int
    replaced: int

    @property
    def total(self) -> int:
        return self.added + self.replaced


def _write_row(conn, obs: Observation, batch: int, now: str) -> bool:
    """Store one value inside the open transaction; True when it replaced an earlier one."""
    old = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM observation WHERE indicator=? AND year=?", (obs.indicator, obs.year)).fetchone()
    if old:
        conn.execute(
            f"INSERT INTO history ({', '.join(COLUMNS)}, replaced_by, replaced_at) VALUES ({', '.join('?' * len(COLUMNS))}, ?, ?)",
            (*old, batch, now),
        )
    conn.execute(
        f"INSERT OR REPLACE INTO observation ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
        (obs.indicator, obs.year, obs.value, obs.department, obs.source, obs.note, obs.name, batch),
    )
    return old is not None


class Monitor:
    """The monitoring store of one data dir."""

    def __init__(self, path: Path, readonly: bool = False):
        self.path = Path(path)
        self.readonly = readonly
        self.conn = None
        try:
            if readonly:
                if self.path.exists():
                    self.conn = self._connect_readonly()
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")
            self.conn.executescript(SCHEMA)
        except sqlite3.Error as exc:
            raise MonitorError(f"无法打开监测数据库 {self.path}：{exc}") from None

    def _connect_readonly(self):
        """mode=ro; where the folder or file cannot be written (no -shm/-wal possible), immutable=1."""
        uri = self.path.resolve().as_uri()
        writable = os.access(self.path.parent, os.W_OK) and os.access(self.path, os.W_OK)
        if writable:
            conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, isolation_level=None)
            try:
                conn.execute("PRAGMA busy_timeout=5000")
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
                return conn
            except sqlite3.OperationalError:
                conn.close()  # e.g. a read-only mount that access() did not report
        # Nothing can write here, so nothing changes under us: safe to read without locks.
        conn = sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, isolation_level=None)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _query(self, sql, params=()):
        if self.conn is None:
            return []
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            raise MonitorError(f"监测数据库 {self.path} 无法读取：{exc}") from None
        except sqlite3.DatabaseError as exc:  # not a database at all, or a damaged one
            raise MonitorError(f"监测数据库 {self.path} 已损坏：{exc}") from None

    # -- reading -------------------------------------------------------------
    def observations(self, indicator: str | None = None) -> list[Observation]:
        """Current values, by indicator and year."""
        where, params = ("WHERE indicator=?", (indicator,)) if indicator else ("", ())
        rows = self._query(f"SELECT indicator, year, value, department, source, note, name FROM observation {where} ORDER BY indicator, year", params)
        out = []
        for r in rows:
            if not _plausible(r[2]):
                # A value written into the database by other means: never let it break a page.
                log.warning("监测数据库 %s：%s %s 年的数值 %r 无效，已忽略", self.path, r[0], r[1], r[2])
                continue
            out.append(Observation(*r))
        return out

    def series(self, indicator: str) -> list[tuple[int, float]]:
        """(year, value) pairs of one indicator, oldest first."""
        return [(o.year, o.value) for o in self.observations(indicator)]

    def all_series(self) -> dict[str, list[tuple[int, float]]]:
        """Every indicator's (year, value) pairs."""
        out: dict[str, list] = {}
        for o in self.observations():
            out.setdefault(o.indicator, []).append((o.year, o.value))
        return out

    def history(self, indicator: str | None = None) -> list[dict]:
        """Replaced values, oldest replacement first."""
        where, params = ("WHERE indicator=?", (indicator,)) if indicator else ("", ())
        rows = self._query(f"SELECT {', '.join(COLUMNS)}, replaced_by, replaced_at FROM history {where} ORDER BY id", params)
        return [dict(zip((*COLUMNS, "replaced_by", "replaced_at"), r)) for r in rows]

    def batches(self) -> list[dict]:
        return [dict(zip(("id", "file", "imported_at", "rows"), r)) for r in self._query("SELECT id, file, imported_at, rows FROM batch ORDER BY id")]

    # -- writing -------------------------------------------------------------
    def store(self, observations: list[Observation], file: str = "") -> ImportReport:
        """Write observations in one transaction; replaced values move to history."""
        if self.readonly or self.conn is None:
            raise MonitorError("监测数据库以只读方式打开")
        now = time.strftime("%Y-%m-%dT%H:%M:%S")
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            batch = conn.execute("INSERT INTO batch (file, imported_at, rows) VALUES (?, ?, ?)", (file, now, len(observations))).lastrowid
            replaced = sum(_write_row(conn, o, batch, now) for o in observations)
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise MonitorError(f"写入监测数据库失败，未导入任何数据：{exc}") from None
            raise
        return ImportReport(batch, file, len(observations) - replaced, replaced)

    def export(self, fmt: str = "json") -> str:
        """Everything for a backup: current values, history and import batches."""
        values = [o.to_dict() for o in self.observations()]
        history = self.history()
        if fmt == "json":
            return json.dumps({"values": values, "history": history, "batches": self.batches()}, ensure_ascii=False, indent=2)
        if fmt != "csv":
            raise PlankbError(f"不支持的导出格式“{fmt}”")
        buf = io.StringIO()
        w = SafeWriter(buf)
        w.writerow(["类别", "指标编号", "指标名称", "年份", "数值", "填报单位", "数据来源", "备注", "批次", "被替换批次", "替换时间"])
        for v in values:
            w.writerow(["当前", v["indicator"], v["name"], v["year"], _num(v["value"]), v["department"], v["source"], v["note"], "", "", ""])
        for h in history:
            w.writerow(["历史", h["indicator"], h["name"], h["year"], _num(h["value"]), h["department"], h["source"], h["note"], h["batch"], h["replaced_by"], h["replaced_at"]])
        return buf.getvalue()


def monitor_path(data=None) -> Path:
    return Path(data if data is not None else default_data()) / MONITOR_FILE


def open_monitor(data=None, readonly: bool = False) -> Monitor:
    """The monitoring store of a data dir; read-only for the web app (absent file = no data)."""
    return Monitor(monitor_path(data), readonly=readonly)


def _num(v):
    return int(v) if isinstance(v, float) and v.is_integer() else v


def _plausible(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and abs(v) <= PLAUSIBLE_MAX


# -- the form ----------------------------------------------------------------
def plan_years(kb, indicators: list[Indicator] | None = None) -> list[int]:
    """Every year of the plan periods of these indicators' documents (2021–2030 by default)."""
    docs = {i.doc for i in indicators} if indicators else set(kb.docs)
    years: set[int] = set()
    for d in docs:
        years.update(_years_of(kb, d))
    return sorted(years) or list(range(DEFAULT_YEARS[0], DEFAULT_YEARS[1] + 1))


def _years_of(kb, doc_id: str) -> range:
    doc = kb.docs.get(doc_id)
    start, end = (doc.start_year, doc.end_year) if doc else (None, None)
    if not start or not end:
        start, end = DEFAULT_YEARS
    return range(start, end + 1)


def template(kb, dept: str | None = None, doc: str | None = None) -> bytes:
    """The XLSX form a department fills in: its indicators, targets and a column per plan year."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    found = extract(kb, dept=dept, doc=doc)
    indicators = [i for i in found if i.numeric] + [i for i in found if not i.numeric]  # targets with a value first
    if not indicators:
        raise PlankbError("没有可填报的指标" + (f"（{dept}）" if dept else ""))
    years = plan_years(kb, indicators)
    header = FIXED_HEADER + [f"{y}年" for y in years] + TAIL_HEADER
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    first_year_col = len(FIXED_HEADER) + 1
    last_col = len(header)
    shown = {"allow_blank": True, "showErrorMessage": True, "errorTitle": "数值不合理"}
    pct = DataValidation(type="decimal", operator="between", formula1="0", formula2="100", error="百分比应在 0 到 100 之间", **shown)
    permille = DataValidation(type="decimal", operator="between", formula1="0", formula2="1000", error="千分比应在 0 到 1000 之间", **shown)
    other = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", error="请填写不小于 0 的数字", **shown)
    for dv in (pct, permille, other):
        dv.promptTitle, dv.prompt, dv.showInputMessage = "填写数值", "只填数字，不带单位", True
        ws.add_data_validation(dv)
    fill = PatternFill("solid", fgColor="FFF7E1")
    for row, ind in enumerate(indicators, 2):
        ws.append([ind.id, ind.name, ind.target_label, ind.unit, "、".join(ind.departments), ind.citation])
        for cell in ws[row]:
            if cell.data_type == "f":  # a target such as "=100%" is text, not a formula
                cell.data_type = "s"
        valid = set(_years_of(kb, ind.doc))
        for col in range(first_year_col, last_col + 1):
            cell = ws.cell(row=row, column=col)
            cell.protection = Protection(locked=False)
            if col < first_year_col + len(years) and years[col - first_year_col] in valid:
                cell.fill = fill
        ref = f"{get_column_letter(first_year_col)}{row}:{get_column_letter(first_year_col + len(years) - 1)}{row}"
        {"%": pct, "‰": permille}.get(ind.unit, other).add(ref)
    ws.column_dimensions["A"].hidden = True
    for letter, width in zip("BCDEF", (34, 14, 8, 20, 24)):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = ws.cell(row=2, column=first_year_col)
    ws.protection.sheet = True
    ws.protection.formatColumns = False  # widths may change; the id column stays locked
    info = wb.create_sheet(HELP_SHEET)
    titles = "、".join(f"《{kb.docs[d].title}》" for d in dict.fromkeys(i.doc for i in indicators) if d in kb.docs)
    for line in (
        f"{titles}监测指标填报表" + (f"（{dept}）" if dept else ""),
        f"在“{SHEET}”工作表的年份列填写各年数值，只填数字，不带单位；百分比填 0—100 之间的数。",
        "不要修改表头、工作表名称和行的顺序；隐藏的 A 列是指标编号，导入时据此识别指标。",
        "空白单元格表示未填报，导入时不改变已有数据；再次导入同一年份会替换该年数值，原值保留在历史记录中。",
        "填好后交统计局，运行 plankb monitor import 文件名.xlsx 导入。",
    ):
        info.append([line])
    info.column_dimensions["A"].width = 100
    return workbook_bytes(wb)


# -- import --------------------------------------------------------------------
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
            self.problem(sheet, row, col, f"未知指标“{ident}”")
        return ind

    def value(self, sheet, row, col, ind: Indicator, year, raw, extra: tuple[str, ...]):
        if isinstance(raw, str):
            raw = normalise(raw).strip()
            if ind.unit == "%":
                raw = raw.removesuffix("%").strip()
        if raw is None or raw == "":
            return
        if isinstance(raw, (datetime.date, datetime.time, datetime.timedelta)):
            return self.problem(sheet, row, col, f"“{raw}”是日期或时间，不是数值（请把单元格格式设为“常规”或“数值”）")
        if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
            number = None
        elif isinstance(raw, (int, float)):
            try:
                number = float(raw)
            except OverflowError:
                number = None
        else:
            try:
                number = float(raw)
            except ValueError:
                number = None
        if number is None or not math.isfinite(number):
            return self.problem(sheet, row, col, f"“{raw}”不是数字")
        if year not in _years_of(self.kb, ind.doc):
            years = _years_of(self.kb, ind.doc)
            return self.problem(sheet, row, col, f"{year} 年不在规划期 {years[0]}—{years[-1]} 年内")
        if number < 0:
            return self.problem(sheet, row, col, f"{_num(number)}{ind.unit} 不可能：数值不能为负")
        limit = UNIT_MAX.get(ind.unit, PLAUSIBLE_MAX)
        if number > limit:
            return self.problem(sheet, row, col, f"{_num(number)}{ind.unit} 不可能：不能超过 {_num(float(limit))}{ind.unit}")
        key = (ind.id, year)
        if key in self.seen:
            return self.problem(sheet, row, col, f"{ind.name} {year} 年的数值重复（已在{self.seen[key]}）")
        self.seen[key] = f"第 {row} 行"
        department, source, note = (*extra, "", "", "")[:3]  # the form's three tail columns, blank when cut off
        self.rows.append(Observation(ind.id, year, number, department, source, note, name=ind.name))

    def header(self, sheet, cells: list) -> list[int] | None:
        """Year columns of a form header; None (with problems) when the header was edited."""
        from openpyxl.utils import get_column_letter

        cells = [_text(c) for c in cells]
        while cells and not cells[-1]:
            cells.pop()
        ok = True
        for i, want in enumerate(FIXED_HEADER):
            got = cells[i] if i < len(cells) else ""
            if got != want:
                ok = False
                self.problem(sheet, 1, get_column_letter(i + 1), f"表头被修改：应为“{want}”，实际为“{got}”")
        years, i = [], len(FIXED_HEADER)
        while i < len(cells) and cells[i] not in TAIL_HEADER:
            y = cells[i].removesuffix("年")
            if not (y.isdigit() and len(y) == 4):
                ok = False
                self.problem(sheet, 1, get_column_letter(i + 1), f"表头被修改：应为年份（如“2021年”），实际为“{cells[i]}”")
            years.append(int(y) if y.isdigit() else None)
            i += 1
        if not years:
            ok = False
            self.problem(sheet, 1, None, "表头被修改：没有年份列")
        tail = cells[i:]
        if tail != TAIL_HEADER:
            ok = False
            self.problem(sheet, 1, get_column_letter(i + 1), f"表头被修改：年份列之后应为“{'、'.join(TAIL_HEADER)}”，实际为“{'、'.join(tail)}”")
        return [y for y in years if y is not None] if ok else None

    def wide_rows(self, sheet, rows):
        """Rows of the form layout: one indicator per row, a column per year."""
        from openpyxl.utils import get_column_letter

        years = self.header(sheet, rows[0] if rows else [])
        if years is None:
            return
        first = len(FIXED_HEADER)
        tail = first + len(years)
        seen_ids: dict[str, int] = {}
        for r, cells in enumerate(rows[1:], 2):
            cells = list(cells) + [None] * (tail + len(TAIL_HEADER) - len(cells))
            if all(_text(c) == "" for c in cells):
                continue
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
            extra = tuple(_text(c) for c in cells[tail:tail + len(TAIL_HEADER)])
            for j, (year, raw) in enumerate(zip(years, values)):
                self.value(sheet, r, get_column_letter(first + j + 1), ind, year, raw, extra)

    def long_rows(self, sheet, rows):
        """Rows of the long layout: indicator, year, value, department, source, note."""
        for r, cells in enumerate(rows[1:], 2):
            cells = list(cells) + [None] * (len(LONG_HEADER) - len(cells))
            if all(_text(c) == "" for c in cells):
                continue
            if len(cells) > len(LONG_HEADER) and any(_text(c) for c in cells[len(LONG_HEADER):]):
                self.problem(sheet, r, None, f"多出的列（只应有 {len(LONG_HEADER)} 列）")
                continue
            ind = self.indicator(sheet, r, "A", cells[0])
            year_text = _text(cells[1]).removesuffix("年")
            if not year_text.isdigit():
                self.problem(sheet, r, "B", f"年份“{_text(cells[1])}”不是整数年份")
                continue
            if ind is None:
                continue
            self.value(sheet, r, "C", ind, int(year_text), cells[2], tuple(_text(c) for c in cells[3:6]))


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def read_file(kb, path) -> list[Observation]:
    """Validate a filled form (.xlsx) or CSV; ImportRejected lists every problem."""
    path = Path(path)
    reader = _Reader(kb, path.name)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = _csv_rows(path)
        if rows and [_text(c) for c in rows[0]][: len(LONG_HEADER)] == LONG_HEADER:
            reader.long_rows(path.name, rows)
        else:
            reader.wide_rows(path.name, rows)
    elif suffix in (".xlsx", ".xlsm"):
        for sheet, rows, formulas in _xlsx_rows(path):
            for r, col in formulas:
                reader.problem(sheet, r, col, "公式单元格：请改为直接填写数值（复制后“选择性粘贴为数值”）")
            reader.wide_rows(sheet, rows)
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
        raise ImportRejected([f"{path.name}：文件过大（{size // 2**20} MB），填报表不应超过 {MAX_FILE_BYTES // 2**20} MB"])


def _csv_rows(path: Path) -> list[list[str]]:
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
    rows: list[list] = []
    try:
        for row in csv.reader(io.StringIO(text)):
            if len(rows) >= MAX_ROWS or len(row) > MAX_COLUMNS:
                raise ImportRejected([f"{path.name}：表格过大（超过 {MAX_ROWS} 行或 {MAX_COLUMNS} 列），请只保留填报表的内容"])
            rows.append(row)
    except csv.Error as exc:
        raise ImportRejected([f"{path.name}：CSV 格式错误（{exc}）"]) from None
    return rows


def _xlsx_rows(path: Path):
    """(sheet, rows, formula cells) of the form sheet, bounded before anything is read."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter
    from openpyxl.utils.exceptions import InvalidFileException

    _check_size(path)
    too_big = ImportRejected([f"{path.name}：表格过大（超过 {MAX_ROWS} 行或 {MAX_COLUMNS} 列），请只保留填报表的内容"])
    try:
        with zipfile.ZipFile(path) as z:
            unpacked = sum(i.file_size for i in z.infolist())
        if unpacked > MAX_UNCOMPRESSED_BYTES:
            raise ImportRejected([f"{path.name}：解压后过大（{unpacked // 2**20} MB），不像填报表"])
        # Not data_only: a formula must be seen as a formula, not as its cached (or missing) result.
        wb = load_workbook(path, read_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError, EOFError) as exc:
        raise ImportRejected([f"{path.name}：不是有效的 xlsx 文件（{type(exc).__name__}）"]) from None
    try:
        if SHEET not in wb.sheetnames:
            raise ImportRejected([f"{path.name}：找不到工作表“{SHEET}”（现有：{'、'.join(wb.sheetnames)}）"])
        ws = wb[SHEET]
        # The declared size first (a 10 KB file may declare XFD1048576), then the cells actually read.
        if (ws.max_row or 0) > MAX_ROWS or (ws.max_column or 0) > MAX_COLUMNS:
            raise too_big
        rows, formulas = [], []
        for r, cells in enumerate(ws.iter_rows(max_row=MAX_ROWS + 1, max_col=MAX_COLUMNS + 1), 1):
            if r > MAX_ROWS or (len(cells) > MAX_COLUMNS and cells[MAX_COLUMNS].value is not None):
                raise too_big
            row = []
            for c, cell in enumerate(cells[:MAX_COLUMNS], 1):
                value = cell.value
                if getattr(cell, "data_type", None) == "f":
                    formulas.append((r, get_column_letter(c)))
                    value = None
                elif not isinstance(value, (str, int, float, bool, datetime.date, datetime.time, datetime.timedelta, type(None))):
                    formulas.append((r, get_column_letter(c)))  # array and data-table formulas
                    value = None
                row.append(value)
            rows.append(row)
    except (zipfile.BadZipFile, KeyError, ValueError, EOFError) as exc:
        raise ImportRejected([f"{path.name}：不是有效的 xlsx 文件（{type(exc).__name__}）"]) from None
    finally:
        wb.close()
    return [(SHEET, rows, formulas)]


def import_file(kb, path, data=None, monitor: Monitor | None = None) -> ImportReport:
    """Validate a file completely, then store all its values in one transaction (or none)."""
    rows = read_file(kb, path)
    own = monitor is None
    mon = monitor or open_monitor(data)
    try:
        return mon.store(rows, Path(path).name)
    finally:
        if own:
            mon.close()


def export(data=None, fmt: str = "json") -> str:
    """Dump the monitoring store of a data dir (values, history, batches)."""
    with open_monitor(data, readonly=True) as mon:
        return mon.export(fmt)


# -- status and warning ------------------------------------------------------------
def is_met(ind: Indicator, value: float, previous: float | None = None) -> bool:
    """Whether a value meets a numeric target (or moves a qualitative one the right way)."""
    if ind.value is None:
        if previous is None:
            return False
        return value > previous if ind.direction == "up" else value < previous if ind.direction == "down" else value == previous
    t = ind.value
    if ind.comparator == ">=" or (ind.comparator == "=" and ind.direction == "up"):
        return value >= t
    if ind.comparator == "<=" or (ind.comparator == "=" and ind.direction == "down"):
        return value <= t
    return abs(value - t) <= APPROX_TOLERANCE * abs(t)


def fit_line(series: list[tuple[int, float]]) -> tuple[float, float]:
    """Least-squares (intercept, slope) of value against year."""
    xs = [float(y) for y, _ in series]
    ys = [float(v) for _, v in series]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0.0
    return my - slope * mx, slope


def fluctuations(series: list[tuple[int, float]]) -> list[int]:
    """Years whose year-on-year change is large relative to the series (rule in docs/indicators.md).

    A change counts when it is at least 5 % of the series' mean level and either a jump
    (more than twice the median of the other changes) or half of a swing (the next or
    previous change goes the other way and is also that large).
    """
    if len(series) < 3:
        return []
    changes = [(y1, (v1 - v0) / (y1 - y0)) for (y0, v0), (y1, v1) in zip(series, series[1:])]
    floor = VOLATILITY_MIN_SHARE * statistics.fmean(abs(v) for _, v in series)
    out = []
    for i, (year, d) in enumerate(changes):
        if abs(d) < floor or d == 0:
            continue
        others = [abs(c) for j, (_, c) in enumerate(changes) if j != i]
        jump = abs(d) > VOLATILITY_FACTOR * statistics.median(others)
        swing = any(0 <= j < len(changes) and changes[j][1] * d < 0 and abs(changes[j][1]) >= floor for j in (i - 1, i + 1))
        if jump or swing:
            out.append(year)
    return out


def assess(ind: Indicator, series: list[tuple[int, float]], end_year: int = DEFAULT_YEARS[1]) -> dict:
    """Status, warnings and projection of one indicator from its (year, value) series."""
    series = sorted((int(y), float(v)) for y, v in series)
    out: dict[str, Any] = {
        "status": NO_DATA,
        "latest": None,
        "warnings": [],
        "projection": None,
        "fluctuations": [],
        "reason": "尚无数据",
        "series": [{"year": y, "value": _num(v)} for y, v in series],
    }
    if not series:
        return out
    year, value = series[-1]
    out["latest"] = {"year": year, "value": _num(value)}
    if ind.value is not None:
        met = is_met(ind, value)
        out["status"] = MET if met else NOT_MET
        out["reason"] = f"{year} 年为 {_num(value)}{ind.unit}，目标 {ind.target_label}"
    elif len(series) < 2:
        out["reason"] = "只有一年数据，无法判断变化方向"
    else:
        prev = series[-2][1]
        out["status"] = MET if is_met(ind, value, prev) else NOT_MET
        out["reason"] = f"{series[-2][0]} 年 {_num(prev)} → {year} 年 {_num(value)}，目标方向 {ind.target_label}"
    if len(series) >= 3:
        intercept, slope = fit_line(series)
        projected = intercept + slope * end_year
        if ind.unit in UNIT_MAX:
            projected = min(max(projected, 0.0), float(UNIT_MAX[ind.unit]))
        out["projection"] = {
            "year": end_year,
            "value": round(projected, 4),
            "slope": round(slope, 6),
            "intercept": round(intercept, 6),
            "line": [{"year": y, "value": round(intercept + slope * y, 4)} for y in range(series[0][0], end_year + 1)],
        }
        if ind.value is not None:
            will_meet = is_met(ind, projected)
        else:
            will_meet = slope > 0 if ind.direction == "up" else slope < 0 if ind.direction == "down" else True
        if not will_meet:
            out["warnings"].append(WARN)
        out["fluctuations"] = fluctuations(series)
        if out["fluctuations"]:
            out["warnings"].append(VOLATILE)
    return out


def status(kb, monitor: Monitor, dept: str | None = None, doc: str | None = None, domain: str | None = None) -> list[dict]:
    """Per indicator: the indicator, its series, latest value, status, warnings and projection."""
    series = monitor.all_series()
    out = []
    for ind in extract(kb, dept=dept, doc=doc):
        if domain and ind.domain != domain:
            continue
        end = _years_of(kb, ind.doc)[-1]
        out.append({"indicator": ind.to_dict(), **assess(ind, series.get(ind.id, []), end)})
    return out
