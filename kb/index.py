"""The search engine seam: the only module that knows how clauses are indexed.

``IndexBuilder`` writes the index of every clause at build time; ``Index``
answers ``EngineQuery`` objects with ranked hits and facet counts.  Everything
above this module (kb.search, the CLI, the web app) speaks only ``EngineQuery``
and ``EngineResult``, so another engine (OpenSearch with a Chinese analyzer, see
the README's design notes) can take its place without touching the rest.

Whoosh writes and holds the inverted index; at build its posting lists are compiled
to flat arrays, which queries read memory-mapped, so nothing is re-derived at
start-up and no query goes through Whoosh's matchers:

* ``whoosh/``: the Whoosh index of record, one segment, written by one writer in
  clause order (a clause's document number is its position): per text field, the
  jieba tokens (lower case) with their frequencies; the id of each plan's first
  clause, which the build checks against the positions (every clause's id would
  be a term with a posting list of its own: 60 % of the segment at 1,000 plans);
  no stored text, no positions.
* ``terms.txt``: the indexed words, in Whoosh's lexicon order, one per line;
  a word's line number is its id in every field.
* per field (``text`` is the clause text): ``<field>.offsets.npy``,
  ``<field>.docs.npy`` and ``<field>.tfs.npy`` hold each word's posting list
  (clause positions ascending, term frequencies) as read back from Whoosh;
  ``<field>.lengths.npy`` the jieba tokens per clause, from which BM25's length
  norms come (Whoosh keeps lengths only as a one-byte approximation).
  ``index_ok`` checks the arrays against Whoosh's counts (documents, words per
  field, word occurrences per field) without reading a posting list.
* ``facets.json`` + ``facets.npz``: for the facet fields and the department
  relations (assigned, shared, mentioned, lead in the text), the values and
  the (clause, value) pairs, grouped both by clause and by value.
* ``substring.z`` (UTF-16, zlib-compressed: read whole at open, kept as code units): the normalised text and tag
  of every clause, side by side with SEP between them, scanned for Ctrl+F recall (:class:`Haystack`) — an exact
  substring match, the equivalent of a character n-gram field queried as a phrase.
* ``vocab.json``: a prefix dictionary of the indexed words for query-time jieba.

Matching: ``words`` are ranked with BM25 (K1 1.2, B 0.75) over the posting
lists; sets of clauses are boolean arrays, facet counts are ``bincount`` over
the hits.  Ranking: a department's relation first for bare-name queries, then
the tiers (every keyword as an exact string; every keyword as string or all its
words; some real words), BM25 within a tier, then document order.
"""

from __future__ import annotations

import codecs
import json
import math
import re
import threading
import unicodedata
import zlib
from collections import OrderedDict
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import numpy as np

from kb import segment
from kb.columns import object_array
from kb.errors import DataDirError
from kb.segment import RE_SKIP

FACET_FIELDS = ("kind", "domain", "departments", "doc")
RELATION_FIELDS = ("shared", "mentions", "lead")  # a department's other relations to a clause
TEXT_FIELDS = ("text",)  # fields with posting lists; BM25 sums over them
# Ranking weights: the tiers (all keywords exact, all keywords held), then within a tier the
# keywords found as strings and the real words held, then BM25 (below 1000 for any clause).
SCORE_EXACT, SCORE_FULL, SCORE_SUBSTRING, SCORE_WORD = 4 * 10**7, 2 * 10**7, 10**5, 10**3
# A bare department name: its relation to each clause comes before any keyword tier.  Clauses it
# is assigned or leads come first, then those holding the name as typed (shared, mentioned, the
# string alone), then those related only through a group or another spelling.
TIER = {"assigned": 4 * 10**9, "lead_in_text": 3 * 10**9, "shared": 2 * 10**8, "mentioned": 10**8}
NAME_HELD = 2 * 10**9
DEPT_TIERS = (("assigned", "departments"), ("lead_in_text", "lead"), ("shared", "shared"), ("mentioned", "mentions"))
# An analysed query: all carrying words, preferred kinds, figures, the unit's relation (duty questions),
# below one more keyword group and above BM25; context (domain title, unit names) and proximity add to BM25.
SCORE_CORE, SCORE_PREFER, SCORE_TARGET = 10**6, 4 * 10**4, 2 * 10**4
DUTY_TIER = (("assigned", "departments", 3 * 10**4), ("lead_in_text", "lead", 2 * 10**4), ("shared", "shared", 10**4))
SCORE_CONTEXT, SCORE_NEAR = 1.5, 3.0
NEAR_CHARS, NEAR_MAX_CLAUSES = 12, 200
RE_FIGURE = re.compile(r"\d+(?:\.\d+)?\s*(?:%|％|‰|/10万|以上|以下|左右)")
K1, B = 1.2, 0.75
SEP = "\x00"  # between clauses in substring.z; never in normalised text
SUBSTRING = "substring.z"
TAG_SEP = "\x01"  # between a clause's text and its tag
CACHE_BYTES = 64 * 2**20  # substring results kept in memory
# jieba reads a base dictionary before words can be added; query-time segmentation needs none but the index's.
EMPTY_DICTIONARY = Path(__file__).with_name("jieba_empty.txt")
SCAN_BLOCK_CLAUSES = 4096  # clauses decoded at once when a pattern is searched in every clause (about 1 MB of text)
SCAN_FIND_LIMIT = 64  # clauses found one by one before a needle's scan switches to array comparisons
FORMAT = 6  # of the index files; an index of another format is rebuilt
# Words too common or too empty to carry a relaxed (any-word) match on their own.
STOPWORDS = set("的 了 是 和 与 及 或 在 有 为 对 把 被 等 中 上 下 个 这 那 哪 吗 呢 啊 请问 多少 什么 如何 怎么 怎样 哪些 哪个 哪条 规定 要求 关于 有关 相关 妇女 女性".split())
# Never required for an all-words match: they carry no topic (the common 妇女/女性 do).
FUNCTION_WORDS = STOPWORDS - {"妇女", "女性"}
RE_TERM = re.compile(r"[^ \t\r\n]+")  # the indexed words of a space-joined token list


