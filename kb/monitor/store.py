"""The monitoring store: observed yearly values in ``monitor.sqlite`` in the data dir (WAL mode).

Values live apart from the rebuilt knowledge-base generations. Writing is one transaction per
import: a killed process leaves the store as it was. Replaced values move to a history table.
A read-only data dir is read without locks; a WAL file that cannot be merged there is reported.
"""

from __future__ import annotations

import io
import json
import logging
import os
import sqlite3
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from kb.cells import SafeWriter
from kb.errors import PlankbError
from kb.monitor.values import UNSAFE_TEXT, plain_number, plausible

MONITOR_FILE = "monitor.sqlite"

log = logging.getLogger(__name__)

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
PLACEHOLDERS = ", ".join("?" * len(COLUMNS))
TEXT_FIELDS = ("department", "source", "note", "name")


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


def write_row(conn, obs: Observation, batch: int, now: str) -> bool:
    """Store one value inside the open transaction; True when it replaced an earlier one."""
    old = conn.execute(
        f"SELECT {', '.join(COLUMNS)} FROM observation WHERE indicator=? AND year=?", (obs.indicator, obs.year)
    ).fetchone()
    if old:
        conn.execute(
            f"INSERT INTO history ({', '.join(COLUMNS)}, replaced_by, replaced_at) VALUES ({PLACEHOLDERS}, ?, ?)",
            (*old, batch, now),
        )
    conn.execute(
        f"INSERT OR REPLACE INTO observation ({', '.join(COLUMNS)}) VALUES ({PLACEHOLDERS})",
        (obs.indicator, obs.year, obs.value, obs.department, obs.source, obs.note, obs.name, batch),
    )
    return old is not None


def _clean_text(row: dict, where: str) -> dict:
    """Text fields without control or bidi characters, which a page must never show."""
    for key in TEXT_FIELDS:
        text = row.get(key)
        if isinstance(text, str) and UNSAFE_TEXT.search(text):
            log.warning("监测数据库：%s 的%s含控制字符，显示时已去掉", where, key)
            row[key] = UNSAFE_TEXT.sub("", text)
    return row


class Monitor:
    """The monitoring store of one data dir."""

    def __init__(self, path: Path, readonly: bool = False):
        self.path = Path(path)
        self.readonly = readonly
        self.conn: sqlite3.Connection | None = None
        self.warning: str | None = None  # set when values beside the database could not be read
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

    def _connect_readonly(self) -> sqlite3.Connection:
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
        # Nothing can write here, so nothing changes under us: safe to read without locks. SQLite
        # then reads the database file alone, so values still in the WAL are not seen: say so.
        conn = sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, isolation_level=None)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        self.warning = self._unread_wal()
        return conn

    def _unread_wal(self) -> str | None:
        """A warning when a non-empty WAL lies beside a database opened immutable."""
        wal = self.path.with_name(self.path.name + "-wal")
        try:
            size = wal.stat().st_size
        except OSError:
            return None
        if not size:
            return None
        log.warning("监测数据库 %s：只读打开，%s（%d 字节）未读入", self.path, wal.name, size)
        return (
            f"数据目录只读，监测数据库旁的 {wal.name}（{size} 字节）中还有未合并的数值，这里没有读入；"
            "数据目录可写后再查看即可读到全部数值"
        )

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
        """Current values, by indicator and year; a value no page can show is left out with a log warning."""
        where, params = ("WHERE indicator=?", (indicator,)) if indicator else ("", ())
        fields = ("indicator", "year", "value", *TEXT_FIELDS)
        rows = self._query(f"SELECT {', '.join(fields)} FROM observation {where} ORDER BY indicator, year", params)
        out = []
        for r in rows:
            if not plausible(r[2]):
                log.warning("监测数据库 %s：%s %s 年的数值 %r 无效，已忽略", self.path, r[0], r[1], r[2])
                continue
            out.append(Observation(**_clean_text(dict(zip(fields, r, strict=True)), f"{r[0]} {r[1]} 年")))
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
        rows = self._query(
            f"SELECT {', '.join(COLUMNS)}, replaced_by, replaced_at FROM history {where} ORDER BY id", params
        )
        fields = (*COLUMNS, "replaced_by", "replaced_at")
        return [_clean_text(dict(zip(fields, r, strict=True)), f"{r[0]} {r[1]} 年（历史）") for r in rows]

    def batches(self) -> list[dict]:
        """Every import: id, file name, time and number of values."""
        return [
            dict(zip(("id", "file", "imported_at", "rows"), r, strict=True))
            for r in self._query("SELECT id, file, imported_at, rows FROM batch ORDER BY id")
        ]

    # -- writing -------------------------------------------------------------
    def store(self, observations: list[Observation], file: str = "") -> ImportReport:
        """Write observations in one transaction; replaced values move to history."""
        if self.readonly or self.conn is None:
            raise MonitorError("监测数据库以只读方式打开")
        now = time.strftime("%Y-%m-%dT%H:%M:%S")
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            batch = (
                conn.execute(
                    "INSERT INTO batch (file, imported_at, rows) VALUES (?, ?, ?)", (file, now, len(observations))
                ).lastrowid
                or 0
            )
            replaced = sum(write_row(conn, o, batch, now) for o in observations)
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
            return json.dumps(
                {"values": values, "history": history, "batches": self.batches()}, ensure_ascii=False, indent=2
            )
        if fmt != "csv":
            raise PlankbError(f"不支持的导出格式“{fmt}”")
        buf = io.StringIO()
        w = SafeWriter(buf)
        w.writerow(
            [
                "类别",
                "指标编号",
                "指标名称",
                "年份",
                "数值",
                "填报单位",
                "数据来源",
                "备注",
                "批次",
                "被替换批次",
                "替换时间",
            ]
        )
        for v in values:
            w.writerow(
                [
                    "当前",
                    v["indicator"],
                    v["name"],
                    v["year"],
                    plain_number(v["value"]),
                    v["department"],
                    v["source"],
                    v["note"],
                    "",
                    "",
                    "",
                ]
            )
        for h in history:
            w.writerow(
                [
                    "历史",
                    h["indicator"],
                    h["name"],
                    h["year"],
                    plain_number(h["value"]),
                    h["department"],
                    h["source"],
                    h["note"],
                    h["batch"],
                    h["replaced_by"],
                    h["replaced_at"],
                ]
            )
        return buf.getvalue()


def monitor_path(data) -> Path:
    """Where a data dir keeps its monitoring store."""
    return Path(data) / MONITOR_FILE


def open_monitor(data, readonly: bool = False) -> Monitor:
    """The monitoring store of a data dir; read-only for the web app (absent file = no data)."""
    return Monitor(monitor_path(data), readonly=readonly)
