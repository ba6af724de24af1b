"""The query analyser on its own: a small lexicon written here, one test per rule."""

import re

import pytest

from kb.query import VOCABULARY, Lexicon, analyse, load_vocabulary
from tests.helpers import seed_text

# A plan of a few sentences in the conventions of the real ones, and the words it uses.
PLAN = [
    "孕产妇死亡率下降到12/10万以下。",
    "预防和制止家庭暴力，加强反家庭暴力法宣传。",
    "落实产假制度，督促用人单位保障哺乳期女职工权益。",
    "适龄妇女宫颈癌人群筛查率达到70%以上，乳腺癌筛查率逐步提高。",
    "村委会成员中女性比例达到30%以上。",
    "加强妇女工作，推进工作场所性骚扰防治。",
    "建立完善养老机构服务体系。",
    "妇女妇女妇女妇女健康。",
    "开展年度监测和评估。",
]
WORDS = {
    "孕产妇",
    "死亡率",
    "下降",
    "预防",
    "制止",
    "家庭暴力",
    "反家庭暴力法",
    "宣传",
    "落实",
    "产假",
    "制度",
    "督促",
    "用人单位",
    "保障",
    "哺乳期",
    "女职工",
    "权益",
    "宫颈癌",
    "乳腺癌",
    "人群",
    "筛查率",
    "筛查",
    "达到",
    "以上",
    "村委会",
    "成员",
    "女性",
    "比例",
    "加强",
    "妇女",
    "工作",
    "工作场所",
    "推进",
    "性骚扰",
    "防治",
    "建立",
    "完善",
    "养老机构",
    "服务",
    "体系",
    "健康",
    "适龄",
    "逐步",
    "提高",
    "以下",
    "和",
    "开展",
    "年度",
    "监测",
    "评估",
}
UNITS = {"妇联": "妇联", "县妇联": "妇联", "人社局": "人社局", "人力资源和社会保障局": "人社局", "卫健局": "卫健局"}
VOCAB = {
    "月子": ["产假", "哺乳期"],
    "两癌": ["宫颈癌", "乳腺癌"],
    "家暴": ["家庭暴力"],
    "养老院": ["养老机构"],
    "反家暴": ["家庭暴力"],
}


def cut(text):
    """Longest-match over WORDS (what jieba over the plan's dictionary does for these words)."""
    out, i = [], 0
    while i < len(text):
        for j in range(min(len(text), i + 8), i, -1):
            if text[i:j] in WORDS or j == i + 1:
                out.append(text[i:j])
                i = j
                break
    return out


def units(text):
    spans, taken = [], [False] * len(text)
    for spelling in sorted(UNITS, key=len, reverse=True):
        for m in re.finditer(re.escape(spelling), text):
            if not any(taken[m.start() : m.end()]):
                spans.append((m.start(), m.end(), UNITS[spelling], spelling))
                taken[m.start() : m.end()] = [True] * (m.end() - m.start())
    return sorted(spans)


def lexicon(vocabulary=VOCAB):
    hay = "\n".join(PLAN)
    return Lexicon(
        cut=cut,
        cut_for_search=lambda w: [w[i:j] for i in range(len(w)) for j in range(i + 2, len(w) + 1)],
        in_plan=lambda w: bool(w) and w in hay,
        share=lambda w: sum(w in s for s in PLAN) / len(PLAN),
        units=units,
        domains=["妇女与健康", "妇女与法律"],
        docs={"plan-1": "某县妇女发展规划"},
        vocabulary=vocabulary,
    )


def read(text, vocabulary=VOCAB):
    return analyse(text, lexicon(vocabulary))


def words(r):
    return [t.word for t in r.terms]


# -- question and function words ---------------------------------------------------------------
@pytest.mark.parametrize(
    "q,expected",
    [
        ("怎么预防家庭暴力", ["预防", "家庭暴力"]),
        ("如何落实产假制度呢", ["落实", "产假", "制度"]),
        ("关于性骚扰有哪些规定", ["性骚扰"]),
        ("女职工的权益吗", ["女职工", "权益"]),
    ],
)
def test_question_and_function_words_are_dropped(q, expected):
    assert words(read(q)) == expected


def test_single_characters_never_become_words():
    r = read("高铁站")
    assert r.terms == [] and r.unknown == ["高铁站"]


def test_a_function_word_inside_a_plan_word_stays():
    # 工作 is a duty cue in 妇联工作, not inside 工作场所.
    assert "工作场所" in words(read("工作场所性骚扰"))


# -- kinds -------------------------------------------------------------------------------------
def test_kind_word_without_a_unit_prefers_that_kind():
    r = read("反对家庭暴力的措施")
    assert r.prefer == ["measure"] and r.kinds == [] and "家庭暴力" in words(r)


