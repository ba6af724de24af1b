"""Turn a plan's lines into headings and clauses: parts → sections → lists → numbered items.

Every non-blank character of the input lands in exactly one heading or clause
(see ``reassemble``); what looks wrong is reported as a warning, never raised,
except a file in which no plan structure can be found at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kb.departments import Registry
from kb.errors import SourceError
from kb.model import Clause, Document, Heading, ParsedDocument, ParseWarning

CN_DIGITS = "零一二三四五六七八九"
FULLWIDTH = str.maketrans("０１２３４５６７８９（）：．，；", "0123456789():.,;")

RE_PREFACE = re.compile(r"^(前\s*言|序\s*言)$")
RE_PART = re.compile(r"^([一二三四五六七八九十]+)\s*[、.]\s*(\S.*)$")
RE_PART_NTH = re.compile(r"^第([一二三四五六七八九十]+)部分\s*[、.:]?\s*(.*)$")
RE_SECTION = re.compile(r"^\(([一二三四五六七八九十]+)\)\s*(\S.*)$")
RE_LIST = re.compile(r"^(主要目标|策略措施)\s*:?\s*$")
RE_ITEM = re.compile(r"^(\d{1,3})\s*(?:[.、](?!\d)|\.(?=\s))\s*(.*)$")
RE_ITEM_PAREN = re.compile(r"^\((\d{1,3})\)\s*(.*)$")
RE_RESP_LINE = re.compile(r"^(责任单位|牵头单位|负责单位|责任部门)\s*:\s*(\S.*)$")
RE_TAG = re.compile(r"[（(]([^（）()]*)[)）]\s*$")
RE_TAG_SPLIT = re.compile(r"[、，,；;/／\s]+")
RE_LEAD = re.compile(r"(牵头单位|牵头部门|牵头|责任单位|负责单位)\s*[:：]\s*([^；;]*)")
RE_COOP = re.compile(r"(配合单位|配合部门|协办单位|参与单位)\s*[:：]\s*([^；;]*)")

LIST_KINDS = {"主要目标": "goal", "策略措施": "measure"}
ITEM_LETTER = {"goal": "g", "measure": "m", "principle": "p"}


def cn_number(text: str) -> int:
    """一 → 1, 十二 → 12, 二十 → 20 (the numerals plan headings use)."""
    if text == "十":
        return 10
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (CN_DIGITS.index(tens) if tens else 1) * 10 + (CN_DIGITS.index(ones) if ones else 0)
    return CN_DIGITS.index(text)


def cn_numeral(n: int) -> str:
    """1 → 一, 12 → 十二 (for citations)."""
    if n < 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN_DIGITS[tens]) + "十" + (CN_DIGITS[ones] if ones else "")


def part_kind(title: str) -> str | None:
    """The clause kind a part's sections carry, from its title."""
    if "组织实施" in title or "保障措施" in title:
        return "implementation"
    if "监测" in title or "评估" in title:
        return "monitoring"
    return None


def short_title(text: str) -> str:
    return text.strip().rstrip("。.:：").strip()


@dataclass
class _Open:
    """The clause being read: paragraphs gather until the next structural line."""

    kind: str
    number: int | None
    marker: str
    paragraphs: list[str]
    line: int
    list_kind: str | None
    tag: str = ""
    tag_line: int = 0
    closed: bool = False
    is_section: bool = False


@dataclass
class _State:
    part: int | None = None
    part_title: str | None = None
    part_marker: str = ""
    section: int | None = None
    section_title: str | None = None
    list_kind: str | None = None
    counters: dict = field(default_factory=dict)  # numbering per list
    paragraphs: dict = field(default_factory=dict)  # text paragraphs per context


