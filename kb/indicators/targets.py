"""Target extraction: the patterns that read numeric and qualitative targets from a goal or measure.

The rules are written out in docs/indicators.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb.indicators.model import Indicator

# Full-width digits and signs as plans often type them (99.8％ → 99.8%).
_FULLWIDTH = str.maketrans("０１２３４５６７８９％．／", "0123456789%./")

# Units of a rate or ratio: a number with one of these is a target value.
RE_RATE = re.compile(r"(?<![\d./])(\d+(?:\.\d+)?)\s*(%|‰|/10万|/100万|/万|/千)")
# Counted units: a target only right after a target verb (达到79岁), never a year (2035年).
RE_COUNT = re.compile(r"(?<![\d./])(\d+(?:\.\d+)?)\s*(岁|年|人|个|所|家|张|万人|小时)")

# Target verbs before the value; the direction they give a plain "=" target.
TARGET_VERBS = {
    "提高到": "up", "提高至": "up", "提升到": "up", "提升至": "up", "增加到": "up", "增长到": "up", "上升到": "up",
    "下降到": "down", "下降至": "down", "降低到": "down", "降低至": "down", "降到": "down", "降至": "down",
    "减少到": "down", "控制在": "down",
    "保持在": None, "保持": None, "稳定在": None, "维持在": None,
    "达到": "up", "达": "up",
    "不低于": "up", "不少于": "up", "不高于": "down", "不超过": "down", "低于": "down",
}
RE_TARGET_VERB = re.compile("|".join(sorted(map(re.escape, TARGET_VERBS), key=len, reverse=True)))
VERB_COMPARATORS = {"不低于": ">=", "不少于": ">=", "不高于": "<=", "不超过": "<=", "低于": "<="}
QUALIFIERS = {"及以上": ">=", "以上": ">=", "及以下": "<=", "以下": "<=", "以内": "<=", "左右": "≈"}
RE_QUALIFIER = re.compile(r"\s*(及以上|以上|及以下|以下|以内|左右)")
# Words before a subject that belong to the sentence, not to the indicator's name.
RE_LEAD_WORDS = re.compile(r"^(?:并且|并|使|确保|力争实现|力争|到20\d\d年|全县|全市)+")

_NUM = r"\d+(?:\.\d+)?"
_RATE_UNIT = r"%|‰|/10万|/100万|/万|/千"
_QUAL = r"及以上|以上|及以下|以下|以内|左右"
_RANGE = r"(?:到|至|—|－|-|~|～)"
_VERB = "|".join(sorted(map(re.escape, TARGET_VERBS), key=len, reverse=True))
_CHANGE_VERBS = {
    "降低": "down", "下降": "down", "减少": "down",
    "提高": "up", "提升": "up", "增加": "up", "增长": "up", "上升": "up",
}
_CHANGE = "|".join(_CHANGE_VERBS)
# 新生儿、婴儿和5岁以下儿童死亡率分别降至3.0‰、5.0‰和6.0‰以下: N names, N values, one verb and qualifier.
RE_RESPECTIVELY = re.compile(
    rf"(?P<subject>[^，,；;]+?)分别(?P<verb>{_VERB})?\s*(?P<values>{_NUM}\s*(?:{_RATE_UNIT})?(?:\s*[、和及与]\s*{_NUM}\s*(?:{_RATE_UNIT})?)+)"
    rf"(?P<qual>{_QUAL})?")
RE_LISTED_VALUE = re.compile(rf"({_NUM})\s*({_RATE_UNIT})?")
# 近视率（在2020年基础上）每年降低0.5（到1）个百分点以上: a yearly change.
RE_YEARLY = re.compile(
    rf"(?P<subject>[^，,；;]+?)(?:在(?P<base>20\d\d)年(?:的)?基础上)?每年(?P<verb>{_CHANGE})(?P<a>{_NUM})(?:{_RANGE}(?P<b>{_NUM}))?"
    rf"\s*(?P<unit>个百分点|个千分点|%|‰)(?P<qual>{_QUAL})?")
# 伤害死亡率以2020年为基数下降20%: a change against a base year.
RE_BASELINE = re.compile(
    rf"(?P<subject>[^，,；;]+?)(?:以|比|较|在)(?P<base>20\d\d)年(?:为基数|为基准|为基期|水平|的水平|基础上|的基础上)?"
    rf"(?P<verb>{_CHANGE})(?P<a>{_NUM})(?:{_RANGE}(?P<b>{_NUM}))?\s*(?P<unit>%|个百分点)(?P<qual>{_QUAL})?")
# 90%以上的城乡社区建立家长学校; 95%的城市社区和85%的农村社区建立…: the share of a group doing something.
RE_COVERAGE = re.compile(
    rf"^(?:促进|使|确保|力争|推动)?(?P<groups>{_NUM}%(?:{_QUAL})?的[^，,；;]+?(?:[和、]{_NUM}%(?:{_QUAL})?的[^，,；;]+?)*)"
    r"(?P<predicate>(?:建立|建有|建成|设立|设有|开设|配备|开展|接受|参加|参与|享有|获得|掌握|达到)[^，,；;]*)$")
RE_GROUP = re.compile(rf"({_NUM})%({_QUAL})?的(.+)")
# A range as the target: 保持在95%—98%.
RE_VALUE_RANGE = re.compile(rf"({_NUM})\s*(?:{_RATE_UNIT})?\s*(?:—|－|-|~|～|至|到)\s*({_NUM})\s*({_RATE_UNIT})")
HEADS = ("率", "比例", "比重", "数", "年限", "寿命", "水平", "覆盖面")

# Directional (qualitative) targets.
UP_VERBS = ("提高", "提升", "增强", "增加", "扩大", "延长")
DOWN_VERBS = ("降低", "下降", "减少", "缩小", "减缓")
ADVERBS = ("逐步", "不断", "持续", "稳步", "明显", "显著", "进一步", "有效")
_V = "|".join(UP_VERBS + DOWN_VERBS)
_A = "|".join(ADVERBS)
# "X逐步提高": a quantity, then (an adverb and) a direction verb ending the phrase.
RE_SUBJECT_VERB = re.compile(rf"^(?:推动|促进|帮助)?(?P<name>.{{2,}}?)(?P<adv>{_A})?(?P<verb>{_V})$")
# "稳步提高X": a direction verb, then a measurable quantity.
RE_VERB_OBJECT = re.compile(rf"^(?:并|巩固)?(?P<adv>{_A})?(?P<verb>{_V})(?P<name>.{{2,}})$")
GOAL_HEADS = ("率", "比例", "比重", "年限", "寿命", "覆盖面", "差距", "水平")
MEASURE_HEADS = ("率", "比例", "比重", "年限", "覆盖面")
RE_SEGMENT = re.compile(r"[，,。；;：:！？\n]+")
RE_LINE_BULLET = re.compile(r"^\s*(?:——|--|—|－－)\s*")


def _number(text: str):
    v = float(text)
    return int(v) if v.is_integer() and "." not in text else v


def normalise(text: str) -> str:
    """Full-width digits, ％ and ． as ASCII, so 99.8％ reads as 99.8%."""
    return text.translate(_FULLWIDTH)


# -- numeric targets ----------------------------------------------------------------
@dataclass
class _Target:
    name: str
    comparator: str
    value: float | int
    unit: str
    direction: str | None
    sentence: str
    upper: float | int | None = None  # the upper end of a range (0.5到1个百分点, 95%—98%)


def numeric_targets(segment: str, sentence: str | None = None) -> list[_Target]:
    """The numeric targets of one comma-free segment, one per subject."""
    seg = normalise(segment)
    out: list[_Target] = []
    taken = _pattern_targets(seg, sentence or segment, out)
    for m in _values(seg):
        if any(a <= m.start() < b for a, b in taken):
            continue
        before, after = seg[: m.start()], seg[m.end():]
        q = RE_QUALIFIER.match(after)
        verbs = list(RE_TARGET_VERB.finditer(before))
        verb = verbs[-1] if verbs and verbs[-1].end() == len(before.rstrip()) else None
        if verb is None and m.re is RE_COUNT:
            continue  # 35岁, 2035年: context, not a target
        if verb is not None:
            subject = before[: verb.start()]
            comparator = QUALIFIERS[q.group(1)] if q else VERB_COMPARATORS.get(verb.group(0), "=")
            direction = TARGET_VERBS[verb.group(0)]
        elif (not before or before.endswith(("促进", "使", "确保"))) and after.startswith("的"):
            # 促进70%的妇女在35岁—45岁接受……筛查: the share of a group doing something.
            subject = after[1:] + "的比例"
            comparator = QUALIFIERS[q.group(1)] if q else "="
            direction = "up"
        else:
            continue
        if comparator == ">=":
            direction = "up"
        elif comparator == "<=":
            direction = "down"
        elif comparator == "≈":
            direction = None
        subject = RE_LEAD_WORDS.sub("", subject.strip())
        if not subject:
            continue
        for name in split_subjects(subject):
            out.append(_Target(name, comparator, _number(m.group(1)), m.group(2), direction, sentence or segment))
    return out


def _comparator(qualifier: str | None, default: str = "=") -> str:
    return QUALIFIERS[qualifier] if qualifier else default


def _direction(comparator: str, default: str | None) -> str | None:
    return {">=": "up", "<=": "down", "≈": None}.get(comparator, default)


def _subject(text: str) -> str:
    return RE_LEAD_WORDS.sub("", text.strip())


def _pattern_targets(seg: str, sentence: str, out: list[_Target]) -> list[tuple[int, int]]:
    """Targets written in one of the patterns below; the spans they take are not read again."""
    taken = []
    for m in RE_RESPECTIVELY.finditer(seg):
        values = RE_LISTED_VALUE.findall(m.group("values"))
        subject = _subject(m.group("subject"))
        unit = next((u for _, u in reversed(values) if u), "")
        if not unit:
            continue
        # Names that cannot be paired with the values keep the whole subject and the value's place.
        names = split_respectively(subject, len(values)) or [f"{subject}（第{i}项）" for i in range(1, len(values) + 1)]
        verb = m.group("verb") or ""
        comparator = _comparator(m.group("qual"), VERB_COMPARATORS.get(verb, "="))
        direction = _direction(comparator, TARGET_VERBS.get(verb))
        for name, (value, own_unit) in zip(names, values, strict=True):
            out.append(_Target(name, comparator, _number(value), own_unit or unit, direction, sentence))
        taken.append(m.span())
    for pattern, label in ((RE_YEARLY, "年{}幅"), (RE_BASELINE, "较{}年{}幅")):
        for m in pattern.finditer(seg):
            if any(a <= m.start() < b for a, b in taken):
                continue
            subject = _subject(m.group("subject"))
            word = "降" if _CHANGE_VERBS[m.group("verb")] == "down" else "增"
            name = subject + (label.format(word) if pattern is RE_YEARLY else label.format(m.group("base"), word))
            comparator = ">=" if m.group("b") else _comparator(m.group("qual"), ">=")
            upper = _number(m.group("b")) if m.group("b") else None
            out.append(_Target(name, comparator, _number(m.group("a")), m.group("unit"), _direction(comparator, "up"),
                               sentence, upper=upper))
            taken.append(m.span())
    cover = RE_COVERAGE.match(seg)
    if cover and not taken:
        predicate = cover.group("predicate")
        for part in re.split(rf"[和、](?={_NUM}%)", cover.group("groups")):
            g = RE_GROUP.match(part)
            if g is None:
                continue
            comparator = _comparator(g.group(2))
            out.append(_Target(f"{g.group(3)}{predicate}的比例", comparator, _number(g.group(1)), "%",
                               _direction(comparator, "up"), sentence))
        taken.append(cover.span())
    for m in RE_VALUE_RANGE.finditer(seg):
        before = seg[: m.start()]
        verb = list(RE_TARGET_VERB.finditer(before))
        if any(a <= m.start() < b for a, b in taken) or not verb or verb[-1].end() != len(before.rstrip()):
            continue
        subject = _subject(before[: verb[-1].start()])
        if subject:
            upper = _number(m.group(2))
            out.append(_Target(subject, ">=", _number(m.group(1)), m.group(3), None, sentence, upper=upper))
            taken.append(m.span())
    return taken


def _own_part(item: str) -> tuple[str, str]:
    """(modifier, head) of a name: 5岁以下儿童贫血率 → (5岁以下儿童, 贫血率), by the word segmenter."""
    words = _words(item)
    n = 1 if len(words[-1]) > 1 else 2
    head = "".join(words[-n:])
    return item[: len(item) - len(head)], head


def split_respectively(subject: str, count: int) -> list[str]:
    """The names of a 分别 sentence, exactly ``count`` of them, or [] when they cannot be told apart.

    新生儿、婴儿和5岁以下儿童死亡率 → the first items take the last one's head (死亡率);
    5岁以下儿童贫血率和生长迟缓率 → every item has a head, the later ones take the first one's modifier.
    """
    parts = subject.split("、")
    items = [p for p in parts[:-1] + re.split(r"和|及|与|以及", parts[-1], maxsplit=1) if p]
    if len(items) != count:
        return []
    if all(it.endswith(HEADS) for it in items):
        modifier = _own_part(items[0])[0]
        return [items[0]] + [it if it.startswith(modifier) else modifier + it for it in items[1:]]
    if not items[-1].endswith(HEADS) or any(it.endswith(HEADS) for it in items[:-1]):
        return []
    head = _own_part(items[-1])[1]
    if head == items[-1]:
        return []
    return [it + head for it in items[:-1]] + [items[-1]]


def _values(seg: str):
    found = list(RE_RATE.finditer(seg))
    spans = [m.span() for m in found]
    for m in RE_COUNT.finditer(seg):
        if not any(a <= m.start() < b for a, b in spans) and not re.fullmatch(r"(19|20)\d\d", m.group(1)):
            found.append(m)
    return sorted(found, key=lambda m: m.start())


_TOKENIZER = None


def _words(text: str) -> list[str]:
    global _TOKENIZER
    if _TOKENIZER is None:
        from kb.segment import import_jieba

        _TOKENIZER = import_jieba().Tokenizer()
        _TOKENIZER.initialize()
    return _TOKENIZER.lcut(text)


def split_subjects(subject: str) -> list[str]:
    """One name per subject of an enumeration with 、 (孕产妇艾滋病、梅毒和乙肝检测率 → three).

    A bare "A和B" is a compound modifier (宫颈癌和乳腺癌防治知识知晓率) and stays one name;
    the shared prefix and suffix are found with the word segmenter.
    """
    if "、" not in subject:
        return [subject]
    parts = subject.split("、")
    last = re.split(r"和|及|与|以及", parts[-1], maxsplit=1)
    items = parts[:-1] + last
    first_words, last_words = _words(items[0]), _words(items[-1])
    if len(last_words) < 2:
        return [subject]
    first_item, last_item = first_words[-1], last_words[0]
    prefix = items[0][: len(items[0]) - len(first_item)]
    suffix = items[-1][len(last_item):]
    middle = items[1:-1]
    names = [prefix + it + suffix for it in [first_item, *middle, last_item]]
    if any(not it for it in [first_item, *middle, last_item]):
        return [subject]
    return names


# -- qualitative targets -------------------------------------------------------------
def qualitative_target(segment: str, kind: str) -> tuple[str, str, str] | None:
    """(name, direction, wording) when a segment sets a direction for a quantity, else None."""
    seg = normalise(segment).strip()
    if RE_RATE.search(seg):
        return None
    m = RE_SUBJECT_VERB.match(seg)
    if m and not re.match(rf"^(?:{_V}|{_A})", m.group("name")):
        name = m.group("name")
    else:
        m = RE_VERB_OBJECT.match(seg)
        heads = GOAL_HEADS if kind == "goal" else MEASURE_HEADS
        if not m or not m.group("name").endswith(heads):
            return None
        name = m.group("name")
    name = RE_LEAD_WORDS.sub("", name).removesuffix("的")
    direction = "up" if m.group("verb") in UP_VERBS else "down"
    return name, direction, (m.group("adv") or "") + m.group("verb")


# -- the whole knowledge base -----------------------------------------------------
def _lines(text: str) -> list[str]:
    """A clause's lines; sub-items (——……) are lines of their own."""
    return [RE_LINE_BULLET.sub("", line) for line in text.split("\n") if line.strip()]


