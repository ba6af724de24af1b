"""Error answers in one shape: JSON ``{"ok": false, "error", "status"}`` under /api/ and /healthz,
the Chinese error page elsewhere; and Location headers that never carry the request's Host."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from flask import Flask, current_app, render_template, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from kb.errors import DataDirError, IndexMissing, PlankbError, UnknownClause, UnknownDepartment, UnknownDocument
from search_app.state import get_searcher, state

TITLES = {400: "请求有误", 404: "没有找到", 405: "不支持的请求方式", 503: "知识库暂不可用"}
MESSAGES = {404: "没有这个页面。可以从下面的检索框或部门列表开始。", 405: "这个地址不接受这种请求方式。", 413: "请求太大。"}


def init_app(app: Flask):
    """Register the error handlers and the relative-redirect rule."""
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(PlankbError, handle_kb_error)
    app.register_error_handler(Exception, handle_unexpected)
    app.after_request(relative_location)


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def error_response(status: int, message: str, suggestions=(), title=None):
    """One error shape: JSON {"ok": false, "error", "status"} for the API, error.html otherwise."""
    if wants_json():
        body = {"ok": False, "error": message, "status": status}
        if suggestions:
            body["suggestions"] = list(suggestions)
        return current_app.json.response(body), status
    return render_template("error.html", status=status, message=message, suggestions=list(suggestions), title=title or TITLES.get(status, "出错了")), status


def handle_http_error(exc: HTTPException):
    message = exc.description if exc.description and not exc.description.startswith(("The ", "Method ", "Bad ")) else MESSAGES.get(exc.code or 0, "请求有误。")
    body, status = error_response(exc.code or 500, message)
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        return body, status, {"Allow": ", ".join(sorted(exc.valid_methods))}
    return body, status


def handle_kb_error(exc: PlankbError):
    if isinstance(exc, UnknownDepartment):
        # A name in the path is a page that does not exist; a name in ?dept= is a bad parameter.
        status = 404 if "name" in (request.view_args or {}) else 400
        suggestions = exc.suggestions or similar_departments(exc.name)
        message = str(exc) if wants_json() or not suggestions else f"没有名为“{exc.name}”的部门。"
        return error_response(status, message, suggestions, "没有这个部门")
    if isinstance(exc, (UnknownClause, UnknownDocument)):
        return error_response(404, str(exc))
    if isinstance(exc, (IndexMissing, DataDirError)):
        if isinstance(exc, IndexMissing) and state().updating:
            return error_response(503, "知识库正在构建，请稍后刷新。")
        return error_response(503, str(exc))
    return error_response(400, str(exc))


def handle_unexpected(exc: Exception):
    current_app.logger.exception("unexpected error on %s", request.path)
    return error_response(500, "服务器内部错误，请稍后再试或联系管理员。")


def similar_departments(name: str) -> list[str]:
    """Departments sharing characters with a name, for a 404 that helps (registry.suggest found none)."""
    try:
        kb = get_searcher().kb
    except PlankbError:
        return []
    chars = set(name)
    scored = sorted(((len(chars & set(d + (kb.registry.get(d).full if kb.registry.get(d) else ""))), d) for d in kb.department_names()), key=lambda p: -p[0])
    return [d for n, d in scored if n >= 1][:5]


def relative_location(response):
    """after_request: a Location with a scheme or host (Werkzeug's slash merging builds one from the
    request's Host) becomes the path alone, unless it is under the configured PLANKB_BASE_URL."""
    location = response.headers.get("Location")
    if location:
        parts = urlsplit(location)
        base = (current_app.config.get("PLANKB_BASE_URL") or "").rstrip("/")
        if (parts.scheme or parts.netloc) and not (base and location.startswith(base + "/")):
            response.headers["Location"] = urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))
    return response