@pytest.mark.parametrize("q", ["孕产妇死亡率要达到多少", "孕产妇死亡率是多少", "村委会里女性要占多少"])
def test_target_questions_prefer_goals_and_figures(q):
    r = read(q)
    assert r.target and r.prefer[0] == "goal"
    assert not {"多少", "要", "占", "里"} & set(words(r))


def test_monitoring_words_prefer_monitoring_and_stay_content():
    r = read("年度监测")
    assert r.prefer == ["monitoring"] and words(r) == ["年度", "监测"]


# -- units -------------------------------------------------------------------------------------
@pytest.mark.parametrize("q", ["人社局要干些什么", "人社局负责什么", "人力资源和社会保障局的职责", "人社局有哪些工作"])
def test_duty_questions_ask_for_the_whole_duty_list(q):
    r = read(q)
    assert r.units == ["人社局"] and r.duty and r.kinds == [] and r.terms == []
    assert r.describe() == "部门 人社局 · 全部职责"


def test_duty_question_narrowed_by_topic_through_the_vocabulary():
    r = read("妇联在反家暴方面做什么")
    assert r.units == ["妇联"] and r.duty
    assert [(t.word, t.expansions) for t in r.terms] == [("反家暴", ["家庭暴力"])]
    assert r.describe() == "部门 妇联 · 全部职责 · 关于 反家暴（家庭暴力）"


@pytest.mark.parametrize(
    "q,kinds", [("妇联负责哪些措施", ["measure"]), ("卫健局的主要目标", ["goal"]), ("卫健局有哪些任务", ["measure"])]
)
def test_unit_with_a_kind_word_lists_that_kind(q, kinds):
    r = read(q)
    assert r.kinds == kinds and not r.duty and r.terms == []


def test_bare_unit_name():
    r = read("县妇联")
    assert r.units == ["妇联"] and r.unit_spellings == ["县妇联"] and r.terms == [] and r.cues == []


# -- domains and documents ----------------------------------------------------------------------
def test_domain_word_is_recognised_and_stays_content():
    r = read("健康")
    assert r.domains == ["妇女与健康"] and words(r) == ["健康"]


def test_document_title_is_recognised():
    r = read("某县妇女发展规划 宫颈癌")
    assert r.docs == ["plan-1"] and words(r) == ["宫颈癌"]


# -- vocabulary ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "q,word", [("月子", "月子"), ("坐月子怎么办", "月子"), ("两癌筛查率", "两癌"), ("养老院有哪些", "养老院")]
)
def test_everyday_words_expand_inside_unspaced_text(q, word):
    r = read(q)
    term = next(t for t in r.terms if t.word == word)
    assert term.expansions == VOCAB[word]


def test_expansions_are_whole_words_of_the_vocabulary():
    # Only the key as a whole is expanded: 两 alone is not, 癌 alone is not.
    r = read("两个癌")
    assert all(not t.expansions for t in r.terms)


def test_common_words_and_verbs_cannot_carry_a_match():
    r = read("妇女预防家庭暴力")
    generic = {t.word: t.generic for t in r.terms}
    assert generic == {"妇女": True, "预防": True, "家庭暴力": False}


def test_load_vocabulary_merges_later_files(tmp_path):
    extra = tmp_path / "synonyms.txt"
    extra.write_text("月子 => 产褥期\n# 注释\n新词 => 计划 # 行尾注释\n", encoding="utf-8")
    merged = load_vocabulary(VOCABULARY, extra)
    assert merged["月子"][-1] == "产褥期" and "产假" in merged["月子"]
    assert merged["新词"] == ["计划"]


def test_shipped_vocabulary_speaks_the_plan():
    # Every entry expands to at least one word of the seed plan, and no expansion is the key itself.
    plan = re.sub(r"\s+", "", seed_text())
    vocabulary = load_vocabulary(VOCABULARY)
    assert len(vocabulary) >= 100
    for key, expansions in vocabulary.items():
        assert key not in expansions
        assert any(e in plan for e in expansions), key


def test_phrases_are_read_the_same_in_every_process():
    """Phrases of one length are tried in a fixed order and reported in the text's order, whatever order
    the process's string hashing gives a set (a web worker and the CLI read a question alike)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "from kb.query import _phrase_spans; t = '有哪些要求和哪些有关'; "
        "print(_phrase_spans(t, ['要求', '哪些', '有哪', '有关', '和哪'], [False] * len(t)))"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, check=True, cwd=Path(__file__).parents[1], env={**os.environ, "PYTHONHASHSEED": str(seed)}
        ).stdout.decode()
        for seed in range(8)
    }
    # Of one length, from the left: 有哪 (0) before 哪些 (1), 和哪 (5) before the second 哪些 (6).
    assert outs == {"[(0, 2, '有哪'), (3, 5, '要求'), (5, 7, '和哪'), (8, 10, '有关')]\n"}
