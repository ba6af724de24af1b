"""The clauses read from their columns: made on first use, the same clauses as the parser read, nothing lost."""

import json
import threading

import numpy as np
import pytest

from kb.columns import ClauseColumns, IdColumn, counts, distinct
from kb.corpus import parse_file, plan_files
from kb.departments import Registry
from kb.generation import load_generation
from kb.knowledge import KnowledgeBase
from kb.model import Clause
from kb.store import build, live_generation
from tests.helpers import SEED, make_corpus, seed_text

# A second plan whose clauses carry what the seed lacks: a NUL-free id with CJK, a text with a tab,
# a full-width letter, an emoji outside the BMP and an empty tag.
ODD = seed_text().replace("镇原县妇女发展规划（2021—2030年）", "某县妇女发展规划（2021—2030年）", 1).replace(
    "妇女全生命周期享有良好的卫生健康服务", "妇女全生命周期享有良好的卫生健康服务Ａ🙂", 1)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    base = tmp_path_factory.mktemp("columns")
    corpus = make_corpus(base / "corpus", {"zhenyuan.txt": SEED.read_bytes(), "某县.txt": ODD})
    build(corpus, base / "data")
    registry = Registry.load(corpus / "departments.toml")
    parsed = [c for path in plan_files(corpus) for c in parse_file(path, registry, {}).clauses]
    return live_generation(base / "data"), parsed


def test_clauses_read_back_are_the_clauses_parsed(built):
    gen, parsed = built
    kb = load_generation(gen)
    assert isinstance(kb.clauses, ClauseColumns) and len(kb.clauses) == len(parsed) > 192
    assert any("🙂" in c.text for c in parsed)
    # One at a time, from the end, before anything is iterated …
    for i in reversed(range(len(parsed))):
        assert kb.clauses[i] == parsed[i], i
    # … and all at once: the same objects as those made one at a time.
    first = kb.clauses[-1]
    assert list(kb.clauses) == parsed
    assert kb.clauses[len(parsed) - 1] is first
    assert kb.clauses[1:3] == parsed[1:3] and kb.clauses[-1] == parsed[-1]
    with pytest.raises(IndexError):
        kb.clauses[len(parsed)]
    assert list(load_generation(gen).clauses) == parsed  # all at once first (the emoji takes two UTF-16 units)


def test_ids_are_one_string_read_by_position(built):
    gen, parsed = built
    ids = load_generation(gen).clauses.ids
    expected = [c.id for c in parsed]
    assert list(ids) == expected and len(ids) == len(expected)
    assert [ids[i] for i in range(len(ids))] == expected
    assert ids[-1] == expected[-1] and ids[2:5] == expected[2:5]
    picks = [len(expected) - 1, 0, 7, 7, len(expected) // 2]
    assert ids.take(picks) == [expected[i] for i in picks]
    with pytest.raises(IndexError):
        ids[len(expected)]
    # Ids that are not ASCII: offsets counted in characters, not bytes.
    odd = ["甲县.1", "b.2-m3", "丙丁🙂.3"]
    column = IdColumn("\x00".join(odd).encode("utf-8"), 3)
    assert list(column) == odd and [column[i] for i in range(3)] == odd and column.take([2, 0]) == [odd[2], odd[0]]
    assert len(IdColumn(b"", 0)) == 0 and list(IdColumn(b"", 0)) == []
    with pytest.raises(ValueError):
        IdColumn("\x00".join(odd).encode("utf-8"), 2)


def test_a_search_makes_only_the_clauses_it_shows(built):
    gen, _ = built
    from kb.index import Index
    from kb.search import Searcher

    kb = load_generation(gen)
    searcher = Searcher(kb, Index(gen / "index", kb))
    res = searcher.search("宫颈癌", limit=2)
    assert res["total"] >= 6 and len(res["hits"]) == 2
    made = sum(c is not None for c in kb.clauses._made)
    assert made <= 2 + 2 + 2  # the hits, the index's check of the first and last clause, nothing else
    assert kb.by_id[res["hits"][0]["id"]].text == res["hits"][0]["text"]


def test_distinct_and_counts_agree_with_a_loop_over_the_clauses(built):
    gen, parsed = built
    kb = load_generation(gen)
    for fields in (("doc",), ("departments",), ("doc", "departments"), ("doc", "domain"), ("kind", "doc")):
        assert distinct(kb.clauses, *fields) == distinct(parsed, *fields), fields
        assert counts(kb.clauses, *fields) == counts(parsed, *fields), fields
    # What the query path reads from the columns equals a knowledge base built from the parsed clauses.
    eager = KnowledgeBase(kb.documents, kb.headings, parsed, kb.registry, mentions=kb.mentions)
    assert kb.department_names() == eager.department_names()
    assert kb.group_names() == eager.group_names()
    assert kb.domains() == eager.domains() and kb.kind_counts() == eager.kind_counts()
    for doc in kb.documents:
        assert kb.domains(doc.id) == eager.domains(doc.id) and kb.kind_counts(doc.id) == eager.kind_counts(doc.id)
        assert kb.registry_for(doc.id).departments == eager.registry_for(doc.id).departments


def test_threads_asking_for_one_clause_get_one_object(built):
    gen, _ = built
    kb = load_generation(gen)
    got: list[Clause] = []
    threads = [threading.Thread(target=lambda: got.append(kb.clauses[100])) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(c) for c in got}) == 1


