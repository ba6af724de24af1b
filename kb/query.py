"""The query analyser: what a person typed, read as units, kinds, domains, documents and content words.

Pure and separately testable: it knows nothing of the engine. A ``Lexicon`` gives it
the plan's vocabulary (a word cutter, which words occur, which are too common to carry
a match), the unit names, domains, documents and the everyday-to-plan vocabulary.

The rules, in order:

1. Spans kept whole, longest first, so they are found inside unspaced text: unit names (and
   their spellings), everyday words of the vocabulary the plan does not use (坐月子 → 月子),
   cue phrases (duty questions, kind words, target questions), question and function words.
   A cue or function word the plan itself uses counts only on a word boundary of the plan's
   own cut of the text (工作 in 妇女工作, not in 工作场所).
2. The rest is cut with jieba over the plan's own dictionary (the index vocabulary and the
   user dictionary); a word the plan does not hold is replaced by its search-mode pieces
   that it does hold (职业病发病率 → 职业病, 发病率). Runs of single characters are joined back
   into the longest pieces the plan holds (防/性/侵 → 防性侵); what is left is an unknown word.
3. Question and function words (``FUNCTION_WORDS``) and single characters are dropped:
   neither says what a clause is about.
4. A unit with a duty phrase (要干些什么, 负责什么, 在…方面做什么, 职责) or with nothing else
   asks for the unit's whole duty list, narrowed by the remaining words; a unit with a kind
   word (措施, 任务, 目标) asks for that kind of its tagged clauses.
5. Kind words without a unit prefer that kind (…的措施 → measures first); target questions
   (要达到多少, 比例是多少) prefer goals and clauses with figures; 监测/评估 prefer 监测评估.
6. Every remaining word is a content term with its vocabulary expansions; common verbs, the
   plans' subject words (妇女, 女性 …) and very common words never carry a match alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

VOCABULARY = Path(__file__).with_name("vocabulary.txt")

# Whole questions about a unit's duties (all kinds, every relation).
DUTY_PHRASES = (
    "要干些什么",
    "要干什么",
    "干些什么",
    "干什么",
    "要做些什么",
    "要做什么",
    "做些什么",
    "做什么",
    "做哪些",
    "负责什么",
    "负责哪些",
    "管什么",
    "管哪些",
    "有什么职责",
    "有哪些职责",
    "的职责",
    "职责",
    "责任",
    "工作",
    "有什么任务",
    "负责",
    "承担",
    "涉及",
    "有关",
    "相关",
    "的条款",
    "条款",
    "事项",
    "干啥",
    "做啥",
    "duties",
    "duty",
    "responsible",
)
# Kind words: with a unit they filter, without one they rank that kind first.
KIND_PHRASES = {
    "策略措施": ("measure",),
    "措施": ("measure",),
    "任务": ("measure",),
    "举措": ("measure",),
    "办法": ("measure",),
    "measures": ("measure",),
    "measure": ("measure",),
    "主要目标": ("goal",),
    "目标": ("goal",),
    "goals": ("goal",),
    "goal": ("goal",),
    "指标": ("goal", "measure"),
    "组织实施": ("implementation",),
    "实施保障": ("implementation",),
    "监测评估": ("monitoring",),
}
# Kind phrases that also say what the clauses are about (the plan's own headings).
KIND_CONTENT = frozenset({"监测评估", "组织实施"})
# Target questions: goals and clauses with figures first.
TARGET_PHRASES = (
    "要达到多少",
    "达到多少",
    "要占多少",
    "占多少",
    "是多少",
    "有多少",
    "多少",
    "要求是什么",
    "有什么要求",
    "什么要求",
    "要达到",
    "达到什么",
    "比例是",
    "降到多少",
    "要降到",
    "提高到多少",
    "标准是什么",
)
# Words that ask for monitoring clauses and still say what they are about.
MONITORING_WORDS = ("监测", "评估", "统计监测")
# Question and function words: never content. Chosen from how questions are asked, not from the plan.
FUNCTION_WORDS = frozenset(
    "怎么 怎样 怎么样 如何 怎么办 咋 咋办 哪些 哪个 哪条 哪里 哪儿 什么 啥 为什么 多少 几 "
    "是否 能否 可以 能不能 有没有 是不是 吗 呢 吧 啊 呀 嘛 的 地 得 了 着 过 "
    "和 与 及 或 或者 以及 跟 同 把 被 对 对于 关于 有关 相关 方面 在 于 从 向 由 为 给 让 "
    "是 有 要 需要 应该 应当 会 能 该 都 也 还 就 又 再 请问 请 查询 查找 查 看看 看 列出 "
    "所有 全部 一下 我 我们 你 你们 他们 她们 这 那 这个 那个 这些 那些 里 里面 中 上 下 内 "
    "后 前 时 时候 期间 之后 以后 之前 规定 要求 情况 问题 内容 一些 些 哪 谁 不 没 没有 "
    "which what how who are is the of for and or does do by in with to list show all about "
    "involve involves involving clauses items please".split()
)
# With a unit named: words that say how several units share a duty (妇联和教育局共同负责…).
UNIT_FILLER = frozenset("共同 一起 同时 分别 都 均 both together each".split())
# Verbs every measure uses: they count with other words, never alone.
ACTION_WORDS = frozenset(
    "反对 培养 防止 预防 保障 促进 提高 提升 加强 推进 推动 完善 支持 开展 实施 落实 "
    "建立 健全 处理 解决 做好 办理 保护 帮助 发展 加大 扩大 增强 强化 鼓励 引导 重视 "
    "关注 注重 确保 实现 改善 优化 搞 管 办 弄".split()
)
# The subject of women's and children's plans: named in almost every clause, whatever it is about.
SUBJECT_WORDS = frozenset("妇女 女性 儿童 女童 妇女儿童 男女".split())
GENERIC_SHARE = 0.3  # a word in more than this share of clauses cannot carry a match alone
RE_SPACE = re.compile(r"[\s,，、;；。？?！!：:“”\"'（）()《》]+")


def load_vocabulary(*paths: Path) -> dict[str, list[str]]:
    """`词 => 扩展 扩展` per line (the synonyms.txt format); later files add to earlier ones."""
    out: dict[str, list[str]] = {}
    for path in paths:
        if not path or not path.exists():
            continue
        for line in path.read_text(encoding="utf-8-sig").splitlines():
            line = line.split("#", 1)[0].strip()
            if "=>" not in line:
                continue
            left, right = line.split("=>", 1)
            for key in left.split():
                words = out.setdefault(key, [])
                words += [w for w in right.split() if w != key and w not in words]
    return out


@dataclass
class Lexicon:
    """What the analyser may know of the plans: all of it given, nothing looked up elsewhere."""

    cut: Callable[[str], list[str]]  # jieba over the plan's dictionary (precise mode, no HMM)
    cut_for_search: Callable[[str], list[str]]  # jieba search mode over the same dictionary
    in_plan: Callable[[str], bool]  # the word occurs in some clause
    share: Callable[[str], float]  # share of clauses holding the word
    units: Callable[[str], list[tuple[int, int, str, str]]]  # (start, end, canonical, spelling) of unit names
    domains: list[str] = field(default_factory=list)
    docs: dict[str, str] = field(default_factory=dict)  # id → title
    vocabulary: dict[str, list[str]] = field(default_factory=dict)
    _in_plan: dict[str, bool] = field(default_factory=dict, repr=False)

    def everyday_in(self, text: str) -> list[str]:
        """Vocabulary keys in text that the plans do not use (found inside unspaced text).

        Only keys the text holds are looked up in the plans, each once: a first query does not scan
        the plans for the whole vocabulary.
        """
        low = text.lower()
        found = []
        for k in self.vocabulary:
            if len(k) > 1 and k.lower() in low:
                if k not in self._in_plan:
                    self._in_plan[k] = self.in_plan(k)
                if not self._in_plan[k]:
                    found.append(k)
        return found


@dataclass
class Term:
    """A content word and what else counts for it (vocabulary expansions)."""

    word: str
    expansions: list[str] = field(default_factory=list)
    generic: bool = False  # too common to carry a match alone

    @property
    def variants(self) -> list[str]:
        return [self.word, *self.expansions]


@dataclass
class Reading:
    """The analyser's reading of a query."""

    text: str
    units: list[str] = field(default_factory=list)
    unit_spellings: list[str] = field(default_factory=list)
    duty: bool = False  # the unit's whole duty list (every kind; assigned, lead in text, shared)
    kinds: list[str] = field(default_factory=list)  # kinds to keep (with a unit)
    prefer: list[str] = field(default_factory=list)  # kinds to rank first (without a unit)
    target: bool = False  # a question about a figure: goals and clauses with figures first
    domains: list[str] = field(default_factory=list)
    docs: list[str] = field(default_factory=list)
    terms: list[Term] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # question and function words, single characters
    cues: list[str] = field(default_factory=list)  # phrases read as intent (duty, kind, target)
    unknown: list[str] = field(default_factory=list)  # words the plan does not hold, nor the vocabulary (护照, xyz)

    def describe(self) -> str:
        """理解为：部门 人社局 · 全部职责 · 关于 家庭暴力 (without the prefix)."""
        from kb.model import KIND_LABELS

        parts = []
        if self.units:
            parts.append("部门 " + "、".join(self.units))
            if self.duty:
                parts.append("全部职责")
            elif self.kinds:
                parts.append("、".join(KIND_LABELS[k] for k in self.kinds))
        elif self.prefer:
            parts.append("优先" + "、".join(KIND_LABELS[k] for k in self.prefer))
        if self.target:
            parts.append("目标和指标数值")
        if self.domains:
            parts.append("领域 " + "、".join(self.domains))
        if self.docs:
            parts.append("文档 " + "、".join(self.docs))
        if self.terms:
            words = []
            for t in self.terms:
                words.append(t.word + ("（" + "、".join(t.expansions) + "）" if t.expansions else ""))
            parts.append("关于 " + " ".join(words))
        return " · ".join(parts)