def normalise(text: str) -> str:
    """The form both index and query match in: NFKC (full-width → ASCII), lower case, no spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "")).lower().replace(SEP, "").replace(TAG_SEP, "")


def userdict_for(kb) -> list[str]:
    """Lines of a jieba user dictionary: corpus/userdict.txt plus every department spelling."""
    lines = []
    path = Path(kb.path) / "userdict.txt" if kb.path else None
    if path and path.exists():
        lines += [l.strip() for l in path.read_text(encoding="utf-8-sig").splitlines() if l.strip() and not l.startswith("#")]
    names = {s for d in kb.registry.departments for s in d.names()} | {n for g in kb.registry.groups for n in g.names()}
    names |= {d for c in kb.clauses for d in c.departments}
    # No frequency: jieba then suggests one just high enough to keep the name whole,
    # without pulling short names out of other words (科协 in 学科协作).
    lines += [n for n in sorted(names) if len(n) >= 2]
    return lines


# -- building -------------------------------------------------------------------
WHOOSH_DIR = "whoosh"  # the Whoosh index inside the index folder
WHOOSH_LIMIT_MB = 64  # the Whoosh writer's posting buffer; beyond it, sorted runs go to disk


def _whoosh_schema():
    """The Whoosh schema: each plan's first clause id, and each text field's jieba words with their frequencies (nothing stored)."""
    from whoosh.analysis import LowercaseFilter, RegexTokenizer
    from whoosh.fields import ID, TEXT, Schema

    words = RegexTokenizer(RE_TERM) | LowercaseFilter()
    return Schema(id=ID(), **{f: TEXT(analyzer=words, phrase=False) for f in TEXT_FIELDS})


class IndexBuilder:
    """Writes clauses (in kb order) through one Whoosh writer, then compiles its posting lists to arrays."""

    def __init__(self, path: Path):
        from whoosh.index import create_in

        self.path = path
        (path / WHOOSH_DIR).mkdir(parents=True, exist_ok=True)
        self._writer = create_in(path / WHOOSH_DIR, _whoosh_schema()).writer(limitmb=WHOOSH_LIMIT_MB)
        self.vocab: dict[str, int] = {}  # jieba token → occurrences (for the query-time dictionary)
        self.lengths: list[int] = []
        self.hay: list[str] = []
        self.ids: list[str] = []
        self._firsts: list[int] = []  # positions of the plans' first clauses, whose ids Whoosh holds
        self._doc: str | None = None

    def add(self, clauses, tokens):
        """Add clauses (in kb order) with their jieba tokens: Whoosh's document number is the clause's position."""
        for c, words in zip(clauses, tokens):
            for w in words:
                self.vocab[w] = self.vocab.get(w, 0) + 1
            if not self.ids or c.doc != self._doc:  # a plan's first clause
                self._writer.add_document(id=c.id, text=" ".join(words))
                self._firsts.append(len(self.ids))
                self._doc = c.doc
            else:
                self._writer.add_document(text=" ".join(words))
            self.lengths.append(len(words))
            self.hay.append(normalise(c.text) + TAG_SEP + normalise(c.departments_raw))
            self.ids.append(c.id)

    def commit(self, kb):
        """Commit the Whoosh index (one segment) and write the files compiled from it; kb has mentions set."""
        from whoosh.index import open_dir

        self._writer.commit(optimize=True)
        n = len(self.ids)
        with open_dir(self.path / WHOOSH_DIR).reader() as reader:
            # One writer, clauses added in order, no deletions, one segment: document numbers are clause positions.
            if reader.doc_count_all() != n or reader.doc_count() != n or len(reader.segments()) > 1:
                raise AssertionError(f"Whoosh holds {reader.doc_count_all()} documents in {len(reader.segments())} segments, not {n} in one")
            if [reader.first_id("id", self.ids[i]) for i in self._firsts] != self._firsts:
                raise AssertionError("Whoosh document numbers are not clause positions")
            # The words of every text field, in Whoosh's lexicon order (UTF-8 bytes).
            terms = [t.decode("utf-8") for t in sorted({t for name in TEXT_FIELDS for t in reader.lexicon(name)})]
            for name in TEXT_FIELDS:
                offsets, docs, tfs = _compile_postings(reader, name, terms)
                np.save(self.path / f"{name}.offsets.npy", _compact(offsets))
                np.save(self.path / f"{name}.docs.npy", docs)
                np.save(self.path / f"{name}.tfs.npy", _compact(tfs))
        np.save(self.path / "text.lengths.npy", np.array(self.lengths, np.uint32))
        (self.path / "terms.txt").write_text("\n".join(terms), encoding="utf-8")
        _write_substring(self.path, self.hay)
        _write_facets(self.path, kb)
        _write_vocab(self.path, self.vocab)
        meta = {"format": FORMAT, "clauses": n, "ids": [self.ids[0], self.ids[-1]] if self.ids else [], "fields": list(TEXT_FIELDS)}
        (self.path / "plankb-index.json").write_text(json.dumps(meta), encoding="utf-8")


def _compile_postings(reader, name: str, terms: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One field's posting lists read back from Whoosh, as arrays: offsets by word id, clause positions, frequencies."""
    offsets = np.zeros(len(terms) + 1, np.int64)
    docs: list[int] = []
    tfs: list[int] = []
    for i, term in enumerate(terms):
        for doc, tf in reader.postings(name, term).items_as("frequency"):
            docs.append(doc)
            tfs.append(tf)
        offsets[i + 1] = len(docs)
    return offsets, np.array(docs, np.uint32), np.array(tfs, np.uint32)


def _write_substring(path: Path, hay: list[str]):
    """substring.z: UTF-16 (two bytes a Chinese character), compressed; where each clause starts is read from its SEPs."""
    (path / SUBSTRING).write_bytes(zlib.compress(SEP.join(hay).encode("utf-16-le"), 6))


def _relations(kb) -> dict[str, list[list[str]]]:
    """Per facet and relation field, each clause's values (in clause order, no repeats)."""
    out: dict[str, list[list[str]]] = {f: [] for f in (*FACET_FIELDS, *RELATION_FIELDS)}
    for c in kb.clauses:
        reg = kb.registry_for(c.doc)
        out["kind"].append([c.kind])
        out["domain"].append([c.domain] if c.domain else [])
        out["doc"].append([c.doc])
        out["departments"].append(list(dict.fromkeys(c.departments)))
        out["shared"].append(sorted({m for g in c.departments if reg.is_group(g) for m in reg.members(g)}))
        out["mentions"].append(list(dict.fromkeys(kb.mentions.get(c.id, ()))))
        out["lead"].append(list(dict.fromkeys(kb.leads(c))))
    return out


