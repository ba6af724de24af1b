#!/usr/bin/env python3
"""Benchmarks: plankb side by side with three anchors, at several corpus sizes, and under load.

``--scale 1,10,100`` builds a synthetic corpus of N plans (scripts/make_corpus.py,
cached under bench/work/) and measures, in one run, plankb and three anchors:

* naive     — the recipe from jieba's README: ``jieba.analyse.ChineseAnalyzer`` on a
              plain Whoosh TEXT field with stored text, default dictionary, facets via
              ``groupedby``, top-10 highlights with Whoosh's highlighter;
* substring — a plain substring scan over every clause text (what Ctrl+F does);
* tantivy   — the Rust engine (``tantivy`` package) on jieba-pre-tokenised text,
              facets counted from the results.

For each: build time, clauses/s, bytes on disk, peak RSS of the build (a child
process, sampled with psutil), warm in-process latency p50/p99 of a fixed query
mix (facets and top-10 highlights included) and cold wall time of one query in
a fresh process (``plankb search --json`` for plankb).  Results go to
bench/results/scale-<N>.json and docs/BENCHMARKS.md is regenerated from every
JSON file there.

``--load`` starts ``plankb serve`` (waitress) on a free loopback port and drives
it from a second process (asyncio, raw HTTP/1.1 keep-alive, bounded by count and
time) at 16 and 64 connections: requests/s, p50/p99, errors, server RSS.

Examples::

    .venv/bin/python scripts/bench.py --scale 1,10,100
    .venv/bin/python scripts/bench.py --quick
    .venv/bin/python scripts/bench.py --load --duration 60
    .venv/bin/python scripts/bench.py --build seed,100 --before /tmp/plankb-main
    .venv/bin/python scripts/bench.py --report
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import html
import inspect
import json
import math
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
import urllib.parse
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work"
RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "BENCHMARKS.md"
VENV_BIN = Path(sys.executable).parent
PLANKB = VENV_BIN / "plankb"
ENGINES = ("plankb", "naive", "substring", "tantivy")
ANCHORS = ENGINES[1:]
FACETS = ("kind", "domain", "departments", "doc")
COLD_QUERY = "宫颈癌"

# The fixed query mix: what staff type, in fixed proportions.
QUERIES = [
    # keywords
    "宫颈癌", "乳腺癌", "孕产妇", "就业", "家庭暴力", "心理健康", "农村妇女", "职业教育",
    "性别平等", "社会保障", "母婴传播", "托育服务", "反家庭暴力法", "妇女参与决策",
    # partial words (inside jieba words: 人社局, 宫颈癌, 妇儿工委 …)
    "人社", "宫颈", "工委", "妇儿", "孕产", "残疾",
    # synonyms
    "两癌", "家暴", "性侵", "医保", "妇女儿童工作委员会",
    # several words
    "女性 就业 歧视", "农村 妇女 健康", "宫颈癌 筛查", "家庭 教育 指导", "女性 科技 人才",
    # department intent, in several phrasings
    "妇联负责哪些措施", "卫健局的目标", "涉及公安局的目标和措施", "which measures involve 妇联", "教育局负责哪些工作",
    # bare department names
    "统计局", "民政局",
    # explicit filters
    "dept:妇联 kind:measure", "kind:goal domain:健康", "dept:卫健局 宫颈癌",
]


# -- small helpers -------------------------------------------------------------------
def percentile(values, q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    s = sorted(values)
    return s[max(0, math.ceil(q / 100 * len(s)) - 1)]


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def mark(text: str, needles, width: int = 180) -> str:
    """An escaped snippet of text with needles in <mark> (the anchors' highlighter)."""
    low = text.lower()
    spans = []
    for n in needles:
        n = n.lower()
        if not n:
            continue
        i = low.find(n)
        while i >= 0:
            spans.append((i, i + len(n)))
            i = low.find(n, i + 1)
    spans.sort()
    lo = max(0, spans[0][0] - width // 3) if spans and len(text) > width else 0
    hi = min(len(text), lo + width)
    out, pos = [], lo
    for a, b in spans:
        if a < pos or a >= hi:
            continue
        out.append(html.escape(text[pos:a]) + "<mark>" + html.escape(text[a:min(b, hi)]) + "</mark>")
        pos = min(b, hi)
    out.append(html.escape(text[pos:hi]))
    return ("…" if lo else "") + "".join(out) + ("…" if hi < len(text) else "")


def load_clauses(corpus: Path) -> list[dict]:
    """Every clause of the corpus, parsed by kb's parser (the anchors index these)."""
    from kb.corpus import load_manifest, parse_file, plan_files
    from kb.departments import Registry

    registry = Registry.load(corpus / "departments.toml")
    manifest = load_manifest(corpus)
    out = []
    for path in plan_files(corpus):
        pd = parse_file(path, registry, manifest.get(path.name, {}))
        for c in pd.clauses:
            out.append({"id": c.id, "doc": c.doc, "kind": c.kind, "domain": c.domain or "", "departments": list(c.departments), "text": c.text, "tag": c.tag or ""})
    return out


def kb_version() -> dict:
    """The commit and a hash of kb/*.py as run (the library may have uncommitted edits)."""
    h = hashlib.sha256()
    for p in sorted((ROOT / "kb").glob("*.py")):
        h.update(p.name.encode() + p.read_bytes())
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "kb"], capture_output=True, text=True).stdout.strip())
    except OSError:
        commit, dirty = "", None
    return {"commit": commit, "kb_dirty": dirty, "kb_sha": h.hexdigest()[:12]}


