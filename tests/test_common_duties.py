"""Duties a plan gives every unit in prose (kb.common_duties): found by the sentence's subject and verb."""

import pytest

from kb.common_duties import common_sentence
from kb.model import Clause


def clause(text: str, departments=(), cid="p.3-4") -> Clause:
    return Clause(id=cid, doc="p", kind="implementation", domain=None, number=None, text=text, departments=list(departments), departments_raw=None, citation="三（四）")


@pytest.mark.parametrize("text, sentence", [
    # The subject opens the sentence, after a 的-phrase; the verb hands something over.
    ("落实部门责任。承担本规划任务的各部门要按照分工，制订年度工作方案并送县妇儿工委办公室备案。",
     "承担本规划任务的各部门要按照分工，制订年度工作方案并送县妇儿工委办公室备案。"),
    ("建立报告制度，各成员单位每年年底向县妇儿工委书面报告当年工作进展。", "建立报告制度，各成员单位每年年底向县妇儿工委书面报告当年工作进展。"),
    ("县统计局牵头做好年度统计，各有关部门按时向县统计局报送本系统分性别数据。", "县统计局牵头做好年度统计，各有关部门按时向县统计局报送本系统分性别数据。"),
    ("评估期末，责任单位向县妇儿工委提交自评报告；办公室汇总。", "评估期末，责任单位向县妇儿工委提交自评报告；"),
])
def test_a_sentence_addressed_to_every_unit_is_a_common_duty(text, sentence):
    assert common_sentence(clause(text)) == sentence


@pytest.mark.parametrize("text", [
    # Led by one unit, others only take part: that unit's duty, not everyone's.
    "监测组由县统计局牵头，相关部门负责统计的人员参加，负责数据收集，向县妇儿工委提交年度监测报告。",
    # Every unit is named, but nothing is handed over: a principle, not a task with a deliverable.
    "有关部门、相关机构和人民团体结合职责，承担规划相关目标任务落实工作。",
    # The government reports to the departments: the subject is not the units.
    "定期向县人民政府及相关部门报送监测评估情况。",
    "加大宣传力度，营造良好社会氛围。",
])
def test_other_prose_is_not(text):
    assert common_sentence(clause(text)) is None


def test_a_tagged_clause_is_never_a_common_duty():
    """A tag names who does it; the prose inside it does not widen that to every unit."""
    text = "各成员单位每年向县妇儿工委报告落实情况。"
    assert common_sentence(clause(text, ["妇联"])) is None
    assert common_sentence(clause(text)) == text


def test_the_seed_plan_gives_every_unit_three_duties(data_dir):
    """Read from the plan: 三（四） 实施方案 to the 妇儿工委办公室, 三（五） yearly report, 四（一） monitoring data
    to the 统计局; they open every unit's duty list, except where the unit already has them (统计局 leads 四（一））."""
    from kb.store import open_kb

    kb = open_kb(data_dir)
    assert [c.citation for c in kb.clauses if common_sentence(c)] == ["三（四）", "三（五）", "四（一）"]
    for dept in ("妇联", "卫健局", "教育局", "县委宣传部"):
        assert [c.citation for c in kb.duties(dept)["common"]] == ["三（四）", "三（五）", "四（一）"], dept
    stats = kb.duties("统计局")
    assert [c.citation for c in stats["common"]] == ["三（四）", "三（五）"]
    assert "四（一）" in [c.citation for c in stats["lead_in_text"]]
