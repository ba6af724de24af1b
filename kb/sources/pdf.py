"""PDF with a text layer, read with pdfminer.six: characters → lines → paragraphs.

pdfminer.six gives every character with its position, which is what joining Chinese lines needs: the
lines are rebuilt from the characters (sorted by position, so quotes drawn out of order land in
place), page headers, footers and page numbers are dropped, and wrapped lines are joined into
paragraphs without spaces.
"""

from __future__ import annotations

import io
import re
import zlib
from collections import Counter
from dataclasses import dataclass

from kb.errors import SourceError
from kb.sources.source_text import SourceText

# Generous for real plans: a long provincial plan with annexes runs to a few hundred pages.
MAX_PAGES = 2000
MAX_TEXT_CHARS = 10_000_000
# A page's content stream is well under a megabyte; a full-page scan decoded is about 30 MB.
MAX_STREAM_BYTES = 100 * 1024 * 1024


class StreamTooLarge(Exception):
    """A compressed PDF stream expands beyond MAX_STREAM_BYTES."""


class _BoundedZlib:
    """zlib for pdfminer's stream decoding, refusing a stream that inflates beyond MAX_STREAM_BYTES."""

    error = zlib.error

    @staticmethod
    def decompress(data: bytes) -> bytes:
        d = zlib.decompressobj()
        out = d.decompress(data, MAX_STREAM_BYTES + 1)
        if len(out) > MAX_STREAM_BYTES:
            raise StreamTooLarge
        if not d.eof:
            raise zlib.error("incomplete or truncated stream")
        return out

    @staticmethod
    def decompressobj():
        return _BoundedDecompressor()


class _BoundedDecompressor:
    def __init__(self):
        self._d, self._size = zlib.decompressobj(), 0

    def decompress(self, data: bytes) -> bytes:
        out = self._d.decompress(data, MAX_STREAM_BYTES + 1 - self._size)
        self._size += len(out)
        if self._size > MAX_STREAM_BYTES or self._d.unconsumed_tail:
            raise StreamTooLarge
        return out

PAGE_NUMBER = re.compile(
    r"^(?:[-—–－‐―\s]*\d{1,4}[-—–－‐―\s]*|第\s*\d{1,4}\s*页(?:\s*[，,/]?\s*共\s*\d{1,4}\s*页)?|\d{1,4}\s*/\s*\d{1,4}"
    r"|[-—–－]?\s*[ivxlcIVXLC]{1,6}\s*[-—–－]?|Page\s*\d+(?:\s*of\s*\d+)?)$"
)
OUTLINE_START = re.compile(
    r"^(?:第[一二三四五六七八九十百零〇\d]+[章节部分篇条]|[一二三四五六七八九十]+[、．.]|[（(][一二三四五六七八九十]+[）)]|\d{1,2}(?:\.\d{1,2})*[.．、](?!\d)"
    r"|１?[０-９][．.、]|[（(]\d{1,2}[）)]|[⑴-⒇①-⑳]|——|附件|附表|目\s*录)"
)
PARAGRAPH_END = tuple("。：；！？:;!?")
CLOSERS = "”’」』）)】〕"


def _is_cjk(ch: str) -> bool:
    return "\u2e80" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef" or "\uf900" <= ch <= "\ufaff"


@dataclass
class Line:
    text: str
    x0: float
    x1: float
    top: float
    size: float


def read_pdf(path, data: bytes):
    """Paragraphs of a PDF's text layer; a scanned PDF (no text layer) is an error that says so."""
    pages = _page_lines(path, data)
    if sum(len(line.text.strip()) for page in pages for line in page) < 10:
        raise SourceError(path, "这是扫描版 PDF（没有文字层），无法读取文字；请使用带文字的 PDF，或另存为 .docx/.txt")
    cid = sum(line.text.count("(cid:") for page in pages for line in page)
    if cid > 50:
        raise SourceError(path, "PDF 的字体没有文字编码（cid 字形），无法提取文字；请另存为 .docx/.txt")
    pages = _drop_page_chrome(pages)
    return SourceText(str(path), _paragraphs(pages), "pdf", None)


