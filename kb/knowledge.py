"""The loaded knowledge base: one generation's documents, headings and clauses, with duty lookups."""

from __future__ import annotations

import dataclasses
import gzip
import json
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from kb.columns import ClauseColumns, counts, distinct
from kb.common_duties import common_sentence
from kb.departments import Registry
from kb.errors import (
    DataDirError,
    PlankbError,
    UnknownClause,
    UnknownDepartment,
    UnknownDocument,
)
from kb.model import (
    DUTY_KINDS,
    KINDS,
    RELATIONS,
    Clause,
    Document,
    Heading,
    ParsedDocument,
    ParseWarning,
)

# A unit the text makes the lead or the doer (lead_in_text): its name, maybe a short list of
# others (、和及), maybe 等/等部门, then a lead verb — 由县统计局牵头, 统计局负责…, 统计局牵头组织….
# 负责同志/负责人 are people, not a duty; 由X会同Y makes X the lead.
LEAD_AFTER = r"(?:[、和及][\u4e00-\u9fff、]{1,20}?)?(?:等(?:部门|单位)?)?(?:牵头|负责(?!同志|人)|主导|主抓|统筹|组织(?!机构|建设|体系))"


KB_FORMAT = 4  # kb.json (kb.generation.write_kb): documents, warnings, mentions and the clauses' value lists; the clauses in kb.columns' files; headings in HEADINGS
HEADINGS = "headings.json"  # {"fields": [...], "rows": [[...], ...]}: read on first use (only the reading view needs them)
HEADING_FIELDS = [f.name for f in dataclasses.fields(Heading)]


