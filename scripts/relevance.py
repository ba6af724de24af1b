"""Relevance benchmark: plankb and a plain BM25 engine side by side on hand-judged queries.

The queries (``bench/relevance/queries.tsv``) are what county staff type: questions,
unspaced phrases, everyday words, a department with a topic, and questions the plan
cannot answer. Their judgments (``bench/relevance/judgments.tsv``) were made by
reading the seed plan: grade 2 answers the query, grade 1 is related; a query with
no judgment is unanswerable.

Both engines answer every query in one run over the same plan:

* plankb — ``Searcher.search(q, limit=10)`` on a fresh build of corpus/;
* bm25   — tantivy (BM25, k1 1.2, b 0.75) over jieba search-mode tokens of the clause
  text (default dictionary plus the corpus userdict.txt), query tokens OR-ed.

Measures per query: nDCG@10 (gain 2^grade − 1), recall@10 of grade-2 clauses (found in
the top 10 ÷ min(10, grade-2 clauses)), whether an answerable query returned nothing,
whether an unanswerable one returned anything. Aggregates per kind and per split.
"""

from __future__ import annotations

import math
import re
import shutil
import statistics
import time
import unicodedata
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REL = ROOT / "bench" / "relevance"
SKIP = re.compile(r"^[\W_]+$")
KINDS = ("question", "unspaced", "everyday", "department", "unanswerable")


def load_queries(folder: Path = REL) -> list[dict]:
    """Queries with their graded clause ids, in file order."""
    grades: dict[str, dict[str, int]] = defaultdict(dict)
    for line in (folder / "judgments.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            qid, cid, grade = line.split("\t")
            grades[qid][cid] = int(grade)
    out = []
    for line in (folder / "queries.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            qid, split, kind, text = line.split("\t")
            out.append({"id": qid, "split": split, "kind": kind, "query": text, "grades": grades.get(qid, {})})
    return out


def ndcg10(ranked: list[str], grades: dict[str, int]) -> float:
    dcg = sum((2 ** grades.get(c, 0) - 1) / math.log2(i + 2) for i, c in enumerate(ranked[:10]))
    ideal = sorted(grades.values(), reverse=True)[:10]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall10(ranked: list[str], grades: dict[str, int]) -> float:
    best = [c for c, g in grades.items() if g == 2]
    if not best:
        return 1.0
    return len(set(ranked[:10]) & set(best)) / min(10, len(best))


class Bm25Baseline:
    """tantivy over jieba search-mode tokens, OR of the query's tokens."""

    def __init__(self, corpus: Path, clauses):
        import jieba
        import tantivy

        jieba.setLogLevel(60)
        self.tok = jieba.Tokenizer()
        self.tok.initialize()
        userdict = corpus / "userdict.txt"
        if userdict.exists():
            for line in userdict.read_text(encoding="utf-8-sig").splitlines():
                parts = line.split()
                if parts and not line.startswith("#"):
                    self.tok.add_word(parts[0], int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None)
        sb = tantivy.SchemaBuilder()
        sb.add_text_field("words", stored=False, tokenizer_name="whitespace")
        sb.add_text_field("id", stored=True, tokenizer_name="raw", index_option="basic")
        self.schema = sb.build()
        self.index = tantivy.Index(self.schema)
        writer = self.index.writer()
        for c in clauses:
            writer.add_document(tantivy.Document(words=" ".join(self.tokens(c.text)), id=c.id))
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        self.searcher = self.index.searcher()

    def tokens(self, text: str) -> list[str]:
        norm = unicodedata.normalize("NFKC", text).lower()
        return [t for t in self.tok.cut_for_search(norm) if t.strip() and not SKIP.match(t)]

    def search(self, q: str) -> tuple[list[str], int]:
        import tantivy

        toks = list(dict.fromkeys(self.tokens(q)))
        if not toks:
            return [], 0
        tq = tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, tantivy.Query.term_query(self.schema, "words", t)) for t in toks]
        )
        res = self.searcher.search(tq, limit=10, count=True)
        return [self.searcher.doc(a)["id"][0] for _, a in res.hits], res.count


