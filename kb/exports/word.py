"""Duty lists and search results as Word documents: per group and plan section a table citing every
clause with the plan's own numbering.
"""

from __future__ import annotations

import math
import re

from kb.cells import clean
from kb.exports.common import MATCH_LABELS, cn_date, groups, naming_sentence, units_of
from kb.exports.rows import result_summary
from kb.exports.word_layout import (
    BODY_FONT,
    BODY_PT,
    CELL_PADDING_MM,
    PAGE_WIDTH_MM,
    SIDE_PT,
    SUB_FONT,
    TITLE_FONT,
    chars_mm,
    docx_bytes,
    grid_table,
    new_document,
    paragraph,
    pt_mm,
)
from kb.model import Clause
from kb.reader.rules import cn_numeral
from kb.terminal import display_width

MAX_UNIT_CHARS = 12
RESULT_COLUMNS = (("序号", 14), ("内容", 92), ("匹配方式", 20), ("出处", 30))


_CN = "一二三四五六七八九十"
# The numbering a citation starts with: its part (第二章, 第一部分, 二) and section (第一节, （三）).
RE_CITED_SECTION = re.compile(rf"^(第[{_CN}]+(?:章|部分)|[{_CN}]+(?=（|、| |第))(第[{_CN}]+节|（[{_CN}]+）)?")


def section_heading(c: Clause) -> str:
    """The plan's own heading of a clause's section, numbered as the plan numbers it: 二（三）妇女与经济,
    第二章第一节　儿童与健康."""
    m = RE_CITED_SECTION.match(c.citation or "")
    if m and m.group(1).startswith("第"):
        if c.section is not None and m.group(2):
            return f"{m.group(1)}{m.group(2)}　{c.section_title or ''}".rstrip("　")
        if c.section is None:
            return f"{m.group(1)}　{c.part_title or ''}".rstrip("　")
    where = "前言" if c.part == 0 else cn_numeral(c.part) if c.part else ""
    if c.section is not None:
        where += f"（{cn_numeral(c.section)}）"
        return where + (c.section_title or "")
    return (where + "、" if where and where != "前言" else where) + (c.part_title or "" if where != "前言" else "")


def unit_lines(tokens: list[str], capacity: float) -> list[str]:
    """Units laid out on lines of `capacity` full-width characters, a line breaking only after 、:
    a name is never split (a name longer than a line has a line of its own)."""
    lines: list[str] = []
    for token in _joined(tokens):
        if lines and display_width(lines[-1] + token) / 2 <= capacity:
            lines[-1] += token
        else:
            lines.append(token)
    return lines


def _joined(tokens: list[str]) -> list[str]:
    """Each unit with the 、 that follows it (none before a bracketed note such as （牵头：卫健局）)."""
    followed = [i < len(tokens) - 1 and not tokens[i + 1].startswith("（") for i in range(len(tokens))]
    return [t + ("、" if more else "") for t, more in zip(tokens, followed, strict=True)]


def _row_units(c: Clause, duties: dict, key: str) -> list[str]:
    """The 责任单位 tokens of a row: the tag's units, or the units the text names with the lead marked."""
    dept = duties["department"]
    units = units_of(c, duties)
    if key == "lead_in_text":
        units = [f"{dept}（牵头）"] + [u for u in units if u != dept]
    if c.lead and c.departments:
        units.append(f"（牵头：{c.lead}）")
    return units


def _text_runs(c: Clause, sentence: str | None) -> tuple[tuple[str, bool], ...]:
    """A clause's text as runs, the sentence that names the unit in bold."""
    if not sentence or sentence not in c.text:
        return ((c.text, False),)
    before, _, after = c.text.partition(sentence)
    return tuple((t, b) for t, b in ((before, False), (sentence, True), (after, False)) if t)


def _citation_lines(c: Clause) -> list[str]:
    """The citation on at most two lines: 二（三）策略措施 / 第11条; an untagged clause adds its part."""
    head, _, rest = c.citation.partition(" ")
    if rest:
        return [head, rest]
    return [head, c.domain or c.part_title or ""] if (c.domain or c.part_title) else [head]


