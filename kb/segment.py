"""Chinese segmentation with jieba: index tokens and department mentions, in parallel for big corpora."""

from __future__ import annotations

import os
import re
import sys
import threading
import time
import unicodedata
from concurrent.futures import ProcessPoolExecutor

PARALLEL_THRESHOLD = 4000  # clauses; below this, starting workers costs more than it saves
PARENT_POLL_SECONDS = 0.5  # how soon a worker notices that the build it serves was killed
RE_SKIP = re.compile(r"^[\W_]+$")

_TOKENIZER = None
_REGISTRY = None


def import_jieba():
    """The jieba module, imported without pkg_resources.

    jieba reads its bundled files through pkg_resources when that imports, else straight from its
    package folder; importing pkg_resources costs about half a second of a query process's start.
    """
    if "jieba" not in sys.modules and "pkg_resources" not in sys.modules:
        sys.modules["pkg_resources"] = None  # makes `import pkg_resources` raise ImportError
        try:
            import jieba
        finally:
            del sys.modules["pkg_resources"]
    import jieba

    jieba.setLogLevel(60)
    return jieba


def build_tokenizer(userdict_lines: list[str]):
    """jieba with its default dictionary plus the registry's names and our domain terms."""
    global _TOKENIZER
    jieba = import_jieba()
    tok = jieba.Tokenizer()
    tok.initialize()
    for line in userdict_lines:
        parts = line.split()
        if parts and not line.startswith("#"):
            freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
            tok.add_word(parts[0], freq)
    _TOKENIZER = tok
    return tok


def tokenizer():
    return _TOKENIZER


def pid_alive(pid: int) -> bool:
    """True while process pid exists (without signalling it; os.kill would end it on Windows)."""
    if sys.platform == "win32":
        import ctypes

        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        ok = kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        kernel32.CloseHandle(handle)
        return bool(ok) and code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _die_with(parent: int):
    """End this worker as soon as the build process that started it is gone (even after kill -9)."""
    if sys.platform.startswith("linux") and os.getppid() == parent:
        try:
            import ctypes
            import signal

            # PR_SET_PDEATHSIG: the kernel sends SIGKILL when our parent dies; then re-check the race.
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
        if os.getppid() != parent:
            os._exit(1)

    started_by = os.getppid()

    def watch():
        # Portable fallback (spawn/forkserver starts, Windows, macOS): poll the build's pid, and
        # our own parent's (a killed parent stays a zombie, still "alive", until it is reaped).
        while pid_alive(parent) and os.getppid() == started_by:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="plankb-parent-watch", daemon=True).start()


def _init_worker(userdict_lines, registry, parent=None):
    global _REGISTRY
    if parent is not None:
        _die_with(parent)
    build_tokenizer(userdict_lines)
    _REGISTRY = registry


def analyse_texts(texts: list[str]) -> list[tuple[list[str], list[str]]]:
    """For each text: its jieba tokens (no punctuation) and the departments it names.

    A department spelling counts as a mention only where it does not cut
    through a word jieba found (科协 is not named in 学科协作).
    """
    out = []
    assert _TOKENIZER is not None, "build_tokenizer() first"
    for text in texts:
        norm = unicodedata.normalize("NFKC", text).lower()
        spans = list(_TOKENIZER.tokenize(norm, HMM=False))
        words = [w for w, _, _ in spans if w.strip() and not RE_SKIP.match(w)]
        mentions = []
        if _REGISTRY is not None:
            bounds = {s for _, s, _ in spans} | {e for _, _, e in spans} if len(norm) == len(text) else None
            mentions = _REGISTRY.mentioned_in(text, bounds)
        out.append((words, mentions))
    return out


def analyse_stream(texts, userdict_lines, registry, progress=None, chunk=1000):
    """Yield (start, results) for consecutive chunks of texts, in order, on every core when there are many.

    The caller can index one chunk while the workers segment the next ones.
    """
    chunks = [(i, texts[i : i + chunk]) for i in range(0, len(texts), chunk)]
    if len(texts) < PARALLEL_THRESHOLD or (os.cpu_count() or 1) < 2:
        _init_worker(userdict_lines, registry)
        done = 0
        for start, part in chunks:
            result = analyse_texts(part)
            done += len(part)
            if progress:
                progress("tokenize", done, len(texts))
            yield start, result
        return
    workers = min(os.cpu_count() or 2, 4)
    with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(userdict_lines, registry, os.getpid())) as pool:
        results = pool.map(analyse_texts, [part for _, part in chunks])
        # The vocabulary file needs this process's tokenizer too: load it while the workers start.
        if _TOKENIZER is None:
            build_tokenizer(userdict_lines)
        done = 0
        for (start, part), result in zip(chunks, results):
            done += len(part)
            if progress:
                progress("tokenize", done, len(texts))
            yield start, result

