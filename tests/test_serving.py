"""Fault drills for the data dir and the site: the binding to its plan folder, checksums, CURRENT,
requests that never build, redirects, 405, the page cache, per-client fairness and a start while a
rebuild runs."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest
from click.testing import CliRunner

from kb import indicators as ki
from kb import monitor as km
from kb.cli import cli
from kb.errors import DataDirError
from kb.store import build, live_generation, open_kb
from tests.helpers import ROOT, SEED, make_corpus, seed_text

COUNTY_DOC = "county-plan"
MANIFEST = '[[plan]]\nfile = "county-plan.txt"\ntitle = "某县妇女发展规划（2021—2030年）"\n'


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    """A county's own plan folder (not the checkout's corpus/) built into a data dir, with one monitoring value."""
    base = tmp_path_factory.mktemp("serving")
    corpus = make_corpus(base / "county", {"county-plan.txt": SEED.read_bytes()}, manifest=MANIFEST)
    data = base / "data"
    build(corpus, data)
    kbobj = open_kb(data, corpus)
    target = next(i for i in ki.extract(kbobj) if i.name == "孕产妇死亡率")
    form = base / "values.csv"
    form.write_text(f"指标编号,年份,数值,填报单位,数据来源,备注\n{target.id},2022,10.5,卫健局,年报,\n", encoding="utf-8")
    km.import_file(kbobj, form, data)
    return base, corpus, data


@pytest.fixture
def copy(county, tmp_path):
    """A fresh copy of the county's folder and data dir, bound to each other."""
    _, corpus, data = county
    shutil.copytree(corpus, tmp_path / "county")
    shutil.copytree(data, tmp_path / "data")
    bind(tmp_path / "data", tmp_path / "county")
    return tmp_path / "county", tmp_path / "data"


def bind(data, corpus):
    """Point a copied data dir at its copied folder, as its build would have."""
    (data / "corpus.json").write_text(json.dumps({"corpus": str(corpus)}), encoding="utf-8")
    for meta_path in data.glob("gen-*/meta.json"):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        meta_path.write_text(json.dumps({**meta, "corpus": str(corpus)}, ensure_ascii=False), encoding="utf-8")
    gen = live_generation(data)
    from kb.generation import write_checksums

    write_checksums(gen)


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def documents(data) -> list[str]:
    return [d.id for d in open_kb(data, rebuild=False).documents]


def values(data) -> int:
    with km.open_monitor(data, readonly=True) as mon:
        return len(mon.observations())


@pytest.fixture(autouse=True)
def no_env(monkeypatch):
    for name in ("PLANKB_DATA", "PLANKB_CORPUS"):
        monkeypatch.delenv(name, raising=False)


# -- the binding: a data dir is rebuilt only from the folder it records ---------------------------
DAMAGE = {
    "meta.json": lambda data: (live_generation(data) / "meta.json").write_text('{"schema":4,', encoding="utf-8"),
    "CURRENT": lambda data: (data / "CURRENT").write_bytes(b""),
    "both": lambda data: [(g / "meta.json").write_text('{"schema":4,', encoding="utf-8") for g in data.glob("gen-*")]
    + [(data / "CURRENT").write_bytes(b"")],
}


@pytest.mark.parametrize("what", sorted(DAMAGE))
def test_damaged_binding_with_the_folder_present_rebuilds_from_that_folder(copy, what):
    corpus, data = copy
    DAMAGE[what](data)
    code, out, err = run("search", "妇联", "--data", data)
    assert code == 0, err
    assert f"正在从 {corpus} 重新构建" in err
    assert documents(data) == [COUNTY_DOC]  # never the checkout's zhenyuan-women-2021-2030
    assert values(data) == 1


@pytest.mark.parametrize("what", sorted(DAMAGE))
def test_damaged_binding_with_the_folder_gone_is_refused_in_one_line(copy, what):
    corpus, data = copy
    shutil.move(corpus, corpus.with_name("moved"))
    gens = sorted(p.name for p in data.glob("gen-*"))
    DAMAGE[what](data)
    code, out, err = run("search", "妇联", "--data", data)
    assert code == 1 and out == ""
    header, error = err.splitlines()  # what it used, then the error in one line
    assert header == f"规划文件夹 {corpus}，数据目录 {data}" and error.startswith("错误：") and "plankb build" in error
    assert sorted(p.name for p in data.glob("gen-*")) == gens  # nothing built from anywhere else
    assert values(data) == 1