def _bounds(text: str, lex: Lexicon) -> set[int]:
    """Word boundaries of the plan's own cut of text (per stretch between spaces and punctuation)."""
    out = {0, len(text)}
    offset = 0
    for chunk in RE_SPACE.split(text):
        if not chunk:
            continue
        at = text.find(chunk, offset)
        out.add(at)
        for w in lex.cut(chunk):
            at += len(w)
            out.add(at)
        offset = at
    return out


def _phrase_spans(
    text: str,
    phrases: Iterable[str],
    taken: list[bool],
    bounds: set[int] | None = None,
    in_plan: Callable[[str], bool] | None = None,
) -> list[tuple[int, int, str]]:
    """Non-overlapping occurrences of phrases in the free parts of text, in the order of the text:
    longer phrases first; of one length, from the left (where two start together, in code point order),
    so a phrase is read by what stands around it, never by the order of a set, which varies by process.

    With bounds: a phrase the plan uses must start and end on a word boundary.
    """
    out = []
    low = text.lower()
    places: dict[int, list[tuple[int, str]]] = {}  # length → (start, phrase) of every occurrence
    for p in set(phrases):
        pl = p.lower()
        start = low.find(pl)
        while start >= 0:
            places.setdefault(len(pl), []).append((start, p))
            start = low.find(pl, start + 1)
    for length in sorted(places, reverse=True):
        for start, p in sorted(places[length]):
            end = start + length
            if any(taken[start:end]):
                continue
            ascii_ok = not p.lower().isascii() or (
                (start == 0 or not low[start - 1].isalnum()) and (end == len(low) or not low[end].isalnum())
            )
            aligned = bounds is None or (start in bounds and end in bounds) or not (in_plan and in_plan(p))
            if ascii_ok and aligned:
                out.append((start, end, p))
                for i in range(start, end):
                    taken[i] = True
    return sorted(out)


