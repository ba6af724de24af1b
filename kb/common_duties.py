"""Duties a plan gives every unit in prose: 各部门制定实施方案并报送……, 责任单位每年向……报告.

Such a clause carries no tag; a sentence whose subject is all units (各部门, 各成员单位, 有关部门,
责任单位 …) and whose verb hands something over (报送, 报告, 提交, 上报, 送……备案, 制定/制订……方案) makes it a duty of
every unit's list. The subject must open the sentence (after a 的-phrase: 承担规划目标任务的有关部门)
or open a comma segment that itself holds the verb, so that a sentence led by another unit
(监测组由县统计局牵头，相关部门……参加，……向县妇儿工委提交) does not count.
"""

from __future__ import annotations

import re

from kb.model import Clause

ALL_UNITS = (
    r"(?:(?:[省市县]?妇儿工委)?(?:各)?成员单位(?:、(?:各|有关|相关)?(?:部门|机构|单位|人民团体))*"
    r"|各(?:有关|相关)?(?:部门|单位)|(?:有关|相关)部门|责任单位)"
)
HANDOVER = r"(?:报送|报告|提交|上报|送[^，。；]{0,12}?备案|制[定订][^，。；]*?方案)"
SENTENCE = re.compile(r"[^。；！？]+[。；！？]?")
OPENS_SENTENCE = re.compile(rf"^(?:[^，。；]*?的)?{ALL_UNITS}")
OPENS_SEGMENT = re.compile(rf"(?:^|，){ALL_UNITS}[^，。；]*?{HANDOVER}")


def common_sentence(clause: Clause) -> str | None:
    """The sentence that gives every unit a duty, if the clause has one and names no unit in a tag."""
    if clause.departments:
        return None
    for sentence in SENTENCE.findall(clause.text):
        body = sentence.strip()
        if OPENS_SEGMENT.search(body) or (OPENS_SENTENCE.search(body) and re.search(HANDOVER, body)):
            return body
    return None
