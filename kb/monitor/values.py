"""Rules for reported values shared by the store, the form, the importer and the assessment.

The plan period of a document, the plausible range of a value for its unit, the strict reading of
a number typed as text, the characters a note may not carry, and how a value is shown in a message.
"""

from __future__ import annotations

import math
import re

from kb.indicators import normalise

DEFAULT_YEARS = (2021, 2030)
# Plausible ranges: a rate cannot exceed its base; any other value above PLAUSIBLE_MAX is a typo or an attack.
UNIT_MAX = {"%": 100, "‰": 1000, "/千": 1000, "/万": 10_000, "/10万": 100_000, "/100万": 1_000_000, "岁": 150}
PLAUSIBLE_MAX = 1e12
# A number typed as text: ASCII digits (full-width ones are made ASCII first), an optional minus,
# thousands separators only in groups of three, at most one decimal point. No exponent, no
# underscores, no other scripts' digits: Python's float() would take 1e308, 1_0 and ٣٣.
NUMBER = re.compile(r"-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?")
MAX_NUMBER_TEXT = 40  # longer text is not a number a department reports
SHOWN_CHARS = 20  # a rejected value is quoted by its first 20 characters
# Characters no note, source or unit name may carry: C0 controls but tab and line breaks, DEL, C1,
# and the bidirectional controls that reorder what a page shows (U+202E and its kin).
UNSAFE_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def plain_number(v):
    """An integral float as int (14.0 → 14), anything else unchanged: how values are shown."""
    return int(v) if isinstance(v, float) and v.is_integer() else v


def plausible(v) -> bool:
    """A finite number within ±PLAUSIBLE_MAX (a stored value fit to show)."""
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and abs(v) <= PLAUSIBLE_MAX


def years_of(kb, doc_id: str) -> range:
    """The plan period of a document (2021–2030 when the plan does not say)."""
    doc = kb.docs.get(doc_id)
    start, end = (doc.start_year, doc.end_year) if doc else (None, None)
    if not start or not end:
        start, end = DEFAULT_YEARS
    return range(start, end + 1)


def plan_years(kb, docs) -> list[int]:
    """Every year of the plan periods of these documents, sorted."""
    years: set[int] = set()
    for d in docs:
        years.update(years_of(kb, d))
    return sorted(years)


def parse_number(text: str, unit: str = "") -> float | None:
    """The number a cell's text states, or None; a trailing % (or ‰) is allowed for that unit."""
    text = normalise(text).strip()
    if unit in ("%", "‰"):
        text = text.removesuffix(unit).rstrip()
    if len(text) > MAX_NUMBER_TEXT or not NUMBER.fullmatch(text):
        return None
    return float(text.replace(",", ""))


def shown(value, limit: int = SHOWN_CHARS) -> str:
    """A value as a message quotes it: at most ``limit`` characters, huge numbers in short form."""
    if isinstance(value, float) and math.isfinite(value) and abs(value) >= 1e15:
        return f"{value:.6g}"
    text = str(plain_number(value))
    return text if len(text) <= limit else text[:limit] + "…"


def unsafe_char(text: str) -> str | None:
    """The first control or bidi character in text, as U+XXXX; None when there is none."""
    found = UNSAFE_TEXT.search(text)
    return f"U+{ord(found.group()):04X}" if found else None
