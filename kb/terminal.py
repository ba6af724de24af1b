"""Terminal text: display width of CJK text, padding for aligned columns."""

from __future__ import annotations

import unicodedata


def display_width(text: str) -> int:
    """Columns a string takes in a terminal: wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 0 if unicodedata.combining(ch) else 1 for ch in text)


def pad(text: str, width: int) -> str:
    """Left-justify to a display width, with at least one space after the text."""
    return text + " " * max(1, width - display_width(text))


def rjust(text: str, width: int) -> str:
    """Right-justify to a display width."""
    return " " * max(0, width - display_width(text)) + text
