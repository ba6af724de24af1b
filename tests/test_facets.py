"""Facets are filters within the result: every count shown is what its click returns (API and page)."""

from __future__ import annotations

import random

import pytest
from bs4 import BeautifulSoup

from kb.search import open_searcher

PARAM = {"kind": "kind", "domain": "domain", "departments": "also", "doc": "doc"}
TEMPLATES = ["{d}", "{d}负责哪些措施", "{d}的主要目标", "{d}有哪些任务", "{w}", "{w}{v}", "{w} {v}", "{d} {w}", "{w}{v}{u}",
             "{d}要干些什么", "{d}在{w}方面做什么", "{w}要达到多少", "怎么{w}{v}", "{w}的措施"]


@pytest.fixture(scope="module")
def queries(data_dir):
    """A few hundred queries people type: department names and questions, plan words alone and run together."""
    from tests.conftest import CORPUS

    s = open_searcher(data_dir, CORPUS)
    rnd = random.Random(13)
    depts = [d for d in s.kb.department_names() if not s.kb.registry.is_group(d)]
    words = sorted({w for c in s.kb.clauses for w in s.index.words(c.text) if len(w) > 1})
    out = []
    for i in range(260):
        template = TEMPLATES[i % len(TEMPLATES)]
        q = template.format(d=rnd.choice(depts), w=rnd.choice(words), v=rnd.choice(words), u=rnd.choice(words))
        extra = {}
        if i % 5 == 0:
            extra["kind"] = rnd.choice(["goal", "measure"])
        if i % 7 == 0:
            extra["dept"] = rnd.choice(depts)
        out.append((q, extra))
    return out


def click(params: dict, facet: str, value: str) -> dict:
    out = {k: (list(v) if isinstance(v, list) else [v]) for k, v in params.items()}
    key = PARAM[facet]
    out.setdefault(key, [])
    if value not in out[key]:
        out[key].append(value)
    return out


def test_facet_counts_equal_their_clicks_api(client, queries):
    checked = 0
    for q, extra in queries:
        params = {"q": q, "limit": "1", **extra}
        res = client.get("/api/search", query_string=params).json
        for name, facet in res["facets"].items():
            total = 0
            for v in facet["values"]:
                if v["selected"]:
                    continue
                narrowed = client.get("/api/search", query_string=click(params, name, v["value"])).json
                assert narrowed["total"] == v["count"], (q, extra, name, v)
                assert narrowed["query"] == res["query"]
                total += 1
            checked += total
    assert checked > 1000


def test_facet_counts_equal_their_clicks_page(client, queries):
    checked = 0
    for q, extra in queries[::5]:
        page = BeautifulSoup(client.get("/search", query_string={"q": q, **extra}).get_data(as_text=True), "html.parser")
        for a in page.select(".facet a.facet-value:not(.selected)"):
            count = int(a.select_one(".count").get_text())
            after = BeautifulSoup(client.get(a["href"]).get_data(as_text=True), "html.parser")
            assert int(after.select_one(".result-count strong").get_text()) == count, (q, a["href"])
            assert after.select_one("#q")["value"] == page.select_one("#q")["value"]  # the query stays in the box
            checked += 1
    assert checked > 200


def test_facet_on_department_question_narrows(client):
    res = client.get("/api/search", query_string={"q": "妇联负责哪些措施"}).json
    counts = {v["value"]: v["count"] for v in res["facets"]["departments"]["values"]}
    for dept in ("司法局", "公安局", "民政局"):
        narrowed = client.get("/api/search", query_string={"q": "妇联负责哪些措施", "also": dept}).json
        assert narrowed["total"] == counts[dept] < res["total"]
        assert all({"妇联", dept} <= set(h["departments"]) for h in narrowed["hits"])
