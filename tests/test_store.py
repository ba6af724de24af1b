"""Building the knowledge base: generations, skipping, incremental parsing, many documents, faults."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from kb.errors import DataDirError, UnknownDepartment, UnknownDocument
from kb.search import open_searcher
from kb.store import build, is_stale, live_generation, open_kb
from tests.helpers import ROOT, SEED, make_corpus, seed_text

CITY = seed_text().replace("镇原县妇女发展规划（2021—2030年）", "庆阳市妇女发展规划（2021—2030年）", 1).replace("（卫健局）", "（市卫健委）")
CITY_REGISTRY = """
[[department]]
name = "市卫健委"
full = "庆阳市卫生健康委员会"
issuers = ["庆阳市"]
"""


@pytest.fixture(scope="module")
def two_docs(tmp_path_factory):
    base = tmp_path_factory.mktemp("two")
    corpus = make_corpus(base / "corpus", {"zhenyuan.txt": SEED.read_bytes(), "qingyang.txt": CITY})
    with open(corpus / "departments.toml", "a", encoding="utf-8") as fh:
        fh.write(CITY_REGISTRY)
    build(corpus, base / "data")
    return corpus, base / "data"


def test_manifest_metadata_and_duty_counts(tmp_path):
    data = tmp_path / "data"
    report = build(ROOT / "corpus", data)
    assert not report.skipped and report.clauses == 192
    kb = open_kb(data, ROOT / "corpus")
    doc = kb.documents[0].to_dict()
    assert (doc["id"], doc["title"], doc["issuer"], doc["level"], doc["period"]) == ("zhenyuan-women-2021-2030", "镇原县妇女发展规划（2021—2030年）", "镇原县", "县", "2021-2030")
    d = kb.duties("卫健局")
    assert (len(d["assigned"]), len(d["shared"]), len(d["mentioned"])) == (25, 12, 0)
    assert any(c.departments_raw and "扶贫办" in c.departments_raw for c in kb.duties("乡村振兴局")["assigned"])
    assert kb.duties("人力资源和社会保障局") == kb.duties("人社局")
    stat = kb.duties("统计局")
    assert [c.citation for c in stat["lead_in_text"]] == ["四（一）", "四（二）"] and stat["mentioned"] == []
    assert len(stat["assigned"]) == 1
    with pytest.raises(UnknownDepartment) as err:
        kb.duties("人事局")
    assert "人社局" in err.value.suggestions
    assert build(ROOT / "corpus", data).skipped


def test_inferred_metadata_without_manifest(two_docs):
    corpus, data = two_docs
    kb = open_kb(data, corpus)
    city = kb.docs["qingyang"]
    assert (city.title, city.issuer, city.level, city.period) == ("庆阳市妇女发展规划（2021—2030年）", "庆阳市", "市", "2021-2030")


def test_registry_per_issuer(two_docs):
    corpus, data = two_docs
    kb = open_kb(data, corpus)
    city_goal = kb.clause("qingyang.2-1-g1")
    county_goal = kb.clause("zhenyuan.2-1-g1")
    assert city_goal.departments == ["市卫健委"] and county_goal.departments == ["卫健局"]
    alone = seed_text().count("（卫健局）")
    assert alone == 16
    # A bare name in the city plan is the city's own unit, never the county's.
    assert kb.duties("卫健局", doc="qingyang")["assigned"] == []
    assert len(kb.duties("市卫健局", doc="qingyang")["assigned"]) == 25 - alone
    assert len(kb.duties("市卫健委")["assigned"]) == alone
    assert all(c.doc == "zhenyuan" for c in kb.duties("妇联")["assigned"])
    with pytest.raises(UnknownDocument):
        kb.duties("卫健局", doc="nope")


def test_search_filters_by_document(two_docs):
    corpus, data = two_docs
    s = open_searcher(data, corpus)
    both = s.search("宫颈癌", limit=None)
    one = s.search("宫颈癌", doc="qingyang", limit=None)
    assert both["total"] == 2 * one["total"] == 6
    assert {h["doc"] for h in one["hits"]} == {"qingyang"}
    assert {v["value"]: v["count"] for v in both["facets"]["doc"]["values"]} == {"zhenyuan": 3, "qingyang": 3}


def test_rebuild_reparses_only_the_changed_document(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", {"zhenyuan.txt": SEED.read_bytes(), "qingyang.txt": CITY})
    first = build(corpus, tmp_path / "data")
    assert sorted(d.status for d in first.documents) == ["parsed", "parsed"]
    (corpus / "qingyang.txt").write_text(CITY.replace("12/10万", "10/10万"), encoding="utf-8")
    assert is_stale(corpus, tmp_path / "data") == "qingyang.txt 已修改"
    second = build(corpus, tmp_path / "data")
    assert {d.file: d.status for d in second.documents} == {"qingyang.txt": "parsed", "zhenyuan.txt": "cached"}
    kb = open_kb(tmp_path / "data", corpus)
    assert "10/10万" in kb.clause("qingyang.2-1-g2").text


def test_stale_index_is_rebuilt_on_open(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", {"zhenyuan.txt": SEED.read_bytes()})
    messages = []
    with pytest.raises(DataDirError, match="不存在"):
        open_kb(tmp_path / "data", corpus)  # only build creates a data dir
    (tmp_path / "data").mkdir()
    kb = open_kb(tmp_path / "data", corpus, notify=messages.append)
    assert messages == [f"尚未构建知识库，正在从 {corpus} 重新构建知识库……"] and len(kb.clauses) == 192
    (corpus / "second.txt").write_text(CITY, encoding="utf-8")
    s = open_searcher(tmp_path / "data", corpus, notify=messages.append)
    assert len(s.kb.documents) == 2 and "规划文件有增删" in messages[-1]


@pytest.mark.slow
def test_read_only_data_dir_is_a_clear_error(tmp_path):
    if os.geteuid() == 0:
        # root ignores permission bits; a regular file where the data dir should be fails for everyone.
        target = tmp_path / "data"
        target.write_text("not a directory")
    else:
        target = tmp_path / "ro"
        target.mkdir()
        target.chmod(0o500)
    with pytest.raises(DataDirError, match="不可写"):
        build(ROOT / "corpus", target, force=True)


KILLER = """
import sys, pathlib
from kb.store import build
marker = pathlib.Path(sys.argv[3])
def progress(stage, done, total):
    if stage == "index":
        marker.write_text("indexing")
        import time; time.sleep(30)