def read_headings(gen: Path) -> list[Heading]:
    """A generation's headings, from HEADINGS; damage is one line naming the file."""
    try:
        data = json.loads((gen / HEADINGS).read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("fields") != HEADING_FIELDS or not isinstance(data.get("rows"), list):
            raise ValueError("字段与本版本不符")
        rows = data["rows"]
        if not all(isinstance(row, list) and len(row) == len(HEADING_FIELDS) for row in rows):
            raise ValueError("行的字段数不对")
        return [Heading(*row) for row in rows]
    except (OSError, ValueError, TypeError) as exc:
        raise DataDirError(f"知识库 {gen} 已损坏（{HEADINGS}：{str(exc)[:100]}）：请运行 plankb build --force") from None


def _mentions(stored: dict, ids: Sequence[str]) -> dict[str, list[str]]:
    """kb.json's mentions (only clauses that name a unit are listed), checked against the clause ids."""
    if not isinstance(stored, dict):
        raise TypeError("kb.json 的 mentions 不是对象")
    known = set(ids) if stored else set()
    if any(k not in known or not isinstance(v, list) for k, v in stored.items()):
        raise ValueError("kb.json 的 mentions 与条款不一致")
    return stored


def keep_source(source: Path, folder: Path) -> Path:
    """Copy an original plan file into a generation's sources/, gzip-compressed when that saves a tenth or more."""
    data = source.read_bytes()
    packed = gzip.compress(data, compresslevel=6, mtime=0)
    if len(packed) <= 0.9 * len(data):
        target, data = folder / (source.name + ".gz"), packed
    else:  # PDF, .docx: compressed already
        target = folder / source.name
    target.write_bytes(data)
    return target


class _ById(Mapping[str, Clause]):
    """Clause id → clause, over a knowledge base's positions (no clause is made until asked for)."""

    def __init__(self, kb: KnowledgeBase):
        self._kb = kb

    def __getitem__(self, clause_id: str) -> Clause:
        return self._kb.clauses[self._kb.position[clause_id]]

    def __contains__(self, clause_id: object) -> bool:
        return clause_id in self._kb.position

    def __iter__(self) -> Iterator[str]:
        return iter(self._kb.position)

    def __len__(self) -> int:
        return len(self._kb.position)


class KnowledgeBase:
    """Documents, headings and clauses of one generation, with lookups for duties and pages."""

    def __init__(self, documents, headings, clauses, registry: Registry, path: Path | None = None, warnings=None, mentions=None):
        self.documents: list[Document] = documents
        self._headings: list[Heading] | None = headings  # None until first use when loaded (heading_loader)
        self.heading_loader: Callable[[], list[Heading]] | None = None
        self._heading_lock = threading.Lock()
        self.clauses: Sequence[Clause] = clauses  # a list while building, ClauseColumns once loaded
        self.registry = registry
        self.path = path
        self.warnings: list[ParseWarning] = warnings or []
        self._position: dict[str, int] | None = None
        self.docs = {d.id: d for d in documents}
        self._registries: dict[str, Registry] = {}
        self._doc_units: dict[str, dict[str, None]] | None = None
        self._counts: dict[str | None, list[dict]] = {}  # department_counts per document (None: all)
        # Departments a clause's text names without tagging them (统计局 in 四（一）):
        # found at build time by kb.segment (set_mentions), read back from kb.json.
        self.mentions: dict[str, list[str]] = mentions if mentions is not None else {}
        self._department_names: list[str] | None = None
        self._group_names: list[str] | None = None
        self._leads: dict[str, list[str]] = {}
        self._domains: dict[str | None, list[str]] = {}
        # Targets per clause as the build extracted them, read on first use (kb.generation.attach_indicators);
        # without a loader they are extracted on use.
        self.indicator_loader: Callable[[], dict[str, list]] | None = None
        self._stored_indicators: dict[str, list] | None = None
        self._indicator_lock = threading.Lock()

    @classmethod
    def from_parsed(cls, parsed: list[ParsedDocument], registry: Registry, path=None, mentions=None) -> KnowledgeBase:
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
            reg = self.registry_for(c.doc)
            named = [reg.resolve(d) or d for d in names if d in known[c.doc]]
            self.mentions[c.id] = [d for d in dict.fromkeys(named) if d not in c.departments]
        self._department_names = None
        self._counts.clear()

    @property
    def headings(self) -> list[Heading]:
        """Every document's headings, in order (a loaded generation's are read on first use: only the reading view needs them)."""
        if self._headings is None:
            with self._heading_lock:
                if self._headings is None:
                    self._headings = self.heading_loader() if self.heading_loader is not None else []
        return self._headings

    @property
    def stored_indicators(self) -> dict[str, list] | None:
        """Targets per clause id as the build stored them, or None when it stored none."""
        if self._stored_indicators is None and self.indicator_loader is not None:
            with self._indicator_lock:
                if self._stored_indicators is None:
                    self._stored_indicators = self.indicator_loader()
        return self._stored_indicators

    @property
    def position(self) -> dict[str, int]:
        """Clause id → position in clauses (made on first use)."""
        if self._position is None:
            ids = self.clauses.ids if isinstance(self.clauses, ClauseColumns) else [c.id for c in self.clauses]
            self._position = {cid: i for i, cid in enumerate(ids)}
        return self._position

    @property
    def by_id(self) -> Mapping[str, Clause]:
        """Clause id → clause."""
        return _ById(self)

    @classmethod
    def load(cls, gen: Path) -> KnowledgeBase:
        try:
            data = json.loads((gen / "kb.json").read_text(encoding="utf-8"))
            if not isinstance(data, dict) or data.get("format") != KB_FORMAT:
                raise ValueError("kb.json 的格式不是本版本的")
            meta = json.loads((gen / "meta.json").read_text(encoding="utf-8"))
            n = data["clauses"]["n"]
            if not isinstance(meta, dict) or not isinstance(n, int) or meta.get("clauses", n) != n:
                raise ValueError("kb.json 与 meta.json 不一致")
            clauses = ClauseColumns(gen, data["clauses"]["values"], n)
            for name in ("synonyms.txt", "userdict.txt"):  # read by search and segmentation
                if (gen / name).exists():
                    (gen / name).read_text(encoding="utf-8-sig")
            try:
                registry = Registry.load(gen / "departments.toml")
            except PlankbError as exc:
                raise ValueError(f"departments.toml：{exc}") from None
            if not (gen / HEADINGS).is_file():
                raise ValueError(f"缺少 {HEADINGS}")
            kbobj = cls(
                [Document(**d) for d in data["documents"]],
                None,
                clauses,
                registry,
                gen,
                [ParseWarning(**w) for w in data.get("warnings", [])],
                _mentions(data.get("mentions", {}), clauses.ids),
            )
            kbobj.heading_loader = lambda: read_headings(gen)
            return kbobj
        except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
            raise DataDirError(f"知识库 {gen} 已损坏（{str(exc)[:200]}）：请运行 plankb build --force") from None

    def export(self) -> dict:
        """The public JSON contract of ``plankb export``."""
        return {
            "documents": [d.to_dict() for d in self.documents],
            "clauses": [c.public_dict() for c in self.clauses],
        }

    # -- lookups -------------------------------------------------------------
    def registry_for(self, doc_id: str) -> Registry:
        """The registry as one document reads it: its issuer, its level, its units as group members."""
        if doc_id not in self._registries:
            if self._doc_units is None:
                self._doc_units = {}
                for doc_id, departments in distinct(self.clauses, "doc", "departments"):
                    self._doc_units.setdefault(doc_id, {}).update(dict.fromkeys(departments))
            doc = self.docs.get(doc_id)
            units = self._doc_units.get(doc_id, {})
            self._registries[doc_id] = self.registry.for_document(doc.issuer if doc else None, doc.level if doc else None, units)
        return self._registries[doc_id]

    def source_path(self, doc_id: str) -> Path | None:
        """Where this generation keeps the original plan file of a document (maybe compressed), or None."""
        doc = self.document(doc_id)
        if self.path is None or not doc.source:
            return None
        path = self.path / "sources" / Path(doc.source).name
        for kept in (path.with_name(path.name + ".gz"), path):
            if kept.is_file():
                return kept
        return None

    def source_bytes(self, doc_id: str) -> bytes | None:
        """The original plan file of a document, byte for byte as this generation read it, or None."""
        path = self.source_path(doc_id)
        if path is None:
            return None
        try:
            return gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise DataDirError(f"知识库 {self.path} 已损坏（原文 {path.name}：{exc}）：请运行 plankb build --force") from None

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
            used = {d for (departments,) in distinct(self.clauses, "departments") for d in departments}
            used |= {d for m in self.mentions.values() for d in m}
            names = [d.name for d in self.registry.departments if d.name in used]
            extra = sorted(u for u in used if u not in names and not self.registry.is_group(u))
            self._department_names = names + extra
        return self._department_names

    def group_names(self) -> list[str]:
        """The groups (妇儿工委各成员单位) the documents tag, in order of first use."""
        if self._group_names is None:
            tagged = dict.fromkeys(d for (departments,) in distinct(self.clauses, "departments") for d in departments)
            self._group_names = [d for d in tagged if self.registry.is_group(d)]
        return self._group_names

    def resolve_department(self, name: str) -> str:
        """A unit or group of this knowledge base from any spelling; UnknownDepartment with suggestions otherwise.

        A name of a unit that only another level has (妇联 where only 省妇联 is tagged) means that one;
        a group's body (妇儿工委) means the group its plans tag (妇儿工委各成员单位). A unit the
        dictionary knows but no plan names is unknown here, like any other name.
        """
        known = set(self.department_names())
        if name in known:
            return name
        groups = self.group_names()
        for written in (name, name + "各成员单位", name + "成员单位"):
            group = self.registry.group(written)
            if group and group.name in groups:
                return group.name  # its duty list: the clauses tagged with the group
        for doc in self.documents:  # as the plans themselves would read it: 甘肃省妇联 in the province's
            reg = self.registry_for(doc.id)
            as_read = reg.resolve(name) or reg.unknown_name(name)  # 县文明办 → 文明办, as the plan's tags were read
            if as_read in known:
                return as_read
        try:
            found = self.registry.lookup(name)
        except UnknownDepartment:
            found = None
        if found not in known:
            # A unit this knowledge base does not hold: the one it holds at another level, or the
            # one known unit whose names contain it (生态环境局 → 市生态环境局镇原县分局).
            within = dict.fromkeys([n for n in self.registry.partial(name) if n in known]
                                   + [n for n in self.department_names() if len(name) >= 2 and name in n])
            for near in (self.other_levels(found) if found else [], list(within)):
                if len(near) == 1:
                    return near[0]
        if found not in known:
            raise UnknownDepartment(name, self.registry.suggest(name, among=self.department_names() + groups))
        return found

    def other_levels(self, dept: str) -> list[str]:
        """The same kind of unit at the other levels the knowledge base holds (妇联 → 省妇联, 市妇联)."""
        base = self.registry.base_name(dept)
        return [n for n in self.department_names() if n != dept and self.registry.base_name(n) == base]

    def leads(self, clause: Clause) -> list[str]:
        """Departments the clause's text makes the lead or doer (lead_in_text), among those it mentions."""
        hit = self._leads.get(clause.id)
        if hit is None:
            hit = []
            reg = self.registry_for(clause.doc)
            for d in self.mentions.get(clause.id, ()):
                info = reg.get(d)
                names = sorted(set(info.names() if info else [d]) | {d}, key=len, reverse=True)
                pattern = "(?:" + "|".join(re.escape(n) for n in names) + ")"
                if re.search(pattern + LEAD_AFTER, clause.text) or re.search("由[县市]?" + pattern + "会同", clause.text):
                    hit.append(d)
            self._leads[clause.id] = hit
        return hit

    def relation(self, clause: Clause, dept: str) -> str | None:
        """How a clause concerns a department: assigned, lead_in_text, shared, mentioned or None."""
        if dept in clause.departments:
            return "assigned"
        if dept in self.leads(clause):
            return "lead_in_text"
        reg = self.registry_for(clause.doc)
        for d in clause.departments:
            if reg.is_group(d) and dept in reg.members(d):
                return "shared"
        if dept in self.mentions.get(clause.id, ()):
            return "mentioned"
        return None

    def duties(self, name: str, doc: str | None = None) -> dict:
        """A department's duty list: assigned, lead_in_text, shared and mentioned clauses, and the common duties
        the plan gives every unit in prose."""
        dept = self.resolve_department(name)
        if doc is not None:
            self.document(doc)
        groups: dict[str, list[Clause]] = {r: [] for r in (*RELATIONS, "common")}
        for c in self.clauses:
            if doc is not None and c.doc != doc:
                continue
            rel = self.relation(c, dept)
            if rel in (None, "mentioned") and common_sentence(c):
                rel = "common"  # a duty the plan gives every unit in prose
            if rel:
                groups[rel].append(c)
        notes = [
            f"《{d.title}》没有为目标和措施标注责任单位，以下只列出文中提及本部门的条款"
            for d in self.documents
            if not d.assigns_departments and (doc is None or d.id == doc)
        ]
        # Units an untagged clause names, for the lists' 责任单位 column.
        named = {c.id: list(self.mentions.get(c.id, ())) for c in groups["lead_in_text"]}
        return {"department": dept, **groups, "notes": notes, "named": named}

    def department_counts(self, doc: str | None = None) -> list[dict]:
        """Per department: assigned goals and measures, lead_in_text, shared and mentioned clauses."""
        if doc is not None:
            self.document(doc)
        if doc not in self._counts:
            self._counts[doc] = self._department_counts(doc)
        return [dict(r) for r in self._counts[doc]]

    def _department_counts(self, doc: str | None) -> list[dict]:
        names = [n for n in self.department_names() if not self.registry.is_group(n)]
        zero = {"goals": 0, "measures": 0, "other": 0, "lead_in_text": 0, "shared": 0, "mentioned": 0}
        rows: dict[str, dict[str, Any]] = {n: {"department": n, "full": self.registry.full_name(n), **zero} for n in names}
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
            leads = self.leads(c)
            for d in shared - set(c.departments) - set(leads):
                if d in rows:
                    rows[d]["shared"] += 1
            for d in self.mentions.get(c.id, ()):
                if d in rows and d in leads:
                    rows[d]["lead_in_text"] += 1
                elif d in rows and d not in shared:
                    rows[d]["mentioned"] += 1
        for r in rows.values():
            r["assigned"] = r["goals"] + r["measures"] + r["other"]
        return list(rows.values())

    def kind_counts(self, doc: str | None = None) -> dict[str, int]:
        """Clauses per kind (all documents, or one), in the canonical kind order."""
        out = {k: 0 for k in KINDS}
        for (doc_id, kind), count in counts(self.clauses, "doc", "kind").items():
            if doc is None or doc_id == doc:
                out[kind] += count
        return out

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
            seen: dict[str, None] = {}
            for doc_id, domain in distinct(self.clauses, "doc", "domain"):
                if domain and (doc is None or doc_id == doc):
                    seen.setdefault(domain, None)
            self._domains[doc] = list(seen)
        return self._domains[doc]