def _summary(rows: list[dict]) -> dict:
    answerable = [r for r in rows if r["grades"]]
    unanswerable = [r for r in rows if not r["grades"]]
    return {
        "queries": len(rows),
        "answerable": len(answerable),
        "ndcg10": round(statistics.mean(r["ndcg10"] for r in answerable), 3) if answerable else None,
        "recall10": round(statistics.mean(r["recall10"] for r in answerable), 3) if answerable else None,
        "answerable_zero": sum(1 for r in answerable if r["total"] == 0),
        "unanswerable": len(unanswerable),
        "unanswerable_with_results": sum(1 for r in unanswerable if r["total"] > 0),
    }


def bench_relevance(work: Path, corpus: Path = ROOT / "corpus") -> dict:
    """Build the seed plan fresh, answer every judged query with both engines, score them."""
    from kb.search import open_searcher
    from kb.store import build

    data = work / "relevance-data"
    shutil.rmtree(data, ignore_errors=True)
    build(corpus, data, force=True)
    searcher = open_searcher(data, corpus, rebuild=False)
    baseline = Bm25Baseline(corpus, searcher.kb.clauses)
    queries = load_queries()
    engines = {
        "plankb": lambda q: (lambda r: ([h["id"] for h in r["hits"]], r["total"], r["interpreted"]))(
            searcher.search(q, limit=10)
        ),
        "bm25": lambda q: (*baseline.search(q), None),
    }
    per_query = []
    t0 = time.perf_counter()
    for q in queries:
        row = {"id": q["id"], "split": q["split"], "kind": q["kind"], "query": q["query"]}
        for name, run in engines.items():
            ranked, total, reading = run(q["query"])
            row[name] = {
                "ndcg10": round(ndcg10(ranked, q["grades"]), 4) if q["grades"] else None,
                "recall10": round(recall10(ranked, q["grades"]), 4) if q["grades"] else None,
                "total": total,
                "top10": ranked,
            }
            if reading is not None:
                row[name]["reading"] = reading.get("reading") or reading.get("description")
        per_query.append(row)
    grades = {q["id"]: q["grades"] for q in queries}
    out: dict = {
        "engines": list(engines),
        "queries": len(queries),
        "seconds": round(time.perf_counter() - t0, 2),
        "summary": {},
    }
    groups: dict[str, tuple[str | None, str | None]] = {"all": (None, None)}
    groups.update({f"split:{s}": (s, None) for s in ("dev", "heldout")})
    groups.update({f"kind:{k}": (None, k) for k in KINDS})
    groups.update({f"{s}:{k}": (s, k) for s in ("dev", "heldout") for k in KINDS})
    for label, (split, kind) in groups.items():
        rows = [r for r in per_query if split in (None, r["split"]) and kind in (None, r["kind"])]
        if not rows:
            continue
        out["summary"][label] = {
            name: _summary([{**r[name], "grades": grades[r["id"]]} for r in rows]) for name in engines
        }
    out["per_query"] = per_query
    return out


def report_lines(result: dict) -> list[str]:
    """The relevance section of docs/BENCHMARKS.md."""
    s = result["summary"]
    lines = [
        "## Relevance: plankb vs plain BM25 on hand-judged queries",
        "",
        f"{result.get('date', '')} · {result['queries']} queries in `bench/relevance/` (questions, unspaced",
        "phrases, everyday words, department + topic, questions the plan cannot answer), judged by reading the",
        "seed plan (grade 2 answers, 1 related). **bm25** = tantivy over jieba search-mode tokens of the clause",
        "text (default dictionary + corpus userdict.txt), query tokens OR-ed. Recall@10 counts grade-2 clauses",
        "in the top 10 ÷ min(10, grade-2 clauses).",
        "*dev* queries were written before the query rules, *heldout* after them.",
        "",
        "| queries | n | nDCG@10 plankb | nDCG@10 bm25 | recall@10 plankb | recall@10 bm25 "
        "| zero-result answerable plankb / bm25 | results for unanswerable plankb / bm25 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, row in s.items():
        p, b = row["plankb"], row["bm25"]

        def f(x):
            return "—" if x is None else f"{x:.3f}"

        lines.append(
            f"| {label} | {p['queries']} | {f(p['ndcg10'])} | {f(b['ndcg10'])} "
            f"| {f(p['recall10'])} | {f(b['recall10'])} | "
            f"{p['answerable_zero']} / {b['answerable_zero']} of {p['answerable']} | "
            f"{p['unanswerable_with_results']} / {b['unanswerable_with_results']} of {p['unanswerable']} |"
        )
    return lines + [""]