def _sentences(line: str) -> list[str]:
    return [s for s in re.split(r"(?<=[。；;！？])", line) if s.strip()]


RE_ROW_UNIT = re.compile(r"[（(]\s*(%|‰|/10万|/100万|/万|/千)\s*[)）]\s*$")
RE_ROW_VALUE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(及以上|以上|及以下|以下|以内|左右)?")


def table_row_indicator(clause) -> Indicator | None:
    """A row of an indicator table (指标 | 2020年 | 2025年 | 属性): name and unit, then values, the target last."""
    if not clause.tag.startswith("\t") or clause.departments_raw is not None:
        return None
    unit = RE_ROW_UNIT.search(normalise(clause.text))
    values = [c for c in normalise(clause.tag).split("\t")[1:] if RE_ROW_VALUE.match(c)]
    if not unit or not values:
        return None
    m = RE_ROW_VALUE.match(values[-1])
    assert m is not None  # values holds only cells that match
    comparator = QUALIFIERS.get(m.group(2) or "", "=")
    direction = {">=": "up", "<=": "down"}.get(comparator)
    return Indicator(f"{clause.id}.n1", clause.text[: unit.start()].strip(), comparator, _number(m.group(1)), unit.group(1),
                     direction, clause=clause.id, departments=list(clause.departments), doc=clause.doc, domain=clause.domain,
                     kind=clause.kind, text=clause.text + clause.tag.replace("\t", " "), citation=clause.citation)


