"""HTML pages: home, search (with exports), departments and duty pages, clauses, overview, documents."""

from __future__ import annotations

import re
import threading
from datetime import date
from collections import OrderedDict
from pathlib import Path

from flask import Blueprint, Response, current_app, g, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from kb import exports
from kb.errors import DataDirError, IndexMissing, PlankbError, UnknownClause, UnknownDepartment, UnknownDocument
from kb.model import KIND_LABELS, KINDS, RELATIONS
from kb.search import open_searcher, short_domain
from search_app import charts
from search_app.params import FILTERS, search_args, url_args

bp = Blueprint("pages", __name__)

PAGE_SIZE = 20
MATCH_LABELS = {"assigned": "承担", "lead_in_text": "文中牵头", "shared": "共同承担", "mentioned": "文中提及", "text": ""}
GROUP_LABELS = {"assigned": "本部门承担", "lead_in_text": "文中由本部门牵头或负责", "shared": "各成员单位共同承担", "mentioned": "文中提及本部门"}
EXAMPLES = ["妇联负责哪些措施", "宫颈癌", "家暴"]
FACET_PARAM = {"kind": "kind", "domain": "domain", "departments": "dept", "doc": "doc"}
NAV = [
    ("pages.index", "检索"),
    ("pages.departments", "部门任务"),
    ("pages.overview", "总览"),
    ("pages.documents", "规划文本"),
    # INDICATORS: the lead adds ("indicators.index", "监测指标") here; base.html shows it
    # only once that endpoint is registered, so nothing half-built appears before then.
    ("indicators.index", "监测指标"),
]


NAV_SECTIONS = {"pages.search": "pages.index", "pages.department": "pages.departments", "pages.document": "pages.documents", "pages.clause": "pages.documents", "indicators.indicator": "indicators.index"}


# Rendered pages per (generation, monitoring data, URL): the site is read-only between builds and
# imports, and staff open the same duty pages and ask the same questions over and over.
PAGE_CACHE_SIZE = 1024
PAGE_CACHE_MAX_BYTES = 512 * 1024
CACHEABLE = {"pages.index", "pages.search", "pages.departments", "pages.department", "pages.clause", "pages.overview", "pages.documents", "pages.document"}
_pages: OrderedDict = OrderedDict()
_pages_lock = threading.Lock()


def _page_key():
    if request.method != "GET" or request.endpoint not in CACHEABLE or current_app.config.get("PAGE_CACHE", True) is False:
        return None
    s = get_searcher()
    monitor = Path(s.kb.path).parent / "monitor.sqlite" if s.kb.path else None
    stamp = tuple(p.stat().st_mtime_ns if p.exists() else 0 for p in (monitor, Path(f"{monitor}-wal"))) if monitor else ()
    return (s.kb.path.name if s.kb.path else "", stamp, request.full_path)


def cached_page():
    """before_request: answer a GET for a page rendered before, for the same generation and data."""
    key = _page_key()
    g.page_key = key
    if key is None:
        return None
    with _pages_lock:
        hit = _pages.get(key)
        if hit is not None:
            _pages.move_to_end(key)
    if hit is None:
        return None
    g.page_key = None
    return Response(hit[0], status=200, mimetype=hit[1])


def store_page(response):
    """after_request: keep a rendered 200 page for cached_page()."""
    key = g.pop("page_key", None)
    if key is not None and response.status_code == 200 and not response.direct_passthrough:
        body = response.get_data()
        if len(body) <= PAGE_CACHE_MAX_BYTES:
            with _pages_lock:
                _pages[key] = (body, response.mimetype)
                while len(_pages) > PAGE_CACHE_SIZE:
                    _pages.popitem(last=False)
    return response


def get_searcher():
    """The Searcher for this app's data and corpus dirs (cached by kb; reloads after a rebuild)."""
    if "searcher" not in g:
        cfg = current_app.config
        g.searcher = open_searcher(cfg.get("PLANKB_DATA"), cfg.get("PLANKB_CORPUS"), notify=current_app.logger.warning, cache_size=cfg.get("SEARCH_CACHE", 512))
    return g.searcher


