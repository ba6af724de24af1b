"""What a data dir keeps beside the knowledge base itself: the record of the plan folder it is built
from (``corpus.json``), the checksums of every generation file, and the indicators extracted at build.

Kept apart from the build so that any file a generation holds is checksummed without being named.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import os
from pathlib import Path

from kb.columns import write_columns
from kb.errors import DataDirError, PlankbError
from kb.knowledge import HEADING_FIELDS, HEADINGS, KB_FORMAT, KnowledgeBase
from kb.model import DUTY_KINDS

# -- binding: the plan folder a data dir is built from ------------------------------------------
BINDING_FILE = "corpus.json"


def write_binding(data: Path, corpus: Path):
    """Record (atomically) the plan folder a data dir is built from, beside CURRENT."""
    write_json(data / BINDING_FILE, {"corpus": str(corpus.resolve())})


def recorded_corpus(data: Path) -> Path | None:
    """The plan folder a data dir was built from; None for a data dir that holds no knowledge base.

    Read from corpus.json, else from the newest generation whose meta.json still says it. A data
    dir that holds a knowledge base but no readable record is refused: rebuilding it from some
    default folder would replace its plans and orphan its monitoring values.
    """
    data = Path(data)
    try:
        binding = json.loads((data / BINDING_FILE).read_bytes().decode("utf-8"))
        if isinstance(binding, dict) and isinstance(binding.get("corpus"), str) and binding["corpus"]:
            return Path(binding["corpus"])
    except (OSError, ValueError):
        pass
    for gen in sorted(_generations(data), key=lambda p: p.name, reverse=True):
        try:
            meta = json.loads((gen / "meta.json").read_bytes().decode("utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(meta, dict) and isinstance(meta.get("corpus"), str) and meta["corpus"]:
            return Path(meta["corpus"])
    if _holds_kb(data):
        raise DataDirError(
            f"数据目录 {data} 记录的规划文件夹无法读取（{BINDING_FILE} 和各代 meta.json 均已损坏），不会擅自改用别的文件夹："
            f"确认是哪个规划文件夹后运行 plankb build --corpus 规划文件夹 --data {data} --replace"
        )
    return None


def _generations(data: Path) -> list[Path]:
    try:
        return [p for p in data.glob("gen-*") if p.is_dir()]
    except OSError:
        return []


def _holds_kb(data: Path) -> bool:
    """Whether a data dir holds a knowledge base or monitoring values (anything a rebuild could lose)."""
    return bool(_generations(data)) or any((data / n).exists() for n in ("CURRENT", BINDING_FILE, "monitor.sqlite"))


# -- checksums: damage that keeps a file's shape is found at open ---------------------------------
CHECKSUM_FILE = "checksums.json"
# A generation up to this size is hashed in full at every open. Above it, an open checks every file's
# size and build-time mtime and hashes only the files whose mtime moved; the full hash is left to
# refresh_reason (plankb serve's background check) and to plankb build.
FULL_CHECK_BYTES = 20 << 20


def _generation_files(gen: Path) -> list[Path]:
    return sorted(p for p in gen.rglob("*") if p.is_file() and p.name != CHECKSUM_FILE)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_checksums(gen: Path):
    """Size, sha256 and mtime of every file of a generation (whatever files it holds), in checksums.json."""
    sums = {}
    for p in _generation_files(gen):
        st = p.stat()
        sums[p.relative_to(gen).as_posix()] = [st.st_size, _sha256(p), st.st_mtime_ns]
    write_json(gen / CHECKSUM_FILE, sums)


def damage_in(gen: Path, *, full: bool = False) -> str | None:
    """What differs in a generation from what its build wrote (a file changed, gone or added), or None.

    Every file's size is compared, and its sha256 too when ``full`` or when the generation is at most
    FULL_CHECK_BYTES; otherwise only files whose mtime is not the one recorded at build (or was not
    recorded) are hashed.
    """
    if not (gen / CHECKSUM_FILE).exists() and _built_before_checksums(gen):
        return None  # nothing to check against: is_stale asks for a rebuild
    try:
        sums = json.loads((gen / CHECKSUM_FILE).read_bytes().decode("utf-8"))
        if not isinstance(sums, dict):
            raise ValueError
    except (OSError, ValueError):
        return f"{CHECKSUM_FILE} 缺失或损坏"
    present = {p.relative_to(gen).as_posix(): p for p in _generation_files(gen)}
    stats = {}
    for name in sorted(set(sums) | set(present)):
        path, want = present.get(name), sums.get(name)
        if path is None:
            return f"缺少 {name}"
        if not isinstance(want, list) or len(want) not in (2, 3):
            return f"{name} 不是构建时写入的文件"
        try:
            stats[name] = path.stat()
        except OSError as exc:
            return f"{name} 无法读取（{exc.strerror or exc}）"
        if stats[name].st_size != want[0]:
            return f"{name} 与构建时不同"
    full = full or sum(st.st_size for st in stats.values()) <= FULL_CHECK_BYTES
    for name, st in stats.items():
        want = sums[name]
        if not (full or len(want) == 2 or st.st_mtime_ns != want[2]):
            continue
        try:
            if _sha256(present[name]) != want[1]:
                return f"{name} 与构建时不同"
        except OSError as exc:
            return f"{name} 无法读取（{exc.strerror or exc}）"
    return None


def _built_before_checksums(gen: Path) -> bool:
    """A generation whose readable meta.json does not promise checksums (built by an earlier version)."""
    try:
        meta = json.loads((gen / "meta.json").read_bytes().decode("utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and "checksums" not in meta


def load_generation(gen: Path) -> KnowledgeBase:
    """A generation checked against its checksums, loaded with the indicators stored at build."""
    damage = damage_in(gen)
    if damage:
        raise DataDirError(f"知识库 {gen} 已损坏（{damage}）：请运行 plankb build --force")
    kbobj = KnowledgeBase.load(gen)
    attach_indicators(kbobj, gen)
    return kbobj


def write_kb(folder: Path, kbobj: KnowledgeBase):
    """Write kb.json and the clause columns (kb.columns) into a generation folder being built."""
    values = write_columns(folder, kbobj.clauses)
    write_json(folder / "kb.json", {
        "format": KB_FORMAT,
        "documents": [d.to_dict() for d in kbobj.documents],
        "clauses": {"n": len(kbobj.clauses), "values": values},
        "warnings": [w.to_dict() for w in kbobj.warnings],
        "mentions": {k: v for k, v in kbobj.mentions.items() if v},
    })
    write_json(folder / HEADINGS, {"fields": HEADING_FIELDS, "rows": [[getattr(h, f) for f in HEADING_FIELDS] for h in kbobj.headings]})


# -- indicators: extracted once, at build -------------------------------------------------------
INDICATOR_FILE = "indicators.json.gz"  # JSON, gzip-compressed: read once, on first use


# What an indicator repeats of its clause is not stored again; its sentence is kept as a span of the clause text.
_FROM_CLAUSE = ("clause", "departments", "doc", "domain", "kind", "citation")
_UNSAID: dict[str, object] = {"comparator": None, "value": None, "unit": "", "direction": None, "extra": {}}  # not stored when so


def _clause_value(clause, key: str):
    """What an indicator's field holds when it repeats its clause (its clause field is the clause's id)."""
    return getattr(clause, "id" if key == "clause" else key)


def write_indicators(work: Path, kbobj: KnowledgeBase):
    """Every target of every goal and measure, by clause, so no page runs extraction."""
    from kb.indicators import clause_indicators

    out = {}
    for c in kbobj.clauses:
        if c.kind not in DUTY_KINDS:
            continue
        items = []
        for ind in clause_indicators(c):
            d = dataclasses.asdict(ind)
            for key in _FROM_CLAUSE:
                if d[key] == _clause_value(c, key):
                    del d[key]
            at = c.text.find(d["text"]) if d["text"] else -1
            if at >= 0:
                d["at"] = [at, at + len(d.pop("text"))]
            if d["id"].startswith(c.id + "."):
                d["id"] = d["id"][len(c.id) + 1 :]
            items.append({k: v for k, v in d.items() if k not in _UNSAID or v != _UNSAID[k]})
        if items:
            out[c.id] = items
    data = json.dumps(out, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    (work / INDICATOR_FILE).write_bytes(gzip.compress(data, compresslevel=6, mtime=0))


def attach_indicators(kbobj: KnowledgeBase, gen: Path):
    """Give a loaded knowledge base the indicators its build stored, read on first use."""
    path = gen / INDICATOR_FILE
    if path.exists():
        kbobj.indicator_loader = lambda: _read_indicators(kbobj, path)


def _read_indicators(kbobj: KnowledgeBase, path: Path) -> dict[str, list]:
    from kb.indicators import Indicator

    try:
        stored = json.loads(gzip.decompress(path.read_bytes()).decode("utf-8"))
        out = {}
        for cid, items in stored.items():
            c = kbobj.clause(cid)
            found = []
            for d in items:
                d = {key: _clause_value(c, key) for key in _FROM_CLAUSE} | _UNSAID | d
                d["extra"] = dict(d["extra"])
                if "." not in d["id"]:
                    d["id"] = f"{cid}.{d['id']}"
                d["departments"] = list(d["departments"])
                if "at" in d:
                    a, b = d.pop("at")
                    d["text"] = c.text[a:b]
                found.append(Indicator(**d))
            out[cid] = found
        return out
    except (OSError, EOFError, ValueError, TypeError, AttributeError, PlankbError) as exc:
        raise DataDirError(f"知识库 {path.parent} 已损坏（{INDICATOR_FILE}：{str(exc)[:100]}）：请运行 plankb build --force") from None


def write_json(path: Path, obj):
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, ensure_ascii=False, separators=(",", ":"))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
