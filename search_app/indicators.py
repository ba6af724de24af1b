"""监测指标: the plan's targets with their reported yearly values, status, warnings and trend charts.

Read-only: values come in through ``plankb monitor import``; these pages only read
``monitor.sqlite`` (no file means no data). Charts are inline SVG drawn on the server:
the functions below return geometry and the templates only loop over it.
"""

from __future__ import annotations

import math
import sqlite3
from contextlib import contextmanager

from flask import Blueprint, abort, current_app, g, jsonify, render_template, request, url_for

from kb import exports
from kb import indicators as ki
from kb import monitor as km
from kb.errors import UnknownDepartment
from kb.search import short_domain
from kb.store import default_data
from search_app.errors import error_response, similar_departments, wants_json
from search_app.routes import MIMES, download
from search_app.state import get_searcher

bp = Blueprint("indicators", __name__)

STATUS_CLASS = {km.MET: "met", km.NOT_MET: "unmet", km.NO_DATA: "nodata"}
STATUS_SYMBOL = {km.MET: "✓", km.NOT_MET: "✗", km.NO_DATA: "–"}
# Table sort order: what needs attention first.
STATUS_RANK = {km.NOT_MET: 0, km.MET: 1, km.NO_DATA: 2}
STATUSES = (km.MET, km.NOT_MET, km.NO_DATA)
FLAG_CLASS = {km.WARN: "warn", km.VOLATILE: "volatile"}
FLAG_TITLE = {km.WARN: "按现有趋势外推，规划末年达不到目标", km.VOLATILE: "年度数值变化异常大"}


def data_dir():
    """The data dir the app reads (config, else the one beside the configured corpus)."""
    cfg = current_app.config
    return cfg.get("PLANKB_DATA") or default_data(cfg.get("PLANKB_CORPUS"))


def text_arg(name: str) -> str | None:
    """A single filter parameter, trimmed and bounded; None when absent."""
    return request.args.get(name, "").replace("\x00", "").strip()[:100] or None


def period(kb, doc_id: str) -> tuple[int, int]:
    """First and last year of a plan (2021–2030 when the plan does not say)."""
    doc = kb.docs.get(doc_id)
    if doc and doc.start_year and doc.end_year:
        return doc.start_year, doc.end_year
    return km.DEFAULT_YEARS


@contextmanager
def read_monitor():
    """The app's monitoring store, read-only; a damaged file is a MonitorError (503), not a 500."""
    try:
        with km.open_monitor(data_dir(), readonly=True) as mon:
            g.monitor_warning = mon.warning  # values the page could not read: shown as a banner
            yield mon
    except sqlite3.DatabaseError as exc:
        raise km.MonitorError(f"监测数据库无法读取：{exc}") from None


def load_status(kb, dept=None, doc=None, domain=None) -> list[dict]:
    """kb.monitor.status over the app's read-only monitoring store."""
    with read_monitor() as mon:
        return km.status(kb, mon, dept=dept, doc=doc, domain=domain)


def decorate(kb, row: dict) -> dict:
    """What a table row shows besides kb's status: badge classes, flags, the sparkline."""
    ind = row["indicator"]
    return {
        **row,
        "status_class": STATUS_CLASS[row["status"]],
        "status_symbol": STATUS_SYMBOL[row["status"]],
        "rank": STATUS_RANK[row["status"]],
        "flags": [{"label": w, "class": FLAG_CLASS.get(w, "warn"), "title": FLAG_TITLE.get(w, "")} for w in row["warnings"]],
        "spark": sparkline(row, *period(kb, ind["doc"])),
    }


