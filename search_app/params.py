"""Reading request parameters the same way for HTML pages, exports and the JSON API.

Out-of-range numbers are clamped; values that are not numbers at all are a
BadRequest with a sentence (the API reports it, pages fall back to defaults).
"""

from __future__ import annotations

from flask import request
from werkzeug.exceptions import BadRequest

MAX_PAGE = 10_000
MAX_LIMIT = 100
DEFAULT_LIMIT = 20
MAX_VALUES = 10
MAX_VALUE_LEN = 100
MAX_QUERY_LEN = 1000  # kb.search cuts to 200 and says so; this only bounds the work before it
FILTERS = ("dept", "kind", "domain", "doc")
TRUE = ("1", "true", "yes", "on")


def int_arg(name: str, default: int, lo: int, hi: int, strict: bool = False) -> int:
    """An integer parameter clamped to [lo, hi]; garbage gives the default, or 400 when strict."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        if strict:
            raise BadRequest(f"参数 {name} 必须是整数") from None
        return default
    return max(lo, min(hi, value))


def list_arg(name: str) -> list[str]:
    """A repeatable filter parameter: trimmed, de-duplicated, bounded in count and length."""
    out = []
    for value in request.args.getlist(name)[: MAX_VALUES * 2]:
        value = value.replace("\x00", "").strip()[:MAX_VALUE_LEN]
        if value and value not in out:
            out.append(value)
    return out[:MAX_VALUES]


def search_args(strict: bool = False) -> dict:
    """The search parameters of a request: q, dept, kind, domain, doc, literal, page."""
    return {
        "query": request.args.get("q", "")[:MAX_QUERY_LEN],
        "dept": list_arg("dept"),
        "kind": list_arg("kind"),
        "domain": list_arg("domain"),
        "doc": list_arg("doc"),
        "literal": request.args.get("literal", "").strip().lower() in TRUE,
        "page": int_arg("page", 1, 1, MAX_PAGE, strict),
        "also": list_arg("also"),  # departments each hit must also be tagged with (a facet narrowing the result)
    }


def url_args(params: dict) -> dict:
    """Search parameters as url_for keyword arguments (lists repeat, empty ones dropped)."""
    out = {}
    if params.get("query"):
        out["q"] = params["query"]
    for key in FILTERS:
        if params.get(key):
            out[key] = list(params[key])
    if params.get("literal"):
        out["literal"] = "1"
    if params.get("also"):
        out["also"] = list(params["also"])
    if params.get("page", 1) > 1:
        out["page"] = params["page"]
    return out
