"""The search result page's links: facet toggles, filter chips, the pager and help for an empty
result — the app's part of "facets are data" (kb.search returns the values, this adds the URLs)."""

from __future__ import annotations

import re

from flask import url_for

from kb.model import KIND_LABELS
from kb.search import short_domain
from search_app.params import FILTERS, url_args
from search_app.state import get_searcher

PAGE_SIZE = 20
EXAMPLES = ["妇联负责哪些措施", "宫颈癌", "家暴"]
FACET_PARAM = {"kind": "kind", "domain": "domain", "departments": "dept", "doc": "doc"}


def run_search(params: dict, limit=PAGE_SIZE, highlights=True, facets=True) -> dict:
    """Search with clamped paging: a page past the end shows the last page."""
    s = get_searcher()
    call = dict(params)
    query = call.pop("query")
    args = dict(
        dept=call["dept"] or None, kind=call["kind"] or None, domain=call["domain"] or None, doc=call["doc"] or None,
        literal=call["literal"], also=call.get("also") or None,
    )
    res = s.search(query, page=call["page"], limit=limit, highlights=highlights, facets=facets, **args)
    if limit and res["total"] and not res["hits"]:
        last = (res["total"] - 1) // limit + 1
        res = s.search(query, page=last, limit=limit, highlights=highlights, facets=facets, **args)
    return res


def normalised(params: dict, res: dict) -> dict:
    """The search as explicit filters: what the query text was read as becomes parameters.

    Chips and facet toggles start from this so removing 部门：妇联 from
    “妇联负责哪些措施” keeps the other filters and the remaining keywords.
    """
    it = res["interpreted"]
    base = {"query": params["query"], "literal": params["literal"], "page": 1, "also": list(params.get("also") or [])}
    if it.get("all_departments"):
        # 妇联和教育局共同负责…: explicit dept= values mean any of them, so keep the words.
        base.update({k: list(params[k]) for k in FILTERS})
        return base
    if it["mode"] == "department-bare" or not it["recognised"]:
        base.update({k: list(params[k]) for k in FILTERS})
        base["dept"] = list(it["departments"]) if it["mode"] != "department-bare" else list(params["dept"])
        return base
    base["query"] = " ".join(it["keywords"])
    base.update({"dept": list(it["departments"]), "kind": list(it["kinds"]), "domain": list(it["domains"]), "doc": list(it["docs"])})
    return base


def without(base: dict, key: str, value: str) -> dict:
    out = {k: (list(v) if isinstance(v, list) else v) for k, v in base.items()}
    if key == "dept" and not out["dept"] and value in out["query"]:
        out["query"] = ""  # the department-bare query is the name itself
    elif value in out[key]:
        out[key].remove(value)
    return out


def with_value(base: dict, key: str, value: str) -> dict:
    out = {k: (list(v) if isinstance(v, list) else v) for k, v in base.items()}
    if value not in out[key]:
        out[key].append(value)
    return out


def narrowed(params: dict, key: str, value: str) -> dict:
    """The search as typed plus one more facet value: the current result narrowed to it.

    The query stays as typed; a department goes to also= (tagged as well as whatever else the
    query asks), so the click returns exactly the count the facet showed.
    """
    return with_value(dict(params, page=1, also=list(params.get("also") or [])), "also" if key == "dept" else key, value)


