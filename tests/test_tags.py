"""The tag grammar (kb/reader/tags.py): one test per form that published plans use."""

import pytest

from kb.departments import Registry
from kb.reader.tags import is_tag, parse_tag, read_tag, sentence_groups


@pytest.fixture(scope="module")
def county():
    return Registry.load(None).for_issuer("镇原县", "县")


@pytest.fixture(scope="module")
def national():
    return Registry.load(None).for_issuer("国务院", "国家")


@pytest.mark.parametrize("inner, units, lead", [
    ("卫健局、妇联", ["卫健局", "妇联"], None),  # plain list
    ("卫健局负责", ["卫健局"], None),  # one unit with a verb
    ("教育局、卫健局、民政局负责", ["教育局", "卫健局", "民政局"], None),  # the verb is not part of the last name
    ("民政局指导", ["民政局"], None),
    ("卫健局牵头，教育局、民政局参与", ["卫健局", "教育局", "民政局"], "卫健局"),
    ("人社局、卫健局按职责分工负责", ["人社局", "卫健局"], None),
    ("财政局、发改局等部门", ["财政局", "发改局"], None),
    ("财政局等", ["财政局"], None),
    ("公安局配合", ["公安局"], None),
    ("由民政局负责", ["民政局"], None),
    ("牵头单位：卫健局；责任单位：教育局、妇联", ["卫健局", "教育局", "妇联"], "卫健局"),
    ("牵头单位：卫健局，配合单位：教育局、妇联", ["卫健局", "教育局", "妇联"], "卫健局"),  # 配合单位 after a comma
    ("负责部门：民政局、财政局；适用范围：全县各乡镇", ["民政局", "财政局"], None),  # 适用范围 is not a unit
    ("责任单位：教育局；完成时限：2025年底", ["教育局"], None),
    ("协办单位：团县委、科协", ["团县委", "科协"], None),
    ("参与部门：残联", ["残联"], None),
    ("各有关部门按职责分工负责", ["各有关部门"], None),  # a collective word is a group
    ("民政局、各乡镇", ["民政局", "各地"], None),
    ("民政局及各有关部门按职责分工负责", ["民政局", "各有关部门"], None),  # two names joined by 及
    ("人力资源和社会保障局、卫健局和民政局", ["人社局", "卫健局", "民政局"], None),  # 和 inside a name stays
])
def test_tag_forms(county, inner, units, lead):
    assert is_tag(inner, county)
    names, found_lead, unknown = read_tag(inner, county)
    assert (names, found_lead, unknown) == (units, lead, [])


@pytest.mark.parametrize("collective", ["各有关部门", "有关单位", "各区", "县级市", "各成员单位", "各级人民政府"])
def test_collective_words_are_groups_never_units(county, collective):
    assert county.group(collective) is not None and county.resolve(collective) is None


def test_lead_note_in_the_tag_and_for_the_tags_after_it(county):
    parts = parse_tag("教育局、卫健局，排在第一位的部门为牵头部门，下同")
    assert (parts.names, parts.lead_first, parts.ditto) == (["教育局", "卫健局"], True, True)
    assert read_tag("教育局、卫健局，排在第一位的部门为牵头部门，下同", county)[1] == "教育局"
    assert read_tag("民政局、财政局", county)[1] is None
    assert read_tag("民政局、财政局", county, lead_first=True)[1] == "民政局"
    assert is_tag("排在第一位的部门为牵头部门，下同", county)  # a note alone: read, names nothing
    assert parse_tag("排在第一位的部门为牵头部门，下同").names == []


@pytest.mark.parametrize("inner", ["2025年前完成", "含镇原县、庆阳市", "详见附件", "试行"])
def test_remarks_are_not_tags(county, inner):
    assert not is_tag(inner, county)


def test_national_short_names_in_a_national_document(national, county):
    assert read_tag("发展改革委、统计局、人民银行、网信办", national)[0] == ["国家发展改革委", "国家统计局", "中国人民银行", "中央网信办"]
    assert read_tag("发展改革委、统计局、人民银行、网信办", county)[0] == ["发改委", "统计局", "人民银行", "县委网信办"]
    assert read_tag("教育部、海关总署、证监会", county)[0] == ["教育部", "海关总署", "证监会"]
    assert [county.level_of(n) for n in ("教育部", "海关总署", "中国人民银行", "国家统计局", "教育局")] == ["国家", "国家", "国家", "国家", "县"]


def test_sentence_groups(county):
    text = "支持社区建设托育点。（卫健局、住建局）鼓励用人单位提供托育服务。（人社局牵头，妇联参与）"
    assert sentence_groups(text, county) == [
        ("支持社区建设托育点。", "（卫健局、住建局）", "卫健局、住建局"),
        ("鼓励用人单位提供托育服务。", "（人社局牵头，妇联参与）", "人社局牵头，妇联参与"),
    ]
    # a bracket inside a sentence is no tag; text after the last tag is a group without one
    assert sentence_groups("落实（试行）办法。（民政局）另行部署。", county) == [
        ("落实（试行）办法。", "（民政局）", "民政局"), ("另行部署。", "", "")]
