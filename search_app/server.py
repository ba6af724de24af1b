"""waitress for ``plankb serve``: deliberate connection limits and JSON errors from the server itself.

The limits and why (README "plankb serve" lists them too):

- ``connection_limit`` 400: waitress stops accepting at this many open sockets. Its default of 100 let
  120 idle sockets lock everyone out; 400 stays below Windows' select() limit of 512 sockets.
- ``channel_timeout`` 30 s, ``cleanup_interval`` 5 s: a socket that sends nothing for 30 s is closed
  (checked every 5 s), so idle or stalled clients free their slot within about 35 s.
- ``backlog`` 1024: connections waiting to be accepted (the OS may cap it lower).
- ``max_request_header_size`` 16 KB: our URLs are short and the site sets no cookies.
- ``max_request_body_size`` 1 MB: the site takes no uploads (the app itself caps forms at 64 KB).
- poll() instead of select() where the platform has it: select() cannot watch more than 1024 sockets.
"""

from __future__ import annotations

import json
import select

from waitress.channel import HTTPChannel
from waitress.server import create_server
from waitress.task import ErrorTask

LIMITS = {
    "connection_limit": 400,
    "channel_timeout": 30,
    "cleanup_interval": 5,
    "backlog": 1024,
    "max_request_header_size": 16 * 1024,
    "max_request_body_size": 1024 * 1024,
}

MESSAGES = {
    400: "请求格式有误。",
    413: "请求太大。",
    431: "请求头太大。",
}


class JsonErrorTask(ErrorTask):
    """waitress's own errors (400, 413, 431 …) in the API's shape: {"ok": false, "error", "status"}."""

    def execute(self):
        e = self.request.error
        body = json.dumps({"ok": False, "error": MESSAGES.get(e.code, "请求有误。"), "status": e.code}, ensure_ascii=False).encode("utf-8")
        self.status = f"{e.code} {e.reason}"
        self.response_headers.append(("Content-Type", "application/json; charset=utf-8"))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class JsonErrorChannel(HTTPChannel):
    error_task_class = JsonErrorTask


def make_server(app, host: str = "127.0.0.1", port: int = 8000, threads: int = 8, **overrides):
    """A waitress server for app with the limits above (keyword arguments override them)."""
    settings = {**LIMITS, **overrides}
    if hasattr(select, "poll"):
        settings.setdefault("asyncore_use_poll", True)
    server = create_server(app, host=host, port=port, threads=threads, ident="plankb", **settings)
    # One listener gives one server; several (e.g. localhost on IPv4 and IPv6) a map of them.
    for srv in [server, *getattr(server, "map", {}).values()]:
        if hasattr(srv, "channel_class"):
            srv.channel_class = JsonErrorChannel
    return server
