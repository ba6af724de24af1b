"""The outline's conventions, one small rule each, tried in order at every line (see ``RULES``).

A rule gets the reader and the current line (as written, and ``s``: the same line with full-width
digits and punctuation made ASCII, character for character) and returns True when it consumed the
line. ``paragraph`` is last and always matches, so nothing is lost.
"""

from __future__ import annotations

import re

from kb.reader.frontmatter import is_chrome
from kb.reader.tags import FULLWIDTH, RE_RESP_LINE, TRADITIONAL, is_unit_line, looks_like_name

CN = "一二三四五六七八九十"
CIRCLED = {chr(c): i + 1 for i, c in enumerate(range(0x2474, 0x2488))}  # ⑴ … ⒇
CIRCLED.update({chr(c): i + 1 for i, c in enumerate(range(0x2460, 0x2474))})  # ① … ⑳

RE_PREFACE = re.compile(r"^(前\s*言|序\s*言)$")
# marker kind → pattern; group 1 is the number, group 2 the text after the marker.
MARKERS = (
    ("chapter", re.compile(r"^第([一二三四五六七八九十]+)章\s*[、.:]?\s*(.*)$")),
    ("partnth", re.compile(r"^第([一二三四五六七八九十]+)部分\s*[、.:]?\s*(.*)$")),
    ("sectnth", re.compile(r"^第([一二三四五六七八九十]+)节\s*[、.:]?\s*(.*)$")),
    ("cn", re.compile(r"^([一二三四五六七八九十]+)\s*[、.]\s*(\S.*)$")),
    ("pcn", re.compile(r"^\(([一二三四五六七八九十]+)\)\s*(\S.*)$")),
    # 1. / 2、 / 3.2025年… / 11.121人才…: a dot before a year or a number of three digits or more ends a marker
    ("arabic", re.compile(r"^(\d{1,3})\s*(?:[.、•](?!\d)|\.(?=\s)|\.(?=\d+年|\d{3,}[^\d.%‰]))\s*(.*)$")),
    ("parabic", re.compile(r"^\((\d{1,3})\)\s*(.*)$")),
    ("circled", re.compile(r"^([\u2460-\u2487])\s*(.*)$")),
)
HEADING_KINDS = ("chapter", "partnth", "sectnth")  # always headings
ITEM_KINDS = ("arabic", "parabic", "circled")  # items, unless their title names a list

# Role titles (spaces ignored): a list of goals or measures, principles, indicators.
LIST_ROLES = {
    "主要目标": "goal", "发展目标": "goal", "具体目标": "goal", "目标任务": "goal",
    "策略措施": "measure", "主要措施": "measure", "主要任务": "measure", "重点任务": "measure",
    "具体措施": "measure", "工作措施": "measure", "重点工作": "measure", "主要工作": "measure",
    "主要指标": "indicator", "发展指标": "indicator", "指标体系": "indicator",
    "基本原则": "principle", "工作原则": "principle", "主要原则": "principle",
}
RE_ROLE = re.compile(r"^(?:.{0,24}的)?(" + "|".join(LIST_ROLES) + r")[。.:]?$")
PART_ROLES = (("组织实施", "implementation"), ("保障措施", "implementation"), ("监测", "monitoring"), ("评估", "monitoring"))


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def cn_number(text: str) -> int:
    """一 → 1, 十二 → 12, 二十 → 20 (the numerals plan headings use)."""
    digits = "零" + CN[:9]
    if text == "十":
        return 10
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (digits.index(tens) if tens else 1) * 10 + (digits.index(ones) if ones else 0)
    return digits.index(text)


def list_role(title: str) -> str | None:
    """goal / measure / indicator / principle when a title names such a list (主 要 目 标, 妇女与健康发展的主要目标)."""
    m = RE_ROLE.match(compact(title).translate(TRADITIONAL).translate(str.maketrans("：", ":")))
    return LIST_ROLES[m.group(1)] if m else None


def part_role(title: str) -> str | None:
    """implementation / monitoring for a top-level heading about carrying out or monitoring the plan."""
    title = title.translate(TRADITIONAL)
    for word, role in PART_ROLES:
        if word in title:
            return role
    return None


def read_marker(s: str):
    """(kind, number, text start) of a numbered line, or None."""
    for kind, pattern in MARKERS:
        m = pattern.match(s)
        if m:
            n = m.group(1)
            number = CIRCLED[n] if kind == "circled" else int(n) if n.isdigit() else cn_number(n)
            return kind, number, m.start(2)
    return None


def is_structural(line: str) -> bool:
    """A line that opens the outline (used to tell a title line from the first heading)."""
    s = line.strip().translate(FULLWIDTH)
    if RE_PREFACE.match(s) or list_role(s):
        return True
    marker = read_marker(s)
    if not marker:
        return False
    return marker[0] != "cn" or len(s) <= 40


