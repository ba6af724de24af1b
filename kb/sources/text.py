"""Plain text: decoding bytes (a given encoding, a BOM, UTF-16 by its NUL pattern, UTF-8, GB18030, a guess)."""

from __future__ import annotations

import codecs
import re

from kb.errors import SourceError

LINE_BREAK = re.compile(r"\r\n|\r|\n|\u2028|\u2029")
# C0 controls except tab, LF and CR; DEL; C1 controls. They crash XLSX/DOCX exports and mean nothing in a plan.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
INDENT = " \t\r\n\u3000\xa0\u2002\u2003"
ROW_EDGE = " \r\n\u3000\xa0\u2002\u2003"


def decode_text(path, data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """Decode bytes: a given encoding, a BOM, UTF-16 by its NUL pattern, UTF-8, then GB18030, checked for plausible Chinese."""
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
    try:
        return _checked(path, data, "utf-8", "utf-8")
    except SourceError:
        pass
    for enc in _utf16_guesses(data):
        try:
            return _checked(path, data[: len(data) // 2 * 2], enc, enc)
        except SourceError:
            pass
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data" and exc.start >= len(data) - 3:
            # A file cut off in the middle of a character: keep what is whole.
            try:
                return _checked(path, data[: exc.start], "utf-8", "utf-8")
            except SourceError:
                pass
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
    if b"\x00" in data[:4096]:
        raise SourceError(path, "这是二进制文件，不是文本；若是无 BOM 的 UTF-16 文本，可用 --encoding utf-16-le（或 utf-16-be）指定")
    raise SourceError(path, "无法识别文本编码（试过 UTF-8、GB18030、UTF-16），可用 --encoding 指定，如 --encoding gbk 或 --encoding utf-16-le")


def _utf16_guesses(data: bytes) -> list[str]:
    """UTF-16 byte orders worth trying on a file without a BOM, likelier first.

    ASCII characters (digits, line breaks) have a NUL high byte: at odd offsets in little-endian, at
    even offsets in big-endian. CJK characters like 一 (U+4E00) put a few NULs on the other side, so the
    side with more NULs wins and plausible_text() settles it.
    """
    sample = data[:8192]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if even + odd < 2:
        return []
    return ["utf-16-le", "utf-16-be"] if odd >= even else ["utf-16-be", "utf-16-le"]


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
    controls = len(CONTROL.findall(sample))
    if controls > max(10, len(sample) * 0.01):
        return False
    cjk = sum(1 for ch in sample if "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef")
    ascii_ = sum(1 for ch in sample if ch.isascii())
    odd = len(sample) - cjk - ascii_
    # Mojibake from a wrong codec shows as many rare non-CJK, non-ASCII characters.
    return odd <= max(20, len(sample) * 0.05)


def split_lines(text: str) -> list[str]:
    """Lines at CR, LF, CRLF and the Unicode line/paragraph separators (not at form feeds or other controls)."""
    return LINE_BREAK.split(text)


def normalise_lines(lines) -> list[str]:
    """Strip CR, BOM, indentation (ASCII, full-width and no-break spaces) and trailing blanks.

    A line with a tab between its words is a table row: only spaces around it go, its tabs (empty
    first or last cells included) stay.
    """
    out = []
    for line in lines:
        line = line.replace("\ufeff", "")
        stripped = line.strip(INDENT)
        out.append(line.strip(ROW_EDGE) if "\t" in stripped else stripped)
    return out


def strip_controls(lines: list[str]) -> tuple[list[str], list[tuple[int, str]]]:
    """Lines without control characters, and a warning (1-based line number, message) for each line fixed."""
    out, warnings = [], []
    for i, line in enumerate(lines, 1):
        found = CONTROL.findall(line)
        if found:
            line = CONTROL.sub("", line).strip(INDENT)
            names = "、".join(dict.fromkeys(f"U+{ord(ch):04X}" for ch in found))
            warnings.append((i, f"第 {i} 行删除了 {len(found)} 个控制字符（{names}）"))
        out.append(line)
    return out, warnings
