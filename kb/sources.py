"""Readers: plan files (.txt in any common encoding, .html, .docx) → normalised lines."""

from __future__ import annotations

import codecs
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from kb.errors import SourceError

PLAN_SUFFIXES = (".txt", ".html", ".htm", ".docx")
MAGIC = {
    b"%PDF": "PDF 文件",
    b"\x89PNG": "PNG 图片",
    b"\xff\xd8\xff": "JPEG 图片",
    b"GIF8": "GIF 图片",
    b"BM": None,  # too short a magic to trust alone
    b"\xd0\xcf\x11\xe0": "旧版 Office 文档（.doc/.xls），请另存为 .docx",
    b"Rar!": "RAR 压缩包",
    b"\x1f\x8b": "gzip 压缩文件",
}
BLOCK_TAGS = ("p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "table", "td", "th", "blockquote", "pre")
NOISE_TAGS = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe", "button", "select", "template", "svg")
NOISE_HINT = re.compile(r"nav|menu|header|footer|share|breadcrumb|crumb|sidebar|banner|copyright|toolbar|related|comment|print|login|search", re.I)


@dataclass
class SourceText:
    """A file's text as lines, with how it was read."""

    path: str
    lines: list[str]
    format: str
    encoding: str | None = None
    title_hint: str | None = None
    notes: list[str] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)  # (line in `lines`, message)

    def __post_init__(self):
        self.lines, found = strip_controls(self.lines)
        self.warnings += found


def read_source(path, encoding: str | None = None) -> SourceText:
    """Read a plan file, choosing the reader by content and extension."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise SourceError(path, "是一个文件夹，不是规划文件") from None
    except OSError as exc:
        raise SourceError(path, f"无法读取：{exc.strerror or exc}") from None
    if not data.strip():
        raise SourceError(path, "文件是空的")
    for magic, what in MAGIC.items():
        if what and data.startswith(magic):
            raise SourceError(path, f"这是{what}，不是规划文本")
    suffix = path.suffix.lower()
    if data.startswith(b"PK\x03\x04") or suffix == ".docx":
        return _read_docx(path, data)
    text, enc = decode_text(path, data, encoding)
    if suffix in (".html", ".htm") or _looks_like_html(text):
        return _read_html(path, text, enc)
    if suffix not in (".txt", "") and suffix not in PLAN_SUFFIXES:
        raise SourceError(path, f"不支持的文件类型“{suffix}”：请使用 .txt、.html 或 .docx")
    return SourceText(str(path), normalise_lines(text.splitlines()), "txt", enc)


def decode_text(path, data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """Decode bytes: a given encoding, a BOM, UTF-8, then GB18030, checked for plausible Chinese."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise SourceError(path, f"未知的编码“{encoding}”") from None
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            raise SourceError(path, f"不能按 {encoding} 解码（第 {exc.start} 字节）") from None
    if data.startswith(codecs.BOM_UTF8):
        return _checked(path, data[3:], "utf-8", "utf-8-sig")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _checked(path, data, "utf-16", "utf-16")
    head = data[:4096]
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    if head.count(0) > len(head) // 16 or (controls > len(head) // 50 and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))):
        # UTF-16 without a BOM still has a NUL in every other byte of ASCII text.
        even, odd = data[0:4096:2].count(0), data[1:4096:2].count(0)
        for enc, zeros in (("utf-16-le", odd), ("utf-16-be", even)):
            if zeros > len(data[:4096]) // 8:
                try:
                    return _checked(path, data, enc, enc)
                except SourceError:
                    pass
        raise SourceError(path, "这是二进制文件，不是文本")
    try:
        return _checked(path, data, "utf-8", "utf-8")
    except SourceError:
        pass
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data" and exc.start >= len(data) - 3:
            # A file cut off in the middle of a character: keep what is whole.
            return _checked(path, data[: exc.start], "utf-8", "utf-8")
    try:
        return _checked(path, data, "gb18030", "gb18030")
    except SourceError:
        pass
    guess = _guess_encoding(data)
    if guess:
        try:
            return _checked(path, data, guess, guess)
        except (SourceError, LookupError):
            pass
    raise SourceError(path, "无法识别文本编码（试过 UTF-8、GB18030、UTF-16），可用 --encoding 指定")


def _guess_encoding(data: bytes) -> str | None:
    """charset-normalizer's best guess (Big5, GBK variants …), for what UTF-8 and GB18030 did not read."""
    try:
        from charset_normalizer import from_bytes
    except ImportError:
        return None
    best = from_bytes(data[:200_000]).best()
    return best.encoding if best else None


