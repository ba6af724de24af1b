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
from tests.helpers import SEED

DOC = "zhenyuan-women-2021-2030"
CLAUSE = f"{DOC}.2-1-m5"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XSS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']
TEMPLATES = Path(__file__).resolve().parent.parent / "search_app" / "templates"
# Read from the seed plan: line 67, 二（一）策略措施 第5条, tagged （卫健局、妇联）.
CLAUSE_TEXT = (
    "完善宫颈癌和乳腺癌综合防治、救助政策。提高妇女的宫颈癌和乳腺癌防治意识和能力，宫颈癌和乳腺癌防治知识知晓率达到90%以上。"
    "推进适龄妇女人乳头瘤病毒疫苗（HPV疫苗）接种工作。落实基本公共卫生服务中农村妇女宫颈癌和乳腺癌检查项目，促进70%的妇女在35岁—45岁"
    "接受高质量的宫颈癌筛查，提高人群筛查率。强化筛查和后续诊治服务的衔接，促进早诊早治，宫颈癌患者治疗率达到90%以上。加强对困难患者的救助。"
)
# Counted in the seed plan: items whose trailing tag names the unit, and the 12 tagged 妇儿工委各成员单位.
ASSIGNED = {"妇联": 59, "人社局": 34, "卫健局": 25}
SHARED = 12
COMMON = 3  # 三（四）、三（五）、四（一）: duties the plan gives every unit in prose
UNITS = 32  # distinct units the plan's tags name (妇儿工委各成员单位 is a group, not a unit)

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
def test_home(client):
    page = soup(client.get("/"))
    assert [a.get_text() for a in page.select(".examples a")] == ["妇联负责哪些措施", "宫颈癌", "家暴"]
    assert len(page.select(".domains li")) == 8
    assert len(page.select("#dept-name option")) == UNITS + 1  # and the prompt
    stats = {div.dt.get_text(): int(div.dd.get_text()) for div in page.select(".stats dl > div")}
    assert stats["条款"] == 192  # 73 goals, 91 measures, 5 principles, 11 implementation, 5 monitoring, 7 text
    assert stats["主要目标"] == 73


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
def test_departments_table_and_chart(client):
    page = soup(client.get("/departments"))
    rows = page.select("table.sortable tbody tr")
    assert len(rows) == UNITS
    # Busiest first; 共同承担 (the same 12 for every unit: each is a 妇儿工委 member) is left out, 文中牵头 shown.
    heads = [th.get_text(strip=True) for th in page.select("table.sortable thead th")]
    assert heads == ["部门", "承担合计", "主要目标", "策略措施", "文中牵头"]
    cells = {row.th.get("data-value"): [c.get("data-value") for c in row.find_all("td")] for row in rows}
    assert [row.th.get("data-value") for row in rows][:3] == ["妇联", "人社局", "民政局"]
    assert cells["妇联"] == ["59", "19", "40", "0"] and cells["卫健局"] == ["25", "10", "15", "0"]
    assert cells["统计局"] == ["1", "0", "1", "2"]  # 文中牵头: 监测组由县统计局牵头 …
    assigned = [int(cells[name][0]) for name in cells]
    assert assigned == sorted(assigned, reverse=True)
    bars = page.select("svg.chart a")
    assert bars[0].select_one(".bar-label").get_text() == "妇联"
    assert bars[0].select_one(".bar-total").get_text() == "59"
    assert page.select_one("svg.chart")["role"] == "group"  # it holds links: an img may not (nested-interactive)


def test_departments_picker_redirects(client):
    resp = client.get("/departments?name=卫健局")
    assert resp.status_code == 302 and unquote(resp.headers["Location"]) == "/departments/卫健局"


def test_duty_page(client):
    resp = client.get("/departments/卫健局")
    page = soup(resp)
    assert page.h1.get_text() == "卫健局 任务清单"
    assert len(page.select("#assigned .duty")) == ASSIGNED["卫健局"]
    assert len(page.select("#shared .duty")) == SHARED
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
def test_duty_export_xlsx(client):
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
    assert ws.max_row - 2 == ASSIGNED["卫健局"]
    texts = {ws.cell(row=r, column=5).value for r in range(3, ws.max_row + 1)}
    assert "妇女全生命周期享有良好的卫生健康服务，妇女人均预期寿命延长，人均健康预期寿命提高。" in texts  # 二（一）主要目标 第1条
    assert CLAUSE_TEXT in texts