def _page_lines(path, data: bytes) -> list[list[Line]]:
    """Every page's lines, top to bottom; refuses too many pages or too much text before reading on."""
    import pdfminer.pdftypes
    from pdfminer.converter import PDFPageAggregator
    from pdfminer.layout import LTChar, LTFigure
    from pdfminer.pdfdocument import PDFDocument, PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser, PDFSyntaxError
    from pdfminer.psexceptions import PSException

    pdfminer.pdftypes.zlib = _BoundedZlib  # type: ignore[assignment]  # pdfminer inflates whole streams with zlib.decompress
    try:
        document = PDFDocument(PDFParser(io.BytesIO(data)))
        if not document.is_extractable:
            raise SourceError(path, "PDF 设置了禁止提取文字，无法读取；请另存为 .docx/.txt")
        for count, _ in enumerate(PDFPage.create_pages(document), 1):
            if count > MAX_PAGES:
                raise SourceError(path, f"PDF 超过 {MAX_PAGES} 页，已拒绝（规划文件上限 {MAX_PAGES} 页）")
        manager = PDFResourceManager(caching=True)
        device = PDFPageAggregator(manager, laparams=None)
        interpreter = PDFPageInterpreter(manager, device)
        pages, chars_total = [], 0
        for page in PDFPage.create_pages(document):
            interpreter.process_page(page)
            layout = device.get_result()
            chars = []
            stack = list(layout)
            while stack:
                item = stack.pop()
                if isinstance(item, LTChar):
                    chars.append(item)
                elif isinstance(item, LTFigure):
                    stack.extend(item)
            chars_total += len(chars)
            if chars_total > MAX_TEXT_CHARS:
                raise SourceError(path, f"PDF 的文字超过 {MAX_TEXT_CHARS:,} 字，已拒绝")
            pages.append(_lines(chars))
    except SourceError:
        raise
    except StreamTooLarge:
        raise SourceError(path, f"PDF 中有解压后超过 {MAX_STREAM_BYTES // (1024 * 1024)} MB 的数据流，已拒绝") from None
    except (PDFPasswordIncorrect, PDFEncryptionError):
        raise SourceError(path, "PDF 已加密，无法读取；请提供未加密的文件") from None
    except (PDFSyntaxError, PSException, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        raise SourceError(path, f"PDF 文件损坏，无法读取（{type(exc).__name__}）") from None
    return pages


def _lines(chars) -> list[Line]:
    """Characters grouped into lines by vertical overlap, each line's characters in left-to-right order."""
    chars = [c for c in chars if c.get_text()]
    chars.sort(key=lambda c: -(c.y0 + c.y1) / 2)
    groups: list[list] = []
    for c in chars:
        mid = (c.y0 + c.y1) / 2
        if groups:
            g = groups[-1]
            gmid = (g[0].y0 + g[0].y1) / 2
            if abs(gmid - mid) <= max(g[0].size, 1) * 0.45:
                g.append(c)
                continue
        groups.append([c])
    lines = []
    for g in groups:
        g.sort(key=lambda c: c.x0)
        size = Counter(round(c.size) for c in g).most_common(1)[0][0] or 10
        text, prev = [], None
        for c in g:
            ch = c.get_text()
            if prev is not None and ch != " " and text and text[-1] != " ":
                gap = c.x0 - prev.x1
                last = prev.get_text()[-1:]
                if gap > size * 0.3 and not (_is_cjk(last) or _is_cjk(ch[:1])):
                    text.append(" ")
            text.append(ch)
            prev = c
        s = "".join(text)
        if s.strip():
            visible = [c for c in g if c.get_text().strip()]
            lines.append(Line(s, min(c.x0 for c in visible), max(c.x1 for c in visible), max(c.y1 for c in visible), size))
    lines.sort(key=lambda l: -l.top)
    return lines


def _chrome_key(line: Line) -> tuple[str, int]:
    """A header or footer repeats its text (page numbers aside) at the same height on every page."""
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", line.text)), round(line.top / 4)


def _drop_page_chrome(pages: list[list[Line]]) -> list[list[Line]]:
    """Without page numbers and the headers/footers repeated at the top or bottom of most pages."""
    edge = 2
    seen: Counter[tuple[str, int]] = Counter()
    for page in pages:
        seen.update({_chrome_key(l) for l in page[:edge] + page[-edge:]})
    repeated = {k for k, n in seen.items() if len(pages) >= 3 and n >= max(3, len(pages) * 0.5)}
    out = []
    for page in pages:
        keep = []
        for i, line in enumerate(page):
            at_edge = i < edge or i >= len(page) - edge
            if at_edge and (PAGE_NUMBER.match(line.text.strip()) or _chrome_key(line) in repeated):
                continue
            keep.append(line)
        out.append(keep)
    return out


def _paragraphs(pages: list[list[Line]]) -> list[str]:
    """Wrapped lines joined into paragraphs; a paragraph ends at a short line, 。：；, a gap or an outline marker."""
    lines = [l for page in pages for l in page]
    if not lines:
        return []
    right = _percentile([l.x1 for l in lines], 0.9)
    left = _percentile([l.x0 for l in lines], 0.1)
    paras: list[str] = []
    current = ""
    prev: Line | None = None
    prev_page = -1
    for p, page in enumerate(pages):
        pitches = [a.top - b.top for a, b in zip(page, page[1:]) if a.top > b.top]
        pitch = _percentile(pitches, 0.3) if pitches else 0
        for line in page:
            text = line.text.strip()
            if prev is None:
                current = text
            elif _starts_paragraph(prev, line, text, right, left, pitch if p == prev_page else 0):
                paras.append(current)
                if p == prev_page and pitch and prev.top - line.top > pitch * 1.6:
                    paras.append("")
                current = text
            else:
                joint = " " if current[-1:].isascii() and current[-1:].isalnum() and text[:1].isascii() and text[:1].isalnum() else ""
                current += joint + text
            prev, prev_page = line, p
    paras.append(current)
    return paras


def _starts_paragraph(prev: Line, line: Line, text: str, right: float, left: float, pitch: float) -> bool:
    size = max(line.size, prev.size, 1)
    if OUTLINE_START.match(text):
        return True
    room = right - prev.x1
    lead = _lead_width(text, size)
    if room > max(size * 0.5, lead) and (prev.text.rstrip().rstrip(CLOSERS).endswith(PARAGRAPH_END) or prev.text.rstrip().endswith(PARAGRAPH_END)):
        return True
    if room > max(size * 2, lead + size * 0.5):
        return True
    if line.x0 > left + size * 1.5:
        return True
    return bool(pitch and prev.top - line.top > pitch * 1.6)


def _lead_width(text: str, size: float) -> float:
    """Roughly how wide the start of a line is that could not have been put at the end of the line before it
    (a run of Latin letters or digits with the character after it and closing punctuation)."""
    m = re.match(r"[（《“‘「『〈【〔(\[]*[!-~]*.?[，。、；：！？”’」』）》〉】〕,.;:!?)\]]*", text)
    chunk = m.group(0) if m else text[:1]
    return sum(size if _is_cjk(ch) else size * 0.6 for ch in chunk)


def _percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))]
