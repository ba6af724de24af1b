"""Indicators: the quantitative and directional targets a plan sets in its goals and measures.

A numeric target is a rate or ratio with a value (孕产妇死亡率下降到12/10万以下); a
qualitative target names a quantity and a direction only (乳腺癌人群筛查率逐步提高).
The rules are written out in docs/indicators.md; tests pin the seed plan's full list.
"""

from __future__ import annotations

from kb.indicators.model import COMPARATOR_LABELS, DIRECTION_LABELS, Indicator, UnknownIndicator
from kb.indicators.output import CSV_HEADER, to_csv, to_table
from kb.indicators.targets import clause_indicators, normalise
from kb.model import DUTY_KINDS

__all__ = [
    "COMPARATOR_LABELS",
    "CSV_HEADER",
    "DIRECTION_LABELS",
    "Indicator",
    "UnknownIndicator",
    "clause_indicators",
    "extract",
    "get",
    "indicators_of",
    "no_indicators_reason",
    "normalise",
    "to_csv",
    "to_table",
]


def indicators_of(kb, clause) -> list[Indicator]:
    """A clause's indicators: as its build stored them, else extracted now."""
    if kb.stored_indicators is not None:
        return kb.stored_indicators.get(clause.id, [])
    return clause_indicators(clause)


def extract(kb, dept: str | None = None, doc: str | None = None, numeric: bool | None = None) -> list[Indicator]:
    """The indicators of a loaded knowledge base, in clause order.

    :param dept: only indicators of clauses this department is assigned or shares.
    :param doc: only this document's indicators.
    :param numeric: True for numeric targets only, False for qualitative only.
    """
    dept = kb.resolve_department(dept) if dept else None
    if doc is not None:
        kb.document(doc)
    out = []
    for c in kb.clauses:
        if c.kind not in DUTY_KINDS or (doc is not None and c.doc != doc):
            continue
        if dept and kb.relation(c, dept) not in ("assigned", "shared"):
            continue
        for ind in indicators_of(kb, c):
            if numeric is None or ind.numeric == numeric:
                out.append(ind)
    return out


def no_indicators_reason(kb, dept: str | None = None, doc: str | None = None) -> str:
    """Why ``extract`` found nothing to report, to follow 没有可填报的指标 in a message."""
    if dept is None:
        return "：规划的目标和措施中没有读出量化或定性指标"
    every = extract(kb, doc=doc)
    unassigned = [i for i in every if not i.departments]
    if unassigned:
        return (f"（{dept}）：规划中有 {len(unassigned)} 个指标所在的目标和措施没有标注责任单位，无法分到部门；"
                "去掉 --dept 可生成全部指标的填报表")
    return f"（{dept}）：{dept}承担的目标和措施中没有读出指标"


def get(kb, indicator_id: str) -> Indicator:
    """One indicator by id; UnknownIndicator when there is none."""
    clause_id = indicator_id.rsplit(".", 1)[0]
    if clause_id in kb.by_id:
        for ind in indicators_of(kb, kb.by_id[clause_id]):
            if ind.id == indicator_id:
                return ind
    raise UnknownIndicator(indicator_id)
