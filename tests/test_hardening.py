"""Fault drills: forged headers, idle sockets, busy exports, killed builds, damaged generations, renamed plans."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from kb.store import build, live_generation
from tests.helpers import ROOT, SEED, make_corpus

CLAUSE = "zhenyuan-women-2021-2030.2-1-g1"


@pytest.fixture(scope="module")
def built(seed_data_dir):
    """The repository's corpus and the session's data dir built from it (copied by tests that damage it)."""
    return ROOT / "corpus", seed_data_dir


def make_app(data, corpus, **config):
    from search_app import create_app

    return create_app({"TESTING": True, "PLANKB_DATA": str(data), "PLANKB_CORPUS": str(corpus), **config})


def start_server(app, **limits):
    """The `plankb serve` server (search_app.server.make_server) on a free loopback port."""
    from search_app.server import make_server

    server = make_server(app, "127.0.0.1", 0, threads=4, **limits)

    def run():
        try:
            server.run()
        except OSError:
            pass

    threading.Thread(target=run, daemon=True).start()
    return server, f"http://127.0.0.1:{server.effective_port}"


def get(url, timeout=10, **kw):
    req = urllib.request.Request(url, **kw)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def strict_json(body: bytes):
    """json.loads that fails on NaN/Infinity, as a browser's JSON.parse does."""
    def refuse(name):
        raise ValueError(f"not JSON: {name}")

    return json.loads(body, parse_constant=refuse)


# -- Host header ------------------------------------------------------------------------
PAGES = ["/", "/search?q=妇女", "/departments", "/departments/卫健局", f"/clauses/{CLAUSE}", "/overview", "/documents",
         "/documents/zhenyuan-women-2021-2030", "/indicators", "/api/search?q=妇女", "/api/openapi.json"]


