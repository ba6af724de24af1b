"""The clauses of a generation as columns on disk, read lazily: a clause is made when it is first asked for.

A province's knowledge base holds hundreds of thousands of clauses; a search shows ten. The build writes

- ``clauses.codes.npy``: one row per repeated field (doc, kind, domain, departments …), each clause's value as a
  code into that field's list of values (kept in kb.json);
- ``clauses.ids.txt``: the clause ids, NUL-separated (UTF-8);
- ``clauses.text.utf16`` and ``clauses.text.ends.npy``: the texts one after another and where each ends (in
  UTF-16 units). Kept uncompressed: an export of 70,000 hits slices them from the memory map in milliseconds,
  where decompressing blocks took ten times as long.

Opening reads the ids (kept as one string, :class:`IdColumn`) and memory-maps the rest; :class:`ClauseColumns` is a sequence of :class:`Clause` that makes
each clause from the columns on first use and keeps the most recent ``KEEP_MADE`` of them (a search shows the same
hits again without making them twice; an export of 70,000 hits does not keep them all). Iterating makes every clause
at once and keeps them all (pages that count over the whole knowledge base do that once).
Questions the query path asks of every clause (which units each document tags, the domains in order) are answered
from the codes without making clauses (:meth:`ClauseColumns.distinct`).
"""

from __future__ import annotations

import codecs
import mmap
import os
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, overload

import numpy as np

from kb.model import CLAUSE_FIELDS, Clause

# Fields with few distinct values, kept as codes; the others (id, text) as strings.
CODED_FIELDS = (
    "doc", "kind", "domain", "number", "departments", "departments_raw", "citation", "lead", "part", "section", "part_title",
    "section_title", "marker", "tag", "line", "order",
)
CODES, IDS = "clauses.codes.npy", "clauses.ids.txt"
TEXT, TEXT_ENDS = "clauses.text.utf16", "clauses.text.ends.npy"
# Clauses made one at a time are kept up to this many (the most recent); once iterated, all of them are kept.
KEEP_MADE = 20_000
ID_SEP = "\x00"  # no id holds it: ids are made of file names and numbers


def _key(value):
    return tuple(value) if isinstance(value, list) else value


def write_columns(folder: Path, clauses: Sequence[Clause]) -> dict[str, list]:
    """Write the clause files into folder; return the value lists of the coded fields (for kb.json)."""
    values: dict[str, list] = {}
    rows = []
    for name in CODED_FIELDS:
        seen: dict[Any, int] = {}
        listed: list = []
        codes = []
        for c in clauses:
            v = getattr(c, name)
            k = _key(v)
            code = seen.get(k)
            if code is None:
                code = seen[k] = len(listed)
                listed.append(list(v) if isinstance(v, list) else v)
            codes.append(code)
        values[name] = listed
        rows.append(codes)
    top = max((len(v) for v in values.values()), default=0)
    dtype = np.uint16 if top <= np.iinfo(np.uint16).max else np.uint32
    codes_array = np.array(rows, dtype=dtype).reshape(len(CODED_FIELDS), len(clauses))
    _save(folder / CODES, codes_array)
    ids = [c.id for c in clauses]
    if any(ID_SEP in i for i in ids):
        raise ValueError("条款编号含有 NUL 字符")
    _write_bytes(folder / IDS, ID_SEP.join(ids).encode("utf-8"))
    encoded = [c.text.encode("utf-16-le") for c in clauses]
    ends = np.cumsum(np.fromiter((len(t) // 2 for t in encoded), np.int64, len(encoded)))
    _write_bytes(folder / TEXT, b"".join(encoded))
    _save(folder / TEXT_ENDS, ends.astype(np.uint32 if not len(ends) or ends[-1] < 2**32 else np.int64))
    return values


def _write_bytes(path: Path, data: bytes):
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _save(path: Path, array: np.ndarray):
    with open(path, "wb") as fh:
        np.save(fh, array, allow_pickle=False)
        fh.flush()
        os.fsync(fh.fileno())


def _position(i: int, n: int) -> int:
    """A sequence index as a position in range(n) (a negative one counts from the end), else IndexError."""
    at = i + n if i < 0 else i
    if not 0 <= at < n:
        raise IndexError(f"position {i} out of range for {n}")
    return at


def object_array(values: Sequence) -> np.ndarray:
    """values as a one-dimensional object array (tuples and lists stay elements), to be indexed by arrays of codes."""
    made = np.empty(len(values), object)
    for i, v in enumerate(values):
        made[i] = v
    return made


class IdColumn(Sequence[str]):
    """The clause ids as one string and where each starts: 176,000 separate strings weigh 13 MB, this 4."""

    def __init__(self, raw: bytes, n: int):
        self._joined = raw.decode("utf-8")
        octets = np.frombuffer(raw, np.uint8)
        seps = np.flatnonzero(octets == 0)
        if not self._joined.isascii():  # byte offsets to character offsets: count the bytes that start a character
            seps = (np.cumsum((octets & 0xC0) != 0x80) - 1)[seps]
        if (len(seps) + 1 if raw else 0) != n:
            raise ValueError("clauses.ids.txt 的条数与 kb.json 不一致")
        # bounds[i]: where id i starts; bounds[n]: one past the end, as if a separator followed the last id.
        self._bounds = np.concatenate(([0], seps + 1, [len(self._joined) + 1]))[: n + 1].astype(np.int64 if len(self._joined) + 1 >= 2**31 else np.int32)
        self._n = n

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, i: int) -> str: ...

    @overload
    def __getitem__(self, i: slice) -> list[str]: ...

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self._n))]
        i = _position(i, self._n)
        return self._joined[int(self._bounds[i]) : int(self._bounds[i + 1]) - 1]

    def __iter__(self) -> Iterator[str]:
        return iter(self._joined.split(ID_SEP) if self._n else [])

    def take(self, positions: list[int]) -> list[str]:
        """The ids at these positions."""
        at = np.asarray(positions, np.int64)
        joined = self._joined
        return [joined[a:b] for a, b in zip(self._bounds[at].tolist(), (self._bounds[at + 1] - 1).tolist())]