build(sys.argv[1], sys.argv[2], force=True, progress=progress)
"""


@pytest.mark.slow
def test_killed_build_leaves_the_previous_index_serving(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", {"zhenyuan.txt": SEED.read_bytes()})
    data = tmp_path / "data"
    build(corpus, data)
    live = live_generation(data)
    (corpus / "second.txt").write_text(CITY, encoding="utf-8")
    marker = tmp_path / "marker"
    proc = subprocess.Popen([sys.executable, "-c", KILLER, str(corpus), str(data), str(marker)], cwd=ROOT)
    deadline = time.time() + 60
    while not marker.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert marker.exists(), "the build never reached the index stage"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert live_generation(data) == live
    assert list(data.glob("build-*")), "the killed build should have left its partial work beside the live one"
    s = open_searcher(data, corpus, rebuild=False)
    res = s.search("宫颈癌", limit=None)
    assert res["total"] == 3 and {h["doc"] for h in res["hits"]} == {"zhenyuan"}
    # The next build finishes the job and clears the debris.
    report = build(corpus, data)
    assert report.clauses == 384 and live_generation(data) != live


def test_whoosh_holds_the_index_the_arrays_are_compiled_from(tmp_path):
    from whoosh.index import create_in, open_dir

    from kb.index import index_ok

    data = tmp_path / "data"
    build(ROOT / "corpus", data)
    kb = open_kb(data, ROOT / "corpus")
    index = live_generation(data) / "index"
    ix = open_dir(index / "whoosh")
    with ix.reader() as reader:
        assert reader.doc_count_all() == 192 and len(reader.segments()) == 1
        assert reader.stored_fields(0) == {} and not ix.schema["text"].format.supports("positions")
        # 宫颈癌 three times in goal 2-1-3, six times in measure 2-1-5, once in measure 2-5-3.
        found = [(kb.clauses[doc].id.split(".")[-1], tf) for doc, tf in reader.postings("text", "宫颈癌").items_as("frequency")]
        assert found == [("2-1-g3", 3), ("2-1-m5", 6), ("2-5-m3", 1)]
        assert reader.first_id("id", kb.clauses[0].id) == 0 and reader.doc_frequency("id", kb.clauses[1].id) == 0  # the plan's first clause only
    assert index_ok(index)
    # Arrays that are no longer Whoosh's compiled form (here: a Whoosh index one clause short) fail the check.
    writer = create_in(index / "whoosh", ix.schema).writer()
    for c in kb.clauses[:-1]:
        writer.add_document(id=c.id, text=c.text)
    writer.commit()
    assert not index_ok(index)


def test_corrupt_index_is_reported_and_rebuilt(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", {"zhenyuan.txt": SEED.read_bytes()})
    data = tmp_path / "data"
    build(corpus, data)
    gen = live_generation(data)
    (gen / "index" / "text.docs.npy").write_bytes(b"garbage")
    facets = gen / "index" / "facets.json"
    facets.write_bytes(facets.read_bytes()[:10])
    with pytest.raises(DataDirError, match="plankb build --force"):
        open_kb(data, corpus, rebuild=False)  # the checksums written at build find it
    report = build(corpus, data)  # the fingerprint matches but the index does not open: rebuild
    assert not report.skipped
    assert open_searcher(data, corpus).search("宫颈癌")["total"] == 3


def test_export_contract(tmp_path):
    build(ROOT / "corpus", tmp_path / "data")
    exported = open_kb(tmp_path / "data", ROOT / "corpus").export()
    assert set(exported) == {"documents", "clauses"}
    assert set(exported["clauses"][0]) == {"id", "doc", "kind", "domain", "number", "text", "departments", "departments_raw", "lead", "citation"}
    json.dumps(exported, ensure_ascii=False)


DISK_FULL = """
import sys
from kb.errors import DataDirError
from kb.store import build
try:
    build(sys.argv[1], sys.argv[2], force=True)