def test_lost_binding_is_refused_and_rebuilt_only_on_purpose(copy):
    corpus, data = copy
    DAMAGE["both"](data)
    (data / "corpus.json").write_bytes(b"\xff{")
    gens = sorted(p.name for p in data.glob("gen-*"))
    for args in (("search", "妇联", "--data", data), ("build", "--data", data)):
        code, out, err = run(*args)
        assert code == 1 and err.count("\n") == 1 and err.startswith("错误：")
        assert f"plankb build --corpus 规划文件夹 --data {data} --replace" in err
    assert sorted(p.name for p in data.glob("gen-*")) == gens
    code, out, err = run("build", "--corpus", corpus, "--data", data, "--replace")
    assert code == 0, err
    assert documents(data) == [COUNTY_DOC] and values(data) == 1
    assert json.loads((data / "corpus.json").read_text(encoding="utf-8")) == {"corpus": str(corpus.resolve())}


# -- checksums: damage that keeps a file's shape ------------------------------------------------------
def _flip(path):
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    path.write_bytes(bytes(raw))


SHAPE_DAMAGE = {
    "plans.toml": lambda gen: (gen / "plans.toml").write_text(MANIFEST.replace("某县", "别县"), encoding="utf-8"),
    "text.lengths.npy": lambda gen: _flip(gen / "index" / "text.lengths.npy"),
    "posting lists": lambda gen: _flip(gen / "index" / "text.docs.npy"),
    "sources": lambda gen: _flip(next((gen / "sources").glob("county-plan.txt*"))),
    "indicators.json.gz": lambda gen: (gen / "indicators.json.gz").write_bytes(__import__("gzip").compress(b"{}", mtime=0)),
    "headings.json": lambda gen: _flip(gen / "headings.json"),
}


@pytest.mark.parametrize("what", sorted(SHAPE_DAMAGE))
def test_damage_that_keeps_a_files_shape_is_found(copy, what):
    corpus, data = copy
    gen = live_generation(data)
    size = {p: p.stat().st_size for p in gen.rglob("*") if p.is_file() and p.name != "indicators.json.gz" and p.name != "plans.toml"}
    SHAPE_DAMAGE[what](gen)
    assert {p: p.stat().st_size for p in size} == size
    with pytest.raises(DataDirError, match="已损坏"):
        open_kb(data, rebuild=False)
    kbobj = open_kb(data)  # the folder it records is there: rebuilt from it
    assert [d.id for d in kbobj.documents] == [COUNTY_DOC] and kbobj.path != gen


def test_a_large_generation_hashes_at_open_only_what_moved_and_in_full_in_the_background_check(copy, monkeypatch):
    from kb import generation
    from kb.store import refresh_reason

    corpus, data = copy
    gen = live_generation(data)
    monkeypatch.setattr(generation, "FULL_CHECK_BYTES", 0)  # this generation counts as large
    docs = gen / "index" / "text.docs.npy"
    st = docs.stat()
    _flip(docs)
    os.utime(docs, ns=(st.st_atime_ns, st.st_mtime_ns))  # same size and mtime: an open does not hash it
    assert generation.damage_in(gen) is None
    assert generation.damage_in(gen, full=True) == "index/text.docs.npy 与构建时不同"
    assert refresh_reason(data, corpus) == ("知识库已损坏：index/text.docs.npy 与构建时不同", True)
    os.utime(docs, ns=(st.st_atime_ns, st.st_mtime_ns + 1))  # a moved mtime: hashed at open
    with pytest.raises(DataDirError, match="text.docs.npy 与构建时不同"):
        open_kb(data, rebuild=False)


# -- CURRENT read as bytes ------------------------------------------------------------------------
def test_non_utf8_current_is_one_line_and_503(copy):
    corpus, data = copy
    shutil.move(corpus, corpus.with_name("moved"))
    (data / "CURRENT").write_bytes(b"gen-\xff\xfe\x80")
    code, out, err = run("search", "妇联", "--data", data, "--corpus", corpus)
    assert code == 1 and err.count("\n") == 1 and "CURRENT 已损坏" in err and "Traceback" not in err
    client = make_app(data, corpus).test_client()
    for url in ("/", "/healthz", "/api/search?q=妇联", "/indicators"):
        res = client.get(url)
        assert res.status_code == 503, url
    assert "CURRENT 已损坏" in client.get("/healthz").get_json()["error"]


# -- the site never builds inside a request ----------------------------------------------------------
def make_app(data, corpus, **config):
    from search_app import create_app

    return create_app({"TESTING": True, "PLANKB_DATA": str(data), "PLANKB_CORPUS": str(corpus), **config})


