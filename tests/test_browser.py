"""Browser tests: Debian's chromium via Playwright against a real waitress server on loopback."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import quote

import pytest

pytestmark = pytest.mark.slow  # a real browser or office suite: CI runs it, scripts/test --quick skips it

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("PLANKB_CHROMIUM") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
XSS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


def _missing(reason):
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests cannot run on CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def server(data_dir):
    """waitress serving the app in a thread on a free loopback port; yields the base URL."""
    from search_app import create_app
    from tests.helpers import serving

    with serving(create_app({"PLANKB_DATA": str(data_dir), "PLANKB_CORPUS": str(ROOT / "corpus")})) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _missing(f"no chromium at {CHROMIUM}")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser):
    """A fresh page that records dialogs and console errors; both must stay empty."""
    context = browser.new_context(accept_downloads=True, locale="zh-CN", viewport={"width": 1366, "height": 768})
    pg = context.new_page()
    pg.dialogs, pg.errors = [], []
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    yield pg
    context.close()


def shot(pg, name):
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    pg.screenshot(path=str(ARTIFACTS / f"{name}-top.png"))


def test_search_facet_department_excel(server, page, tmp_path):
    page.goto(server + "/")
    shot(page, "home")
    page.fill("#q", "妇联负责哪些措施")
    page.press("#q", "Enter")
    page.wait_for_url("**/search?**")
    assert page.locator(".result-count strong").inner_text() == "40"
    assert page.locator(".chip", has_text="部门：妇联").count() == 1
    shot(page, "search")
    page.locator(".facet", has_text="领域").locator("a", has_text="健康").first.click()
    page.wait_for_load_state()
    assert page.locator(".chip", has_text="领域：健康").count() == 1
    total = int(page.locator(".result-count strong").inner_text())
    assert 0 < total < 40
    page.locator(".hit .dept", has_text="卫健局").first.click()
    page.wait_for_url("**/departments/**")
    assert "卫健局 任务清单" in page.locator("h1").inner_text()
    shot(page, "department")
    with page.expect_download() as info:
        page.click("text=下载 Excel")
    download = info.value
    assert download.suggested_filename == "镇原县妇女发展规划-卫健局-任务清单.xlsx"
    path = tmp_path / "duties.xlsx"
    download.save_as(path)
    from openpyxl import load_workbook

    wb = load_workbook(path)
    assert wb.sheetnames[:2] == ["共同职责", "本部门承担"]  # the duties every unit has come first
    assert wb.worksheets[0]["A2"].value == "序号"
    assert page.dialogs == [] and page.errors == []


def test_search_reading_and_literal_switch(server, page):
    page.goto(server + "/")
    page.fill("#q", "妇联在反家暴方面做什么")
    page.press("#q", "Enter")
    page.wait_for_url("**/search?**")
    assert page.locator(".query-reading").inner_text() == "理解为：部门 妇联 · 全部职责 · 关于 反家暴（家庭暴力、反家庭暴力法）"
    assert page.locator(".result-count strong").inner_text() == "3"
    shot(page, "search-reading")
    page.click("a.literal")
    page.wait_for_url("**literal=1**")
    assert page.locator(".query-reading").count() == 0
    assert page.locator(".result-count strong").inner_text() == "0"
    assert page.dialogs == [] and page.errors == []


@pytest.mark.parametrize("payload", XSS)
def test_xss_payloads_never_run(server, page, payload):
    for url in (
        f"{server}/search?q={quote(payload)}",
        f"{server}/search?q={quote(payload)}&dept={quote(payload)}",
        f"{server}/departments/{quote(payload, safe='')}",
        f"{server}/clauses/{quote(payload, safe='')}",
        f"{server}/api/search?q={quote(payload)}",
    ):
        page.goto(url)
        page.wait_for_load_state("load")
        assert page.locator("img[src=x]").count() == 0
        assert page.dialogs == [], url
    page.goto(server + "/")
    page.fill("#q", payload)
    page.press("#q", "Enter")
    page.wait_for_load_state("load")
    assert page.locator("#q").input_value() == payload
    assert page.dialogs == []
    # 404s for the payload paths are expected; nothing else may log an error.
    assert [e for e in page.errors if "404" not in e and "400" not in e] == []


@pytest.mark.parametrize(
    "name, path",
    [
        ("departments", "/departments"),
        ("overview", "/overview"),
        ("clause", "/clauses/zhenyuan-women-2021-2030.2-1-m5"),
        ("document", "/documents/zhenyuan-women-2021-2030"),
        ("no-results", "/search?q=火星基地"),
        ("not-found", "/departments/卫生健康委员会局"),
    ],
)
def test_pages_render_without_errors(server, page, name, path):
    page.goto(server + path)
    shot(page, name)
    assert page.dialogs == []
    assert [e for e in page.errors if "404" not in e] == []


def test_print_stylesheet_gives_a_clean_list(server, page):
    page.goto(server + "/departments/卫健局")
    page.emulate_media(media="print")
    shot(page, "department-print")
    assert not page.locator("header.site").is_visible()
    assert not page.locator(".actions").is_visible()
    assert page.locator("#assigned .duty").first.is_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")


def test_phone_layout(server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, locale="zh-CN")
    pg = context.new_page()
    for name, path in (("phone-search", "/search?q=宫颈癌"), ("phone-department", "/departments/妇联")):
        pg.goto(server + path)
        width = pg.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} scrolls sideways ({width}px)"
        shot(pg, name)
    context.close()


def test_sortable_table_and_copy_button(server, page):
    page.goto(server + "/departments")
    first = lambda: page.locator("table.sortable tbody tr th a").first.inner_text()
    page.click("th >> text=策略措施")
    page.click("th >> text=策略措施")
    assert page.locator("th[aria-sort]").count() == 1
    page.click("th >> text=部门")
    assert first()
    page.goto(server + "/clauses/zhenyuan-women-2021-2030.2-1-m5")
    assert page.locator(".js-copy").first.is_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    assert page.errors == []
