"""What every export shares: the columns and groups of a duty list, a row's units, titles, dates and
file names.
"""

from __future__ import annotations

import datetime as _dt
from urllib.parse import quote

from kb.cells import filename_part
from kb.model import KIND_LABELS, RELATION_LABELS, RELATIONS, Clause

COLUMNS = ["序号", "领域", "类别", "编号", "内容", "责任单位"]
MATCH_LABELS = {**RELATION_LABELS, "text": "关键词匹配"}


# The duties every unit has (共同职责) come first: a clerk starts with them (实施方案, yearly reports).
GROUP_ORDER = ("common", *RELATIONS)
GROUP_LABELS = {"common": "共同职责", **RELATION_LABELS}


def groups(duties: dict) -> list[tuple[str, str]]:
    """The groups a duty list holds, in list order, with their Chinese labels."""
    return [(key, GROUP_LABELS[key]) for key in GROUP_ORDER if key in duties]


def today() -> _dt.date:
    return _dt.date.today()


def cn_date(day: _dt.date | None = None) -> str:
    day = day or today()
    return f"{day.year}年{day.month}月{day.day}日"


def has_lead(clauses) -> bool:
    return any(c.lead for c in clauses)


COMMON_UNITS = "各责任单位"


def units_of(c: Clause, duties: dict | None = None) -> list[str]:
    """The units a row names: the clause's tag; for a common duty every unit; for another untagged
    clause the units its text names."""
    if c.departments or duties is None:
        return list(c.departments)
    if any(c is other for other in duties.get("common", ())):
        return [COMMON_UNITS]
    return list(duties.get("named", {}).get(c.id, ()))


def clause_row(n: int, c: Clause, with_lead: bool, duties: dict | None = None) -> list:
    units = units_of(c, duties)
    number = c.number if c.number is not None else ""
    row = [n, c.domain or c.part_title or "", KIND_LABELS.get(c.kind, c.kind), number, c.text, "、".join(units)]
    if with_lead:
        row.append(c.lead or "")
    return row


def naming_sentence(c: Clause, dept: str, key: str) -> str | None:
    """The sentence that makes an untagged clause the unit's duty (the one naming it, or the common one)."""
    from kb.common_duties import SENTENCE, common_sentence

    if key == "common":
        return common_sentence(c)
    if key == "lead_in_text":
        return next((s.strip() for s in SENTENCE.findall(c.text) if dept in s), None)
    return None


def export_title(kb, doc: str | None) -> str:
    """The plan's title for an export: the chosen document, the only one, or a generic one."""
    if doc and doc in kb.docs:
        return kb.docs[doc].title
    if len(kb.documents) == 1:
        return kb.documents[0].title
    return "发展规划"


def filename(title: str, dept: str, ext: str) -> str:
    base = title.split("（")[0].split("(")[0] or title
    return f"{filename_part(base)}-{filename_part(dept)}-任务清单.{ext}"


def content_disposition(name: str) -> str:
    """attachment with an ASCII fallback and the Chinese name as RFC 5987 filename*."""
    name = filename_part(name.rsplit(".", 1)[0]) + ("." + name.rsplit(".", 1)[1] if "." in name else "")
    ascii_name = "".join(ch if ch.isascii() and ch.isprintable() and ch not in '"\\;' else "_" for ch in name)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
