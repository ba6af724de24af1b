"""plankb indicators and plankb monitor: the plan's targets, the yearly form, import, status."""

from __future__ import annotations

import json
from pathlib import Path

import click

from kb import exports
from kb import indicators as ki
from kb import monitor as km
from kb.cli_common import KbError, KbGroup, _kb, _write, data_option, output_option
from kb.terminal import pad as _pad


def _csv_out(output: Path | None, text: str):
    """CSV as utf-8-sig in a file so Excel shows Chinese; plain text on standard output."""
    _write(output, ("\ufeff" + text).encode("utf-8") if output else text)


def _warn_unread(mon):
    """Say on stderr when a read-only store left values unread (a WAL beside it)."""
    if mon.warning:
        click.echo(f"警告：{mon.warning}", err=True)


@click.command()
@data_option
@click.option("--dept", help="只列出这个部门承担或共同承担的指标")
@click.option("--doc", help="只列出这个文档的指标")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "xlsx"]), default="table", show_default=True)
@output_option
def indicators(data, corpus, dept, doc, fmt, output):
    """列出规划目标和措施中的量化指标（目标值、比较方式、单位）和定性指标（方向）。

    JSON 是公开约定：每项含 id、name、comparator、value、unit、direction、clause、departments、doc。

    Example: plankb indicators --dept 卫健局 --format xlsx -o 卫健局指标.xlsx
    """
    kbobj = _kb(data, corpus)
    found = ki.extract(kbobj, dept=dept, doc=doc)
    if fmt == "json":
        _write(output, json.dumps([i.to_dict() for i in found], ensure_ascii=False, indent=2))
    elif fmt == "csv":
        _csv_out(output, ki.to_csv(found))
    elif fmt == "xlsx":
        titles = {d.id: d.title for d in kbobj.documents}
        _write(output, exports.indicators_xlsx([i.to_dict() for i in found], exports.export_title(kbobj, doc), titles))
    else:
        _write(output, ki.to_table(found))


@click.group(cls=KbGroup)
def monitor():
    """年度监测：生成填报表、导入数据、导出备份、查看达标情况和预警。"""


@monitor.command()
@data_option
@click.option("--dept", help="只包含这个部门的指标")
@click.option("--doc", help="只包含这个文档的指标")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="写入的 .xlsx 文件")
def template(data, corpus, dept, doc, output):
    """生成部门填报用的 Excel 表：每个指标一行，每个规划年度一列。

    Example: plankb monitor template --dept 卫健局 -o 卫健局填报.xlsx
    """
    if output.suffix.lower() != ".xlsx":
        raise KbError("填报表请保存为 .xlsx 文件")
    _write(output, km.template(_kb(data, corpus), dept=dept, doc=doc))


@monitor.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@data_option
def import_(file, data, corpus):
    """导入填好的 .xlsx 填报表或 .csv：先逐行检查，有一处问题就全部不导入。

    再次导入同一指标同一年份会替换原值，原值保留在历史记录中。

    Example: plankb monitor import 卫健局填报.xlsx
    """
    kbobj = _kb(data, corpus)
    try:
        report = km.import_file(kbobj, file, kbobj.path.parent)
    except km.ImportRejected as exc:
        for line in exc.problems:
            click.echo(line, err=True)
        raise KbError(str(exc)) from None
    click.echo(f"已导入 {report.total} 个数值（新增 {report.added}，替换 {report.replaced}），批次 {report.batch}")


@monitor.command()
@data_option
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@output_option
def export(data, corpus, fmt, output):
    """导出全部监测数据（当前值、历史记录和导入批次），用于备份。

    Example: plankb monitor export --format csv -o 监测数据.csv
    """
    from kb.store import resolve_dirs

    with km.open_monitor(resolve_dirs(data, corpus)[0], readonly=True) as mon:
        _warn_unread(mon)
        text = mon.export(fmt)
    if fmt == "csv":
        _csv_out(output, text)
    else:
        _write(output, text)


@monitor.command()
@data_option
@click.option("--dept", help="只看这个部门的指标")
@click.option("--doc", help="只看这个文档的指标")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
def status(data, corpus, dept, doc, as_json):
    """每个指标的最新数值与目标比较：已达标、未达标、无数据，以及预警和波动。

    Example: plankb monitor status --dept 卫健局
    """
    kbobj = _kb(data, corpus)
    with km.open_monitor(kbobj.path.parent, readonly=True) as mon:
        _warn_unread(mon)
        rows = km.status(kbobj, mon, dept=dept, doc=doc)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    counts = {}
    for r in rows:
        ind = r["indicator"]
        latest = f"{r['latest']['year']}年 {r['latest']['value']}{ind['unit']}" if r["latest"] else "—"
        flags = " ".join(r["warnings"])
        click.echo(f"{_pad(r['status'], 8)}{_pad(flags, 10)}{_pad(ind['target'], 14)}{_pad(latest, 18)}{ind['name']}  {ind['id']}")
        counts[r["status"]] = counts.get(r["status"], 0) + 1
        for w in r["warnings"]:
            counts[w] = counts.get(w, 0) + 1
    click.echo("合计：" + "，".join(f"{k} {v}" for k, v in counts.items()) if rows else "没有指标")
