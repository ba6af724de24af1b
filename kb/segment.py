"""Chinese segmentation with jieba: index tokens and department mentions, in parallel for big corpora."""

from __future__ import annotations

import os
import re
import unicodedata
from concurrent.futures import ProcessPoolExecutor

PARALLEL_THRESHOLD = 4000  # clauses; below this, starting workers costs more than it saves
RE_SKIP = re.compile(r"^[\W_]+$")

_TOKENIZER = None
_REGISTRY = None


def build_tokenizer(userdict_lines: list[str]):
    """jieba with its default dictionary plus the registry's names and our domain terms."""
    global _TOKENIZER
    import jieba

    jieba.setLogLevel(60)
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


def _init_worker(userdict_lines, registry):
    global _REGISTRY
    build_tokenizer(userdict_lines)
    _REGISTRY = registry


def analyse_texts(texts: list[str]) -> list[tuple[list[str], list[str]]]:
    """For each text: its jieba tokens (no punctuation) and the departments it names.

    A department spelling counts as a mention only where it does not cut
    through a word jieba found (科协 is not named in 学科协作).
    """
    out = []
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


def analyse_all(texts, userdict_lines, registry, progress=None):
    """analyse_texts over all texts, on every core when there are many."""
    if len(texts) < PARALLEL_THRESHOLD or (os.cpu_count() or 1) < 2:
        _init_worker(userdict_lines, registry)
        out = []
        for i in range(0, len(texts), 500):
            out.extend(analyse_texts(texts[i : i + 500]))
            if progress:
                progress("tokenize", len(out), len(texts))
        return out
    workers = min(os.cpu_count() or 2, 4)
    chunks = [texts[i : i + 1000] for i in range(0, len(texts), 1000)]
    out = []
    with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(userdict_lines, registry)) as pool:
        for result in pool.map(analyse_texts, chunks):
            out.extend(result)
            if progress:
                progress("tokenize", len(out), len(texts))
    # The vocabulary file needs the main process's tokenizer too.
    if _TOKENIZER is None:
        build_tokenizer(userdict_lines)
    return out