def test_a_request_never_builds_and_indicators_are_read_not_extracted(copy, monkeypatch):
    corpus, data = copy
    before = (data / "CURRENT").read_bytes()
    (corpus / "second.txt").write_text(seed_text().replace("镇原县妇女发展规划", "某市妇女发展规划", 1), encoding="utf-8")
    import kb.indicators

    def refuse(clause):
        raise AssertionError("indicator extraction ran inside a request")

    monkeypatch.setattr(kb.indicators, "clause_indicators", refuse)
    client = make_app(data, corpus).test_client()
    health = client.get("/healthz").get_json()
    assert health["documents"] == 1 and health["updating"] is False  # the stale generation, served as it is
    page = client.get("/indicators")
    assert page.status_code == 200 and "孕产妇死亡率" in page.get_data(as_text=True)
    assert client.get("/api/indicators").status_code == 200
    assert (data / "CURRENT").read_bytes() == before


def test_background_refresh_switches_and_shows_a_banner_meanwhile(copy):
    from search_app.state import refresh, state

    corpus, data = copy
    (corpus / "second.txt").write_text(seed_text().replace("镇原县妇女发展规划", "某市妇女发展规划", 1), encoding="utf-8")
    app = make_app(data, corpus)
    client = app.test_client()
    state(app).updating = "规划正在更新（规划文件有增删），完成后自动切换；在此之前显示的是上次构建的内容。"
    page = client.get("/").get_data(as_text=True)
    assert "规划正在更新" in page and client.get("/healthz").get_json()["updating"] is True
    refresh(app)
    assert state(app).updating is None
    assert client.get("/healthz").get_json()["documents"] == 2
    assert "规划正在更新" not in client.get("/").get_data(as_text=True)


# -- redirects, 405, page cache -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def client(county):
    _, corpus, data = county
    return make_app(data, corpus).test_client()


@pytest.mark.parametrize("url, location", [
    ("/api//search?q=a", "/api/search?q=a"),
    ("/api//documents", "/api/documents"),
    ("/departments?name=卫健局", "/departments/%E5%8D%AB%E5%81%A5%E5%B1%80"),
    ("/favicon.ico", "/static/favicon.svg"),
])
def test_no_host_in_any_location(client, url, location):
    res = client.get(url, headers={"Host": "evil.example"})
    assert 300 <= res.status_code < 400
    assert res.headers["Location"] == location


@pytest.mark.parametrize("method, url", [("post", "/search"), ("delete", "/departments"), ("put", "/api/search"), ("post", "/healthz")])
def test_405_says_what_is_allowed(client, method, url):
    res = getattr(client, method)(url)
    assert res.status_code == 405
    assert set(res.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


def test_junk_parameters_do_not_fill_the_page_cache(county):
    from search_app.state import state

    _, corpus, data = county
    app = make_app(data, corpus)
    client = app.test_client()
    pages = state(app).pages
    first = client.get(f"/documents/{COUNTY_DOC}")
    for n in range(1100):
        res = client.get(f"/documents/{COUNTY_DOC}?junk={n}")
        assert res.status_code == 200
    assert len(pages.pages) == 1 and res.data == first.data
    client.get("/search?q=妇联&junk=1")
    client.get("/search?q=妇联&junk=2")
    assert len(pages.pages) == 2


def test_page_cache_is_bounded_in_bytes():
    from search_app.state import PageCache

    cache = PageCache(size=100, max_bytes=1000)
    for n in range(50):
        cache.put(n, b"x" * 300, "text/html")
    assert cache.bytes <= 1000 and len(cache.pages) == 3 and cache.get(49) is not None and cache.get(0) is None


# -- the server: per-client fairness, header deadline ---------------------------------------------------
def start_server(app, **limits):
    from search_app.server import make_server

    server = make_server(app, "127.0.0.1", 0, threads=4, **limits)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    return server


def healthz(port, timeout):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=timeout) as resp:
        return resp.status, json.loads(resp.read())