def _checked(path, data, codec, label):
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        raise SourceError(path, f"不能按 {label} 解码") from None
    if not plausible_text(text):
        raise SourceError(path, f"按 {label} 解码后不像中文文本")
    return text.lstrip("\ufeff"), label


def plausible_text(text: str) -> bool:
    """True for text that reads as (mostly Chinese) prose rather than binary noise."""
    sample = text[:20000]
    if not sample.strip():
        return False
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\r\n\t\f")
    if controls > len(sample) * 0.01:
        return False
    cjk = sum(1 for ch in sample if "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef")
    ascii_ = sum(1 for ch in sample if ch.isascii())
    odd = len(sample) - cjk - ascii_
    # Mojibake from a wrong codec shows as many rare non-CJK, non-ASCII characters.
    return odd <= max(20, len(sample) * 0.05)


RE_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def strip_controls(lines) -> tuple[list[str], list[tuple[int, str]]]:
    """Lines without control characters (NUL, ESC …), and a warning for each line that had some."""
    out, warnings = [], []
    for i, line in enumerate(lines, 1):
        found = RE_CONTROL.findall(line)
        if found:
            codes = "、".join(sorted({f"U+{ord(ch):04X}" for ch in found}))
            warnings.append((i, f"删除了 {len(found)} 个控制字符（{codes}）"))
            line = RE_CONTROL.sub("", line)
        out.append(line)
    return out, warnings


def normalise_lines(lines) -> list[str]:
    """Strip CR, BOM, indentation (ASCII, full-width and no-break spaces) and trailing blanks."""
    out = []
    for line in lines:
        out.append(line.replace("\ufeff", "").strip(" \t\r\n\u3000\xa0\u2002\u2003"))
    return out


def _looks_like_html(text: str) -> bool:
    head = text[:2000].lower()
    return "<html" in head or "<!doctype html" in head or ("<body" in head and "</" in head)


def _read_html(path, text: str, enc: str | None) -> SourceText:
    """Find the article body of a saved government page and turn its blocks into lines."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html.parser")
    title = None
    if soup.title and soup.title.string:
        title = soup.title.string.strip()
    for tag in soup.find_all(NOISE_TAGS):
        tag.decompose()
    for tag in soup.find_all(True):
        if tag.attrs is None:
            continue
        marks = " ".join([tag.get("id") or "", *(tag.get("class") or [])])
        if marks.strip() and NOISE_HINT.search(marks) and not re.search(r"content|article|main|text|zoom", marks, re.I):
            tag.decompose()
    body = _article_block(soup)
    if body is None:
        raise SourceError(path, "网页中找不到正文")
    for br in body.find_all("br"):
        br.replace_with("\n")
    for block in body.find_all(BLOCK_TAGS):
        block.insert_before("\n")
        block.insert_after("\n")
    lines = normalise_lines(body.get_text().splitlines())
    if not any(lines):
        raise SourceError(path, "网页正文是空的")
    return SourceText(str(path), lines, "html", enc, title_hint=title)


def _article_block(soup):
    """The element holding most of the page's Chinese text in its own paragraphs."""
    best, best_score = None, 0
    for el in soup.find_all(["article", "div", "section", "td", "main", "body"]):
        paragraphs = el.find_all(["p", "br", "div"], recursive=False)
        direct = sum(_cjk_len(p.get_text()) for p in el.find_all("p", recursive=False))
        text_len = _cjk_len(el.get_text())
        score = direct * 2 + (text_len if len(paragraphs) > 2 else 0) * 0.5
        if score > best_score:
            best, best_score = el, score
    if best is None:
        return soup.body or soup
    return best


def _cjk_len(text: str) -> int:
    return sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")


def _read_docx(path, data: bytes) -> SourceText:
    """Paragraphs of a Word file in order, including text inside tables."""
    import io

    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise SourceError(path, "不是有效的 .docx 文件（文件损坏或被截断）") from None
    if "word/document.xml" not in zf.namelist():
        raise SourceError(path, "是 zip 压缩包，但不是 Word 文档（缺少 word/document.xml）")
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many types for broken packages
        raise SourceError(path, f"无法打开 Word 文档：{exc}") from None
    lines = []
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.extend(Paragraph(child, document).text.splitlines() or [""])
        elif tag == "tbl":
            for row in Table(child, document).rows:
                seen = []
                for cell in row.cells:
                    if cell._tc in seen:
                        continue
                    seen.append(cell._tc)
                    for p in cell.paragraphs:
                        lines.extend(p.text.splitlines())
    title = (document.core_properties.title or "").strip() or None
    return SourceText(str(path), normalise_lines(lines), "docx", None, title_hint=title)
