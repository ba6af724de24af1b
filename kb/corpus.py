"""A corpus folder: its plan files, plans.toml, editable data files and fingerprint; reading one plan."""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from pathlib import Path

import kb
from kb.departments import Registry
from kb.errors import DataFileError
from kb.gazetteer import issuer_of, place_level
from kb.model import Document, ParsedDocument, ParseWarning
from kb.reader import parse_lines
from kb.reader.frontmatter import read_front, title_text
from kb.reader.rules import is_structural, list_role, part_role
from kb.sources import PLAN_SUFFIXES, read_source

SCHEMA_VERSION = 4
DATA_FILES = ("plans.toml", "departments.toml", "synonyms.txt", "userdict.txt")
REPO_ROOT = Path(kb.__file__).resolve().parent.parent


def default_corpus() -> Path:
    """$PLANKB_CORPUS, else corpus/ beside the package (a source checkout), else ./corpus."""
    env = os.environ.get("PLANKB_CORPUS")
    if env:
        return Path(env)
    here = REPO_ROOT / "corpus"
    return here if here.is_dir() else Path.cwd() / "corpus"


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


FIVE_YEAR_PLANS = {"十三五": "2016-2020", "十四五": "2021-2025", "十五五": "2026-2030"}
RE_PERIOD = re.compile(r"(\d{4})\s*[—–\-－~～至到]+\s*(\d{4})")


def document_for(path: Path, entry: dict, title_hint: str | None, first_line: str | None) -> Document:
    """Document metadata: the manifest first, then what the text itself says."""
    title = entry.get("title") or first_line or title_hint or path.stem
    issuer, level = entry.get("issuer"), entry.get("level")
    if not issuer:
        issuer, found = issuer_of(title)
        level = level or found
    level = level or place_level(issuer or "")
    if not level and title.startswith("中国"):
        level = "国家"
    period = entry.get("period")
    if not period:
        m = RE_PERIOD.search(title)
        period = f"{m.group(1)}-{m.group(2)}" if m else FIVE_YEAR_PLANS.get(next((k for k in FIVE_YEAR_PLANS if k in title), ""))
    return Document(id=entry.get("id") or doc_id_for(path), title=title, issuer=issuer, level=level, period=str(period) if period else None, source=path.name)


def parse_file(path: Path, registry: Registry, entry: dict | None = None, encoding: str | None = None) -> ParsedDocument:
    """Read and parse one plan file with the registry of its issuer."""
    src = read_source(path, encoding=encoding)
    front = read_front(src.lines, is_structural)
    first = title_text(src.lines, front) or (src.title_hint if front.fields else None) or next((line for line in src.lines if line), None)
    doc = document_for(path, entry or {}, src.title_hint, first)
    if not doc.issuer and not (entry or {}).get("issuer") and front.signer:
        doc.issuer = front.signer
        doc.level = doc.level or issuer_of(front.signer)[1]
    doc.format, doc.encoding = src.format, src.encoding
    doc.sha256 = _file_digest(path)
    parsed = parse_lines(src.lines, doc, registry.for_issuer(doc.issuer, doc.level), file=str(path))
    for lineno, message in getattr(src, "warnings", []):
        parsed.warnings.append(ParseWarning(str(path), lineno, message))
    parsed.warnings.sort(key=lambda w: w.line)
    return parsed


# -- fingerprint ---------------------------------------------------------------
def _file_digest(path: Path) -> str:
    """A file's sha256, read in chunks; a file the readers refuse unread (a link out of the corpus,
    one over the size cap) is fingerprinted by what it is, so a 2 GB file is never read here."""
    from kb.sources import MAX_FILE_BYTES

    if path.is_symlink() and not path.resolve().is_relative_to(path.parent.resolve()):
        return hashlib.sha256(f"link:{path.resolve()}".encode()).hexdigest()
    st = path.stat()
    if st.st_size > MAX_FILE_BYTES:
        return hashlib.sha256(f"oversize:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


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



def check_file(path, corpus: Path, encoding: str | None = None) -> dict:
    """What a clerk preparing a new plan needs: format, encoding, title, outline with counts, warnings."""
    path = Path(path)
    registry = Registry.load(corpus / "departments.toml")
    try:
        entry = load_manifest(corpus).get(path.name, {}) if path.resolve().parent == corpus.resolve() else {}
    except DataFileError:
        entry = {}
    pd = parse_file(path, registry, entry, encoding=encoding)
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
        "doc_number": d.doc_number,
        "issued": d.issued,
        "front": {level: sum(1 for h in pd.headings if h.level == level) for level in ("chrome", "toc")}
        | {"notice": sum(1 for c in pd.clauses if c.kind == "notice")},
        "counts": pd.counts(),
        "outline": outline_of(pd),
        "warnings": [w.to_dict() for w in pd.warnings],
        "assigns_departments": d.assigns_departments,
    }


OUTLINE_DEPTH = {"part": 0, "section": 1, "sub": 2, "list": 3}
ROLE_LABELS = {"goal": "目标清单", "measure": "措施清单", "indicator": "指标表", "principle": "基本原则",
               "implementation": "组织实施", "monitoring": "监测评估"}


def outline_of(pd: ParsedDocument) -> list[dict]:
    """The outline as read: every heading with its depth, role and the clause counts under it."""
    heads = [h for h in pd.headings if h.level in OUTLINE_DEPTH]
    out = []
    for i, h in enumerate(heads):
        depth = OUTLINE_DEPTH[h.level]
        end = next((n.line for n in heads[i + 1:] if OUTLINE_DEPTH[n.level] <= depth), float("inf"))
        counts = {}
        for c in pd.clauses:
            if h.line <= c.line < end and c.kind != "notice":
                counts[c.kind] = counts.get(c.kind, 0) + 1
        role = list_role(h.text.split("\t")[0]) or (part_role(h.text) if depth == 0 else None)
        if "\t" in h.text:
            role = "indicator" if any(c.tag.startswith("\t") and not c.departments_raw and c.kind == "goal" for c in pd.clauses if h.line < c.line < end) else "measure"
        out.append({"heading": h.marker + h.text, "level": h.level, "depth": depth, "line": h.line,
                    "role": ROLE_LABELS.get(role), "counts": counts})
    return out