def machine() -> dict:
    model = ""
    try:
        with open("/proc/cpuinfo") as info:
            model = next(l.split(":", 1)[1].strip() for l in info if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        import psutil

        mem = round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:
        mem = None
    return {"cpus": os.cpu_count(), "cpu_model": model, "mem_gb": mem, "platform": platform.platform(), "python": platform.python_version()}


# -- engines -------------------------------------------------------------------------
class Plankb:
    """plankb itself: kb.store.build, kb.search.open_searcher, `plankb search --json`."""

    name = "plankb"

    def build(self, corpus: Path, out: Path) -> int:
        from kb.store import build

        return build(corpus, out, force=True).clauses

    def size(self, out: Path) -> int:
        from kb.store import live_generation

        return dir_bytes(live_generation(out))

    def open(self, out: Path, corpus: Path):
        from kb.search import open_searcher

        s = open_searcher(out, corpus, rebuild=False)
        return lambda q: s.search(q, page=1, limit=10)

    def cold_cmd(self, out: Path, corpus: Path, q: str):
        env = {**os.environ, "PLANKB_DATA": str(out), "PLANKB_CORPUS": str(corpus)}
        return [str(PLANKB), "search", q, "--json"], env


class Naive:
    """jieba's README recipe: ChineseAnalyzer on one Whoosh TEXT field, groupedby facets."""

    name = "naive"

    def build(self, corpus: Path, out: Path) -> int:
        from jieba.analyse import ChineseAnalyzer
        from whoosh.fields import ID, KEYWORD, TEXT, Schema
        from whoosh.index import create_in

        clauses = load_clauses(corpus)
        schema = Schema(
            id=ID(stored=True, unique=True), doc=ID(stored=True), kind=ID(stored=True), domain=ID(stored=True),
            departments=KEYWORD(stored=True, commas=True), text=TEXT(stored=True, analyzer=ChineseAnalyzer()),
        )
        out.mkdir(parents=True, exist_ok=True)
        ix = create_in(str(out), schema)
        writer = ix.writer()
        for c in clauses:
            fields = {"id": c["id"], "doc": c["doc"], "kind": c["kind"], "departments": ",".join(c["departments"]), "text": c["text"]}
            if c["domain"]:
                fields["domain"] = c["domain"]
            writer.add_document(**fields)
        writer.commit()
        return len(clauses)

    def size(self, out: Path) -> int:
        return dir_bytes(out)

    def open(self, out: Path, corpus: Path):
        from whoosh import sorting
        from whoosh.index import open_dir
        from whoosh.qparser import QueryParser

        ix = open_dir(str(out))
        searcher = ix.searcher()
        parser = QueryParser("text", schema=ix.schema)
        facets = {f: sorting.FieldFacet(f, allow_overlap=(f == "departments")) for f in FACETS}

        def query(q):
            res = searcher.search(parser.parse(q), limit=10, groupedby=facets)
            return {
                "total": len(res),
                "hits": [{"id": h["id"], "highlight": h.highlights("text")} for h in res],
                "facets": {f: {str(k): len(v) for k, v in res.groups(f).items()} for f in FACETS},
            }

        return query

    def cold_cmd(self, out: Path, corpus: Path, q: str):
        return [sys.executable, __file__, "--_cold", self.name, str(out), str(corpus), q], None


class Substring:
    """What Ctrl+F does: every clause whose text contains each word, facets counted."""

    name = "substring"

    def build(self, corpus: Path, out: Path) -> int:
        clauses = load_clauses(corpus)
        out.mkdir(parents=True, exist_ok=True)
        (out / "clauses.json").write_text(json.dumps(clauses, ensure_ascii=False), encoding="utf-8")
        return len(clauses)

    def size(self, out: Path) -> int:
        return dir_bytes(out)

    def open(self, out: Path, corpus: Path):
        clauses = json.loads((out / "clauses.json").read_text(encoding="utf-8"))
        # The page Ctrl+F searches shows each clause with its department tag.
        texts = [(c["text"] + c["tag"]).lower() for c in clauses]

        def query(q):
            needles = q.lower().split()
            found = [i for i, t in enumerate(texts) if all(n in t for n in needles)] if needles else []
            facets = {f: Counter() for f in FACETS}
            for i in found:
                c = clauses[i]
                facets["kind"][c["kind"]] += 1
                facets["domain"][c["domain"]] += 1
                facets["doc"][c["doc"]] += 1
                facets["departments"].update(c["departments"])
            return {
                "total": len(found),
                "hits": [{"id": clauses[i]["id"], "highlight": mark(clauses[i]["text"], needles)} for i in found[:10]],
                "facets": {f: dict(v) for f, v in facets.items()},
            }

        return query

    def cold_cmd(self, out: Path, corpus: Path, q: str):
        return [sys.executable, __file__, "--_cold", self.name, str(out), str(corpus), q], None


class Tantivy:
    """tantivy on whitespace-joined jieba tokens (default dictionary); facets from the hits."""

    name = "tantivy"
    SKIP = re.compile(r"^[\W_]+$")

    @classmethod
    def tokens(cls, text: str) -> list[str]:
        import jieba

        jieba.setLogLevel(60)
        norm = unicodedata.normalize("NFKC", text).lower()
        return [t for t in jieba.cut(norm) if t.strip() and not cls.SKIP.match(t)]

    @staticmethod
    def schema():
        import tantivy

        sb = tantivy.SchemaBuilder()
        sb.add_text_field("words", stored=False, tokenizer_name="whitespace")
        sb.add_text_field("id", stored=True, tokenizer_name="raw", index_option="basic")
        sb.add_text_field("text", stored=True, tokenizer_name="raw", index_option="basic")
        sb.add_unsigned_field("pos", stored=True, indexed=False, fast=True)
        return sb.build()

    def build(self, corpus: Path, out: Path) -> int:
        import tantivy

        clauses = load_clauses(corpus)
        out.mkdir(parents=True, exist_ok=True)
        index = tantivy.Index(self.schema(), path=str(out))
        writer = index.writer()
        for i, c in enumerate(clauses):
            doc = tantivy.Document(words=" ".join(self.tokens(c["text"])), id=c["id"], text=c["text"])
            doc.add_unsigned("pos", i)
            writer.add_document(doc)
        writer.commit()
        writer.wait_merging_threads()
        facets = [[c["kind"], c["domain"], c["departments"], c["doc"]] for c in clauses]
        (out / "facets.json").write_text(json.dumps(facets, ensure_ascii=False), encoding="utf-8")
        return len(clauses)

    def size(self, out: Path) -> int:
        return dir_bytes(out)

    def open(self, out: Path, corpus: Path):
        import tantivy

        index = tantivy.Index.open(str(out))
        index.reload()
        searcher = index.searcher()
        schema = index.schema
        n = searcher.num_docs
        rows = json.loads((out / "facets.json").read_text(encoding="utf-8"))

        def query(q):
            toks = self.tokens(q)
            if not toks:
                return {"total": 0, "hits": [], "facets": {f: {} for f in FACETS}}
            tq = tantivy.Query.boolean_query([(tantivy.Occur.Must, tantivy.Query.term_query(schema, "words", t)) for t in dict.fromkeys(toks)])
            res = searcher.search(tq, limit=n, count=True)
            addrs = [a for _, a in res.hits]
            facets = {f: Counter() for f in FACETS}
            for p in searcher.fast_field_values("pos", addrs) if addrs else []:
                kind, domain, depts, doc = rows[p]
                facets["kind"][kind] += 1
                facets["domain"][domain] += 1
                facets["doc"][doc] += 1
                facets["departments"].update(depts)
            hits = []
            for a in addrs[:10]:
                d = searcher.doc(a)
                hits.append({"id": d["id"][0], "highlight": mark(d["text"][0], toks)})
            return {"total": res.count, "hits": hits, "facets": {f: dict(v) for f, v in facets.items()}}

        return query

    def cold_cmd(self, out: Path, corpus: Path, q: str):
        return [sys.executable, __file__, "--_cold", self.name, str(out), str(corpus), q], None


ENGINE = {e.name: e for e in (Plankb(), Naive(), Substring(), Tantivy())}


# -- child processes: a build, a cold query -------------------------------------------
def child_build(engine: str, corpus: str, out: str):
    """In a fresh process: build and print {"build_s", "clauses"}."""
    t0 = time.perf_counter()
    clauses = ENGINE[engine].build(Path(corpus), Path(out))
    print(json.dumps({"build_s": time.perf_counter() - t0, "clauses": clauses}))


def child_cold(engine: str, out: str, corpus: str, q: str):
    """In a fresh process: open the index, answer one query, print the result."""
    res = ENGINE[engine].open(Path(out), Path(corpus))(q)
    print(json.dumps(res, ensure_ascii=False))


def run_sampled(cmd, env=None, timeout=1800) -> tuple[str, float, float]:
    """Run cmd; return (stdout, wall seconds, peak RSS in MB of the process tree, sampled)."""
    import psutil

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = psutil.Popen(cmd, stdout=out, stderr=err, env=env)
        peak = 0
        while proc.poll() is None:
            rss = 0
            try:
                for p in [proc, *proc.children(recursive=True)]:
                    try:
                        rss += p.memory_info().rss
                    except psutil.Error:
                        pass
            except psutil.Error:
                pass
            peak = max(peak, rss)
            if time.perf_counter() - t0 > timeout:
                proc.kill()
                raise SystemExit(f"bench: {cmd[:4]} took longer than {timeout} s")
            time.sleep(0.02)
        wall = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        if proc.returncode:
            raise SystemExit(f"bench: {' '.join(map(str, cmd[:5]))} failed:\n{err.read().decode(errors='replace')[-3000:]}")
        return out.read().decode(), wall, peak / 2**20


def run_timed(cmd, env=None, timeout=300) -> float:
    """Wall time of cmd in a fresh process (its output is checked to be JSON)."""
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, timeout=timeout)
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"bench: cold {cmd[:4]} failed:\n{proc.stderr.decode(errors='replace')[-2000:]}")
    json.loads(proc.stdout)
    return wall


# -- one scale ---------------------------------------------------------------------------
def corpus_for(n: str, seed: int) -> Path:
    """The cached synthetic corpus of n plans (regenerated when the generator changed); seed = the real corpus."""
    if n == "seed":
        return ROOT / "corpus"
    sys.path.insert(0, str(ROOT / "scripts"))
    import make_corpus

    folder = WORK / f"corpus-{n}"
    stamp = hashlib.sha256(Path(make_corpus.__file__).read_bytes() + make_corpus.SOURCE.read_bytes() + f"{seed}".encode()).hexdigest()[:16]
    if (folder / ".stamp").exists() and (folder / ".stamp").read_text() == stamp:
        return folder
    print(f"  generating corpus of {n} plans …", file=sys.stderr)
    shutil.rmtree(folder, ignore_errors=True)
    make_corpus.make_corpus(int(n), folder, seed)
    (folder / ".stamp").write_text(stamp)
    return folder