def _write_facets(path: Path, kb):
    """facets.json (values of each field, in order of first use) and facets.npz (clause/value pairs)."""
    names: dict[str, list[str]] = {}
    arrays: dict[str, np.ndarray] = {}
    for fname, per_clause in _relations(kb).items():
        ids: dict[str, int] = {}
        fwd_off = np.zeros(len(per_clause) + 1, np.int64)
        vals = []
        for i, values in enumerate(per_clause):
            vals += [ids.setdefault(v, len(ids)) for v in values]
            fwd_off[i + 1] = len(vals)
        fwd_val = np.array(vals, np.uint32)
        fwd_doc = np.repeat(np.arange(len(per_clause), dtype=np.uint32), np.diff(fwd_off))
        order = np.argsort(fwd_val, kind="stable")
        inv_off = np.zeros(len(ids) + 1, np.int64)
        np.cumsum(np.bincount(fwd_val, minlength=len(ids)), out=inv_off[1:])
        names[fname] = list(ids)
        parts: dict[str, np.ndarray] = {
            "fwd_off": fwd_off, "fwd_val": fwd_val, "inv_off": inv_off, "inv_doc": fwd_doc[order],
        }
        arrays |= {f"{fname}.{k}": _compact(v) for k, v in parts.items()}
    (path / "facets.json").write_text(json.dumps(names, ensure_ascii=False), encoding="utf-8")
    np.savez_compressed(path / "facets.npz", **arrays)  # type: ignore[arg-type]  # numpy's stub types **kwds as bool


def _compact(a: np.ndarray) -> np.ndarray:
    """a in the smallest unsigned integer type that holds it (the readers take any)."""
    top = int(a.max()) if len(a) else 0
    return a.astype(next(t for t in (np.uint8, np.uint16, np.uint32, np.uint64) if top <= np.iinfo(t).max))


def _write_vocab(path: Path, vocab: dict[str, int]):
    """A prefix dictionary of the indexed words, so a query needs no 1-second jieba start-up."""
    base = segment.tokenizer()
    freq, total = {}, 0
    for word in vocab:
        f = base.FREQ.get(word) or vocab[word]
        freq[word] = f
        total += f
        for j in range(1, len(word)):
            freq.setdefault(word[:j], 0)
    (path / "vocab.json").write_text(json.dumps({"total": total, "freq": freq}, ensure_ascii=False), encoding="utf-8")


def index_ok(path: Path) -> bool:
    """True when path holds a whole index of this format: every file there, of consistent sizes, and the
    arrays compiled from the Whoosh index beside them (same clauses, same words, same word occurrences)."""
    try:
        files = _Files(path)
        return _matches_whoosh(path / WHOOSH_DIR, files)
    except Exception:
        return False


def _matches_whoosh(path: Path, files: _Files) -> bool:
    """A cheap cross-check of the arrays against Whoosh's counts (no posting list read)."""
    from whoosh.index import open_dir

    with open_dir(path).reader() as reader:
        if reader.doc_count_all() != files.n or reader.doc_count() != files.n:
            return False
        for name, postings in files.fields.items():
            if sum(1 for _ in reader.lexicon(name)) != np.count_nonzero(np.diff(postings.offsets)):
                return False
            if reader.field_length(name) != int(postings.tfs.sum(dtype=np.int64)):
                return False
    return True


def read_substring(path: Path) -> bytes:
    """The text of substring.z (the normalised clauses side by side, SEP between them) as UTF-16-LE bytes."""
    with _inflating_lock:
        started = _inflating.pop(str(path), None)
    return started.result() if started is not None else _inflate(path)


class Haystack:
    """The normalised clauses side by side, kept as the UTF-16 code units substring.z holds (never decoded whole:
    two bytes a character, whatever the text).

    A needle is found with ``bytes.find`` while it is in few clauses, and past SCAN_FIND_LIMIT of them by array
    comparisons: the rarest of its code units marks the places to check, the others confirm them.  A needle
    never holds SEP or TAG_SEP (normalise drops them), so no match spans two clauses or a text and its tag;
    a surrogate pair is matched as the two units it is.
    """

    def __init__(self, raw: bytes, n: int):
        if len(raw) % 2:
            raise ValueError(SUBSTRING)
        self.raw = raw
        self.units = np.frombuffer(raw, np.uint16)
        seps = np.flatnonzero(self.units == ord(SEP))
        if len(seps) != max(n - 1, 0) or (not n and raw):
            raise ValueError(SUBSTRING)
        # Valid UTF-16 (each high surrogate followed by a low one, and no other low one), as decoding it would check.
        pairs = np.flatnonzero((self.units & 0xF800) == 0xD800)
        if len(pairs):
            high = pairs[self.units[pairs] < 0xDC00]
            if len(pairs) != 2 * len(high) or not np.array_equal(pairs[1::2], high + 1) or not np.array_equal(pairs[::2], high):
                raise ValueError(SUBSTRING)
        self.starts = np.concatenate(([0], seps + 1)).astype(np.int64)
        self.ends = np.concatenate((seps, [len(self.units)])).astype(np.int64)  # each clause's end (its SEP)
        self._freq: np.ndarray | None = None  # about how often each code unit occurs (made on the first many-clause scan)

    def clause(self, i: int) -> str:
        """Clause i's normalised text and tag."""
        return codecs.utf_16_le_decode(self.raw[2 * int(self.starts[i]) : 2 * int(self.ends[i])], "strict", True)[0]

    def _find(self, pattern: bytes, start: int) -> int:
        """The first code unit at or after start where pattern begins (-1: none); odd byte offsets are not units."""
        pos = self.raw.find(pattern, 2 * start)
        while pos >= 0 and pos % 2:
            pos = self.raw.find(pattern, pos + 1)
        return pos // 2 if pos >= 0 else -1

    @staticmethod
    def _pattern(needle: str) -> bytes | None:
        """needle's code units; None for a lone surrogate (from undecodable command-line bytes), which no text holds."""
        try:
            return needle.encode("utf-16-le")
        except UnicodeEncodeError:
            return None

    def contains(self, needle: str) -> bool:
        pattern = self._pattern(needle)
        return pattern is not None and self._find(pattern, 0) >= 0

    def scan(self, needle: str) -> np.ndarray:
        """Positions (ascending) of the clauses holding needle."""
        pattern = self._pattern(needle)
        if pattern is None:
            return np.zeros(0, np.int64)
        starts = self.starts
        found: list[int] = []
        at = self._find(pattern, 0)
        while at >= 0 and len(found) < SCAN_FIND_LIMIT:
            i = int(np.searchsorted(starts, at, "right")) - 1
            found.append(i)
            if i + 1 >= len(starts):
                return np.array(found, np.int64)
            at = self._find(pattern, int(starts[i + 1]))  # one hit per clause is enough
        if at < 0:
            return np.array(found, np.int64)
        lo = int(starts[np.searchsorted(starts, at, "right") - 1])  # the rest, from the clause of this hit on
        return np.unique(np.concatenate([np.array(found, np.int64), np.searchsorted(starts, self._places(pattern, lo), "right") - 1]))

    def _places(self, pattern: bytes, lo: int) -> np.ndarray:
        """Every code unit at or after lo where pattern begins."""
        want = np.frombuffer(pattern, np.uint16)
        if self._freq is None:  # from every 16th unit: any anchor finds the same places, a rare one fewer to check
            self._freq = np.bincount(self.units[::16], minlength=1 << 16)
        k = int(np.argmin(self._freq[want]))
        region = self.units[lo:]
        places = np.flatnonzero(region == want[k]) - k
        places = places[(places >= 0) & (places <= len(region) - len(want))]
        for j, unit in enumerate(want.tolist()):
            if j != k:
                places = places[region[places + j] == unit]
        return places + lo

    def figures(self, pattern: re.Pattern) -> np.ndarray:
        """Positions of the clauses pattern finds something in (decoded a block of clauses at a time)."""
        hits: list[int] = []
        for a in range(0, len(self.starts), SCAN_BLOCK_CLAUSES):
            b = min(a + SCAN_BLOCK_CLAUSES, len(self.starts))
            block = codecs.utf_16_le_decode(self.raw[2 * int(self.starts[a]) : 2 * int(self.ends[b - 1])], "strict", True)[0]
            hits += [a + k for k, text in enumerate(block.split(SEP)) if pattern.search(text)]
        return np.array(hits, np.int64)


