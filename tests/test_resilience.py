"""The live server survives what a county intranet throws at it: rebuilds under load, damaged data."""

import json
import threading
import time
import urllib.request

import pytest

from kb.store import build, live_generation
from search_app import create_app
from tests.helpers import SEED, make_corpus, seed_text, serving

pytestmark = pytest.mark.slow  # load and damaged-data drills: CI runs them, scripts/test --quick skips them

SECOND = seed_text().replace("镇原县妇女发展规划（2021—2030年）", "庆阳市妇女发展规划（2021—2030年）", 1)


def wait_for(condition, timeout=60.0, what="the condition"):
    """Poll until condition() holds; fail after timeout seconds (a deadline, not a verdict on speed)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.02)


def get_json(url):
    with urllib.request.urlopen(url, timeout=30) as resp:
        return resp.status, json.loads(resp.read())


def test_rebuild_under_load_gives_no_errors_and_no_mixed_results(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", {"zhenyuan.txt": SEED.read_bytes()})
    data = tmp_path / "data"
    build(corpus, data)
    seen, errors, stop = [], [], threading.Event()

    def hammer():
        while not stop.is_set():
            try:
                status, body = get_json(base + "/api/search?q=%E5%AE%AB%E9%A2%88%E7%99%8C&limit=100")
                ids = sorted(h["id"] for h in body["hits"])
                seen.append((status, body["total"], tuple(ids)))
            except Exception as exc:  # any failure is what this test counts
                errors.append(repr(exc))

    workers = [threading.Thread(target=hammer) for _ in range(6)]
    with serving(create_app({"PLANKB_DATA": str(data), "PLANKB_CORPUS": str(corpus)})) as base:
        for w in workers:
            w.start()
        wait_for(lambda: len(seen) + len(errors) >= 6, what="the first answers")
        generations = {live_generation(data).name}
        (corpus / "qingyang.txt").write_text(SECOND, encoding="utf-8")
        for _ in range(3):
            build(corpus, data, force=True)
            generations.add(live_generation(data).name)
            answered = len(seen) + len(errors)
            wait_for(lambda n=answered: len(seen) + len(errors) >= n + 6, what="answers from the new generation")
        stop.set()
        for w in workers:
            w.join(30)
    assert errors == []
    assert len(generations) == 4 and len(seen) > 20
    old = [s for s in seen if s[1] == 3]
    new = [s for s in seen if s[1] == 6]
    assert old and new and len(old) + len(new) == len(seen)
    assert {s[0] for s in seen} == {200}
    assert len({s[2] for s in old}) == 1 and len({s[2] for s in new}) == 1
    assert all(len(s[2]) == s[1] for s in seen)


@pytest.mark.parametrize("damage", ["truncate-kb", "garbage-index", "empty-current", "missing-generation"])
def test_damaged_data_dir_is_rebuilt_on_start(tmp_path, damage, caplog):
    corpus = make_corpus(tmp_path / "corpus", {"zhenyuan.txt": SEED.read_bytes()})
    data = tmp_path / "data"
    build(corpus, data)
    gen = live_generation(data)
    if damage == "truncate-kb":
        kbfile = gen / "kb.json"
        kbfile.write_bytes(kbfile.read_bytes()[:1000])
    elif damage == "garbage-index":
        for f in (gen / "index").rglob("*"):  # every index file, Whoosh's included, its size kept: only its content is garbage
            if f.is_file():
                f.write_bytes(b"\0" * f.stat().st_size)
    elif damage == "empty-current":
        (data / "CURRENT").write_text("")
    else:
        import shutil

        shutil.rmtree(gen)
    from search_app.state import state

    with caplog.at_level("WARNING"):
        app = create_app({"PLANKB_DATA": str(data), "PLANKB_CORPUS": str(corpus)})
        state(app).refresh.join(timeout=300)  # the site serves at once; the rebuild runs beside it
    client = app.test_client()
    resp = client.get("/api/search?q=宫颈癌")
    assert resp.status_code == 200 and resp.get_json()["total"] == 3
    assert any("构建" in r.getMessage() for r in caplog.records), [r.getMessage() for r in caplog.records]
