"""HTML pages: home, search (with exports), departments and duty pages, clauses, overview, documents.

The app's state (searchers, page cache) is in ``search_app.state``, error pages in ``search_app.errors``.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for

from kb import exports
from kb.errors import UnknownDocument
from kb.model import KIND_LABELS, KINDS, RELATIONS
from kb.search import short_domain
from search_app import charts
from search_app.params import FILTERS, search_args
from search_app.results import EXAMPLES, decorate, run_search
from search_app.state import get_searcher

bp = Blueprint("pages", __name__)

MATCH_LABELS = {"assigned": "承担", "lead_in_text": "文中牵头", "shared": "共同承担", "mentioned": "文中提及", "text": ""}
NAV = [
    ("pages.index", "检索"),
    ("pages.departments", "部门任务"),
    ("pages.overview", "总览"),
    ("pages.documents", "规划文本"),
    ("indicators.index", "监测指标"),
]


NAV_SECTIONS = {
    "pages.search": "pages.index", "pages.department": "pages.departments", "pages.document": "pages.documents",
    "pages.clause": "pages.documents", "indicators.indicator": "indicators.index",
}


def init_app(app):
    """Template helpers and the navigation of every page."""
    app.jinja_env.globals.update(kind_label=lambda k: KIND_LABELS.get(k, k), short_domain=short_domain, match_label=MATCH_LABELS.get)

    @app.context_processor
    def navigation():
        items = [(e, label) for e, label in NAV if e in app.view_functions]
        here = request.endpoint or ""
        return {"nav": items, "current_nav": NAV_SECTIONS.get(here, here)}


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
    kb = get_searcher().kb
    return render_template(
        "search.html", params=params, res=res, view=decorate(params, res), today=date.today().isoformat(),
        titles={d.id: d.title for d in kb.documents}, is_group=kb.registry.is_group,
    )


@bp.route("/search/export.<any(xlsx, docx, csv):ext>")
def search_export(ext):
    """Every hit of the current search as Excel, Word or CSV, with the query and how it was read."""
    params = search_args()
    params["page"] = 1
    kb = get_searcher().kb
    res = run_search(params, limit=None, highlights=False, facets=False)
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
    data = kb.source_bytes(d.id)
    if data is None:
        raise UnknownDocument(d.id, list(kb.docs))
    path = Path(d.source)
    name = f"{d.title}{path.suffix}" if d.title else path.name
    # Sent as kept; a text file names the encoding it was read in, so a browser shows it right.
    mime = MIME.get(path.suffix.lower(), "application/octet-stream")
    if mime.startswith("text/") and d.encoding:
        mime += f"; charset={d.encoding}"
    resp = Response(data, content_type=mime)
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
    items = [
        (h.line, 0, i, {
            "type": "heading", "level": h.level, "text": (h.marker + re.sub(r"\s{2,}", "", h.text)).strip(),
            "anchor": f"h{h.line}",
        })
        for i, h in enumerate(kb.headings) if h.doc == doc_id
    ]
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
    blocks: list[dict] = []
    for line, _, _, b in items:
        # Sentence groups of one paragraph (several tags in it) are clauses of one source line: shown as
        # that paragraph, whole, each group with its own anchor, tag and link.
        prev = blocks[-1] if blocks else None
        if b["type"] == "clause" and prev and prev["type"] in ("clause", "sentences") and prev["line"] == line:
            if prev["type"] == "clause":
                blocks[-1] = prev = {"type": "sentences", "line": line, "clauses": [prev["clause"]]}
            prev["clauses"].append(b["clause"])
            continue
        blocks.append({**b, "line": line})
    return blocks
