"""The search engine seam: the only module that knows Whoosh.

``IndexBuilder`` writes a Whoosh index of every clause; ``Index`` answers
``EngineQuery`` objects with ranked hits and facet counts.  Everything above
this module (kb.search, the CLI, the web app) speaks only ``EngineQuery`` and
``EngineResult``, so another engine (OpenSearch with a Chinese analyzer, see
the README's design notes) can take its place without touching the rest.

Matching has two parts:

* ``words``: jieba tokens in Whoosh, ranked with BM25 (K1 1.2, B 0.75) over
  the posting lists Whoosh stores.  Posting lists are read once per term and
  kept as bitsets with their term frequencies (a bounded cache), because
  walking Whoosh's pure-Python matchers for common terms is what makes the
  naive recipe slow.
* Ctrl+F recall: the normalised text and tag of every clause, kept side by
  side in one string (``substring.txt``) and scanned with ``str.find`` —
  an exact substring match, the equivalent of a character n-gram field
  queried as a phrase, and several times cheaper to build and to query.

Ranking: a department's relation first for bare-name queries, then the tiers (every
keyword as an exact string; every keyword as string or all its words; some
real words), BM25 within a tier, then document order.
"""

from __future__ import annotations

import json
import math
import re
import threading
import unicodedata
from array import array
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from dataclasses import dataclass, field
from heapq import nlargest
from pathlib import Path

from whoosh import index as windex
from whoosh.analysis import LowercaseFilter, SpaceSeparatedTokenizer
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema

from kb import segment
from kb.errors import DataDirError
from kb.segment import RE_SKIP

FACET_FIELDS = ("kind", "domain", "departments", "doc")
# Ranking weights: the tiers (all keywords exact, all keywords held), then within a tier the
# keywords found as strings and the real words held, then BM25 (below 1000 for any clause).
SCORE_EXACT, SCORE_FULL, SCORE_SUBSTRING, SCORE_WORD = 4 * 10**7, 2 * 10**7, 10**5, 10**3
# A bare department name: its relation to each clause comes before any keyword tier.
TIER = {"assigned": 4 * 10**9, "lead_in_text": 3 * 10**9, "shared": 2 * 10**9, "mentioned": 10**9}
DEPT_TIERS = (("assigned", "departments"), ("lead_in_text", "lead"), ("shared", "shared"), ("mentioned", "mentions"))
# An analysed query: preferred kinds, then figures, then the unit's relation (duty questions), all below
# one more keyword group and above BM25; context (domain title, unit names) and proximity add to BM25.
SCORE_CORE, SCORE_PREFER, SCORE_TARGET = 10**6, 4 * 10**4, 2 * 10**4
DUTY_TIER = (("assigned", "departments", 3 * 10**4), ("lead_in_text", "lead", 2 * 10**4), ("shared", "shared", 10**4))
SCORE_CONTEXT, SCORE_NEAR = 1.5, 3.0
NEAR_CHARS, NEAR_MAX_CLAUSES = 12, 3000
RE_FIGURE = re.compile(r"\d+(?:\.\d+)?\s*(?:%|％|‰|/10万|以上|以下|左右)")
K1, B = 1.2, 0.75
SEP = "\x00"  # between clauses in substring.txt; never in normalised text
TAG_SEP = "\x01"  # between a clause's text and its tag
CACHE_BYTES = 64 * 2**20  # posting lists and substring results kept in memory
# Words too common or too empty to carry a relaxed (any-word) match on their own.
STOPWORDS = set("的 了 是 和 与 及 或 在 有 为 对 把 被 等 中 上 下 个 这 那 哪 吗 呢 啊 请问 多少 什么 如何 怎么 怎样 哪些 哪个 哪条 规定 要求 关于 有关 相关 妇女 女性".split())
# Never required for an all-words match: they carry no topic (the common 妇女/女性 do).
FUNCTION_WORDS = STOPWORDS - {"妇女", "女性"}
_BYTE_BITS = [tuple(b for b in range(8) if v >> b & 1) for v in range(256)]