def split_rows(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """Numeric targets first, then qualitative (direction-only) ones."""
    return [r for r in rows if r["indicator"]["value"] is not None], [r for r in rows if r["indicator"]["value"] is None]


def summarise(rows: list[dict]) -> dict:
    """Counts for the summary tiles."""
    out = {s: sum(1 for r in rows if r["status"] == s) for s in (km.MET, km.NOT_MET, km.NO_DATA)}
    out.update({w: sum(1 for r in rows if w in r["warnings"]) for w in (km.WARN, km.VOLATILE)})
    return out


def indicator_departments(kb, indicators) -> list[str]:
    """Departments (in registry order) that carry at least one indicator, for the picker."""
    named = {d for i in indicators for d in i.departments}
    return [d for d in kb.department_names() if d in named and not kb.registry.is_group(d)]


# -- pages --------------------------------------------------------------------------
class BadFilter(Exception):
    """A filter value the page cannot apply; carries the response to send."""

    def __init__(self, response):
        super().__init__("bad filter")
        self.response = response


def filtered_rows(kb) -> tuple[dict, list[dict], list[dict]]:
    """The request's filters (dept, domain, status, doc), every row they select before the status
    filter (for the tiles), and the rows shown: what needs attention first, 无数据 last, plan order within."""
    dept, domain, doc, status = text_arg("dept"), text_arg("domain"), text_arg("doc"), text_arg("status")
    if dept:
        try:
            dept = kb.resolve_department(dept)
        except UnknownDepartment as exc:
            suggestions = exc.suggestions or similar_departments(exc.name)
            message = f"没有名为“{exc.name}”的部门，无法列出它的监测指标。"
            raise BadFilter(error_response(404, message, suggestions, "没有这个部门")) from None
    domains = kb.domains(doc)
    if domain and domain not in domains:
        abort(404, f"没有名为“{domain}”的领域。规划的领域有：{'、'.join(domains)}。")
    if status and status not in STATUS_RANK:
        abort(400, f"没有“{status}”这种状态，可选：{'、'.join(STATUSES)}。")
    every = [decorate(kb, r) for r in load_status(kb, dept=dept, doc=doc, domain=domain)]
    shown = sorted((r for r in every if not status or r["status"] == status), key=lambda r: r["rank"])
    return {"dept": dept, "domain": domain, "doc": doc, "status": status}, every, shown


@bp.route("/indicators")
def index():
    """The indicators with target, latest value, status and trend; filter by department, domain and status."""
    kb = get_searcher().kb
    try:
        filters, every, rows = filtered_rows(kb)
    except BadFilter as exc:
        return exc.response
    numeric, qualitative = split_rows(rows)
    extracted = ki.extract(kb, doc=filters["doc"])
    pickers = {
        "departments": indicator_departments(kb, extracted),
        "domains": [
            {"value": d, "label": short_domain(d)} for d in kb.domains(filters["doc"]) if any(i.domain == d for i in extracted)
        ],
        "statuses": STATUSES,
    }
    chosen = {k: v for k, v in filters.items() if v}
    links = {ext: url_for("indicators.download", ext=ext, **chosen) for ext in ("xlsx", "csv")}
    return render_template(
        "indicators.html", numeric=numeric, qualitative=qualitative, summary=summarise(every), **filters, links=links,
        pickers=pickers, filtered=any(filters[k] for k in ("dept", "domain", "status")), is_group=kb.registry.is_group,
        years=period(kb, filters["doc"] or (kb.documents[0].id if kb.documents else "")),
    )


@bp.route("/indicators.<any(xlsx, csv):ext>")
def download(ext):
    """The indicators table as shown (same filters and order) with latest value and status, as Excel or CSV."""
    kb = get_searcher().kb
    try:
        filters, _, rows = filtered_rows(kb)
    except BadFilter as exc:
        return exc.response
    title = exports.export_title(kb, filters["doc"])
    titles = {d.id: d.title for d in kb.documents}
    indicators = [r["indicator"] for r in rows]
    statuses = {r["indicator"]["id"]: r for r in rows}
    if ext == "xlsx":
        body = exports.indicators_xlsx(indicators, title, titles, statuses)
    else:
        body = exports.to_csv(*exports.indicator_rows(indicators, titles, statuses))
    parts = (title.split("（")[0], filters["dept"], filters["status"], "监测指标")
    name = "-".join(exports.filename_part(x) for x in parts if x)
    return download(body, MIMES[ext], f"{name}.{ext}")


@bp.route("/indicators/<path:indicator_id>")
def indicator(indicator_id):
    """One indicator: chart of values against target and 2030 projection, values by year, source clause."""
    kb = get_searcher().kb
    ind = ki.get(kb, indicator_id[:200])
    with read_monitor() as mon:
        observations = mon.observations(ind.id)
        history = mon.history(ind.id)
    start, end = period(kb, ind.doc)
    assessed = km.assess(ind, [(o.year, o.value) for o in observations], end)
    row = decorate(kb, {"indicator": ind.to_dict(), **assessed})
    return render_template(
        "indicators_detail.html", ind=ind, row=row, chart=trend_chart(ind, assessed, start, end), years=year_rows(ind, observations, assessed),
        history=[{**h, "value": fmt(h["value"])} for h in history], clause=kb.clause(ind.clause), doc=kb.docs.get(ind.doc), is_group=kb.registry.is_group,
        comparator=ki.COMPARATOR_LABELS.get(ind.comparator, ""), direction=ki.DIRECTION_LABELS.get(ind.direction, ""),
    )


def year_rows(ind, observations, assessed) -> list[dict]:
    """The values table: year, value, change on the previous report, met or not, who reported it."""
    fluct = set(assessed["fluctuations"])
    out, prev = [], None
    for o in observations:
        met = km.is_met(ind, o.value, prev) if (ind.numeric or prev is not None) else None
        out.append({
            "year": o.year, "value": km._num(o.value), "change": None if prev is None else _round(o.value - prev),
            "met": met, "volatile": o.year in fluct, "department": o.department, "source": o.source, "note": o.note,
        })
        prev = o.value
    return out


@bp.app_template_global()
def print_date() -> str:
    """Today in Chinese, for the date a printed page shows."""
    return exports.cn_date()


@bp.app_template_global()
def department_indicators(dept: str, doc: str | None = None) -> list[dict]:
    """A department's indicators with status for its duty page; empty if the store cannot be read."""
    kb = get_searcher().kb
    try:
        rows = load_status(kb, dept=dept, doc=doc)
    except km.MonitorError as exc:
        current_app.logger.error("监测数据不可用：%s", exc)
        return []
    numeric, qualitative = split_rows([decorate(kb, r) for r in rows])
    return numeric + qualitative


# -- JSON -----------------------------------------------------------------------------
@bp.route("/api/indicators")
def api_index():
    """The indicators as ``plankb indicators --format json`` gives them; ?dept=, ?doc=, ?domain=."""
    kb = get_searcher().kb
    domain = text_arg("domain")
    found = ki.extract(kb, dept=text_arg("dept"), doc=text_arg("doc"))
    return jsonify([i.to_dict() for i in found if not domain or i.domain == domain])


@bp.route("/api/indicators/<path:indicator_id>")
def api_indicator(indicator_id):
    """One indicator with its status, warnings, projection and yearly values (with reporter, source, note)."""
    kb = get_searcher().kb
    ind = ki.get(kb, indicator_id[:200])
    with read_monitor() as mon:
        observations = mon.observations(ind.id)
    assessed = km.assess(ind, [(o.year, o.value) for o in observations], period(kb, ind.doc)[1])
    series = [{"year": o.year, "value": km._num(o.value), "department": o.department, "source": o.source, "note": o.note} for o in observations]
    return jsonify({"indicator": ind.to_dict(), **assessed, "series": series})


@bp.app_errorhandler(ki.UnknownIndicator)
def unknown_indicator(exc):
    return error_response(404, f"{exc}。可以在监测指标列表中查找。" if not wants_json() else str(exc), title="没有这个指标")


@bp.app_errorhandler(km.MonitorError)
def monitor_unavailable(exc):
    current_app.logger.error("监测数据不可用：%s", exc)
    return error_response(503, "监测数据暂时无法读取，请稍后再试或联系管理员。")


# -- chart geometry -----------------------------------------------------------------
def _round(v: float) -> float | int:
    return km._num(round(v, 4))


def fmt(v) -> str:
    """A number as the tables show it: no trailing zeros, at most 2 decimals."""
    return f"{round(v, 2):g}" if v is not None else "—"


def nice_step(span: float, ticks: int = 5) -> float:
    """A round tick step (1, 2, 2.5 or 5 × 10^n) giving about ``ticks`` intervals."""
    raw = span / ticks if span > 0 else 1
    mag = 10 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)


