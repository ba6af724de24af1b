"""Search: query understanding, the engine call, highlights and facets as plain data.

``Searcher.search`` takes what a person typed (and optional filters) and
returns the JSON contract of ``plankb search --json`` and ``/api/search``.
User text never reaches Whoosh's query language: keywords become engine
queries built as objects, and only the documented ``dept: kind: domain:
doc:`` syntax is read as filters.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from kb.columns import fields
from kb.errors import DataDirError, UnknownDepartment
from kb.highlight import highlight
from kb.index import EngineQuery, Index, inflating, normalise, round4
from kb.knowledge import KnowledgeBase
from kb.model import KIND_LABELS, KINDS
from kb.query import VOCABULARY, Lexicon, Reading, analyse, load_vocabulary
from kb.store import default_data, live_generation, open_kb

MAX_QUERY = 200
HIT_FIELDS = ("id", "doc", "kind", "domain", "number", "citation", "text", "departments", "lead")  # a hit's clause fields
MAX_KEYWORDS = 12
DUTY = ["goal", "measure"]
KIND_VALUES = {**{k: k for k in KINDS}, **{v: k for k, v in KIND_LABELS.items()}, "目标": "goal", "措施": "measure"}
FILTER_KEYS = {"dept": "departments", "部门": "departments", "kind": "kind", "类别": "kind", "domain": "domain", "领域": "domain", "doc": "doc", "文档": "doc"}
RE_FILTER = re.compile(r"(?<![\w:：])(dept|kind|domain|doc|部门|类别|领域|文档)[:：](\S*)", re.I)
RE_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")
RE_SEP = re.compile(r"[\s,，、;；]+")
FACET_LABELS = {"kind": "类别", "domain": "领域", "departments": "部门", "doc": "文档"}


@dataclass
class Interpretation:
    """How a query was read: filters it became, keywords left, notes for the user."""

    query: str
    departments: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    docs: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    synonyms: dict[str, list[str]] = field(default_factory=dict)
    mode: str = "keywords"  # keywords, department, department-bare, filters, all
    all_departments: bool = False  # free text naming several units, or dept_match=all: clauses tagged with every one
    explicit_departments: list[str] = field(default_factory=list)  # from dept= or dept: (filters even for a bare name)
    also: list[str] = field(default_factory=list)  # facet narrowing: each must also be tagged (AND with the rest)
    bare: str | None = None  # the department a bare-name query ranks by relation
    literal: bool = False
    notes: list[str] = field(default_factory=list)
    recognised: list[str] = field(default_factory=list)  # words read as filters, not keywords
    reading: str = ""  # the analyser's reading, for the page: 部门 人社局 · 全部职责
    duty: bool = False  # the department's whole duty list (every kind and relation), ranked by the keywords
    prefer: list[str] = field(default_factory=list)  # kinds ranked first
    target: bool = False  # figures ranked first
    phrase: str = ""  # the typed text: every clause holding it comes first
    carry: list[bool] = field(default_factory=list)  # per keyword: may it carry a match alone

    def description(self) -> str:
        parts = []
        if self.departments:
            parts.append("部门 " + ("和".join(self.departments) + "（共同承担）" if self.all_departments else "、".join(self.departments)))
        if self.kinds:
            parts.append("、".join(KIND_LABELS[k] for k in self.kinds))
        if self.domains:
            parts.append("领域 " + "、".join(self.domains))
        if self.docs:
            parts.append("文档 " + "、".join(self.docs))
        if not parts:
            return ""
        return "已按" + "，".join(parts) + ("（全部职责）" if self.duty else "") + "筛选"

    def to_dict(self) -> dict:
        return {
            "departments": self.departments,
            "kinds": self.kinds,
            "domains": self.domains,
            "docs": self.docs,
            "keywords": self.keywords,
            "synonyms": self.synonyms,
            "mode": self.mode,
            "all_departments": self.all_departments,
            "bare_department": self.bare,
            "also": self.also,
            "literal": self.literal,
            "recognised": self.recognised,
            "reading": self.reading,
            "duty": self.duty,
            "prefer": self.prefer,
            "target": self.target,
            "description": self.description(),
            "notes": self.notes,
        }


def clean_query(text: str) -> tuple[str, list[str]]:
    """Drop control characters, fold NFKC spaces, cap the length."""
    notes = []
    text = RE_CONTROL.sub(" ", text or "")
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) > MAX_QUERY:
        text = text[:MAX_QUERY]
        notes.append(f"查询过长，只使用了前 {MAX_QUERY} 个字符")
    return text, notes


class Searcher:
    """Search over one loaded knowledge base and its index."""

    def __init__(self, kb: KnowledgeBase, index: Index, cache_size: int = 0):
        self.kb = kb
        self.index = index
        # Results per (query, filters, page) for this generation; the web app turns it on,
        # since staff ask the same questions (妇联负责哪些措施) over and over.
        self.cache_size = cache_size
        self._titles: dict[str, str] | None = None
        self._cache: OrderedDict = OrderedDict()
        self._cache_lock = threading.Lock()
        # The shipped everyday-to-plan vocabulary, with the corpus's own synonyms.txt added to it.
        self.synonyms = load_vocabulary(VOCABULARY, *([Path(kb.path) / "synonyms.txt"] if kb.path else []))
        self._readings: OrderedDict = OrderedDict()
        self.registry = kb.registry
        known = set(kb.department_names()) | {g.name for g in self.registry.groups}
        self.known_units = known
        self.spellings = [(s, c) for s, c in self.registry.spellings() if c in known]
        self.spellings += [(n, g.name) for g in self.registry.groups for n in g.names()]
        # The knowledge base's own unit names (省妇联, 市卫健委) win over the spellings inside them.
        self.spellings = sorted(set(self.spellings) | {(n, n) for n in known}, key=lambda p: (-len(p[0]), p[0]))
        self.spellings.sort(key=lambda p: -len(p[0]))
        self.lexicon = Lexicon(
            cut=index.words,
            cut_for_search=lambda t: list(index.tokenizer().cut_for_search(normalise(t), HMM=False)),
            in_plan=index.contains,
            share=index.share,
            units=self._department_spans,
            domains=kb.domains(),
            docs={d.id: d.title for d in kb.documents},
            vocabulary=self.synonyms,
        )

    def analyse(self, text: str) -> Reading:
        """The analyser's reading of free text (kept for the most recent queries)."""
        with self._cache_lock:
            hit = self._readings.get(text)
        if hit is None:
            hit = analyse(text, self.lexicon)
            with self._cache_lock:
                self._readings[text] = hit
                while len(self._readings) > 512:
                    self._readings.popitem(last=False)
        return hit

    # -- interpretation --------------------------------------------------
    def interpret(self, query: str, *, dept=None, kind=None, domain=None, doc=None, literal=False, also=None) -> Interpretation:
        """Read a query into filters and keywords; explicit arguments add filters.

        :param also: departments each clause must also be tagged with — a department facet
            narrowing the current result, whatever the rest of the query says.
        """
        text, notes = clean_query(query)
        it = Interpretation(query=text, literal=bool(literal), notes=notes)
        for d in _listify(dept):
            it.departments.append(self._department(d))
        it.also = _unique(self._department(d) for d in _listify(also))
        for k in _listify(kind):
            self._add_kind(it, k)
        for d in _listify(domain):
            self._add_domain(it, d)
        for d in _listify(doc):
            self._add_doc(it, d)
        if not literal:
            text = self._explicit_filters(text, it)
        it.explicit_departments = _unique(it.departments)
        if literal:
            it.keywords = [k for k in RE_SEP.split(text) if k]
        else:
            self._free_text(text, it)
        if len(it.keywords) > MAX_KEYWORDS:
            it.notes.append(f"关键词过多，只使用了前 {MAX_KEYWORDS} 个")
            it.keywords = it.keywords[:MAX_KEYWORDS]
        if not it.literal and not it.carry:
            for k in it.keywords:
                if self.synonyms.get(k):
                    it.synonyms[k] = self.synonyms[k]
        it.departments = _unique(it.departments)
        it.kinds = _unique(it.kinds)
        if it.mode == "keywords" and not it.keywords:
            it.mode = "filters" if (it.departments or it.kinds or it.domains or it.docs) else "all"
        return it

    def _department(self, name: str) -> str:
        group = self.registry.group(name)
        if group:
            return group.name
        return self.kb.resolve_department(name)

    def _add_kind(self, it, value):
        k = KIND_VALUES.get(value.strip().lower()) or KIND_VALUES.get(value.strip())
        if k:
            it.kinds.append(k)
        elif value.strip() in ("duty", "duties", "职责", "任务"):
            it.kinds += DUTY
        else:
            it.notes.append(f"未知类别“{value}”：可用 goal、measure、principle、implementation、monitoring、text")

    def _add_domain(self, it, value):
        value = value.strip()
        domains = self.kb.domains()
        if value in domains:
            it.domains.append(value)
            return
        hits = [d for d in domains if value and value in d]
        if hits:
            it.domains += hits if len({_short(h) for h in hits}) == 1 else [h for h in hits if _short(h) == value] or hits
        else:
            it.notes.append(f"没有领域“{value}”：现有 " + "、".join(_short(d) for d in domains))
            it.domains.append(value)

    def _add_doc(self, it, value):
        value = value.strip()
        if value in self.kb.docs:
            it.docs.append(value)
            return
        hits = [d.id for d in self.kb.documents if value and value in d.title]
        if hits:
            it.docs += hits
        else:
            it.notes.append(f"没有文档“{value}”：现有 " + "、".join(self.kb.docs))
            it.docs.append(value)

    def _explicit_filters(self, text, it):
        def take(m):
            key, value = m.group(1).lower(), m.group(2)
            target = FILTER_KEYS.get(key, FILTER_KEYS.get(m.group(1)))
            if not value:
                it.notes.append(f"“{m.group(0)}”后面缺少取值，已忽略")
                return " "
            for v in [v for v in re.split(r"[,，、]", value) if v]:
                if target == "departments":
                    try:
                        it.departments.append(self._department(v))
                    except UnknownDepartment as exc:
                        it.notes.append(str(exc))
                        it.departments.append(v)
                elif target == "kind":
                    self._add_kind(it, v)
                elif target == "domain":
                    self._add_domain(it, v)
                else:
                    self._add_doc(it, v)
            it.recognised.append(m.group(0))
            return " "

        return RE_FILTER.sub(take, text)

    def _free_text(self, text, it):
        """Free text through the analyser (kb.query): units, kinds, duty questions, content words."""
        stripped_text = text.strip()
        if not stripped_text:
            return
        r = self.analyse(stripped_text)
        it.reading = r.describe()
        if r.units and (
            len(stripped_text) > max(len(s) for s in r.unit_spellings)
            and not RE_SEP.search(stripped_text)
            and self.index.contains(stripped_text)
        ):
            # Pasted from the plan (监测组由县统计局牵头): what Ctrl+F would find comes first.
            it.keywords = [stripped_text]
            it.reading = ""
            it.notes.append("这段文字在规划中原样出现，已按原文检索")
            return
        it.phrase = stripped_text
        it.recognised += [*r.unit_spellings, *r.cues, *r.dropped]
        terms = r.terms
        if r.units and not terms and not r.cues and not r.unknown:
            it.departments += r.units
            it.all_departments = it.all_departments or len(r.units) > 1
            it.mode = "department-bare"
            it.bare = r.units[0]
            it.phrase = ""
            # Ctrl+F parity: the name as typed also finds every clause whose text contains it.
            it.keywords = [stripped_text]
            return
        if r.units:
            it.departments += r.units
            it.mode = "department"
            # 妇联和教育局共同负责的措施: the clauses both are tagged on.
            it.all_departments = it.all_departments or len(r.units) > 1
            if r.kinds:
                it.kinds += r.kinds
            elif len(r.units) > 1:
                it.kinds += DUTY
            else:
                it.duty = True
            if r.unknown and not terms:
                # 卫健委局长 登月: the unit's clauses on a topic the plan does not hold — none.
                it.keywords = list(r.unknown)
                it.carry = [True] * len(r.unknown)
                return
        elif not terms or (r.unknown and sum(not t.generic for t in terms) <= len(r.unknown)):
            # Only kind or question words (目标, 有哪些措施), or a topic mostly not in the plan
            # (护照怎么办理, 高铁对妇女的影响): the text itself is the keyword, found only as written.
            it.keywords = [stripped_text]
            if r.unknown:
                it.reading = ""
                it.notes.append("规划中没有“" + "”“".join(r.unknown) + "”，只按原文检索")
            it.prefer = r.prefer
            it.target = r.target
            return
        it.prefer = [] if r.units else r.prefer
        it.target = r.target and not r.units
        it.keywords = [t.word for t in terms]
        it.carry = [not t.generic for t in terms]
        it.synonyms = {t.word: t.expansions for t in terms if t.expansions}

    def _department_spans(self, text):
        """(start, end, canonical, spelling) of department names in text, longest first."""
        taken = [False] * len(text)
        spans = []
        for spelling, canonical in self.spellings:
            for m in re.finditer(re.escape(spelling), text):
                if not any(taken[m.start() : m.end()]):
                    spans.append((m.start(), m.end(), canonical, spelling))
                    for i in range(m.start(), m.end()):
                        taken[i] = True
        # Unambiguous partial names that read like a unit: 生态环境局 → 市生态环境局镇原县分局.
        for m in re.finditer(r"[\u4e00-\u9fff]{2,14}?(?:局|部|委|会|办|院|联)", text):
            if any(taken[m.start() : m.end()]):
                continue
            for start in range(m.start(), m.end() - 2):
                cand = text[start : m.end()]
                hits = [h for h in self.registry.partial(cand) if h in self.known_units]
                if len(hits) == 1:
                    spans.append((start, m.end(), hits[0], cand))
                    for i in range(start, m.end()):
                        taken[i] = True
                    break
        spans.sort()
        return spans

    # -- searching ---------------------------------------------------------
    def search(
        self, query: str = "", *, dept=None, kind=None, domain=None, doc=None, literal=False, page=1, limit=20, also=None, highlights=True, facets=True
    ) -> dict:
        """Search and return the public result contract (query, interpreted, total, full_matches, hits, facets).

        With a cache, repeated searches return the same dict: callers must not modify it.

        :param highlights: False for exports: every hit's ``highlight`` is None, none is computed.
        :param facets: False for exports: ``facets`` is empty, no value is counted.
        """
        if not self.cache_size:
            return self._search(query, dept, kind, domain, doc, literal, page, limit, also, highlights, facets)
        key = (query, _freeze(dept), _freeze(kind), _freeze(domain), _freeze(doc), bool(literal), page, limit, _freeze(also), bool(highlights), bool(facets))
        with self._cache_lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        result = self._search(query, dept, kind, domain, doc, literal, page, limit, also, highlights, facets)
        with self._cache_lock:
            self._cache[key] = result
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return result

    def _search(self, query, dept, kind, domain, doc, literal, page, limit, also=None, highlights=True, facets=True) -> dict:
        it = self.interpret(query, dept=dept, kind=kind, domain=domain, doc=doc, literal=literal, also=also)
        page = max(1, int(page or 1))
        offset = 0 if limit is None else (page - 1) * limit
        filters = {"doc": it.docs, "kind": it.kinds, "domain": it.domains}
        bare = it.mode == "department-bare"
        # A bare name ranks by its relation; only departments given as filters narrow the result.
        depts = it.explicit_departments if bare or it.duty else it.departments
        if depts:
            filters["departments_all" if it.all_departments else "departments"] = depts
        if it.also:
            filters["also"] = it.also
        eq = EngineQuery(
            keywords=[[k, *it.synonyms.get(k, [])] for k in it.keywords],
            filters=filters,
            department=it.bare if bare else None,
            words=not it.literal,
            phrase=it.phrase,
            carry=list(it.carry) if it.carry else None,
            prefer=it.prefer,
            target=it.target,
            duty_of=it.departments[0] if it.duty else None,
            offset=offset,
            limit=limit,
            facets=facets,
        )
        res = self.index.search(eq)
        if it.keywords and res.total and not res.full:
            it.mode = it.mode + "-relaxed"
            it.notes.append("没有完全匹配的条款，以下是包含部分关键词的结果")
        needles = _unique([v for group in eq.keywords for v in group])
        if it.departments:
            needles += [s for s, c in self.spellings if c in it.departments]
        words = res.terms
        positions = res.positions
        matches = self.index.relations(it.departments, positions) if it.departments else ["text"] * len(positions)
        # The hits' fields read from the columns: an export of every hit makes no clause objects.
        cols = fields(self.kb.clauses, positions, HIT_FIELDS)
        texts = cols["text"]
        marked = [highlight(text, needles, fallback=words) for text in texts] if highlights else [None] * len(texts)
        hits = [
            {
                "id": cid,
                "doc": doc,
                "kind": kind,
                "domain": domain,
                "number": number,
                "citation": citation,
                "text": text,
                "departments": departments,
                "lead": lead,
                "match": match,
                "tier": tier,
                "full": tier != "partial",
                "score": score,
                "highlight": mark,
            }
            for cid, doc, kind, domain, number, citation, text, departments, lead, match, tier, score, mark in zip(
                *(cols[f] for f in HIT_FIELDS), matches, res.tiers, round4(res.scores).tolist(), marked
            )
        ]
        return {
            "query": it.query,
            "interpreted": it.to_dict(),
            "total": res.total,
            "full_matches": res.full,
            "page": page,
            "limit": limit,
            "hits": hits,
            "facets": self._facets(res.facets, it),
        }

    def _facets(self, counts, it) -> dict:
        depts = it.explicit_departments if it.mode == "department-bare" else it.departments
        selected = {"kind": it.kinds, "domain": it.domains, "departments": _unique([*depts, *it.also]), "doc": it.docs}
        out = {}
        for name, values in counts.items():
            if name == "kind":
                order = [k for k in KINDS if k in values]
                labels = [KIND_LABELS.get(k, k) for k in order]
            elif name == "doc":
                titles = self._doc_titles()
                order = [d for d in titles if d in values]
                labels = [titles[d] for d in order]
            elif name == "domain":
                order = [d for d in self.index.values("domain") if d in values]
                labels = [_short(d) for d in order]
            else:  # by count, then name: sorted by name, then stably by count (two sorts without a Python key)
                order = sorted(values)
                order.sort(key=values.__getitem__, reverse=True)
                labels = order
            chosen = selected[name]
            out[name] = {
                "name": name,
                "label": FACET_LABELS[name],
                "values": [{"value": v, "label": label, "count": values[v], "selected": v in chosen} for v, label in zip(order, labels)],
                "truncated": False,
            }
        return out

    def _doc_titles(self) -> dict[str, str]:
        """Document id → title, in the knowledge base's order (made once)."""
        if self._titles is None:
            self._titles = {d.id: d.title for d in self.kb.documents}
        return self._titles


