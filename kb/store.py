"""The knowledge base on disk: corpus → parsed documents → one generation in the data dir.

Layout of the data dir::

    CURRENT            name of the live generation (swapped atomically with os.replace)
    gen-<stamp>/       kb.json, meta.json, the copied data files, index/
    parsed/<key>.json  parsed documents cached by content hash (re-parse only what changed)
    monitor.sqlite     observed indicator values (kb.monitor)

A build writes a new generation beside the live one and only then points
CURRENT at it, so a failed or killed build leaves the previous one serving.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import kb
from kb import segment
from kb.departments import Registry
from kb.errors import DataDirError, DataFileError, IndexMissing, PlankbError, SourceError, UnknownClause, UnknownDocument
from kb.model import DUTY_KINDS, KINDS, Clause, Document, Heading, ParsedDocument, ParseWarning
from kb.parser import parse_lines
from kb.sources import PLAN_SUFFIXES, read_source

SCHEMA_VERSION = 3
DATA_FILES = ("plans.toml", "departments.toml", "synonyms.txt", "userdict.txt")
REPO_ROOT = Path(kb.__file__).resolve().parent.parent


def default_corpus() -> Path:
    """$PLANKB_CORPUS, else corpus/ beside the package (a source checkout), else ./corpus."""
    env = os.environ.get("PLANKB_CORPUS")
    if env:
        return Path(env)
    here = REPO_ROOT / "corpus"
    return here if here.is_dir() else Path.cwd() / "corpus"


def default_data() -> Path:
    """$PLANKB_DATA, else data/ beside the package (a source checkout), else ./data."""
    env = os.environ.get("PLANKB_DATA")
    if env:
        return Path(env)
    if (REPO_ROOT / "corpus").is_dir():
        return REPO_ROOT / "data"
    return Path.cwd() / "data"


# -- corpus ------------------------------------------------------------------
def load_manifest(corpus: Path) -> dict[str, dict]:
    """plans.toml entries by file name; an absent manifest is an empty one."""
    path = corpus / "plans.toml"
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DataFileError(f"{path}: 规划清单格式错误：{exc}") from None
    out = {}
    for i, entry in enumerate(data.get("plan", []), 1):
        if not isinstance(entry, dict) or not entry.get("file"):
            raise DataFileError(f"{path}: 第 {i} 个 [[plan]] 缺少 file")
        if entry.get("id") and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", entry["id"]):
            raise DataFileError(f"{path}: 第 {i} 个 [[plan]] 的 id “{entry['id']}” 只能用字母、数字、- 和 _")
        out[entry["file"]] = entry
    return out


def plan_files(corpus: Path) -> list[Path]:
    """Every plan file in the corpus folder, in name order."""
    if not corpus.is_dir():
        raise DataFileError(f"{corpus}: 规划文件夹不存在")
    return sorted(
        p for p in corpus.iterdir()
        if p.is_file() and p.suffix.lower() in PLAN_SUFFIXES and not p.name.startswith((".", "~"))
        and p.name not in DATA_FILES
    )


def doc_id_for(path: Path) -> str:
    """A URL-safe readable id from the file name (hash-based where the name is not ASCII)."""
    stem = path.stem
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", stem):
        return stem
    slug = re.sub(r"[^A-Za-z0-9]+", "-", stem).strip("-")
    digest = hashlib.sha1(stem.encode("utf-8")).hexdigest()[:8]
    return f"{slug}-{digest}" if slug else f"plan-{digest}"


RE_TITLE_ISSUER = re.compile(r"^(.{2,12}?(?:自治区|省|自治州|市|自治县|县|区|旗|盟))")
RE_PERIOD = re.compile(r"(\d{4})\s*[—–\-－~～至到]+\s*(\d{4})")


def document_for(path: Path, entry: dict, title_hint: str | None, first_line: str | None) -> Document:
    """Document metadata: the manifest first, then what the text itself says."""
    title = entry.get("title") or first_line or title_hint or path.stem
    issuer = entry.get("issuer")
    if not issuer:
        m = RE_TITLE_ISSUER.match(title)
        issuer = m.group(1) if m else None
    level = entry.get("level")
    if not level and issuer:
        for suffix, lvl in (("省", "省"), ("自治区", "省"), ("市", "市"), ("州", "市"), ("县", "县"), ("区", "县"), ("旗", "县")):
            if issuer.endswith(suffix):
                level = lvl
                break
    if not level and title.startswith("中国"):
        level = "国家"
    period = entry.get("period")
    if not period:
        m = RE_PERIOD.search(title)
        period = f"{m.group(1)}-{m.group(2)}" if m else None
    return Document(id=entry.get("id") or doc_id_for(path), title=title, issuer=issuer, level=level, period=str(period) if period else None, source=path.name)


def parse_file(path: Path, registry: Registry, entry: dict | None = None, encoding: str | None = None) -> ParsedDocument:
    """Read and parse one plan file with the registry of its issuer."""
    src = read_source(path, encoding=encoding)
    first = next((line for line in src.lines if line), None)
    doc = document_for(path, entry or {}, src.title_hint, first)
    doc.format, doc.encoding = src.format, src.encoding
    doc.sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    parsed = parse_lines(src.lines, doc, registry.for_issuer(doc.issuer), file=str(path))
    for h in parsed.headings:
        if h.level == "title" and not (entry or {}).get("title"):
            doc.title = h.text
    return parsed


# -- fingerprint ---------------------------------------------------------------
def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def corpus_state(corpus: Path) -> dict[str, dict]:
    """(size, mtime, sha256) of every input file: plans and editable data files."""
    files = plan_files(corpus) + [corpus / n for n in DATA_FILES if (corpus / n).exists()]
    out = {}
    for p in files:
        st = p.stat()
        out[p.name] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": _file_digest(p)}
    return out


def fingerprint(state: dict[str, dict]) -> str:
    h = hashlib.sha256(f"schema={SCHEMA_VERSION};version={kb.__version__}".encode())
    for name in sorted(state):
        h.update(f"\0{name}\0{state[name]['sha256']}".encode())
    return h.hexdigest()[:32]


def is_stale(corpus: Path, data: Path) -> str | None:
    """Why the live knowledge base does not match the corpus, or None when it is current."""
    gen = live_generation(data)
    if gen is None:
        return "尚未构建知识库"
    try:
        meta = json.loads((gen / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "知识库元数据损坏"
    if meta.get("schema") != SCHEMA_VERSION or meta.get("version") != kb.__version__:
        return "知识库格式已更新"
    old = meta.get("files", {})
    try:
        files = plan_files(corpus) + [corpus / n for n in DATA_FILES if (corpus / n).exists()]
    except DataFileError:
        return None  # no corpus to compare with: serve what is built
    if sorted(p.name for p in files) != sorted(old):
        return "规划文件有增删"
    for p in files:
        st, was = p.stat(), old[p.name]
        if (st.st_size, st.st_mtime_ns) != (was["size"], was["mtime_ns"]) and _file_digest(p) != was["sha256"]:
            return f"{p.name} 已修改"
    return None


# -- generations -----------------------------------------------------------------
def live_generation(data: Path) -> Path | None:
    """The generation CURRENT points at, or None when there is none (or it is gone)."""
    try:
        name = (data / "CURRENT").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    gen = data / name
    if not name or not re.fullmatch(r"gen-[\w.-]+", name) or not (gen / "kb.json").is_file():
        return None
    return gen


def _check_writable(data: Path):
    try:
        data.mkdir(parents=True, exist_ok=True)
        probe = data / f".write-test-{os.getpid()}"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise DataDirError(f"数据目录 {data} 不可写：{exc.strerror or exc}") from None


def _swap(data: Path, gen: Path):
    tmp = data / f"CURRENT.{os.getpid()}.tmp"
    tmp.write_text(gen.name, encoding="utf-8")
    os.replace(tmp, data / "CURRENT")


GRACE_SECONDS = 600  # a generation replaced less than this long ago may still serve requests


def _prune(data: Path, keep: int = 2):
    """Remove old generations: all but the newest `keep`, once replaced for a while."""
    live = live_generation(data)
    gens = sorted((p for p in data.glob("gen-*") if p.is_dir()), key=lambda p: p.name)
    for older, newer in zip(gens[:-keep], gens[1:]):
        replaced_for = time.time() - newer.stat().st_mtime
        if (live is None or older.name != live.name) and replaced_for > GRACE_SECONDS:
            shutil.rmtree(older, ignore_errors=True)
    for junk in data.glob("build-*"):
        # Partial generations of builds that died; ours is renamed before this runs.
        if junk.is_dir() and time.time() - junk.stat().st_mtime > 5:
            shutil.rmtree(junk, ignore_errors=True)


@dataclass
class DocReport:
    """What a build did with one file."""

    file: str
    doc: str | None
    status: str  # parsed, cached, error
    counts: dict = field(default_factory=dict)
    warnings: list[ParseWarning] = field(default_factory=list)
    error: str | None = None
    title: str | None = None


@dataclass
class BuildReport:
    """The result of ``build``: per-document reports, or skipped when nothing changed."""

    data: str
    skipped: bool
    generation: str | None
    documents: list[DocReport] = field(default_factory=list)
    seconds: float = 0.0
    clauses: int = 0

    @property
    def ok(self) -> bool:
        return any(d.status != "error" for d in self.documents) or self.skipped


def build(corpus=None, data=None, *, force=False, progress=None, encoding=None) -> BuildReport:
    """Parse every plan in the corpus and write a new generation (KB + index) atomically.

    :param progress: called as progress(stage, done, total) for long work.
    """
    from kb import index as kbindex

    corpus = Path(corpus or default_corpus())
    data = Path(data or default_data())
    t0 = time.perf_counter()
    state = corpus_state(corpus)
    fp = fingerprint(state)
    live = live_generation(data)
    if live and not force:
        try:
            meta = json.loads((live / "meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
        if meta.get("fingerprint") == fp and kbindex.index_ok(live / "index"):
            return BuildReport(str(data), True, live.name, seconds=time.perf_counter() - t0, clauses=meta.get("clauses", 0))
    _check_writable(data)
    registry = Registry.load(corpus / "departments.toml")
    manifest = load_manifest(corpus)
    cache = data / "parsed"
    cache.mkdir(exist_ok=True)
    registry_key = hashlib.sha256(((corpus / "departments.toml").read_bytes())).hexdigest()[:12]
    reports, parsed_docs, seen_ids = [], [], {}
    files = plan_files(corpus)
    for i, path in enumerate(files):
        if progress:
            progress("parse", i, len(files))
        entry = manifest.get(path.name, {})
        key = f"{state[path.name]['sha256'][:24]}-{registry_key}-{hashlib.sha256(json.dumps(entry, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:8]}-s{SCHEMA_VERSION}"
        cached = cache / f"{key}.json"
        try:
            if cached.exists():
                pd = ParsedDocument.from_dict(json.loads(cached.read_text(encoding="utf-8")))
                status = "cached"
            else:
                pd = parse_file(path, registry, entry, encoding=encoding)
                status = "parsed"
                try:
                    _write_json(cached, pd.to_dict())
                except OSError:
                    cached.with_name(cached.name + ".tmp").unlink(missing_ok=True)  # only a cache
        except (SourceError, PlankbError) as exc:
            reports.append(DocReport(path.name, None, "error", error=str(exc)))
            continue
        except (ValueError, KeyError, TypeError):
            cached.unlink(missing_ok=True)
            pd = parse_file(path, registry, entry, encoding=encoding)
            status = "parsed"
        if pd.document.id in seen_ids:
            reports.append(DocReport(path.name, pd.document.id, "error", error=f"{path}: 文档编号“{pd.document.id}”与 {seen_ids[pd.document.id]} 重复，请在 plans.toml 中指定 id"))
            continue
        seen_ids[pd.document.id] = path.name
        parsed_docs.append(pd)
        reports.append(DocReport(path.name, pd.document.id, status, pd.counts(), pd.warnings, title=pd.document.title))
    if progress:
        progress("parse", len(files), len(files))
    if not parsed_docs:
        raise PlankbError("没有可用的规划：" + ("；".join(r.error for r in reports if r.error) or f"{corpus} 中没有 .txt/.html/.docx 文件"))
    # Unique even for two builds of the same corpus in one second; sorts by time.
    now = time.time_ns()
    stamp = time.strftime("%Y%m%dT%H%M%S", time.localtime(now / 1e9)) + f".{now % 10**9:09d}-{os.getpid()}-{fp[:8]}"
    work = data / f"build-{stamp}"
    try:
        work.mkdir()
    except OSError as exc:
        raise DataDirError(f"无法在 {data} 中构建：{exc.strerror or exc}") from None
    try:
        for name in DATA_FILES:
            if (corpus / name).exists():
                shutil.copyfile(corpus / name, work / name)
        if not (work / "departments.toml").exists():
            raise DataFileError(f"{corpus / 'departments.toml'}: 部门名录文件不存在")
        clauses = [c for pd in parsed_docs for c in pd.clauses]
        kbobj = KnowledgeBase.from_parsed(parsed_docs, Registry.load(work / "departments.toml"), work, mentions={})
        # Segment on every core while this process writes the index, chunk by chunk.
        builder = kbindex.IndexBuilder(work / "index")
        mentions = []
        stream = segment.analyse_stream([c.text for c in clauses], kbindex.userdict_for(kbobj), kbobj.registry, progress)
        for start, result in stream:
            builder.add(clauses[start : start + len(result)], [w for w, _ in result])
            mentions += [m for _, m in result]
            if progress:
                progress("index", start + len(result), len(clauses))
        builder.commit()
        kbobj.set_mentions(mentions)
        _write_json(work / "kb.json", kbobj.to_dict())
        meta = {
            "schema": SCHEMA_VERSION,
            "version": kb.__version__,
            "fingerprint": fp,
            "files": state,
            "documents": [pd.document.id for pd in parsed_docs],
            "clauses": len(clauses),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        }
        _write_json(work / "meta.json", meta)
        gen = data / f"gen-{stamp}"
        os.replace(work, gen)
        _swap(data, gen)
    except OSError as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise DataDirError(f"写入 {data} 失败：{exc.strerror or exc}；正在使用的知识库未受影响") from None
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    _prune(data)
    return BuildReport(str(data), False, gen.name, reports, time.perf_counter() - t0, len(clauses))


def _write_json(path: Path, obj):
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, ensure_ascii=False, separators=(",", ":"))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


# -- the loaded knowledge base ---------------------------------------------------
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
            registry = Registry.load(gen / "departments.toml")
            return cls(
                [Document(**d) for d in data["documents"]],
                [Heading(**h) for h in data["headings"]],
                [Clause(**c) for c in data["clauses"]],
                registry,
                gen,
                [ParseWarning(**w) for w in data.get("warnings", [])],
                {c["id"]: data.get("mentions", {}).get(c["id"], []) for c in data["clauses"]},
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise DataDirError(f"知识库 {gen} 已损坏（{exc}）：请运行 plankb build --force") from None

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


def check_file(path, corpus: Path, encoding: str | None = None) -> dict:
    """What a clerk preparing a new plan needs: format, encoding, title, outline with counts, warnings."""
    path = Path(path)
    registry = Registry.load(corpus / "departments.toml")
    try:
        entry = load_manifest(corpus).get(path.name, {}) if path.resolve().parent == corpus.resolve() else {}
    except DataFileError:
        entry = {}
    pd = parse_file(path, registry, entry, encoding=encoding)
    outline = []
    for h in pd.headings:
        if h.level == "part":
            outline.append({"heading": h.marker + h.text, "part": h.part, "sections": [], "counts": {}})
        elif h.level == "section" and outline:
            outline[-1]["sections"].append({"heading": h.marker + h.text, "section": h.section, "counts": {}})
    for c in pd.clauses:
        for part in outline:
            if part["part"] == c.part:
                part["counts"][c.kind] = part["counts"].get(c.kind, 0) + 1
                for sec in part["sections"]:
                    if sec["section"] == c.section:
                        sec["counts"][c.kind] = sec["counts"].get(c.kind, 0) + 1
                if not any(sec["section"] == c.section for sec in part["sections"]) and c.section is not None:
                    part["sections"].append({"heading": f"（{c.section}）{c.section_title or ''}", "section": c.section, "counts": {c.kind: 1}})
    d = pd.document
    return {
        "file": str(path),
        "format": d.format,
        "encoding": d.encoding,
        "title": d.title,
        "id": d.id,
        "issuer": d.issuer,
        "level": d.level,
        "period": d.period,
        "counts": pd.counts(),
        "outline": outline,
        "warnings": [w.to_dict() for w in pd.warnings],
        "assigns_departments": d.assigns_departments,
    }


def open_kb(data=None, corpus=None, *, rebuild=True, notify=None) -> KnowledgeBase:
    """Load the live knowledge base, building it first when it is missing or stale.

    :param rebuild: when False, a missing KB raises IndexMissing instead.
    :param notify: called with a sentence when a build happens.
    """
    data = Path(data or default_data())
    corpus = Path(corpus or default_corpus())
    reason = is_stale(corpus, data) if corpus.is_dir() else (None if live_generation(data) else "尚未构建知识库")
    if reason:
        if not rebuild or not corpus.is_dir():
            if live_generation(data) is None:
                raise IndexMissing(f"{data} 中没有知识库（{reason}）：请运行 plankb build")
        else:
            if notify:
                notify(f"{reason}，正在重新构建知识库……")
            build(corpus, data)
    gen = live_generation(data)
    if gen is None:
        raise IndexMissing(f"{data} 中没有知识库：请运行 plankb build")
    return KnowledgeBase.load(gen)
