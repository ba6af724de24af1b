"""The outline: headings at the rank this document's marker order gives them, lists, numbered items
and their sub-items, numbering checks, page chrome and tables met in the text.

Headings form a stack whose nesting is learned from the order in which marker kinds first appear in
this document; items nest where they occur (an item of another marker kind numbered from 1 right
after an item is its sub-item, see ``open_item``); roles come from heading titles.
"""

from __future__ import annotations

import re

from kb.model import Heading
from kb.reader import tables, tags
from kb.reader.clauses import ClauseAssembly
from kb.reader.rules import list_role, part_role, read_marker
from kb.reader.state import DUTY, Node, OpenClause, SubList
from kb.reader.tags import FULLWIDTH, RE_RESP_LINE, is_unit_line

RE_LIST_WORD = re.compile(r"(主要目标|发展目标|策略措施|主要措施|主要任务|重点任务|主要指标)")
# Numbered kinds that always sit above the numeral kinds, whatever order they first appear in.
CANONICAL = ("chapter", "partnth", "sectnth")


def short_title(text: str) -> str:
    return text.strip().rstrip("。.:：").strip()


class Outline(ClauseAssembly):
    """The outline rules' actions on the reader's state."""

    # -- the outline -----------------------------------------------------
    def _rank(self, kind: str) -> int:
        if kind not in self.order:
            if kind in CANONICAL:
                at = next((i for i, k in enumerate(self.order) if k not in CANONICAL[: CANONICAL.index(kind) + 1]), len(self.order))
                self.order.insert(at, kind)
            else:
                self.order.append(kind)
        return self.order.index(kind)

    def push_heading(self, kind, number, marker, text, title, lineno, as_clause=False):
        """Open a heading at its rank: close deeper ones, check numbering, record its role."""
        self.end_table()
        self._close()
        if tags.is_lead_note(text):  # 二、重点任务（排在第一位的部门为牵头部门，下同）
            self.lead_first = True
        self._end_sub()
        rank = 0 if kind == "preface" else self._rank(kind)
        while self.stack and (self.stack[-1].kind == "list" or self.stack[-1].rank >= rank):
            self._pop()
        parent = self.stack[-1] if self.stack else self.root
        if kind != "preface":
            if rank == 0:
                if self._top_numbers:
                    self._check_sequence(self._top_numbers[-1], number, lineno, self._unit(kind, rank))
                self._top_numbers.append(number)
            else:
                if kind in parent.children:
                    self._check_sequence(parent.children[kind], number, lineno, self._unit(kind, rank))
                parent.children[kind] = number
        title = short_title(title)
        role = list_role(title) or (part_role(title) if rank == 0 else None)
        node = Node(kind, rank, number, marker, title, role, lineno, is_list=role in ("goal", "measure", "indicator") and not as_clause)
        self.stack.append(node)
        if as_clause:
            kind_ = self._clause_kind(heading_clause=True)
            self.open = OpenClause(kind_, number, marker, [text], lineno, tuple(self.stack), is_section=True)
            return
        level = "list" if self._is_list_heading(node) else "part" if rank == 0 else "section" if rank == 1 else "sub"
        part, section = self._numbers()
        self.out.headings.append(Heading(self.doc.id, level, marker, text, lineno, part, section))

    def _pop(self):
        node = self.stack.pop()
        if self._is_list_heading(node) and not node.items:
            self.warn(node.line, f"清单标题“{node.title}”下没有编号条目，未读出目标或措施")

    @property
    def _top_numbers(self):
        return self.root.items.setdefault("_top", [])

    def _unit(self, kind, rank):
        if kind == "chapter":
            return "章"
        return "部分" if rank == 0 else "节" if rank == 1 else "项"

    def push_list(self, line, lineno):
        """An unnumbered list heading: items after it are goals, measures, principles or indicators."""
        self.end_table()
        self._close()
        self._end_sub()
        while self.stack and self.stack[-1].kind == "list":
            self._pop()
        role = list_role(line)
        self.stack.append(Node("list", 99, None, "", short_title(line), role, lineno, is_list=role != "principle"))
        part, section = self._numbers()
        self.out.headings.append(Heading(self.doc.id, "list", "", line, lineno, part, section))

    def _clause_kind(self, heading_clause=False) -> str:
        """The kind an item (or a heading that is a clause) takes from the roles above it."""
        nodes = self.stack[:-1] if heading_clause else self.stack
        for node in reversed(nodes):
            if node.role in ("goal", "measure", "principle"):
                return node.role
            if node.role == "indicator":
                return "goal"
        for node in nodes:
            if node.role in ("implementation", "monitoring"):
                return node.role
        return "text"

    def open_item(self, kind, number, marker, text, lineno):
        """A numbered item: a clause whose kind comes from the list or heading it is in.

        An item of another marker kind numbered from 1 right after an item (`（1）` after `2．`) starts
        that item's sub-items; they last while their kind goes on, so the numbering of either level
        never looks like it went backwards.
        """
        self.end_table()
        self._close()
        holder = self.stack[-1] if self.stack else self.root
        sub = self.sub
        if sub and kind == sub.kind:
            self._check_sequence(sub.number, number, lineno, "项")
            sub.number = number
            self.open = OpenClause(sub.item.kind, number, marker, [text], lineno, tuple(self.stack), item_kind=kind,
                              sub_of=sub.item)
            return
        self._end_sub()
        last = self.last_item
        if last and last[0] is holder and last[1] != kind and number == 1:
            item = last[2]
            self.sub = SubList(item, bool(item.departments_raw), kind, 1)
            if not item.departments_raw and self.untagged and self.untagged[-1][0] == item.line:
                self.untagged.pop()  # decided when the sub-items end: a unit line after them may name the item's units
            self.open = OpenClause(item.kind, 1, marker, [text], lineno, tuple(self.stack), item_kind=kind, sub_of=item)
            return
        ckind = self._clause_kind()
        prev = holder.items.get(ckind, 0)
        self._check_sequence(prev, number, lineno, "条")
        holder.items[ckind] = number
        in_list = any(n.is_list for n in self.stack)
        self.open = OpenClause(ckind, number, marker, [text], lineno, tuple(self.stack), in_list=in_list, item_kind=kind)

    def _units_are_the_items(self, lineno) -> bool:
        """Whether a unit line after a sub-item names the units of the whole item.

        It does unless an earlier sub-item had units of its own, or the line follows the first sub-item
        and the second comes next (then every sub-item has its own line).
        """
        sub = self.sub
        if sub is None or sub.item_had_units or any(sub.own_units):
            return False
        if sub.number != 1:
            return True
        for raw in self.lines[lineno:]:
            s = raw.strip().strip("\u3000\xa0\ufeff").translate(FULLWIDTH)
            if not s or RE_RESP_LINE.match(s) or is_unit_line(s, self.registry):
                continue
            marker = read_marker(s)
            return not (marker and marker[:2] == (sub.kind, 2))
        return True

    def _end_sub(self):
        """Close a sub-item list: the item and its sub-items share the units named for the item."""
        sub, self.sub = self.sub, None
        if sub is None:
            return
        item = sub.item
        if not item.departments_raw:
            if sub.item_units:
                departments, item.departments_raw, item.lead = sub.item_units
                item.departments = list(departments)
            else:
                owned = [clause for clause, own in zip(sub.clauses, sub.own_units, strict=True) if own]
                for clause in owned:
                    item.departments += [d for d in clause.departments if d not in item.departments]
                item.departments_raw = "；".join(c.departments_raw or "" for c in owned) or None
        for clause, own in zip(sub.clauses, sub.own_units, strict=True):
            if not own:
                clause.departments = list(item.departments)
                clause.departments_raw, clause.lead = item.departments_raw, item.lead
        if item.kind in DUTY and not item.departments:
            self.untagged.append((item.line, f"{item.section_title or ''}第 {item.number} 条"))

    def expects_item(self, number: int) -> bool:
        """True when an item numbered ``number`` would come next in the open list (the last item was number - 1)."""
        op = self.open
        if op is None or op.number is None or op.marker == "" or not op.marker[:1].isdigit():
            return False
        return op.number == number - 1

    def open_can_take_units(self, labelled: bool) -> bool:
        op = self.open
        if op is None or op.number is None:
            return False
        if labelled:
            return not op.closed or bool(op.unit_lines)
        return op.kind in DUTY and (not op.closed or bool(op.unit_lines))

    def add_unit_line(self, line, lineno, labelled):
        op = self.open
        if op.sub_of is not None and not op.unit_lines:
            op.units_for_item = self._units_are_the_items(lineno)
        op.unit_lines.append((line, lineno, labelled))
        op.closed = True

    def continue_open(self, line, lineno=0) -> bool:
        op = self.open
        if op and op.closed and op.unit_lines and op.kind in DUTY and line.startswith(("——", "--")):
            # 目标责任分解: more ——sub-items of the same item, then their own unit lines (a table's next rows)
            self._close()
            self.open = OpenClause(op.kind, op.number, "", [line], lineno, op.path, in_list=op.in_list)
            return True
        if self.open and not self.open.closed:
            self._warn_if_list_like(line, lineno)
            if self.open.number is not None and tags.looks_like_name(line):
                self.warn(lineno, f"“{line}”像单位名称，但词典和 departments.toml 中都没有：作为第 {self.open.number} 条的正文保留，未读作责任单位")
            self.open.paragraphs.append(line)
            return True
        return False

    def chrome(self, line, lineno):
        """A line of page chrome (footer, share bar) inside the text: kept as a heading, never a clause."""
        self.end_table()
        self._close()
        self.out.headings.append(Heading(self.doc.id, "chrome", "", line, lineno))

    def paragraph(self, line, lineno):
        self.end_table()
        self._close()  # an item closed by its unit lines is kept, never replaced
        self._end_sub()
        self.last_item = None
        if tags.is_lead_note(line) and len(line) <= 40:  # a note of its own: （排在第一位的部门为牵头部门）
            self.lead_first = True
        self._warn_if_list_like(line, lineno)
        kind = self._clause_kind()
        if kind not in ("implementation", "monitoring"):
            if kind in DUTY and self.stack and self.stack[-1].is_list:
                self.warn(lineno, "清单中出现没有编号的段落，已作为正文处理")
            kind = "text"
        self.open = OpenClause(kind, None, "", [line], lineno, tuple(self.stack))
        self._close()

    def _warn_if_list_like(self, line, lineno):
        """A short line naming a list (主要目标及任务如下) that no rule took as a heading."""
        text = re.sub(r"\s+", "", line)
        if len(text) <= 30 and "。" not in text and RE_LIST_WORD.search(text):
            self.warn(lineno, f"“{line}”像清单标题，但未作为标题读取：其后的条目归入上一个清单或正文")

    def _check_sequence(self, prev, number, lineno, unit):
        if number == prev:
            self.warn(lineno, f"编号重复：第 {number} {unit}出现两次")
        elif number < prev:
            self.warn(lineno, f"编号倒退：第 {prev} {unit}之后是第 {number} {unit}")
        elif number > prev + 1:
            missing = "、".join(str(i) for i in range(prev + 1, number))
            self.warn(lineno, f"编号不连续：缺少第 {missing} {unit}")

    # -- tables ------------------------------------------------------------
    def table_row(self, line, lineno) -> bool:
        if self.table is None:
            self._close()
            self._end_sub()
            self.last_item = None
            self.table = tables.Table.start(self, line, lineno)
            return True
        self.table.row(line, lineno)
        return True

    def end_table(self):
        self.table = None