def _short(domain: str) -> str:
    """妇女与健康 → 健康; 妇女参与决策和管理 → 决策和管理 (for labels)."""
    return re.sub(r"^(妇女|儿童|女性)(与|参与)?", "", domain or "") or domain


short_domain = _short


def _listify(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v for v in re.split(r"[,，]", value) if v.strip()]
    return [v for v in value if v]


def _freeze(value):
    return tuple(value) if isinstance(value, (list, tuple)) else value


def _unique(items) -> list:
    out = []
    for x in items:
        if x not in out:
            out.append(x)
    return out


_lock = threading.Lock()
_cache: dict[str, tuple[str, Searcher]] = {}


def open_searcher(data=None, corpus=None, *, rebuild=True, notify=None, cache_size=0, cache: dict | None = None) -> Searcher:
    """The Searcher of the live generation, reopened when a build has swapped in a new one.

    :param cache: where opened searchers are kept, by data dir (default: one per process); a web
        app passes its own.
    """
    cache = _cache if cache is None else cache
    data_dir = Path(data) if data is not None else default_data(corpus)
    key = str(data_dir.resolve())
    try:
        gen = live_generation(data_dir)
    except DataDirError:
        gen = None  # open_kb below rebuilds or refuses it
    with _lock:
        hit = cache.get(key)
        if hit and gen is not None and hit[0] == gen.name:
            return hit[1]  # every request comes here: no more than CURRENT is read
        pending: list[str] = []  # warnings about serving an old KB matter only once its index opened
        with inflating(gen / "index") if gen is not None and (gen / "index").is_dir() else nullcontext():
            kbobj = open_kb(data, corpus, rebuild=rebuild, notify=notify, warn=pending.append)
            index = Index(_generation(kbobj) / "index", kbobj)
        for message in pending:
            if notify:
                notify(message)
        searcher = Searcher(kbobj, index, cache_size=cache_size)
        # The previous Searcher is not closed: requests in flight may still use it.
        cache[key] = (_generation(kbobj).name, searcher)
        return searcher


def _generation(kbobj: KnowledgeBase) -> Path:
    """The generation folder a KB opened from a data dir was read from."""
    assert kbobj.path is not None, "open_kb reads a generation"
    return kbobj.path
