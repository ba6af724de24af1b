"""Layout checks in chromium at a desktop (1366×768) and a phone (390×844) size: the contents bar
never covers where it jumps to, focus shows on facet items, /indicators filters by status and
downloads its table, and no page scrolls sideways on a phone except a chart that says so.

Reuses test_browser's chromium fixtures and its rule: skip when chromium is missing, fail on CI.
"""

from __future__ import annotations

import io

import pytest
from test_browser import browser, page, server, shot  # noqa: F401  (fixtures)
from test_browser_indicators import indicator_server  # noqa: F401  (fixture)
from test_indicators_web import SCREEN

pytestmark = pytest.mark.slow  # a real browser or office suite: CI runs it, scripts/test --quick skips it

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(params=["desktop", "phone"])
def sized(request, browser):  # noqa: F811
    """A page at the desktop or the phone size (is_mobile, touch, DPR 2 on the phone)."""
    phone = request.param == "phone"
    options = {"viewport": PHONE, "device_scale_factor": 2, "is_mobile": True, "has_touch": True} if phone else {"viewport": DESKTOP}
    context = browser.new_context(locale="zh-CN", accept_downloads=True, **options)
    pg = context.new_page()
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.kind = request.param
    yield pg
    context.close()


def rect(pg, selector):
    return pg.evaluate("s => { const r = document.querySelector(s).getBoundingClientRect(); return {top: r.top, bottom: r.bottom}; }", selector)


@pytest.mark.parametrize("target", ["#shared", "#domain-3", "#assigned"])
def test_contents_jump_shows_the_whole_heading(server, sized, target):  # noqa: F811
    pg = sized
    pg.goto(server + "/departments/妇联")
    box = pg.locator(".toc-box")
    if pg.kind == "phone":
        assert box.evaluate("b => !b.open")  # folded: one line, not a fifth of the screen
        assert rect(pg, ".toc-box")["bottom"] - rect(pg, ".toc-box")["top"] < 60
        pg.click(".toc-box > summary")
    pg.click(f".toc a[href='{target}']")
    pg.wait_for_timeout(300)
    heading = f"{target} > h2, {target} > h3"
    bar = rect(pg, ".toc-box")
    head = rect(pg, heading)
    shot(pg, f"toc-jump-{pg.kind}-{target[1:]}")
    assert head["top"] >= bar["bottom"] - 0.5, (bar, head)  # not under the sticky bar
    assert head["bottom"] <= (PHONE if pg.kind == "phone" else DESKTOP)["height"]
    assert pg.errors == []


def test_focus_ring_of_facet_items_is_not_clipped(server, sized):  # noqa: F811
    pg = sized
    pg.goto(server + "/search?q=妇联负责哪些措施")
    if pg.kind == "phone":
        pg.click(".facets-box > summary")
    item = pg.locator(".facet-value").nth(1)
    pg.keyboard.press("Tab")  # keyboard use: focus is shown as :focus-visible
    item.focus()
    got = item.evaluate(
        """el => {
          const s = getComputedStyle(el), r = el.getBoundingClientRect();
          const box = el.closest('ul').getBoundingClientRect(), off = parseFloat(s.outlineOffset), w = parseFloat(s.outlineWidth);
          const ring = {left: r.left - off - w, right: r.right + off + w, top: r.top - off - w, bottom: r.bottom + off + w};
          return {visible: el.matches(':focus-visible'), style: s.outlineStyle, width: w,
                  inside: ring.left >= box.left && ring.right <= box.right && ring.top >= box.top && ring.bottom <= box.bottom};
        }"""
    )
    item.screenshot(path=str(__import__("test_browser").ARTIFACTS / f"facet-focus-{pg.kind}.png"))
    assert got["visible"] and got["style"] != "none" and got["width"] >= 2, got
    assert got["inside"], got  # all four edges of the ring lie inside the scrolling list


@pytest.mark.parametrize("sized", ["phone"], indirect=True)  # a phone-only layout
def test_results_and_duties_come_before_the_fold_on_a_phone(server, sized):  # noqa: F811
    pg = sized
    pg.goto(server + "/search?q=宫颈癌")
    assert rect(pg, ".hit")["top"] < PHONE["height"] - 120  # the first result shows, with room for its text
    pg.goto(server + "/departments/妇联")
    assert rect(pg, ".duty")["top"] < PHONE["height"] - 120
    shot(pg, "phone-duty-page")