def bench_scale(n: str, seed: int, rounds: int, cold_runs: int) -> dict:
    """Build, warm and cold figures of plankb and the anchors on one corpus."""
    corpus = corpus_for(n, seed)
    version = kb_version()
    data = WORK / f"data-{n}"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    figures = {}
    for name in ENGINES:
        out = data / name
        stdout, _, peak = run_sampled([sys.executable, __file__, "--_build", name, str(corpus), str(out)])
        built = json.loads(stdout.strip().splitlines()[-1])
        figures[name] = {
            "clauses": built["clauses"],
            "build_s": round(built["build_s"], 3),
            "clauses_per_s": round(built["clauses"] / built["build_s"], 1),
            "index_bytes": ENGINE[name].size(out),
            "peak_rss_mb": round(peak, 1),
        }
        print(f"  build {name:9} {built['build_s']:7.2f} s  {figures[name]['clauses_per_s']:8.0f} clauses/s  peak {peak:6.0f} MB", file=sys.stderr)

    # Warm: every engine open in this process, the query mix interleaved so noise hits all alike.
    search = {name: ENGINE[name].open(data / name, corpus) for name in ENGINES}
    samples = {name: [] for name in ENGINES}
    per_query = {name: {q: [] for q in QUERIES} for name in ENGINES}
    totals = {name: {} for name in ENGINES}
    for r in range(rounds + 1):  # round 0 warms caches and is not counted
        for qi, q in enumerate(QUERIES):
            order = ENGINES[qi % 4 :] + ENGINES[: qi % 4]
            for name in order:
                t0 = time.perf_counter()
                res = search[name](q)
                ms = (time.perf_counter() - t0) * 1000
                if r:
                    samples[name].append(ms)
                    per_query[name][q].append(ms)
                else:
                    totals[name][q] = res["total"]
    for name in ENGINES:
        figures[name]["warm_ms"] = {"p50": round(statistics.median(samples[name]), 3), "p99": round(percentile(samples[name], 99), 3)}
        print(f"  warm  {name:9} p50 {figures[name]['warm_ms']['p50']:8.2f} ms  p99 {figures[name]['warm_ms']['p99']:8.2f} ms", file=sys.stderr)
    del search

    # Cold: one query in a fresh process, runs interleaved across engines.
    cold = {name: [] for name in ENGINES}
    for _ in range(cold_runs):
        for name in ENGINES:
            cmd, env = ENGINE[name].cold_cmd(data / name, corpus, COLD_QUERY)
            cold[name].append(run_timed(cmd, env))
    for name in ENGINES:
        figures[name]["cold_s"] = round(statistics.median(cold[name]), 3)
        print(f"  cold  {name:9} {figures[name]['cold_s']:.3f} s", file=sys.stderr)

    def shaped(f):
        return {k: f[k] for k in ("clauses", "build_s", "clauses_per_s", "index_bytes", "peak_rss_mb", "warm_ms", "cold_s")}

    p = figures["plankb"]
    result = {"n_docs": len(list(_plan_names(corpus))), **shaped(p), "anchors": {a: {"n_docs": len(list(_plan_names(corpus))), **shaped(figures[a])} for a in ANCHORS}}
    result["ratios"] = {
        a: {
            "warm_p50": round(p["warm_ms"]["p50"] / figures[a]["warm_ms"]["p50"], 3),
            "warm_p99": round(p["warm_ms"]["p99"] / figures[a]["warm_ms"]["p99"], 3),
            "cold": round(p["cold_s"] / figures[a]["cold_s"], 3),
        }
        for a in ANCHORS
    }
    result["machine"] = machine()
    result["date"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    result["details"] = {
        "corpus": "corpus/ (the real plan)" if n == "seed" else f"scripts/make_corpus.py --n {n} --seed {seed}",
        "queries": len(QUERIES),
        "warm_rounds": rounds,
        "warm_samples": len(samples["plankb"]),
        "cold_runs": cold_runs,
        "cold_query": COLD_QUERY,
        "cold_s_runs": {name: [round(x, 3) for x in cold[name]] for name in ENGINES},
        "per_query_p50_ms": {name: {q: round(statistics.median(v), 2) for q, v in per_query[name].items()} for name in ENGINES},
        "totals": totals,
        "kb": version,
    }
    if kb_version()["kb_sha"] != version["kb_sha"]:
        result["details"]["kb_changed_during_run"] = True
        print("  WARNING: kb/ changed during this run; rerun for consistent figures", file=sys.stderr)
    return result


def _plan_names(corpus: Path):
    from kb.corpus import plan_files

    return plan_files(corpus)


# -- load ------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _one_connection(host, port, paths, start, deadline, budget, stats, timeout):
    reader = writer = None
    i = start
    while time.perf_counter() < deadline and budget[0] > 0:
        budget[0] -= 1
        path = paths[i % len(paths)]
        i += 1
        t0 = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: plankb-bench\r\n\r\n".encode())
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            headers = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:] if l)}
            if "content-length" in headers:
                body = await asyncio.wait_for(reader.readexactly(int(headers["content-length"])), timeout)
            elif headers.get("transfer-encoding", "").lower() == "chunked":
                body = b""
                while True:
                    size = int((await asyncio.wait_for(reader.readuntil(b"\r\n"), timeout)).split(b";")[0], 16)
                    chunk = await asyncio.wait_for(reader.readexactly(size + 2), timeout)
                    body += chunk[:-2]
                    if size == 0:
                        break
            else:
                body = await asyncio.wait_for(reader.read(), timeout)
                headers["connection"] = "close"
            ms = (time.perf_counter() - t0) * 1000
            if status == 200 and body:
                stats["lat"].append(ms)
                stats["bytes"] += len(body)
            else:
                stats["errors"][f"status {status}"] = stats["errors"].get(f"status {status}", 0) + 1
            if headers.get("connection", "").lower() == "close":
                writer.close()
                writer = None
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
            stats["errors"][type(exc).__name__] = stats["errors"].get(type(exc).__name__, 0) + 1
            if writer is not None:
                writer.close()
            writer = None
    if writer is not None:
        writer.close()


async def _drive(host, port, paths, connections, duration, max_requests, timeout):
    stats = {"lat": [], "errors": {}, "bytes": 0}
    budget = [max_requests]
    t0 = time.perf_counter()
    deadline = t0 + duration
    await asyncio.gather(*(_one_connection(host, port, paths, k * 7, deadline, budget, stats, timeout) for k in range(connections)))
    return stats, time.perf_counter() - t0


def child_loadgen(config: str):
    """In a second process: drive the server with the given paths and print the figures."""
    cfg = json.loads(config)
    stats, elapsed = asyncio.run(_drive(cfg["host"], cfg["port"], cfg["paths"], cfg["connections"], cfg["duration"], cfg["max_requests"], cfg["timeout"]))
    lat = stats["lat"]
    print(json.dumps({
        "requests": len(lat) + sum(stats["errors"].values()),
        "ok": len(lat),
        "errors": sum(stats["errors"].values()),
        "error_kinds": stats["errors"],
        "seconds": round(elapsed, 2),
        "rps": round(len(lat) / elapsed, 1),
        "p50_ms": round(statistics.median(lat), 2) if lat else None,
        "p99_ms": round(percentile(lat, 99), 2) if lat else None,
        "max_ms": round(max(lat), 2) if lat else None,
        "mean_kb": round(stats["bytes"] / len(lat) / 1024, 1) if lat else None,
    }))


def load_variants() -> list[str]:
    """Query strings for the load mix: the query mix × kind filters × pages, shuffled.

    More distinct URLs than the app's result cache holds (512), so the server
    does the search work rather than replay cached results.
    """
    import random

    out = []
    for q in QUERIES:
        for extra in ("", "&kind=goal", "&kind=measure", "&domain=健康", "&domain=经济", "&dept=妇联", "&dept=卫健局"):
            for page in (1, 2, 3):
                out.append("q=" + urllib.parse.quote(q) + urllib.parse.quote(extra, safe="&=") + ("" if page == 1 else f"&page={page}"))
    random.Random(0).shuffle(out)
    return out