def clause_indicators(clause) -> list[Indicator]:
    """Every target a goal or measure sets, numeric first (n1, n2 …) then qualitative (q1 …)."""
    row = table_row_indicator(clause)
    if row is not None:
        return [row]
    numeric, qualitative, seen = [], [], set()
    for line in _lines(clause.text):
        for sentence in _sentences(line):
            for seg in RE_SEGMENT.split(sentence):
                if not seg.strip():
                    continue
                for t in numeric_targets(seg, sentence.strip()):
                    if t.name in seen:
                        continue
                    seen.add(t.name)
                    numeric.append(t)
                q = qualitative_target(seg, clause.kind)
                if q and q[0] not in seen:
                    seen.add(q[0])
                    qualitative.append((q, sentence.strip()))
    out = []
    common = dict(clause=clause.id, departments=list(clause.departments), doc=clause.doc, domain=clause.domain, kind=clause.kind, citation=clause.citation)
    for i, t in enumerate(numeric, 1):
        extra = {"upper": t.upper} if t.upper is not None else {}
        out.append(Indicator(f"{clause.id}.n{i}", t.name, t.comparator, t.value, t.unit, t.direction, text=t.sentence,
                             extra=extra, **common))
    for i, ((name, direction, wording), sentence) in enumerate(qualitative, 1):
        out.append(Indicator(f"{clause.id}.q{i}", name, None, None, "", direction, text=sentence, extra={"wording": wording}, **common))
    return out
