"""The line-coverage check: every non-blank character of the input lands in exactly one heading or clause."""

from __future__ import annotations

import re

from kb.model import ParsedDocument


def reassemble(parsed: ParsedDocument) -> str:
    """The document's non-blank characters rebuilt from headings and clauses, in order."""
    pieces = [(h.line, 0, h.marker + h.text) for h in parsed.headings]
    pieces += [(c.line, 1, c.marker + c.text + c.tag) for c in parsed.clauses]
    pieces.sort(key=lambda p: (p[0], p[1]))
    return re.sub(r"\s+", "", "".join(p[2] for p in pieces))


def uncovered_lines(lines, parsed: ParsedDocument) -> list[int]:
    """Line numbers (1-based) of source lines whose text is not, in order, in a heading, clause or front-matter field.

    The line-coverage check: walking the source lines over the document rebuilt from what was read,
    every line's characters must come next; a line that does not is reported (and reading resumes at
    its next occurrence, so one missing line does not hide the rest).
    """
    rebuilt = reassemble(parsed)
    missing, at = [], 0
    for number, line in enumerate(lines, 1):
        text = re.sub(r"\s+", "", line.strip("\ufeff"))
        if not text:
            continue
        if rebuilt.startswith(text, at):
            at += len(text)
            continue
        missing.append(number)
        found = rebuilt.find(text, at)
        if found >= 0 and found - at <= 2 * len(text) + 200:
            at = found + len(text)
    return missing
