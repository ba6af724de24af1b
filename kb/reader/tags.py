"""Responsible units: reading a tag (（卫健局、妇联）, 牵头单位：…；责任单位：…) into canonical unit names.

The one place where written names become units (``unit_for``), so the registry behind it can change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Traditional characters of the words the reader matches (牽頭單位, 關於印發, 縣, 號) → simplified, one for one,
# so a page saved from a site's 繁體 version reads like the original; texts keep the characters as written.
TRADITIONAL = str.maketrans(
    "號關於發佈牽頭單責務門廳縣區鄉鎮衛財會農業環態資規劃計實領導組織辦協調參與負係經濟統總體標準項檢監審證銀險稅處產據達條廣"
    "東黨團婦聯殘兒醫療網絡訊編輯時間來閱讀瀏覽點擊載範圍應開屬機構營運進優結論設職為個這們對說還國長隊驗質員議廈糧儲備鐵郵氣"
    "藥僑臺灣紀電視聞報書館藝術圖檔節約綠園漁鹽礦貿權戶選舉義勞動護級層轄內歲萬億兩價費補貼獎勵懲罰綱見決陽陝貴遼寧蘇閩贛魯粵"
    "瓊雲隴龍晉滬漢鄭紹溫連鄲嶺臨滄錦撫遠崗揚慶豐華興寶雞齊爾蘭烏歷屆頒啟輔親僅觀專題數錄廢預鬥災壇勢觸複雜學幫貧軍轉聽",
    "号关于发布牵头单责务门厅县区乡镇卫财会农业环态资规划计实领导组织办协调参与负系经济统总体标准项检监审证银险税处产据达条广"
    "东党团妇联残儿医疗网络讯编辑时间来阅读浏览点击载范围应开属机构营运进优结论设职为个这们对说还国长队验质员议厦粮储备铁邮气"
    "药侨台湾纪电视闻报书馆艺术图档节约绿园渔盐矿贸权户选举义劳动护级层辖内岁万亿两价费补贴奖励惩罚纲见决阳陕贵辽宁苏闽赣鲁粤"
    "琼云陇龙晋沪汉郑绍温连郸岭临沧锦抚远岗扬庆丰华兴宝鸡齐尔兰乌历届颁启辅亲仅观专题数录废预斗灾坛势触复杂学帮贫军转听",
)
FULLWIDTH = str.maketrans("０１２３４５６７８９（）：．，；", "0123456789():.,;") | TRADITIONAL

RE_TAG = re.compile(r"[（(]([^（）()]*)[)）]\s*$")
RE_TAG_SPLIT = re.compile(r"[、，,；;/／\s]+")
RE_NAME_SPLIT = re.compile(r"[、/／\s]+")
RE_SEGMENT_SPLIT = re.compile(r"[，,；;]")
LABELS = (
    "牵头单位", "牵头部门", "牵头", "责任单位", "责任部门", "责任主体", "负责单位", "负责部门", "负责", "主责单位", "责任",
    "配合单位", "配合部门", "配合", "协办单位", "协办", "参与单位", "参与部门", "参与", "协同单位", "协助单位", "实施单位",
)
RE_LABEL = re.compile(r"(" + "|".join(LABELS) + r")\s*:")
RE_SEGMENT = re.compile(r"^\s*(" + "|".join(LABELS) + r")\s*:\s*(.*)$")
# A line that names units and nothing else: 责任单位：卫健局、妇联 / 牵头单位：…；配合单位：…
RE_RESP_LINE = re.compile(r"^(" + "|".join(LABELS) + r")\s*:\s*(\S.*)$")
# A labelled part that names no unit: 适用范围：…, 完成时限：…
RE_OTHER_LABEL = re.compile(r"^\s*([\u4e00-\u9fff]{2,8})\s*:")
PROSE = re.compile(r"[。:“”《》!?！？]|\d")
# A note on how to read the tags: （排在第一位的部门为牵头部门，下同）
RE_LEAD_NOTE = re.compile(r"(排在?第一位|排名第一|排在首位|列第一位|第一个)的?(部门|单位)?(为|是)牵头(部门|单位)")
RE_DITTO = re.compile(r"^下同$")
# What follows unit names in a tag and is not part of them, stripped repeatedly from the end: 负责, 按职责分工负责, 等部门.
VERBS = (
    "按职责分工负责", "按照职责分工负责", "按职责分工落实", "按职能分工负责", "按职责负责", "分别负责", "共同负责", "牵头负责",
    "负责", "牵头", "参与", "指导", "配合", "协助", "协办", "落实",
)
QUALIFIERS = ("等有关部门", "等相关部门", "等部门", "等单位", "等")
LEAD_VERB = "牵头"


def unit_for(name: str, registry) -> tuple[str, bool]:
    """(canonical name, known) for one written name: a group, a registry unit, else the name as written."""
    group = registry.group(name)
    if group:
        return group.name, True
    canonical = registry.resolve(name)
    if canonical:
        return canonical, True
    return registry.unknown_name(name), False


def unknown_unit_message(name: str, registry) -> str:
    """The warning for a name in a tag that no dictionary knows: kept as written (without its own county's prefix)."""
    stored = registry.unknown_name(name)
    kept = "按原文保留" if stored == name else f"按“{stored}”保留"
    if registry.looks_like_unit(name):
        return f"未知部门“{name}”：词典和 departments.toml 中都没有，{kept}"
    return f"未知部门“{name}”：不像单位名称，{kept}，请更正或在 departments.toml 中登记"


def is_unit(name: str, registry) -> bool:
    """True when a written name is a known unit or group, or reads like one."""
    return bool(registry.resolve(name) or registry.is_group(name) or registry.looks_like_unit(name))


def split_names(text: str) -> list[str]:
    return [p for p in RE_TAG_SPLIT.split(text) if p]


@dataclass
class TagParts:
    """What a tag says, before any dictionary: names as written (verbs stripped), the lead, notes."""

    names: list[str] = field(default_factory=list)
    lead: str | None = None
    lead_first: bool = False  # a note: the first unit leads
    ditto: bool = False  # the note holds for the tags that follow (下同)
    other: list[str] = field(default_factory=list)  # labelled parts that name no unit (适用范围：…)


def strip_name(name: str) -> tuple[str, bool]:
    """A unit name without the verbs and qualifiers after it (C负责 → C, A等部门 → A); True when it said 牵头."""
    name = name.strip().removeprefix("由")
    leads = False
    changed = True
    while changed:
        changed = False
        for word in VERBS + QUALIFIERS:
            if name.endswith(word) and len(name) - len(word) >= 2:
                leads = leads or word.startswith(LEAD_VERB) or word == "牵头负责"
                name = name[: -len(word)]
                changed = True
                break
    return name, leads


def parse_tag(inner: str) -> TagParts:
    """The parts of a tag's text: labelled or verb-marked segments, notes, and parts that are not units."""
    s = inner.translate(FULLWIDTH).strip()
    out = TagParts()
    skipping = False  # inside a labelled part that names no unit
    for segment in RE_SEGMENT_SPLIT.split(_split_labels(s)):
        segment = segment.strip()
        if not segment:
            continue
        if RE_LEAD_NOTE.search(segment):
            out.lead_first = True
            continue
        if RE_DITTO.match(segment):
            out.ditto = True
            continue
        label_lead = False
        m = RE_SEGMENT.match(segment)
        if m:
            skipping = False
            label_lead = m.group(1).startswith(LEAD_VERB)
            segment = m.group(2)
        elif RE_OTHER_LABEL.match(segment):
            skipping = True
        if skipping:
            out.other.append(segment)
            continue
        names = [n for n in RE_NAME_SPLIT.split(segment) if n]
        if not names:
            continue
        last, verb_lead = strip_name(names[-1])
        names = [strip_name(n)[0] for n in names[:-1]] + [last]
        if (label_lead or verb_lead) and out.lead is None:
            out.lead = names[0]
        out.names += [n for n in names if n]
    return out


def _split_labels(s: str) -> str:
    """A ；before every label, so 牵头单位：A，配合单位：B splits into its labelled parts."""
    return re.sub(r"(?<=[^;；:\s])\s*(?=(" + "|".join(LABELS) + r")\s*:)", ";", s)


def is_tag(inner: str, registry) -> bool:
    """A trailing （…） is a tag when it is labelled, or names at least one unit and no part of it is prose."""
    inner = inner.strip()
    if not inner or "。" in inner:
        return False
    s = inner.translate(FULLWIDTH)
    if RE_LABEL.search(s):
        return True
    parts = parse_tag(s)
    if not parts.names and (parts.lead_first or parts.ditto):
        return True  # a note on reading the tags, nothing else
    if not parts.names or parts.other or any(len(p) > 20 or PROSE.search(p) for p in parts.names):
        return False
    return any(is_unit(n, registry) for p in parts.names for n in _conjoined(p, registry))


def is_lead_note(inner: str) -> bool:
    """（排在第一位的部门为牵头部门，下同）: a note on reading tags, on a line or heading of its own."""
    return bool(RE_LEAD_NOTE.search(inner.translate(FULLWIDTH)))


def is_unit_line(line: str, registry) -> bool:
    """A line holding nothing but unit names (a cell of a responsibility table pasted as text)."""
    s = line.strip().translate(FULLWIDTH)
    if not s or "。" in s or len(s) > 80:
        return False
    parts = split_names(s)
    if not parts or any(len(p) > 20 or PROSE.search(p) for p in parts):
        return False
    known = sum(1 for p in parts if is_unit(p, registry))
    return known == len(parts) or (len(parts) >= 2 and known >= 1 and all(len(p) <= 12 for p in parts))


def looks_like_name(line: str) -> bool:
    """A short line without punctuation that could be a unit's informal name (省人口计生)."""
    s = line.strip()
    return 2 <= len(s) <= 10 and not PROSE.search(s) and not re.search(r"[，,；;、（）()]", s)


RE_INNER_TAG = re.compile(r"[（(]([^（）()]{2,80})[)）]([。；;]?)")


def sentence_groups(text: str, registry) -> list[tuple[str, str, str]]:
    """A paragraph cut after each sentence-level tag: (text, tag as written, tag inner) per group.

    ``…。（A牵头，B参与）…。（C负责）`` gives two groups. A tag counts when it closes a sentence
    (after 。 or ；, or followed by one). Text after the last tag is a group with no tag. One group
    (the whole text, no tag) when the paragraph has no tag before its end.
    """
    groups, start = [], 0
    for m in RE_INNER_TAG.finditer(text):
        before = text[: m.start()].rstrip()
        closes = before.endswith(("。", "；", ";")) or m.group(2) or m.end() == len(text.rstrip())
        if not closes or not is_tag(m.group(1), registry) or not parse_tag(m.group(1)).names:
            continue
        groups.append((text[start: m.start()], text[m.start(): m.end()], m.group(1)))
        start = m.end()
    if start < len(text) and text[start:].strip():
        groups.append((text[start:], "", ""))
    return groups


def _conjoined(name: str, registry) -> list[str]:
    """市级各有关部门及各县市区政府 → the two names, when the whole is no unit and each part is one."""
    if unit_for(name, registry)[1]:
        return [name]
    for word in ("及", "和", "与"):
        parts = [p for p in name.split(word) if p]
        if len(parts) > 1 and all(len(p) >= 2 and is_unit(p, registry) for p in parts):
            return parts
    return [name]


def read_tag(raw: str, registry, lead_first: bool = False) -> tuple[list[str], str | None, list[str]]:
    """Canonical names in tag order, de-duplicated; the lead unit; the names not recognised as known units.

    The lead is the first unit of a 牵头 segment (牵头单位：A / A牵头), else the first unit when a
    note says the first one leads (this tag's own, or one that holds for it: ``lead_first``).
    """
    parts = parse_tag(raw)
    lead_name = parts.lead or (parts.names[0] if (lead_first or parts.lead_first) and parts.names else None)
    out, unknown, lead = [], [], None
    for name in [n for written in parts.names for n in _conjoined(written, registry)]:
        canonical, known = unit_for(name, registry)
        if not known:
            unknown.append(name)
        if name == lead_name and lead is None:
            lead = canonical
        if canonical not in out:
            out.append(canonical)
    if lead is not None:  # lead first, as plans list it
        out.remove(lead)
        out.insert(0, lead)
    return out, lead, unknown
