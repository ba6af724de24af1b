"""The array engine against a straightforward reference written here with Python sets and dicts.

The reference reads the clauses, their jieba tokens and the department relations from the
knowledge base itself — not from the index files — and ranks as the engine documents it:
tier score (exact strings, all words, keyword strings, real words, a bare name's relation),
then BM25 (K1 1.2, B 0.75, each word once), then clause order.  Over a few hundred generated
queries on a generated corpus of three plans, every hit (position, score, tier), the order,
the totals and every facet count must agree.
"""

from __future__ import annotations

import importlib.util
import math
import random
import sys
from pathlib import Path

import numpy as np
import pytest

from kb import segment
from kb.highlight import highlight
from kb.index import (
    DEPT_TIERS,
    FACET_FIELDS,
    FUNCTION_WORDS,
    K1,
    NAME_HELD,
    SCORE_EXACT,
    SCORE_FULL,
    SCORE_SUBSTRING,
    SCORE_WORD,
    STOPWORDS,
    TAG_SEP,
    TIER,
    B,
    EngineQuery,
    normalise,
    round4,
    userdict_for,
)
from kb.search import open_searcher
from kb.store import build

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "make_corpus.py"


class Reference:
    """The ranking of kb.index, one clause at a time."""

    def __init__(self, searcher):
        self.kb, self.index = searcher.kb, searcher.index
        kb = self.kb
        segment.build_tokenizer(userdict_for(kb))
        tokens = [words for words, _ in segment.analyse_texts([c.text for c in kb.clauses])]
        self.tf = [{} for _ in kb.clauses]
        for i, words in enumerate(tokens):
            for w in " ".join(words).split():
                self.tf[i][w.lower()] = self.tf[i].get(w.lower(), 0) + 1
        self.df: dict[str, int] = {}
        for counts in self.tf:
            for w in counts:
                self.df[w] = self.df.get(w, 0) + 1
        self.length = [len(words) for words in tokens]
        self.avgdl = sum(self.length) / len(self.length)
        self.hay = [normalise(c.text) + TAG_SEP + normalise(c.departments_raw) for c in kb.clauses]
        self.rel = {f: [] for f in (*FACET_FIELDS, "shared", "mentions", "lead")}
        for c in kb.clauses:
            reg = kb.registry_for(c.doc)
            self.rel["kind"].append({c.kind})
            self.rel["domain"].append({c.domain} if c.domain else set())
            self.rel["doc"].append({c.doc})
            self.rel["departments"].append(set(c.departments))
            self.rel["shared"].append({m for g in c.departments if reg.is_group(g) for m in reg.members(g)})
            self.rel["mentions"].append(set(kb.mentions.get(c.id, ())))
            self.rel["lead"].append(set(kb.leads(c)))
        self.every = set(range(len(kb.clauses)))

    def having(self, needle: str) -> set[int]:
        return {i for i, h in enumerate(self.hay) if needle in h}

    def with_value(self, fname: str, value: str) -> set[int]:
        return {i for i, vals in enumerate(self.rel[fname]) if value in vals}

    def bm25(self, i: int, words) -> float:
        score = 0.0
        for w in dict.fromkeys(words):
            f = self.tf[i].get(w, 0)
            if f:
                df = self.df[w]
                idf = math.log(1 + (len(self.tf) - df + 0.5) / (df + 0.5))
                score += idf * f * (K1 + 1) / (f + K1 * (1 - B + B * self.length[i] / self.avgdl))
        return score

    def search(self, eq: EngineQuery):
        allowed = set(self.every)
        for fname, values in eq.filters.items():
            if not values:
                continue
            if fname in ("departments_all", "also"):
                for v in values:
                    allowed &= self.with_value("departments", v)
            else:
                allowed &= set().union(*(self.with_value(fname, v) for v in values))
        groups, units, terms, typed, unit_chars = [], {}, [], 0, 0
        for group in eq.keywords:
            exact, whole = set(), set()
            for k, variant in enumerate(group):
                if not normalise(variant):
                    continue
                exact |= self.having(normalise(variant))
                words = self.index.words(variant)
                terms += words
                if not eq.words:
                    continue
                required = [w for w in words if w not in FUNCTION_WORDS]
                if len(required) > 1 and all(len(w) > 1 for w in required):
                    whole |= set.intersection(*(self.having(normalise(w)) for w in required))
                if k == 0:
                    for w in required:
                        typed += len(w)
                        if len(w) > 1 and w not in STOPWORDS and w not in units and self.having(normalise(w)):
                            units[w] = self.having(normalise(w))
                            unit_chars += len(w)
            groups.append((exact, exact | whole))
        if not typed or unit_chars * 2 < typed:
            units = {}
        exact = set.intersection(*(s for s, _ in groups)) if groups else set()
        full = set.intersection(*(w for _, w in groups)) if groups else set()
        partial = {i for i in self.every if sum(i in u for u in units.values()) >= (len(units) + 1) // 2} if units else set()
        relation = {}
        if eq.department:
            for tier, fname in DEPT_TIERS:
                relation[tier] = self.with_value(fname, eq.department)
                full |= relation[tier]
        matched = (full | partial) if (groups or eq.department) else set(self.every)
        if not groups and not eq.department:
            full = set(self.every)
        matched &= allowed
        full &= matched

        def level(i):
            score = SCORE_EXACT * (i in exact) + SCORE_FULL * (i in full)
            if len(groups) > 1:
                score += sum(SCORE_SUBSTRING for s, _ in groups if i in s)
            score += sum(SCORE_WORD for u in units.values() if i in u)
            if not relation:
                return score
            for tier, _ in DEPT_TIERS:
                if i in relation[tier]:
                    score += TIER[tier]
                    break
            if i in exact and not (i in relation["assigned"] or i in relation["lead_in_text"]):
                score += NAME_HELD  # the name as typed, before relations through a group only
            return score

        scored = [(level(i), self.bm25(i, terms) if terms else 0.0, i) for i in matched]
        scored.sort(key=lambda t: (-t[0], -t[1], t[2]))
        end = None if eq.limit is None else eq.offset + eq.limit
        hits = []
        for lv, bm, i in scored[eq.offset : end]:
            tier = "exact" if i in exact else "words" if i in full else "partial"
            hits.append((i, lv + round(bm, 4) if terms else float(lv), tier))
        facets = {}
        for fname in FACET_FIELDS:
            counts: dict[str, int] = {}
            for i in sorted(matched):
                for v in self.rel[fname][i]:
                    counts[v] = counts.get(v, 0) + 1
            facets[fname] = counts
        return len(matched), len(full), hits, facets


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    spec = importlib.util.spec_from_file_location("make_corpus", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_corpus"] = module
    spec.loader.exec_module(module)
    root = tmp_path_factory.mktemp("arrays")
    module.make_corpus(3, root / "corpus", seed=5)
    build(root / "corpus", root / "data")
    searcher = open_searcher(root / "data", root / "corpus")
    return searcher, Reference(searcher)


def generated_queries(searcher, count: int) -> list[EngineQuery]:
    """Words, pieces of words, phrases, several keywords, synonyms, filters, bare names, pages."""
    rnd = random.Random(23)
    kb = searcher.kb
    texts = [c.text for c in kb.clauses]
    words = sorted({w for t in texts[::7] for w in searcher.index.words(t) if len(w) > 1})
    units = kb.department_names()
    docs = list(kb.docs)
    out = []
    for i in range(count):
        t = rnd.choice(texts)
        at = rnd.randrange(max(1, len(t) - 6))
        pick = i % 8
        if pick == 0:
            keywords = [[rnd.choice(words)]]
        elif pick == 1:
            keywords = [[t[at : at + rnd.randint(2, 6)]]]
        elif pick == 2:
            keywords = [[rnd.choice(words)] for _ in range(rnd.randint(2, 3))]
        elif pick == 3:
            keywords = [[rnd.choice(words) + rnd.choice(words) + rnd.choice(words)]]
        elif pick == 4:
            keywords = [[rnd.choice(words), rnd.choice(words)]]  # a keyword and its synonym
        else:
            keywords = [] if pick == 5 else [[rnd.choice(units)]]
        filters = {}
        if i % 3 == 0:
            filters["kind"] = rnd.sample(["goal", "measure", "text", "principle"], rnd.randint(1, 2))
        if i % 5 == 0:
            filters["departments" if i % 2 else "departments_all"] = rnd.sample(units, rnd.randint(1, 2))
        if i % 7 == 0:
            filters["doc"] = [rnd.choice(docs)]
        if i % 11 == 0:
            filters["also"] = [rnd.choice(units)]
        department = keywords[0][0] if pick in (6, 7) and i % 2 else None
        limit = rnd.choice([10, 20, None])
        offset = 0 if limit is None else rnd.choice([0, 0, 10, 50])
        out.append(EngineQuery(keywords=keywords, filters=filters, department=department, words=i % 13 != 0, offset=offset, limit=limit))
    return out


def test_array_engine_matches_the_reference(engines):
    searcher, ref = engines
    queries = generated_queries(searcher, 400)
    assert sum(1 for q in queries if q.department) > 20 and sum(1 for q in queries if len(q.keywords) > 1) > 40
    nonempty = 0
    for eq in queries:
        got = searcher.index.search(eq)
        total, full, hits, facets = ref.search(eq)
        assert (got.total, got.full) == (total, full), eq
        assert [(h.position, h.score, h.tier) for h in got.hits] == hits, eq
        assert got.facets == facets, eq
        nonempty += bool(hits)
    assert nonempty > 200  # most queries find something: the comparison is not over empty results


def test_exact_string_hits_rank_before_relation_only_hits(engines):
    """A bare unit name: clauses containing the name come before clauses related to the unit only through a group."""
    searcher, ref = engines
    kb = searcher.kb
    checked = 0
    for unit in kb.department_names():
        if kb.registry.is_group(unit):
            continue
        shared_only = {i for i in ref.with_value("shared", unit) if unit not in ref.hay[i]} - ref.with_value("departments", unit)
        containing = ref.having(normalise(unit))
        if not shared_only or not containing:
            continue
        res = searcher.search(unit, limit=None)
        if res["interpreted"]["mode"] != "department-bare":
            continue
        order = [kb.position[h["id"]] for h in res["hits"]]
        last_containing = max(order.index(i) for i in containing if i in order)
        first_shared_only = min(order.index(i) for i in shared_only if i in order)
        assert last_containing < first_shared_only, unit
        checked += 1
    assert checked >= 3


def test_highlight_marks_ranges_of_the_original_text():
    # Full-width letters, a space inside the match, a character that normalises to two (㎡ → m2).
    assert highlight("ＨＰＶ 疫苗接种", ["hpv疫苗"]) == "<mark>ＨＰＶ 疫苗</mark>接种"
    assert highlight("面积达到10㎡以上", ["m2以上"]) == "面积达到10<mark>㎡以上</mark>"
    assert highlight("a <b> & 妇女", ["妇女", "<b>"]) == "a <mark>&lt;b&gt;</mark> &amp; <mark>妇女</mark>"
    assert highlight("妇女妇女", ["妇女", "女妇"]) == "<mark>妇女妇女</mark>"


def test_highlight_learns_characters_as_it_meets_them():
    """A fresh process: every form is learnt while the text is translated, the first time included."""
    import subprocess

    code = (
        "from kb.highlight import highlight; "
        "print(highlight('面积１０㎡，ＡＢ　Ｃ组', ['10m2', 'ab c']), highlight('ＨＰＶ疫苗', ['hpv']), highlight('①项', ['1项']), sep='|')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, cwd=Path(__file__).parents[1])
    assert out.stdout.decode("utf-8").strip().split("|") == ["面积<mark>１０㎡</mark>，<mark>ＡＢ　Ｃ</mark>组", "<mark>ＨＰＶ</mark>疫苗", "<mark>①项</mark>"]


def test_jieba_reads_its_own_dictionary_without_pkg_resources():
    import subprocess

    code = (
        "import sys; from kb.segment import import_jieba; tok = import_jieba().Tokenizer(); tok.initialize(); "
        "print('pkg_resources' in sys.modules, '/'.join(tok.lcut('妇女发展规划')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, cwd=Path(__file__).parents[1])
    assert out.stdout.decode("utf-8").split() == ["False", "妇女/发展/规划"]


def test_round4_rounds_every_value_as_python_does():
    """Scores are rounded as arrays; every value, ties at the fifth decimal included, as round(v, 4)."""
    rng = np.random.default_rng(7)
    values = np.concatenate(
        [
            rng.random(200_000) * 40,  # BM25-sized scores
            rng.random(50_000) * 1000 + 100_000,  # a tier score plus BM25
            np.round(rng.random(50_000) * 40, 5),  # many exact ties at the fifth decimal
            rng.random(50_000) * 1e10,  # tier scores reach a few 1e9
            np.round(rng.random(20_000) * 4e9, 5),
            np.array([0.0, 0.00005, 0.00015, 2.675, 1.00005, 999.0]),
        ]
    )
    expected = [round(v, 4) for v in values.tolist()]
    assert round4(values).tolist() == expected
    assert (np.round(values, 4) != np.array(expected)).any()  # the plain array rounding would not do


@pytest.mark.parametrize("few", [0, 1, 2, 64])
def test_a_scan_finds_what_ctrl_f_finds(engines, monkeypatch, few):
    """Found one by one while few, then by array comparisons from that clause on: both, and the switch between."""
    import kb.index

    searcher, ref = engines
    monkeypatch.setattr(kb.index, "SCAN_FIND_LIMIT", few)
    last = ref.hay[-1].split(TAG_SEP)[0][-3:]  # the end of the last clause's text (the very end: the unit test above)
    first = ref.hay[0][:2]
    for needle in ["妇女", "的", "卫健局", "发展", "2030", "%", "儿童", last, first, "不在任何条款里的字串"]:
        got = searcher.index._hay.scan(normalise(needle)).tolist()
        assert got == sorted(ref.having(normalise(needle))), needle
        assert needle == "不在任何条款里的字串" or len(got) > 0, needle


@pytest.mark.parametrize("few", [0, 64])
def test_a_needle_is_found_at_character_boundaries_only(monkeypatch, few):
    """Code units, not bytes: a needle's bytes straddling two characters is no match; a pair outside the BMP is one.
    Both ways of finding (one by one, array comparisons), at the first and the last unit of the text."""
    import kb.index
    from kb.index import SEP, Haystack

    monkeypatch.setattr(kb.index, "SCAN_FIND_LIMIT", few)
    texts = ["\u4e2d\u6587", "a\U0001f642b", "\u6587\u4e2d"]  # 中文 | a🙂b | 文中
    hay = Haystack(SEP.join(texts).encode("utf-16-le"), 3)
    assert hay.scan("\u874e").tolist() == []  # its bytes (4e 87) sit inside 中文 (2d 4e 87 65), at an odd offset
    assert hay.scan("\U0001f642").tolist() == [1] and hay.scan("\u6587").tolist() == [0, 2]
    assert hay.scan("\u6587\u4e2d").tolist() == [2] and hay.scan("\u4e2d").tolist() == [0, 2]  # the last units, the first
    assert hay.scan("b").tolist() == [1] and hay.scan("\u4e2d\u6587").tolist() == [0]
    assert [hay.clause(i) for i in range(3)] == texts and not hay.contains("\u874e")
    # A lone surrogate (undecodable bytes on a command line) is in no clause; it is not an error.
    assert hay.scan("\udcff").tolist() == [] and not hay.contains("\udcff")
    with pytest.raises(ValueError):
        Haystack(SEP.join(texts).encode("utf-16-le"), 2)
    for half in (b"\x3d\xd8", b"\x42\xde"):  # half a pair: damaged text is refused at open, as decoding it would be
        with pytest.raises(ValueError):
            Haystack(SEP.join(["\u4e2d", "a", "b"]).encode("utf-16-le").replace(b"a\x00", half), 3)


@pytest.mark.parametrize("block", [1, 7, 4096])
def test_figures_are_found_in_every_block(engines, monkeypatch, block):
    import re

    import kb.index

    searcher, ref = engines
    monkeypatch.setattr(kb.index, "SCAN_BLOCK_CLAUSES", block)
    pattern = re.compile(r"\d+%")
    got = searcher.index._hay.figures(pattern).tolist()
    assert got == [i for i, h in enumerate(ref.hay) if pattern.search(h)] and got
