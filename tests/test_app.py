"""The web app through Flask's test client: every route, parameter edges, headers, errors, exports."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from bs4 import BeautifulSoup

from kb import exports
from kb.search import open_searcher

DOC = "zhenyuan-women-2021-2030"
CLAUSE = f"{DOC}.2-1-m5"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XSS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']
TEMPLATES = Path(__file__).resolve().parent.parent / "search_app" / "templates"

PAGES = [
    "/",
    "/search",
    "/search?q=宫颈癌",
    "/departments",
    "/departments/卫健局",
    f"/clauses/{CLAUSE}",
    "/overview",
    "/documents",
    f"/documents/{DOC}",
]


@pytest.fixture()
def searcher(app, data_dir):
    return open_searcher(data_dir, app.config["PLANKB_CORPUS"])


def soup(resp):
    return BeautifulSoup(resp.get_data(as_text=True), "html.parser")


def text_of(resp):
    return soup(resp).get_text(" ", strip=True)


# -- every page, its headers and its markup ---------------------------------------------------
@pytest.mark.parametrize("url", PAGES)
def test_pages_render(client, url):
    resp = client.get(url)
    assert resp.status_code == 200
    assert resp.mimetype == "text/html"
    page = soup(resp)
    assert page.html["lang"] == "zh-CN"
    assert page.title.string.endswith("规划知识库")
    # CSP forbids inline script: every script is a same-origin file, no inline handlers or styles.
    assert all(s.get("src", "").startswith("/static/") for s in page.find_all("script"))
    assert not page.find(attrs={"style": True})
    assert not any(attr.startswith("on") for tag in page.find_all(True) for attr in tag.attrs)
    # Every form control has a label.
    for control in page.select("input:not([type=hidden]), select"):
        assert page.find("label", attrs={"for": control["id"]}), control


@pytest.mark.parametrize("url", [*PAGES, "/nope", "/api/search?q=x", "/api/nope", "/healthz", "/static/style.css", "/departments/卫健局/export.xlsx", "/search/export.csv?q=x"])
def test_security_headers_on_every_response(client, url):
    resp = client.get(url)
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"]


def test_only_highlights_are_marked_safe():
    uses = [(p.name, line) for p in TEMPLATES.glob("*.html") for line in p.read_text(encoding="utf-8").splitlines() if "|safe" in line or "Markup" in line]
    assert len(uses) == 1 and "h.highlight|safe" in uses[0][1]


def test_nav_and_indicator_hook(client, app):
    page = soup(client.get("/departments/卫健局"))
    labels = [a.get_text(strip=True) for a in page.select(".site-nav a")]
    assert labels == ["检索", "部门任务", "总览", "规划文本", "监测指标"]  # 监测指标 appears once its endpoint exists
    assert page.select_one('.site-nav a[aria-current="page"]').get_text() == "部门任务"
    assert page.select("#indicators .duty-indicators li")  # the indicators blueprint fills the hook (tests/test_indicators_web.py)


def test_favicon_and_static(client):
    assert client.get("/favicon.ico").status_code == 301
    assert client.get("/static/app.js").status_code == 200


# -- home -----------------------------------------------------------------------------------------
def test_home(client, searcher):
    page = soup(client.get("/"))
    assert [a.get_text() for a in page.select(".examples a")] == ["妇联负责哪些措施", "宫颈癌", "家暴"]
    assert len(page.select(".domains li")) == 8
    assert len(page.select("#dept-name option")) == len(searcher.kb.department_counts()) + 1
    stats = {div.dt.get_text(): int(div.dd.get_text()) for div in page.select(".stats dl > div")}
    assert stats["条款"] == len(searcher.kb.clauses)
    assert stats["主要目标"] == sum(c.kind == "goal" for c in searcher.kb.clauses)


# -- search -----------------------------------------------------------------------------------------
def test_search_department_intent(client):
    resp = client.get("/search", query_string={"q": "妇联负责哪些措施"})
    page = soup(resp)
    assert page.select_one(".result-count strong").get_text() == "40"
    chips = {a.get_text(" ", strip=True): a["href"] for a in page.select(".chip")}
    assert chips == {"部门：妇联 ×": "/search?kind=measure", "类别：策略措施 ×": "/search?dept=" + quote("妇联")}
    assert page.select_one(".literal")["href"] == "/search?q=" + quote("妇联负责哪些措施") + "&literal=1"
    assert len(page.select(".hit")) == 20
    assert page.select_one(".pager .current").get_text() == "1"
    assert page.select(".hit .match-assigned")
    # Removing a chip keeps the other filter.
    assert soup(client.get("/search?kind=measure")).select_one(".result-count strong").get_text() == "91"


def test_search_facets_toggle(client):
    page = soup(client.get("/search", query_string={"q": "宫颈癌"}))
    facet = {a.select_one(".facet-label").get_text(strip=True): a["href"] for a in page.select("#facet-domain ~ ul a")}
    assert set(facet) == {"健康", "社会保障"}
    narrowed = soup(client.get(facet["健康"]))
    assert narrowed.select_one(".result-count strong").get_text() == "2"
    selected = narrowed.select_one("#facet-domain ~ ul a.selected")
    assert selected["aria-current"] == "true"
    assert soup(client.get(selected["href"])).select_one(".result-count strong").get_text() == "3"


def test_search_hit_markup(client):
    page = soup(client.get("/search", query_string={"q": "宫颈癌"}))
    hit = page.select_one(".hit")
    assert hit.select_one(".hit-cite")["href"].startswith("/clauses/")
    assert hit.select_one(".badge").get_text() in ("主要目标", "策略措施")
    assert hit.select("mark") and all(m.get_text() == "宫颈癌" for m in hit.select("mark"))
    assert hit.select_one(".dept")["href"] == "/departments/" + quote("卫健局")


def test_search_group_chip_links_to_search(client):
    page = soup(client.get("/search", query_string={"q": "终身学习"}))
    group = page.select_one(".dept-group")
    assert group.get_text() == "妇儿工委各成员单位"
    assert group["href"].startswith("/search?dept=")


def test_search_synonyms_shown(client):
    assert "家暴 → 家庭暴力" in text_of(client.get("/search?q=家暴"))


def test_search_no_results_help(client):
    resp = client.get("/search", query_string={"q": "卫健委局长 登月"})
    page = soup(resp)
    assert resp.status_code == 200
    assert page.select_one(".result-count strong").get_text() == "0"
    help_ = page.select_one(".help")
    assert "没有找到与“卫健委局长 登月”相关的条款" in help_.get_text()
    assert any("按字面检索" in a.get_text() for a in help_.select("a"))
    assert [a.get_text() for a in help_.select(".dept")][:1] == ["卫健局"]
    assert any(a.get_text() == "宫颈癌" for a in help_.select("a"))


def test_search_empty_form(client):
    page = soup(client.get("/search"))
    assert page.select_one("h1").get_text() == "检索条款"
    assert not page.select(".hit")


@pytest.mark.parametrize(
    "qs, page_no",
    [
        ("q=妇女&page=-1", "1"),
        ("q=妇女&page=0", "1"),
        ("q=妇女&page=abc", "1"),
        ("q=妇女&page=", "1"),
        ("q=妇女&page=2&page=3", "2"),
        ("q=妇女&page=1000000000", None),
        ("q=妇女&page=" + "9" * 400, None),
        ("q=妇女&limit=1000000000", "1"),
    ],
)
def test_search_page_clamped(client, qs, page_no):
    resp = client.get("/search?" + qs)
    assert resp.status_code == 200
    page = soup(resp)
    current = page.select_one(".pager .current").get_text()
    numbers = [int(x.get_text()) for x in page.select(".pager a:not([rel]), .pager .current")]
    assert current == (page_no or str(max(numbers)))
    assert len(page.select(".hit")) <= 20


@pytest.mark.parametrize(
    "qs",
    ["q=" + "长" * 10_000, "q=a%00b", "q=%00", "q=%ff%fe", "q=dept:", "q=kind:nonsense", "q=domain:火星", "q=doc:nope", "q=*:*", "q=(((", "q=a&q=b",
     "dept=卫健局&dept=卫健局", "kind=goal&kind=measure&kind=bogus", "domain=" + "x" * 5000, "literal=1&q=妇联负责哪些措施", "q=" + quote("AND OR NOT")],
)
def test_search_hostile_input_is_a_normal_page(client, qs):
    resp = client.get("/search?" + qs)
    assert resp.status_code == 200
    assert soup(resp).select_one(".result-count")


def test_search_long_query_is_cut_and_said(client):
    resp = client.get("/search?q=" + "长" * 10_000)
    assert "只使用了前 200 个字符" in text_of(resp)
    assert len(resp.data) < 400_000


@pytest.mark.parametrize("payload", XSS)
@pytest.mark.parametrize("where", ["/search?q={}", "/search?dept={}", "/search?kind={}&q={}", "/departments/{}", "/clauses/{}", "/documents/{}", "/api/search?q={}"])
def test_xss_payload_is_escaped(client, payload, where):
    resp = client.get(where.format(quote(payload, safe=""), quote(payload, safe="")))
    assert resp.status_code in (200, 400, 404)
    body = resp.get_data(as_text=True)
    if resp.mimetype == "application/json":
        return  # JSON is data, never sniffed as HTML (nosniff); the query comes back as sent
    assert "<script>alert" not in body and "<img src=x" not in body
    assert not soup(resp).select("img")


def test_search_unknown_department_param(client):
    resp = client.get("/search?dept=卫生健康委员会局")
    assert resp.status_code == 400
    assert "没有名为“卫生健康委员会局”的部门" in text_of(resp)
    assert soup(resp).select(".suggestions .dept")


def test_search_post_not_allowed(client):
    assert client.post("/search").status_code == 405


def test_search_shows_the_reading_and_the_literal_switch(client):
    page = soup(client.get("/search", query_string={"q": "人社局要干些什么"}))
    assert page.select_one(".query-reading").get_text(" ", strip=True) == "理解为： 部门 人社局 · 全部职责"
    literal = page.select_one(".literal")
    assert literal["href"] == "/search?q=" + quote("人社局要干些什么") + "&literal=1"
    # 46 duties: 人社局's own goals and measures and those shared by every member unit.
    assert page.select_one(".result-count strong").get_text() == "46"
    # The switch: the text as typed, found nowhere, and no reading.
    switched = soup(client.get(literal["href"]))
    assert switched.select_one(".result-count strong").get_text() == "0"
    assert not switched.select(".query-reading")


def test_search_reading_of_an_everyday_word(client):
    page = soup(client.get("/search", query_string={"q": "妇联在反家暴方面做什么"}))
    assert page.select_one(".query-reading").get_text(" ", strip=True) == "理解为： 部门 妇联 · 全部职责 · 关于 反家暴（家庭暴力、反家庭暴力法）"
    assert page.select_one(".result-count strong").get_text() == "3"
    assert page.select_one(".literal")


def test_literal_search(client):
    page = soup(client.get("/search?q=妇联负责哪些措施&literal=1"))
    assert not page.select(".chip")
    assert page.select_one(".result-count strong").get_text() == "0"


# -- search exports -----------------------------------------------------------------------------------
def test_search_export_xlsx(client):
    from openpyxl import load_workbook

    resp = client.get("/search/export.xlsx", query_string={"q": "宫颈癌"})
    assert resp.status_code == 200 and resp.mimetype == XLSX
    assert "filename*=UTF-8''" + quote("检索结果-宫颈癌.xlsx") in resp.headers["Content-Disposition"]
    ws = load_workbook(io.BytesIO(resp.data)).active
    assert "宫颈癌" in ws["A1"].value and "共 3 条" in ws["A1"].value
    assert [c.value for c in ws[2]] == exports.RESULT_HEADER  # the header first: Excel's filter finds the table
    assert ws["A2"].font.bold and ws.freeze_panes == "A3"
    notes = [ws.cell(row=r, column=1).value for r in range(7, 10)]  # three hits, a blank row, then the notes
    assert ws["A6"].value is None and notes[0].startswith("理解为：") and notes[-1].startswith("导出日期：")
    assert ws.max_row == 9


def test_search_export_csv_all_hits(client):
    resp = client.get("/search/export.csv", query_string={"q": "妇联负责哪些措施", "page": "2"})
    assert resp.mimetype == "text/csv" and resp.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert rows[0] == ["检索词", "妇联负责哪些措施"] and rows[4] == []
    assert rows[5] == exports.RESULT_HEADER
    assert len(rows) == 6 + 40  # every hit, not one page
    assert all(r[6] == "本部门承担" for r in rows[6:])


# -- departments -----------------------------------------------------------------------------------
def test_departments_table_and_chart(client, searcher):
    page = soup(client.get("/departments"))
    rows = page.select("table.sortable tbody tr")
    counts = sorted(searcher.kb.department_counts(), key=lambda r: (-r["assigned"], -r["lead_in_text"], r["department"]))
    assert len(rows) == len(counts)
    # Busiest first; a column with the same number on every row (共同承担: every unit is a 妇儿工委 member) is left out.
    varying = [k for k in ("lead_in_text", "shared", "mentioned") if len({r[k] for r in counts}) > 1]
    assert "shared" not in varying and "lead_in_text" in varying
    heads = [th.get_text(strip=True) for th in page.select("table.sortable thead th")]
    labels = {"lead_in_text": "文中牵头", "shared": "共同承担", "mentioned": "提及"}
    assert heads == ["部门", "承担合计", "主要目标", "策略措施", *(labels[k] for k in varying)]
    for row, r in zip(rows, counts):
        assert [c.get("data-value") for c in row.find_all(["th", "td"])] == [r["department"], *(str(r[k]) for k in ("assigned", "goals", "measures", *varying))]
    bars = page.select("svg.chart a")
    assert bars[0].select_one(".bar-label").get_text() == "妇联"
    assert bars[0].select_one(".bar-total").get_text() == "59"
    assert page.select_one("svg.chart")["role"] == "group"  # it holds links: an img may not (nested-interactive)


def test_departments_picker_redirects(client):
    resp = client.get("/departments?name=卫健局")
    assert resp.status_code == 302 and unquote(resp.headers["Location"]) == "/departments/卫健局"


def test_duty_page(client, searcher):
    resp = client.get("/departments/卫健局")
    page = soup(resp)
    duties = searcher.kb.duties("卫健局")
    assert page.h1.get_text() == "卫健局 任务清单"
    assert len(page.select("#assigned .duty")) == len(duties["assigned"])
    assert len(page.select("#shared .duty")) == len(duties["shared"])
    assert [h.contents[0].strip() for h in page.select("#assigned .domain-block h3")][0] == "妇女与健康"
    first_block = page.select_one("#assigned .domain-block")
    kinds = [b.get_text() for b in first_block.select(".badge")]
    assert kinds == sorted(kinds, key=lambda k: k != "主要目标")  # goals before measures
    links = {a.get_text(): a["href"] for a in page.select(".actions a")}
    assert links["下载 Excel"].endswith("/export.xlsx") and links["下载 Word"].endswith("/export.docx") and links["CSV"].endswith("/export.csv")
    assert page.select_one(".js-print").has_attr("hidden")  # shown by app.js only
    # Co-responsible departments are shown on each clause, without the page's own department.
    co = page.select("#assigned .duty-depts .dept")
    assert co and all(a.get_text() != "卫健局" for a in co)


@pytest.mark.parametrize("name", ["人力资源和社会保障局", "人社部门", "人力资源社会保障局"])
def test_duty_page_alias_resolves(client, name):
    page = soup(client.get(f"/departments/{name}"))
    assert page.h1.get_text() == "人社局 任务清单"
    assert page.find("link", rel="canonical")["href"].endswith("/departments/" + quote("人社局"))
    assert f"“{name}”即 人社局" in page.get_text()


@pytest.mark.parametrize("name", ["卫生健康委员会局", "不存在的局", XSS[1], "x" * 5000])
def test_duty_page_unknown_is_helpful_404(client, name):
    resp = client.get("/departments/" + quote(name, safe=""))
    assert resp.status_code == 404
    page = soup(resp)
    assert page.h1.get_text() == "没有这个部门"
    assert page.select_one("form[role=search]")
    if name == "卫生健康委员会局":
        assert [a.get_text() for a in page.select(".suggestions .dept")][0] == "卫健局"


def test_duty_page_unknown_doc(client):
    assert client.get("/departments/卫健局?doc=nope").status_code == 404


# -- duty exports -----------------------------------------------------------------------------------
def test_duty_export_xlsx(client, searcher):
    from openpyxl import load_workbook

    resp = client.get("/departments/卫健局/export.xlsx")
    assert resp.status_code == 200 and resp.mimetype == XLSX
    name = "镇原县妇女发展规划-卫健局-任务清单.xlsx"
    assert resp.headers["Content-Disposition"].endswith("filename*=UTF-8''" + quote(name))
    wb = load_workbook(io.BytesIO(resp.data))
    assert wb.sheetnames == ["共同职责", "本部门承担", "共同承担"]  # no sheet that would print only 无
    ws = wb["本部门承担"]
    assert ws["A1"].value.startswith("镇原县妇女发展规划（2021—2030年）　卫健局任务清单")
    assert [c.value for c in ws[2]][:6] == exports.COLUMNS
    assert ws["A2"].font.bold and ws["E3"].font.name == "仿宋"
    assert ws.freeze_panes == "A3" and ws.auto_filter.ref.startswith("A2:")
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
    assert ws.print_title_rows in ("$1:$2", "1:2")
    assert ws.column_dimensions["E"].width >= 60 and ws["E3"].alignment.wrap_text
    assert ws.max_row - 2 == len(searcher.kb.duties("卫健局")["assigned"])
    texts = {ws.cell(row=r, column=5).value for r in range(3, ws.max_row + 1)}
    assert searcher.kb.clause(f"{DOC}.2-1-g1").text in texts


def test_duty_export_docx(client, searcher):
    import docx
    from docx.oxml.ns import qn
    from docx.shared import Mm

    resp = client.get("/departments/人力资源和社会保障局/export.docx")
    assert resp.status_code == 200 and resp.mimetype == DOCX
    assert "filename*=UTF-8''" + quote("镇原县妇女发展规划-人社局-任务清单.docx") in resp.headers["Content-Disposition"]
    assert 'filename="' in resp.headers["Content-Disposition"]  # ASCII fallback for old clients
    d = docx.Document(io.BytesIO(resp.data))
    sec = d.sections[0]
    assert (round(sec.page_width.mm), round(sec.page_height.mm)) == (210, 297)
    assert [round(x / Mm(1)) for x in (sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin)] == [37, 35, 28, 26]
    title = d.paragraphs[0].runs[0]
    assert "镇原县妇女发展规划" in title.text and d.paragraphs[1].text == "人社局任务清单"
    def face(run, paragraph):
        own = run._element.rPr.find(qn("w:rFonts")) if run._element.rPr is not None else None
        return own.get(qn("w:eastAsia")) if own is not None else paragraph.style.element.rPr.rFonts.get(qn("w:eastAsia"))

    fonts = [face(r, p) for p in d.paragraphs for r in p.runs]
    assert fonts[0] == "宋体" and "黑体" in fonts and "楷体" in fonts  # stock faces, with fallbacks in the font table
    assert all(fonts)
    table = d.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["序号", "内容", "责任单位", "出处"]
    assert table.style.name == "Table Grid"
    body_font = table.rows[1].cells[1].paragraphs[0].runs[0]._element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia"))
    assert body_font == "仿宋"
    all_text = "\n".join(c.text for t in d.tables for row in t.rows for c in row.cells)
    assert all(c.text in all_text for c in searcher.kb.duties("人社局")["assigned"])


def test_duty_export_csv(client, searcher):
    resp = client.get("/departments/妇联/export.csv")
    assert resp.data.startswith(b"\xef\xbb\xbf") and resp.mimetype == "text/csv"
    assert "filename*=UTF-8''" + quote("镇原县妇女发展规划-妇联-任务清单.csv") in resp.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert rows[0][:6] == exports.COLUMNS
    duties = searcher.kb.duties("妇联")
    assert len(rows) - 1 == sum(len(duties[k]) for k in ("common", "assigned", "shared", "mentioned"))
    assert [r[rows[0].index("出处")] for r in rows[1:4]] == ["三（四）", "三（五）", "四（一）"]


@pytest.mark.parametrize("url", ["/departments/nope/export.xlsx", "/departments/nope/export.docx", "/departments/卫健局/export.pdf"])
def test_duty_export_errors(client, url):
    assert client.get(url).status_code == 404


# -- clauses -----------------------------------------------------------------------------------
def test_clause_page(client, searcher):
    c = searcher.kb.clause(CLAUSE)
    page = soup(client.get(f"/clauses/{CLAUSE}"))
    assert page.select_one(".clause-text").get_text() == c.text
    assert page.select_one("#cite").get_text() == f"《镇原县妇女发展规划（2021—2030年）》{c.citation}"
    assert [a.get_text() for a in page.select(".meta .dept")] == c.departments
    assert page.select_one(".js-copy")["data-copy-target"] == "cite"
    assert page.select_one(".siblings .prev")["href"] == f"/clauses/{DOC}.2-1-m4"
    assert page.select_one(".siblings .next")["href"] == f"/clauses/{DOC}.2-1-m6"
    assert page.select_one(".permalink").get_text() == f"/clauses/{CLAUSE}"
    assert "妇女与健康" in page.select_one(".meta").get_text()


def test_clause_first_in_list_has_no_prev(client):
    page = soup(client.get(f"/clauses/{DOC}.2-1-m1"))
    assert not page.select(".siblings .prev") and page.select(".siblings .next")


def test_clause_shared_shows_members(client):
    page = soup(client.get(f"/clauses/{DOC}.2-2-m9"))
    assert "卫健局" in page.select_one(".members").get_text()


@pytest.mark.parametrize("cid", ["nope", f"{DOC}.9-9-m9", "../../etc/passwd", "%00"])
def test_clause_unknown_404(client, cid):
    resp = client.get(f"/clauses/{cid}")
    assert resp.status_code == 404
    assert "没有编号为" in text_of(resp) or "没有这个页面" in text_of(resp)


# -- overview and documents -----------------------------------------------------------------------------------
def test_overview_heat_map_cells_link_to_matching_search(client):
    page = soup(client.get("/overview"))
    cells = page.select("svg.heat a.cell-link")
    assert len(page.select("svg.heat .col-label")) == 9  # eight domains and 合计
    for a in cells[:6]:
        n = a.select_one(".cell-n").get_text()
        assert soup(client.get(a["href"])).select_one(".result-count strong").get_text() == n
    assert len(page.select("table.sortable tbody tr")) == 8


def test_documents(client):
    page = soup(client.get("/documents"))
    link = page.select_one("table a")
    assert link.get_text() == "镇原县妇女发展规划（2021—2030年）" and link["href"] == f"/documents/{DOC}"


def test_document_reading_view(client, searcher):
    page = soup(client.get(f"/documents/{DOC}"))
    parts = [h.get_text(strip=True) for h in page.select(".doc-body h2.doc-part")]
    assert parts == ["前言", "一、指导思想、基本原则和总体目标", "二、发展领域、主要目标和策略措施", "三、组织实施", "四、监测评估"]
    sections = [h.get_text(strip=True) for h in page.select(".doc-body h3.doc-section")]
    assert "（一）妇女与健康。" in sections
    # Every clause exactly once, in document order, with an anchor and its full text.
    blocks = page.select(".doc-body .doc-clause")
    ids = [b["id"] for b in blocks]
    assert ids == [c.id for c in searcher.kb.clauses if c.doc == DOC]
    for b in blocks:
        c = searcher.kb.clause(b["id"])
        assert len(b.select(".clause-link")) == 1
        b.select_one(".clause-link").decompose()
        text = b.get_text("", strip=True)
        assert "".join(c.text.split()) in "".join(text.split()) and (c.tag or "") in text
    assert len(page.select(".doc-body .doc-tag")) == sum(1 for c in searcher.kb.clauses if c.tag)
    # Contents link to headings that exist.
    anchors = {el["id"] for el in page.select("[id]")}
    assert all(a["href"][1:] in anchors for a in page.select(".reading-contents a"))
    meta = page.select_one(".doc-meta").get_text(" ", strip=True)
    assert "镇原县" in meta and "2021-2030" in meta and "文号" in meta and "印发日期" in meta


def test_in_context_links_use_the_reading_view_anchors(client, searcher):
    reading = soup(client.get(f"/documents/{DOC}"))
    anchors = {el["id"] for el in reading.select(".doc-clause")}
    links = [a["href"] for a in soup(client.get("/search", query_string={"q": "宫颈癌"})).select(".hit a.in-context")]
    links += [soup(client.get(f"/clauses/{CLAUSE}")).select_one("a.in-context-link")["href"]]
    assert len(links) > 3
    for href in links:
        path, anchor = href.split("#")
        assert path == f"/documents/{DOC}" and anchor in anchors


def test_document_original_download(client, searcher):
    resp = client.get(f"/documents/{DOC}/original")
    assert resp.status_code == 200
    assert resp.data == searcher.kb.source_path(DOC).read_bytes()
    assert resp.headers["Content-Type"] == "text/plain; charset=utf-8"  # the encoding the plan was read in
    cd = resp.headers["Content-Disposition"]
    assert cd.startswith("attachment;") and "filename*=UTF-8''" in cd and "\n" not in cd
    assert unquote(cd.split("filename*=UTF-8''")[1]) == "镇原县妇女发展规划（2021—2030年）.txt"
    assert soup(client.get(f"/documents/{DOC}")).select_one(".doc-actions a[download]")["href"] == f"/documents/{DOC}/original"
    assert client.get("/documents/nope/original").status_code == 404


def test_clause_page_links_its_indicators(client):
    page = soup(client.get(f"/clauses/{DOC}.2-1-g3"))
    links = {a.get_text(): a["href"] for a in page.select(".clause-indicators a")}
    assert "适龄妇女宫颈癌人群筛查率" in links
    assert client.get(links["适龄妇女宫颈癌人群筛查率"]).status_code == 200


def test_search_partial_divider_and_full_count(client):
    page = soup(client.get("/search", query_string={"q": "女性就业歧视"}))
    assert page.select_one(".full-count strong").get_text() == "1"
    lists = page.select("ol.hits")
    assert [len(ol.select(":scope > li")) for ol in lists] == [1, 18]  # 19 hits in all
    assert lists[1]["start"] == "2" and lists[0].find_next_sibling().get_text(strip=True) == "以下 18 条只包含部分关键词"
    assert page.select_one(".print-head") and page.select_one(".hit-text.full")


def test_document_unknown(client):
    assert client.get("/documents/nope").status_code == 404


# -- 404 and errors -----------------------------------------------------------------------------------
def test_unknown_path_404_page(client):
    resp = client.get("/no/such/page")
    assert resp.status_code == 404 and resp.mimetype == "text/html"
    assert "没有这个页面" in text_of(resp)


# -- JSON API -----------------------------------------------------------------------------------
def test_api_search_same_contract(client, searcher):
    resp = client.get("/api/search", query_string={"q": "妇联负责哪些措施", "limit": "5", "page": "2"})
    assert resp.mimetype == "application/json"
    assert resp.json == searcher.search("妇联负责哪些措施", limit=5, page=2)
    assert set(resp.json) == {"query", "interpreted", "total", "full_matches", "page", "limit", "hits", "facets"}
    assert "妇联" in resp.get_data(as_text=True)  # not \\u-escaped


def test_api_search_filters(client, searcher):
    resp = client.get("/api/search?dept=卫健局&domain=妇女与健康&kind=goal&kind=measure")
    assert resp.json == searcher.search("", dept=["卫健局"], domain=["妇女与健康"], kind=["goal", "measure"])


@pytest.mark.parametrize(
    "qs, status, page, limit",
    [
        ("q=妇女&limit=1000000000", 200, 1, 100),
        ("q=妇女&limit=0", 200, 1, 1),
        ("q=妇女&limit=-5", 200, 1, 1),
        ("q=妇女&page=-1", 200, 1, 20),
        ("q=妇女&page=1000000000", 200, None, 20),
        ("q=妇女&limit=abc", 400, None, None),
        ("q=妇女&page=1.5", 400, None, None),
    ],
)
def test_api_search_params(client, qs, status, page, limit):
    resp = client.get("/api/search?" + qs)
    assert resp.status_code == status
    if status == 400:
        assert resp.json["ok"] is False and resp.json["status"] == 400 and "整数" in resp.json["error"]
        return
    assert resp.json["limit"] == limit
    if page:
        assert resp.json["page"] == page
    else:
        assert resp.json["hits"] and resp.json["page"] == (resp.json["total"] - 1) // limit + 1


def test_api_search_unknown_department(client):
    resp = client.get("/api/search?dept=卫生健康委员会局")
    assert resp.status_code == 400
    assert resp.json["ok"] is False and resp.json["suggestions"][0] == "卫健局"


def test_api_clause(client, searcher):
    resp = client.get(f"/api/clauses/{CLAUSE}")
    assert resp.json == {**searcher.kb.clause(CLAUSE).public_dict(), "prev": f"{DOC}.2-1-m4", "next": f"{DOC}.2-1-m6"}


def test_api_departments(client, searcher):
    assert client.get("/api/departments").json == searcher.kb.department_counts()


@pytest.mark.parametrize("name", ["卫健局", "人力资源和社会保障局"])
def test_api_department_same_as_cli(client, searcher, name):
    assert client.get(f"/api/departments/{name}").json == exports.duties_json(searcher.kb.duties(name))


def test_api_documents(client):
    docs = client.get("/api/documents").json
    assert [d["id"] for d in docs] == [DOC] and docs[0]["counts"]["goal"] == 73


def test_healthz(client, searcher):
    assert client.get("/healthz").json == {"ok": True, "generation": searcher.kb.path.name, "documents": 1, "clauses": 192, "updating": False}


@pytest.mark.parametrize(
    "url, status",
    [("/api/clauses/nope", 404), ("/api/departments/nope", 404), ("/api/departments/卫健局?doc=nope", 404), ("/api/nope", 404), ("/api/departments?doc=nope", 404)],
)
def test_api_errors_are_json(client, url, status):
    resp = client.get(url)
    assert resp.status_code == status and resp.mimetype == "application/json"
    assert resp.json["ok"] is False and resp.json["status"] == status and resp.json["error"]


def test_api_method_not_allowed_is_json(client):
    resp = client.post("/api/search")
    assert resp.status_code == 405 and resp.json == {"ok": False, "error": "这个地址不接受这种请求方式。", "status": 405}


# -- the app factory -----------------------------------------------------------------------------------
def test_create_app_builds_a_missing_index_in_the_background(tmp_path, caplog):
    from search_app import create_app
    from search_app.state import state

    data = tmp_path / "data"
    data.mkdir()  # an empty data dir named in the configuration: a background build fills it
    with caplog.at_level("WARNING"):
        app = create_app({"PLANKB_DATA": str(data), "PLANKB_CORPUS": str(Path(__file__).resolve().parent.parent / "corpus")})
        client = app.test_client()
        early = client.get("/healthz")
        assert early.status_code in (200, 503)  # answered while the build runs, never a 500
        state(app).refresh.join(timeout=300)
    assert (data / "CURRENT").exists()
    assert any("正在从" in r.getMessage() and "重新构建知识库" in r.getMessage() for r in caplog.records)
    assert client.get("/healthz").json["ok"] is True


def test_get_searcher_in_app_context(app):
    from search_app.state import get_searcher

    with app.app_context():
        assert len(get_searcher().kb.clauses) > 100