class ClauseColumns(Sequence[Clause]):
    """A generation's clauses, made from its columns on first use (see the module docstring)."""

    def __init__(self, folder: Path, values: dict[str, list], n: int):
        if set(values) != set(CODED_FIELDS) or any(not isinstance(v, list) for v in values.values()):
            raise ValueError("kb.json 的条款值表不完整")
        self._values = [values[f] for f in CODED_FIELDS]
        codes = np.asarray(np.load(folder / CODES, mmap_mode="r", allow_pickle=False))  # a plain view of the map (memmap slicing is slow)
        if codes.shape != (len(CODED_FIELDS), n) or codes.dtype.kind != "u":
            raise ValueError("clauses.codes.npy 的形状与 kb.json 不一致")
        for row, listed in zip(range(len(CODED_FIELDS)), self._values):  # every code points into its list
            if n and int(codes[row].max()) >= len(listed):
                raise ValueError("clauses.codes.npy 的编码超出值表")
        self._codes = codes
        self.ids = IdColumn((folder / IDS).read_bytes(), n)
        self._ends = np.asarray(np.load(folder / TEXT_ENDS, mmap_mode="r", allow_pickle=False))
        size = (folder / TEXT).stat().st_size
        if self._ends.shape != (n,) or (n and int(self._ends[-1]) * 2 != size) or (n > 1 and bool((np.diff(self._ends.astype(np.int64)) < 0).any())):
            raise ValueError("clauses.text.utf16 与其结尾表不一致")
        self._text: mmap.mmap | None = None
        if size:
            with open(folder / TEXT, "rb") as fh:
                self._text = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        self._n = n
        self._made: list[Clause | None] = [None] * n
        self._recent: deque[int] = deque()  # positions made one at a time, oldest first
        self._all = False
        self._lock = threading.Lock()
        self._field_at = {f: i for i, f in enumerate(CODED_FIELDS)}
        self._value_arrays: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, i: int) -> Clause: ...
    @overload
    def __getitem__(self, i: slice) -> list[Clause]: ...
    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._n))]
        i = _position(i, self._n)
        made = self._made[i]
        if made is None:
            made = self._make(i)
            with self._lock:  # two threads asking at once get the same object
                if self._made[i] is None:
                    self._made[i] = made
                    if not self._all:
                        self._recent.append(i)
                        if len(self._recent) > KEEP_MADE:  # an export of every hit does not keep them all
                            self._made[self._recent.popleft()] = None
                made = self._made[i]
        return made

    def __iter__(self) -> Iterator[Clause]:
        if not self._all:
            self._make_all()
        return iter(self._made)  # type: ignore[arg-type]

    def fields(self, positions: list[int], names) -> dict[str, list]:
        """Some fields of the clauses at these positions, as one list per field, without making clauses."""
        at = np.asarray(positions, np.int64)
        coded = [f for f in names if f in self._field_at]
        rows = list(self._codes_of(coded, at)) if coded else []
        columns: dict[str, list] = {}
        for f, codes in zip(coded, rows):
            columns[f] = self._value_array(f)[codes].tolist()
        if "departments" in columns:
            columns["departments"] = list(map(list, columns["departments"]))
        if "text" in names:
            ends = self._ends[at].astype(np.int64).tolist()
            starts = np.where(at > 0, self._ends[np.maximum(at - 1, 0)], 0).astype(np.int64).tolist()
            text, decode = self._text, codecs.utf_16_le_decode
            columns["text"] = [decode(text[2 * a : 2 * b], "strict", True)[0] if b > a and text is not None else "" for a, b in zip(starts, ends)]
        if "id" in names:
            columns["id"] = self.ids.take(positions)
        return columns

    def _codes_of(self, names, at: np.ndarray) -> np.ndarray:
        """The codes of these coded fields (a row each) at these positions: those clauses only, no whole row copied."""
        return self._codes[np.ix_(np.array([self._field_at[f] for f in names], np.int64), at)]

    def _value_array(self, field: str) -> np.ndarray:
        """A coded field's values as an object array (looked up by a whole array of codes at once)."""
        made = self._value_arrays.get(field)
        if made is None:
            made = self._value_arrays[field] = object_array(self._values[self._field_at[field]])
        return made

    def text(self, i: int) -> str:
        start = int(self._ends[i - 1]) if i else 0
        end = int(self._ends[i])
        if self._text is None or end == start:
            return ""
        return codecs.utf_16_le_decode(self._text[2 * start : 2 * end], "strict", True)[0]

    def _make(self, i: int) -> Clause:
        return Clause(**{f: column[0] for f, column in self.fields([i], CLAUSE_FIELDS).items()})

    def _make_all(self):
        with self._lock:
            if self._all:
                return
            columns = self.fields(range(self._n), ("id", *CODED_FIELDS))
            whole = codecs.utf_16_le_decode(self._text, "strict", True)[0] if self._text is not None else ""
            ends = self._ends.tolist()
            if len(whole) == (ends[-1] if ends else 0):  # no character outside the BMP: units are characters
                columns["text"] = [whole[a:b] for a, b in zip([0, *ends[:-1]], ends)]
            else:
                columns["text"] = [self.text(i) for i in range(self._n)]
            made = self._made
            for i, clause in enumerate(map(Clause, *(columns[f] for f in CLAUSE_FIELDS))):
                if made[i] is None:
                    made[i] = clause
            self._all = True
            self._recent.clear()

    def distinct(self, *fields: str) -> list[tuple]:
        """The distinct combinations of coded fields' values, in order of first occurrence (lists as tuples)."""
        combos, first, _ = self._groups(fields)
        return [combos[k] for k in np.argsort(first, kind="stable").tolist()]

    def counts(self, *fields: str) -> dict[tuple, int]:
        """How many clauses have each combination of coded fields' values (lists as tuples)."""
        combos, _, count = self._groups(fields)
        return dict(zip(combos, count.tolist()))

    def _groups(self, fields) -> tuple[list[tuple], np.ndarray, np.ndarray]:
        """The combinations of coded fields' values the clauses hold, each with its first position and count."""
        if not self._n:
            return [], np.zeros(0, np.int64), np.zeros(0, np.int64)
        key = np.zeros(self._n, np.int64)
        for f in fields:
            at = self._field_at[f]
            key = key * len(self._values[at]) + self._codes[at]
        _, first, count = np.unique(key, return_index=True, return_counts=True)
        rows = self._codes_of(fields, first).T.tolist()
        picked = [self._values[self._field_at[f]] for f in fields]
        return [tuple(_key(values[c]) for values, c in zip(picked, row)) for row in rows], first, count


def fields(clauses: Sequence[Clause], positions: list[int], names) -> dict[str, list]:
    """ClauseColumns.fields for any sequence of clauses."""
    if isinstance(clauses, ClauseColumns):
        return clauses.fields(positions, names)
    picked = [clauses[p] for p in positions]
    return {f: [list(v) if isinstance(v := getattr(c, f), list) else v for c in picked] for f in names}


def distinct(clauses: Sequence[Clause], *fields: str) -> list[tuple]:
    """ClauseColumns.distinct for any sequence of clauses."""
    if isinstance(clauses, ClauseColumns):
        return clauses.distinct(*fields)
    seen: dict[tuple, None] = {}
    for c in clauses:
        seen.setdefault(tuple(_key(getattr(c, f)) for f in fields), None)
    return list(seen)


def counts(clauses: Sequence[Clause], *fields: str) -> dict[tuple, int]:
    """ClauseColumns.counts for any sequence of clauses."""
    if isinstance(clauses, ClauseColumns):
        return clauses.counts(*fields)
    out: dict[tuple, int] = {}
    for c in clauses:
        k = tuple(_key(getattr(c, f)) for f in fields)
        out[k] = out.get(k, 0) + 1
    return out
