"""Per-app state in ``app.extensions["plankb"]``: the app's searchers, its page cache and the
background build that brings a stale knowledge base up to date while the site keeps serving.

Nothing here builds inside a request: requests read the live generation (``rebuild=False``); a
build runs only in the background thread started by ``start_refresh``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, Response, current_app, g, request

from kb.errors import PlankbError
from kb.search import Searcher, open_searcher
from kb.store import build, refresh_reason, resolve_dirs

EXTENSION = "plankb"

# Rendered pages per (generation, monitoring data, page and the parameters it reads): the site is
# read-only between builds and imports, and staff open the same pages over and over.
PAGE_CACHE_SIZE = 1024
PAGE_MAX_BYTES = 512 * 1024
PAGE_CACHE_MAX_BYTES = 64 * 1024 * 1024
# The query parameters each cached page reads; any other parameter does not change the page.
PAGE_PARAMS = {
    "pages.index": (),
    "pages.search": ("q", "dept", "kind", "domain", "doc", "literal", "page", "also"),
    "pages.departments": ("doc",),
    "pages.department": ("doc",),
    "pages.clause": (),
    "pages.overview": ("doc",),
    "pages.documents": (),
    "pages.document": (),
}


class PageCache:
    """A least-recently-used map of rendered pages, bounded in entries and in bytes."""

    def __init__(self, size: int = PAGE_CACHE_SIZE, max_bytes: int = PAGE_CACHE_MAX_BYTES):
        self.size, self.max_bytes, self.bytes = size, max_bytes, 0
        self.pages: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            hit = self.pages.get(key)
            if hit is not None:
                self.pages.move_to_end(key)
            return hit

    def put(self, key, body: bytes, mimetype: str):
        with self.lock:
            old = self.pages.pop(key, None)
            if old is not None:
                self.bytes -= len(old[0])
            self.pages[key] = (body, mimetype)
            self.bytes += len(body)
            while len(self.pages) > self.size or self.bytes > self.max_bytes:
                _, (dropped, _) = self.pages.popitem(last=False)
                self.bytes -= len(dropped)


@dataclass
class AppState:
    """What one app keeps between requests."""

    searchers: dict = field(default_factory=dict)
    pages: PageCache = field(default_factory=PageCache)
    updating: str | None = None  # a sentence for the banner while a background build runs
    refresh: threading.Thread | None = None


def init_app(app: Flask):
    """Give the app its state and its page cache hooks."""
    app.extensions[EXTENSION] = AppState()
    app.before_request(cached_page)
    app.after_request(store_page)

    @app.context_processor
    def updating_banner():
        return {"updating": state().updating}


def state(app: Flask | None = None) -> AppState:
    return (app or current_app).extensions[EXTENSION]


def get_searcher() -> Searcher:
    """The Searcher of the live generation of this app's data dir (reopened after a build; never builds)."""
    if "searcher" not in g:
        cfg = current_app.config
        g.searcher = open_searcher(cfg.get("PLANKB_DATA"), cfg.get("PLANKB_CORPUS"), rebuild=False, notify=current_app.logger.warning,
                                   cache_size=cfg.get("SEARCH_CACHE", 512), cache=state().searchers)
    return g.searcher


# -- page cache ------------------------------------------------------------------------------------
def _page_key():
    params = PAGE_PARAMS.get(request.endpoint or "")
    if request.method != "GET" or params is None or current_app.config.get("PAGE_CACHE", True) is False:
        return None
    s = get_searcher()
    monitor = Path(s.kb.path).parent / "monitor.sqlite" if s.kb.path else None
    stamp = tuple(p.stat().st_mtime_ns if p.exists() else 0 for p in (monitor, Path(f"{monitor}-wal"))) if monitor else ()
    used = tuple((name, tuple(request.args.getlist(name))) for name in params if name in request.args)
    view_args = tuple(sorted((request.view_args or {}).items()))
    return (s.kb.path.name if s.kb.path else "", stamp, state().updating is not None, request.endpoint, view_args, used)


def cached_page():
    """before_request: answer a GET for a page rendered before, for the same generation and data."""
    key = _page_key()
    g.page_key = key
    if key is None:
        return None
    hit = state().pages.get(key)
    if hit is None:
        return None
    g.page_key = None
    return Response(hit[0], status=200, mimetype=hit[1])


def store_page(response):
    """after_request: keep a rendered 200 page for cached_page()."""
    key = g.pop("page_key", None)
    if key is not None and response.status_code == 200 and not response.direct_passthrough:
        body = response.get_data()
        if len(body) <= PAGE_MAX_BYTES:
            state().pages.put(key, body, response.mimetype)
    return response


# -- background build ----------------------------------------------------------------------------
def start_refresh(app: Flask, report: Callable[[str], None] | None = None) -> threading.Thread:
    """Bring a stale or damaged knowledge base up to date in a background thread, then open it.

    The site serves the live generation meanwhile, with a banner; requests switch to the new one
    when CURRENT points at it. ``report`` gets each sentence worth telling (default: the app's log).
    """
    thread = threading.Thread(target=refresh, args=(app, report), name="plankb-refresh", daemon=True)
    state(app).refresh = thread
    thread.start()
    return thread


def refresh(app: Flask, report: Callable[[str], None] | None = None):
    """Build when the knowledge base is stale or damaged (from the corpus its data dir records), then open it."""
    st, cfg = state(app), app.config
    say = report or app.logger.warning
    try:
        data, corpus = resolve_dirs(cfg.get("PLANKB_DATA"), cfg.get("PLANKB_CORPUS"))
        reason, force = refresh_reason(data, corpus)
        if reason:
            st.updating = f"规划正在更新（{reason}），完成后自动切换；在此之前显示的是上次构建的内容。"
            say(f"{reason}，正在从 {corpus} 重新构建知识库（网站照常提供服务）……")
            report_built = build(corpus, data, force=force)
            say(f"知识库已更新：{report_built.clauses} 条（{report_built.generation}）")
    except (PlankbError, OSError) as exc:
        say(f"知识库无法更新：{exc}")
    finally:
        st.updating = None
    with app.app_context():
        try:
            s = get_searcher()
            say(f"知识库：{len(s.kb.documents)} 个规划，{len(s.kb.clauses)} 条")
        except PlankbError as exc:
            say(f"知识库不可用：{exc}")
