"""The plankb web site: search, department duty pages, clause pages, overview charts, exports and a JSON API.

Run it with ``plankb serve`` (waitress) or ``flask --app search_app run`` for development.
"""

from __future__ import annotations

import os

from flask import Flask

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


def create_app(test_config=None):
    """Create the Flask app; config keys PLANKB_DATA and PLANKB_CORPUS (None: kb.store defaults)."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        PLANKB_DATA=os.environ.get("PLANKB_DATA"),
        PLANKB_CORPUS=os.environ.get("PLANKB_CORPUS"),
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

    from search_app import api, indicators, views

    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(indicators.bp)
    views.init_app(app)

    @app.after_request
    def add_security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return app
