"""The plankb web site: search, department duty pages, clause pages, overview charts, exports and a JSON API.

Run it with ``plankb serve`` (waitress) or ``flask --app search_app run`` for development.
"""

from __future__ import annotations

import json
import math
import os
import threading

from flask import Flask, g, request
from flask.json.provider import DefaultJSONProvider

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


# Endpoints that build a file (XLSX/DOCX/CSV): seconds of CPU each, so only EXPORT_SLOTS run at once.
EXPORT_ENDPOINTS = {"pages.search_export", "pages.department_export"}
EXPORT_WAIT_SECONDS = 0.25
EXPORT_RETRY_AFTER = 5


def _finite(obj):
    """obj with NaN and ±Infinity replaced by None (they are not JSON)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON, but never NaN or Infinity: browsers' JSON.parse rejects them."""

    def dumps(self, obj, **kwargs):
        kwargs.setdefault("default", self.default)
        kwargs.setdefault("ensure_ascii", self.ensure_ascii)
        kwargs.setdefault("sort_keys", self.sort_keys)
        try:
            return json.dumps(obj, allow_nan=False, **kwargs)
        except ValueError:
            return json.dumps(_finite(obj), allow_nan=False, **kwargs)


def create_app(test_config=None):
    """Create the Flask app; config keys PLANKB_DATA and PLANKB_CORPUS (None: kb.store defaults).

    PLANKB_BASE_URL (e.g. https://plankb.example.gov.cn) makes permalinks absolute; without it they
    are relative. PLANKB_ALLOWED_HOSTS (comma-separated) refuses requests for any other Host with 400.
    EXPORT_SLOTS caps exports rendered at once (the rest get 503 with Retry-After). Unless TESTING or
    PLANKB_REFRESH is False, a background thread rebuilds a stale knowledge base (search_app.state).
    """
    app = Flask(__name__, instance_relative_config=True)
    app.json = StrictJSONProvider(app)
    app.config.from_mapping(
        PLANKB_DATA=os.environ.get("PLANKB_DATA"),
        PLANKB_CORPUS=os.environ.get("PLANKB_CORPUS"),
        PLANKB_BASE_URL=os.environ.get("PLANKB_BASE_URL"),
        PLANKB_ALLOWED_HOSTS=os.environ.get("PLANKB_ALLOWED_HOSTS"),
        EXPORT_SLOTS=2,
        JSON_AS_ASCII=False,
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping({k: v for k, v in test_config.items()})
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    # Drop whitespace left by block tags so pages stay small and readable in view-source.
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    from search_app import api, errors, indicators, routes, state

    state.init_app(app)
    app.register_blueprint(routes.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(indicators.bp)
    routes.init_app(app)
    errors.init_app(app)
    init_limits(app)
    if not app.config.get("TESTING") and app.config.get("PLANKB_REFRESH", True):
        state.start_refresh(app)  # the site answers at once; a stale knowledge base is rebuilt meanwhile

    @app.after_request
    def add_security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return app


def init_limits(app):
    """Keep exports from starving pages, and answer OPTIONS on /api/ in the API's JSON shape."""
    from search_app.errors import error_response

    slots = threading.BoundedSemaphore(max(1, int(app.config.get("EXPORT_SLOTS") or 1)))
    hosts = app.config.get("PLANKB_ALLOWED_HOSTS") or ()
    allowed = {h.strip().lower() for h in (hosts.split(",") if isinstance(hosts, str) else hosts) if h.strip()}

    def refuse_unknown_host():
        host = request.host.rsplit(":", 1)[0] if not request.host.endswith("]") else request.host
        if allowed and host.lower() not in allowed:
            return error_response(400, "不接受这个主机名的请求。")
        return None

    # Before the page cache: a refused host gets nothing, not even a cached page.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_unknown_host)

    @app.before_request
    def limit_exports():
        if request.method == "OPTIONS" and request.path.startswith("/api/"):
            body = {"ok": False, "error": "API 只接受 GET 请求。", "status": 405}
            return app.json.response(body), 405, {"Allow": "GET, HEAD"}
        if request.endpoint not in EXPORT_ENDPOINTS:
            return None
        if not slots.acquire(timeout=EXPORT_WAIT_SECONDS):
            body, status = error_response(503, f"正在生成的导出文件较多，请 {EXPORT_RETRY_AFTER} 秒后再试。")
            return body, status, {"Retry-After": str(EXPORT_RETRY_AFTER)}
        g.export_slot = True
        return None

    @app.teardown_request
    def release_export(exc=None):
        if g.pop("export_slot", False):
            slots.release()