def init_app(app):
    """Template helpers, error pages, and a warm start that builds a missing or stale index."""
    app.jinja_env.globals.update(kind_label=lambda k: KIND_LABELS.get(k, k), short_domain=short_domain, match_label=MATCH_LABELS.get)

    @app.context_processor
    def navigation():
        items = [(e, label) for e, label in NAV if e in app.view_functions]
        here = request.endpoint or ""
        return {"nav": items, "current_nav": NAV_SECTIONS.get(here, here)}

    app.before_request(cached_page)
    app.after_request(store_page)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(PlankbError, handle_kb_error)
    app.register_error_handler(Exception, handle_unexpected)
    if not app.config.get("TESTING"):
        with app.app_context():
            try:
                get_searcher()
            except PlankbError as exc:
                app.logger.error("知识库不可用：%s", exc)


# -- errors ------------------------------------------------------------------------
def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def error_response(status: int, message: str, suggestions=(), title=None):
    """One error shape: JSON {"ok": false, "error", "status"} for the API, error.html otherwise."""
    if wants_json():
        body = {"ok": False, "error": message, "status": status}
        if suggestions:
            body["suggestions"] = list(suggestions)
        return current_app.json.response(body), status
    titles = {400: "请求有误", 404: "没有找到", 405: "不支持的请求方式", 503: "知识库暂不可用"}
    return render_template("error.html", status=status, message=message, suggestions=list(suggestions), title=title or titles.get(status, "出错了")), status


def handle_http_error(exc: HTTPException):
    messages = {404: "没有这个页面。可以从下面的检索框或部门列表开始。", 405: "这个地址不接受这种请求方式。", 413: "请求太大。"}
    message = exc.description if exc.description and not exc.description.startswith(("The ", "Method ", "Bad ")) else messages.get(exc.code, "请求有误。")
    return error_response(exc.code or 500, message)


def handle_kb_error(exc: PlankbError):
    if isinstance(exc, UnknownDepartment):
        # A name in the path is a page that does not exist; a name in ?dept= is a bad parameter.
        status = 404 if "name" in (request.view_args or {}) else 400
        suggestions = exc.suggestions or _similar_departments(exc.name)
        message = str(exc) if wants_json() or not suggestions else f"没有名为“{exc.name}”的部门。"
        return error_response(status, message, suggestions, "没有这个部门")
    if isinstance(exc, (UnknownClause, UnknownDocument)):
        return error_response(404, str(exc))
    if isinstance(exc, (IndexMissing, DataDirError)):
        return error_response(503, str(exc))
    return error_response(400, str(exc))


def handle_unexpected(exc: Exception):
    current_app.logger.exception("unexpected error on %s", request.path)
    return error_response(500, "服务器内部错误，请稍后再试或联系管理员。")


def _similar_departments(name: str) -> list[str]:
    """Departments sharing characters with a name, for a 404 that helps (registry.suggest found none)."""
    try:
        kb = get_searcher().kb
    except PlankbError:
        return []
    chars = set(name)
    scored = sorted(((len(chars & set(d + (kb.registry.get(d).full if kb.registry.get(d) else ""))), d) for d in kb.department_names()), key=lambda p: -p[0])
    return [d for n, d in scored if n >= 1][:5]


# -- search ------------------------------------------------------------------------
def run_search(params: dict, limit=PAGE_SIZE, highlights=True) -> dict:
    """Search with clamped paging: a page past the end shows the last page."""
    s = get_searcher()
    call = dict(params)
    query = call.pop("query")
    args = dict(dept=call["dept"] or None, kind=call["kind"] or None, domain=call["domain"] or None, doc=call["doc"] or None, literal=call["literal"], also=call.get("also") or None)
    res = s.search(query, page=call["page"], limit=limit, highlights=highlights, **args)
    if limit and res["total"] and not res["hits"]:
        last = (res["total"] - 1) // limit + 1
        res = s.search(query, page=last, limit=limit, **args)
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
        broader.append({"label": f"只检索“{' '.join(it['keywords'])}”，不加筛选" if it["keywords"] else "查看全部条款", "url": url_for("pages.search", q=" ".join(it["keywords"]) or None, literal="1" if it["keywords"] else None)})
    for k in it["keywords"]:
        if len(it["keywords"]) > 1:
            broader.append({"label": f"只检索“{k}”", "url": url_for("pages.search", q=k)})
    if params["query"].strip() and not it["literal"]:
        broader.append({"label": f"按字面检索“{params['query'].strip()}”", "url": url_for("pages.search", q=params["query"].strip(), literal="1")})
    return {"departments": near[:5], "synonyms": similar_terms(get_searcher(), it["keywords"]), "broader": broader[:5], "examples": [{"label": e, "url": url_for("pages.search", q=e)} for e in EXAMPLES]}


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


