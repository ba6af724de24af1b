"""The plan reader: front matter, then the outline rules tried in order at each line over one state.

Headings form a stack whose nesting is learned from the order in which marker kinds first appear in
this document; items nest where they occur (an item of another marker kind numbered from 1 right
after an item is its sub-item, see ``open_item``); roles (goal and measure lists, principles, implementation, monitoring, indicators) come
from heading titles. Every non-blank character of the input lands in exactly one heading or clause
(see ``reassemble``); what looks wrong is a warning, never raised, except a file in which no plan
structure can be found at all.
"""

from __future__ import annotations

from kb.departments import Registry
from kb.model import Clause, Document, Heading, ParsedDocument
from kb.reader import frontmatter
from kb.reader.coverage import uncovered_lines
from kb.reader.outline import Outline
from kb.reader.rules import RULES, is_structural
from kb.reader.tags import FULLWIDTH


class Reader(Outline):
    """Reads one document; use ``parse_lines``."""

    # -- driver ----------------------------------------------------------
    def run(self) -> ParsedDocument:
        front = frontmatter.read_front(self.lines, is_structural)
        self._front(front)
        for index in range(front.body_start, front.body_end):
            raw = self.lines[index]
            line = raw.strip().strip("\u3000\xa0\ufeff")
            if not line:
                continue
            s = line.translate(FULLWIDTH)
            lineno = index + 1
            for rule in RULES:
                if rule(self, line, s, lineno):
                    break
        self.end_table()
        self._close()
        self._end_sub()
        while self.stack:
            self._pop()
        self._finish()
        for lineno in uncovered_lines(self.lines, self.out):
            self.warn(lineno, "此行没有读入任何条款、标题或文件信息（行覆盖检查）")
        self.out.warnings.sort(key=lambda w: w.line)
        return self.out

    def _front(self, front):
        doc, lines = self.doc, self.lines
        for n in front.chrome:
            self.out.headings.append(Heading(doc.id, "chrome", "", lines[n - 1].strip(), n))
        if front.notice:
            text = "\n".join(lines[n - 1].strip() for n in front.notice)
            self.out.clauses.append(Clause(
                id=f"{doc.id}.notice", doc=doc.id, kind="notice", domain=None, number=None, text=text,
                departments=[], departments_raw=None, citation="印发通知", line=front.notice[0], order=0,
            ))
        for n in front.title:
            self.out.headings.append(Heading(doc.id, "title", "", lines[n - 1].strip().strip("\u3000\xa0\ufeff"), n))
        for n in front.toc:
            self.out.headings.append(Heading(doc.id, "toc", "", lines[n - 1].strip(), n))
        for n in front.fields:
            self.out.headings.append(Heading(doc.id, "front", "", lines[n - 1].strip(), n))
        doc.doc_number = doc.doc_number or front.doc_number
        doc.issued = doc.issued or front.issued


def parse_lines(lines, document: Document, registry: Registry, file: str = "") -> ParsedDocument:
    """Parse a plan's normalised lines into a ParsedDocument."""
    return Reader(list(lines), document, registry, file or document.source).run()
