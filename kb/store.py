"""The knowledge base on disk: corpus → parsed documents → one generation in the data dir.

Layout of the data dir::

    CURRENT            name of the live generation (swapped atomically with os.replace)
    corpus.json        the plan folder this data dir is built from (also in every meta.json)
    gen-<stamp>/       kb.json, clauses.*, headings.json, meta.json, indicators.json.gz, the copied data files, sources/, index/,
                       checksums.json (size and sha256 of every other file, checked at open)
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
from dataclasses import dataclass, field
from pathlib import Path

import kb
from kb import segment
from kb.corpus import (
    DATA_FILES,
    REPO_ROOT,
    SCHEMA_VERSION,
    _file_digest,
    corpus_state,
    default_corpus,
    fingerprint,
    load_manifest,
    parse_file,
    plan_files,
)
from kb.departments import BUILTIN, Registry
from kb.errors import DataDirError, DataFileError, IndexMissing, PlankbError, SourceError
from kb.generation import (
    CHECKSUM_FILE,
    damage_in,
    load_generation,
    recorded_corpus,
    write_binding,
    write_checksums,
    write_indicators,
    write_json,
    write_kb,
)
from kb.knowledge import KnowledgeBase, keep_source
from kb.model import ParsedDocument, ParseWarning
from kb.sources import PLAN_SUFFIXES


def default_data(corpus=None) -> Path:
    """$PLANKB_DATA, else the plan folder's own data dir (see data_dir_for)."""
    env = os.environ.get("PLANKB_DATA")
    if env:
        return Path(env)
    return data_dir_for(Path(corpus) if corpus is not None else default_corpus())


DATA_DIR_NAME = ".plankb"


def data_dir_for(corpus: Path) -> Path:
    """The one place a plan folder's knowledge base lives: ``.plankb/`` inside the folder.

    It travels with the folder, two folders never share one, and it is the same wherever the
    command runs from. The checkout's own ``corpus/`` keeps the checkout's ``data/``, which
    ``scripts/run`` builds and serves.
    """
    if _same_dir(corpus, REPO_ROOT / "corpus"):
        return REPO_ROOT / "data"
    return corpus / DATA_DIR_NAME