@bp.route("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico on their own; answer with the SVG icon instead of a 404."""
    return redirect(url_for("static", filename="favicon.svg"), 301)


@bp.route("/")
def index():
    """Home: search box, examples, department picker, the domains and the plan in numbers."""
    kb = get_searcher().kb
    counts = kb.kind_counts()
    departments = [r["department"] for r in kb.department_counts()]
    stats = {"documents": len(kb.documents), "clauses": len(kb.clauses), "goals": counts["goal"], "measures": counts["measure"], "departments": len(departments)}
    domains = [{"domain": d, "label": short_domain(d), "count": sum(1 for c in kb.clauses if c.domain == d and c.kind in ("goal", "measure"))} for d in kb.domains()]
    return render_template("index.html", kb=kb, stats=stats, domains=domains, departments=departments, examples=EXAMPLES)


@bp.route("/search")
def search():
    """Search results with interpreted filters as chips, facets, highlights and paging."""
    params = search_args()
    if not params["query"].strip() and not any(params[k] for k in FILTERS):
        return render_template("search.html", params=params, res=None, view=None)
    res = run_search(params)
    # Links carry the query as kb read it (cleaned, at most 200 characters), not as sent.
    params = dict(params, query=res["query"])
    return render_template("search.html", params=params, res=res, view=decorate(params, res), today=date.today().isoformat(), titles={d.id: d.title for d in get_searcher().kb.documents}, is_group=get_searcher().kb.registry.is_group)


@bp.route("/search/export.<any(xlsx, docx, csv):ext>")
def search_export(ext):
    """Every hit of the current search as Excel, Word or CSV, with the query and how it was read."""
    params = search_args()
    params["page"] = 1
    kb = get_searcher().kb
    res = run_search(params, limit=None, highlights=False)
    titles = {d.id: d.title for d in kb.documents}
    label = res["query"][:30].strip() or res["interpreted"]["description"][:30] or "全部"
    body = {"xlsx": exports.results_xlsx, "docx": exports.results_docx, "csv": exports.results_csv}[ext](res, titles)
    return download(body, MIMES[ext], f"检索结果-{label}.{ext}")


MIMES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "csv": "text/csv",
}


def download(body: bytes, mime: str, name: str) -> Response:
    resp = Response(body, mimetype=mime)
    resp.headers["Content-Disposition"] = exports.content_disposition(name)
    resp.headers["Cache-Control"] = "no-store"
    return resp


# -- departments ------------------------------------------------------------------------
@bp.route("/departments")
def departments():
    """Every department with its counts, a sortable table and a bar chart."""
    name = request.args.get("name", "").strip()
    if name:
        return redirect(url_for("pages.department", name=name[:100]))
    kb = get_searcher().kb
    doc = request.args.get("doc") or None
    rows = sorted(kb.department_counts(doc), key=lambda r: (-r["assigned"], -r["lead_in_text"], r["department"]))
    # A column with the same number on every row (every unit is a 妇儿工委 member) says nothing.
    columns = [k for k in ("lead_in_text", "shared", "mentioned") if len({r[k] for r in rows}) > 1]
    labels = {"lead_in_text": "文中牵头", "shared": "共同承担", "mentioned": "提及"}
    return render_template("departments.html", rows=rows, columns=columns, column_labels=labels, chart=charts.bar_chart(rows), doc=doc)


