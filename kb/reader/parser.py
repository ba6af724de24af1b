"""The plan reader: front matter, then the outline rules tried in order at each line over one state.

Headings form a stack whose nesting is learned from the order in which marker kinds first appear in
this document; items nest where they occur (an item of another marker kind numbered from 1 right
after an item is its sub-item, see ``open_item``); roles (goal and measure lists, principles, implementation, monitoring, indicators) come
from heading titles. Every non-blank character of the input lands in exactly one heading or clause
(see ``reassemble``); what looks wrong is a warning, never raised, except a file in which no plan
structure can be found at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kb.departments import Registry
from kb.errors import SourceError
from kb.model import Clause, Document, Heading, ParsedDocument, ParseWarning
from kb.reader import frontmatter, tables, tags
from kb.reader.rules import CN, ITEM_KINDS, RULES, is_structural, list_role, part_role, read_marker
from kb.reader.tags import (
    FULLWIDTH, RE_LABEL, RE_RESP_LINE, RE_TAG, is_tag, is_unit_line, read_tag, unknown_unit_message,
)

RE_LIST_WORD = re.compile(r"(主要目标|发展目标|策略措施|主要措施|主要任务|重点任务|主要指标)")
ITEM_LETTER = {"goal": "g", "measure": "m", "principle": "p"}
DUTY = ("goal", "measure")
# Numbered kinds that always sit above the numeral kinds, whatever order they first appear in.
CANONICAL = ("chapter", "partnth", "sectnth")


def cn_numeral(n: int) -> str:
    """1 → 一, 12 → 十二 (for citations)."""
    digits = "零" + CN[:9]
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")


def short_title(text: str) -> str:
    return text.strip().rstrip("。.:：").strip()


@dataclass
class Node:
    """An open heading: its marker kind, rank in this document's nesting, role and counters."""

    kind: str
    rank: int
    number: int | None
    marker: str
    title: str
    role: str | None
    line: int
    is_list: bool = False
    items: dict = field(default_factory=dict)  # last item number per clause kind
    children: dict = field(default_factory=dict)  # last child heading number per marker kind


@dataclass
class _Open:
    """The clause being read: paragraphs gather until the next structural line."""

    kind: str
    number: int | None
    marker: str
    paragraphs: list[str]
    line: int
    path: tuple
    in_list: bool = False
    unit_lines: list = field(default_factory=list)  # (line as written, line number, labelled)
    closed: bool = False
    is_section: bool = False
    item_kind: str = ""  # the marker kind of an item (arabic, parabic, circled)
    sub_of: Clause | None = None  # the item this one is a sub-item of
    units_for_item: bool = False  # its unit lines name the units of the whole item


@dataclass
class _SubList:
    """Sub-items `（1）（2）` under an item `2．`: they share the item's units until the list ends."""

    item: Clause
    item_had_units: bool
    kind: str
    number: int = 0
    clauses: list[Clause] = field(default_factory=list)
    own_units: list[bool] = field(default_factory=list)
    item_units: tuple[list[str], str | None, str | None] | None = None  # (departments, raw, lead) of a line after them


