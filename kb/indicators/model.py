"""One indicator of a plan and the labels of its target."""

from __future__ import annotations

from dataclasses import dataclass, field

from kb.errors import PlankbError

COMPARATOR_LABELS = {"<=": "≤", ">=": "≥", "≈": "≈", "=": "="}
DIRECTION_LABELS = {"up": "↑", "down": "↓"}


class UnknownIndicator(PlankbError):
    """An indicator id that the knowledge base does not hold."""

    def __init__(self, indicator_id):
        self.indicator_id = indicator_id
        super().__init__(f"没有编号为“{indicator_id}”的指标")


@dataclass
class Indicator:
    """One target of a plan: numeric (value and comparator) or qualitative (direction only)."""

    id: str
    name: str
    comparator: str | None
    value: float | int | None
    unit: str
    direction: str | None
    clause: str
    departments: list[str]
    doc: str
    domain: str | None = None
    kind: str = ""
    text: str = ""  # the sentence the target comes from
    citation: str = ""
    extra: dict = field(default_factory=dict, repr=False)

    @property
    def numeric(self) -> bool:
        return self.value is not None

    @property
    def target_label(self) -> str:
        """The target as people write it: ≥98%, ≤12/10万, ≈45%, ↑ 逐步提高."""
        if self.value is None:
            return DIRECTION_LABELS.get(self.direction or "", "") + (" " + self.extra["wording"] if self.extra.get("wording") else "")
        if self.extra.get("upper") is not None:
            return f"{_fmt(self.value)}—{_fmt(self.extra['upper'])}{self.unit}"
        return f"{COMPARATOR_LABELS[self.comparator or '=']}{_fmt(self.value)}{self.unit}"

    def to_dict(self) -> dict:
        """The public JSON contract of ``plankb indicators --format json``."""
        return {
            "id": self.id,
            "name": self.name,
            "comparator": self.comparator,
            "value": self.value,
            "unit": self.unit,
            "direction": self.direction,
            "clause": self.clause,
            "departments": list(self.departments),
            "doc": self.doc,
            "domain": self.domain,
            "kind": self.kind,
            "text": self.text,
            "citation": self.citation,
            "target": self.target_label,
        }


def _fmt(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