@pytest.mark.parametrize("url", PAGES)
def test_forged_host_does_not_reach_cached_pages(built, url):
    corpus, data = built
    client = make_app(data, corpus, PAGE_CACHE=True).test_client()
    forged = client.get(url, headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"})
    assert forged.status_code == 200
    normal = client.get(url)
    for page in (forged, normal):
        assert b"evil.example" not in page.data, url
    if url.startswith("/clauses/"):
        assert f'href="/clauses/{CLAUSE}"'.encode() in normal.data


def test_base_url_and_allowed_hosts(built):
    corpus, data = built
    app = make_app(data, corpus, PAGE_CACHE=False, PLANKB_BASE_URL="https://plankb.example.gov.cn/", PLANKB_ALLOWED_HOSTS="plankb.example.gov.cn, localhost")
    client = app.test_client()
    page = client.get(f"/clauses/{CLAUSE}")
    assert f'data-copy="https://plankb.example.gov.cn/clauses/{CLAUSE}"'.encode() in page.data
    refused = client.get(f"/clauses/{CLAUSE}", headers={"Host": "evil.example"})
    assert refused.status_code == 400
    assert b"evil.example" not in refused.data


# -- connections, exports, server errors ------------------------------------------------------
def test_idle_sockets_do_not_lock_out_healthz(built):
    """120 idle sockets (waitress's default limit is 100): /healthz still answers at once."""
    corpus, data = built
    server, base = start_server(make_app(data, corpus), per_client_limit=1000)  # the global limit, not the per-client share
    idle = []
    try:
        for _ in range(120):
            s = socket.create_connection(("127.0.0.1", server.effective_port), timeout=5)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never finished
            idle.append(s)
        status, _, body = get(base + "/healthz", timeout=5)  # answered within 5 s, or the request fails
        assert status == 200 and strict_json(body)["ok"] is True
    finally:
        for s in idle:
            s.close()
        server.close()


def test_idle_sockets_are_closed_after_channel_timeout(built):
    corpus, data = built
    server, _ = start_server(make_app(data, corpus), channel_timeout=1, cleanup_interval=1)
    try:
        # The server closes the idle socket within 8 s; a longer wait ends recv() with socket.timeout.
        s = socket.create_connection(("127.0.0.1", server.effective_port), timeout=8)
        s.sendall(b"GET / HTTP/1.1\r\n")
        assert s.recv(100) == b""
        s.close()
    finally:
        server.close()


def test_busy_exports_get_503_and_pages_still_answer(built, monkeypatch):
    """With the one export slot held by an export, another export is refused at once, pages answer."""
    from kb import exports

    corpus, data = built
    real = exports.duties_xlsx
    started, release = threading.Event(), threading.Event()

    def slow_xlsx(*args, **kwargs):
        started.set()
        release.wait(30)  # holds the slot until the test has made its other requests
        return real(*args, **kwargs)

    monkeypatch.setattr(exports, "duties_xlsx", slow_xlsx)
    server, base = start_server(make_app(data, corpus, EXPORT_SLOTS=1))
    url = base + "/departments/" + urllib.request.quote("卫健局") + "/export.xlsx"
    try:
        first: dict = {}
        worker = threading.Thread(target=lambda: first.update(r=get(url, timeout=30)))
        worker.start()
        assert started.wait(10)
        status, headers, _ = get(url)  # refused while the first export still holds the slot
        assert status == 503 and headers.get("Retry-After") == "5"
        assert get(base + "/healthz")[0] == 200
        assert worker.is_alive() and "r" not in first  # the first export was still running throughout
        release.set()
        worker.join(30)
        assert first["r"][0] == 200 and first["r"][2][:2] == b"PK"
        assert get(url)[0] == 200  # the slot was given back
    finally:
        server.close()


def test_server_errors_and_options_are_json(built):
    corpus, data = built
    server, base = start_server(make_app(data, corpus))
    try:
        status, headers, body = get(base + "/api/search?q=x", headers={"X-Filler": "a" * 20000})
        assert status == 431 and headers["Content-Type"].startswith("application/json")
        assert strict_json(body) == {"ok": False, "error": "请求头太大。", "status": 431}
        status, headers, body = get(base + "/api/search?q=x", method="OPTIONS")
        assert status == 405 and headers["Allow"] == "GET, HEAD"
        assert strict_json(body)["ok"] is False and strict_json(body)["status"] == 405
    finally:
        server.close()


# -- kill -9 on build ---------------------------------------------------------------------
KILLED_BUILD = """
import os, sys, time
import kb.segment as seg
seg.PARALLEL_THRESHOLD = 1
os.cpu_count = lambda: 2
real = seg.analyse_texts
def slow(texts):
    open(os.path.join(sys.argv[3], f"worker-{os.getpid()}"), "w").close()
    time.sleep(120)
    return real(texts)
seg.analyse_texts = slow
from kb.store import build
build(sys.argv[1], sys.argv[2], force=True)
"""


def running(pid: int) -> bool:
    """True while pid is a live process (a zombie waiting to be reaped is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc to find the workers")
def test_kill_9_during_build_leaves_no_workers_and_no_debris(built, tmp_path):
    corpus, built_data = built
    data = tmp_path / "data"
    shutil.copytree(built_data, data)
    marks = tmp_path / "marks"
    marks.mkdir()
    script = tmp_path / "killed_build.py"
    script.write_text(KILLED_BUILD, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(script), str(corpus), str(data), str(marks)], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 60
        while not list(marks.iterdir()) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        workers = [int(p.name.split("-")[1]) for p in marks.iterdir()]
        assert workers, "the build never reached its worker processes"
        assert list(data.glob("build-*")), "the build folder should exist while building"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    deadline = time.monotonic() + 10
    while any(running(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    orphans = [w for w in workers if running(w)]
    for w in orphans:  # leave nothing behind even when the drill fails
        os.kill(w, signal.SIGKILL)
    assert not orphans, "workers outlived the killed build"
    # The next build finds nothing to do, and still clears the dead build's folder.
    report = build(corpus, data)
    assert report.skipped
    assert not list(data.glob("build-*"))


# -- damaged generation files ---------------------------------------------------------------
DAMAGE = {
    "vocab.json": lambda gen: _truncate(gen / "index" / "vocab.json"),
    "kb.json": lambda gen: _truncate(gen / "kb.json"),
    "clause codes": lambda gen: _truncate(gen / "clauses.codes.npy"),
    "clause ids": lambda gen: _truncate(gen / "clauses.ids.txt"),
    "clause texts": lambda gen: _truncate(gen / "clauses.text.utf16"),
    "clause text ends": lambda gen: _truncate(gen / "clauses.text.ends.npy", 3),
    "headings.json": lambda gen: _truncate(gen / "headings.json"),
    "meta.json": lambda gen: (gen / "meta.json").write_text("{\"clauses\": ", encoding="utf-8"),
    "departments.toml": lambda gen: (gen / "departments.toml").write_text("[[unit]\nname = 妇联\n\x00", encoding="utf-8"),
    "substring.z": lambda gen: _truncate(gen / "index" / "substring.z"),
    "synonyms.txt": lambda gen: (gen / "synonyms.txt").write_bytes("妇女 => 女性".encode("gb18030") + b"\xff\xfe\x00"),
    "text.lengths.npy": lambda gen: _truncate(gen / "index" / "text.lengths.npy", 3),
    "posting lists": lambda gen: _truncate(gen / "index" / "text.docs.npy"),
    "facets.npz": lambda gen: _truncate(gen / "index" / "facets.npz"),
    "terms.txt": lambda gen: _truncate(gen / "index" / "terms.txt"),
    "Whoosh segment": lambda gen: _truncate(next((gen / "index" / "whoosh").glob("*.seg"))),
}


def _truncate(path: Path, keep: int | None = None):
    data = path.read_bytes()
    path.write_bytes(data[: keep if keep is not None else len(data) // 2])


@pytest.mark.slow
@pytest.mark.parametrize("what", sorted(DAMAGE))
def test_damaged_generation_is_rebuilt_when_the_corpus_is_known(built, tmp_path, what):
    corpus, built_data = built
    data = tmp_path / "data"
    shutil.copytree(built_data, data)
    DAMAGE[what](live_generation(data))
    from search_app.state import refresh

    app = make_app(data, corpus, PAGE_CACHE=False)
    client = app.test_client()
    assert client.get("/search?q=妇女").status_code == 503  # a request never builds
    refresh(app)  # what plankb serve runs in the background at start
    res = client.get("/search?q=妇女")
    assert res.status_code == 200
    assert client.get("/api/search?q=妇女").get_json()["total"] > 0


@pytest.mark.slow
@pytest.mark.parametrize("what", sorted(DAMAGE))
def test_damaged_generation_without_corpus_is_refused_in_one_line(built, tmp_path, what):
    from click.testing import CliRunner

    from kb.cli import cli

    _, built_data = built
    data = tmp_path / "data"
    shutil.copytree(built_data, data)
    missing = tmp_path / "no-corpus"
    # The corpus this data dir was built from has gone (moved away, or a copied data dir).
    meta_path = live_generation(data) / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta_path.write_text(json.dumps({**meta, "corpus": str(missing)}, ensure_ascii=False), encoding="utf-8")
    (data / "corpus.json").write_text(json.dumps({"corpus": str(missing)}), encoding="utf-8")
    DAMAGE[what](live_generation(data))
    client = make_app(data, missing, PAGE_CACHE=False).test_client()
    for url in ("/search?q=妇女", "/api/search?q=妇女", "/healthz"):
        res = client.get(url)
        assert res.status_code == 503, (url, res.status_code)
    body = client.get("/api/search?q=妇女").get_json()
    assert body["ok"] is False and "plankb build --force" in body["error"] and "\n" not in body["error"]
    result = CliRunner().invoke(cli, ["search", "妇女", "--data", str(data), "--corpus", str(missing)])
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0 and "错误" in result.output


# -- parse cache keyed by content and file name ---------------------------------------------------
def test_renamed_plan_gets_its_new_id_and_source(tmp_path):
    from kb.store import open_kb

    corpus = make_corpus(tmp_path / "corpus", {"old-name.txt": SEED.read_bytes()})
    data = tmp_path / "data"
    build(corpus, data)
    (corpus / "old-name.txt").rename(corpus / "new-name.txt")
    report = build(corpus, data)
    assert [(d.doc, d.status) for d in report.documents] == [("new-name", "parsed")]
    kbobj = open_kb(data, corpus)
    assert [(d.id, d.source) for d in kbobj.documents] == [("new-name", "new-name.txt")]


def test_identical_copy_under_another_name_is_its_own_document(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", {"first.txt": SEED.read_bytes()})
    data = tmp_path / "data"
    build(corpus, data)
    shutil.copyfile(corpus / "first.txt", corpus / "second.txt")
    report = build(corpus, data)
    assert sorted((d.doc, d.status) for d in report.documents) == [("first", "cached"), ("second", "parsed")]
    assert report.clauses == 2 * 192