class Reader:
    """Reads one document; use ``parse_lines``."""

    def __init__(self, lines, document: Document, registry: Registry, file: str):
        self.lines = lines
        self.doc = document
        self.registry = registry
        self.file = file
        self.out = ParsedDocument(document=document)
        self.stack: list[Node] = []
        self.root = Node("root", -1, None, "", "", None, 0)
        self.order: list[str] = []
        self.open: _Open | None = None
        self.ids: dict[str, int] = {}
        self.paragraph_counts: dict[tuple, int] = {}
        self.untagged: list[tuple[int, str]] = []
        self.tagged = 0
        self.table = None
        self.last_table = None
        self.lead_first = False  # a note said the first unit of each tag leads (下同)
        self.last_item: tuple[Node, str, Clause] | None = None  # (holder, marker kind, clause) of the item just read
        self.sub: _SubList | None = None

    def warn(self, line: int, message: str):
        self.out.warnings.append(ParseWarning(self.file, line, message))

    # -- driver ----------------------------------------------------------
    def run(self) -> ParsedDocument:
        front = frontmatter.read_front(self.lines, is_structural)
        self._front(front)
        for index in range(front.body_start, front.body_end):
            raw = self.lines[index]
            line = raw.strip().strip("\u3000\xa0\ufeff")
            if not line:
                continue
            s = line.translate(FULLWIDTH)
            lineno = index + 1
            for rule in RULES:
                if rule(self, line, s, lineno):
                    break
        self.end_table()
        self._close()
        self._end_sub()
        while self.stack:
            self._pop()
        self._finish()
        for lineno in uncovered_lines(self.lines, self.out):
            self.warn(lineno, "此行没有读入任何条款、标题或文件信息（行覆盖检查）")
        self.out.warnings.sort(key=lambda w: w.line)
        return self.out

    def _front(self, front):
        doc, lines = self.doc, self.lines
        for n in front.chrome:
            self.out.headings.append(Heading(doc.id, "chrome", "", lines[n - 1].strip(), n))
        if front.notice:
            text = "\n".join(lines[n - 1].strip() for n in front.notice)
            self.out.clauses.append(Clause(
                id=f"{doc.id}.notice", doc=doc.id, kind="notice", domain=None, number=None, text=text,
                departments=[], departments_raw=None, citation="印发通知", line=front.notice[0], order=0,
            ))
        for n in front.title:
            self.out.headings.append(Heading(doc.id, "title", "", lines[n - 1].strip().strip("\u3000\xa0\ufeff"), n))
        for n in front.toc:
            self.out.headings.append(Heading(doc.id, "toc", "", lines[n - 1].strip(), n))
        for n in front.fields:
            self.out.headings.append(Heading(doc.id, "front", "", lines[n - 1].strip(), n))
        doc.doc_number = doc.doc_number or front.doc_number
        doc.issued = doc.issued or front.issued

    # -- the outline -----------------------------------------------------
    def _rank(self, kind: str) -> int:
        if kind not in self.order:
            if kind in CANONICAL:
                at = next((i for i, k in enumerate(self.order) if k not in CANONICAL[: CANONICAL.index(kind) + 1]), len(self.order))
                self.order.insert(at, kind)
            else:
                self.order.append(kind)
        return self.order.index(kind)

    def _parent(self) -> Node:
        for node in reversed(self.stack):
            if not node.is_list:
                return node
        return self.root

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
            self.open = _Open(kind_, number, marker, [text], lineno, tuple(self.stack), is_section=True)
            return
        level = "list" if self._is_list_heading(node) else "part" if rank == 0 else "section" if rank == 1 else "sub"
        part, section = self._numbers()
        self.out.headings.append(Heading(self.doc.id, level, marker, text, lineno, part, section))

    def _pop(self):
        node = self.stack.pop()
        if self._is_list_heading(node) and not node.items:
            self.warn(node.line, f"清单标题“{node.title}”下没有编号条目，未读出目标或措施")

    @staticmethod
    def _is_list_heading(node) -> bool:
        """A heading that only names a list (主要目标：, 1. 策略措施), not a part of the outline."""
        return node.is_list and (node.kind == "list" or node.kind in ITEM_KINDS)

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

    def _numbers(self, path=None):
        path = self.stack if path is None else path
        part = next((n.number for n in path if n.rank == 0), None)
        section = next((n.number for n in path if n.rank == 1), None)
        return part, section

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
            self.open = _Open(sub.item.kind, number, marker, [text], lineno, tuple(self.stack), item_kind=kind,
                              sub_of=sub.item)
            return
        self._end_sub()
        last = self.last_item
        if last and last[0] is holder and last[1] != kind and number == 1:
            item = last[2]
            self.sub = _SubList(item, bool(item.departments_raw), kind, 1)
            if not item.departments_raw and self.untagged and self.untagged[-1][0] == item.line:
                self.untagged.pop()  # decided when the sub-items end: a unit line after them may name the item's units
            self.open = _Open(item.kind, 1, marker, [text], lineno, tuple(self.stack), item_kind=kind, sub_of=item)
            return
        ckind = self._clause_kind()
        prev = holder.items.get(ckind, 0)
        self._check_sequence(prev, number, lineno, "条")
        holder.items[ckind] = number
        in_list = any(n.is_list for n in self.stack)
        self.open = _Open(ckind, number, marker, [text], lineno, tuple(self.stack), in_list=in_list, item_kind=kind)

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
            self.open = _Open(op.kind, op.number, "", [line], lineno, op.path, in_list=op.in_list)
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
        self.open = _Open(kind, None, "", [line], lineno, tuple(self.stack))
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

    # -- clauses ---------------------------------------------------------
    def _close(self):
        op, self.open = self.open, None
        if op is None:
            return
        text = "\n".join(op.paragraphs)
        if (not op.unit_lines and len(op.paragraphs) == 1 and op.kind != "principle" and op.sub_of is None
                and self._close_groups(op, text)):
            return
        tag, raws, departments, lead = "", [], [], None
        if op.number is not None:
            text, tag, raws, departments, lead = self._read_tags(op, text)
            if raws and op.kind not in DUTY and op.kind != "principle":
                op.kind = self._duty_kind(op)  # a tag makes an item a duty, whatever its heading is called
            if op.kind in DUTY and raws:
                self.tagged += 1
            elif op.kind in DUTY and op.sub_of is None:
                where = self._title_for_warning(op)
                self.untagged.append((op.line, f"{where}第 {op.number} 条"))
        raw = "；".join(raws) if raws else None
        if op.sub_of is not None and self.sub is not None:
            if op.units_for_item:
                self.sub.item_units = (departments, raw, lead)
                departments, raw, lead = [], None, None
            clause = self._add_sub_item(self.sub.item, op, text, tag, departments, raw, lead)
            self.sub.clauses.append(clause)
            self.sub.own_units.append(bool(raw))
            return
        clause = self.add_clause(op.kind, op.number, op.marker, text, tag, op.line, op.path, departments,
                                 raw, lead, op.is_section, op.in_list)
        if op.item_kind:
            self.last_item = (op.path[-1] if op.path else self.root, op.item_kind, clause)

    def _add_sub_item(self, item: Clause, op: _Open, text, tag, departments, raw, lead) -> Clause:
        """A sub-item: the item's id and citation followed by its own number (第2条（1）)."""
        base = f"{item.id}-{op.number}"
        n = self.ids.get(base, 0) + 1
        self.ids[base] = n
        clause = Clause(
            id=base if n == 1 else f"{base}~{n}", doc=item.doc, kind=item.kind, domain=item.domain, number=op.number,
            text=text, departments=departments, departments_raw=raw, citation=f"{item.citation}（{op.number}）",
            lead=lead, part=item.part, section=item.section, part_title=item.part_title,
            section_title=item.section_title, marker=op.marker, tag=tag, line=op.line, order=len(self.out.clauses),
        )
        self.out.clauses.append(clause)
        return clause

    def _close_groups(self, op, text) -> bool:
        """A paragraph with tags before its end (…。（A牵头）…。（B负责））: one duty clause per tagged group.

        An unnumbered paragraph closed by a tag is a duty too. False when neither applies.
        """
        groups = tags.sentence_groups(text, self.registry)
        tagged = [g for g in groups if g[2]]
        if not tagged or (len(groups) == 1 and op.number is not None):
            return False
        kind = op.kind if op.kind in DUTY else self._duty_kind(op)
        number = op.number
        base = self._id(op.path, number, kind, op.is_section) if len(groups) > 1 else None
        for piece, (body, tag, inner) in enumerate(groups, 1):
            departments, lead = [], None
            if inner:
                departments, lead = self._take_tag(inner, op.line)
                self.tagged += 1
            self.add_clause(kind, number, op.marker if piece == 1 else "", body, tag, op.line, op.path, departments,
                            inner or None, lead, op.is_section, op.in_list, piece=piece if base else 0, clause_id=base and f"{base}s{piece}")
        return True

    @staticmethod
    def _duty_kind(op) -> str:
        """goal when a heading above a tagged item (or its own, for a heading that is a clause) names goals, else measure."""
        titles = [n.title for n in op.path]
        return "goal" if any("目标" in t and "任务" not in t for t in titles) else "measure"

    def _take_tag(self, inner, lineno):
        """Units and lead of one tag, with warnings for unknown names; a lead note with 下同 holds from here on."""
        parts = tags.parse_tag(inner)
        names, lead, unknown = read_tag(inner, self.registry, lead_first=self.lead_first)
        if parts.lead_first and parts.ditto:
            self.lead_first = True
        for name in unknown:
            self.warn(lineno, unknown_unit_message(name, self.registry))
        return names, lead

    def _title_for_warning(self, op):
        sec = next((n for n in op.path if n.rank == 1), None)
        return sec.title if sec else ""

    def _read_tags(self, op, text):
        """The clause's units: unit lines after it, else its trailing tag; tags on ——/-- sub-items join in."""
        tag, raws, departments, lead = "", [], [], None

        def take(raw, lineno, written=None):
            nonlocal lead
            names, lead_ = self._take_tag(written or raw, lineno)
            for name in names:
                if name not in departments:
                    departments.append(name)
            lead = lead or lead_
            raws.append(raw)

        if op.unit_lines:
            for line, lineno, labelled in op.unit_lines:
                tag += "\n" + line
                s = line.strip().translate(FULLWIDTH)
                m = RE_RESP_LINE.match(s)
                if labelled and m and len(RE_LABEL.findall(s)) == 1:
                    raw = line.strip()[len(line.strip()) - len(m.group(2)):]
                else:
                    raw = line.strip()
                take(raw, lineno, line.strip())
        else:
            m = RE_TAG.search(text)
            if m and is_tag(m.group(1), self.registry):
                tag = text[m.start():]
                text = text[: m.start()].rstrip()
                take(m.group(1), op.line + len(op.paragraphs) - 1)
            elif m and op.kind in DUTY:
                self.warn(op.line + len(op.paragraphs) - 1, f"末尾括注“{m.group(1)}”不像责任单位，未作为标签读取")
        for i, para in enumerate(op.paragraphs[1:-1] if not op.unit_lines else op.paragraphs[1:], 1):
            if para.lstrip().startswith(("——", "--", "—")):
                m = RE_TAG.search(para)
                if m and is_tag(m.group(1), self.registry):
                    take(m.group(1), op.line + i)
        if lead and departments and departments[0] != lead:
            departments.remove(lead)
            departments.insert(0, lead)
        return text, tag, raws, departments, lead

    def add_clause(self, kind, number, marker, text, tag, lineno, path, departments, raw, lead, is_section=False, in_list=False, piece=0, clause_id=None):
        """Append one clause with its id, citation, domain and outline position (piece: its sentence group)."""
        part, section = self._numbers(path)
        part_node = next((n for n in path if n.rank == 0), None)
        sec_node = next((n for n in path if n.rank == 1), None)
        clause = Clause(
            id=clause_id or self._id(path, number, kind, is_section),
            doc=self.doc.id,
            kind=kind,
            domain=self._domain(path, is_section) if kind in DUTY else None,
            number=number,
            text=text,
            departments=departments,
            departments_raw=raw,
            citation=self._citation(path, number, kind, is_section, in_list, table_row="\t" in marker + tag)
            + (f"之{piece}" if piece else ""),
            lead=lead,
            part=part,
            section=section,
            part_title=part_node.title if part_node else None,
            section_title=sec_node.title if sec_node else None,
            marker=marker,
            tag=tag,
            line=lineno,
            order=len(self.out.clauses),
        )
        self.out.clauses.append(clause)
        return clause

    def _domain(self, path, is_section):
        nodes = list(path[:-1] if is_section else path)
        for node in reversed(nodes):
            if not node.is_list and node.role is None and node.kind != "preface":
                return node.title
        return None

    def _segments(self, path):
        part_node = next((n for n in path if n.rank == 0), None)
        segs = [str(part_node.number if part_node else 0)]
        segs += [str(n.number) for n in path if n.rank > 0 and n.number is not None]
        return segs

    def _id(self, path, number, kind, is_section) -> str:
        segs = self._segments(path)
        if number is None:
            key = tuple(segs)
            self.paragraph_counts[key] = self.paragraph_counts.get(key, 0) + 1
            segs.append(f"t{self.paragraph_counts[key]}")
        elif not is_section:
            segs.append(f"{ITEM_LETTER.get(kind, 'i')}{number}")
        base = f"{self.doc.id}.{'-'.join(segs)}"
        n = self.ids.get(base, 0) + 1
        self.ids[base] = n
        return base if n == 1 else f"{base}~{n}"

    def _where(self, path) -> str:
        where = ""
        for node in path:
            if self._is_list_heading(node):
                continue
            if node.kind == "preface":
                where += "前言"
            elif node.number is None:
                continue
            elif node.kind == "chapter":
                where += f"第{cn_numeral(node.number)}章"
            elif node.kind == "partnth":
                where += f"第{cn_numeral(node.number)}部分"
            elif node.kind == "sectnth":
                where += f"第{cn_numeral(node.number)}节"
            elif node.kind == "cn":
                where += cn_numeral(node.number) if node.rank == 0 else f"{cn_numeral(node.number)}、"
            elif node.kind == "pcn":
                where += f"（{cn_numeral(node.number)}）"
            elif node.kind == "arabic":
                where += f"{node.number}."
            else:
                where += f"（{node.number}）"
        return where

    def _citation(self, path, number, kind, is_section, in_list, table_row=False) -> str:
        where = self._where(path)
        deep = [n for n in path if not n.is_list and n.rank >= 1]
        if number is None:
            label = deep[-1].title if deep else ""
            key = tuple(self._segments(path))
            return f"{where}{label} 第{self.paragraph_counts.get(key, 1)}段".strip()
        if is_section:
            return where
        if in_list and path and path[-1].is_list:
            label = re.sub(r"\s+", "", path[-1].title)
            return f"{where}{label} 第{number}条"
        if kind == "principle":
            label = deep[-1].title if deep and deep[-1].role == "principle" else ""
            return f"{where}{label} 第{number}条"
        if table_row and deep:  # a row of a task table: under the heading the table follows
            label = re.sub(r"\s+", "", deep[-1].title)
            return f"{where}{label} 第{number}条"
        return f"{where} 第{number}条"

    def _finish(self):
        out = self.out
        structural = [c for c in out.clauses if c.kind not in ("text", "notice")]
        parts = [h for h in out.headings if h.level in ("part", "section", "list")]
        if not structural and not parts:
            if out.document.title.rstrip("）)0123456789年—-–（( ").endswith(frontmatter.PLAN_WORDS) and out.clauses:
                # a plan's title and its opening paragraphs, then nothing: a page saved before the text was complete
                raise SourceError(self.file, f"规划“{out.document.title}”只有标题和开头的段落，没有找到“一、”等部分标题，"
                                             "也没有主要目标/策略措施清单：文本可能不完整")
            raise SourceError(self.file, "不是规划文本：没有找到“一、”等部分标题，也没有主要目标/策略措施清单")
        if self.tagged == 0 and self.untagged:
            out.document.assigns_departments = False
            self.warn(self.untagged[0][0], "本规划没有为目标和措施标注责任单位")
        else:
            self._warn_untagged()
        out.warnings.sort(key=lambda w: w.line)

    def _warn_untagged(self):
        """One warning per list of untagged items (儿童与健康第 1、2、5 条…), naming every line."""
        runs: list[tuple[str, str, list[tuple[int, str]]]] = []
        for lineno, what in self.untagged:
            m = re.fullmatch(r"(.*?)第 (\d+) (条|行)", what)
            where, unit, number = (m.group(1), m.group(3), m.group(2)) if m else (what, "", "")
            if m and runs and runs[-1][:2] == (where, unit) and int(number) > int(runs[-1][2][-1][1]):  # one list
                runs[-1][2].append((lineno, number))
            else:
                runs.append((where, unit, [(lineno, number)]))
        for where, unit, items in runs:
            if len(items) == 1 or not unit:
                lineno, number = items[0]
                self.warn(lineno, f"{where}第 {number} {unit}没有责任单位标签" if unit else f"{where}没有责任单位标签")
                continue
            numbers = "、".join(n for _, n in items)
            lines = "、".join(str(line) for line, _ in items)
            self.warn(items[0][0], f"{where}第 {numbers} {unit}没有责任单位标签（第 {lines} 行）")