def _live_meta(data: Path) -> dict:
    try:
        gen = live_generation(data)
    except DataDirError:
        return {}
    if gen is None:
        return {}
    try:
        meta = json.loads((gen / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def _same_dir(a: Path, b: Path) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


def resolve_dirs(data=None, corpus=None) -> tuple[Path, Path]:
    """The data dir and the corpus it is bound to, for reading.

    A data dir is bound to the corpus it was built from: naming another corpus is an error, naming
    none means that one. A data dir that was named must exist (only ``build`` creates one); the
    default data dir of an existing plan folder is built on first use.
    """
    corpus_given = corpus is not None
    data_given = data is not None or bool(os.environ.get("PLANKB_DATA"))
    if corpus_given and not Path(corpus).is_dir() and not data_given:
        raise DataFileError(f"规划文件夹 {corpus} 不存在：请检查路径，或先 mkdir {corpus} 并放入规划文件")
    data = Path(data) if data is not None else default_data(corpus)
    if not data.is_dir() and not (not data_given and Path(corpus or default_corpus()).is_dir()):
        folder = corpus if corpus_given else "规划文件夹"
        raise DataDirError(f"数据目录 {data} 不存在：请先运行 plankb build --corpus {folder} --data {data}")
    recorded = recorded_corpus(data)
    if recorded is not None:
        if corpus_given and not _same_dir(corpus, recorded):
            raise DataDirError(bound_elsewhere(data, recorded, Path(corpus)))
        return data, recorded
    return data, Path(corpus) if corpus_given else default_corpus()


def bound_elsewhere(data: Path, recorded: Path, corpus: Path) -> str:
    """The one message for a data dir named together with a plan folder it was not built from."""
    advice = f"{corpus} 的数据目录是 {data_dir_for(corpus)}（去掉 --data 即用它），去掉 --corpus 即使用 {recorded}"
    if not recorded.is_dir():
        # Nothing else can be served from it any more: rebuilding it from another folder loses no plan.
        advice += f"；{recorded} 已不存在，如要改用 {corpus} 重建这个数据目录，请加 --replace"
    return f"数据目录 {data} 是由规划文件夹 {recorded} 构建的，不是 {corpus}：{advice}"


def is_stale(corpus: Path, data: Path) -> str | None:
    """Why the live knowledge base does not match the corpus, or None when it is current."""
    gen = live_generation(data)
    if gen is None:
        return "尚未构建知识库"
    try:
        meta = json.loads((gen / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "知识库元数据损坏"
    if meta.get("schema") != SCHEMA_VERSION or meta.get("version") != kb.__version__ or "checksums" not in meta:
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


def refresh_reason(data: Path, corpus: Path) -> tuple[str | None, bool]:
    """Why a data dir needs a build before it is current, and whether that build must be forced.

    (None, False) when it is current, or when its corpus is gone (nothing to build from).
    """
    if not corpus.is_dir():
        return None, False
    try:
        live = live_generation(data)
    except DataDirError:
        return "CURRENT 已损坏", True
    reason = is_stale(corpus, data)
    if reason:
        return reason, False
    damage = damage_in(live, full=True) if live is not None else None
    return (f"知识库已损坏：{damage}", True) if damage else (None, False)


# -- generations -----------------------------------------------------------------
def live_generation(data: Path) -> Path | None:
    """The generation CURRENT points at, or None when there is none (or it is gone).

    CURRENT is read as bytes: anything but the ASCII name of a generation is a DataDirError.
    """
    try:
        raw = (Path(data) / "CURRENT").read_bytes()
    except OSError:
        return None
    name = raw.strip().decode("ascii", errors="replace")
    if not re.fullmatch(r"gen-[\w.-]+", name, re.ASCII):
        raise DataDirError(f"数据目录 {data} 的 CURRENT 已损坏（不是知识库的代号）：请运行 plankb build --data {data} 从它记录的规划文件夹重建")
    gen = Path(data) / name
    if not (gen / "kb.json").is_file():
        return None
    return gen


def _live_or_none(data: Path) -> Path | None:
    """live_generation, with a damaged CURRENT read as no live generation (for build, which replaces it)."""
    try:
        return live_generation(data)
    except DataDirError:
        return None


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
    live = _live_or_none(data)
    gens = sorted((p for p in data.glob("gen-*") if p.is_dir()), key=lambda p: p.name)
    for older, newer in zip(gens[:-keep], gens[1:]):
        replaced_for = time.time() - newer.stat().st_mtime
        if (live is None or older.name != live.name) and replaced_for > GRACE_SECONDS:
            shutil.rmtree(older, ignore_errors=True)
    _prune_debris(data)


DEBRIS_MAX_AGE = 24 * 3600  # a build folder this old is debris even if its pid was reused


def _prune_debris(data: Path):
    """Remove partial build-* folders of builds that died (killed, crashed, out of disk)."""
    try:
        folders = [p for p in data.glob("build-*") if p.is_dir()]
    except OSError:
        return
    for junk in folders:
        m = re.fullmatch(r"build-[\w]+\.\d+-(\d+)-\w+", junk.name)
        try:
            age = time.time() - junk.stat().st_mtime
        except OSError:
            continue
        owner = int(m.group(1)) if m else None
        if owner == os.getpid() or (owner is not None and segment.pid_alive(owner) and age < DEBRIS_MAX_AGE):
            continue  # a build still running, in this process or another
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


def build_dirs(corpus=None, data=None, replace=False) -> tuple[Path, Path]:
    """The plan folder and data dir a build uses: a data dir named alone is rebuilt from the folder it records."""
    if corpus is None and replace:
        raise DataDirError("--replace 须与 --corpus 一起使用：写明要改用哪个规划文件夹重建")
    if corpus is None and (data is not None or os.environ.get("PLANKB_DATA")):
        data = Path(data) if data is not None else default_data()
        return recorded_corpus(data) or default_corpus(), data
    corpus = Path(corpus or default_corpus())
    return corpus, Path(data) if data is not None else default_data(corpus)


def build(corpus=None, data=None, *, force=False, progress=None, encoding=None, replace=False) -> BuildReport:
    """Parse every plan in the corpus and write a new generation (KB + index) atomically.

    :param progress: called as progress(stage, done, total) for long work.
    :param replace: allow rebuilding a data dir that was built from another corpus folder.
    """
    from kb import index as kbindex

    corpus, data = build_dirs(corpus, data, replace)
    if not corpus.is_dir():
        raise DataFileError(f"规划文件夹 {corpus} 不存在：请检查路径，或先 mkdir {corpus} 并放入规划文件")
    if not replace:
        recorded = recorded_corpus(data)
        if recorded is not None and not _same_dir(corpus, recorded):
            raise DataDirError(bound_elsewhere(data, recorded, corpus))
    t0 = time.perf_counter()
    state = corpus_state(corpus)
    fp = fingerprint(state)
    live = _live_or_none(data)
    if live and not force:
        meta = _live_meta(data)
        if meta.get("fingerprint") == fp and kbindex.index_ok(live / "index") and (live / CHECKSUM_FILE).exists() and damage_in(live, full=True) is None:
            _prune_debris(data)
            return BuildReport(str(data), True, live.name, seconds=time.perf_counter() - t0, clauses=meta.get("clauses", 0))
    made = [p for p in (data, data / "parsed") if not p.exists()]  # removed again when nothing could be built
    _check_writable(data)
    registry = Registry.load(corpus / "departments.toml")
    manifest = load_manifest(corpus)
    cache = data / "parsed"
    cache.mkdir(exist_ok=True)
    registry_file = corpus / "departments.toml"
    # A cached parse is valid for the same registry and the same built-in unit dictionary.
    registry_bytes = (registry_file.read_bytes() if registry_file.exists() else b"") + BUILTIN.read_bytes()
    registry_key = hashlib.sha256(registry_bytes).hexdigest()[:12]
    reports, parsed_docs = [], []
    seen_ids: dict[str, str] = {}
    files = plan_files(corpus)
    for i, path in enumerate(files):
        if progress:
            progress("parse", i, len(files))
        entry = manifest.get(path.name, {})
        # The file name is part of the key: ids and sources come from it (a renamed or copied plan is its own).
        entry_key = hashlib.sha256(json.dumps([path.name, entry], sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:8]
        key = f"{state[path.name]['sha256'][:24]}-{registry_key}-{entry_key}-s{SCHEMA_VERSION}"
        cached = cache / f"{key}.json"
        try:
            if cached.exists():
                pd = ParsedDocument.from_dict(json.loads(cached.read_text(encoding="utf-8")))
                status = "cached"
            else:
                pd = parse_file(path, registry, entry, encoding=encoding)
                status = "parsed"
                try:
                    write_json(cached, pd.to_dict())
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
        for p in reversed(made):
            shutil.rmtree(p, ignore_errors=True)
        errors = "；".join(r.error for r in reports if r.error)
        raise PlankbError("没有可用的规划：" + (errors or f"{corpus} 中没有规划文件（可读格式：{'、'.join(PLAN_SUFFIXES)}）"))
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
        # The original files, as read: the reading view offers them for download.
        (work / "sources").mkdir()
        for pd in parsed_docs:
            keep_source(corpus / pd.document.source, work / "sources")
        kbobj = KnowledgeBase.from_parsed(parsed_docs, Registry.load(work / "departments.toml"), work, mentions={})
        _write_kb_and_index(work, kbobj, progress)
        write_indicators(work, kbobj)
        meta = {
            "schema": SCHEMA_VERSION,
            "version": kb.__version__,
            "fingerprint": fp,
            "corpus": str(corpus.resolve()),
            "files": state,
            "documents": [pd.document.id for pd in parsed_docs],
            "clauses": len(kbobj.clauses),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "checksums": CHECKSUM_FILE,
        }
        write_json(work / "meta.json", meta)
        write_checksums(work)
        gen = data / f"gen-{stamp}"
        os.replace(work, gen)
        write_binding(data, corpus)
        _swap(data, gen)
    except OSError as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise DataDirError(f"写入 {data} 失败：{exc.strerror or exc}；正在使用的知识库未受影响") from None
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    _prune(data)
    return BuildReport(str(data), False, gen.name, reports, time.perf_counter() - t0, len(kbobj.clauses))


def _write_kb_and_index(work: Path, kbobj: KnowledgeBase, progress=None):
    """Segment the clauses (on every core) and write the generation's KB and index files."""
    from kb import index as kbindex

    clauses = kbobj.clauses
    builder = kbindex.IndexBuilder(work / "index")
    mentions = []
    stream = segment.analyse_stream([c.text for c in clauses], kbindex.userdict_for(kbobj), kbobj.registry, progress)
    for start, result in stream:
        builder.add(clauses[start : start + len(result)], [w for w, _ in result])
        mentions += [m for _, m in result]
        if progress:
            progress("index", start + len(result), len(clauses))
    kbobj.set_mentions(mentions)
    builder.commit(kbobj)
    write_kb(work, kbobj)


def open_kb(data=None, corpus=None, *, rebuild=True, notify=None, warn=None) -> KnowledgeBase:
    """Load the live knowledge base of a data dir, rebuilding it from its own corpus when stale.

    :param rebuild: when False, nothing is built: a missing KB raises IndexMissing, a damaged one
        DataDirError, and a stale one is served as it is.
    :param notify: called with a sentence when a build happens.
    :param warn: called with a sentence when a KB that could not be brought up to date is served
        (default: notify).
    """
    warn = warn or notify
    data, corpus = resolve_dirs(data, corpus)
    try:
        live = live_generation(data)
    except DataDirError as exc:
        rebuild_damaged(data, corpus, exc, rebuild=rebuild, notify=notify)
        live = live_generation(data)
    if not corpus.is_dir():
        if live is None:
            raise IndexMissing(f"{data} 中没有知识库，规划文件夹 {corpus} 也不存在：请运行 plankb build --corpus 规划文件夹 --data {data}")
        kbobj = load_generation(live)  # a damaged one cannot be rebuilt here: its error alone is the answer
        if warn:
            warn(f"规划文件夹 {corpus} 不存在，使用已构建的知识库")
        return kbobj
    reason = is_stale(corpus, data)
    if reason:
        if not rebuild:
            if live is None:
                raise IndexMissing(f"{data} 中没有知识库（{reason}）：请运行 plankb build --corpus {corpus} --data {data}")
        else:
            if notify:
                notify(f"{reason}，正在从 {corpus} 重新构建知识库……")
            try:
                build(corpus, data)
            except DataDirError as exc:
                if _live_or_none(data) is None:
                    raise
                # An unwritable or full data dir: the live KB is intact, so serve it.
                if warn:
                    warn(f"无法重新构建（{exc}），继续使用现有的知识库")
    gen = live_generation(data)
    if gen is None:
        raise IndexMissing(f"{data} 中没有知识库：请运行 plankb build --corpus {corpus} --data {data}")
    try:
        return load_generation(gen)
    except DataDirError as exc:
        rebuild_damaged(data, corpus, exc, rebuild=rebuild, notify=notify)
        rebuilt = live_generation(data)
        if rebuilt is None:
            raise exc from None
        return load_generation(rebuilt)


def rebuild_damaged(data: Path, corpus: Path, exc: DataDirError, *, rebuild=True, notify=None):
    """A damaged live generation: rebuild it from the corpus the data dir records, else raise exc.

    ``corpus`` comes from resolve_dirs, so it is the recorded folder whenever one is recorded.
    """
    if not rebuild or not corpus.is_dir():
        raise exc
    if notify:
        notify(f"{exc}；正在从 {corpus} 重新构建……")
    build(corpus, data, force=True)
