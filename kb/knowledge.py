"""The loaded knowledge base: one generation's documents, headings and clauses, with duty lookups."""

from __future__ import annotations

import json
from pathlib import Path

from kb.departments import Registry
from kb.errors import DataDirError, PlankbError, UnknownClause, UnknownDocument
from kb.model import DUTY_KINDS, KINDS, Clause, Document, Heading, ParsedDocument, ParseWarning


class KnowledgeBase:
    """Documents, headings and clauses of one generation, with lookups for duties and pages."""

    def __init__(self, documents, headings, clauses, registry: Registry, path: Path | None = None, warnings=None, mentions=None):
        self.documents: list[Document] = documents
        self.headings: list[Heading] = headings
        self.clauses: list[Clause] = clauses
        self.registry = registry
        self.path = path
        self.warnings: list[ParseWarning] = warnings or []
        self.by_id = {c.id: c for c in clauses}
        self.docs = {d.id: d for d in documents}
        self._registries = {}
        # Departments a clause's text names without tagging them (统计局 in 四（一）):
        # found at build time by kb.segment (set_mentions), read back from kb.json.
        self.mentions: dict[str, list[str]] = mentions if mentions is not None else {}
        self.position = {c.id: i for i, c in enumerate(clauses)}
        self._department_names: list[str] | None = None
        self._domains: dict[str | None, list[str]] = {}

    @classmethod
    def from_parsed(cls, parsed: list[ParsedDocument], registry: Registry, path=None, mentions=None) -> "KnowledgeBase":
        return cls(
            [p.document for p in parsed],
            [h for p in parsed for h in p.headings],
            [c for p in parsed for c in p.clauses],
            registry,
            path,
            [w for p in parsed for w in p.warnings],
            mentions,
        )

    def set_mentions(self, found: list[list[str]]):
        """Record the departments each clause names (found by kb.segment, in clause order)."""
        known = {}
        for c, names in zip(self.clauses, found):
            if c.doc not in known:
                known[c.doc] = {d.name for d in self.registry_for(c.doc).departments}
            self.mentions[c.id] = [d for d in names if d in known[c.doc] and d not in c.departments]
        self._department_names = None

    @classmethod
    def load(cls, gen: Path) -> "KnowledgeBase":
        try:
            data = json.loads((gen / "kb.json").read_text(encoding="utf-8"))
            meta = json.loads((gen / "meta.json").read_text(encoding="utf-8"))
            if not isinstance(data, dict) or not isinstance(meta, dict) or meta.get("clauses", len(data["clauses"])) != len(data["clauses"]):
                raise ValueError("kb.json 与 meta.json 不一致")
            for name in ("synonyms.txt", "userdict.txt"):  # read by search and segmentation
                if (gen / name).exists():
                    (gen / name).read_text(encoding="utf-8-sig")
            try:
                registry = Registry.load(gen / "departments.toml")
            except PlankbError as exc:
                raise ValueError(f"departments.toml：{exc}") from None
            return cls(
                [Document(**d) for d in data["documents"]],
                [Heading(**h) for h in data["headings"]],
                [Clause(**c) for c in data["clauses"]],
                registry,
                gen,
                [ParseWarning(**w) for w in data.get("warnings", [])],
                {c["id"]: data.get("mentions", {}).get(c["id"], []) for c in data["clauses"]},
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise DataDirError(f"知识库 {gen} 已损坏（{str(exc)[:200]}）：请运行 plankb build --force") from None

    def to_dict(self) -> dict:
        return {
            "documents": [d.to_dict() for d in self.documents],
            "headings": [h.to_dict() for h in self.headings],
            "clauses": [c.to_dict() for c in self.clauses],
            "warnings": [w.to_dict() for w in self.warnings],
            "mentions": {k: v for k, v in self.mentions.items() if v},
        }

    def export(self) -> dict:
        """The public JSON contract of ``plankb export``."""
        return {
            "documents": [d.to_dict() for d in self.documents],
            "clauses": [c.public_dict() for c in self.clauses],
        }

    # -- lookups -------------------------------------------------------------
    def registry_for(self, doc_id: str) -> Registry:
        if doc_id not in self._registries:
            doc = self.docs.get(doc_id)
            self._registries[doc_id] = self.registry.for_issuer(doc.issuer if doc else None)
        return self._registries[doc_id]

    def source_path(self, doc_id: str) -> Path | None:
        """The original plan file of a document as this generation read it, or None."""
        doc = self.document(doc_id)
        if self.path is None or not doc.source:
            return None
        path = self.path / "sources" / Path(doc.source).name
        return path if path.is_file() else None

    def clause(self, clause_id: str) -> Clause:
        try:
            return self.by_id[clause_id]
        except KeyError:
            raise UnknownClause(clause_id) from None

    def document(self, doc_id: str) -> Document:
        try:
            return self.docs[doc_id]
        except KeyError:
            raise UnknownDocument(doc_id, list(self.docs)) from None

    def department_names(self) -> list[str]:
        """Departments in registry order that any document tags or mentions, then unknown ones."""
        if self._department_names is None:
            used = {d for c in self.clauses for d in c.departments} | {d for m in self.mentions.values() for d in m}
            names = [d.name for d in self.registry.departments if d.name in used]
            extra = sorted(u for u in used if u not in names and not self.registry.is_group(u))
            self._department_names = names + extra
        return self._department_names

    def resolve_department(self, name: str) -> str:
        """Canonical department from any spelling; UnknownDepartment with suggestions otherwise."""
        known = set(self.department_names())
        if name in known:
            return name
        group = self.registry.group(name)
        if group:
            return group.name  # its duty list: the clauses tagged with the group
        return self.registry.lookup(name)

    def relation(self, clause: Clause, dept: str) -> str | None:
        """How a clause concerns a department: assigned, shared, mentioned or None."""
        if dept in clause.departments:
            return "assigned"
        reg = self.registry_for(clause.doc)
        for d in clause.departments:
            if reg.is_group(d) and dept in reg.members(d):
                return "shared"
        if dept in self.mentions.get(clause.id, ()):
            return "mentioned"
        return None

    def duties(self, name: str, doc: str | None = None) -> dict:
        """A department's duty list: assigned, shared and mentioned clauses."""
        dept = self.resolve_department(name)
        if doc is not None:
            self.document(doc)
        groups = {"assigned": [], "shared": [], "mentioned": []}
        for c in self.clauses:
            if doc is not None and c.doc != doc:
                continue
            rel = self.relation(c, dept)
            if rel:
                groups[rel].append(c)
        notes = [
            f"《{d.title}》没有为目标和措施标注责任单位，以下只列出文中提及本部门的条款"
            for d in self.documents
            if not d.assigns_departments and (doc is None or d.id == doc)
        ]
        return {"department": dept, **groups, "notes": notes}

    def department_counts(self, doc: str | None = None) -> list[dict]:
        """Per department: assigned goals and measures, shared and mentioned clauses."""
        if doc is not None:
            self.document(doc)
        names = [n for n in self.department_names() if not self.registry.is_group(n)]
        rows = {n: {"department": n, "full": (self.registry.get(n).full if self.registry.get(n) else ""), "goals": 0, "measures": 0, "other": 0, "shared": 0, "mentioned": 0} for n in names}
        for c in self.clauses:
            if doc is not None and c.doc != doc:
                continue
            reg = self.registry_for(c.doc)
            shared = set()
            for d in c.departments:
                if d in rows:
                    rows[d]["goals" if c.kind == "goal" else "measures" if c.kind == "measure" else "other"] += 1
                elif reg.is_group(d):
                    shared.update(reg.members(d))
            for d in shared - set(c.departments):
                if d in rows:
                    rows[d]["shared"] += 1
            for d in self.mentions.get(c.id, ()):
                if d in rows and d not in shared:
                    rows[d]["mentioned"] += 1
        for r in rows.values():
            r["assigned"] = r["goals"] + r["measures"] + r["other"]
        return list(rows.values())

    def kind_counts(self, doc: str | None = None) -> dict[str, int]:
        """Clauses per kind (all documents, or one), in the canonical kind order."""
        counts = {k: 0 for k in KINDS}
        for c in self.clauses:
            if doc is None or c.doc == doc:
                counts[c.kind] += 1
        return counts

    def department_matrix(self, doc: str | None = None) -> dict:
        """Assigned goals and measures per department and domain, busiest department first.

        Counted like a search with dept=, domain= and kind=goal,measure, so every cell
        matches the hits of that search.
        """
        domains = self.domains(doc)
        names = [r["department"] for r in self.department_counts(doc)]
        counts = {n: {d: 0 for d in domains} for n in names}
        for c in self.clauses:
            if c.kind not in DUTY_KINDS or c.domain not in domains or (doc is not None and c.doc != doc):
                continue
            for d in c.departments:
                if d in counts:
                    counts[d][c.domain] += 1
        rows = [{"department": n, "cells": [counts[n][d] for d in domains], "total": sum(counts[n].values())} for n in names]
        rows = sorted((r for r in rows if r["total"]), key=lambda r: -r["total"])
        return {"domains": domains, "rows": rows}

    def siblings(self, clause: Clause) -> tuple[Clause | None, Clause | None]:
        """Previous and next clause of the same list (same doc, section and kind)."""
        i = self.position[clause.id]
        same = lambda o: o.doc == clause.doc and o.part == clause.part and o.section == clause.section and o.kind == clause.kind
        prev = self.clauses[i - 1] if i > 0 and same(self.clauses[i - 1]) else None
        nxt = self.clauses[i + 1] if i + 1 < len(self.clauses) and same(self.clauses[i + 1]) else None
        return prev, nxt

    def domains(self, doc: str | None = None) -> list[str]:
        """Domains in document order (all documents, or one)."""
        if doc not in self._domains:
            seen = {}
            for c in self.clauses:
                if c.domain and (doc is None or c.doc == doc):
                    seen.setdefault(c.domain, None)
            self._domains[doc] = list(seen)
        return self._domains[doc]