@pytest.mark.slow
def test_one_address_trickling_500_sockets_does_not_lock_out_another(county):
    _, corpus, data = county
    server = start_server(make_app(data, corpus), header_timeout=2, cleanup_interval=1)
    port = int(server.effective_port)
    held, stop = [], threading.Event()

    def trickle():
        # Bounded: at most 20 rounds of one header line per socket, then everything closes.
        for _ in range(20):
            for s in list(held):
                try:
                    s.send(b"X-Slow: 1\r\n")
                except OSError:
                    held.remove(s)
            if stop.wait(0.5):
                break

    try:
        for _ in range(500):
            s = socket.socket()
            s.bind(("127.0.0.2", 0))
            s.settimeout(5)
            try:
                s.connect(("127.0.0.1", port))
                s.send(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            except OSError:
                s.close()
                continue
            held.append(s)
        worker = threading.Thread(target=trickle, daemon=True)
        worker.start()
        for _ in range(3):
            status, body = healthz(port, timeout=1)  # the deadline is the timeout: no answer within 1 s fails
            assert status == 200 and body["ok"] is True
        mine = [ch for ch in list(server.active_channels.values()) if ch.addr and ch.addr[0] == "127.0.0.2"]
        assert len(mine) <= 32
        # Trickling sockets are closed once their headers are late, however often they send a line.
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(ch.addr and ch.addr[0] == "127.0.0.2" for ch in list(server.active_channels.values())):
            time.sleep(0.2)
        assert not any(ch.addr and ch.addr[0] == "127.0.0.2" for ch in list(server.active_channels.values()))
    finally:
        stop.set()
        for s in held:
            s.close()
        server.close()


# -- plankb serve --------------------------------------------------------------------------------------
def plankb(*args, cwd, timeout=120):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANKB_")}
    env["PYTHONPATH"] = str(ROOT)
    p = subprocess.run([sys.executable, "-m", "kb", *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_serve_with_a_stale_corpus_answers_at_once_and_switches_when_built(copy, tmp_path):
    corpus, data = copy
    old = live_generation(data).name
    (corpus / "second.txt").write_text(seed_text().replace("镇原县妇女发展规划", "某市妇女发展规划", 1), encoding="utf-8")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANKB_")}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.Popen([sys.executable, "-m", "kb", "serve", "--data", str(data), "--port", str(port)], cwd=tmp_path, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        first = None
        deadline = time.monotonic() + 3  # listening within 3 s of the start, while the rebuild runs
        while first is None and time.monotonic() < deadline:
            try:
                first = healthz(port, timeout=1)
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.05)
        assert first is not None, "no answer within 3 s"
        assert first[1]["generation"] == old and first[1]["documents"] == 1  # the live generation, served while it rebuilds
        deadline = time.monotonic() + 240
        body = first[1]
        while body["documents"] != 2 and time.monotonic() < deadline:
            time.sleep(0.5)
            body = healthz(port, timeout=5)[1]
        assert body["documents"] == 2 and body["generation"] != old and body["updating"] is False
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    err = proc.stderr.read()
    assert err.splitlines()[0] == f"规划文件夹 {corpus}，数据目录 {data}"


@pytest.mark.slow
def test_serve_errors_are_one_chinese_line(county, tmp_path):
    _, corpus, data = county
    code, out, err = plankb("serve", "--corpus", tmp_path / "no-such-folder", cwd=tmp_path)
    assert code == 1 and err == f"错误：规划文件夹 {tmp_path / 'no-such-folder'} 不存在：请检查路径，或先 mkdir {tmp_path / 'no-such-folder'} 并放入规划文件\n"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = plankb("serve", "--data", data, "--port", port, cwd=tmp_path)
    lines = err.splitlines()
    assert code == 1 and lines[-1] == f"错误：无法在 127.0.0.1:{port} 上提供服务：端口已被占用（另一个 plankb serve 或别的程序正在使用它；可用 --port 换一个端口）"
    assert "Error" not in err and len(lines) == 2 and lines[0].startswith("规划文件夹 ")


def test_a_generation_built_before_checksums_is_served_and_rebuilt_as_outdated(copy):
    from kb.store import is_stale

    corpus, data = copy
    gen = live_generation(data)
    meta = json.loads((gen / "meta.json").read_text(encoding="utf-8"))
    del meta["checksums"]
    (gen / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    (gen / "checksums.json").unlink()
    assert documents(data) == [COUNTY_DOC]  # nothing to check it against: served as it is
    assert is_stale(corpus, data) == "知识库格式已更新"
    kbobj = open_kb(data)
    assert kbobj.path != gen and (kbobj.path / "checksums.json").exists()


def test_a_missing_checksums_file_of_a_new_generation_is_damage(copy):
    corpus, data = copy
    (live_generation(data) / "checksums.json").unlink()
    with pytest.raises(DataDirError, match="checksums.json 缺失或损坏"):
        open_kb(data, rebuild=False)
