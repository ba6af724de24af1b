"""The knowledge-base model: documents, headings, clauses and parse warnings."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

KINDS = ("goal", "measure", "principle", "implementation", "monitoring", "text", "notice")
KIND_LABELS = {
    "goal": "主要目标",
    "measure": "策略措施",
    "principle": "基本原则",
    "implementation": "组织实施",
    "monitoring": "监测评估",
    "text": "正文",
    "notice": "印发通知",
}
DUTY_KINDS = ("goal", "measure")
# How a clause concerns a department, strongest first (KnowledgeBase.relation).
RELATIONS = ("assigned", "lead_in_text", "shared", "mentioned")
RELATION_LABELS = {
    "assigned": "本部门承担",
    "lead_in_text": "文中牵头",
    "shared": "共同承担",
    "mentioned": "文中提及",
}


@dataclass
class Document:
    """One plan: its metadata and where it came from."""

    id: str
    title: str
    issuer: str | None = None
    level: str | None = None
    period: str | None = None
    source: str = ""
    format: str = "txt"
    encoding: str | None = None
    sha256: str = ""
    assigns_departments: bool = True
    doc_number: str | None = None  # 文号 as printed, e.g. 镇政发〔2022〕3号
    issued: str | None = None  # issue date, ISO 8601 (YYYY-MM-DD)

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def start_year(self) -> int | None:
        return _period_years(self.period)[0]

    @property
    def end_year(self) -> int | None:
        return _period_years(self.period)[1]


def _period_years(period):
    import re

    years = [int(y) for y in re.findall(r"(\d{4})", period or "")]
    if len(years) >= 2:
        return years[0], years[1]
    return None, None


@dataclass
class Heading:
    """A structural line: the title, a part, a section or a list heading."""

    doc: str
    level: str  # title, part, section, list
    marker: str  # numbering as written, e.g. "一、" or "（一）"; "" for none
    text: str  # the heading text after the marker
    line: int
    part: int | None = None
    section: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(slots=True)
class Clause:
    """The unit of the knowledge base: one goal, measure, principle, paragraph …

    Slots: a province's knowledge base holds hundreds of thousands of them.
    """

    id: str
    doc: str
    kind: str
    domain: str | None
    number: int | None
    text: str
    departments: list[str]
    departments_raw: str | None
    citation: str
    lead: str | None = None
    part: int | None = None
    section: int | None = None
    part_title: str | None = None
    section_title: str | None = None
    marker: str = ""
    tag: str = ""  # the tag exactly as written, brackets included
    line: int = 0
    order: int = 0

    def to_dict(self) -> dict:
        return {f: getattr(self, f) for f in CLAUSE_FIELDS}  # flat fields: asdict() without its deep walk

    def public_dict(self) -> dict:
        """The clause as the export JSON contract gives it."""
        return {
            "id": self.id,
            "doc": self.doc,
            "kind": self.kind,
            "domain": self.domain,
            "number": self.number,
            "text": self.text,
            "departments": list(self.departments),
            "departments_raw": self.departments_raw,
            "lead": self.lead,
            "citation": self.citation,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Clause:
        return cls(**data)


CLAUSE_FIELDS = tuple(Clause.__dataclass_fields__)


@dataclass
class ParseWarning:
    """Something in a plan file worth a clerk's look; never fatal."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class ParsedDocument:
    """A document with everything the parser read from it."""

    document: Document
    headings: list[Heading] = field(default_factory=list)
    clauses: list[Clause] = field(default_factory=list)
    warnings: list[ParseWarning] = field(default_factory=list)

    def counts(self) -> dict:
        """Clause counts by kind, in the canonical kind order."""
        out = {k: 0 for k in KINDS}
        for c in self.clauses:
            out[c.kind] += 1
        return out

    def to_dict(self) -> dict:
        return {
            "document": self.document.to_dict(),
            "headings": [h.to_dict() for h in self.headings],
            "clauses": [c.to_dict() for c in self.clauses],
            "warnings": [w.to_dict() for w in self.warnings],
        }

    @classmethod
    def from_dict(cls, data: dict) -> ParsedDocument:
        return cls(
            document=Document(**data["document"]),
            headings=[Heading(**h) for h in data["headings"]],
            clauses=[Clause(**c) for c in data["clauses"]],
            warnings=[ParseWarning(**w) for w in data["warnings"]],
        )