def _inflate(path: Path) -> bytes:
    return zlib.decompress(path.read_bytes())


_inflating: dict[str, Future] = {}
_inflating_lock = threading.Lock()


@contextmanager
def inflating(index_dir: Path):
    """Inflate an index's substring.z in a thread while the caller loads the knowledge base (zlib lets go of
    the GIL): the index opened within picks it up; nothing is left behind if it is not opened."""
    path = str(Path(index_dir) / SUBSTRING)
    future: Future = Future()

    def run():
        try:
            future.set_result(_inflate(Path(path)))
        except BaseException as exc:  # read_substring raises it where it would have
            future.set_exception(exc)

    with _inflating_lock:
        _inflating[path] = future
    threading.Thread(target=run, name="plankb-inflate", daemon=True).start()
    try:
        yield
    finally:
        with _inflating_lock:
            if _inflating.get(path) is future:
                del _inflating[path]


class _Files:
    """The index files of a generation, opened (posting lists memory-mapped) and checked against each other."""

    def __init__(self, path: Path):
        meta = json.loads((path / "plankb-index.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT or not isinstance(meta.get("clauses"), int):
            raise ValueError("plankb-index.json")
        self.n = n = meta["clauses"]
        self.ends = tuple(meta["ids"]) if n else (None, None)
        terms = (path / "terms.txt").read_text(encoding="utf-8")
        self.terms = {t: i for i, t in enumerate(terms.split("\n"))} if terms else {}
        self.fields = {f: Postings(path, f, n, len(self.terms)) for f in TEXT_FIELDS}
        self.hay = Haystack(read_substring(path / SUBSTRING), n)
        names = json.loads((path / "facets.json").read_text(encoding="utf-8"))
        with np.load(path / "facets.npz") as arrays:
            self.rel = {f: Relation(names[f], arrays, f, n) for f in (*FACET_FIELDS, *RELATION_FIELDS)}
        self.vocab = json.loads((path / "vocab.json").read_text(encoding="utf-8"))
        if not isinstance(self.vocab.get("freq"), dict) or not isinstance(self.vocab.get("total"), int) or self.vocab["total"] <= 0:
            raise ValueError("vocab.json")


# -- the seam ---------------------------------------------------------------------
@dataclass
class EngineQuery:
    """What search asks of the engine: keyword groups (any variant matches), filters, ranking."""

    keywords: list[list[str]] = field(default_factory=list)
    filters: dict[str, list[str]] = field(default_factory=dict)  # doc, kind, domain, departments[_all], also (each tagged)
    department: str | None = None  # rank assigned > shared > mentioned for this department
    words: bool = True  # False: exact strings only (a literal search); True: all-words and some-words tiers too
    # An analysed query (kb.query): the typed string, which keyword groups can carry a match alone,
    # kinds to rank first, figures first, and a unit whose duty list the query asks for.
    phrase: str = ""  # every clause holding it is returned first (Ctrl+F parity)
    carry: list[bool] | None = None  # per keyword group; None: the typed-words rule of literal keywords
    prefer: list[str] = field(default_factory=list)
    target: bool = False
    duty_of: str | None = None  # matched within the unit's assigned, lead-in-text and shared clauses
    offset: int = 0
    limit: int | None = 20  # None: all hits
    facets: bool = True  # False: no facet counts (exports, which list hits only)


@dataclass
class EngineHit:
    position: int  # index into kb.clauses
    score: float
    tier: str = "exact"  # exact, words (every keyword held as words) or partial


@dataclass
class EngineResult:
    """The requested page as parallel lists (an export of every hit makes no object per hit)."""

    total: int
    positions: list[int]  # indexes into kb.clauses, in rank order
    scores: np.ndarray = field(compare=False)  # float64 (compared through hits)
    tiers: list[str]  # exact, words or partial
    facets: dict[str, dict[str, int]]
    terms: list[str]  # the words the engine matched on, for highlighting
    full: int = 0  # hits holding every keyword (they come first)

    @property
    def hits(self) -> list[EngineHit]:
        return [EngineHit(p, s, t) for p, s, t in zip(self.positions, self.scores.tolist(), self.tiers)]


class Postings:
    """One field's posting lists (memory-mapped) and the BM25 length norm of every clause."""

    def __init__(self, path: Path, name: str, n: int, nterms: int):
        # Plain views of the maps: numpy's memmap subclass costs tens of microseconds per slice.
        self.offsets = np.asarray(np.load(path / f"{name}.offsets.npy", mmap_mode="r"))
        self.docs = np.asarray(np.load(path / f"{name}.docs.npy", mmap_mode="r"))
        self.tfs = np.asarray(np.load(path / f"{name}.tfs.npy", mmap_mode="r"))
        lengths = np.load(path / f"{name}.lengths.npy")
        if len(self.offsets) != nterms + 1 or len(lengths) != n or len(self.docs) != len(self.tfs) or int(self.offsets[-1]) != len(self.docs):
            raise ValueError(name)
        avgdl = int(lengths.sum()) / n if n else 1.0
        # K1 · (1 − B + B · length / avgdl): the part of BM25's denominator that depends on the clause.
        self.norm = K1 * (1 - B + B * lengths / avgdl)
        self.n = n

    def postings(self, tid: int | None) -> tuple[np.ndarray, np.ndarray]:
        if tid is None:
            return _EMPTY_U32, _EMPTY_U32
        lo, hi = int(self.offsets[tid]), int(self.offsets[tid + 1])
        return np.asarray(self.docs[lo:hi]), np.asarray(self.tfs[lo:hi])

    def add_scores(self, scores: np.ndarray, positions: np.ndarray, member: np.ndarray, tid: int | None):
        """Add one word's BM25 to scores (aligned with positions, ascending; member: the same set as a mask)."""
        docs, tfs = self.postings(tid)
        if not len(docs):
            return
        idf = math.log(1 + (self.n - len(docs) + 0.5) / (len(docs) + 0.5))
        if len(positions) * 8 > self.n and len(docs) * 8 > self.n:  # both large: every clause's score, then pick
            f = tfs.astype(np.float64)
            dense = np.zeros(self.n)
            dense[docs] = idf * f * (K1 + 1) / (f + self.norm[docs])
            scores += dense[positions]
            return
        if len(docs) <= len(positions):
            keep = member[docs]
            docs, tfs = docs[keep], tfs[keep]
            at = np.searchsorted(positions, docs)
        else:
            at = np.searchsorted(docs, positions)
            found = at < len(docs)
            found[found] = docs[at[found]] == positions[found]
            tfs = tfs[at[found]]
            docs = positions[found]
            at = np.flatnonzero(found)
        f = tfs.astype(np.float64)
        scores[at] += idf * f * (K1 + 1) / (f + self.norm[docs])


_EMPTY_U32 = np.zeros(0, np.uint32)


def _offsets(stored: np.ndarray) -> np.ndarray:
    """Offsets into a posting array, as 32-bit integers while they fit (half the memory of the stored int64)."""
    return stored.astype(np.int32 if not len(stored) or int(stored[-1]) < 2**31 else np.int64)


class Relation:
    """A facet or relation field: each clause's values and each value's clauses, as arrays."""

    def __init__(self, values: list[str], arrays, name: str, n: int):
        self.values = values
        self.ids = {v: i for i, v in enumerate(values)}
        self._value_array = object_array(values)  # looked up by a whole array of value ids at once
        self._normalised: list[str] | None = None
        self.fwd_off = _offsets(arrays[f"{name}.fwd_off"])
        self.fwd_val = arrays[f"{name}.fwd_val"]
        self.inv_off = _offsets(arrays[f"{name}.inv_off"])
        self.inv_doc = arrays[f"{name}.inv_doc"]
        if len(self.fwd_off) != n + 1 or len(self.inv_off) != len(values) + 1 or len(self.fwd_val) != len(self.inv_doc):
            raise ValueError(name)
        self.single = len(self.fwd_val) == n and bool((np.diff(self.fwd_off) == 1).all())  # one value per clause
        # Each posting's clause (for one value per clause, the posting's own place: not kept).
        self.fwd_doc = _EMPTY_U32 if self.single else np.repeat(np.arange(n, dtype=np.uint32), np.diff(self.fwd_off))

    def normalised(self) -> list[str]:
        """The values as queries match them (normalise), made once."""
        if self._normalised is None:
            self._normalised = [normalise(v) for v in self.values]
        return self._normalised

    def docs(self, vid: int) -> np.ndarray:
        """The clauses holding value vid, ascending."""
        return self.inv_doc[self.inv_off[vid] : self.inv_off[vid + 1]]

    def mask(self, value: str, n: int) -> np.ndarray:
        out = np.zeros(n, bool)
        vid = self.ids.get(value)
        if vid is not None:
            out[self.docs(vid)] = True
        return out

    def holds(self, value: str, positions: np.ndarray) -> np.ndarray:
        """For each of these clause positions, whether the clause has value (mask() for a few clauses)."""
        vid = self.ids.get(value)
        if vid is None:
            return np.zeros(len(positions), bool)
        docs = self.docs(vid)
        at = np.searchsorted(docs, positions)
        return (at < len(docs)) & (docs[np.minimum(at, len(docs) - 1)] == positions) if len(docs) else np.zeros(len(positions), bool)

    def counts(self, matched: np.ndarray, positions: np.ndarray) -> dict[str, int]:
        """Clauses per value among the matched ones (values with none left out, in first-use order)."""
        if self.single:
            vals = self.fwd_val[positions] if len(positions) * 4 < len(matched) else self.fwd_val[matched]
        elif len(positions) * 4 >= len(matched):
            vals = self.fwd_val[matched[self.fwd_doc]]
        else:
            lo, hi = self.fwd_off[positions], self.fwd_off[positions + 1]
            sizes = hi - lo
            if not sizes.sum():
                return {}
            starts = np.repeat(lo - np.concatenate(([0], np.cumsum(sizes)[:-1])), sizes)
            vals = self.fwd_val[starts + np.arange(int(sizes.sum()))]
        counts = np.bincount(vals, minlength=len(self.values))
        held = np.flatnonzero(counts)
        return dict(zip(self._value_array[held].tolist(), counts[held].tolist()))


class Index:
    """An open index: queries answered with hits as positions in kb.clauses."""

    def __init__(self, path: Path, kb):
        self.path = Path(path)
        self.kb = kb
        try:
            files = _Files(self.path)
        except Exception as exc:
            raise DataDirError(f"索引 {self.path} 无法打开（{type(exc).__name__}）：请运行 plankb build --force") from None
        n = files.n
        if n != len(kb.clauses):
            raise DataDirError(f"索引 {self.path} 与知识库不一致（{n} ≠ {len(kb.clauses)}）：请运行 plankb build --force")
        if n and files.ends != (kb.clauses[0].id, kb.clauses[-1].id):
            raise DataDirError(f"索引 {self.path} 的顺序与知识库不一致：请运行 plankb build --force")
        self.n = n
        self._terms, self.fields, self._hay = files.terms, files.fields, files.hay
        self._rel, self._vocab = files.rel, files.vocab
        self._tok = None
        self._figure_mask: np.ndarray | None = None
        self._contexts: OrderedDict = OrderedDict()  # word → clauses whose context holds it
        # Substring results, kept within CACHE_BYTES: the engine's equivalent of a filter cache;
        # repeated words and strings skip the scan.
        self._substrings: OrderedDict = OrderedDict()
        self._cache_bytes = 0
        self._lock = threading.Lock()

    def _none(self) -> np.ndarray:
        return np.zeros(self.n, bool)

    def _every(self) -> np.ndarray:
        return np.ones(self.n, bool)

    # -- query-time tokenising without the 1-second default dictionary --
    def tokenizer(self):
        """jieba over the indexed words only: an empty base dictionary, then each word with its frequency."""
        if self._tok is None:
            tok = segment.import_jieba().Tokenizer(dictionary=str(EMPTY_DICTIONARY))
            for word, freq in self._vocab["freq"].items():
                if freq:  # the zero entries are prefixes, which add_word makes itself
                    tok.add_word(word, freq)
            self._tok = tok
        return self._tok

    def values(self, fname: str) -> list[str]:
        """The values of a facet field in order of first use in the clauses (domains: the KB's domain order)."""
        return self._rel[fname].values

    def words(self, keyword: str) -> list[str]:
        """The query-time jieba tokens of a keyword (punctuation dropped)."""
        norm = unicodedata.normalize("NFKC", keyword).lower()
        return [w for w in self.tokenizer().cut(norm, HMM=False) if w.strip() and not RE_SKIP.match(w)]

    # -- matching --
    def _substring(self, needle: str) -> np.ndarray:
        """Clauses whose normalised text or tag contains needle (what Ctrl+F finds), as a mask (cached)."""
        return self._unpack(self._found(needle))

    def _found(self, needle: str) -> np.ndarray:
        """The clauses holding needle as kept in the cache: their positions (uint32) while they are few
        (most strings), else the mask's bits (uint8); either way a fraction of a mask, so many strings fit."""
        with self._lock:
            kept = self._substrings.get(needle)
            if kept is not None:
                self._substrings.move_to_end(needle)
                return kept
        found = self._hay.scan(needle)
        if len(found) * 32 < self.n:
            kept = found.astype(np.uint32)
        else:
            mask = self._none()
            mask[found] = True
            kept = np.packbits(mask)
        with self._lock:
            if needle not in self._substrings:
                self._substrings[needle] = kept
                self._cache_bytes += kept.nbytes + 64
                while self._cache_bytes > CACHE_BYTES and len(self._substrings) > 1:
                    _, dropped = self._substrings.popitem(last=False)
                    self._cache_bytes -= dropped.nbytes + 64
        return kept

    def _unpack(self, kept: np.ndarray) -> np.ndarray:
        """A cached substring result as a mask: positions (uint32) or bits (uint8)."""
        if kept.dtype == np.uint32:
            mask = self._none()
            mask[kept] = True
            return mask
        return np.unpackbits(kept, count=self.n).view(bool)

    def share(self, word: str) -> float:
        """The share of clauses whose text or tag holds word."""
        norm = normalise(word)
        if not norm or not self.n:
            return 0.0
        kept = self._found(norm)
        return (len(kept) if kept.dtype == np.uint32 else int(np.count_nonzero(self._unpack(kept)))) / self.n

    def contains(self, text: str) -> bool:
        """True when some clause's text or tag contains text (after normalisation)."""
        norm = normalise(text)
        if not norm:
            return False
        with self._lock:
            hit = self._substrings.get(norm)
        if hit is not None:
            return bool(len(hit)) if hit.dtype == np.uint32 else bool(hit.any())
        return self._hay.contains(norm)  # the first hit is enough

    def relations(self, departments: list[str], positions: list[int]) -> list[str]:
        """How each clause concerns the first of departments it concerns at all (KnowledgeBase.relation,
        read from the relation arrays), else "text"."""
        names = [tier for tier, _ in DEPT_TIERS]
        code = np.full(len(positions), len(names), np.int8)
        at = np.asarray(positions, np.int64)
        for dept in departments:
            for k, (_, fname) in enumerate(DEPT_TIERS):
                code[(code == len(names)) & self._rel[fname].holds(dept, at)] = k
        names.append("text")
        return [names[k] for k in code.tolist()]

    def _filter_mask(self, filters) -> np.ndarray:
        mask = self._every()
        for fname, values in filters.items():
            if not values:
                continue
            if fname.endswith("_all") or fname == "also":  # every value: departments_all, also
                rel = self._rel.get("departments" if fname == "also" else fname[: -len("_all")])
                for v in values:
                    mask &= rel.mask(v, self.n) if rel else self._none()
                continue
            rel = self._rel.get(fname)
            any_mask = self._none()
            for v in values:
                if rel:
                    any_mask |= rel.mask(v, self.n)
            mask &= any_mask
        return mask

    def bm25(self, positions: np.ndarray, member: np.ndarray, terms: dict[str, list[str]]) -> np.ndarray:
        """BM25 of each position (ascending; member: the same set as a mask), summed over the fields.

        :param terms: per field, the words to score (each counted once).
        """
        scores = np.zeros(len(positions))
        for fname, words in terms.items():
            postings = self.fields[fname]
            for w in dict.fromkeys(words):
                postings.add_scores(scores, positions, member, self._terms.get(w))
        return scores

    def _keyword_sets(self, eq: EngineQuery):
        """Per keyword group: (exact mask, all-words mask); the real words of the typed text with their masks.

        Exact: the normalised keyword (or a synonym) occurs as a string, what Ctrl+F finds.
        All words: every word jieba cuts it into occurs (function and question words aside);
        only when it cuts into at least two words of two characters or more, so a match
        never rests on scattered single characters (高/铁/站).
        Real words (for some-words matches): two characters or more, not a stop word,
        present in the plan; none at all when they cover less than half of what was typed.
        An analysed query (``carry`` given) has one content word per group already: the groups
        that may carry a match alone are its real words.
        """
        groups, units, terms = [], {}, []
        typed_chars = unit_chars = 0
        for g, group in enumerate(eq.keywords):
            exact, whole = self._none(), self._none()
            for i, variant in enumerate(group):
                norm = normalise(variant)
                if not norm:
                    continue
                held = self._substring(norm)
                exact |= held
                words = self.words(variant)
                if eq.carry is None or held.any():
                    terms.extend(words)  # an analysed query ranks on the variants the plan holds
                if not eq.words:
                    continue
                required = [w for w in words if w not in FUNCTION_WORDS]
                if len(required) > 1 and all(len(w) > 1 for w in required):
                    bits = self._every()
                    for w in required:
                        bits &= self._substring(normalise(w))
                    whole |= bits
                if i or eq.carry is not None:
                    continue  # synonyms match as strings or whole; their pieces do not count alone
                for w in required:
                    typed_chars += len(w)
                    if len(w) > 1 and w not in STOPWORDS and w not in units:
                        bits = self._substring(normalise(w))
                        if bits.any():
                            units[w] = bits
                            unit_chars += len(w)
            groups.append((exact, exact | whole))
            if eq.carry is not None and eq.words and g < len(eq.carry) and eq.carry[g] and (exact | whole).any():
                units[group[0]] = exact | whole
        if eq.carry is None and (not typed_chars or unit_chars * 2 < typed_chars):
            units = {}
        return groups, units, terms

    @staticmethod
    def _some(units: dict[str, np.ndarray], relaxed: bool) -> np.ndarray | None:
        """Clauses holding at least half of the real words; relaxed (an analysed query): any of them."""
        if not units:
            return None
        held = np.sum([bits for bits in units.values()], axis=0, dtype=np.int32)
        return np.asarray(held >= (1 if relaxed else (len(units) + 1) // 2))

    def search(self, eq: EngineQuery) -> EngineResult:
        """Answer an EngineQuery: total, full matches, the requested page of hits, facet counts.

        Tiers, each ranked by BM25 within: every keyword as an exact string, every keyword
        as exact string or all its words, then some words (at least half of the real words
        typed).  With a department (a bare name), its relation ranks first and every related
        clause counts as a full match.
        """
        fmask = self._filter_mask(eq.filters)
        groups, units, terms = self._keyword_sets(eq)
        exact, full = (self._every(), self._every()) if groups else (self._none(), self._none())
        for s, w in groups:
            exact &= s
            full &= w
        if eq.phrase and eq.words and normalise(eq.phrase):
            # An analysed query: the exact tier is the typed string, what Ctrl+F finds.
            typed = self._substring(normalise(eq.phrase))
            exact = typed.copy() if eq.carry is not None else exact | typed
            full |= typed
        some = self._some(units, eq.carry is not None)
        partial = some if some is not None else self._none()
        dept = {}
        if eq.department:
            for tier, fname in DEPT_TIERS:
                dept[tier] = self._rel[fname].mask(eq.department, self.n)
                full |= dept[tier]
        matched = full | partial
        duty = []
        if eq.duty_of:
            related = self._none()
            for _, fname, weight in DUTY_TIER:
                bits = self._rel[fname].mask(eq.duty_of, self.n) & ~related
                duty.append((bits, weight))
                related |= bits
            if groups:
                full &= related
                matched &= related
            else:
                matched, full = related.copy(), related.copy()
        elif not groups and not eq.department:
            matched = self._every()
            full = self._every()
        matched &= fmask
        full &= matched
        positions = np.flatnonzero(matched)
        facets = {f: self._rel[f].counts(matched, positions) for f in FACET_FIELDS} if eq.facets else {}
        # Each clause's tier score: the sum of the weights of the sets holding it.
        level = np.zeros(len(positions), np.int64)
        parts = [(exact, SCORE_EXACT), (full, SCORE_FULL)]
        if eq.carry is not None:
            parts += self._analysed_parts(eq, groups, units, matched) + duty
        else:
            if len(groups) > 1:
                parts += [(s, SCORE_SUBSTRING) for s, _ in groups]
            parts += [(bits, SCORE_WORD) for bits in units.values()]
        for bits, weight in parts:
            level += bits[positions] * weight
        if dept:
            rel = np.zeros(len(positions), np.int64)
            for tier, _ in reversed(DEPT_TIERS):  # the first relation holding a clause counts
                rel[dept[tier][positions]] = TIER[tier]
            level += rel + np.where((rel < TIER["lead_in_text"]) & exact[positions], NAME_HELD, 0)
        if eq.carry is None and duty:
            for bits, weight in duty:
                level += bits[positions] * weight
        page = self._page(positions, level, matched, exact, full, {"text": terms} if terms else {}, eq)
        marks = list(dict.fromkeys([*units, *(t for t in terms if len(t) > 1 and t not in FUNCTION_WORDS)]))
        return EngineResult(len(positions), *page, facets, marks, int(np.count_nonzero(full)))

    def _analysed_parts(self, eq: EngineQuery, groups, units, matched) -> list[tuple[np.ndarray, int]]:
        """Tier weights of an analysed query: every carrying word, each group by its rarity, kinds, figures."""
        parts: list[tuple[np.ndarray, int]] = []
        if units and len(units) < len(groups):
            core = matched.copy()
            for bits in units.values():
                core &= bits
            parts.append((core, SCORE_CORE))  # every word that can carry a match, common ones aside
        if len(groups) > 1:
            parts += [(w, self._coordination(w)) for _, w in groups]
        if eq.prefer:
            parts.append((self._filter_mask({"kind": eq.prefer}), SCORE_PREFER))
        if eq.target:
            parts.append((self._figures(), SCORE_TARGET))
        return parts

    def _coordination(self, mask: np.ndarray) -> int:
        """A keyword group's weight when held: SCORE_SUBSTRING scaled by its rarity (idf), at least a tenth."""
        df = int(np.count_nonzero(mask))
        idf = math.log(1 + (self.n - df + 0.5) / (df + 0.5))
        top = math.log(1 + (self.n - 0.5) / 1.5)
        return int(SCORE_SUBSTRING * max(0.1, min(1.0, idf / top)))

    def _figures(self) -> np.ndarray:
        """Clauses stating a figure (70%以上, 12/10万): the targets a 多少 question asks for."""
        mask = self._figure_mask
        if mask is None:
            mask = self._none()
            mask[self._hay.figures(RE_FIGURE)] = True
            self._figure_mask = mask
        return mask

    def _context(self, norm: str) -> np.ndarray:
        """Clauses whose domain title or unit names hold norm (cached per word, as bits)."""
        packed = self._contexts.get(norm)
        if packed is not None:
            return np.unpackbits(packed, count=self.n).view(bool)
        hit = self._none()
        for table in ("domain", "departments"):
            rel = self._rel[table]
            for vid, value in enumerate(rel.normalised()):
                if norm and norm in value:
                    hit[rel.docs(vid)] = True
        with self._lock:
            self._contexts[norm] = np.packbits(hit)
            while len(self._contexts) > 256:
                self._contexts.popitem(last=False)
        return hit

    def _context_and_proximity(self, bm: np.ndarray, sel: np.ndarray, keywords, whole: bool) -> None:
        """Add to BM25: a content word in the context (domain title, unit names) of a clause whose text holds
        some word of the query, and the groups' strings close together."""
        for group in keywords:
            ctx = self._none()
            for variant in group:
                ctx |= self._context(normalise(variant))
            df = int(np.count_nonzero(ctx))
            if df:
                weight = SCORE_CONTEXT * math.log(1 + (self.n - df + 0.5) / (df + 0.5))
                bm += np.where(ctx[sel] & (bm > 0), weight, 0.0)  # context never outranks a word held
        if not whole or len(keywords) < 2 or len(sel) > NEAR_MAX_CLAUSES:
            return
        needles = [[normalise(v) for v in group if normalise(v)] for group in keywords]
        for k, p in enumerate(sel.tolist()):
            text = self._hay.clause(p)
            spots = []
            for variants in needles:
                found = [(i, i + len(v)) for v in variants for i in _finds(text, v)]
                if not found:
                    break
                spots.append(found)
            else:
                if _window(spots) <= NEAR_CHARS + sum(len(v[0]) for v in needles):
                    bm[k] += SCORE_NEAR

    def _page(self, positions, level, matched, exact, full, terms, eq: EngineQuery) -> tuple[list[int], np.ndarray, list[str]]:
        """The requested page (positions, scores, tiers): by tier score, BM25 within a tier, then document order."""
        end = None if eq.limit is None else eq.offset + eq.limit
        at: list[int] = []
        scores: list[np.ndarray] = []
        tiers: list[str] = []
        seen = 0  # hits in the levels before this one
        single = not len(level) or level.min() == level.max()
        for score, sel in _levels(positions, level, single, end is None):
            if end is not None and seen >= end:
                break
            count = len(sel)
            if seen + count <= eq.offset:
                seen += count
                continue
            lo = max(0, eq.offset - seen)
            hi = count if end is None else min(count, end - seen)
            first = int(sel[0])
            tier = "exact" if exact[first] else "words" if full[first] else "partial"
            if terms:
                member = matched if single else _mask_of(sel, self.n)
                bm = self.bm25(sel, member, terms)
                if eq.carry is not None:
                    self._context_and_proximity(bm, sel, eq.keywords, bool(full[sel].all()))
                    np.minimum(bm, 999.0, out=bm)
                if hi < count:  # the best hi by (BM25 desc, position asc): all tied with the hi-th, then sorted
                    cut = np.partition(-bm, hi - 1)[hi - 1]
                    cand = np.flatnonzero(-bm <= cut)
                    order = cand[np.argsort(-bm[cand], kind="stable")][:hi]
                else:
                    order = np.argsort(-bm, kind="stable")
                page = order[lo:hi]
                at += sel[page].tolist()
                scores.append(score + round4(bm[page]))
            else:
                at += sel[lo:hi].tolist()
                scores.append(np.full(max(0, hi - lo), float(score)))
            tiers += [tier] * (len(at) - len(tiers))
            seen += count
        return at, np.concatenate(scores) if scores else np.zeros(0), tiers


def round4(values: np.ndarray) -> np.ndarray:
    """round(v, 4) of every value, exactly as Python rounds floats, as one array operation.

    ``rint(v * 1e4) / 1e4`` agrees with Python's correctly rounded ``round`` except where the scaled
    value lies on (or within float error of) a half: those few are rounded by Python itself.  Exact
    while v * 1e4 < 2**52 (scores stay below 1e10).
    """
    scaled = values * 1e4
    out = np.rint(scaled) / 1e4
    near = np.flatnonzero(np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6)
    if len(near):
        out[near] = [round(v, 4) for v in values[near].tolist()]
    return out


def _finds(text: str, needle: str, most: int = 8) -> list[int]:
    out: list[int] = []
    i = text.find(needle)
    while i >= 0 and len(out) < most:
        out.append(i)
        i = text.find(needle, i + 1)
    return out


def _window(spots: list[list[tuple[int, int]]]) -> int:
    """The shortest stretch of text holding one occurrence of every group (few occurrences each)."""
    best = None
    for start, end in spots[0]:
        lo, hi = start, end
        for other in spots[1:]:
            a, b = min(other, key=lambda se: abs(se[0] - start))
            lo, hi = min(lo, a), max(hi, b)
        best = hi - lo if best is None else min(best, hi - lo)
    return best or 0


def _levels(positions: np.ndarray, level: np.ndarray, single: bool, every: bool):
    """(score, positions) per distinct level, highest first, positions ascending within.

    For a page, level by level (one pass each, the later ones rarely needed); for every hit, one sort.
    """
    if single:
        if len(level):
            yield int(level[0]), positions
        return
    if every:
        order = np.argsort(-level, kind="stable")
        ranked = level[order]
        bounds = [0, *(np.flatnonzero(np.diff(ranked)) + 1).tolist(), len(ranked)]
        for a, b in pairwise(bounds):
            yield int(ranked[a]), positions[order[a:b]]
        return
    left = level.copy()
    while True:
        score = int(left.max())
        if score < 0:
            return
        at = np.flatnonzero(left == score)
        left[at] = -1
        yield score, positions[at]


def _mask_of(positions: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n, bool)
    out[positions] = True
    return out
