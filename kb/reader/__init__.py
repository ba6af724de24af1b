"""The plan reader: lines → front matter, outline, clauses (see ``parser``)."""

from kb.reader.parser import cn_numeral, parse_lines, reassemble, uncovered_lines
from kb.reader.rules import cn_number

__all__ = ["cn_number", "cn_numeral", "parse_lines", "reassemble", "uncovered_lines"]