except DataDirError as exc:
    print(exc)
    sys.exit(3)
"""


@pytest.mark.slow
def test_disk_full_during_build_leaves_the_live_index_intact(tmp_path):
    """A size-limited tmpfs that holds one generation but not a second: the build fails cleanly."""
    corpus = make_corpus(tmp_path / "corpus", {"zhenyuan.txt": SEED.read_bytes()})
    probe = tmp_path / "probe"
    build(corpus, probe)
    used = sum(f.stat().st_size for f in probe.rglob("*") if f.is_file())
    mnt = tmp_path / "small"
    mnt.mkdir()
    size_kb = 3 * used // 1024  # room for one build and its temporary files
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(mnt)], capture_output=True)
    if mounted.returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail(f"cannot mount a tmpfs to simulate a full disk: {mounted.stderr.decode().strip()}")
        pytest.skip("mounting a tmpfs needs root")
    try:
        data = mnt / "data"
        build(corpus, data)
        live = live_generation(data)
        # Fill the disk to just under what a second generation needs.
        filler = mnt / "filler"
        free = os.statvfs(mnt).f_bavail * os.statvfs(mnt).f_frsize
        filler.write_bytes(b"\0" * max(0, free - used // 2))
        (corpus / "second.txt").write_text(CITY, encoding="utf-8")
        proc = subprocess.run([sys.executable, "-c", DISK_FULL, str(corpus), str(data)], cwd=ROOT, capture_output=True, text=True)
        assert proc.returncode == 3, proc.stderr
        assert "失败" in proc.stdout and "未受影响" in proc.stdout and "Traceback" not in proc.stdout + proc.stderr
        assert live_generation(data) == live
        assert not list(data.glob("build-*"))
        s = open_searcher(data, corpus, rebuild=False)
        assert s.search("宫颈癌")["total"] == 3 and len(s.kb.documents) == 1
        # Stale corpus, full disk: reading serves the live KB with a warning instead of failing.
        messages = []
        kb = open_kb(data, corpus, notify=messages.append)
        assert len(kb.documents) == 1 and "继续使用现有的知识库" in messages[-1]
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


@pytest.mark.slow
def test_read_only_data_dir_with_a_stale_corpus_still_serves(tmp_path):
    """A data dir on a read-only mount: search and serve use the live KB and say why it is not rebuilt."""
    corpus = make_corpus(tmp_path / "corpus", {"zhenyuan.txt": SEED.read_bytes()})
    data = tmp_path / "data"
    build(corpus, data)
    mounted = subprocess.run(["mount", "--bind", str(data), str(data)], capture_output=True)
    if mounted.returncode == 0:
        mounted = subprocess.run(["mount", "-o", "remount,bind,ro", str(data)], capture_output=True)
    if mounted.returncode != 0:
        subprocess.run(["umount", "-l", str(data)], capture_output=True)
        if os.environ.get("CI") == "true":
            pytest.fail(f"cannot make a read-only bind mount: {mounted.stderr.decode().strip()}")
        pytest.skip("a read-only bind mount needs root")
    try:
        (corpus / "second.txt").write_text(CITY, encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PLANKB_")}
        proc = subprocess.run([sys.executable, "-m", "kb", "search", "宫颈癌", "--data", str(data)], cwd=tmp_path,
                              env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert "规划文件有增删" in proc.stderr and "不可写" in proc.stderr and "继续使用现有的知识库" in proc.stderr
        assert "共 3 条" in proc.stdout
    finally:
        subprocess.run(["umount", "-l", str(data)], capture_output=True)


BIG_CORPUS_BUILD = """
import re, sys
from pathlib import Path
from kb.store import build
report = build(sys.argv[1], sys.argv[2])
print(sorted((d.file, d.status) for d in report.documents))
# VmHWM: this process's own peak (ru_maxrss would include the pytest process it was forked from).
print(int(re.search(r"VmHWM:\\s+(\\d+)", Path("/proc/self/status").read_text()).group(1)) // 1024)
"""


@pytest.mark.slow
def test_a_huge_file_or_a_link_out_of_the_corpus_is_never_read_whole(tmp_path):
    """Fingerprinting the corpus reads no file the readers would refuse (2 GB sparse, a link out)."""
    corpus = make_corpus(tmp_path / "corpus", {"zhenyuan.txt": SEED.read_bytes()})
    with open(corpus / "huge.txt", "wb") as fh:
        fh.truncate(2 * 1024**3)
    outside = tmp_path / "outside.txt"
    outside.write_text(CITY, encoding="utf-8")
    (corpus / "link.txt").symlink_to(outside)
    proc = subprocess.run([sys.executable, "-c", BIG_CORPUS_BUILD, str(corpus), str(tmp_path / "data")], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    statuses, peak_mb = proc.stdout.splitlines()
    assert statuses == "[('huge.txt', 'error'), ('link.txt', 'error'), ('zhenyuan.txt', 'parsed')]"
    assert int(peak_mb) < 600  # the 2 GB file was neither hashed in memory nor read


def test_a_build_is_the_same_in_every_process(tmp_path):
    """Plans of several kinds built under two string-hash seeds give the same files: no set's order
    (which varies from process to process) decides what is read, merged or written."""
    fixtures = ROOT / "tests" / "fixtures" / "reader"
    plans = {"zhenyuan.txt": SEED.read_bytes(), "qingyang.txt": CITY}
    plans |= {p.name: p.read_bytes() for p in sorted(fixtures.iterdir()) if p.suffix in (".txt", ".html")}
    corpus = make_corpus(tmp_path / "corpus", plans)
    sums = []
    for seed in (1, 2, 3):
        data = tmp_path / f"data-{seed}"
        code = f"from kb.store import build; build({str(corpus)!r}, {str(data)!r})"
        done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": str(seed)}, capture_output=True)
        assert done.returncode == 0, done.stderr.decode("utf-8", "replace")[-2000:]
        gen = live_generation(data)
        written = json.loads((gen / "checksums.json").read_text(encoding="utf-8"))
        # Whoosh names its segment at random and meta.json holds the build's time: the rest must match.
        sums.append({name: entry[1] for name, entry in written.items() if "whoosh" not in name and name != "meta.json"})
    assert len(sums[0]) >= 20 and sums[0] == sums[1] == sums[2]
    meta = json.loads((live_generation(tmp_path / "data-1") / "meta.json").read_text(encoding="utf-8"))
    assert len(meta["documents"]) == len(plans)
