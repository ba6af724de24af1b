"""The plan reader: lines → front matter, outline, clauses (see ``parser``)."""

from kb.reader.coverage import reassemble, uncovered_lines
from kb.reader.parser import parse_lines
from kb.reader.rules import cn_number, cn_numeral

__all__ = ["cn_number", "cn_numeral", "parse_lines", "reassemble", "uncovered_lines"]