@bp.route("/departments/<path:name>")
def department(name):
    """A department's duty page: assigned clauses by domain, then shared and mentioned ones."""
    kb = get_searcher().kb
    doc = request.args.get("doc") or None
    duties = kb.duties(name[:100], doc)
    dept = duties["department"]
    assigned = group_by_domain(duties["assigned"])
    info = kb.registry.get(dept)
    links = {ext: url_for("pages.department_export", name=dept, ext=ext, doc=doc) for ext in ("xlsx", "docx", "csv")}
    counts = {k: len(duties[k]) for k in RELATIONS}
    counts["goals"] = sum(1 for c in duties["assigned"] if c.kind == "goal")
    counts["measures"] = sum(1 for c in duties["assigned"] if c.kind == "measure")
    return render_template(
        "department.html", dept=dept, info=info, duties=duties, assigned=assigned, counts=counts, links=links, doc=doc,
        title=exports.export_title(kb, doc), asked=name if name != dept else None, is_group=kb.registry.is_group,
        other_levels=[{"name": n, "level": kb.registry.level_of(n)} for n in kb.other_levels(dept)],
    )


def group_by_domain(clauses) -> list[dict]:
    """Clauses grouped by domain in document order, goals before measures within each."""
    groups: dict[str, list] = {}
    for c in clauses:
        groups.setdefault(c.domain or c.part_title or "其他", []).append(c)
    order = {k: i for i, k in enumerate(KINDS)}
    return [{"domain": d, "label": short_domain(d), "clauses": sorted(cs, key=lambda c: (order.get(c.kind, 9), c.order))} for d, cs in groups.items()]


@bp.route("/departments/<path:name>/export.<any(xlsx, docx, csv):ext>")
def department_export(name, ext):
    """A department's duty list as Excel, Word (公文 style) or CSV, with a Chinese file name."""
    kb = get_searcher().kb
    doc = request.args.get("doc") or None
    duties = kb.duties(name[:100], doc)
    title = exports.export_title(kb, doc)
    titles = {d.id: d.title for d in kb.documents}
    if ext == "xlsx":
        body = exports.duties_xlsx(duties, title, titles)
    elif ext == "docx":
        body = exports.duties_docx(duties, title)
    else:
        body = exports.duties_csv(duties, titles)
    return download(body, MIMES[ext], exports.filename(title, duties["department"], ext))


@bp.route("/departments.<any(xlsx, csv):ext>")
def departments_export(ext):
    """The departments table as Excel or CSV."""
    kb = get_searcher().kb
    doc = request.args.get("doc") or None
    header, rows = exports.departments_rows(sorted(kb.department_counts(doc), key=lambda r: (-r["goals"] - r["measures"] - r["other"], -r["shared"])))
    title = f"{exports.export_title(kb, doc)}　各部门任务统计　导出日期：{exports.cn_date()}"
    body = exports.table_xlsx(title, "部门", header, rows) if ext == "xlsx" else exports.to_csv(header, rows)
    return download(body, MIMES[ext], f"{exports.filename_part(exports.export_title(kb, doc).split('（')[0])}-部门统计.{ext}")


@bp.route("/overview.<any(xlsx, csv):ext>")
def overview_export(ext):
    """The department × domain overview as Excel or CSV."""
    kb = get_searcher().kb
    doc = request.args.get("doc") or None
    header, rows = exports.matrix_rows(kb.department_matrix(doc))
    title = f"{exports.export_title(kb, doc)}　部门 × 领域承担目标和措施数　导出日期：{exports.cn_date()}"
    body = exports.table_xlsx(title, "部门×领域", header, rows) if ext == "xlsx" else exports.to_csv(header, rows)
    return download(body, MIMES[ext], f"{exports.filename_part(exports.export_title(kb, doc).split('（')[0])}-部门领域总览.{ext}")


# -- clauses, overview, documents ------------------------------------------------------------
def permalink(path: str) -> str:
    """An address to share: PLANKB_BASE_URL + path when configured, else the path (never the request's Host)."""
    base = (current_app.config.get("PLANKB_BASE_URL") or "").rstrip("/")
    return base + path


@bp.route("/clauses/<path:clause_id>")
def clause(clause_id):
    """One clause: full text, citation, departments, neighbours and a permalink."""
    kb = get_searcher().kb
    c = kb.clause(clause_id[:200])
    prev, nxt = kb.siblings(c)
    mentioned = kb.mentions.get(c.id, [])
    return render_template(
        "clause.html", c=c, doc=kb.docs.get(c.doc), prev=prev, next=nxt, mentioned=mentioned, indicators=clause_indicator_links(c),
        permalink=permalink(url_for("pages.clause", clause_id=c.id)), is_group=kb.registry.is_group,
        members=[m for d in c.departments if kb.registry.is_group(d) for m in kb.registry.members(d)],
    )


