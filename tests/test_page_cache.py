"""Rendered pages are reused for the same URL until a rebuild or a monitoring import changes them."""

from kb.store import build
from search_app import create_app, routes
from tests.helpers import SEED, make_corpus, seed_text


def test_pages_are_cached_per_generation_and_monitoring_data(tmp_path, monkeypatch):
    corpus = make_corpus(tmp_path / "corpus", {"zhenyuan.txt": SEED.read_bytes()})
    data = tmp_path / "data"
    build(corpus, data)
    app = create_app({"TESTING": True, "PLANKB_DATA": str(data), "PLANKB_CORPUS": str(corpus)})
    client = app.test_client()
    renders = []
    original = routes.render_template
    monkeypatch.setattr(routes, "render_template", lambda *a, **k: renders.append(a[0]) or original(*a, **k))
    first = client.get("/search?q=宫颈癌")
    second = client.get("/search?q=宫颈癌")
    assert first.status_code == second.status_code == 200 and first.data == second.data
    assert renders == ["search.html"]
    assert second.headers["Content-Security-Policy"] and second.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/search?q=家暴").status_code == 200 and renders[-1] == "search.html" and len(renders) == 2
    # A 404 is never cached.
    assert client.get("/departments/火星局").status_code == 404
    assert client.get("/departments/火星局").status_code == 404
    # A rebuild (a second plan) is a new generation: the page is rendered anew and shows it.
    (corpus / "qingyang.txt").write_text(seed_text().replace("镇原县妇女发展规划", "庆阳市妇女发展规划", 1), encoding="utf-8")
    build(corpus, data)
    third = client.get("/search?q=宫颈癌")
    assert "共 <strong>3</strong>" in first.get_data(as_text=True)
    assert renders.count("search.html") == 3 and "共 <strong>6</strong>" in third.get_data(as_text=True)
    # Monitoring data changes the duty page's indicator section: a new import invalidates it.
    client.get("/departments/卫健局")
    n = len(renders)
    client.get("/departments/卫健局")
    assert len(renders) == n
    (data / "monitor.sqlite").write_bytes(b"")
    client.get("/departments/卫健局")
    assert len(renders) == n + 1


def test_facet_links_keep_a_several_department_question(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", {"zhenyuan.txt": SEED.read_bytes()})
    build(corpus, tmp_path / "data")
    client = create_app({"TESTING": True, "PLANKB_DATA": str(tmp_path / "data"), "PLANKB_CORPUS": str(corpus)}).test_client()
    from urllib.parse import quote

    api = client.get("/api/search?q=妇联和教育局共同负责哪些措施&limit=100").get_json()
    both = [h for h in api["hits"] if {"妇联", "教育局"} <= set(h["departments"])]
    assert api["total"] == len(both) == len(api["hits"]) >= 3
    page = client.get("/search?q=妇联和教育局共同负责哪些措施").get_data(as_text=True)
    assert f"共 <strong>{api['total']}</strong>" in page and "共同承担" in page
    assert quote("妇联和教育局共同负责哪些措施") in page  # facet links keep the question
    assert quote("和教育局共同负责哪些措施") in page  # the 部门：妇联 chip drops only 妇联