# -- rules ------------------------------------------------------------------------
def table_row(r, line, s, lineno) -> bool:
    """A table row (cells joined by tabs): a responsibility or indicator table."""
    if "\t" not in line:
        r.end_table()
        return False
    return r.table_row(line, lineno)


def chrome(r, line, s, lineno) -> bool:
    """Page chrome left in a saved page's text: 【打印】【关闭】, 版权所有, 网站标识码 …"""
    if len(s) > 60 or not is_chrome(line):
        return False
    r.chrome(line, lineno)
    return True


def preface(r, line, s, lineno) -> bool:
    """前言 / 序言: the part before the first numbered part."""
    if not RE_PREFACE.match(s):
        return False
    r.push_heading("preface", 0, "", line, "前言", lineno)
    return True


def numbered(r, line, s, lineno) -> bool:
    """第X章, 第X部分, 第X节, 一、, （一）, 1., （1）, ⑴, ①: a heading, a heading that is a clause, or an item."""
    marker = read_marker(s) or _next_item_before_number(r, s)
    if not marker:
        return False
    kind, number, start = marker
    rest = line[start:]
    if kind in HEADING_KINDS:
        r.push_heading(kind, number, line[:start] if rest else line, rest, rest or line, lineno)
        return True
    if not rest:
        return False
    mark = line[:start]
    if kind in ITEM_KINDS:
        if list_role(rest):
            r.push_heading(kind, number, mark.rstrip(), rest, rest, lineno)
        else:
            r.open_item(kind, number, mark.rstrip(), rest, lineno)
        return True
    head, dot, body = rest.partition("。")
    if kind == "cn" and len(s) <= 40 and "。" not in s.rstrip("。"):
        r.push_heading(kind, number, mark, rest, rest, lineno)
    elif body.strip() or (not dot and len(rest) > 30):
        # A heading that is itself a clause: （一）坚持党的全面领导。把党的领导…
        r.push_heading(kind, number, mark, rest, head if dot else rest[:30], lineno, as_clause=True)
    else:
        r.push_heading(kind, number, mark, rest, rest, lineno)
    return True


RE_DECIMAL_LIKE = re.compile(r"^(\d{1,3})[.•·](\d.*)$")


def _next_item_before_number(r, s):
    """9.5 岁以下… after item 8 of a list: the next item whose text starts with a number, not the decimal 9.5."""
    m = RE_DECIMAL_LIKE.match(s)
    if not m or not r.expects_item(int(m.group(1))):
        return None
    return "arabic", int(m.group(1)), m.start(2)


def list_heading(r, line, s, lineno) -> bool:
    """An unnumbered list heading: 主要目标：, 策略措施, 主 要 目 标, 重点任务：, 妇女与健康发展的主要目标."""
    if len(s) > 40 or not list_role(s):
        return False
    r.push_list(line, lineno)
    return True


RE_LIST_INLINE = re.compile(r"^(\S{2,16}?):\s*(?=\d{1,3}\s*[.、](?!\d))")


def list_heading_with_item(r, line, s, lineno) -> bool:
    """主要目标：1.… — a list heading with its first item on the same line."""
    m = RE_LIST_INLINE.match(s)
    if not m or not list_role(m.group(1)):
        return False
    r.push_list(line[: m.end()].rstrip(), lineno)
    rest, srest = line[m.end():], s[m.end():]
    kind, number, start = read_marker(srest)
    r.open_item(kind, number, rest[:start].rstrip(), rest[start:], lineno)
    return True


def responsibility_line(r, line, s, lineno) -> bool:
    """责任单位：… / 牵头单位：…；配合单位：… on its own line after an item."""
    if not RE_RESP_LINE.match(s) or not r.open_can_take_units(labelled=True):
        return False
    r.add_unit_line(line, lineno, labelled=True)
    return True


def unit_line(r, line, s, lineno) -> bool:
    """A line naming only units, after an item (cells of a responsibility table pasted as text)."""
    if not r.open_can_take_units(labelled=False):
        return False
    # after the first unit line, an unknown short name (省人口计生) is one more unit, read with a warning
    if not is_unit_line(line, r.registry) and not (r.open.unit_lines and looks_like_name(line)):
        return False
    r.add_unit_line(line, lineno, labelled=False)
    return True


def continuation(r, line, s, lineno) -> bool:
    """Continuation paragraphs and ——/-- sub-items stay lines of the open clause."""
    return r.continue_open(line, lineno)


def paragraph(r, line, s, lineno) -> bool:
    """Anything else: a paragraph of its own (the catch-all)."""
    r.paragraph(line, lineno)
    return True


RULES = (table_row, chrome, preface, numbered, list_heading, list_heading_with_item, responsibility_line, unit_line, continuation, paragraph)