def test_indicators_are_read_on_first_use_with_their_clauses_fields(built):
    gen, _ = built
    from kb.indicators import clause_indicators, extract

    kb = load_generation(gen)
    assert kb._stored_indicators is None  # nothing read at open
    stored = extract(kb)
    fresh = [i for c in kb.clauses if c.kind in ("goal", "measure") for i in clause_indicators(c)]
    assert stored == fresh and len(stored) > 40


def test_headings_are_read_on_first_use_as_parsed(built, tmp_path):
    import shutil

    from kb.errors import DataDirError
    from kb.index import Index
    from kb.search import Searcher

    gen, _ = built
    kb = load_generation(gen)
    Searcher(kb, Index(gen / "index", kb)).search("妇联负责哪些措施")
    assert kb._headings is None  # a search reads none
    registry = Registry.load(gen / "departments.toml")
    parsed = [h for path in plan_files(gen.parent.parent / "corpus") for h in parse_file(path, registry, {}).headings]
    assert kb.headings == parsed and len(parsed) > 20
    # Damage the checksums do not see (a copy loaded without them): one line naming the file, on first use.
    copy = tmp_path / "gen"
    shutil.copytree(gen, copy)
    fields = ["doc", "level", "marker", "text", "line", "part", "section"]
    for damaged in ({"fields": ["doc"], "rows": []}, {"fields": fields, "rows": [{"doc": 1}]}, {"fields": fields, "rows": ["1234567"]}):
        (copy / "headings.json").write_text(json.dumps(damaged), encoding="utf-8")
        with pytest.raises(DataDirError, match="headings.json"):
            _ = KnowledgeBase.load(copy).headings


@pytest.mark.parametrize("damage", ["codes", "ids", "ends"])
def test_columns_that_disagree_are_refused(built, tmp_path, damage):
    import shutil

    import numpy as np

    from kb.errors import DataDirError

    gen, _ = built
    copy = tmp_path / gen.name
    shutil.copytree(gen, copy)
    if damage == "codes":
        codes = np.load(copy / "clauses.codes.npy")
        codes[0, 0] = np.iinfo(codes.dtype).max
        np.save(copy / "clauses.codes.npy", codes)
    elif damage == "ids":
        (copy / "clauses.ids.txt").write_bytes((copy / "clauses.ids.txt").read_bytes().replace(b"\x00", b"\n", 1))
    else:
        ends = np.load(copy / "clauses.text.ends.npy")
        ends[-1] += 1
        np.save(copy / "clauses.text.ends.npy", ends)
    with pytest.raises(DataDirError, match="已损坏"):
        KnowledgeBase.load(copy)


