"""Accessibility: axe-core in chromium on every main page; no serious or critical violation (WCAG 2.1 AA)."""

from __future__ import annotations

import os

import pytest

from tests.helpers import ROOT, require_tool
from tests.test_browser import browser, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow  # a real browser or office suite: CI runs it, scripts/test --quick skips it

DOC = "zhenyuan-women-2021-2030"
PAGES = [
    "/",
    "/search?q=宫颈癌",
    "/search?q=女性就业歧视",
    "/search?q=妇联负责哪些措施",
    "/search?q=高铁站",
    "/departments",
    "/departments/卫健局",
    "/departments/统计局",
    f"/clauses/{DOC}.2-1-g3",
    "/overview",
    "/documents",
    f"/documents/{DOC}",
    "/indicators",
    f"/indicators/{DOC}.2-1-g3.n1",
]
SHOTS = ROOT / "test-artifacts"  # the copies under docs/ are refreshed by hand, after looking at them


@pytest.fixture()
def page(browser):  # noqa: F811
    """A page whose context lets axe-core's script in past the site's Content-Security-Policy."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768}, bypass_csp=True)
    yield context.new_page()
    context.close()


def axe_violations(pg) -> list[dict]:
    """Serious and critical axe-core violations of the page as loaded (WCAG 2.0/2.1 A and AA rules)."""
    axe = require_tool(os.environ.get("PLANKB_AXE") or str(ROOT / ".cache/axe/node_modules/axe-core/axe.min.js"), "axe-core")
    pg.add_script_tag(path=axe)
    found = pg.evaluate(
        """async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}, resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
        }"""
    )
    return [v for v in found if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("url", PAGES)
def test_no_serious_axe_violations(server, page, url):  # noqa: F811
    page.goto(server + url)
    page.wait_for_load_state("networkidle")
    assert axe_violations(page) == []


def test_screenshots_for_docs(server, page):  # noqa: F811
    """The reading view and a search with the partial-match divider (docs/ keeps reviewed copies)."""
    SHOTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(server + f"/documents/{DOC}#{DOC}.4-2")
    page.wait_for_load_state("networkidle")
    assert page.locator(f"[id='{DOC}.4-2']").is_visible()
    page.screenshot(path=str(SHOTS / "reading-view.png"))
    page.goto(server + "/search?q=女性就业歧视")
    assert page.locator(".divider").inner_text() == "以下 18 条只包含部分关键词"
    page.screenshot(path=str(SHOTS / "search-partial-divider.png"))
