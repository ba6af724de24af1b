"""Browser tests of the 监测指标 pages with monitoring data: screenshots for review, no console errors.

Reuses test_browser's chromium fixtures and its rule: skip when chromium is missing, fail on CI.
"""

from __future__ import annotations

import shutil

import pytest
from test_browser import ROOT, browser, page, shot  # noqa: F401  (fixtures)
from test_indicators_web import MMR, SCREEN, midterm_values, seed

pytestmark = pytest.mark.slow  # a real browser or office suite: CI runs it, scripts/test --quick skips it


@pytest.fixture(scope="module")
def indicator_server(data_dir, tmp_path_factory):
    """waitress over a copy of the test KB holding 2021—2025 values for most indicators."""
    from search_app import create_app

    data = tmp_path_factory.mktemp("indicators") / "data"
    shutil.copytree(data_dir, data)
    seed(data, midterm_values(data))
    from tests.helpers import serving

    with serving(create_app({"PLANKB_DATA": str(data), "PLANKB_CORPUS": str(ROOT / "corpus")})) as base:
        yield base


def test_indicator_table_and_filters(indicator_server, page):  # noqa: F811
    page.goto(indicator_server + "/indicators")
    shot(page, "indicators")
    assert page.locator("h1").inner_text() == "监测指标"
    assert page.locator("#numeric tbody tr").count() == 23
    assert page.locator("#numeric .status-met").count() > 0
    assert page.locator("#numeric .status-unmet").count() > 0
    assert page.locator("#numeric .flag-warn").count() > 0
    assert page.locator("#numeric svg.spark").count() > 0
    page.locator("#numeric").screenshot(path=str(ROOT / "test-artifacts" / "indicators-numeric-table.png"))
    assert not page.locator("#qualitative").is_visible()  # folded away until asked for
    page.click("details.qualitative summary")
    assert page.locator("#qualitative").is_visible()
    page.select_option("#f-dept", "教育局")
    page.click(".filter-bar button[type=submit]")
    page.wait_for_url("**/indicators?dept=*")
    assert page.locator("h1").inner_text() == "监测指标：教育局"
    assert page.locator("#numeric tbody tr").count() == 2
    assert page.dialogs == [] and page.errors == []


def test_indicator_detail_chart(indicator_server, page):  # noqa: F811
    page.goto(f"{indicator_server}/indicators/{SCREEN}")
    shot(page, "indicator-detail")
    chart = page.locator("svg.chart.trend")
    assert chart.is_visible()
    assert chart.locator("circle.pt").count() == 5
    assert chart.locator(".target-line").count() == 1 and chart.locator(".projection-line").count() == 1
    page.goto(f"{indicator_server}/indicators/{MMR}")
    shot(page, "indicator-detail-down")
    page.goto(f"{indicator_server}/departments/卫健局")
    page.locator("#indicators").screenshot(path=str(ROOT / "test-artifacts" / "department-indicators.png"))
    assert page.locator("#indicators .status-met").count() > 0
    assert page.errors == []


def test_indicator_pages_on_a_phone(indicator_server, browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, locale="zh-CN")
    pg = context.new_page()
    for name, path in (("phone-indicators", "/indicators"), ("phone-indicator-detail", f"/indicators/{SCREEN}")):
        pg.goto(indicator_server + path)
        width = pg.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} scrolls sideways ({width}px)"
        shot(pg, name)
    context.close()