def analyse(text: str, lex: Lexicon) -> Reading:
    """Read free text (filters such as dept: already taken out) into a Reading."""
    reading = Reading(text=text)
    text = text.strip()
    if not text:
        return reading
    taken = [False] * len(text)
    pieces: list[tuple[int, str, str]] = []  # (start, kind, value)
    for start, end, canonical, spelling in lex.units(text):
        if any(taken[start:end]):
            continue
        for i in range(start, end):
            taken[i] = True
        pieces.append((start, "unit", canonical))
        reading.unit_spellings.append(spelling)
    for title_id, title in lex.docs.items():
        if title not in text:
            continue
        for start, _, _ in _phrase_spans(text, [title], taken):
            pieces.append((start, "doc", title_id))
    # Everyday words the plan does not use are found inside unspaced text; those it uses (医保) are
    # left to the cut, so a key never breaks a plan word (养老人 in 赡养老人).
    everyday = lex.everyday_in(text)
    cue_phrases = {
        **{p: "duty" for p in DUTY_PHRASES},
        **{p: "kind" for p in KIND_PHRASES},
        **{p: "target" for p in TARGET_PHRASES},
    }
    # Everyday words, then kind and question phrases, then question and function words; a phrase
    # the plan uses counts only where the plan's own cut of the text has it as a word
    # (工作 in 妇女工作, not in 工作场所).
    bounds = _bounds(text, lex)
    for start, _, p in _phrase_spans(text, everyday, taken):
        pieces.append((start, "word", p))
    cues = [p for p in cue_phrases if p not in lex.vocabulary]
    for start, _, p in _phrase_spans(text, cues, taken, bounds, lex.in_plan):
        pieces.append((start, cue_phrases[p], p))
    for _, _, p in _phrase_spans(text, [w for w in FUNCTION_WORDS if len(w) > 1], taken, bounds, lex.in_plan):
        reading.dropped.append(p)
    # The free stretches, cut with the plan's dictionary.
    i = 0
    while i < len(text):
        if taken[i]:
            i += 1
            continue
        j = i
        while j < len(text) and not taken[j]:
            j += 1
        offset = i
        for chunk in RE_SPACE.split(text[i:j]):
            if not chunk:
                continue
            at = text.find(chunk, offset)
            offset = at + len(chunk)
            for w in lex.cut(chunk):
                pieces.append((at, "word", w))
                at += len(w)
            pieces.append((at, "word", " "))  # words never join across a space or punctuation
        i = j
    pieces.sort(key=lambda p: p[0])
    kinds: list[str] = []
    words: list[str] = []
    for _, kind, value in pieces:
        if kind == "unit":
            if value not in reading.units:
                reading.units.append(value)
        elif kind == "doc":
            if value not in reading.docs:
                reading.docs.append(value)
        elif kind == "duty":
            reading.duty = True
            reading.cues.append(value)
        elif kind == "kind":
            kinds += [k for k in KIND_PHRASES[value] if k not in kinds]
            reading.cues.append(value)
            if value in KIND_CONTENT:
                words.append(value)
        elif kind == "target":
            reading.target = True
            reading.cues.append(value)
        else:
            words.append(value)
    for w in _rejoin(words, lex):
        low = w.lower()
        if not w.strip():
            continue
        if low in FUNCTION_WORDS or (reading.units and low in UNIT_FILLER):
            reading.dropped.append(w)
        elif len(w) == 1 and not w.isdigit() and w not in lex.vocabulary:
            reading.dropped.append(w)
            reading.unknown.append(w)
        elif w in lex.vocabulary or lex.in_plan(w):
            _add_term(reading, w, lex)
        elif len(w) < 3:
            reading.unknown.append(w)
        else:
            # Not a word of the plan: its search-mode pieces that are.
            parts = [
                p
                for p in lex.cut_for_search(w)
                if len(p) > 1 and p != w and lex.in_plan(p) and p.lower() not in FUNCTION_WORDS
            ]
            for p in parts:
                _add_term(reading, p, lex)
            if not parts:
                reading.unknown.append(w)
    if any(m in (t.word for t in reading.terms) for m in MONITORING_WORDS) and "monitoring" not in kinds:
        reading.prefer.append("monitoring")
    if reading.units:
        # A kind word names what to list; a duty question (or none) lists everything.
        reading.kinds = kinds
        reading.duty = not kinds
    else:
        reading.duty = False
        reading.prefer = _unique([*kinds, *reading.prefer])
    if reading.target and not reading.units and "goal" not in reading.prefer:
        reading.prefer.insert(0, "goal")
    for t in reading.terms:
        for d in lex.domains:
            if t.word in (d, _short(d)) and d not in reading.domains:
                reading.domains.append(d)
    return reading