def test_indicators_filter_by_status_and_download_the_table(indicator_server, sized):  # noqa: F811
    from openpyxl import load_workbook

    pg = sized
    pg.goto(indicator_server + "/indicators")
    tile = pg.locator(".indicator-stats .stat-unmet a")
    unmet = int(tile.locator(".stat-value").inner_text())
    assert unmet > 0
    tile.click()
    pg.wait_for_url("**/indicators?status=*")
    rows = pg.locator("table.indicator-table tbody tr")
    if pg.locator("details.qualitative").count():
        pg.locator("details.qualitative").evaluate("d => d.open = true")
    assert rows.count() == unmet and pg.locator("table.indicator-table tbody .status-unmet").count() == unmet
    shot(pg, f"indicators-unmet-{pg.kind}")
    pg.select_option("#f-status", "已达标")
    pg.click(".filter-bar button[type=submit]")
    pg.wait_for_url("**status=%E5%B7%B2%E8%BE%BE%E6%A0%87*")
    met = pg.locator("table.indicator-table tbody tr").count()
    assert met > 0 and pg.locator("table.indicator-table tbody .status-met").count() == met
    with pg.expect_download() as dl:
        pg.click(".downloads a:has-text('下载 Excel')")
    ws = load_workbook(io.BytesIO(dl.value.path().read_bytes())).active
    assert ws["A1"].value.startswith("镇原县妇女发展规划（2021—2030年）　监测指标")
    header = [c.value for c in ws[2]]
    assert header[:3] == ["序号", "领域", "指标"] and "状态" in header
    statuses = [r[header.index("状态")].value for r in ws.iter_rows(min_row=3)]
    assert statuses == ["已达标"] * met
    csv = pg.request.get(indicator_server + "/indicators.csv?status=已达标")
    assert csv.ok and csv.body().decode("utf-8-sig").count("\n") == 1 + met
    assert pg.errors == []


@pytest.mark.parametrize("sized", ["desktop"], indirect=True)  # one size is enough for the order
def test_default_order_puts_no_data_last(indicator_server, sized):  # noqa: F811
    pg = sized
    pg.goto(indicator_server + "/indicators")
    order = pg.locator("#numeric tbody tr td:nth-child(4) .status:first-child").all_inner_texts()
    ranks = [{"未达标": 0, "已达标": 1, "无数据": 2}[t.strip("✓✗– ")] for t in order]
    assert ranks == sorted(ranks) and ranks[0] != 2


PHONE_PAGES = ["/", "/search?q=宫颈癌", "/departments", "/departments/妇联", "/overview", "/documents/zhenyuan-women-2021-2030",
               "/clauses/zhenyuan-women-2021-2030.2-1-g1", "/indicators", f"/indicators/{SCREEN}"]


@pytest.mark.parametrize("path", PHONE_PAGES)
def test_no_sideways_scrolling_on_a_phone_but_in_a_hinted_chart(indicator_server, browser, path):  # noqa: F811
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN")
    pg = context.new_page()
    pg.goto(indicator_server + path)
    width = pg.evaluate("document.documentElement.scrollWidth")
    scrollers = pg.evaluate(
        """() => [...document.querySelectorAll('body *')].filter(e => {
             const o = getComputedStyle(e).overflowX;
             return (o === 'auto' || o === 'scroll') && e.scrollWidth > e.clientWidth + 1;
           }).map(e => {
             const hint = e.getAttribute('aria-describedby') && document.getElementById(e.getAttribute('aria-describedby'));
             return {cls: e.className, hinted: !!hint && hint.getBoundingClientRect().height > 0};
           })"""
    )
    shot(pg, "phone" + path.replace("/", "-").replace("?", "-").replace("=", "-"))
    context.close()
    assert width <= PHONE["width"], f"{path} scrolls sideways ({width}px)"
    assert all(s["hinted"] for s in scrollers), scrollers


def page_fill(pdf: bytes, tmp_path) -> list[float]:
    """Per printed page, how far down the text reaches (0–1 of the page height)."""
    import re
    import subprocess

    path = tmp_path / "print.pdf"
    path.write_bytes(pdf)
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    fills = []
    for height, body in re.findall(r"<page width=\"[\d.]+\" height=\"([\d.]+)\">(.*?)</page>", xml, re.S):
        bottoms = [float(y) for y in re.findall(r"<word [^>]*yMax=\"([\d.]+)\"", body)]
        fills.append(max(bottoms, default=0) / float(height))
    return fills


@pytest.mark.parametrize("path", ["/documents/zhenyuan-women-2021-2030", "/departments/妇联"])
def test_printing_fills_the_pages(server, page, path, tmp_path):  # noqa: F811
    """Long clauses may break across pages, so no page but the last ends with a blank quarter; the duty
    page prints the date."""
    from kb.exports import cn_date

    page.goto(server + path)
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    fills = page_fill(pdf, tmp_path)
    assert len(fills) > 3 and all(f > 0.72 for f in fills[:-1]), [round(f, 2) for f in fills]
    if path.startswith("/departments/"):
        assert page.locator(".print-date").inner_text() == f"打印日期：{cn_date()}"
        assert page.locator(".print-date").is_visible()
