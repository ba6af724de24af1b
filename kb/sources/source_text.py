"""SourceText: what every reader returns (one paragraph per line, with how the file was read)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SourceText:
    """A file's text as lines, with how it was read.

    lines: one paragraph per line (blank lines allowed; table rows are cells joined by a tab).
    title_hint: the page's or document's own title when the format carries one, else None.
    warnings: (1-based line number in lines, message) for what the reader fixed.
    """

    path: str
    lines: list[str]
    format: str
    encoding: str | None = None
    title_hint: str | None = None
    notes: list[str] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)
