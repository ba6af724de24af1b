"""The search engine seam: the only module that knows Whoosh.

``build_index`` writes a Whoosh index of every clause; ``Index`` answers
``EngineQuery`` objects with ranked hits and facet counts.  Everything above
this module (kb.search, the CLI, the web app) speaks only ``EngineQuery`` and
``EngineResult``, so another engine (OpenSearch with a Chinese analyzer, see
the README's design notes) can take its place without touching the rest.

Fields: ``words`` holds jieba tokens (BM25F, whole-word matches); ``grams``
holds, for every character position, the two characters starting there, so a
phrase of consecutive bigrams is an exact substring match (Ctrl+F recall).
"""

from __future__ import annotations

import json
import os
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index as windex
from whoosh import query as Q
from whoosh.analysis import LowercaseFilter, SpaceSeparatedTokenizer
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.scoring import BM25F

from kb import segment
from kb.errors import DataDirError
from kb.segment import RE_SKIP

FACET_FIELDS = ("kind", "domain", "departments", "doc")
# Constant scores put keyword coverage first, then exact substring over scattered words.
SCORE_GRAMS, SCORE_WORDS = 1000.0, 100.0
TIER = {"assigned": 30000.0, "shared": 20000.0, "mentioned": 10000.0}
# Words too common or too empty to carry a relaxed (any-word) match on their own.
STOPWORDS = set("的 了 是 和 与 及 或 在 有 为 对 把 被 等 中 上 下 个 这 那 哪 吗 呢 啊 请问 多少 什么 如何 怎么 怎样 哪些 哪个 哪条 规定 要求 关于 有关 相关 妇女 女性".split())


