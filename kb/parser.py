"""The plan reader's public entry points (the reader itself lives in ``kb.reader``)."""

from kb.reader import cn_number, cn_numeral, parse_lines, reassemble

__all__ = ["cn_number", "cn_numeral", "parse_lines", "reassemble"]
