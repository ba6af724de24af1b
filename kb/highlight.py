"""Highlights: where the words of a query stand in a clause, marked on its original text.

Matches are found in the normalised text (NFKC, lower case, no white space, as the index keeps it) and
marked as ranges of the original, so a highlight never walks a clause one character at a time in
Python; snippets open at a sentence or phrase boundary.
"""

from __future__ import annotations

import html
import re
import threading
import unicodedata
from bisect import bisect_right

from kb.index import normalise

SENTENCE_END = "。；！？\n"


def snippet_start(text: str, lo: int, first: int) -> int:
    """Where a snippet that must show text[first] begins: the start of the sentence (else the clause
    after a ，) that holds lo or follows it before first, so it never opens mid-phrase."""
    for ends in (SENTENCE_END, "，、"):
        back = max((text.rfind(ch, 0, lo) for ch in ends), default=-1)
        if back >= 0 and lo - back <= 40:
            return back + 1
        ahead = [i for i in (text.find(ch, lo, first) for ch in ends) if i >= 0]
        if ahead:
            return min(ahead) + 1
    return lo


class _Forms(dict):
    """Per character (code point), its normalised form as in normalise(): full-width → ASCII, upper →
    lower case, "" for white space, else the character itself; learnt by str.translate as it meets them."""

    def __missing__(self, cp: int) -> str:
        ch = chr(cp)
        form = unicodedata.normalize("NFKC", ch).lower()
        if form.isspace():
            form = ""
        if len(form) != 1:
            with _FORMS_LOCK:
                _ODD.add(ch)
        self[cp] = form
        return form


_FORMS = _Forms()
_ODD: set[str] = set()  # the characters met that do not map to exactly one character
_RE_ODD: re.Pattern | None = None  # any of them, compiled after a translation that met new ones
_RE_ODD_OF: frozenset[str] = frozenset()  # the characters _RE_ODD matches
_FORMS_LOCK = threading.Lock()


def _odd() -> re.Pattern | None:
    """The pattern of every odd character met so far (recompiled only when new ones were met)."""
    global _RE_ODD, _RE_ODD_OF
    if len(_ODD) != len(_RE_ODD_OF):
        with _FORMS_LOCK:
            if len(_ODD) != len(_RE_ODD_OF):
                chars = frozenset(_ODD)
                _RE_ODD = re.compile("[" + "".join(re.escape(c) for c in sorted(chars)) + "]")
                _RE_ODD_OF = chars  # after the pattern: whoever sees the new count sees the new pattern
    return _RE_ODD


def _normalised(text: str) -> tuple[str, list[int], list[int], list[bool]]:
    """text normalised character by character, with the runs that map it back.

    Returns (norm, run starts in norm, run starts in text, run is one-to-one): a run is either
    characters that each map to one character, or one character that maps to several.
    """
    norm = text.translate(_FORMS)
    odd = _odd()
    if odd is None or not odd.search(text):
        return norm, [0], [0], [True]
    nstarts, tstarts, plain = [], [], []
    at = done = 0
    for m in odd.finditer(text):
        if m.start() > done:
            nstarts.append(at)
            tstarts.append(done)
            plain.append(True)
            at += m.start() - done
        rep = _FORMS[ord(m.group())]
        if rep:
            nstarts.append(at)
            tstarts.append(m.start())
            plain.append(False)
            at += len(rep)
        done = m.end()
    nstarts.append(at)
    tstarts.append(done)
    plain.append(True)
    return norm, nstarts, tstarts, plain


def highlight(text: str, needles, width: int = 180, fallback=()) -> str:
    """An HTML-escaped snippet of text with matches wrapped in <mark>; nothing else is markup.

    Matches are found in the normalised text and marked as ranges of the original one.

    :param fallback: words to mark when no needle occurs (a keyword matched as scattered words).
    """
    norm, nstarts, tstarts, plain = _normalised(text)

    def back(i: int) -> int:  # the text position of norm[i]
        k = bisect_right(nstarts, i) - 1
        return tstarts[k] + (i - nstarts[k] if plain[k] else 0)

    ranges = []
    for needle in needles:
        nn = normalise(needle)
        if not nn:
            continue
        start = norm.find(nn)
        while start >= 0:
            ranges.append((back(start), back(start + len(nn) - 1) + 1))
            start = norm.find(nn, start + 1)
    if fallback and not ranges:
        return highlight(text, fallback, width)
    merged: list[list[int]] = []
    for a, b in sorted(ranges):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    lo, hi = 0, len(text)
    if len(text) > width:
        first = merged[0][0] if merged else 0
        lo = max(0, first - width // 3)
        hi = min(len(text), lo + width)
        lo = snippet_start(text, max(0, hi - width), first)
    out, i = [], lo
    for a, b in merged:
        a, b = max(a, lo), min(b, hi)
        if a >= b:
            continue
        if a > i:
            out.append(html.escape(text[i:a], quote=True))
        out.append(f"<mark>{html.escape(text[a:b], quote=True)}</mark>")
        i = b
    if i < hi:
        out.append(html.escape(text[i:hi], quote=True))
    return ("…" if lo > 0 else "") + "".join(out) + ("…" if hi < len(text) else "")


def plain_highlight(snippet: str) -> str:
    """A highlight for the terminal: <mark> becomes 【】, entities are decoded."""
    return html.unescape(snippet.replace("<mark>", "【").replace("</mark>", "】"))


# -- opening, with reload when a new generation goes live ---------------------------
