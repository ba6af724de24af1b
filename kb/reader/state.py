"""The reader's state: open headings (the outline stack), the clause being read, sub-item lists."""

from __future__ import annotations

from dataclasses import dataclass, field

from kb.departments import Registry
from kb.model import Clause, Document, ParsedDocument, ParseWarning
from kb.reader import tables
from kb.reader.rules import ITEM_KINDS

DUTY = ("goal", "measure")


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
class OpenClause:
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
class SubList:
    """Sub-items `（1）（2）` under an item `2．`: they share the item's units until the list ends."""

    item: Clause
    item_had_units: bool
    kind: str
    number: int = 0
    clauses: list[Clause] = field(default_factory=list)
    own_units: list[bool] = field(default_factory=list)
    item_units: tuple[list[str], str | None, str | None] | None = None  # (departments, raw, lead) of a line after them


class ReaderState:
    """What the reader knows while it reads one document: the open headings and clause, counters, warnings."""

    def __init__(self, lines, document: Document, registry: Registry, file: str):
        self.lines = lines
        self.doc = document
        self.registry = registry
        self.file = file
        self.out = ParsedDocument(document=document)
        self.stack: list[Node] = []
        self.root = Node("root", -1, None, "", "", None, 0)
        self.order: list[str] = []
        self.open: OpenClause | None = None
        self.ids: dict[str, int] = {}
        self.paragraph_counts: dict[tuple, int] = {}
        self.untagged: list[tuple[int, str]] = []
        self.tagged = 0
        self.table: tables.Table | None = None
        self.last_table = None
        self.lead_first = False  # a note said the first unit of each tag leads (下同)
        self.last_item: tuple[Node, str, Clause] | None = None  # (holder, marker kind, clause) of the item just read
        self.sub: SubList | None = None

    def warn(self, line: int, message: str):
        self.out.warnings.append(ParseWarning(self.file, line, message))

    @staticmethod
    def _is_list_heading(node) -> bool:
        """A heading that only names a list (主要目标：, 1. 策略措施), not a part of the outline."""
        return node.is_list and (node.kind == "list" or node.kind in ITEM_KINDS)

    def _numbers(self, path=None):
        path = self.stack if path is None else path
        part = next((n.number for n in path if n.rank == 0), None)
        section = next((n.number for n in path if n.rank == 1), None)
        return part, section
