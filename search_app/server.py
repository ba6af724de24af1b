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
- ``per_client_limit`` 32: one client address holds at most this many sockets; more are answered
  503 and closed at once, so one machine cannot take the whole connection limit.
- ``header_timeout`` 10 s: a request whose headers have not all arrived 10 s after its first byte
  is closed (checked every 5 s), so clients trickling a header line every few seconds cannot keep
  sockets that the idle timeout would never reach.
"""

from __future__ import annotations

import json
import select
import time

from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer, create_server
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


FAIRNESS = {"per_client_limit": 32, "header_timeout": 10}
REFUSED = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n"
           b"Retry-After: 5\r\nContent-Length: %d\r\n\r\n%s")


class FairChannel(HTTPChannel):
    """A connection that notes when its current request began, for the header deadline."""

    error_task_class = JsonErrorTask
    request_started: float | None = None

    def received(self, data):
        if self.request is None and data:
            self.request_started = time.monotonic()
        return super().received(data)


class FairServer(TcpWSGIServer):
    """waitress's TCP server with a per-client share of connections and a deadline for request headers."""

    per_client_limit = FAIRNESS["per_client_limit"]
    header_timeout = FAIRNESS["header_timeout"]

    def accept(self):
        pair = super().accept()
        if pair is None:
            return None
        conn, addr = pair
        host = addr[0] if isinstance(addr, tuple) and addr else None
        held = sum(1 for ch in self.active_channels.values() if isinstance(ch.addr, tuple) and ch.addr and ch.addr[0] == host)
        if host is not None and held >= self.per_client_limit:
            body = json.dumps({"ok": False, "error": "来自同一地址的连接过多，请稍后再试。", "status": 503}, ensure_ascii=False).encode("utf-8")
            try:
                conn.setblocking(False)
                conn.send(REFUSED % (len(body), body))
            except OSError:
                pass
            conn.close()
            return None
        return pair

    def maintenance(self, now):
        super().maintenance(now)
        cutoff = time.monotonic() - self.header_timeout
        for channel in self.active_channels.values():
            request, started = getattr(channel, "request", None), getattr(channel, "request_started", None)
            if request is not None and not request.headers_finished and started is not None and started < cutoff:
                channel.will_close = True


def make_server(app, host: str = "127.0.0.1", port: int = 8000, threads: int = 8, **overrides):
    """A waitress server for app with the limits above (keyword arguments override them)."""
    fairness = {k: overrides.pop(k, v) for k, v in FAIRNESS.items()}
    settings = {**LIMITS, **overrides}
    if hasattr(select, "poll"):
        settings.setdefault("asyncore_use_poll", True)
    server = create_server(app, host=host, port=port, threads=threads, ident="plankb", **settings)
    # One listener gives one server; several (e.g. localhost on IPv4 and IPv6) a map of them.
    for srv in [server, *getattr(server, "map", {}).values()]:
        if isinstance(srv, TcpWSGIServer):
            srv.__class__ = FairServer
            srv.per_client_limit, srv.header_timeout = fairness["per_client_limit"], fairness["header_timeout"]
        if hasattr(srv, "channel_class"):
            srv.channel_class = FairChannel
    return server