def test_originals_are_kept_byte_for_byte_compressed_when_it_pays(built, tmp_path):
    import os

    from kb.knowledge import keep_source

    gen, _ = built
    kb = load_generation(gen)
    doc = kb.documents[0]
    assert kb.source_path(doc.id).name.endswith(".txt.gz") and kb.source_bytes(doc.id) == SEED.read_bytes()
    assert kb.source_path(doc.id).stat().st_size < len(SEED.read_bytes()) / 2
    noise = tmp_path / "scan.pdf"
    noise.write_bytes(os.urandom(4096))  # a compressed format gains nothing: kept as it is
    kept = keep_source(noise, tmp_path / "out" if (tmp_path / "out").mkdir() is None else tmp_path)
    assert kept.name == "scan.pdf" and kept.read_bytes() == noise.read_bytes()


def test_clauses_made_one_at_a_time_are_kept_within_a_bound(built, monkeypatch):
    from kb import columns

    gen, parsed = built
    monkeypatch.setattr(columns, "KEEP_MADE", 3)
    kb = load_generation(gen)
    got = [kb.clauses[i] for i in range(10, 20)]
    assert sum(c is not None for c in kb.clauses._made) == 3 and got == parsed[10:20]
    assert kb.clauses[19] is got[-1] and kb.clauses[10] == got[0]
    assert list(kb.clauses) == parsed and kb.clauses[10] is kb.clauses[10]  # iterated: every clause kept
    assert sum(c is not None for c in kb.clauses._made) == len(parsed)


def test_fields_of_many_clauses_are_read_without_making_clauses(built):
    from dataclasses import asdict

    from kb import columns

    gen, parsed = built
    kb = load_generation(gen)
    positions = [7, *range(len(parsed) - 1, 0, -3), 7]  # from the end, one twice
    names = ("id", "text", "departments", "citation", "lead", "number")
    got = columns.fields(kb.clauses, positions, names)
    assert got == {f: [asdict(parsed[p])[f] for p in positions] for f in names}
    assert got == columns.fields(parsed, positions, names)
    assert got["departments"][0] is not got["departments"][-1]  # each hit its own list
    assert sum(c is not None for c in kb.clauses._made) == 0


def test_relations_read_from_the_arrays_agree_with_the_knowledge_base(built):
    gen, _ = built
    from kb.index import Index

    kb = load_generation(gen)
    index = Index(gen / "index", kb)
    every = list(range(len(kb.clauses)))
    names = kb.department_names() + kb.group_names()
    assert len(names) > 20
    for dept in names:
        want = [kb.relation(c, dept) or "text" for c in kb.clauses]
        assert index.relations([dept], every) == want, dept
    pair = ["统计局", "卫健局"]
    want = [next((r for d in pair if (r := kb.relation(c, d))), "text") for c in kb.clauses]
    assert index.relations(pair, every) == want and {"assigned", "lead_in_text", "text"} <= set(want)


def test_cached_substring_results_equal_fresh_scans(built, monkeypatch):
    gen, _ = built
    from kb import index as kbindex
    from kb.index import Index

    kb = load_generation(gen)
    index = Index(gen / "index", kb)
    first = kbindex.normalise(kb.clauses[0].text[:12])  # a string only the plans' first clauses hold
    needles = [first, "妇女", "宫颈癌", "卫健局", "没有这个词"]
    fresh = {n: index._substring(n).copy() for n in needles}
    assert fresh[first].nonzero()[0].tolist() == [0, 192] and fresh["妇女"].sum() * 32 >= len(kb.clauses)
    kept = {n: index._substrings[n] for n in needles}
    assert kept[first].dtype == np.uint32 and kept["妇女"].dtype == np.uint8  # positions while few, bits when many
    for n in needles:
        assert (index._substring(n) == fresh[n]).all()
    assert index.contains(kb.clauses[0].text[:12]) and not index.contains("没有这个词")
    monkeypatch.setattr(kbindex, "CACHE_BYTES", 0)  # the cache keeps only the newest string, and counts right
    index._substring("宫颈")
    assert list(index._substrings) == ["宫颈"] and index._cache_bytes == index._substrings["宫颈"].nbytes + 64
