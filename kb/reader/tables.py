"""Tables (rows of tab-joined cells): responsibility tables (任务分工) and indicator tables (主要指标).

A responsibility table's header names a task or goal column and unit columns
(序号 | 主要任务 | 牵头单位 | 配合单位 | 完成时限); each row becomes a clause in the domain of the heading
above it, with the lead unit and the others. An indicator table (指标 | 2020年 | 2025年 | 属性) gives
one goal clause per indicator. Any other table keeps its rows as text, with a warning.
"""

from __future__ import annotations

import re

from kb.model import Heading
from kb.reader.tags import read_tag, unknown_unit_message

RE_NUMBER_COL = re.compile(r"^(序号|编号|序)$")
RE_TASK_COL = re.compile(r"(任务|措施|目标|工作|举措|事项|内容)")
RE_LEAD_COL = re.compile(r"牵头")
RE_UNIT_COL = re.compile(r"(单位|部门)")
RE_YEAR_COL = re.compile(r"\d{4}\s*年")
RE_INDICATOR_COL = re.compile(r"指\s*标")


def cells_of(line: str) -> list[str]:
    return [c.strip() for c in line.split("\t")]


class Table:
    """One table being read: its columns, the clause kind its rows take, its reader."""

    def __init__(self, reader, kind, columns, header_line):
        self.reader = reader
        self.kind = kind  # "measure", "goal", "indicator" or None (not understood)
        self.columns = columns
        self.width = len(columns)
        self.header_line = header_line
        self.count = 0

    @classmethod
    def start(cls, reader, line, lineno) -> Table:
        """A header row starts a table; a row matching the last table's columns continues it."""
        cells = cells_of(line)
        kind, columns = _header(cells, reader)
        last = reader.last_table
        if kind is None and last is not None and last.kind and len(cells) == last.width:
            last.row(line, lineno)
            return last
        table = cls(reader, kind, columns, lineno)
        table.width = len(cells)
        reader.last_table = table
        level = "list" if kind else "table"
        part, section = reader._numbers()
        reader.out.headings.append(Heading(reader.doc.id, level, "", line, lineno, part, section))
        if kind is None:
            reader.warn(lineno, "表格的表头没有任务/目标列和单位列，也不是指标表，表格各行作为正文处理")
        return table

    def row(self, line, lineno):
        cells = cells_of(line)
        r = self.reader
        if self.kind is None or len(cells) != self.width:
            if self.kind is not None:
                r.warn(lineno, f"表格行有 {len(cells)} 列，表头有 {self.width} 列，此行作为正文处理")
            r.add_clause("text", None, "", line, "", lineno, tuple(r.stack), [], None, None)
            return
        self.count += 1
        holder = r.stack[-1] if r.stack else r.root
        holder.items["table"] = self.count
        col = self.columns
        number = self.count
        if col.get("number") is not None and cells[col["number"]].isdigit():
            number = int(cells[col["number"]])
        task = col["task"]
        marker = "\t".join(cells[:task]) + ("\t" if task else "")
        tag = ("\t" + "\t".join(cells[task + 1:])) if task + 1 < len(cells) else ""
        text = cells[task]
        if self.kind == "indicator":  # the values stay with the row (tag), the indicator is the text
            r.add_clause("goal", number, marker, text, tag, lineno, tuple(r.stack), [], None, None)
            return
        departments, lead, raws = [], None, []
        for i in [col.get("lead")] + col["units"]:
            if i is None or not cells[i]:
                continue
            names, lead_, unknown = read_tag(cells[i], r.registry)
            for name in unknown:
                r.warn(lineno, unknown_unit_message(name, r.registry))
            if i == col.get("lead") and names and lead is None:
                lead = names[0]
            departments += [n for n in names if n not in departments]
            raws.append(cells[i])
        if not departments:
            r.untagged.append((lineno, f"表格第 {number} 行"))
        else:
            r.tagged += 1
        r.add_clause(self.kind, number, marker, text, tag, lineno, tuple(r.stack), departments, "；".join(raws) or None, lead)



def _header(cells, reader):
    """(row kind, column positions) of a header row, or (None, {}) when it is not one we understand."""
    columns = {"number": None, "task": None, "lead": None, "units": []}
    years = [i for i, c in enumerate(cells) if RE_YEAR_COL.search(c)]
    for i, c in enumerate(cells):
        c = re.sub(r"\s+", "", c)
        if RE_NUMBER_COL.match(c):
            columns["number"] = i
        elif RE_LEAD_COL.search(c):
            columns["lead"] = i
        elif RE_UNIT_COL.search(c):
            columns["units"].append(i)
        elif RE_INDICATOR_COL.search(c) and columns["task"] is None and i not in years:
            columns["task"] = i
            columns["indicator"] = True
        elif RE_TASK_COL.search(c) and columns["task"] is None and i not in years:
            columns["task"] = i
    if columns["task"] is None:
        return None, {}
    if columns.get("indicator") and years and columns["lead"] is None and not columns["units"]:
        return "indicator", columns
    if columns["lead"] is None and not columns["units"]:
        return None, {}
    title = re.sub(r"\s+", "", cells[columns["task"]])
    kind = reader._clause_kind()
    if "目标" in title and not re.search(r"(任务|措施|工作|举措)", title):
        kind = "goal"
    elif re.search(r"(任务|措施|工作|举措)", title) and "目标" not in title:
        kind = "measure"
    elif kind not in ("goal", "measure"):
        kind = "measure"
    return kind, columns