def parse_lines(lines, document: Document, registry: Registry, file: str = "") -> ParsedDocument:
    """Parse a plan's normalised lines into a ParsedDocument."""
    return Reader(list(lines), document, registry, file or document.source).run()


def reassemble(parsed: ParsedDocument) -> str:
    """The document's non-blank characters rebuilt from headings and clauses, in order."""
    pieces = [(h.line, 0, h.marker + h.text) for h in parsed.headings]
    pieces += [(c.line, 1, c.marker + c.text + c.tag) for c in parsed.clauses]
    pieces.sort(key=lambda p: (p[0], p[1]))
    return re.sub(r"\s+", "", "".join(p[2] for p in pieces))


def uncovered_lines(lines, parsed: ParsedDocument) -> list[int]:
    """Line numbers (1-based) of source lines whose text is not, in order, in a heading, clause or front-matter field.

    The line-coverage check: walking the source lines over the document rebuilt from what was read,
    every line's characters must come next; a line that does not is reported (and reading resumes at
    its next occurrence, so one missing line does not hide the rest).
    """
    rebuilt = reassemble(parsed)
    missing, at = [], 0
    for number, line in enumerate(lines, 1):
        text = re.sub(r"\s+", "", line.strip("\ufeff"))
        if not text:
            continue
        if rebuilt.startswith(text, at):
            at += len(text)
            continue
        missing.append(number)
        found = rebuilt.find(text, at)
        if found >= 0 and found - at <= 2 * len(text) + 200:
            at = found + len(text)
    return missing