def clause_indicator_links(c) -> list[dict]:
    """The indicators a clause sets, each with its page (when the indicator pages are served)."""
    from kb import indicators as ki

    if "indicators.indicator" not in current_app.view_functions:
        return []
    return [{"name": ind.name, "url": url_for("indicators.indicator", indicator_id=ind.id)} for ind in ki.clause_indicators(c)]


@bp.route("/overview")
def overview():
    """Who carries what: a department × domain heat map and per-domain counts."""
    kb = get_searcher().kb
    matrix = kb.department_matrix()
    domains = []
    for j, d in enumerate(matrix["domains"]):
        goals = sum(1 for c in kb.clauses if c.domain == d and c.kind == "goal")
        measures = sum(1 for c in kb.clauses if c.domain == d and c.kind == "measure")
        involved = sum(1 for r in matrix["rows"] if r["cells"][j])
        lead = max(matrix["rows"], key=lambda r: r["cells"][j])["department"] if matrix["rows"] else ""
        domains.append({"domain": d, "label": short_domain(d), "goals": goals, "measures": measures, "departments": involved, "lead": lead})
    return render_template("overview.html", heat=charts.heat_map(matrix), domains=domains)


@bp.route("/documents")
def documents():
    """The plans in the knowledge base with their clause counts."""
    kb = get_searcher().kb
    rows = []
    for d in kb.documents:
        counts = kb.kind_counts(d.id)
        rows.append({"doc": d, "counts": counts, "total": sum(counts.values())})
    return render_template("documents.html", rows=rows)


@bp.route("/documents/<doc_id>")
def document(doc_id):
    """The whole plan to read: headings, clauses with anchors, sub-items, tags; the document block."""
    kb = get_searcher().kb
    d = kb.document(doc_id[:200])
    blocks = reading_blocks(kb, d.id)
    contents = [b for b in blocks if b["type"] == "heading" and b["level"] in ("part", "section")]
    return render_template("document.html", d=d, blocks=blocks, contents=contents, original=kb.source_path(d.id), is_group=kb.registry.is_group)


@bp.route("/documents/<doc_id>/original")
def document_original(doc_id):
    """The original plan file as this generation read it, as a download."""
    kb = get_searcher().kb
    d = kb.document(doc_id[:200])
    path = kb.source_path(d.id)
    if path is None:
        raise UnknownDocument(d.id, list(kb.docs))
    name = f"{d.title}{path.suffix}" if d.title else path.name
    # Sent as kept, in its own encoding: no charset is claimed for it.
    resp = Response(path.read_bytes(), content_type=MIME.get(path.suffix.lower(), "application/octet-stream"))
    resp.headers["Content-Disposition"] = exports.content_disposition(name)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


MIME = {
    ".txt": "text/plain", ".html": "text/html", ".htm": "text/html", ".pdf": "application/pdf", ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".wps": "application/octet-stream",
}
RE_SUBITEM = re.compile(r"(?=（\d{1,2}）|\(\d{1,2}\)|[①②③④⑤⑥⑦⑧⑨⑩])")


def reading_blocks(kb, doc_id: str) -> list[dict]:
    """Headings and clauses of a document in reading order, each clause once, split into sub-items."""
    items = [(h.line, 0, i, {"type": "heading", "level": h.level, "text": (h.marker + re.sub(r"\s{2,}", "", h.text)).strip(), "anchor": f"h{h.line}"}) for i, h in enumerate(kb.headings) if h.doc == doc_id]
    for i, c in enumerate(kb.clauses):
        if c.doc != doc_id:
            continue
        paras = []
        for chunk in (x.strip() for x in c.text.split("\n")):
            parts = [p.strip() for p in RE_SUBITEM.split(chunk) if p.strip()]
            if parts:
                paras.append({"text": parts[0], "items": parts[1:]})
        items.append((c.line, 1, i, {"type": "clause", "clause": c, "paras": paras or [{"text": c.text, "items": []}]}))
    items.sort(key=lambda x: (x[0], x[1], x[2]))
    return [b for *_, b in items]