def value_range(values: list[float], unit: str, nice: bool = False) -> tuple[float, float]:
    """A y range around the values with some room; percentages stay within 0–100."""
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.12 or abs(hi) * 0.1 or 1
    lo, hi = lo - pad, hi + pad
    cap = km.UNIT_MAX.get(unit)
    lo = max(lo, 0) if min(values) >= 0 else lo
    hi = min(hi, cap) if cap and max(values) <= cap else hi
    if nice:
        step = nice_step(hi - lo)
        lo, hi = math.floor(lo / step) * step, math.ceil(hi / step) * step
    return lo, hi


def sparkline(row: dict, start: int, end: int, width: int = 120, height: int = 30) -> dict | None:
    """A small trend over the plan period: the values, the target line, the latest point."""
    series = row["series"]
    if not series:
        return None
    ind = row["indicator"]
    values = [p["value"] for p in series]
    lo, hi = value_range(values + ([ind["value"]] if ind["value"] is not None else []), ind["unit"])
    pad = 4
    sx = lambda y: round(pad + (y - start) / max(end - start, 1) * (width - 2 * pad), 1)
    sy = lambda v: round(height - pad - (v - lo) / (hi - lo) * (height - 2 * pad), 1)
    points = [(sx(p["year"]), sy(p["value"])) for p in series]
    target = sy(ind["value"]) if ind["value"] is not None else None
    label = "、".join(f"{p['year']}年 {fmt(p['value'])}" for p in series)
    return {
        "width": width, "height": height, "points": " ".join(f"{x},{y}" for x, y in points), "last": points[-1],
        "target": target, "label": f"趋势：{label}" + (f"；目标 {ind['target']}" if ind["value"] is not None else ""),
    }