def duty_columns(rows_units: list[list[str]], citations: list[list[str]]) -> tuple[tuple[str, float], ...]:
    """Column widths from content: 序号 two characters, 责任单位 the longest unit name (with its 、),
    出处 its longer line, 内容 the rest of the text width."""
    longest = max((display_width(u) / 2 for units in rows_units for u in _joined(units)), default=4)
    unit_chars = min(MAX_UNIT_CHARS, max(4, math.ceil(longest)))
    cite_chars = max(2, math.ceil(max((display_width(line) / 2 for lines in citations for line in lines), default=2)))
    number = chars_mm(2, BODY_PT)
    units = chars_mm(unit_chars, SIDE_PT)
    cite = chars_mm(cite_chars, SIDE_PT)
    content = round(PAGE_WIDTH_MM - number - units - cite, 1)
    return (("序号", number), ("内容", content), ("责任单位", units), ("出处", cite))


def duties_docx(duties: dict, title: str) -> bytes:
    """A 公文-style duty list: per group (标题 1), per plan section (标题 2), a table citing every clause."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    dept = clean(duties["department"])
    d = new_document(title, f"{dept}任务清单")
    paragraph(d, title, TITLE_FONT, 22, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    paragraph(d, f"{dept}任务清单", TITLE_FONT, 22, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=6)
    total = sum(len(duties[k]) for k, _ in groups(duties))
    summary = f"导出日期：{cn_date()}　共 {total} 条（出处为规划原文编号）"
    paragraph(d, summary, SUB_FONT, 14, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=12)
    for note in duties.get("notes", []):
        paragraph(d, note, BODY_FONT, 16)
    present = [(key, label) for key, label in groups(duties) if duties[key]]
    every = [(key, c) for key, _ in present for c in duties[key]]
    columns = duty_columns([_row_units(c, duties, key) for key, c in every], [_citation_lines(c) for _, c in every])
    capacity = (columns[2][1] - CELL_PADDING_MM) / pt_mm(SIDE_PT)
    docs = {c.doc for _, c in every}
    for key, label in present:
        d.add_heading(f"【{label}】（{len(duties[key])} 条）", level=1)
        by_section: dict[tuple, list[Clause]] = {}
        for c in duties[key]:
            by_section.setdefault((c.doc, c.part, c.section), []).append(c)
        for (doc, _, _), clauses in by_section.items():
            heading = section_heading(clauses[0]) or "其他"
            d.add_heading(heading + (f"（{doc}）" if len(docs) > 1 else ""), level=2)
            rows = []
            for i, c in enumerate(clauses, 1):
                units = unit_lines(_row_units(c, duties, key), capacity)
                rows.append((str(i), _text_runs(c, naming_sentence(c, dept, key)), units, _citation_lines(c)))
            grid_table(d, columns, rows, sizes=[BODY_PT, BODY_PT, SIDE_PT, SIDE_PT])
    return docx_bytes(d)


def results_docx(result: dict, titles: dict[str, str]) -> bytes:
    """Search results as a Word document: the query and its reading, then every hit in a table."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    summary = result_summary(result)
    plan = next(iter(titles.values())) if len(titles) == 1 else "规划"
    d = new_document(f"{plan}检索结果", f"：{summary[0][1]}")
    paragraph(d, plan, TITLE_FONT, 22, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    paragraph(d, f"检索结果：{summary[0][1]}", TITLE_FONT, 18, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=12)
    for k, v in summary:
        paragraph(d, f"{k}：{v}", BODY_FONT, 14)
    paragraph(d, "", BODY_FONT, 8)
    rows = []
    for i, h in enumerate(result["hits"], 1):
        text = h["text"] + ("\n责任单位：" + "、".join(h["departments"]) if h["departments"] else "")
        source = h["citation"] + ("\n" + titles[h["doc"]] if len(titles) > 1 and h["doc"] in titles else "")
        rows.append((str(i), text.split("\n"), MATCH_LABELS.get(h["match"], h["match"]), source.split("\n")))
    if rows:
        grid_table(d, RESULT_COLUMNS, rows)
    else:
        paragraph(d, "无", BODY_FONT, 14)
    return docx_bytes(d)