class PlanParser:
    """Parses one document; use ``parse_lines``."""

    def __init__(self, lines, document: Document, registry: Registry, file: str):
        self.lines = lines
        self.doc = document
        self.registry = registry
        self.file = file
        self.state = _State()
        self.out = ParsedDocument(document=document)
        self.open: _Open | None = None
        self.ids: set[str] = set()
        self.part_numbers: list[int] = []
        self.section_numbers: list[int] = []
        self.untagged: list[tuple[int, str]] = []
        self.tagged = 0

    # -- warnings --------------------------------------------------------
    def warn(self, line: int, message: str):
        self.out.warnings.append(ParseWarning(self.file, line, message))

    # -- driver ----------------------------------------------------------
    def run(self) -> ParsedDocument:
        title_seen = False
        for lineno, raw in enumerate(self.lines, 1):
            line = raw.strip().strip("\u3000\xa0\ufeff")
            if not line:
                continue
            s = line.translate(FULLWIDTH)
            if not title_seen:
                title_seen = True
                if not self._is_structural(s):
                    self.out.headings.append(Heading(self.doc.id, "title", "", line, lineno))
                    continue
            self._line(line, s, lineno)
        self._close()
        self._finish()
        return self.out

    def _is_structural(self, s):
        return bool(
            RE_PREFACE.match(s) or RE_PART.match(s) and len(s) <= 40 or RE_PART_NTH.match(s)
            or RE_SECTION.match(s) or RE_LIST.match(s) or RE_ITEM.match(s)
        )

    def _line(self, line: str, s: str, lineno: int):
        st = self.state
        m = RE_PREFACE.match(s)
        if m:
            self._start_part(0, "前言", "", line, lineno)
            return
        m = RE_PART_NTH.match(s)
        if m:
            rest = line[len(line) - len(m.group(2)):] if m.group(2) else ""
            self._start_part(cn_number(m.group(1)), rest or line, line[: len(line) - len(rest)], rest, lineno)
            return
        m = RE_PART.match(s)
        if m and len(s) <= 40 and "。" not in s.rstrip("。"):
            rest = m.group(2)
            self._start_part(cn_number(m.group(1)), rest, line[: len(line) - len(rest)], line[len(line) - len(rest):], lineno)
            return
        m = RE_SECTION.match(s)
        if m:
            self._section(m, line, lineno)
            return
        m = RE_LIST.match(s)
        if m:
            self._close()
            st.list_kind = LIST_KINDS[m.group(1)]
            st.counters[("list", st.part, st.section, st.list_kind)] = 0
            self.out.headings.append(Heading(self.doc.id, "list", "", line, lineno, st.part, st.section))
            return
        m = RE_ITEM.match(s) or RE_ITEM_PAREN.match(s)
        if m and m.group(2):
            rest = m.group(2)
            marker = line[: len(line) - len(rest)].rstrip()
            self._item(int(m.group(1)), marker, line[len(line) - len(rest):], lineno)
            return
        m = RE_RESP_LINE.match(s)
        if m and self.open and self.open.list_kind and not self.open.tag:
            self.open.tag = "\n" + line
            self.open.tag_line = lineno
            self.open.closed = True
            return
        if self.open and not self.open.closed:
            # Continuation paragraphs and ——/-- sub-items stay lines of the open clause.
            self.open.paragraphs.append(line)
            return
        self._paragraph(line, lineno)

    # -- structure -------------------------------------------------------
    def _start_part(self, number, title, marker, text, lineno):
        self._close()
        st = self.state
        if number and self.part_numbers:
            self._check_sequence(self.part_numbers[-1], number, lineno, "部分")
        if number:
            self.part_numbers.append(number)
        st.part, st.part_title = number, short_title(title)
        st.part_marker = marker
        st.section = st.section_title = st.list_kind = None
        self.section_numbers = []
        self.out.headings.append(Heading(self.doc.id, "part", marker, text, lineno, number))

    def _section(self, m, line, lineno):
        self._close()
        st = self.state
        number = cn_number(m.group(1))
        if self.section_numbers:
            self._check_sequence(self.section_numbers[-1], number, lineno, "节")
        self.section_numbers.append(number)
        rest = m.group(2)
        marker = line[: len(line) - len(rest)]
        rest = line[len(line) - len(rest):]
        head, dot, body = rest.partition("。")
        st.section, st.list_kind = number, None
        if body.strip() or (not dot and len(rest) > 30):
            # A section that is itself a clause: （一）坚持党的全面领导。把党的领导…
            st.section_title = short_title(head if dot else rest[:30])
            kind = part_kind(st.part_title or "") or "text"
            self.open = _Open(kind, number, marker, [rest], lineno, None, is_section=True)
        else:
            st.section_title = short_title(rest)
            self.out.headings.append(Heading(self.doc.id, "section", marker, rest, lineno, st.part, number))

    def _item(self, number, marker, text, lineno):
        self._close()
        st = self.state
        if st.list_kind:
            kind = st.list_kind
        elif st.section_title and "原则" in st.section_title:
            kind = "principle"
        else:
            kind = part_kind(st.part_title or "") or "text"
        key = ("list", st.part, st.section, st.list_kind or kind)
        prev = st.counters.get(key, 0)
        self._check_sequence(prev, number, lineno, "条")
        st.counters[key] = number
        self.open = _Open(kind, number, marker, [text], lineno, st.list_kind)

    def _paragraph(self, line, lineno):
        st = self.state
        kind = part_kind(st.part_title or "") or "text"
        self.open = _Open(kind, None, "", [line], lineno, None)
        if st.list_kind and kind == "text":
            self.warn(lineno, "清单中出现没有编号的段落，已作为正文处理")
        self._close()

    def _check_sequence(self, prev, number, lineno, unit):
        if number == prev:
            self.warn(lineno, f"编号重复：第 {number} {unit}出现两次")
        elif number < prev:
            self.warn(lineno, f"编号倒退：第 {prev} {unit}之后是第 {number} {unit}")
        elif number > prev + 1:
            missing = "、".join(str(i) for i in range(prev + 1, number))
            self.warn(lineno, f"编号不连续：缺少第 {missing} {unit}")

    # -- clauses ---------------------------------------------------------
    def _close(self):
        op, self.open = self.open, None
        if op is None:
            return
        st = self.state
        text = "\n".join(op.paragraphs)
        departments, raw, lead = [], None, None
        tag = op.tag
        if op.list_kind:
            if tag:
                raw = RE_RESP_LINE.match(tag.strip().translate(FULLWIDTH)).group(2)
                raw = tag.strip()[len(tag.strip()) - len(raw):]
                departments, lead = self._departments(raw, op.tag_line)
            else:
                m = RE_TAG.search(text)
                if m and self._is_tag(m.group(1)):
                    raw = m.group(1)
                    tag = text[m.start():]
                    text = text[: m.start()].rstrip()
                    departments, lead = self._departments(raw, op.line + len(op.paragraphs) - 1)
            if raw is None:
                self.untagged.append((op.line, f"{st.section_title or ''}第 {op.number} 条"))
            else:
                self.tagged += 1
        domain = st.section_title if op.kind in ("goal", "measure") else None
        clause = Clause(
            id=self._id(op),
            doc=self.doc.id,
            kind=op.kind,
            domain=domain,
            number=op.number,
            text=text,
            departments=departments,
            departments_raw=raw,
            citation=self._citation(op),
            lead=lead,
            part=st.part,
            section=st.section,
            part_title=st.part_title,
            section_title=st.section_title,
            marker=op.marker,
            tag=tag,
            line=op.line,
            order=len(self.out.clauses),
        )
        self.out.clauses.append(clause)

    def _is_tag(self, inner: str) -> bool:
        inner = inner.strip()
        if not inner or "。" in inner:
            return False
        if RE_LEAD.search(inner.translate(FULLWIDTH)):
            return True
        parts = [p for p in RE_TAG_SPLIT.split(inner) if p]
        if not parts or any(len(p) > 24 or re.search(r"[，。！？：:]", p) for p in parts):
            return False  # prose in brackets, not a list of units
        # One informal name (省人口计生) does not make the whole tag unread: it is kept with a warning.
        known = sum(1 for p in parts if self.registry.resolve(p) or self.registry.is_group(p))
        shaped = sum(1 for p in parts if self.registry.looks_like_unit(p))
        return known > 0 and known + shaped >= len(parts) / 2 or shaped == len(parts)

    def _departments(self, raw: str, lineno: int):
        """Canonical names in tag order, de-duplicated; the lead unit when the tag names one."""
        s = raw.translate(FULLWIDTH)
        lead = None
        lead_m, coop_m = RE_LEAD.search(s), RE_COOP.search(s)
        if lead_m:
            names = [p for p in RE_TAG_SPLIT.split(lead_m.group(2)) if p]
            is_lead = lead_m.group(1).startswith("牵头")
            if coop_m:
                names += [p for p in RE_TAG_SPLIT.split(coop_m.group(2)) if p]
        else:
            names = [p for p in RE_TAG_SPLIT.split(s) if p]
            is_lead = False
        out = []
        for name in names:
            canonical = self.registry.resolve(name)
            group = self.registry.group(name)
            if group:
                canonical = group.name
            elif canonical is None:
                if self.registry.looks_like_unit(name):
                    self.warn(lineno, f"未知部门“{name}”：词典和 departments.toml 中都没有，按原文保留")
                else:
                    self.warn(lineno, f"未知部门“{name}”：不像单位名称，按原文保留，请更正或在 departments.toml 中登记")
                canonical = name
            if canonical not in out:
                out.append(canonical)
        if is_lead and out:
            lead = out[0]
        return out, lead

    def _id(self, op: _Open) -> str:
        st = self.state
        segs = [str(st.part if st.part is not None else 0)]
        if st.section is not None:
            segs.append(str(st.section))
        if op.number is None:
            key = (st.part, st.section)
            st.paragraphs[key] = st.paragraphs.get(key, 0) + 1
            segs.append(f"t{st.paragraphs[key]}")
        elif not op.is_section:
            segs.append(f"{ITEM_LETTER.get(op.kind, 'i')}{op.number}")
        base = f"{self.doc.id}.{'-'.join(segs)}"
        cid, n = base, 1
        while cid in self.ids:
            n += 1
            cid = f"{base}~{n}"
        self.ids.add(cid)
        return cid

    def _citation(self, op: _Open) -> str:
        st = self.state
        where = "" if st.part in (None, 0) else cn_numeral(st.part)
        if st.part == 0:
            where = "前言"
        if st.section is not None:
            where += f"（{cn_numeral(st.section)}）"
        if op.number is None:
            label = st.section_title if st.section is not None else ""
            key = (st.part, st.section)
            return f"{where}{label} 第{st.paragraphs.get(key, 1)}段".strip()
        if op.list_kind:
            return f"{where}{'主要目标' if op.kind == 'goal' else '策略措施'} 第{op.number}条"
        if op.kind == "principle":
            return f"{where}{st.section_title or ''} 第{op.number}条"
        if op.is_section:
            return where
        return f"{where} 第{op.number}条"

    def _finish(self):
        out = self.out
        structural = [c for c in out.clauses if c.kind != "text"]
        parts = [h for h in out.headings if h.level == "part"]
        if not structural and not parts:
            raise SourceError(self.file, "不是规划文本：没有找到“一、”等部分标题，也没有主要目标/策略措施清单")
        if self.tagged == 0 and self.untagged:
            out.document.assigns_departments = False
            self.warn(self.untagged[0][0], "本规划没有为目标和措施标注责任单位")
        else:
            for lineno, what in self.untagged:
                self.warn(lineno, f"{what}没有责任单位标签")
        out.warnings.sort(key=lambda w: w.line)


def parse_lines(lines, document: Document, registry: Registry, file: str = "") -> ParsedDocument:
    """Parse a plan's normalised lines into a ParsedDocument."""
    return PlanParser(list(lines), document, registry, file or document.source).run()


def reassemble(parsed: ParsedDocument) -> str:
    """The document's non-blank characters rebuilt from headings and clauses, in order."""
    pieces = [(h.line, 0, h.marker + h.text) for h in parsed.headings]
    pieces += [(c.line, 1, c.marker + c.text + c.tag) for c in parsed.clauses]
    pieces.sort(key=lambda p: (p[0], p[1]))
    return re.sub(r"\s+", "", "".join(p[2] for p in pieces))
