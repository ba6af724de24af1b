"""Layout tables versus data tables, decided once by the shape of their rows (HTML and Word alike).

A table holds data when its first row names record columns (序号 | 主要任务 | 牵头单位 | 责任单位 |
完成时限, an indicator table's 指标 | 2025年) or when every cell is short; it lays out a page when a
cell holds a nested table, a heading, several paragraphs, a long text or a list of links. Layout
tables are unwrapped into their paragraphs; only data tables become tab rows.
"""

from __future__ import annotations

import re

DATA_HEADER = re.compile(r"序号|编号|任务|措施|牵头|责任单位|配合单位|责任部门|完成时限|时间节点|指标|目标值|属性|[12]\d{3}\s*年")
LONG_CELL = 300  # Chinese characters: more than a record's cell holds


def cjk_len(text: str) -> int:
    return sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")


def is_data_header(cells: list[str]) -> bool:
    """A first row naming the columns of records, each a short label."""
    short = all(len(c.strip()) <= 20 and "。" not in c for c in cells)
    return len(cells) >= 2 and short and bool(DATA_HEADER.search(" ".join(cells)))


def is_layout_cell(paragraphs: int, nested: bool, text: str, links: int = 0) -> bool:
    """A cell that holds a piece of page rather than a value: a nested table or heading, paragraphs, a long text, links."""
    return nested or paragraphs >= 3 or links >= 4 or cjk_len(text) > LONG_CELL
