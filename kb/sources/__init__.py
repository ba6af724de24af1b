"""Readers: plan files (.txt in any common encoding, .html, .docx, .pdf, .doc/.wps) → normalised lines.

Every reader returns a SourceText: one paragraph per line, tables of two or more columns as one line per
row with cells joined by a tab, and warnings for what the reader fixed. Hostile files are refused by
size before they are read in full (see the caps below).
"""

from __future__ import annotations

from pathlib import Path

from kb.errors import SourceError
from kb.sources.docx import read_docx
from kb.sources.html import read_html
from kb.sources.office import read_legacy_word
from kb.sources.pdf import read_pdf
from kb.sources.source_text import SourceText
from kb.sources.text import decode_text, normalise_lines, plausible_text, split_lines, strip_controls

__all__ = ["SourceText", "read_source", "decode_text", "normalise_lines", "plausible_text", "PLAN_SUFFIXES", "READABLE"]

PLAN_SUFFIXES = (".txt", ".html", ".htm", ".docx", ".pdf", ".doc", ".wps")
# The formats named in messages, as a reader writes them: .txt、.html、.htm、.docx、.pdf、.doc 或 .wps.
READABLE = "、".join(PLAN_SUFFIXES[:-1]) + f" 或 {PLAN_SUFFIXES[-1]}"
MB = 1024 * 1024
# Generous for real plans: a 300-page plan with photos is a 20–30 MB .docx or .pdf.
MAX_FILE_BYTES = 50 * MB
MAGIC = {
    b"\x89PNG": "PNG 图片",
    b"\xff\xd8\xff": "JPEG 图片",
    b"GIF8": "GIF 图片",
    b"Rar!": "RAR 压缩包",
    b"\x1f\x8b": "gzip 压缩文件",
}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def read_source(path, encoding: str | None = None) -> SourceText:
    """Read a plan file, choosing the reader by content and extension."""
    path = Path(path)
    data = _read_capped(path)
    if not data or data.isspace():
        raise SourceError(path, "文件是空的")
    for magic, what in MAGIC.items():
        if data.startswith(magic):
            raise SourceError(path, f"这是{what}，不是规划文本")
    suffix = path.suffix.lower()
    if data.startswith(b"%PDF") or suffix == ".pdf":
        if not data.startswith(b"%PDF"):
            raise SourceError(path, "扩展名是 .pdf，但不是 PDF 文件")
        return _finish(read_pdf(path, data))
    if data.startswith(OLE_MAGIC) or suffix in (".doc", ".wps"):
        return _finish(read_legacy_word(path, data))
    if data.startswith(b"PK\x03\x04") or suffix == ".docx":
        return _finish(read_docx(path, data))
    text, enc = decode_text(path, data, encoding)
    if suffix in (".html", ".htm") or _looks_like_html(text):
        return _finish(read_html(path, text, enc))
    if suffix not in (".txt", "") and suffix not in PLAN_SUFFIXES:
        raise SourceError(path, f"不支持的文件类型“{suffix}”：请使用 {READABLE}")
    return _finish(SourceText(str(path), normalise_lines(split_lines(text)), "txt", enc))


def _read_capped(path: Path) -> bytes:
    """The file's bytes, refused by its size (stat) before anything is read."""
    try:
        if path.is_symlink() and path.resolve().parent != path.parent.resolve():
            # A link in a corpus folder must not make the build read files from elsewhere.
            raise SourceError(path, f"是指向所在文件夹之外（{path.resolve()}）的链接，已拒绝；请把规划文件本身放进文件夹")
        size = path.stat().st_size
        if path.is_dir():
            raise IsADirectoryError
        if size > MAX_FILE_BYTES:
            raise SourceError(path, f"文件过大（{size / MB:,.0f} MB），规划文件最大 {MAX_FILE_BYTES // MB} MB")
        with path.open("rb") as fh:
            data = fh.read(size + 1) if size else fh.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise SourceError(path, f"文件过大，规划文件最大 {MAX_FILE_BYTES // MB} MB")
        return data
    except IsADirectoryError:
        raise SourceError(path, "是一个文件夹，不是规划文件") from None
    except OSError as exc:
        raise SourceError(path, f"无法读取：{exc.strerror or exc}") from None


def _finish(src: SourceText) -> SourceText:
    """Control characters removed from every reader's lines, with a warning naming each line."""
    src.lines, warnings = strip_controls(src.lines)
    src.warnings = sorted(src.warnings + warnings)
    if src.title_hint:
        src.title_hint = strip_controls([src.title_hint])[0][0] or None
    return src


def _looks_like_html(text: str) -> bool:
    head = text[:2000].lower()
    return "<html" in head or "<!doctype html" in head or ("<body" in head and "</" in head)
