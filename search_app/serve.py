"""``plankb serve``: the web site under waitress.

The command lives here, beside the app it serves, and reaches the ``plankb`` command line through
the ``plankb.commands`` entry point group, so the library (``kb``) never imports the web app.
"""

from __future__ import annotations

import errno

import click

from kb.cli_common import KbError, announce, data_option
from kb.store import live_generation, resolve_dirs
from search_app import create_app
from search_app.server import FAIRNESS, LIMITS, make_server
from search_app.state import start_refresh

PORT_ERRORS = {errno.EADDRINUSE: "端口已被占用（另一个 plankb serve 或别的程序正在使用它；可用 --port 换一个端口）",
               errno.EACCES: "没有权限使用这个端口（1024 以下的端口需要管理员权限）",
               errno.EADDRNOTAVAIL: "本机没有这个地址"}


@click.command()
@data_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True)
@click.option("--connection-limit", type=click.IntRange(10, 10000), default=LIMITS["connection_limit"], show_default=True, help="同时打开的连接上限")
@click.option("--per-client-limit", type=click.IntRange(1, 10000), default=FAIRNESS["per_client_limit"], show_default=True, help="同一客户端地址最多同时打开的连接数")
@click.option("--channel-timeout", type=click.IntRange(5, 3600), default=LIMITS["channel_timeout"], show_default=True, help="空闲连接在多少秒后关闭")
@click.option("--header-timeout", type=click.IntRange(1, 3600), default=FAIRNESS["header_timeout"], show_default=True, help="请求头须在多少秒内发完")
@click.option("--export-slots", type=click.IntRange(1, 64), default=None, help="同时生成导出文件的请求数（默认为线程数的四分之一，至少 1）")
def serve(data, corpus, host, port, threads, connection_limit, per_client_limit, channel_timeout, header_timeout, export_slots):
    """用 waitress 启动网站（生产服务器，可在 Windows 上运行）。

    网站立即开始服务；规划有变化时在后台重新构建，完成后自动切换。

    Example: plankb serve --port 8000
    """
    announce(data, corpus)
    data_dir, folder = resolve_dirs(data, corpus)
    if not folder.is_dir() and live_generation(data_dir) is None:
        raise KbError(f"{data_dir} 中没有知识库，规划文件夹 {folder} 也不存在：请运行 plankb build --corpus 规划文件夹 --data {data_dir}")
    config = {"PLANKB_DATA": str(data_dir), "PLANKB_CORPUS": str(folder), "PLANKB_REFRESH": False}
    config["EXPORT_SLOTS"] = export_slots or max(1, threads // 4)
    app = create_app(config)
    try:
        server = make_server(app, host, port, threads, connection_limit=connection_limit, channel_timeout=channel_timeout,
                             per_client_limit=per_client_limit, header_timeout=header_timeout)
    except OSError as exc:
        reason = PORT_ERRORS.get(exc.errno or 0) or exc.strerror or str(exc)
        raise KbError(f"无法在 {host}:{port} 上提供服务：{reason}") from None
    click.echo(f"plankb 正在 http://{host}:{port}/ 提供服务（Ctrl+C 停止）", err=True)
    start_refresh(app, report=lambda message: click.echo(message, err=True))
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()