def test_duty_export_docx(client):
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
    numbered = [row for t in d.tables for row in t.rows[1:] if row.cells[0].text.isdigit()]
    assert len(numbered) == COMMON + ASSIGNED["人社局"] + SHARED  # one row per clause: common, assigned, shared
    all_text = "\n".join(c.text for t in d.tables for row in t.rows for c in row.cells)
    assert "缩小男女收入差距。全面落实男女同工同酬" in all_text  # 二（三）策略措施 第7条, tagged 人社局


def test_duty_export_csv(client):
    resp = client.get("/departments/妇联/export.csv")
    assert resp.data.startswith(b"\xef\xbb\xbf") and resp.mimetype == "text/csv"
    assert "filename*=UTF-8''" + quote("镇原县妇女发展规划-妇联-任务清单.csv") in resp.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert rows[0][:6] == exports.COLUMNS
    assert len(rows) - 1 == COMMON + ASSIGNED["妇联"] + SHARED  # 妇联 is mentioned nowhere without its tag
    assert [r[rows[0].index("出处")] for r in rows[1:4]] == ["三（四）", "三（五）", "四（一）"]


@pytest.mark.parametrize("url", ["/departments/nope/export.xlsx", "/departments/nope/export.docx", "/departments/卫健局/export.pdf"])
def test_duty_export_errors(client, url):
    assert client.get(url).status_code == 404


# -- clauses -----------------------------------------------------------------------------------
def test_clause_page(client):
    page = soup(client.get(f"/clauses/{CLAUSE}"))
    assert page.select_one(".clause-text").get_text() == CLAUSE_TEXT
    assert page.select_one("#cite").get_text() == "《镇原县妇女发展规划（2021—2030年）》二（一）策略措施 第5条"
    assert [a.get_text() for a in page.select(".meta .dept")] == ["卫健局", "妇联"]
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


def test_document_reading_view(client):
    page = soup(client.get(f"/documents/{DOC}"))
    parts = [h.get_text(strip=True) for h in page.select(".doc-body h2.doc-part")]
    assert parts == ["前言", "一、指导思想、基本原则和总体目标", "二、发展领域、主要目标和策略措施", "三、组织实施", "四、监测评估"]
    sections = [h.get_text(strip=True) for h in page.select(".doc-body h3.doc-section")]
    assert "（一）妇女与健康。" in sections
    # Every clause exactly once, in document order, with an anchor and its full text.
    blocks = page.select(".doc-body .doc-clause")
    ids = [b["id"] for b in blocks]
    assert len(ids) == len(set(ids)) == 192 and (ids[0], ids[-1]) == (f"{DOC}.0-t1", f"{DOC}.4-5")
    assert ids.index(f"{DOC}.2-1-m4") + 1 == ids.index(CLAUSE) == ids.index(f"{DOC}.2-1-m6") - 1
    assert all(len(b.select(".clause-link")) == 1 for b in blocks)
    block = page.select_one(f'[id="{CLAUSE}"]')
    block.select_one(".clause-link").decompose()
    text = block.get_text("", strip=True)
    assert "".join(CLAUSE_TEXT.split()) in "".join(text.split()) and "卫健局、妇联" in text
    assert len(page.select(".doc-body .doc-tag")) == 164  # every goal and measure carries its tag
    # Contents link to headings that exist.
    anchors = {el["id"] for el in page.select("[id]")}
    assert all(a["href"][1:] in anchors for a in page.select(".reading-contents a"))
    meta = page.select_one(".doc-meta").get_text(" ", strip=True)
    assert "镇原县" in meta and "2021-2030" in meta and "文号" in meta and "印发日期" in meta


def test_in_context_links_use_the_reading_view_anchors(client):
    reading = soup(client.get(f"/documents/{DOC}"))
    anchors = {el["id"] for el in reading.select(".doc-clause")}
    links = [a["href"] for a in soup(client.get("/search", query_string={"q": "宫颈癌"})).select(".hit a.in-context")]
    links += [soup(client.get(f"/clauses/{CLAUSE}")).select_one("a.in-context-link")["href"]]
    assert len(links) > 3
    for href in links:
        path, anchor = href.split("#")
        assert path == f"/documents/{DOC}" and anchor in anchors


def test_document_original_download(client):
    resp = client.get(f"/documents/{DOC}/original")
    assert resp.status_code == 200
    assert resp.data == SEED.read_bytes()
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
def test_api_search_same_contract(client):
    resp = client.get("/api/search", query_string={"q": "妇联负责哪些措施", "limit": "5", "page": "2"})
    assert resp.mimetype == "application/json"
    body = resp.json
    assert (body["total"], body["page"], body["limit"]) == (40, 2, 5)  # the plan's 40 measures tagged 妇联
    assert [h["id"] for h in body["hits"]] == [f"{DOC}.2-2-m11", f"{DOC}.2-3-m3", f"{DOC}.2-3-m4", f"{DOC}.2-3-m11", f"{DOC}.2-3-m12"]
    assert body["interpreted"]["departments"] == ["妇联"] and body["interpreted"]["kinds"] == ["measure"]
    assert set(resp.json) == {"query", "interpreted", "total", "full_matches", "page", "limit", "hits", "facets"}
    assert "妇联" in resp.get_data(as_text=True)  # not \\u-escaped


