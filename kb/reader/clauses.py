"""Clause assembly: a clause's text, units (tags and unit lines), id, citation and domain, sentence
groups and sub-items; the checks on untagged duties and on a file with no plan structure at the end.
"""

from __future__ import annotations

import re

from kb.errors import SourceError
from kb.model import Clause
from kb.reader import frontmatter, tags
from kb.reader.rules import cn_numeral
from kb.reader.state import DUTY, OpenClause, ReaderState
from kb.reader.tags import FULLWIDTH, RE_LABEL, RE_RESP_LINE, RE_TAG, is_tag, read_tag, unknown_unit_message

ITEM_LETTER = {"goal": "g", "measure": "m", "principle": "p"}


class ClauseAssembly(ReaderState):
    """Turns what was read into clauses."""

    # -- clauses ---------------------------------------------------------
    def _close(self):
        op, self.open = self.open, None
        if op is None:
            return
        text = "\n".join(op.paragraphs)
        if (not op.unit_lines and len(op.paragraphs) == 1 and op.kind != "principle" and op.sub_of is None
                and self._close_groups(op, text)):
            return
        tag, raws, departments, lead = "", [], [], None
        if op.number is not None:
            text, tag, raws, departments, lead = self._read_tags(op, text)
            if raws and op.kind not in DUTY and op.kind != "principle":
                op.kind = self._duty_kind(op)  # a tag makes an item a duty, whatever its heading is called
            if op.kind in DUTY and raws:
                self.tagged += 1
            elif op.kind in DUTY and op.sub_of is None:
                where = self._title_for_warning(op)
                self.untagged.append((op.line, f"{where}第 {op.number} 条"))
        raw = "；".join(raws) if raws else None
        if op.sub_of is not None and self.sub is not None:
            if op.units_for_item:
                self.sub.item_units = (departments, raw, lead)
                departments, raw, lead = [], None, None
            clause = self._add_sub_item(self.sub.item, op, text, tag, departments, raw, lead)
            self.sub.clauses.append(clause)
            self.sub.own_units.append(bool(raw))
            return
        clause = self.add_clause(op.kind, op.number, op.marker, text, tag, op.line, op.path, departments,
                                 raw, lead, op.is_section, op.in_list)
        if op.item_kind:
            self.last_item = (op.path[-1] if op.path else self.root, op.item_kind, clause)

    def _add_sub_item(self, item: Clause, op: OpenClause, text, tag, departments, raw, lead) -> Clause:
        """A sub-item: the item's id and citation followed by its own number (第2条（1）)."""
        base = f"{item.id}-{op.number}"
        n = self.ids.get(base, 0) + 1
        self.ids[base] = n
        clause = Clause(
            id=base if n == 1 else f"{base}~{n}", doc=item.doc, kind=item.kind, domain=item.domain, number=op.number,
            text=text, departments=departments, departments_raw=raw, citation=f"{item.citation}（{op.number}）",
            lead=lead, part=item.part, section=item.section, part_title=item.part_title,
            section_title=item.section_title, marker=op.marker, tag=tag, line=op.line, order=len(self.out.clauses),
        )
        self.out.clauses.append(clause)
        return clause

    def _close_groups(self, op, text) -> bool:
        """A paragraph with tags before its end (…。（A牵头）…。（B负责））: one duty clause per tagged group.

        An unnumbered paragraph closed by a tag is a duty too. False when neither applies.
        """
        groups = tags.sentence_groups(text, self.registry)
        tagged = [g for g in groups if g[2]]
        if not tagged or (len(groups) == 1 and op.number is not None):
            return False
        kind = op.kind if op.kind in DUTY else self._duty_kind(op)
        number = op.number
        base = self._id(op.path, number, kind, op.is_section) if len(groups) > 1 else None
        for piece, (body, tag, inner) in enumerate(groups, 1):
            departments, lead = [], None
            if inner:
                departments, lead = self._take_tag(inner, op.line)
                self.tagged += 1
            self.add_clause(kind, number, op.marker if piece == 1 else "", body, tag, op.line, op.path, departments,
                            inner or None, lead, op.is_section, op.in_list, piece=piece if base else 0, clause_id=base and f"{base}s{piece}")
        return True

    @staticmethod
    def _duty_kind(op) -> str:
        """goal when a heading above a tagged item (or its own, for a heading that is a clause) names goals, else measure."""
        titles = [n.title for n in op.path]
        return "goal" if any("目标" in t and "任务" not in t for t in titles) else "measure"

    def _take_tag(self, inner, lineno):
        """Units and lead of one tag, with warnings for unknown names; a lead note with 下同 holds from here on."""
        parts = tags.parse_tag(inner)
        names, lead, unknown = read_tag(inner, self.registry, lead_first=self.lead_first)
        if parts.lead_first and parts.ditto:
            self.lead_first = True
        for name in unknown:
            self.warn(lineno, unknown_unit_message(name, self.registry))
        return names, lead

    def _title_for_warning(self, op):
        sec = next((n for n in op.path if n.rank == 1), None)
        return sec.title if sec else ""

    def _read_tags(self, op, text):
        """The clause's units: unit lines after it, else its trailing tag; tags on ——/-- sub-items join in."""
        tag, raws, departments, lead = "", [], [], None

        def take(raw, lineno, written=None):
            nonlocal lead
            names, lead_ = self._take_tag(written or raw, lineno)
            for name in names:
                if name not in departments:
                    departments.append(name)
            lead = lead or lead_
            raws.append(raw)

        if op.unit_lines:
            for line, lineno, labelled in op.unit_lines:
                tag += "\n" + line
                s = line.strip().translate(FULLWIDTH)
                m = RE_RESP_LINE.match(s)
                if labelled and m and len(RE_LABEL.findall(s)) == 1:
                    raw = line.strip()[len(line.strip()) - len(m.group(2)):]
                else:
                    raw = line.strip()
                take(raw, lineno, line.strip())
        else:
            m = RE_TAG.search(text)
            if m and is_tag(m.group(1), self.registry):
                tag = text[m.start():]
                text = text[: m.start()].rstrip()
                take(m.group(1), op.line + len(op.paragraphs) - 1)
            elif m and op.kind in DUTY:
                self.warn(op.line + len(op.paragraphs) - 1, f"末尾括注“{m.group(1)}”不像责任单位，未作为标签读取")
        for i, para in enumerate(op.paragraphs[1:-1] if not op.unit_lines else op.paragraphs[1:], 1):
            if para.lstrip().startswith(("——", "--", "—")):
                m = RE_TAG.search(para)
                if m and is_tag(m.group(1), self.registry):
                    take(m.group(1), op.line + i)
        if lead and departments and departments[0] != lead:
            departments.remove(lead)
            departments.insert(0, lead)
        return text, tag, raws, departments, lead

    def add_clause(self, kind, number, marker, text, tag, lineno, path, departments, raw, lead, is_section=False, in_list=False, piece=0, clause_id=None):
        """Append one clause with its id, citation, domain and outline position (piece: its sentence group)."""
        part, section = self._numbers(path)
        part_node = next((n for n in path if n.rank == 0), None)
        sec_node = next((n for n in path if n.rank == 1), None)
        clause = Clause(
            id=clause_id or self._id(path, number, kind, is_section),
            doc=self.doc.id,
            kind=kind,
            domain=self._domain(path, is_section) if kind in DUTY else None,
            number=number,
            text=text,
            departments=departments,
            departments_raw=raw,
            citation=self._citation(path, number, kind, is_section, in_list, table_row="\t" in marker + tag)
            + (f"之{piece}" if piece else ""),
            lead=lead,
            part=part,
            section=section,
            part_title=part_node.title if part_node else None,
            section_title=sec_node.title if sec_node else None,
            marker=marker,
            tag=tag,
            line=lineno,
            order=len(self.out.clauses),
        )
        self.out.clauses.append(clause)
        return clause

    def _domain(self, path, is_section):
        nodes = list(path[:-1] if is_section else path)
        for node in reversed(nodes):
            if not node.is_list and node.role is None and node.kind != "preface":
                return node.title
        return None

    def _segments(self, path):
        part_node = next((n for n in path if n.rank == 0), None)
        segs = [str(part_node.number if part_node else 0)]
        segs += [str(n.number) for n in path if n.rank > 0 and n.number is not None]
        return segs

    def _id(self, path, number, kind, is_section) -> str:
        segs = self._segments(path)
        if number is None:
            key = tuple(segs)
            self.paragraph_counts[key] = self.paragraph_counts.get(key, 0) + 1
            segs.append(f"t{self.paragraph_counts[key]}")
        elif not is_section:
            segs.append(f"{ITEM_LETTER.get(kind, 'i')}{number}")
        base = f"{self.doc.id}.{'-'.join(segs)}"
        n = self.ids.get(base, 0) + 1
        self.ids[base] = n
        return base if n == 1 else f"{base}~{n}"

    def _where(self, path) -> str:
        where = ""
        for node in path:
            if self._is_list_heading(node):
                continue
            if node.kind == "preface":
                where += "前言"
            elif node.number is None:
                continue
            elif node.kind == "chapter":
                where += f"第{cn_numeral(node.number)}章"
            elif node.kind == "partnth":
                where += f"第{cn_numeral(node.number)}部分"
            elif node.kind == "sectnth":
                where += f"第{cn_numeral(node.number)}节"
            elif node.kind == "cn":
                where += cn_numeral(node.number) if node.rank == 0 else f"{cn_numeral(node.number)}、"
            elif node.kind == "pcn":
                where += f"（{cn_numeral(node.number)}）"
            elif node.kind == "arabic":
                where += f"{node.number}."
            else:
                where += f"（{node.number}）"
        return where

    def _citation(self, path, number, kind, is_section, in_list, table_row=False) -> str:
        where = self._where(path)
        deep = [n for n in path if not n.is_list and n.rank >= 1]
        if number is None:
            label = deep[-1].title if deep else ""
            key = tuple(self._segments(path))
            return f"{where}{label} 第{self.paragraph_counts.get(key, 1)}段".strip()
        if is_section:
            return where
        if in_list and path and path[-1].is_list:
            label = re.sub(r"\s+", "", path[-1].title)
            return f"{where}{label} 第{number}条"
        if kind == "principle":
            label = deep[-1].title if deep and deep[-1].role == "principle" else ""
            return f"{where}{label} 第{number}条"
        if table_row and deep:  # a row of a task table: under the heading the table follows
            label = re.sub(r"\s+", "", deep[-1].title)
            return f"{where}{label} 第{number}条"
        return f"{where} 第{number}条"

    def _finish(self):
        out = self.out
        structural = [c for c in out.clauses if c.kind not in ("text", "notice")]
        parts = [h for h in out.headings if h.level in ("part", "section", "list")]
        if not structural and not parts:
            if out.document.title.rstrip("）)0123456789年—-–（( ").endswith(frontmatter.PLAN_WORDS) and out.clauses:
                # a plan's title and its opening paragraphs, then nothing: a page saved before the text was complete
                raise SourceError(self.file, f"规划“{out.document.title}”只有标题和开头的段落，没有找到“一、”等部分标题，"
                                             "也没有主要目标/策略措施清单：文本可能不完整")
            raise SourceError(self.file, "不是规划文本：没有找到“一、”等部分标题，也没有主要目标/策略措施清单")
        if self.tagged == 0 and self.untagged:
            out.document.assigns_departments = False
            self.warn(self.untagged[0][0], "本规划没有为目标和措施标注责任单位")
        else:
            self._warn_untagged()
        out.warnings.sort(key=lambda w: w.line)

    def _warn_untagged(self):
        """One warning per list of untagged items (儿童与健康第 1、2、5 条…), naming every line."""
        runs: list[tuple[str, str, list[tuple[int, str]]]] = []
        for lineno, what in self.untagged:
            m = re.fullmatch(r"(.*?)第 (\d+) (条|行)", what)
            where, unit, number = (m.group(1), m.group(3), m.group(2)) if m else (what, "", "")
            if m and runs and runs[-1][:2] == (where, unit) and int(number) > int(runs[-1][2][-1][1]):  # one list
                runs[-1][2].append((lineno, number))
            else:
                runs.append((where, unit, [(lineno, number)]))
        for where, unit, items in runs:
            if len(items) == 1 or not unit:
                lineno, number = items[0]
                self.warn(lineno, f"{where}第 {number} {unit}没有责任单位标签" if unit else f"{where}没有责任单位标签")
                continue
            numbers = "、".join(n for _, n in items)
            lines = "、".join(str(line) for line, _ in items)
            self.warn(items[0][0], f"{where}第 {numbers} {unit}没有责任单位标签（第 {lines} 行）")