def clip_line(a: float, b: float, x0: float, x1: float, lo: float, hi: float):
    """The part of y = a + b·x over [x0, x1] that stays within [lo, hi], or None."""
    if b:
        xs = sorted(((lo - a) / b, (hi - a) / b))
        x0, x1 = max(x0, xs[0]), min(x1, xs[1])
    elif not lo <= a <= hi:
        return None
    return (x0, a + b * x0, x1, a + b * x1) if x1 > x0 else None


def trend_chart(ind, assessed: dict, start: int, end: int, width: int = 760, height: int = 340) -> dict:
    """The detail chart: yearly values, target line (and the band where it is met), 2030 projection."""
    left, right, top, bottom = 58, 128, 24, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    series = [(p["year"], p["value"]) for p in assessed["series"]]
    proj = assessed["projection"]
    values = [v for _, v in series] + ([ind.value] if ind.value is not None else []) + ([proj["value"]] if proj else [])
    lo, hi = value_range(values or [0, 100 if ind.unit == "%" else 1], ind.unit, nice=True)
    step = nice_step(hi - lo)
    sx = lambda y: round(left + (y - start) / max(end - start, 1) * plot_w, 1)
    sy = lambda v: round(top + plot_h - (v - lo) / (hi - lo) * plot_h, 1)
    fluct = set(assessed["fluctuations"])
    points = []
    for y, v in series:
        met = km.is_met(ind, v) if ind.numeric else None
        points.append({"x": sx(y), "y": sy(v), "year": y, "value": fmt(v), "ly": sy(v) - 9, "cls": "met" if met else "unmet" if met is False else "plain", "volatile": y in fluct})
    out = {
        "width": width, "height": height, "left": left, "right": width - right, "top": top, "bottom": top + plot_h,
        "yticks": [{"y": sy(lo + k * step), "v": fmt(lo + k * step)} for k in range(round((hi - lo) / step) + 1)],
        "xticks": [{"x": sx(y), "v": y} for y in range(start, end + 1)],
        "points": points, "line": " ".join(f"{p['x']},{p['y']}" for p in points), "target": None, "band": None, "projection": None, "projected": None,
        "unit": ind.unit, "empty": not series,
    }
    if ind.value is not None:
        t = ind.value
        if ind.comparator == "≈" or (ind.comparator == "=" and ind.direction is None):
            band = (t * (1 - km.APPROX_TOLERANCE), t * (1 + km.APPROX_TOLERANCE))
        elif ind.comparator == ">=" or ind.direction == "up":
            band = (t, hi)
        else:
            band = (lo, t)
        b0, b1 = max(band[0], lo), min(band[1], hi)
        out["band"] = {"y": sy(b1), "h": round(sy(b0) - sy(b1), 1)} if b1 > b0 else None
        out["target"] = {"y": sy(t), "label": f"目标 {ind.target_label}", "ty": sy(t) + 4}
    if proj:
        seg = clip_line(proj["intercept"], proj["slope"], series[0][0], proj["year"], lo, hi)
        if seg:
            x0, y0, x1, y1 = seg
            out["projection"] = {"x1": sx(x0), "y1": sy(y0), "x2": sx(x1), "y2": sy(y1)}
        y = sy(min(max(proj["value"], lo), hi))
        ty = y + 4
        if out["target"] and abs(ty - out["target"]["ty"]) < 16:  # keep the two right-hand labels apart
            ty = out["target"]["ty"] + (16 if ty >= out["target"]["ty"] else -16)
        out["projected"] = {"x": sx(proj["year"]), "y": y, "ty": ty, "label": f"{proj['year']}年预计 {fmt(proj['value'])}{ind.unit}", "value": f"{fmt(proj['value'])}{ind.unit}"}
    return out
