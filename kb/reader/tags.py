"""Responsible units: reading a tag (（卫健局、妇联）, 牵头单位：…；责任单位：…) into canonical unit names.

The one place where written names become units (``unit_for``), so the registry behind it can change.
"""

from __future__ import annotations

import re

FULLWIDTH = str.maketrans("０１２３４５６７８９（）：．，；", "0123456789():.,;")

RE_TAG = re.compile(r"[（(]([^（）()]*)[)）]\s*$")
RE_TAG_SPLIT = re.compile(r"[、，,；;/／\s]+")
LABELS = (
    "牵头单位", "牵头部门", "牵头", "责任单位", "责任部门", "负责单位", "负责部门",
    "配合单位", "配合部门", "协办单位", "参与单位", "参与部门", "协同单位", "协助单位",
)
RE_LABEL = re.compile(r"(" + "|".join(LABELS) + r")\s*:")
RE_SEGMENT = re.compile(r"^\s*(" + "|".join(LABELS) + r")\s*:\s*(.*)$")
# A line that names units and nothing else: 责任单位：卫健局、妇联 / 牵头单位：…；配合单位：…
RE_RESP_LINE = re.compile(r"^(" + "|".join(LABELS) + r")\s*:\s*(\S.*)$")
PROSE = re.compile(r"[。:“”《》!?！？]|\d")


def unit_for(name: str, registry) -> tuple[str, bool]:
    """(canonical name, known) for one written name: a group, a registry unit, else the name as written."""
    group = registry.group(name)
    if group:
        return group.name, True
    canonical = registry.resolve(name)
    if canonical:
        return canonical, True
    return registry.unknown_name(name), False


def unknown_unit_message(name: str, registry) -> str:
    """The warning for a name in a tag that no dictionary knows: kept as written (without its own county's prefix)."""
    stored = registry.unknown_name(name)
    kept = "按原文保留" if stored == name else f"按“{stored}”保留"
    if registry.looks_like_unit(name):
        return f"未知部门“{name}”：词典和 departments.toml 中都没有，{kept}"
    return f"未知部门“{name}”：不像单位名称，{kept}，请更正或在 departments.toml 中登记"


def is_unit(name: str, registry) -> bool:
    """True when a written name is a known unit or group, or reads like one."""
    return bool(registry.resolve(name) or registry.is_group(name) or registry.looks_like_unit(name))


def split_names(text: str) -> list[str]:
    return [p for p in RE_TAG_SPLIT.split(text) if p]


def is_tag(inner: str, registry) -> bool:
    """A trailing （…） is a tag when it is labelled, or names at least one unit and no part of it is prose."""
    inner = inner.strip()
    if not inner or "。" in inner:
        return False
    s = inner.translate(FULLWIDTH)
    if RE_LABEL.search(s):
        return True
    parts = split_names(s)
    if not parts or any(len(p) > 20 or PROSE.search(p) for p in parts):
        return False
    return any(is_unit(p, registry) for p in parts)


def is_unit_line(line: str, registry) -> bool:
    """A line holding nothing but unit names (a cell of a responsibility table pasted as text)."""
    s = line.strip().translate(FULLWIDTH)
    if not s or "。" in s or len(s) > 80:
        return False
    parts = split_names(s)
    return bool(parts) and all(len(p) <= 20 and not PROSE.search(p) and is_unit(p, registry) for p in parts)


def read_tag(raw: str, registry) -> tuple[list[str], str | None, list[str]]:
    """Canonical names in tag order, de-duplicated; the lead unit; the names not recognised as known units.

    Labelled segments (牵头单位：…；责任单位：…；配合单位：…) each contribute their units; the lead
    is the first unit of a 牵头 segment.
    """
    s = raw.translate(FULLWIDTH)
    names: list[str] = []
    lead_names: list[str] = []
    if RE_LABEL.search(s):
        for segment in re.split(r"[;；]", s):
            m = RE_SEGMENT.match(segment)
            if not m:
                names += split_names(segment)
                continue
            found = split_names(m.group(2))
            if m.group(1).startswith("牵头") and not lead_names:
                lead_names = found[:1]
            names += found
    else:
        names = split_names(s)
    out, unknown, lead = [], [], None
    for name in names:
        canonical, known = unit_for(name, registry)
        if not known:
            unknown.append(name)
        if lead_names and name == lead_names[0] and lead is None:
            lead = canonical
        if canonical not in out:
            out.append(canonical)
    if lead is not None:  # lead first, as plans list it
        out.remove(lead)
        out.insert(0, lead)
    return out, lead, unknown
