"""What every plankb command shares: the data options, output, one-line errors, progress."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from kb.errors import PlankbError


def data_option(f):
    f = click.option("--corpus", type=click.Path(file_okay=False, path_type=Path), envvar="PLANKB_CORPUS", help="规划文件夹（默认本仓库的 corpus/；环境变量 PLANKB_CORPUS）")(f)
    return click.option("--data", type=click.Path(file_okay=False, path_type=Path), envvar="PLANKB_DATA",
                        help="数据目录（默认是规划文件夹里的 .plankb/，本仓库的 corpus/ 用 data/；环境变量 PLANKB_DATA）")(f)


def announce(data, corpus):
    """The first line on stderr: the plan folder and data dir a command uses, when either was not named."""
    if data is not None and corpus is not None:
        return
    from kb.store import resolve_dirs

    try:
        data_dir, folder = resolve_dirs(data, corpus)
    except PlankbError:
        return  # the command reports it, in one line
    click.echo(f"规划文件夹 {folder}，数据目录 {data_dir}", err=True)


def output_option(f):
    return click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="写入文件（默认输出到标准输出）")(f)


class Progress:
    """A progress bar on stderr for builds that take more than a moment."""

    LABELS = {"parse": "解析规划", "tokenize": "分词", "index": "写入索引"}

    def __init__(self, enabled=None):
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.start = time.monotonic()

    def __call__(self, stage, done, total):
        if not self.enabled or time.monotonic() - self.start < 0.5 or not total:
            return
        width = 30
        filled = int(width * done / total)
        bar = "█" * filled + "░" * (width - filled)
        click.echo(f"\r{self.LABELS.get(stage, stage):<6} {bar} {done * 100 // total:3d}% {done}/{total}", err=True, nl=done >= total)


def _write(output: Path | None, data):
    """Write to -o FILE or standard output; binary formats need a file or a pipe."""
    if output:
        if not output.parent.is_dir():  # a mistyped folder is an error, never created
            raise KbError(f"{output}: 无法写入（文件夹 {output.parent} 不存在）")
        try:
            if isinstance(data, bytes):
                output.write_bytes(data)
            else:
                output.write_text(data, encoding="utf-8")
        except OSError as exc:
            raise KbError(f"{output}: 无法写入（{exc.strerror or exc}）") from None
        click.echo(f"已写入 {output}", err=True)
        return
    if isinstance(data, bytes):
        if sys.stdout.isatty():
            raise KbError("二进制格式请用 -o FILE 指定输出文件")
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        click.echo(data)


def _kb(data, corpus):
    from kb.store import open_kb

    announce(data, corpus)
    return open_kb(data, corpus, notify=lambda m: click.echo(m, err=True))


class KbError(click.ClickException):
    """A kb error as the CLI shows it: one line, exit 1."""

    def show(self, file=None):
        click.echo(f"错误：{self.format_message()}", err=True)


class KbGroup(click.Group):
    """Turns named kb exceptions into one-line messages instead of tracebacks."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except PlankbError as exc:
            raise KbError(str(exc)) from None
        except BrokenPipeError:
            _quiet_broken_pipe()
        except OSError as exc:
            raise KbError(f"{getattr(exc, 'filename', '') or ''} {exc.strerror or exc}".strip()) from None


def usage_message(exc: click.UsageError) -> str:
    """A click usage error as one Chinese sentence."""
    if isinstance(exc, click.NoSuchOption):
        near = f"（是不是 {'、'.join(exc.possibilities)}？）" if exc.possibilities else ""
        return f"没有 {exc.option_name} 这个选项{near}"
    if isinstance(exc, click.MissingParameter):
        name = exc.param.human_readable_name if exc.param else "参数"
        return f"缺少 {name}"
    if isinstance(exc, click.BadParameter):
        param = exc.param
        if isinstance(param, click.Option):
            name = param.opts[-1] if param.opts[-1].startswith("--") else param.opts[0]
        elif param is not None:
            name = param.human_readable_name
        else:
            name = str(exc.param_hint or "参数").strip("'\"")
        if isinstance(param, click.Option) or isinstance(param, click.Argument):
            kind = param.type
            if isinstance(kind, click.Choice):
                return f"{name} 只能是 {'、'.join(map(str, kind.choices))}"
            if isinstance(kind, click.IntRange):
                bounds = [f"≥ {kind.min}" if kind.min is not None else "", f"≤ {kind.max}" if kind.max is not None else ""]
                return f"{name} 应是 {'、'.join(b for b in bounds if b)} 的整数"
            if isinstance(kind, click.types.IntParamType):
                return f"{name} 应是整数"
            if isinstance(kind, click.Path):
                return f"{name} 不是可用的路径：{exc.message}"
        return f"{name} 的值无效"
    if isinstance(exc, click.BadOptionUsage):
        return f"{exc.option_name} 用法不对（{exc.message}）"
    if "Got unexpected extra argument" in exc.message:
        return "多余的参数：" + exc.message.split("(", 1)[-1].rstrip(")")
    if "Missing command" in exc.message:
        return "请给出命令，如 plankb build；plankb --help 列出全部命令"
    if "No such command" in exc.message:
        name = exc.message.split("'")[1] if exc.message.count("'") >= 2 else exc.message
        return f"没有 {name} 这个命令；plankb --help 列出全部命令"
    return exc.message


def _quiet_broken_pipe():
    """The reader went away (plankb … | head): stop without a message."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    sys.exit(0)
