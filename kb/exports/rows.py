"""Duty lists, search results and the site's tables as rows: JSON, CSV (as Excel opens it) and Markdown."""

from __future__ import annotations

import io
import json

from kb.cells import SafeWriter, clean
from kb.exports.common import COLUMNS, MATCH_LABELS, clause_row, cn_date, groups, has_lead
from kb.model import KIND_LABELS


def duties_json(duties: dict) -> dict:
    """The public JSON of a duty list: clause dicts per relation group."""
    out = {"department": duties["department"]}
    for key, _ in groups(duties):
        out[key] = [c.public_dict() for c in duties[key]]
    if duties.get("notes"):
        out["notes"] = duties["notes"]
    return out


def dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2)


def duty_rows(duties: dict, titles: dict[str, str]):
    """Header and rows for a flat duty table (CSV), groups labelled in a column."""
    every = [c for key, _ in groups(duties) for c in duties[key]]
    lead = has_lead(every)
    header = COLUMNS + (["牵头单位"] if lead else []) + ["分组", "出处", "规划"]
    rows, n = [], 0
    for key, label in groups(duties):
        for c in duties[key]:
            n += 1
            rows.append(clause_row(n, c, lead, duties) + [label, c.citation, titles.get(c.doc, c.doc)])
    return header, rows


def to_csv(header, rows, preamble=()) -> bytes:
    """CSV as Excel opens it without mojibake: UTF-8 with BOM, CRLF line ends, no live formulas."""
    buf = io.StringIO()
    writer = SafeWriter(buf, lineterminator="\r\n")
    for line in preamble:
        writer.writerow(line)
    if preamble:
        writer.writerow([])
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8-sig")


def duties_csv(duties: dict, titles: dict[str, str]) -> bytes:
    return to_csv(*duty_rows(duties, titles))


def duties_markdown(duties: dict, titles: dict[str, str]) -> str:
    """A Markdown duty list: a table per group."""
    dept = duties["department"]
    lines = [f"# {clean(dept)} 任务清单", ""]
    for note in duties.get("notes", []):
        lines += [f"> {note}", ""]
    for key, label in groups(duties):
        items = duties[key]
        lines += [f"## {label}（{len(items)} 条）", ""]
        if not items:
            lines += ["（无）", ""]
            continue
        lead = has_lead(items)
        head = COLUMNS + (["牵头单位"] if lead else []) + ["出处"]
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|" + "---|" * len(head))
        for i, c in enumerate(items, 1):
            cells = [str(clean(x)) for x in clause_row(i, c, lead, duties)] + [c.citation]
            lines.append("| " + " | ".join(x.replace("|", "\\|").replace("\n", "<br>") for x in cells) + " |")
        lines.append("")
    return "\n".join(lines)


RESULT_HEADER = ["序号", "领域", "类别", "编号", "内容", "责任单位", "匹配方式", "出处", "规划"]


def result_rows(result: dict, titles: dict[str, str]) -> tuple[list[str], list[list]]:
    rows = []
    for i, h in enumerate(result["hits"], 1):
        number = "" if h["number"] is None else h["number"]
        rows.append([i, h["domain"] or "", KIND_LABELS.get(h["kind"], h["kind"]), number, h["text"], "、".join(h["departments"]),
                     MATCH_LABELS.get(h["match"], h["match"]), h["citation"], titles.get(h["doc"], h["doc"])])
    return RESULT_HEADER, rows


def result_summary(result: dict) -> list[tuple[str, str]]:
    """What a search export records: the query, how it was understood, the count, the date."""
    it = result.get("interpreted", {})
    understood = it.get("description") or "按关键词检索"
    if it.get("keywords"):
        understood += "；关键词：" + " ".join(it["keywords"])
    rows = [("检索词", result.get("query") or "（无，仅按条件筛选）"), ("理解为", understood), ("结果", f"共 {result.get('total', 0)} 条"), ("导出日期", cn_date())]
    if result.get("full_matches") is not None and result.get("full_matches") != result.get("total"):
        rows.insert(3, ("完全匹配", f"{result['full_matches']} 条包含全部关键词"))
    return rows


def results_csv(result: dict, titles: dict[str, str]) -> bytes:
    return to_csv(*result_rows(result, titles), preamble=[list(p) for p in result_summary(result)])


def indicator_rows(indicators: list[dict], titles: dict[str, str], statuses: dict[str, dict] | None = None):
    """The indicators (Indicator.to_dict) as a printable table: no internal ids, the plan by its title.

    statuses (indicator id → kb.monitor status row) adds the latest value and whether it is met.
    """
    docs = {i["doc"] for i in indicators}
    header = ["序号", "领域", "指标", "目标", "责任单位", "出处"]
    if statuses is not None:
        header += ["最新值", "年份", "状态"]
    header += ["原文"] + (["规划"] if len(docs) > 1 else [])
    rows = []
    for n, ind in enumerate(indicators, 1):
        row = [n, ind["domain"] or "", ind["name"], ind["target"], "、".join(ind["departments"]), ind["citation"]]
        if statuses is not None:
            st = statuses.get(ind["id"]) or {}
            latest = st.get("latest") or {}
            value = latest.get("value")
            row += ["" if value is None else f"{value}{ind['unit']}", latest.get("year", ""), st.get("status", "")]
        row.append(ind["text"])
        if len(docs) > 1:
            row.append(titles.get(ind["doc"], ind["doc"]))
        rows.append(row)
    return header, rows


def departments_rows(rows: list[dict]):
    """The departments table (KnowledgeBase.department_counts) as header and rows."""
    header = ["序号", "部门", "全称", "承担目标", "承担措施", "承担其他", "共同承担", "文中提及"]
    extra = "lead_in_text" in (rows[0] if rows else {})
    if extra:
        header.insert(7, "文中牵头")
    out = []
    for i, r in enumerate(rows, 1):
        row = [i, r["department"], r["full"], r["goals"], r["measures"], r["other"], r["shared"], r["mentioned"]]
        if extra:
            row.insert(7, r["lead_in_text"])
        out.append(row)
    return header, out


def matrix_rows(matrix: dict):
    """The department × domain overview (KnowledgeBase.department_matrix) as header and rows."""
    header = ["部门", *matrix["domains"], "合计"]
    rows = [[r["department"], *r["cells"], r["total"]] for r in matrix["rows"]]
    return header, rows