def test_api_search_filters(client):
    resp = client.get("/api/search?dept=卫健局&domain=妇女与健康&kind=goal&kind=measure")
    hits = resp.json["hits"]
    # 妇女与健康: goals 1–9 all tagged 卫健局, and 11 of its 12 measures.
    assert resp.json["total"] == 20 and [h["id"] for h in hits[:10]] == [*(f"{DOC}.2-1-g{n}" for n in range(1, 10)), f"{DOC}.2-1-m1"]
    assert all("卫健局" in h["departments"] and h["domain"] == "妇女与健康" for h in hits)


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


def test_api_clause(client):
    resp = client.get(f"/api/clauses/{CLAUSE}")
    assert resp.json == {
        "id": CLAUSE, "doc": DOC, "kind": "measure", "domain": "妇女与健康", "number": 5, "text": CLAUSE_TEXT,
        "departments": ["卫健局", "妇联"], "departments_raw": "卫健局、妇联", "lead": None, "citation": "二（一）策略措施 第5条",
        "prev": f"{DOC}.2-1-m4", "next": f"{DOC}.2-1-m6",
    }


def test_api_departments(client):
    rows = {r["department"]: r for r in client.get("/api/departments").json}
    assert len(rows) == UNITS
    assert rows["妇联"] == {"department": "妇联", "full": "妇女联合会", "goals": 19, "measures": 40, "other": 0,
                          "lead_in_text": 0, "shared": 12, "mentioned": 0, "assigned": 59}
    assert rows["统计局"]["lead_in_text"] == 2 and rows["统计局"]["assigned"] == 1


@pytest.mark.parametrize("name, short", [("卫健局", "卫健局"), ("人力资源和社会保障局", "人社局")])
def test_api_department(client, name, short):
    body = client.get(f"/api/departments/{name}").json
    assert body["department"] == short
    assert {k: len(body[k]) for k in ("assigned", "lead_in_text", "shared", "mentioned")} == {
        "assigned": ASSIGNED[short], "lead_in_text": 0, "shared": SHARED, "mentioned": 0}
    assert all(short in c["departments"] for c in body["assigned"])
    assert all(c["departments"] == ["妇儿工委各成员单位"] for c in body["shared"])


def test_api_documents(client):
    docs = client.get("/api/documents").json
    assert [d["id"] for d in docs] == [DOC] and docs[0]["counts"]["goal"] == 73


def test_healthz(client, data_dir):
    generation = (data_dir / "CURRENT").read_text(encoding="utf-8").strip()
    assert client.get("/healthz").json == {
        "ok": True, "generation": generation, "documents": 1, "clauses": 192, "updating": False,
    }


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


def test_reading_view_shows_a_paragraph_with_several_tags_whole(tmp_path):
    """Sentence groups of one paragraph are separate clauses (each its own units) but one paragraph to read."""
    from bs4 import BeautifulSoup

    from kb.store import build
    from search_app import create_app
    from tests.helpers import make_corpus

    fixture = Path(__file__).resolve().parent / "fixtures" / "reader" / "jiutai-childcare-plan.txt"
    corpus = make_corpus(tmp_path / "plans", {"plan.txt": fixture.read_bytes()})
    build(corpus, tmp_path / "data")
    client = create_app({"TESTING": True, "PLANKB_DATA": str(tmp_path / "data"), "PLANKB_CORPUS": str(corpus)}).test_client()
    resp = client.get("/documents/plan")
    assert resp.status_code == 200
    soup = BeautifulSoup(resp.data, "html.parser")
    first = soup.find(id="plan.2-1s1")
    paragraph = first.find_parent("p")
    groups = paragraph.select(".doc-sentence")
    assert [g["id"] for g in groups] == ["plan.2-1s1", "plan.2-1s2"]
    assert [g.select_one(".doc-tag").get_text() for g in groups] == ["（卫健局、住建局）", "（人社局牵头，总工会、妇联参与）"]
    assert paragraph.get_text().startswith("（一）扩大普惠托育供给。支持社区利用闲置用房建设托育点。（卫健局、住建局）")
    assert soup.find(id="plan.3-3").name == "section"  # a paragraph with one tag stays a block of its own