def decorate(params: dict, res: dict) -> dict:
    """Toggle URLs for facets and chips, pager links: the app's part of 'facets are data'."""
    base = normalised(params, res)
    bare = res["interpreted"]["mode"] == "department-bare"
    facets = {}
    for name, facet in res["facets"].items():
        # Copies: the result may be shared through the search cache.
        key = FACET_PARAM[name]
        values = []
        for v in facet["values"]:
            if v["selected"] and key == "dept" and v["value"] in params.get("also", []):
                target = without(dict(params, page=1), "also", v["value"])
            else:
                target = without(base, key, v["value"]) if v["selected"] else narrowed(params, key, v["value"])
            values.append(dict(v, url=url_for("pages.search", **url_args(target))))
        facets[name] = dict(facet, values=values)
    it = res["interpreted"]
    chips = []
    for d in it["departments"]:
        if it.get("all_departments"):
            target = dict(base, query=re.sub(r"\s+", " ", base["query"].replace(d, " ")).strip())  # the question without this unit
        else:
            target = without(base, "dept", d) if not bare else dict(base, query="")
        chips.append({"label": f"部门：{d}", "url": url_for("pages.search", **url_args(target))})
    for d in it.get("also", []):
        chips.append({"label": f"并且：{d}", "url": url_for("pages.search", **url_args(without(dict(params, page=1), "also", d)))})
    for k in it["kinds"]:
        chips.append({"label": f"类别：{KIND_LABELS.get(k, k)}", "url": url_for("pages.search", **url_args(without(base, "kind", k)))})
    for d in it["domains"]:
        chips.append({"label": f"领域：{short_domain(d)}", "url": url_for("pages.search", **url_args(without(base, "domain", d)))})
    titles = {doc.id: doc.title for doc in get_searcher().kb.documents}
    for d in it["docs"]:
        chips.append({"label": f"文档：{titles.get(d, d)}", "url": url_for("pages.search", **url_args(without(base, "doc", d)))})
    literal_url = None
    if (it["recognised"] or it.get("reading")) and not it["literal"]:
        literal_url = url_for("pages.search", q=params["query"], literal="1")
    limit = res["limit"] or PAGE_SIZE
    pages = max(1, (res["total"] - 1) // limit + 1) if res["total"] else 1
    current = dict(params, page=res["page"])
    window = sorted({1, pages, *range(max(1, res["page"] - 2), min(pages, res["page"] + 2) + 1)})
    pager = {"page": res["page"], "pages": pages, "items": [], "prev": None, "next": None}
    last = 0
    for p in window:
        if p - last > 1:
            pager["items"].append({"gap": True})
        pager["items"].append({"page": p, "url": url_for("pages.search", **url_args(dict(current, page=p))), "current": p == res["page"]})
        last = p
    if res["page"] > 1:
        pager["prev"] = url_for("pages.search", **url_args(dict(current, page=res["page"] - 1)))
    if res["page"] < pages:
        pager["next"] = url_for("pages.search", **url_args(dict(current, page=res["page"] + 1)))
    export_args = url_args(dict(params, page=1))
    full = res.get("full_matches", res["total"])
    return {
        "partial": res["total"] - full if it["keywords"] and full < res["total"] else 0,
        "divider_at": full - (res["page"] - 1) * limit,  # index on this page where partial matches begin
        "facets": facets,
        "chips": chips,
        "literal_url": literal_url,
        "pager": pager,
        "first": (res["page"] - 1) * limit + 1,
        "export": {ext: url_for("pages.search_export", ext=ext, **export_args) for ext in ("xlsx", "docx", "csv")},
        "help": no_result_help(params, res) if not res["total"] else None,
    }


def no_result_help(params: dict, res: dict) -> dict:
    """Closest department names, synonyms and broader queries for an empty result."""
    kb = get_searcher().kb
    it = res["interpreted"]
    words = [w for w in re.split(r"\s+", params["query"]) if w]
    near = []
    for w in words[:3]:
        for d in kb.registry.suggest(w, 3):
            if d not in near and d in kb.department_names():
                near.append(d)
    broader = []
    if any(params[k] for k in FILTERS) or it["departments"] or it["kinds"] or it["domains"]:
        words = " ".join(it["keywords"])
        broader.append({
            "label": f"只检索“{words}”，不加筛选" if words else "查看全部条款",
            "url": url_for("pages.search", q=words or None, literal="1" if words else None),
        })
    for k in it["keywords"]:
        if len(it["keywords"]) > 1:
            broader.append({"label": f"只检索“{k}”", "url": url_for("pages.search", q=k)})
    if params["query"].strip() and not it["literal"]:
        broader.append({"label": f"按字面检索“{params['query'].strip()}”", "url": url_for("pages.search", q=params["query"].strip(), literal="1")})
    return {
        "departments": near[:5], "synonyms": similar_terms(get_searcher(), it["keywords"]), "broader": broader[:5],
        "examples": [{"label": e, "url": url_for("pages.search", q=e)} for e in EXAMPLES],
    }


def similar_terms(searcher, keywords) -> list[dict]:
    """Synonym-list terms sharing two characters in a row with a keyword and found in the plan."""
    terms = {t for k, vs in searcher.synonyms.items() for t in (k, *vs)}
    out = []
    for k in keywords:
        pairs = {k[i : i + 2] for i in range(len(k) - 1)}
        for t in sorted(terms):
            if t != k and any(p in t for p in pairs) and searcher.index.contains(t) and t not in [o["label"] for o in out]:
                out.append({"label": t, "url": url_for("pages.search", q=t)})
    return out[:5]


