"""The plankb command line: build, check, search, duties, departments, export, serve."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from kb.cli_common import (
    KbError,
    KbGroup,
    Progress,
    _kb,
    _quiet_broken_pipe,
    _write,
    announce,
    data_option,
    output_option,
    usage_message,
)
from kb.cli_indicators import indicators, monitor
from kb.errors import PlankbError
from kb.model import KIND_LABELS, KINDS
from kb.terminal import display_width, rjust
from kb.terminal import pad as _pad

KIND_CHOICES = click.Choice([*KINDS, "duty"], case_sensitive=False)


class PlankbGroup(KbGroup):
    """The plankb commands, plus those installed packages add through the ``plankb.commands`` entry
    point group (``serve``, from the web app), loaded only when asked for."""

    def _added(self) -> dict:
        from importlib.metadata import entry_points

        return {ep.name: ep for ep in entry_points(group="plankb.commands")}

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(self._added()))

    def get_command(self, ctx, cmd_name):
        found = super().get_command(ctx, cmd_name)
        if found is None and cmd_name in self._added():
            found = self._added()[cmd_name].load()
        return found


@click.group(cls=PlankbGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="plankb", message="%(prog)s %(version)s")
@click.pass_context
def cli(ctx):
    """plankb：规划文本知识库与中文全文检索。

    先运行 plankb build 构建知识库，再用 search、duties、departments 查询，
    或用 plankb serve 启动网站。
    """
    if ctx.invoked_subcommand is None:  # a bare plankb asks what it can do
        click.echo(ctx.get_help())


@cli.command()
@data_option
@click.option("--force", is_flag=True, help="即使没有变化也重新构建")
@click.option("--replace", is_flag=True, help="数据目录原是由另一个规划文件夹构建的：改用 --corpus 重建")
@click.option("--encoding", help="文本文件的编码（默认自动识别）")
def build(data, corpus, force, replace, encoding):
    """解析规划文件夹中的全部规划，写入知识库和检索索引。

    数据目录默认是规划文件夹里的 .plankb/（本仓库的 corpus/ 用 data/）。没有变化时跳过；构建在旁边进行，完成后原子切换，
    失败不影响正在使用的知识库。有规划文件不能读取时，其余照常构建，退出码为 1。

    Example: plankb build --corpus 我的规划 --data 我的数据
    """
    from kb.store import build as do_build
    from kb.store import build_dirs

    if data is None or corpus is None:
        folder, data_dir = build_dirs(corpus, data, replace)
        click.echo(f"规划文件夹 {folder}，数据目录 {data_dir}", err=True)
    report = do_build(corpus, data, force=force, progress=Progress(), encoding=encoding, replace=replace)
    if report.skipped:
        click.echo(f"知识库已是最新（{report.clauses} 条，{report.generation}），无需重建。使用 --force 强制重建。")
        return
    errors = 0
    for d in report.documents:
        if d.status == "error":
            errors += 1
            click.echo(f"错误：{d.error}", err=True)
            continue
        status = {"parsed": "已解析", "cached": "未变化，沿用上次解析"}[d.status]
        click.echo(f"{d.title} [{d.doc}] {status}")
        click.echo("  " + " · ".join(f"{KIND_LABELS[k]} {n}" for k, n in d.counts.items() if n))
        click.echo(f"  警告 {len(d.warnings)} 条")
        for w in d.warnings:
            click.echo(f"    {w}")
    click.echo(f"知识库已写入 {Path(report.data) / report.generation}（{len(report.documents) - errors} 个规划，{report.clauses} 条，{report.seconds:.1f} 秒）")
    if errors:
        raise KbError(f"{errors} 个文件未能读取（见上），其余规划已构建")


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@data_option
@click.option("--encoding", help="文本文件的编码（默认自动识别）")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
def check(files, data, corpus, encoding, as_json):
    """检查规划文件：格式、编码、标题、结构和每条警告（含行号）。

    部门名录和规划清单取自 --corpus；不读写知识库。有文件不能作为规划读取时退出码为 1。

    Example: plankb check corpus/新规划.txt
    """
    from kb.corpus import DATA_FILES, check_file, default_corpus

    corpus = Path(corpus or default_corpus())
    failed, reports = 0, []
    for path in files:
        if path.name in DATA_FILES:
            click.echo(f"{path}: 这是规划文件夹的数据文件，不是规划，已跳过", err=True)
            continue
        try:
            rep = check_file(path, corpus, encoding=encoding)
        except PlankbError as exc:
            failed += 1
            click.echo(f"错误：{exc}", err=True)
            reports.append({"file": str(path), "error": str(exc)})
            continue
        reports.append(rep)
        if not as_json:
            click.echo(_format_check(rep))
    if as_json:
        click.echo(json.dumps(reports, ensure_ascii=False, indent=2))
    if failed:
        sys.exit(1)


def _format_check(rep) -> str:
    lines = [
        f"{rep['file']}",
        f"  格式 {rep['format']}，编码 {rep['encoding'] or '—'}",
        f"  标题 {rep['title']}",
        f"  编号 {rep['id']}，发文机关 {rep['issuer'] or '—'}（{rep.get('level') or '层级未知'}），规划期 {rep['period'] or '—'}",
    ]
    if rep.get("doc_number") or rep.get("issued") or rep["front"]["notice"]:
        lines.append(f"  文号 {rep.get('doc_number') or '—'}，印发日期 {rep.get('issued') or '—'}，印发通知 {'有' if rep['front']['notice'] else '无'}")
    if rep["front"]["toc"] or rep["front"]["chrome"]:
        lines.append(f"  目录 {rep['front']['toc']} 行，网页杂项 {rep['front']['chrome']} 行（已排除在条款之外）")
    lines.append("  结构：")
    for entry in rep["outline"]:
        role = f" [{entry['role']}]" if entry["role"] else ""
        lines.append(f"    {'  ' * entry['depth']}{entry['heading'].replace(chr(9), ' | ')}{role}  （{_counts(entry['counts'])}）")
    lines.append("  合计：" + _counts(rep["counts"]))
    lines.append(f"  警告 {len(rep['warnings'])} 条")
    lines += [f"    {w['file']}:{w['line']}: {w['message']}" for w in rep["warnings"]]
    return "\n".join(lines)


def _counts(counts) -> str:
    return " · ".join(f"{KIND_LABELS[k]} {n}" for k, n in counts.items() if n) or "无条款"


@cli.command()
@data_option
@click.option("--doc", help="只统计这个文档")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
def departments(data, corpus, doc, as_json):
    """列出每个部门承担的目标、措施，共同承担和文中提及的条款数。

    Example: plankb departments --json
    """
    rows = _kb(data, corpus).department_counts(doc)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    width = max([display_width(r["department"]) for r in rows] + [4]) + 2
    columns = (
        ("目标", "goals"), ("措施", "measures"), ("文中牵头", "lead_in_text"), ("共同", "shared"), ("提及", "mentioned"),
    )
    click.echo(_pad("部门", width) + "".join(rjust(h, max(6, display_width(h) + 2)) for h, _ in columns) + "  全称")
    for r in rows:
        cells = "".join(rjust(str(r[k]), max(6, display_width(h) + 2)) for h, k in columns)
        click.echo(_pad(r["department"], width) + cells + f"  {r['full']}")


@cli.command()
@data_option
@click.option("--format", "fmt", type=click.Choice(["json"]), default="json", show_default=True)
@output_option
def export(data, corpus, fmt, output):
    """导出整个知识库（JSON：documents 和 clauses，见 README 的 JSON 约定）。

    Example: plankb export -o kb.json
    """
    from kb.exports import dumps

    _write(output, dumps(_kb(data, corpus).export()))


@cli.command()
@click.argument("dept")
@data_option
@click.option("--doc", help="只列出这个文档的条款")
@click.option("--format", "fmt", type=click.Choice(["md", "json", "csv", "xlsx", "docx"]), default="md", show_default=True)
@output_option
def duties(dept, data, corpus, doc, fmt, output):
    """一个部门的任务清单：本部门承担、各成员单位共同承担、文中提及。

    DEPT 可以是简称、全称或别名（人社局 = 人力资源和社会保障局）。

    Example: plankb duties 卫健局 --format xlsx -o 卫健局.xlsx
    """
    from kb import exports

    kbobj = _kb(data, corpus)
    d = kbobj.duties(dept, doc)
    titles = {x.id: x.title for x in kbobj.documents}
    if fmt == "json":
        out = exports.dumps(exports.duties_json(d))
    elif fmt == "csv":
        out = exports.duties_csv(d, titles)
    elif fmt == "md":
        out = exports.duties_markdown(d, titles)
    elif fmt == "xlsx":
        out = exports.duties_xlsx(d, exports.export_title(kbobj, doc), titles)
    else:
        out = exports.duties_docx(d, exports.export_title(kbobj, doc))
    _write(output, out)


@cli.command()
@click.argument("query", required=False, default="")
@data_option
@click.option("--dept", help="部门（简称、全称或别名）")
@click.option("--kind", type=KIND_CHOICES, help="类别")
@click.option("--domain", help="领域，如 健康")
@click.option("--doc", help="文档编号")
@click.option("--limit", type=click.IntRange(min=0), default=10, show_default=True, help="最多显示多少条；0 表示全部")
@click.option("--page", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--literal", is_flag=True, help="按字面检索，不识别部门、类别和同义词")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（见 README 的 JSON 约定）")
def search(query, data, corpus, dept, kind, domain, doc, limit, page, literal, as_json):
    """检索条款：关键词、部门意图（妇联负责哪些措施）或 dept:/kind:/domain:/doc: 语法。

    Example: plankb search 宫颈癌 --kind goal
    """
    from kb.search import open_searcher

    if not query.strip() and not (dept or kind or domain or doc):
        raise KbError("请给出检索词，如 plankb search 宫颈癌，或用 --dept/--kind/--domain/--doc 筛选")
    announce(data, corpus)
    s = open_searcher(data, corpus, notify=lambda m: click.echo(m, err=True))
    res = s.search(query, dept=dept, kind=kind, domain=domain, doc=doc, literal=literal, page=page, limit=limit or None)
    if as_json:
        click.echo(json.dumps(res, ensure_ascii=False, indent=2))
        return
    it = res["interpreted"]
    if it["description"]:
        click.echo(it["description"] + ("，关键词：" + " ".join(it["keywords"]) if it["keywords"] else ""))
    for note in it["notes"]:
        click.echo(f"提示：{note}")
    click.echo(_shown(res["total"], len(res["hits"]), page, limit))
    labels = {"assigned": "承担", "shared": "共同承担", "mentioned": "提及", "text": ""}
    from kb.highlight import plain_highlight

    for i, h in enumerate(res["hits"], (page - 1) * (limit or 0) + 1):
        tag = labels[h["match"]]
        click.echo("")
        click.echo(click.style(f"{i}. {h['citation']}", bold=True) + f"  [{KIND_LABELS[h['kind']]}]" + (f"  {tag}" if tag else "") + f"  {h['id']}")
        if h["departments"]:
            units = (d + ("（牵头）" if d == h.get("lead") else "") for d in h["departments"])
            click.echo("   责任单位：" + "、".join(units))
        click.echo("   " + plain_highlight(h["highlight"]))


def _shown(total: int, count: int, page: int, limit: int) -> str:
    """显示第 1–10 条，共 40 条；--page 2 或 --limit 0 查看更多."""
    if total == 0:
        return "没有找到条款"
    if not count:
        return f"共 {total} 条；第 {page} 页没有结果（--page 1 从头查看）"
    first = (page - 1) * limit + 1 if limit else 1
    last = first + count - 1
    out = f"显示第 {first}–{last} 条，共 {total} 条"
    if last < total:
        out += f"；--page {page + 1} 或 --limit 0 查看更多"
    return out


def main():
    """Console entry point: usage errors are one Chinese line and exit 1; a closed pipe ends quietly."""
    try:
        code = cli.main(prog_name="plankb", standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except click.exceptions.Abort:
        click.echo("已取消", err=True)
        sys.exit(1)
    except click.UsageError as exc:
        click.echo(f"错误：{usage_message(exc)}", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        _quiet_broken_pipe()
    else:
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            _quiet_broken_pipe()


cli.add_command(indicators)
cli.add_command(monitor)