def wait_ready(host, port, proc, timeout=180) -> None:
    import http.client

    t0 = time.time()
    while time.time() - t0 < timeout:
        if proc.poll() is not None:
            raise SystemExit(f"bench: plankb serve exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection(host, port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("bench: plankb serve did not answer /healthz in time")


def bench_load(duration: float, connections: list[int], n: str, seed: int, threads: int, endpoints=("search", "api")) -> dict:
    """plankb serve under load from a second process: rps, p50/p99, errors, server RSS."""
    import psutil

    if not (ROOT / "search_app" / "__init__.py").exists():
        raise SystemExit("bench: search_app is not there yet; --load needs the web app")
    corpus = corpus_for(n, seed)
    data = WORK / f"data-load-{n}"
    from kb.store import build

    build(corpus, data)
    host, port = "127.0.0.1", free_port()
    log = open(WORK / "serve.log", "wb")  # noqa: SIM115 -- the server's log for its whole life; closed below
    server = psutil.Popen(
        [str(PLANKB), "serve", "--host", host, "--port", str(port), "--threads", str(threads), "--data", str(data), "--corpus", str(corpus)],
        stdout=log, stderr=subprocess.STDOUT,
    )
    phases = []
    rss = []
    try:
        wait_ready(host, port, server)
        variants = load_variants()
        mixes = {"search": [f"/search?{v}" for v in variants], "api": [f"/api/search?{v}" for v in variants]}
        # Warm up every path once (first requests compile templates and load tokenizers).
        import http.client

        conn = http.client.HTTPConnection(host, port, timeout=30)
        for paths in mixes.values():
            for p in paths[:: max(1, len(paths) // 80)]:
                conn.request("GET", p)
                conn.getresponse().read()
        conn.close()
        rss.append(server.memory_info().rss)
        series, t_start = [], time.time()
        for c in connections:
            for endpoint, paths in ((e, mixes[e]) for e in endpoints):
                cfg = {"host": host, "port": port, "paths": paths, "connections": c, "duration": duration, "max_requests": int(duration * 5000), "timeout": 10}
                gen = subprocess.Popen([sys.executable, __file__, "--_loadgen", json.dumps(cfg)], stdout=subprocess.PIPE)
                server_cpu0 = server.cpu_times()
                while gen.poll() is None:
                    rss.append(server.memory_info().rss)
                    if not series or time.time() - t_start - series[-1][0] >= 10:
                        series.append((round(time.time() - t_start, 1), round(rss[-1] / 2**20, 1)))
                    try:
                        gen.wait(timeout=0.5)
                    except subprocess.TimeoutExpired:
                        pass
                    if server.poll() is not None:
                        gen.kill()
                        raise SystemExit("bench: the server died under load (see bench/work/serve.log)")
                out = json.loads(gen.stdout.read())
                cpu1 = server.cpu_times()
                out["server_cpu_s"] = round((cpu1.user + cpu1.system) - (server_cpu0.user + server_cpu0.system), 1)
                phases.append({"endpoint": endpoint, "path": "/search?q=…" if endpoint == "search" else "/api/search?q=…", "connections": c, **out})
                print(f"  load {endpoint:6} c={c:3}  {out['rps']:7.1f} req/s  p50 {out['p50_ms']} ms  p99 {out['p99_ms']} ms  errors {out['errors']}", file=sys.stderr)
        rss.append(server.memory_info().rss)
    finally:
        server.terminate()
        try:
            server.wait(10)
        except psutil.TimeoutExpired:
            server.kill()
        log.close()
    from kb.corpus import plan_files

    mb = [round(x / 2**20, 1) for x in rss]
    first16 = next((p for p in phases if p["endpoint"] == "search" and p["connections"] == 16), None)
    return {
        "corpus": "corpus/ (the real plan)" if n == "seed" else f"scripts/make_corpus.py --n {n} --seed {seed}",
        "n_docs": len(plan_files(corpus)),
        "server": f"plankb serve (waitress, {threads} threads) on {host}",
        "client": "scripts/bench.py --_loadgen: asyncio, raw HTTP/1.1 keep-alive, one process",
        "duration_s": duration,
        "queries": len(QUERIES),
        "distinct_urls": len(load_variants()),
        "kb": kb_version(),
        "phases": phases,
        "server_rss_mb": {"start": mb[0], "end": mb[-1], "max": max(mb), "samples": len(mb)},
        "rss_series_mb": series,
        "targets": {
            "search_pages_per_s_at_16": {"want": ">= 300", "got": first16 and first16["rps"], "ok": bool(first16 and first16["rps"] >= 300)},
            "search_p99_ms_at_16": {"want": "<= 100", "got": first16 and first16["p99_ms"], "ok": bool(first16 and first16["p99_ms"] is not None and first16["p99_ms"] <= 100)},
            "zero_errors": {"want": 0, "got": sum(p["errors"] for p in phases), "ok": all(p["errors"] == 0 for p in phases)},
        },
        "machine": machine(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


# -- the report ---------------------------------------------------------------------------------
def _mb(b):
    return f"{b / 2**20:.1f} MB"


def _target_rows(n_docs, r):
    rows = []
    naive = r["ratios"]["naive"]
    if n_docs == 1:
        rows.append(("warm p50 ≤ 1.5× naive (issue 3, 1 plan)", f"{naive['warm_p50']:.2f}×", naive["warm_p50"] <= 1.5))
    if n_docs >= 100:
        rows.append(("warm p50 ≤ 0.25× naive (issue 3, 100 plans)", f"{naive['warm_p50']:.2f}×", naive["warm_p50"] <= 0.25))
        rows.append(("warm p50 ≤ 15 ms (issue 7)", f"{r['warm_ms']['p50']:.1f} ms", r["warm_ms"]["p50"] <= 15))
        rows.append(("warm p99 ≤ 60 ms (issue 7)", f"{r['warm_ms']['p99']:.1f} ms", r["warm_ms"]["p99"] <= 60))
        rows.append(("build ≥ 1,000 clauses/s (issue 7)", f"{r['clauses_per_s']:,.0f}/s", r["clauses_per_s"] >= 1000))
    if n_docs >= 1000:
        rows.append(("warm p99 < 200 ms (issue 7, 1,000 plans)", f"{r['warm_ms']['p99']:.1f} ms", r["warm_ms"]["p99"] < 200))
    rows.append(("cold `plankb search` ≤ 0.5× naive cold (issue 3)", f"{naive['cold']:.2f}×", naive["cold"] <= 0.5))
    return rows


def _engine_report() -> list[str]:
    """Sections of BENCHMARKS.md for bench/results/engines-*.json (plankb beside tantivy and SQLite FTS5)."""
    files = sorted(RESULTS.glob("engines-*.json"), key=lambda p: int(re.sub(r"\D", "", p.stem) or 0))
    if not files:
        return []
    out = [
        "## plankb beside tantivy and SQLite FTS5 (`--engines`)",
        "",
        "Each engine in its own fresh process, the processes one after another (repeated; medians of the repeats). A generated",
        "mix of words, unit names, unspaced and spaced phrases and questions, drawn from the corpus with a fixed seed. Times are",
        "CPU time of the calling thread per call (the machine is shared: CPU time is what noise disturbs least). *unseen*: every",
        "query asked for the first time in the process; *top 10*: the same queries again; *all*: every hit (plankb: the export",
        "path, no highlights and no facet counts — for main as far as its search can skip them); *N=1000*: the first 1,000 hits",
        "with highlights.",
        "plankb answers with facet counts and highlights; the peers return hit ids only, and so does *plankb-bare* (plankb's",
        "search with `facets=False, highlights=False`, its own processes). tantivy: plankb's own jieba words per",
        "clause, BM25, any word (`Should`). FTS5: the trigram tokenizer on the normalised text, each keyword a phrase (`LIKE`",
        "for keywords under three characters), ranked by `rank`. *cold*: from the parent's clock as it spawns the",
        "process to the first answer, wall (CPU of all the process's threads, so it can exceed wall). Memory:",
        "the query process's peak RSS (VmHWM). Size: the whole generation (plankb: the kept plan files included).",
        "",
    ]
    for path in files:
        r = json.loads(path.read_text(encoding="utf-8"))
        m, d = r["machine"], r["details"]
        e = r["engines"]
        out += [
            f"### {r['n_docs']:,} plan{'s' if r['n_docs'] != 1 else ''} — {r['clauses']:,} clauses",
            "",
            f"{r['date']} · {m.get('cpus')} CPUs ({m.get('cpu_model', '')}) · Python {m.get('python')} · {d['queries']} queries, "
            f"{d['rounds']} warm rounds, {d['repeats']} processes per engine · kb at {d['kb'].get('commit', '?')}"
            + (f" · plankb-main from {d['before']}" if d.get("before") else ""),
            "",
            "| engine | cold s (CPU s) | peak MB | size | unseen p50 / p99 ms | top 10 p50 / p99 ms | all p50 / p99 ms | N=1000 p50 / p99 ms |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for name, f in e.items():
            cell = lambda k: f"{f[k]['p50']:.2f} / {f[k]['p99']:.2f}" if k in f else "—"  # noqa: B023
            out.append(
                f"| {'**' + name + '**' if name == 'plankb' else name} | {f['cold_s']:.2f} ({f.get('cold_cpu_s', math.nan):.2f}) | {f['peak_mb']:.0f} | "
                f"{_mb(_generation_bytes(f))} | {cell('unseen')} | {cell('top10')} | {cell('all')} | {cell('n1000')} |"
            )
        out += ["", "| plankb ÷ | unseen p50 | top 10 p50 |", "|---|---:|---:|"]
        for name, x in r["ratios_p50"].items():
            out.append(f"| {name} | {x.get('unseen', 0):.2f}× | {x.get('top10', 0):.2f}× |")
        if r.get("ratios_bare_p50"):
            b = r["bare_identical"]
            out += ["", "| plankb-bare ÷ (ids and total only, as the peers) | unseen p50 | top 10 p50 |", "|---|---:|---:|"]
            out += [f"| {name} | {x.get('unseen', 0):.2f}× | {x.get('top10', 0):.2f}× |" for name, x in r["ratios_bare_p50"].items()]
            reading = e["plankb-bare"].get("reading")
            out += ["", f"plankb-bare: the same search without facet counts and highlights; same top-10 ids and totals as plankb for {b['identical']} "
                    f"of {b['queries']} queries."
                    + (f" Reading a question (`Searcher.interpret` with its memo of recent readings emptied; the index's caches warm) p50 "
                       f"{reading['p50']:.2f} ms: the warm runs above reuse the memo." if reading else "")]
        same = r.get("before_after_identical")
        if same:
            out += ["", f"Same answers as main (top-10 ids, total, facet counts, every hit's id in order): {same['identical']} of {same['queries']} queries"
                    + (f"; differing: {', '.join('`' + q + '`' for q in same['differ'])}" if same["differ"] else "") + "."]
        p = e["plankb"]
        targets = []
        if r["n_docs"] >= 1000:
            targets = [
                ("top 10 p50 ≤ 3× tantivy", f"{r['ratios_p50']['tantivy']['top10']:.2f}×", r["ratios_p50"]["tantivy"]["top10"] <= 3),
                ("all results p50 ≤ 25 ms", f"{p['all']['p50']:.1f} ms", p["all"]["p50"] <= 25),
                ("cold start ≤ 2 s (wall; CPU)", f"{p['cold_s']:.2f} s; {p.get('cold_cpu_s', math.nan):.2f} s", p["cold_s"] <= 2),
                ("query-process memory ≤ 350 MB", f"{p['peak_mb']:.0f} MB", p["peak_mb"] <= 350),
                ("generation ≤ 150 MB", _mb(_generation_bytes(p)), _generation_bytes(p) <= 150 * 2**20),
            ]
        elif r["n_docs"] >= 100:
            targets = [("unseen p50 ≤ 2× tantivy", f"{r['ratios_p50']['tantivy']['unseen']:.2f}×", r["ratios_p50"]["tantivy"]["unseen"] <= 2)]
        if targets:
            out += ["", "| target (issue 23) | measured | met |", "|---|---:|:---:|"]
            out += [f"| {label} | {value} | {'yes' if ok else '**no**'} |" for label, value, ok in targets]
        if "files" in p:
            out += ["", "plankb generation files: " + ", ".join(f"`{k}` {_mb(v)}" for k, v in sorted(p["files"].items(), key=lambda kv: -kv[1]) if v >= 2**20 // 10) + "."]
        out.append("")
    return out


def _generation_bytes(f: dict) -> int:
    """A generation's whole size, the kept plan files included (or the peer's index size)."""
    return f["size_bytes"]


def write_report() -> Path:
    """docs/BENCHMARKS.md from every bench/results/*.json."""
    files = sorted(RESULTS.glob("scale-*.json"), key=lambda p: (not p.stem.endswith("seed"), int(re.sub(r"\D", "", p.stem) or 0)))
    out = [
        "# Benchmarks",
        "",
        "Generated by `scripts/bench.py` from `bench/results/*.json` — do not edit by hand; rerun instead.",
        "",
        "Every table comes from one run in which plankb and the three anchors were built and queried side by side,",
        "so machine noise falls on all of them alike. Ratios are plankb ÷ anchor (below 1 means plankb is faster).",
        "",
        "- **naive** — jieba's README recipe: `ChineseAnalyzer` on one Whoosh `TEXT` field with stored text, default dictionary,",
        "  facets via `groupedby` (kind, domain, departments, doc), top-10 highlights with Whoosh's highlighter.",
        "- **substring** — a Python substring scan over every clause text (what Ctrl+F does), facets counted.",
        "- **tantivy** — the `tantivy` package (Rust) on whitespace-joined jieba tokens, facets counted from the hits.",
        "",
        f"Warm latency: {len(QUERIES)} queries (keywords, partial words, synonyms, several words, department intent, bare",
        "department names, `dept:`/`kind:` filters), each answered with facet counts and top-10 highlights, in the bench",
        "process after one uncounted round; p50/p99 over all rounds. Cold: wall time of one query (`宫颈癌`) in a fresh",
        "process — `plankb search --json` for plankb — median of the runs. Build: in a child process on a fresh data dir,",
        "including parsing; peak RSS is the sampled peak of the child and its workers.",
        "",
    ]
    for path in files:
        r = json.loads(path.read_text(encoding="utf-8"))
        d = r.get("details", {})
        m = r.get("machine", {})
        out += [
            f"## {r['n_docs']} plan{'s' if r['n_docs'] != 1 else ''} — {r['clauses']:,} clauses ({d.get('corpus', path.stem)})",
            "",
            f"{r['date']} · {m.get('cpus')} CPUs ({m.get('cpu_model', '')}) · {m.get('mem_gb')} GB · Python {m.get('python')} · "
            f"{d.get('warm_samples', '?')} warm samples per engine, {d.get('cold_runs', '?')} cold runs · "
            f"kb at {d.get('kb', {}).get('commit', '?')}{' + uncommitted kb/ edits' if d.get('kb', {}).get('kb_dirty') else ''} (kb/*.py sha {d.get('kb', {}).get('kb_sha', '?')})"
            + (" · **kb/ changed during the run**" if d.get("kb_changed_during_run") else ""),
            "",
            "| engine | build s | clauses/s | on disk | build peak RSS | warm p50 ms | warm p99 ms | cold s |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for name, f in [("**plankb**", r)] + [(a, r["anchors"][a]) for a in ANCHORS]:
            out.append(
                f"| {name} | {f['build_s']:.2f} | {f['clauses_per_s']:,.0f} | {_mb(f['index_bytes'])} | {f['peak_rss_mb']:.0f} MB | "
                f"{f['warm_ms']['p50']:.2f} | {f['warm_ms']['p99']:.2f} | {f['cold_s']:.3f} |"
            )
        out += ["", "| plankb ÷ | warm p50 | warm p99 | cold |", "|---|---:|---:|---:|"]
        for a in ANCHORS:
            x = r["ratios"][a]
            out.append(f"| {a} | {x['warm_p50']:.2f}× | {x['warm_p99']:.2f}× | {x['cold']:.2f}× |")
        out += ["", "| target | measured | met |", "|---|---:|:---:|"]
        for label, value, ok in _target_rows(r["n_docs"], r):
            out.append(f"| {label} | {value} | {'yes' if ok else '**no**'} |")
        slow = sorted(d.get("per_query_p50_ms", {}).get("plankb", {}).items(), key=lambda kv: -kv[1])[:5]
        if slow:
            out += ["", "Slowest plankb queries (p50 ms): " + ", ".join(f"`{q}` {ms:.1f}" for q, ms in slow) + "."]
        out.append("")
    out += _engine_report()
    out += _build_report()
    load = RESULTS / "load.json"
    if load.exists():
        r = json.loads(load.read_text(encoding="utf-8"))
        m = r["machine"]
        out += [
            "## Load — the web app under waitress",
            "",
            f"{r['date']} · {m.get('cpus')} CPUs · {r['server']} · {r['client']} · corpus {r['corpus']} ({r['n_docs']} plan(s)) · "
            f"{r['duration_s']:g} s per phase · {r.get('distinct_urls', r['queries'])} distinct URLs in rotation ({r['queries']} queries × filters × pages) · "
            "kb at " + r.get("kb", {}).get("commit", "?") + ". Client and server share the machine's two cores. The app keeps up to 1,024 rendered "
            "pages and 512 search results per generation, so after the first pass most `/search` pages are served from the page cache and "
            "`/api/search` from the result cache (its JSON is encoded each time); an uncached `/search` page costs about 4 ms of server CPU.",
            "",
            "| endpoint | connections | requests | req/s | p50 ms | p99 ms | max ms | errors | server CPU s |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for p in r["phases"]:
            out.append(f"| `{p['path']}` | {p['connections']} | {p['requests']:,} | {p['rps']:.0f} | {p['p50_ms']} | {p['p99_ms']} "
                       f"| {p['max_ms']} | {p['errors']} | {p.get('server_cpu_s', '')} |")
        rss = r["server_rss_mb"]
        out += ["", f"Server RSS: {rss['start']} MB after warm-up, {rss['max']} MB peak, {rss['end']} MB at the end ({rss['samples']} samples).", ""]
        out += ["| target | measured | met |", "|---|---:|:---:|"]
        for name, t in r["targets"].items():
            out.append(f"| {name} {t['want']} | {t['got']} | {'yes' if t['ok'] else '**no**'} |")
        out.append("")
    soak = RESULTS / "soak.json"
    if soak.exists():
        r = json.loads(soak.read_text(encoding="utf-8"))
        p = r["phases"][0]
        series = r.get("rss_series_mb", [])
        out += [
            "## Soak — memory over a long run",
            "",
            f"{r['date']} · `/search` at {p['connections']} connections for {r['soak']['seconds']:g} s · {p['requests']:,} requests, "
            f"{p['rps']:.0f} req/s, p50 {p['p50_ms']} ms, p99 {p['p99_ms']} ms, {p['errors']} errors · kb at {r.get('kb', {}).get('commit', '?')}.",
            "",
            f"Server RSS after the first minute {r['soak']['rss_first_minute_mb']} MB, at the end {r['soak']['rss_end_mb']} MB; "
            f"range over the second half {r['soak']['growth_second_half_mb']} MB.",
            "",
            "| seconds | " + " | ".join(f"{t:g}" for t, _ in series[:: max(1, len(series) // 12)]) + " |",
            "|---|" + "---:|" * len(series[:: max(1, len(series) // 12)]),
            "| RSS MB | " + " | ".join(f"{mb}" for _, mb in series[:: max(1, len(series) // 12)]) + " |",
            "",
        ]
    rel = RESULTS / "relevance.json"
    if rel.exists():
        sys.path.insert(0, str(ROOT / "scripts"))
        import relevance

        out += relevance.report_lines(json.loads(rel.read_text(encoding="utf-8")))
    out += [
        "## How to rerun",
        "",
        "```sh",
        ".venv/bin/pip install -e '.[bench]'            # tantivy and psutil",
        ".venv/bin/python scripts/bench.py --scale 1,10,100   # ≈ 10 min here; corpora cached in bench/work/",
        ".venv/bin/python scripts/bench.py --scale seed       # the real plan (corpus/) instead of a synthetic one",
        ".venv/bin/python scripts/bench.py --quick            # 1 and 10 plans, fewer rounds",
        ".venv/bin/python scripts/bench.py --load --duration 60   # waitress under 16 and 64 connections",
        ".venv/bin/python scripts/bench.py --soak 600        # ten minutes of /search, server RSS sampled",
        ".venv/bin/python scripts/bench.py --relevance        # plankb vs plain BM25 on bench/relevance/ (seconds)",
        ".venv/bin/python scripts/bench.py --engines 1,100,1000 --before /tmp/plankb-main   # beside tantivy and FTS5",
        "    # (/tmp/plankb-main: git archive main kb | tar -x -C /tmp/plankb-main; the 1,000-plan build takes a while)",
        ".venv/bin/python scripts/bench.py --build seed,100 --before /tmp/plankb-main   # build time and size beside main",
        ".venv/bin/python scripts/bench.py --report           # rewrite this file from bench/results/",
        ".venv/bin/python scripts/make_corpus.py --n 100 --out /tmp/corpus-100   # just the synthetic corpus",
        "```",
        "",
        "Run nothing else heavy meanwhile: the machine has two cores, and the ratios are only meaningful within one run.",
        "",
    ]
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text("\n".join(out), encoding="utf-8")
    return DOC


# -- command line --------------------------------------------------------------------------------
def bench_relevance_run() -> None:
    """--relevance: both engines on the judged queries, JSON and the report section."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import relevance

    result = relevance.bench_relevance(WORK)
    result["date"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    result["machine"] = machine()
    result["kb"] = kb_version()
    (RESULTS / "relevance.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    for label, row in result["summary"].items():
        p, b = row["plankb"], row["bm25"]
        print(f"  {label:24} nDCG@10 {p['ndcg10'] or 0:.3f} vs {b['ndcg10'] or 0:.3f}  recall@10 {p['recall10'] or 0:.3f} vs {b['recall10'] or 0:.3f}"
              f"  zero {p['answerable_zero']}/{b['answerable_zero']}  unanswerable-with-results {p['unanswerable_with_results']}/{b['unanswerable_with_results']}", file=sys.stderr)
    print(f"wrote {RESULTS / 'relevance.json'} and {write_report()}", file=sys.stderr)


# -- engines at province scale: plankb (and main's plankb) beside tantivy and SQLite FTS5 ----------------
PEERS = ("tantivy", "fts5")


def engine_queries(gen: Path, count: int, seed: int) -> list[str]:
    """A seeded mix drawn from the generation itself: words, unit names, unspaced and spaced phrases, questions."""
    import random

    from kb.knowledge import KnowledgeBase

    rnd = random.Random(seed)
    kb = KnowledgeBase.load(gen)
    texts = [c.text for c in kb.clauses]
    terms = [t for t in (gen / "index" / "terms.txt").read_text(encoding="utf-8").split("\n") if len(t) >= 2 and re.fullmatch(r"[\u4e00-\u9fff]+", t)]
    units = kb.department_names()
    out: list[str] = []

    def phrase(words=False):
        t = rnd.choice(texts)
        if words:
            return " ".join(rnd.choice(terms) for _ in range(rnd.randint(2, 3)))
        i = rnd.randrange(max(1, len(t) - 8))
        return re.sub(r"[\W_]+", "", t[i : i + rnd.randint(4, 8)]) or t[:4]

    makers = [
        lambda: rnd.choice(terms),
        lambda: rnd.choice(units),
        phrase,
        lambda: phrase(True),
        lambda: rnd.choice(
            [f"{rnd.choice(units)}负责哪些措施", f"{rnd.choice(terms)}有哪些要求", f"哪些条款涉及{rnd.choice(terms)}", f"{rnd.choice(units)}的{rnd.choice(terms)}目标"]
        ),
    ]
    seen: set[str] = set()
    for i in range(count * 20):  # round the kinds; a kind that runs out (few unit names) leaves room to the others
        q = makers[i % len(makers)]()
        if q and q not in seen:
            seen.add(q)
            out.append(q)
            if len(out) == count:
                break
    return out


def _peer_docs(gen: Path):
    """Clause ids, normalised texts and the plankb index's own words per clause (for the peers' indexes)."""
    import numpy as np

    ix = gen / "index"
    meta = json.loads((ix / "plankb-index.json").read_text(encoding="utf-8"))
    from kb.index import SUBSTRING, read_substring

    hay = read_substring(ix / SUBSTRING).decode("utf-16-le").split("\x00")
    terms = (ix / "terms.txt").read_text(encoding="utf-8").split("\n")
    offsets, docs, tfs = (np.load(ix / f"text.{p}.npy") for p in ("offsets", "docs", "tfs"))
    term_of = np.repeat(np.arange(len(terms)), np.diff(offsets))
    order = np.argsort(docs, kind="stable")
    bounds = np.searchsorted(docs[order], np.arange(meta["clauses"] + 1))
    words = []
    for i in range(meta["clauses"]):
        sel = order[bounds[i] : bounds[i + 1]]
        words.append(" ".join(" ".join([terms[t]] * int(f)) for t, f in zip(term_of[sel].tolist(), tfs[sel].tolist())))
    return [h.split("\x01")[0] for h in hay], words


def build_peer(name: str, gen: Path, out: Path) -> float:
    """Build tantivy (plankb's jieba words, BM25) or SQLite FTS5 (trigram) over the generation's clauses."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    texts, words = _peer_docs(gen)
    t0 = time.perf_counter()
    if name == "tantivy":
        import tantivy

        sb = tantivy.SchemaBuilder()
        sb.add_text_field("words", stored=False, tokenizer_name="whitespace")
        sb.add_unsigned_field("pos", stored=True, indexed=False, fast=True)
        index = tantivy.Index(sb.build(), path=str(out))
        writer = index.writer()
        for i, w in enumerate(words):
            doc = tantivy.Document(words=w)
            doc.add_unsigned("pos", i)
            writer.add_document(doc)
        writer.commit()
        writer.wait_merging_threads()
        shutil.copyfile(gen / "index" / "vocab.json", out / "vocab.json")
    else:
        import sqlite3

        con = sqlite3.connect(out / "fts.db")
        con.execute("CREATE VIRTUAL TABLE clauses USING fts5(text, tokenize='trigram')")
        con.executemany("INSERT INTO clauses(rowid, text) VALUES (?, ?)", enumerate(texts))
        con.commit()
        con.close()
    return time.perf_counter() - t0


def _open_engine(name: str, data: Path) -> dict:
    """One engine opened in this process: top (q → ids, total, facets) and, where it has them, all, n1000, reading."""
    if name in ("plankb", "plankb-main", "plankb-bare"):
        from kb.search import open_searcher

        s = open_searcher(data, rebuild=False)
        params = inspect.signature(s.search).parameters
        if name == "plankb-bare":  # the answer tantivy gives: ids and total, no facet counts, no highlights

            def bare(q):
                r = s.search(q, limit=10, highlights=False, facets=False)
                return [h["id"] for h in r["hits"]], r["total"], None

            def reading(q):  # the reading itself, not the searcher's memo of recent readings (the index's caches stay warm)
                s._readings.clear()
                return s.interpret(q)

            return {"top": bare, "reading": reading}
        skip = {k: False for k in ("highlights", "facets") if k in params}  # the export path, as far as this tree has one

        def top(q):
            r = s.search(q, limit=10)
            return [h["id"] for h in r["hits"]], r["total"], r["facets"]

        return {
            "top": top,
            "all": lambda q: [h["id"] for h in s.search(q, limit=None, **skip)["hits"]],
            "n1000": lambda q: [h["id"] for h in s.search(q, limit=1000)["hits"]],
        }
    if name == "tantivy":
        import jieba
        import tantivy

        jieba.setLogLevel(60)
        vocab = json.loads((data / "vocab.json").read_text(encoding="utf-8"))
        tok = jieba.Tokenizer()
        tok.FREQ, tok.total, tok.initialized = vocab["freq"], vocab["total"], True
        index = tantivy.Index.open(str(data))
        index.reload()
        searcher, schema = index.searcher(), index.schema

        def top(q):
            norm = unicodedata.normalize("NFKC", q).lower()
            toks = [t for t in tok.cut(norm, HMM=False) if t.strip() and not re.match(r"^[\W_]+$", t)]
            if not toks:
                return [], 0, None
            tq = tantivy.Query.boolean_query([(tantivy.Occur.Should, tantivy.Query.term_query(schema, "words", t)) for t in dict.fromkeys(toks)])
            res = searcher.search(tq, limit=10, count=True)
            return [a.doc for _, a in res.hits], res.count, None

        return {"top": top}
    import sqlite3

    con = sqlite3.connect(data / "fts.db", check_same_thread=False)

    def top(q):
        keys = [re.sub(r"\s+", "", unicodedata.normalize("NFKC", k)).lower() for k in q.split()]
        keys = [k.replace('"', '""') for k in keys if k]
        long, short = [k for k in keys if len(k) >= 3], [k for k in keys if len(k) < 3]
        where = " AND ".join(["clauses MATCH ?"] * bool(long) + ["text LIKE ?"] * len(short)) or "0"
        args = [" ".join(f'"{k}"' for k in long)] * bool(long) + [f"%{k}%" for k in short]
        order = " ORDER BY rank" if long else ""
        rows = con.execute(f"SELECT rowid FROM clauses WHERE {where}{order} LIMIT 10", args).fetchall()
        return [r[0] for r in rows], None, None

    return {"top": top}


def child_engine(name: str, data: str, qfile: str, rounds: str, spawned: str):
    """In a fresh process: open, first answer (cold start), then every query unseen and warm; print figures."""
    # The parent's clock as it spawned this process: psutil's create_time counts from the boot time,
    # which Linux gives in whole seconds, and was found 0.7 s early here.
    started = float(spawned)
    queries = json.loads(Path(qfile).read_text(encoding="utf-8"))
    engine = _open_engine(name, Path(data))
    top = engine["top"]
    top(queries[0])
    cold, cold_cpu = time.time() - started, time.process_time()
    times: dict[str, list[float]] = {"unseen": [], "top10": [], "all": [], "n1000": [], "reading": []}
    answers = {}
    for r in range(int(rounds) + 1):  # round 0: every query for the first time
        for q in queries[1:]:
            t0 = time.thread_time()
            res = top(q)
            times["unseen" if r == 0 else "top10"].append((time.thread_time() - t0) * 1000)
            if r == 0:  # facet counts kept as a digest, as every hit's id below: the harness's own lists are not the engine's memory
                ids, total, facets = res
                answers[q] = (ids, total, facets if facets is None else hashlib.sha256(json.dumps(facets, ensure_ascii=False).encode()).hexdigest())
            if r == 1:
                for key in ("all", "n1000"):
                    fn = engine.get(key)
                    if fn is None:
                        continue
                    t0 = time.thread_time()
                    got = fn(q)
                    times[key].append((time.thread_time() - t0) * 1000)
                    if key == "all":  # a digest: the hit lists themselves would weigh on the peak measured
                        answers[q] = (*answers[q], hashlib.sha256(json.dumps(got).encode()).hexdigest())
    if "reading" in engine:  # after the rounds: it empties the memo of readings the rounds reuse
        for q in queries[1:]:
            t0 = time.thread_time()
            engine["reading"](q)
            times["reading"].append((time.thread_time() - t0) * 1000)
    # VmHWM: this process's own peak (ru_maxrss would carry the parent's over exec).
    with open("/proc/self/status") as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024
    print(json.dumps({"cold_s": cold, "cold_cpu_s": cold_cpu, "peak_mb": peak, "times": times, "answers": answers}, ensure_ascii=False))


def bench_engines(n: str, seed: int, rounds: int, nqueries: int, before: Path | None, repeats: int) -> dict:
    """plankb (this tree, and main's when given) beside tantivy and SQLite FTS5 on one corpus, each in its own process."""
    corpus = corpus_for(n, seed)
    data = WORK / f"engines-{n}"
    data.mkdir(parents=True, exist_ok=True)
    from kb.store import build, live_generation

    t0 = time.perf_counter()
    report = build(corpus, data / "plankb", replace=True)
    print(f"  plankb build {'reused' if report.skipped else f'{time.perf_counter() - t0:.0f} s'}", file=sys.stderr)
    gen = live_generation(data / "plankb")
    # plankb-bare: this tree's engine giving the peers' answer (ids and total; no facets, no highlights).
    engines = {"plankb": (data / "plankb", None), "plankb-bare": (data / "plankb", None)}
    if before is not None:
        env = {**os.environ, "PYTHONPATH": str(before)}
        main_data = data / "plankb-main"
        if live_generation(main_data) is None:
            code = f"from kb.store import build; build({str(corpus)!r}, {str(main_data)!r})"
            subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=tempfile.gettempdir())
        engines["plankb-main"] = (main_data, env)
    built = {}
    for peer in PEERS:
        marker = data / f"{peer}.built"
        if not marker.exists() or marker.read_text() != gen.name:
            built[peer] = round(build_peer(peer, gen, data / peer), 2)
            marker.write_text(gen.name)
        engines[peer] = (data / peer, None)
    queries = engine_queries(gen, nqueries + 1, seed)
    qfile = data / "queries.json"
    qfile.write_text(json.dumps(queries, ensure_ascii=False), encoding="utf-8")
    runs: dict[str, list[dict]] = {e: [] for e in engines}
    for _ in range(repeats):
        for name, (path, env) in engines.items():
            cmd = [sys.executable, __file__, "--_engine", name, str(path), str(qfile), str(rounds)]
            out = subprocess.run([*cmd, repr(time.time())], env=env, capture_output=True, check=True, cwd=tempfile.gettempdir())
            runs[name].append(json.loads(out.stdout.decode().strip().splitlines()[-1]))
            print(f"  {name:12} cold {runs[name][-1]['cold_s']:.2f} s (CPU {runs[name][-1]['cold_cpu_s']:.2f} s)  peak {runs[name][-1]['peak_mb']:.0f} MB", file=sys.stderr)
    figures = {}
    for name, rs in runs.items():
        f = {key: round(statistics.median(r[key] for r in rs), 3) for key in ("cold_s", "cold_cpu_s", "peak_mb")}
        for key in ("unseen", "top10", "all", "n1000", "reading"):
            per_run = [r["times"].get(key) for r in rs if r["times"].get(key)]
            if per_run:
                f[key] = {"p50": round(statistics.median(statistics.median(v) for v in per_run), 3), "p99": round(statistics.median(percentile(v, 99) for v in per_run), 3)}
        path = engines[name][0]
        f["size_bytes"] = dir_bytes(live_generation(path)) if name.startswith("plankb") else dir_bytes(path)
        if name.startswith("plankb"):
            g = live_generation(path)
            f["files"] = {str(p.relative_to(g)): p.stat().st_size for p in sorted(g.rglob("*")) if p.is_file() and "sources" not in p.parts}
        figures[name] = f
    same = None
    if "plankb-main" in runs:
        a, b = runs["plankb"][0]["answers"], runs["plankb-main"][0]["answers"]
        same = {"queries": len(a), "identical": sum(1 for q in a if a[q] == b.get(q))}
        same["differ"] = [q for q in a if a[q] != b.get(q)][:20]
    # The bare answer is the full one without facets and highlights: the same ids and totals.
    full, bare_answers = runs["plankb"][0]["answers"], runs["plankb-bare"][0]["answers"]
    bare_same = {"queries": len(full), "identical": sum(1 for q in full if full[q][:2] == bare_answers.get(q, [None, None])[:2])}
    for name in runs:
        for r in runs[name]:
            r.pop("answers")
    def ratios_of(mine: str) -> dict:
        return {e: {k: round(figures[mine][k]["p50"] / figures[e][k]["p50"], 2) for k in ("unseen", "top10") if k in figures[e]} for e in engines if e != mine}

    ratios, bare = ratios_of("plankb"), ratios_of("plankb-bare")
    return {
        "n_docs": len(list(_plan_names(corpus))),
        "clauses": json.loads((gen / "meta.json").read_text(encoding="utf-8"))["clauses"],
        "engines": figures,
        "ratios_p50": ratios,
        "ratios_bare_p50": {e: bare[e] for e in PEERS},
        "before_after_identical": same,
        "bare_identical": bare_same,
        "peer_build_s": built,
        "machine": machine(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "details": {
            "queries": nqueries, "rounds": rounds, "repeats": repeats, "seed": seed, "query_sample": queries[:30],
            "kb": kb_version(), "before": str(before) if before else None,
        },
    }


def bench_build(n: str, seed: int, before: Path | None, repeats: int) -> dict:
    """Build time and generation size of this tree (and main's when given), fresh builds in child processes, alternating."""
    corpus = corpus_for(n, seed)
    trees = {"plankb": ROOT} | ({"plankb-main": before} if before is not None else {})
    runs: dict[str, list[float]] = {t: [] for t in trees}
    sizes: dict[str, dict[str, int]] = {}
    for _ in range(repeats):
        for name, tree in trees.items():
            data = WORK / f"build-{n}-{name}"
            shutil.rmtree(data, ignore_errors=True)
            code = f"from kb.store import build; build({str(corpus)!r}, {str(data)!r})"
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(tree)}, check=True, cwd=tempfile.gettempdir())
            runs[name].append(round(time.perf_counter() - t0, 2))
            gen = max(data.glob("gen-*"))
            whoosh = gen / "index" / "whoosh"
            sizes[name] = {"generation": dir_bytes(gen), "index": dir_bytes(gen / "index"), "whoosh": dir_bytes(whoosh) if whoosh.exists() else 0}
            print(f"  {name:12} build {runs[name][-1]:.1f} s  generation {_mb(sizes[name]['generation'])}", file=sys.stderr)
    return {
        "n_docs": len(list(_plan_names(corpus))), "builds": {t: {"build_s": runs[t], "median_s": statistics.median(runs[t]), **sizes[t]} for t in trees},
        "machine": machine(), "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "details": {"seed": seed, "repeats": repeats, "kb": kb_version(), "before": str(before) if before else None},
    }


def _build_report() -> list[str]:
    """A section of BENCHMARKS.md for bench/results/build-*.json (build time and size beside main)."""
    files = sorted(RESULTS.glob("build-*.json"), key=lambda p: (not p.stem.endswith("seed"), int(re.sub(r"\D", "", p.stem) or 0)))
    if not files:
        return []
    out = [
        "## Build with Whoosh as the index of record (`--build`)",
        "",
        "Whoosh writes the inverted index of every generation (`index/whoosh/`, one segment, jieba words with frequencies, nothing",
        "stored) and the posting-list arrays that queries read are compiled from it at build, so query times and answers are those",
        "of the arrays. What that costs: fresh builds in child processes, this tree and main's alternating, median wall time of the",
        "repeats on the shared machine (jieba in worker processes; Whoosh's writer in the build process, `limitmb` 64). Opening a",
        "generation for queries does not touch Whoosh; `plankb build`'s up-to-date check compares Whoosh's counts with the arrays.",
        "",
        "| plans | tree | build s (runs) | generation | index | of it Whoosh |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for path in files:
        r = json.loads(path.read_text(encoding="utf-8"))
        for name, b in r["builds"].items():
            times = ", ".join(f"{x:.1f}" for x in b["build_s"])
            out.append(f"| {r['n_docs']} | {name} | {b['median_s']:.1f} ({times}) | {_mb(b['generation'])} | {_mb(b['index'])} | {_mb(b['whoosh']) if b['whoosh'] else '—'} |")
    r = json.loads(files[-1].read_text(encoding="utf-8"))
    out += ["", f"{r['date']} · {r['machine'].get('cpus')} CPUs · kb at {r['details']['kb'].get('commit', '?')} · main from {r['details']['before']}.", ""]
    return out


def main(argv=None):
    """Command line: --scale, --load, --report (and the internal child modes)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--_build":
        return child_build(*argv[1:4])
    if argv and argv[0] == "--_cold":
        return child_cold(*argv[1:5])
    if argv and argv[0] == "--_loadgen":
        return child_loadgen(argv[1])
    if argv and argv[0] == "--_engine":
        return child_engine(*argv[1:6])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("Examples::")[1])
    ap.add_argument("--scale", help="corpus sizes in plans, comma-separated, or 'seed' for corpus/ (default 1,10,100; --quick: 1,10)")
    ap.add_argument("--quick", action="store_true", help="fewer rounds and cold runs (and 10 s load phases)")
    ap.add_argument("--seed", type=int, default=0, help="make_corpus seed (default 0)")
    ap.add_argument("--rounds", type=int, help="warm rounds over the query mix (default 5; --quick 2)")
    ap.add_argument("--cold-runs", type=int, help="fresh-process runs per engine (default 5; --quick 3)")
    ap.add_argument("--load", action="store_true", help="benchmark plankb serve under load instead")
    ap.add_argument("--duration", type=float, help="seconds per load phase (default 60; --quick 10)")
    ap.add_argument("--connections", default="16,64", help="concurrent connections per load phase (default 16,64)")
    ap.add_argument("--load-corpus", default="seed", help="corpus for --load: 'seed' (corpus/) or a number of plans")
    ap.add_argument("--threads", type=int, default=8, help="waitress threads for --load (default 8)")
    ap.add_argument("--soak", type=float, metavar="SECONDS", help="one long /search phase at 16 connections, RSS sampled every 10 s (bench/results/soak.json)")
    ap.add_argument("--engines", metavar="SIZES", help="plankb beside tantivy and SQLite FTS5 at these corpus sizes (e.g. 1,100,1000): bench/results/engines-<N>.json")
    ap.add_argument("--before", metavar="SRC", help="with --engines or --build: a source tree of plankb to measure beside this one (git archive main kb | tar -x -C SRC)")
    ap.add_argument("--queries", type=int, default=300, help="with --engines: generated queries (default 300)")
    ap.add_argument("--repeats", type=int, default=2, help="with --engines: fresh processes per engine (default 2)")
    ap.add_argument("--build", metavar="SIZES", help="build time and generation size at these corpus sizes ('seed' for corpus/), beside --before: bench/results/build-<N>.json")
    ap.add_argument("--report", action="store_true", help="only rewrite docs/BENCHMARKS.md from bench/results/")
    ap.add_argument("--relevance", action="store_true", help="relevance of plankb and plain BM25 on bench/relevance/ (bench/results/relevance.json)")
    args = ap.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    WORK.mkdir(parents=True, exist_ok=True)
    if args.report:
        print(write_report())
        return
    if args.relevance:
        bench_relevance_run()
        return
    if args.soak:
        result = bench_load(args.soak, [16], args.load_corpus, args.seed, args.threads, endpoints=("search",))
        rss = [mb for _, mb in result["rss_series_mb"]]
        half = rss[len(rss) // 2 :]
        result["soak"] = {
            "seconds": args.soak,
            "rss_first_minute_mb": rss[min(6, len(rss) - 1)],
            "rss_end_mb": rss[-1],
            "growth_second_half_mb": round(max(half) - min(half), 1) if half else None,
        }
        (RESULTS / "soak.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {RESULTS / 'soak.json'}: RSS {result['soak']}", file=sys.stderr)
        return
    if args.build:
        for s in args.build.split(","):
            print(f"== build, {s} plan(s)", file=sys.stderr)
            result = bench_build(s.strip(), args.seed, Path(args.before).resolve() if args.before else None, args.repeats)
            (RESULTS / f"build-{s.strip()}.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {write_report().relative_to(ROOT)}", file=sys.stderr)
        return
    if args.engines:
        for s in args.engines.split(","):
            print(f"== engines, {s} plan(s)", file=sys.stderr)
            result = bench_engines(s.strip(), args.seed, args.rounds or 2, args.queries, Path(args.before).resolve() if args.before else None, args.repeats)
            (RESULTS / f"engines-{s.strip()}.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {write_report().relative_to(ROOT)}", file=sys.stderr)
        return
    if args.load:
        duration = args.duration or (10 if args.quick else 60)
        result = bench_load(duration, [int(c) for c in args.connections.split(",")], args.load_corpus, args.seed, args.threads)
        (RESULTS / "load.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {RESULTS / 'load.json'} and {write_report()}", file=sys.stderr)
        return
    scales = [s.strip() for s in (args.scale or ("1,10" if args.quick else "1,10,100")).split(",") if s.strip()]
    for s in scales:
        if s != "seed" and not s.isdigit():
            ap.error(f"--scale: “{s}” is not a number of plans")
    rounds = args.rounds or (2 if args.quick else 5)
    cold_runs = args.cold_runs or (3 if args.quick else 5)
    t0 = time.perf_counter()
    for s in scales:
        print(f"== {s} plan(s)", file=sys.stderr)
        result = bench_scale(s, args.seed, rounds, cold_runs)
        path = RESULTS / f"scale-{s}.json"
        path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"  wrote {path.relative_to(ROOT)} ({time.perf_counter() - t0:.0f} s so far)", file=sys.stderr)
    print(f"wrote {write_report().relative_to(ROOT)} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
