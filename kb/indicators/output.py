"""Indicators as CSV and as a terminal table."""

from __future__ import annotations

from kb.cells import SafeWriter
from kb.indicators.model import DIRECTION_LABELS, Indicator
from kb.terminal import pad

CSV_HEADER = ["编号", "指标", "目标", "比较", "数值", "单位", "方向", "责任单位", "来源条款", "条款编号", "领域", "规划", "原文"]


def _row(ind: Indicator) -> list:
    return [
        ind.id, ind.name, ind.target_label, ind.comparator or "", ind.value if ind.value is not None else "", ind.unit,
        DIRECTION_LABELS.get(ind.direction or "", ""), "、".join(ind.departments), ind.citation, ind.clause, ind.domain or "", ind.doc, ind.text,
    ]


def to_csv(indicators: list[Indicator]) -> str:
    """CSV with a Chinese header (the caller writes it as utf-8-sig for Excel)."""
    import io

    buf = io.StringIO()
    w = SafeWriter(buf)
    w.writerow(CSV_HEADER)
    w.writerows(_row(i) for i in indicators)
    return buf.getvalue()


def to_table(indicators: list[Indicator]) -> str:
    """A plain-text table for the terminal, aligned by display width."""
    lines = []
    for ind in indicators:
        lines.append(f"{pad(ind.target_label, 16)}{ind.name}  [{'、'.join(ind.departments)}]  {ind.id}")
    numeric = sum(1 for i in indicators if i.numeric)
    lines.append(f"共 {len(indicators)} 个指标：量化目标 {numeric} 个，定性目标 {len(indicators) - numeric} 个")
    return "\n".join(lines)