def normalise(text: str) -> str:
    """The form both index and query match in: NFKC (full-width → ASCII), lower case, no spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "")).lower().replace(SEP, "").replace(TAG_SEP, "")


def schema() -> Schema:
    return Schema(
        id=ID(stored=True, unique=True),
        doc=ID(stored=True),
        kind=ID(stored=True),
        domain=ID(stored=True),
        number=STORED(),
        citation=STORED(),
        text=STORED(),
        tag=STORED(),
        words=TEXT(analyzer=SpaceSeparatedTokenizer() | LowercaseFilter(), phrase=False),
        departments=KEYWORD(stored=True, commas=True),
    )


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
class IndexBuilder:
    """Writes the index chunk by chunk, in clause order, then commits it with its side files."""

    def __init__(self, path: Path):
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.writer = windex.create_in(str(path), schema()).writer(limitmb=256)
        self.vocab: dict[str, int] = {}
        self.lengths = array("I")
        self.hay: list[str] = []
        self.ids: list[str] = []

    def add(self, clauses, tokens):
        """Add clauses (in kb order) with their jieba tokens."""
        for c, words in zip(clauses, tokens):
            for w in words:
                self.vocab[w] = self.vocab.get(w, 0) + 1
            self.lengths.append(len(words))
            self.hay.append(normalise(c.text) + TAG_SEP + normalise(c.departments_raw))
            self.ids.append(c.id)
            self.writer.add_document(
                id=c.id,
                doc=c.doc,
                kind=c.kind,
                domain=c.domain or "",
                number=c.number,
                citation=c.citation,
                text=c.text,
                tag=c.departments_raw or "",
                words=" ".join(words),
                departments=",".join(c.departments),
            )

    def commit(self):
        self.writer.commit(merge=False)
        (self.path / "substring.txt").write_text(SEP.join(self.hay), encoding="utf-8")
        (self.path / "lengths.bin").write_bytes(self.lengths.tobytes())
        _write_vocab(self.path, self.vocab)
        meta = {"clauses": len(self.ids), "ids": [self.ids[0], self.ids[-1]] if self.ids else []}
        (self.path / "plankb-index.json").write_text(json.dumps(meta), encoding="utf-8")


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
            ok = s.doc_count() == meta["clauses"]
        return ok and (path / "substring.txt").is_file() and (path / "lengths.bin").is_file()
    except Exception:
        return False


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


@dataclass
class EngineHit:
    position: int  # index into kb.clauses
    score: float
    tier: str = "exact"  # exact, words (every keyword held as words) or partial


@dataclass
class EngineResult:
    total: int
    hits: list[EngineHit]
    facets: dict[str, dict[str, int]]
    terms: list[str]  # the words the engine matched on, for highlighting
    full: int = 0  # hits holding every keyword (they come first)


class Index:
    """An open index: queries answered with hits as positions in kb.clauses."""

    def __init__(self, path: Path, kb):
        self.path = Path(path)
        self.kb = kb
        self._local = threading.local()
        try:
            self.ix = windex.open_dir(str(self.path))
            check = self.ix.searcher()
            n = check.doc_count_all()
            # Documents were added in kb order into one segment, so docnum == clause
            # position; check both ends rather than trust it.
            ends = (check.stored_fields(0)["id"], check.stored_fields(n - 1)["id"]) if n else (None, None)
            check.close()
            self._hay = (self.path / "substring.txt").read_text(encoding="utf-8")
            self._lengths = array("I")
            self._lengths.frombytes((self.path / "lengths.bin").read_bytes())
            # Read now: a damaged vocabulary would otherwise fail every search with a 500.
            self._vocab = json.loads((self.path / "vocab.json").read_text(encoding="utf-8"))
            if not isinstance(self._vocab.get("freq"), dict) or not isinstance(self._vocab.get("total"), int) or self._vocab["total"] <= 0:
                raise ValueError("vocab.json")
        except Exception as exc:
            raise DataDirError(f"索引 {self.path} 无法打开（{type(exc).__name__}）：请运行 plankb build --force") from None
        if n != len(kb.clauses) or len(self._lengths) != n:
            raise DataDirError(f"索引 {self.path} 与知识库不一致（{n} ≠ {len(kb.clauses)}）：请运行 plankb build --force")
        if n and ends != (kb.clauses[0].id, kb.clauses[-1].id):
            raise DataDirError(f"索引 {self.path} 的顺序与知识库不一致：请运行 plankb build --force")
        self.n = n
        self._starts = array("I", [0])
        pos = self._hay.find(SEP)
        while pos >= 0:
            self._starts.append(pos + 1)
            pos = self._hay.find(SEP, pos + 1)
        if len(self._starts) != max(n, 1):
            raise DataDirError(f"索引 {self.path} 的全文数据损坏：请运行 plankb build --force")
        self._avgdl = (sum(self._lengths) / n) if n else 1.0
        self._bits = self._facet_bits()
        self._all = (1 << n) - 1
        self._tok = None
        # Posting lists and substring results, kept within CACHE_BYTES together: the engine's
        # equivalent of a filter cache; repeated words and strings skip Whoosh and the scan.
        self._postings: OrderedDict = OrderedDict()
        self._substrings: OrderedDict = OrderedDict()
        self._cache_bytes = 0
        self._lock = threading.Lock()

    @property
    def searcher(self):
        """This thread's Whoosh searcher: searchers share file positions and are not thread-safe."""
        s = getattr(self._local, "searcher", None)
        if s is None:
            s = self._local.searcher = self.ix.searcher()
        return s

    # -- bitsets: a set of clause positions as one Python int --
    def _facet_bits(self):
        lists: dict[str, dict[str, list[int]]] = {f: {} for f in (*FACET_FIELDS, "shared", "mentions", "lead")}
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
            for d in self.kb.leads(c):
                lists["lead"].setdefault(d, []).append(i)
        return {f: {v: self._to_bits(p) for v, p in vals.items()} for f, vals in lists.items()}

    def _to_bits(self, positions) -> int:
        buf = bytearray((self.n + 7) // 8 or 1)
        for p in positions:
            buf[p >> 3] |= 1 << (p & 7)
        return int.from_bytes(buf, "little")

    @staticmethod
    def _positions(bits: int) -> list[int]:
        """Set bit positions in ascending order."""
        out = []
        data = bits.to_bytes((bits.bit_length() + 7) // 8 or 1, "little")
        for i, byte in enumerate(data):
            if byte:
                base = i << 3
                out.extend(base + b for b in _BYTE_BITS[byte])
        return out

    # -- query-time tokenising without the 1-second default dictionary --
    def tokenizer(self):
        if self._tok is None:
            import jieba

            jieba.setLogLevel(60)
            data = self._vocab
            tok = jieba.Tokenizer()
            tok.FREQ, tok.total, tok.initialized = data["freq"], data["total"], True
            self._tok = tok
        return self._tok

    def words(self, keyword: str) -> list[str]:
        """The query-time jieba tokens of a keyword (punctuation dropped)."""
        norm = unicodedata.normalize("NFKC", keyword).lower()
        return [w for w in self.tokenizer().cut(norm, HMM=False) if w.strip() and not RE_SKIP.match(w)]

    def _known(self, word: str) -> bool:
        return bool(self.tokenizer().FREQ.get(word))

    # -- matching --
    def _substring(self, needle: str) -> int:
        """Clauses whose normalised text or tag contains needle (what Ctrl+F finds), cached."""
        with self._lock:
            hit = self._substrings.get(needle)
            if hit is not None:
                self._substrings.move_to_end(needle)
                return hit[0]
        hay, starts = self._hay, self._starts
        buf = bytearray((self.n + 7) // 8 or 1)
        pos = hay.find(needle)
        while pos >= 0:
            i = bisect_right(starts, pos) - 1
            buf[i >> 3] |= 1 << (i & 7)
            if i + 1 >= len(starts):
                break
            pos = hay.find(needle, starts[i + 1])  # one hit per clause is enough
        bits = int.from_bytes(buf, "little")
        self._remember(self._substrings, needle, bits, len(buf) + len(needle) * 4 + 64)
        return bits

    def share(self, word: str) -> float:
        """The share of clauses whose text or tag holds word."""
        norm = normalise(word)
        return self._substring(norm).bit_count() / self.n if norm and self.n else 0.0

    def contains(self, text: str) -> bool:
        """True when some clause's text or tag contains text (after normalisation)."""
        norm = normalise(text)
        return bool(norm) and self._substring(norm) != 0

    def _term(self, word: str) -> tuple[int, array, array]:
        """(bitset, positions, term frequencies) of a word, from Whoosh's posting list (cached)."""
        with self._lock:
            hit = self._postings.get(word)
            if hit is not None:
                self._postings.move_to_end(word)
                return hit[:3]
        reader = self.searcher.reader()
        docs, tfs = array("I"), array("I")
        if ("words", word) in reader:
            for docnum, freq in reader.postings("words", word).items_as("frequency"):
                docs.append(docnum)
                tfs.append(freq)
        entry = (self._to_bits(docs), docs, tfs)
        self._remember(self._postings, word, entry, len(docs) * 8 + self.n // 8)
        return entry

    def _remember(self, cache: OrderedDict, key, value, size: int):
        """Keep value in a cache bounded by bytes (shared by postings and substring results)."""
        with self._lock:
            if key in cache:
                return
            cache[key] = (*value, size) if isinstance(value, tuple) else (value, size)
            self._cache_bytes += size
            while self._cache_bytes > CACHE_BYTES and len(cache) > 1:
                for c in (self._substrings, self._postings):
                    if c and self._cache_bytes > CACHE_BYTES and len(c) > 1:
                        _, old = c.popitem(last=False)
                        self._cache_bytes -= old[-1]

    def _all_words(self, words) -> int:
        bits = self._all
        for w in words:
            bits &= self._term(w)[0]
        return bits

    def _filter_bits(self, filters) -> int:
        bits = self._all
        for fname, values in filters.items():
            if not values:
                continue
            if fname.endswith("_all") or fname == "also":  # every value: departments_all, also
                table = self._bits["departments"] if fname == "also" else self._bits.get(fname[: -len("_all")], {})
                for v in values:
                    bits &= table.get(v, 0)
                continue
            table = self._bits.get(fname, {})
            any_bits = 0
            for v in values:
                any_bits |= table.get(v, 0)
            bits &= any_bits
        return bits

    def _bm25(self, positions, words, level: int) -> dict[int, float]:
        """BM25 of each position for the words (each counted once).

        Walks whichever is shorter: the term's postings (checked against the level's bits)
        or the positions (looked up in the postings by bisection).
        """
        scores = dict.fromkeys(positions, 0.0)
        lengths, avgdl, n = self._lengths, self._avgdl, self.n
        member = level.to_bytes((self.n + 7) // 8 or 1, "little")
        for w in dict.fromkeys(words):
            _, docs, tfs = self._term(w)
            if not docs:
                continue
            idf = math.log(1 + (n - len(docs) + 0.5) / (len(docs) + 0.5))
            if len(docs) <= 4 * len(positions):
                for d, f in zip(docs, tfs):
                    if member[d >> 3] >> (d & 7) & 1:
                        scores[d] += idf * f * (K1 + 1) / (f + K1 * (1 - B + B * lengths[d] / avgdl))
            else:
                last = len(docs)
                for p in positions:
                    i = bisect_left(docs, p)
                    if i < last and docs[i] == p:
                        f = tfs[i]
                        scores[p] += idf * f * (K1 + 1) / (f + K1 * (1 - B + B * lengths[p] / avgdl))
        return scores

    def _keyword_sets(self, eq: EngineQuery):
        """Per keyword group: (exact bits, all-words bits); the real words of the typed text with their bits.

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
            exact = whole = 0
            for i, variant in enumerate(group):
                norm = normalise(variant)
                if not norm:
                    continue
                held = self._substring(norm)
                exact |= held
                words = self.words(variant)
                if held or eq.carry is None:
                    terms.extend(words)  # an analysed query ranks on the variants the plan holds
                if not eq.words:
                    continue
                required = [w for w in words if w not in FUNCTION_WORDS]
                if len(required) > 1 and all(len(w) > 1 for w in required):
                    bits = self._all
                    for w in required:
                        bits &= self._substring(normalise(w))
                    whole |= bits
                if i or eq.carry is not None:
                    continue  # synonyms match as strings or whole; their pieces do not count alone
                for w in required:
                    typed_chars += len(w)
                    if len(w) > 1 and w not in STOPWORDS and w not in units:
                        bits = self._substring(normalise(w))
                        if bits:
                            units[w] = bits
                            unit_chars += len(w)
            groups.append((exact, exact | whole))
            if eq.carry is not None and eq.words and g < len(eq.carry) and eq.carry[g] and exact | whole:
                units[group[0]] = exact | whole
        if eq.carry is None and (not typed_chars or unit_chars * 2 < typed_chars):
            units = {}
        return groups, units, terms

    def _some(self, units: dict[str, int], relaxed: bool) -> int:
        """Clauses holding at least half of the real words; relaxed: of up to two words one, else the most held."""
        if not units:
            return 0
        counts = {0: self._all}  # held words → clauses
        for bits in units.values():
            nxt: dict[int, int] = {}
            for k, b in counts.items():
                for kk, bb in ((k + 1, b & bits), (k, b & ~bits)):
                    if bb:
                        nxt[kk] = nxt.get(kk, 0) | bb
            counts = nxt
        need = (len(units) + 1) // 2
        if relaxed:
            need = 1 if len(units) <= 2 else min(need, max(counts))
        out = 0
        for k, b in counts.items():
            if k >= need and k:
                out |= b
        return out

    def search(self, eq: EngineQuery) -> EngineResult:
        """Answer an EngineQuery: total, full matches, the requested page of hits, facet counts.

        Tiers, each ranked by BM25 within: every keyword as an exact string, every keyword
        as exact string or all its words, then some words (at least half of the real words
        typed).  With a department (a bare name), its relation ranks first and every related
        clause counts as a full match.  An analysed query adds: the typed string first
        (Ctrl+F parity), preferred kinds and figures, a duty list ranked by relation, and
        context and proximity within BM25.
        """
        fbits = self._filter_bits(eq.filters)
        groups, units, terms = self._keyword_sets(eq)
        exact = full = self._all if groups else 0
        for s, w in groups:
            exact &= s
            full &= w
        if eq.phrase and eq.words:
            # An analysed query: the exact tier is the typed string, what Ctrl+F finds.
            typed = self._substring(normalise(eq.phrase)) if normalise(eq.phrase) else 0
            exact = typed if eq.carry is not None else exact | typed
            full |= typed
        partial = self._some(units, eq.carry is not None)
        dept = {}
        if eq.department:
            for tier, fname in DEPT_TIERS:
                dept[tier] = self._bits[fname].get(eq.department, 0)
                full |= dept[tier]
        matched = full | partial
        duty = []
        if eq.duty_of:
            related = 0
            for _, fname, weight in DUTY_TIER:
                bits = self._bits[fname].get(eq.duty_of, 0) & ~related
                duty.append((bits, weight))
                related |= bits
            if groups:
                full &= related
                matched &= related
            else:
                matched = full = related
        elif not groups and not eq.department:
            matched = full = self._all
        matched &= fbits
        full &= matched
        total = matched.bit_count()
        facets = self._facets(matched)
        parts = [[(exact, SCORE_EXACT), (full, SCORE_FULL)]]
        if eq.carry is not None and units and len(units) < len(groups):
            core = matched
            for bits in units.values():
                core &= bits
            parts.append([(core, SCORE_CORE)])  # every word that can carry a match, common ones aside
        if len(groups) > 1 and eq.carry is not None:
            parts += [[(w, self._coordination(w))] for _, w in groups]
        elif len(groups) > 1:
            parts += [[(s, SCORE_SUBSTRING)] for s, _ in groups]
        parts += [[(bits, SCORE_WORD)] for bits in units.values()] if eq.carry is None else []
        if eq.prefer:
            parts.append([(self._filter_bits({"kind": eq.prefer}), SCORE_PREFER)])
        if eq.target:
            parts.append([(self._figures(), SCORE_TARGET)])
        if duty:
            parts.append(duty)
        end = None if eq.limit is None else eq.offset + eq.limit
        hits, seen = [], 0  # seen: hits in the levels before this one
        for score, bits in self._levels(matched, parts, dept):
            count = bits.bit_count()
            if end is not None and seen >= end:
                break
            if seen + count <= eq.offset:
                seen += count
                continue
            lo = max(0, eq.offset - seen)
            hi = count if end is None else min(count, end - seen)
            positions = self._positions(bits)
            tier = "exact" if bits & exact else "words" if bits & full else "partial"
            if terms:
                bm = self._bm25(positions, terms, bits)
                if eq.carry is not None:
                    self._context_and_proximity(bm, positions, eq.keywords, bits & full == bits)
                key = lambda p: (bm[p], -p)
                ranked = nlargest(hi, positions, key=key) if hi < count else sorted(positions, key=key, reverse=True)
                hits += [EngineHit(p, score + round(min(bm[p], 999.0), 4), tier) for p in ranked[lo:hi]]
            else:
                hits += [EngineHit(p, float(score), tier) for p in positions[lo:hi]]
            seen += count
        marks = list(dict.fromkeys([*units, *(t for t in terms if len(t) > 1 and t not in FUNCTION_WORDS)]))
        return EngineResult(total, hits, facets, marks, full.bit_count())

    def _coordination(self, bits: int) -> int:
        """A keyword group's weight when held: SCORE_SUBSTRING scaled by its rarity (idf), at least a tenth."""
        df = bits.bit_count()
        idf = math.log(1 + (self.n - df + 0.5) / (df + 0.5))
        top = math.log(1 + (self.n - 0.5) / 1.5)
        return int(SCORE_SUBSTRING * max(0.1, min(1.0, idf / top)))

    def _figures(self) -> int:
        """Clauses stating a figure (70%以上, 12/10万): the targets a 多少 question asks for."""
        bits = getattr(self, "_figure_bits", None)
        if bits is None:
            buf = bytearray((self.n + 7) // 8 or 1)
            for m in RE_FIGURE.finditer(self._hay):
                i = bisect_right(self._starts, m.start()) - 1
                buf[i >> 3] |= 1 << (i & 7)
            bits = self._figure_bits = int.from_bytes(buf, "little")
        return bits

    def _context_and_proximity(self, bm: dict[int, float], positions, keywords, whole: bool):
        """Add to BM25: a content word in the context (domain title, unit names) of a clause whose text holds
        some word of the query, and the groups' strings close together."""
        n = self.n
        for group in keywords:
            ctx = 0
            for variant in group:
                norm = normalise(variant)
                for table in ("domain", "departments"):
                    for value, bits in self._bits[table].items():
                        if norm and norm in normalise(value):
                            ctx |= bits
            if ctx:
                df = ctx.bit_count()
                weight = SCORE_CONTEXT * math.log(1 + (n - df + 0.5) / (df + 0.5))
                for p in positions:
                    if ctx >> p & 1 and bm[p] > 0:  # context ranks text matches; it never outranks a word held
                        bm[p] += weight
        if not whole or len(keywords) < 2 or len(positions) > NEAR_MAX_CLAUSES:
            return
        needles = [[normalise(v) for v in group if normalise(v)] for group in keywords]
        hay, starts = self._hay, self._starts
        for p in positions:
            end = starts[p + 1] - 1 if p + 1 < len(starts) else len(hay)
            text = hay[starts[p] : end]
            spots = []
            for variants in needles:
                found = [(i, i + len(v)) for v in variants for i in _finds(text, v)]
                if not found:
                    break
                spots.append(found)
            else:
                if _window(spots) <= NEAR_CHARS + sum(len(v[0]) for v in needles):
                    bm[p] += SCORE_NEAR

    def _levels(self, matched: int, parts, dept) -> list[tuple[int, int]]:
        """The matched set split by score tier, highest first: [(score, bits)]."""
        levels = {0: matched}
        for comps in parts:
            for bits, weight in comps:
                nxt: dict[int, int] = {}
                for score, b in levels.items():
                    inside = b & bits
                    if inside:
                        nxt[score + weight] = nxt.get(score + weight, 0) | inside
                    rest = b & ~bits
                    if rest:
                        nxt[score] = nxt.get(score, 0) | rest
                levels = nxt
        if dept:
            nxt = {}
            for score, b in levels.items():
                left = b
                for tier, _ in DEPT_TIERS:
                    inside = left & dept[tier]
                    if inside:
                        nxt[score + TIER[tier]] = nxt.get(score + TIER[tier], 0) | inside
                    left &= ~dept[tier]
                if left:
                    nxt[score] = nxt.get(score, 0) | left
            levels = nxt
        return sorted(((s, b) for s, b in levels.items() if b), key=lambda x: -x[0])

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


def _finds(text: str, needle: str, most: int = 8) -> list[int]:
    out, i = [], text.find(needle)
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
