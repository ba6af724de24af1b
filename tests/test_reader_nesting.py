"""Sub-items nested under the item they follow (tests/fixtures/reader/county-subitems.txt)."""

from kb.reader import reassemble
from tests.test_reader import FIXTURES, _parse_text, body, messages, read, view


def test_sub_items_are_cited_under_their_item_and_share_a_unit_line_after_them():
    pd = read("county-subitems.txt")
    assert view(pd, "measure") == [
        ("1-m1", "measure", "儿童与健康", "一策略措施 第1条", ["卫健局"], None),
        # （1）（2） under full-width 2．, then one 责任单位 line for the whole item
        ("1-m2", "measure", "儿童与健康", "一策略措施 第2条", ["卫健局", "医保局"], None),
        ("1-m2-1", "measure", "儿童与健康", "一策略措施 第2条（1）", ["卫健局", "医保局"], None),
        ("1-m2-2", "measure", "儿童与健康", "一策略措施 第2条（2）", ["卫健局", "医保局"], None),
        # every sub-item with a line of its own: the item covers both
        ("1-m3", "measure", "儿童与健康", "一策略措施 第3条", ["妇联", "教育局"], None),
        ("1-m3-1", "measure", "儿童与健康", "一策略措施 第3条（1）", ["妇联"], None),
        ("1-m3-2", "measure", "儿童与健康", "一策略措施 第3条（2）", ["教育局"], None),
        ("1-m4", "measure", "儿童与健康", "一策略措施 第4条", ["卫健局", "教育局"], None),
        # ASCII 1. and (1), a lead/partner line after the sub-items
        ("2-m1", "measure", "儿童与安全", "二策略措施 第1条", ["应急管理局", "教育局", "水务局"], "应急管理局"),
        ("2-m1-1", "measure", "儿童与安全", "二策略措施 第1条（1）", ["应急管理局", "教育局", "水务局"], "应急管理局"),
        ("2-m1-2", "measure", "儿童与安全", "二策略措施 第1条（2）", ["应急管理局", "教育局", "水务局"], "应急管理局"),
        ("2-m2", "measure", "儿童与安全", "二策略措施 第2条", ["公安局"], None),
        # a restart of the same marker kind cannot be nested: kept, with its own id, and warned
        ("2-m1~2", "measure", "儿童与安全", "二策略措施 第1条", ["教育局"], None),
    ]
    assert messages(pd) == [(33, "编号倒退：第 2 条之后是第 1 条")]
    assert reassemble(pd) == body(FIXTURES / "county-subitems.txt")


def test_sub_items_without_units_leave_one_warning_for_their_item():
    pd = _parse_text("某县规划\n一、儿童与健康\n策略措施：\n1.加强保健。（卫健局）\n2.改善营养。\n"
                     "（1）推广母乳喂养。\n（2）开展营养宣传。\n3.预防近视。（教育局）\n")
    assert [(c.citation, c.departments) for c in pd.clauses if c.kind == "measure"] == [
        ("一策略措施 第1条", ["卫健局"]), ("一策略措施 第2条", []), ("一策略措施 第2条（1）", []),
        ("一策略措施 第2条（2）", []), ("一策略措施 第3条", ["教育局"]),
    ]
    assert messages(pd) == [(5, "第 2 条没有责任单位标签")]


def test_sub_items_of_a_paren_list_are_numbered_items():
    """Main items （1）（2） with 1. 2. sub-items: whichever kind comes first is the item level."""
    pd = _parse_text("某县规划\n一、儿童与教育\n策略措施：\n（1）扩大学前教育资源。\n1.新建公办幼儿园。\n"
                     "2.扶持普惠性民办园。\n责任单位：教育局、财政局\n（2）开展科普活动。（科协）\n")
    assert [(c.citation, c.departments) for c in pd.clauses if c.kind == "measure"] == [
        ("一策略措施 第1条", ["教育局", "财政局"]), ("一策略措施 第1条（1）", ["教育局", "财政局"]),
        ("一策略措施 第1条（2）", ["教育局", "财政局"]), ("一策略措施 第2条", ["科协"]),
    ]
    assert pd.warnings == []


def test_untagged_items_of_one_list_are_one_warning_naming_every_line():
    pd = _parse_text("某县规划\n一、儿童与健康\n（一）儿童健康\n主要目标：\n1.近视率下降。\n2.肥胖率下降。\n"
                     "3.龋患率下降。（卫健局）\n4.贫血率下降。\n策略措施：\n1.加强保健。\n")
    assert messages(pd) == [
        (5, "儿童健康第 1、2、4 条没有责任单位标签（第 5、6、8 行）"),
        (10, "儿童健康第 1 条没有责任单位标签"),  # numbering starts again: another list
    ]