def normalise(text: str) -> str:
    """The form both index and query match in: NFKC (full-width → ASCII), lower case, no spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


def bigrams(text: str) -> list[str]:
    """One token per character position: the character and the one after it."""
    return [text[i : i + 2] for i in range(len(text))]


def schema() -> Schema:
    spaced = SpaceSeparatedTokenizer() | LowercaseFilter()
    return Schema(
        id=ID(stored=True, unique=True),
        doc=ID(stored=True),
        kind=ID(stored=True),
        domain=ID(stored=True),
        number=STORED(),
        citation=STORED(),
        text=STORED(),
        tag=STORED(),
        words=TEXT(analyzer=spaced, phrase=True, field_boost=1.0),
        grams=TEXT(analyzer=SpaceSeparatedTokenizer(), phrase=True, field_boost=0.5),
        departments=KEYWORD(stored=True, commas=True),
        shared=KEYWORD(commas=True),
        mentions=KEYWORD(commas=True),
    )


# -- building -------------------------------------------------------------------
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


def build_index(path: Path, kb, tokens: list[list[str]], progress=None):
    """Write the index of every clause of kb into path, from their jieba tokens (kb.segment)."""
    path.mkdir(parents=True, exist_ok=True)
    ix = windex.create_in(str(path), schema())
    writer = ix.writer(limitmb=256)
    vocab: dict[str, int] = {}
    total = len(kb.clauses)
    for i, (c, words) in enumerate(zip(kb.clauses, tokens)):
        for w in words:
            vocab[w] = vocab.get(w, 0) + 1
        reg = kb.registry_for(c.doc)
        shared = sorted({m for d in c.departments if reg.is_group(d) for m in reg.members(d)})
        # Text and tag each end in a one-character token, so nothing spans the seam.
        grams = bigrams(normalise(c.text)) + (bigrams(normalise(c.departments_raw)) if c.departments_raw else [])
        writer.add_document(
            id=c.id,
            doc=c.doc,
            kind=c.kind,
            domain=c.domain or "",
            number=c.number,
            citation=c.citation,
            text=c.text,
            tag=c.departments_raw or "",
            words=" ".join(words),
            grams=" ".join(grams),
            departments=",".join(c.departments),
            shared=",".join(shared),
            mentions=",".join(kb.mentions.get(c.id, [])),
        )
        if progress and (i % 2000 == 0 or i == total - 1):
            progress("index", i + 1, total)
    writer.commit(merge=False)
    _write_vocab(path, vocab)
    (path / "plankb-index.json").write_text(json.dumps({"clauses": total, "ids": [kb.clauses[0].id, kb.clauses[-1].id] if total else []}), encoding="utf-8")


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
    """True when path holds a readable index that says how many clauses it has."""
    try:
        meta = json.loads((path / "plankb-index.json").read_text(encoding="utf-8"))
        ix = windex.open_dir(str(path))
        with ix.searcher() as s:
            return s.doc_count() == meta["clauses"]
    except Exception:
        return False


# -- the seam ---------------------------------------------------------------------
@dataclass
class EngineQuery:
    """What search asks of the engine: keyword groups (any variant matches), filters, ranking."""

    keywords: list[list[str]] = field(default_factory=list)
    filters: dict[str, list[str]] = field(default_factory=dict)  # doc, kind, domain, departments
    department: str | None = None  # rank assigned > shared > mentioned for this department
    relaxed: bool = False  # any indexed word of a keyword matches (the fallback when nothing matched)
    offset: int = 0
    limit: int | None = 20  # None: all hits


@dataclass
class EngineHit:
    position: int  # index into kb.clauses
    score: float


@dataclass
class EngineResult:
    total: int
    hits: list[EngineHit]
    facets: dict[str, dict[str, int]]
    terms: list[str]  # the words the engine matched on, for highlighting


class Index:
    """An open index: queries answered with hits in kb.clauses order positions."""

    def __init__(self, path: Path, kb):
        self.path = Path(path)
        self.kb = kb
        try:
            self.ix = windex.open_dir(str(self.path))
            self._local = threading.local()
            check = self.ix.searcher()
        except Exception as exc:
            raise DataDirError(f"索引 {self.path} 无法打开（{type(exc).__name__}）：请运行 plankb build --force") from None
        n = check.doc_count_all()
        if n != len(kb.clauses):
            raise DataDirError(f"索引 {self.path} 与知识库不一致（{n} ≠ {len(kb.clauses)}）：请运行 plankb build --force")
        self.n = n
        # Documents were added in kb order in one segment, so docnum == clause position;
        # check both ends rather than trust it.
        first, last = (check.stored_fields(0)["id"], check.stored_fields(n - 1)["id"]) if n else (None, None)
        check.close()
        if n and (first != kb.clauses[0].id or last != kb.clauses[-1].id):
            raise DataDirError(f"索引 {self.path} 的顺序与知识库不一致：请运行 plankb build --force")
        self._bits = self._facet_bits()
        self._all = (1 << n) - 1
        self._tok = None

    @property
    def searcher(self):
        """This thread's Whoosh searcher: searchers share file positions and are not thread-safe."""
        s = getattr(self._local, "searcher", None)
        if s is None:
            s = self._local.searcher = self.ix.searcher(weighting=BM25F(B=0.75, K1=1.2))
        return s

    # -- facets as bitsets: count = popcount(matches & value bits) --
    def _facet_bits(self):
        lists: dict[str, dict[str, list[int]]] = {f: {} for f in (*FACET_FIELDS, "shared", "mentions")}
        for i, c in enumerate(self.kb.clauses):
            lists["kind"].setdefault(c.kind, []).append(i)
            if c.domain:
                lists["domain"].setdefault(c.domain, []).append(i)
            lists["doc"].setdefault(c.doc, []).append(i)
            for d in c.departments:
                lists["departments"].setdefault(d, []).append(i)
            reg = self.kb.registry_for(c.doc)
            for d in {m for g in c.departments if reg.is_group(g) for m in reg.members(g)}:
                lists["shared"].setdefault(d, []).append(i)
            for d in self.kb.mentions.get(c.id, ()):
                lists["mentions"].setdefault(d, []).append(i)
        return {f: {v: self._to_bits(p) for v, p in vals.items()} for f, vals in lists.items()}

    def _to_bits(self, positions) -> int:
        buf = bytearray((self.n + 7) // 8 or 1)
        for p in positions:
            buf[p >> 3] |= 1 << (p & 7)
        return int.from_bytes(buf, "little")

    @staticmethod
    def _positions(bits: int, start: int = 0, count: int | None = None) -> list[int]:
        """Set bit positions in ascending order, skipping `start` of them, at most `count`."""
        out, skipped = [], 0
        data = bits.to_bytes((bits.bit_length() + 7) // 8 or 1, "little")
        for byte_i, byte in enumerate(data):
            if not byte:
                continue
            for b in range(8):
                if byte >> b & 1:
                    if skipped < start:
                        skipped += 1
                        continue
                    out.append(byte_i * 8 + b)
                    if count is not None and len(out) >= count:
                        return out
        return out

    # -- query-time tokenising without the 1-second default dictionary --
    def tokenizer(self):
        if self._tok is None:
            import jieba

            jieba.setLogLevel(60)
            data = json.loads((self.path / "vocab.json").read_text(encoding="utf-8"))
            tok = jieba.Tokenizer()
            tok.FREQ, tok.total, tok.initialized = data["freq"], data["total"], True
            self._tok = tok
        return self._tok

    def words(self, keyword: str) -> list[str]:
        norm = unicodedata.normalize("NFKC", keyword).lower()
        return [w for w in self.tokenizer().cut(norm, HMM=False) if w.strip() and not RE_SKIP.match(w)]

    def _keyword_query(self, variant: str, terms: list[str], relaxed: bool = False):
        norm = normalise(variant)
        if not norm:
            return None
        if relaxed:
            words = [w for w in self.words(variant) if w not in STOPWORDS and self.tokenizer().FREQ.get(w)]
            terms.extend(words)
            return Q.Or([Q.Term("words", w) for w in dict.fromkeys(words)]) if words else None
        if len(norm) == 1:
            grams = Q.Prefix("grams", norm)
        elif len(norm) == 2:
            grams = Q.Term("grams", norm)
        else:
            grams = Q.Phrase("grams", [norm[i : i + 2] for i in range(len(norm) - 1)])
        subs = [Q.ConstantScoreQuery(grams, SCORE_GRAMS)]
        words = self.words(variant)
        terms.extend(words)
        if words:
            known = [w for w in words if w in self.tokenizer().FREQ and self.tokenizer().FREQ[w] > 0]
            if len(known) == len(words):
                subs.append(Q.ConstantScoreQuery(Q.And([Q.Term("words", w) for w in words]), SCORE_WORDS))
                subs.extend(Q.Term("words", w) for w in set(words))
        return Q.Or(subs)

    def _filter_bits(self, filters) -> int:
        bits = self._all
        for fname, values in filters.items():
            if not values:
                continue
            table = self._bits.get(fname, {})
            any_bits = 0
            for v in values:
                any_bits |= table.get(v, 0)
            bits &= any_bits
        return bits

    def search(self, eq: EngineQuery) -> EngineResult:
        """Answer an EngineQuery: total, the requested page of hits, facet counts."""
        fbits = self._filter_bits(eq.filters)
        terms: list[str] = []
        parts = []
        for group in eq.keywords:
            subs = [q for q in (self._keyword_query(v, terms, eq.relaxed) for v in group) if q is not None]
            if subs:
                parts.append(Q.Or(subs))
        dept_bits = 0
        if eq.department:
            for fname in ("departments", "shared", "mentions"):
                dept_bits |= self._bits[fname].get(eq.department, 0)
        if not parts and not eq.department:
            matched = fbits
            total = matched.bit_count()
            hits = [EngineHit(p, 0.0) for p in self._positions(matched, eq.offset, eq.limit)]
            return EngineResult(total, hits, self._facets(matched), terms)
        if parts:
            kw_query = Q.Or(parts) if len(parts) > 1 else parts[0]
            kw_docs = self._to_bits(self.searcher.docs_for_query(kw_query))
        else:
            kw_query, kw_docs = None, 0
        matched = (kw_docs | dept_bits) & fbits
        total = matched.bit_count()
        want = None if eq.limit is None else eq.offset + eq.limit
        scored: dict[int, float] = {}
        if kw_query is not None and matched:
            restrict = None if matched == kw_docs else set(self._positions(matched & kw_docs))
            if restrict is None or restrict:
                res = self.searcher.search(kw_query, filter=restrict, limit=None if eq.department else want)
                for hit in res:
                    scored[hit.docnum] = hit.score
        if eq.department:
            tiered = set()
            for tier, fname in (("assigned", "departments"), ("shared", "shared"), ("mentioned", "mentions")):
                for p in self._positions(self._bits[fname].get(eq.department, 0) & matched):
                    if p not in tiered:
                        tiered.add(p)
                        scored[p] = TIER[tier] + scored.get(p, 0.0)
        order = sorted(scored.items(), key=lambda kv: (-kv[1], kv[0]))
        page = order[eq.offset : None if want is None else want]
        return EngineResult(total, [EngineHit(p, s) for p, s in page], self._facets(matched), terms)

    def _facets(self, matched: int) -> dict[str, dict[str, int]]:
        out = {}
        for fname in FACET_FIELDS:
            counts = {}
            for value, bits in self._bits[fname].items():
                n = (bits & matched).bit_count()
                if n:
                    counts[value] = n
            out[fname] = counts
        return out