def _rejoin(words: list[str], lex: Lexicon) -> list[str]:
    """Runs of single characters (the plan's dictionary did not know them) joined back into the
    longest pieces the plan holds (防/性/侵 → 防性侵); function characters end a run."""
    out: list[str] = []
    run: list[str] = []

    def flush():
        i = 0
        while i < len(run):
            for j in range(len(run), i + 1, -1):
                piece = "".join(run[i:j])
                if lex.in_plan(piece):
                    out.append(piece)
                    i = j
                    break
            else:
                j = i + 1  # characters the plan does not hold stay together as one unknown word
                while j < len(run) and not any(lex.in_plan("".join(run[j:k])) for k in range(j + 2, len(run) + 1)):
                    j += 1
                out.append("".join(run[i:j]))
                i = j
        run.clear()

    for w in words:
        if len(w) == 1 and w.lower() not in FUNCTION_WORDS and not w.isascii() and w.strip():
            run.append(w)
        else:
            flush()
            out.append(w)
    flush()
    return out


def _add_term(reading: Reading, word: str, lex: Lexicon) -> None:
    if any(t.word == word for t in reading.terms):
        return
    expansions = [e for e in lex.vocabulary.get(word, []) if e != word]
    generic = word in ACTION_WORDS or word in SUBJECT_WORDS or (lex.share(word) > GENERIC_SHARE and not expansions)
    reading.terms.append(Term(word, expansions, generic))


def _short(domain: str) -> str:
    return re.sub(r"^(妇女|儿童|女性)(与|参与)?", "", domain or "") or domain


def _unique(items) -> list:
    return list(dict.fromkeys(items))
