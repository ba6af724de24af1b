"""The 监测指标 pages and API (search_app/indicators.py) with no data, one year and ten years of values."""

from __future__ import annotations

import csv
import io
import re
import shutil

import pytest
from bs4 import BeautifulSoup

from kb import indicators as ki
from kb import monitor as km
from kb.store import open_kb
from search_app import create_app

from conftest import CORPUS

DOC = "zhenyuan-women-2021-2030"
MMR = f"{DOC}.2-1-g2.n1"  # 孕产妇死亡率 ≤12/10万
SCREEN = f"{DOC}.2-1-g3.n1"  # 适龄妇女宫颈癌人群筛查率 ≥70%
CARE = f"{DOC}.2-1-m4.n1"  # 孕产妇系统管理率 ≥90%
BREAST = f"{DOC}.2-1-g3.q3"  # 乳腺癌人群筛查率 逐步提高
YEARS = list(range(2021, 2031))
TEN_YEARS = {
    MMR: [18, 17.2, 16.1, 15.5, 14.8, 13.9, 13.0, 12.4, 11.8, 11.2],  # met, on track
    SCREEN: [50, 51, 52.5, 53, 54, 55.5, 56, 57, 58.5, 59],  # not met, will not be: 预警
    CARE: [92, 93, 85, 94, 93.5, 94, 94.5, 95, 95.2, 95.6],  # met, with a dip: 波动
    BREAST: [20, 22, 23, 25, 27, 29, 31, 33, 36, 38],  # qualitative ↑, rising
}


# -- seeding the monitoring store the way the statistics bureau does: a CSV through kb.monitor's import --
def seed(data, rows) -> km.ImportReport:
    """Import (indicator, year, value, department, source, note) rows into a data dir's store."""
    path = data.parent / f"values-{len(list(data.parent.glob('values-*.csv')))}.csv"
    with open(path, "w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(km.LONG_HEADER)
        w.writerows(rows)
    return km.import_file(open_kb(data, CORPUS), path, data=data)


def series_rows(values: dict, department="卫健局", source="卫生健康统计年鉴", note=""):
    return [(ind, y, v, department, source, note) for ind, vs in values.items() for y, v in zip(YEARS, vs)]


def midterm_values(data) -> list[tuple]:
    """2021—2025 values for three of every four numeric targets (met, off track, volatile) and a few qualitative ones."""
    shapes = {
        "up": ([0.9, 0.93, 0.97, 1.0, 1.03], [0.75, 0.76, 0.78, 0.79, 0.8], [1.02, 1.04, 0.9, 1.05, 1.04]),
        "down": ([1.4, 1.3, 1.15, 1.05, 0.95], [1.6, 1.55, 1.5, 1.42, 1.35], [0.95, 0.9, 1.15, 0.92, 0.9]),
        "approx": ([0.97, 0.98, 0.99, 1.0, 1.0], [0.8, 0.81, 0.83, 0.84, 0.85], [1.0, 1.02, 0.9, 1.01, 1.0]),
    }
    kb = open_kb(data, CORPUS)
    rows = []
    for i, ind in enumerate(ki.extract(kb, numeric=True)):
        if i % 4 == 3:
            continue  # not reported yet
        kind = "approx" if ind.comparator == "≈" else "down" if ind.comparator == "<=" or ind.direction == "down" else "up"
        cap = km.UNIT_MAX.get(ind.unit, float("inf"))
        for y, f in zip(YEARS, shapes[kind][i % 4]):
            rows.append((ind.id, y, min(round(ind.value * f, 1), cap - 0.1), "、".join(ind.departments), "年度统计监测报表", ""))
    for ind_id, vs in ((BREAST, [20, 22, 23, 25, 27]), (f"{DOC}.2-1-g1.q1", [78.2, 78.4, 78.5, 78.7, 78.9]), (f"{DOC}.2-3-g6.q1", [1.2, 1.3, 1.25, 1.4, 1.5])):
        rows += [(ind_id, y, v, "卫健局", "年度统计监测报表", "") for y, v in zip(YEARS, vs)]
    return rows


@pytest.fixture()
def data(data_dir, tmp_path):
    """A private copy of the session's data dir, so each test starts with an empty store."""
    copy = tmp_path / "data"
    shutil.copytree(data_dir, copy)
    return copy


@pytest.fixture()
def client(data):
    return create_app({"TESTING": True, "PLANKB_DATA": str(data), "PLANKB_CORPUS": str(CORPUS)}).test_client()


@pytest.fixture()
def kb(data):
    return open_kb(data, CORPUS)


def soup(resp):
    return BeautifulSoup(resp.get_data(as_text=True), "html.parser")


def row_of(page, indicator_id):
    """The table row whose name links to this indicator."""
    link = page.find("a", href=f"/indicators/{indicator_id}")
    return link.find_parent("tr")


def badges(node) -> list[str]:
    return [b.get_text(strip=True).lstrip("✓✗– ") for b in node.select(".status")]


def check_page(resp):
    """Status 200, valid CSP-friendly markup: no inline script, style or handlers; labelled controls."""
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    page = soup(resp)
    assert all(s.get("src", "").startswith("/static/") for s in page.find_all("script"))
    assert not page.find(attrs={"style": True}) and not page.find("style")
    assert not any(a.startswith("on") for tag in page.find_all(True) for a in tag.attrs)
    for control in page.select("input:not([type=hidden]), select"):
        assert page.find("label", attrs={"for": control["id"]}), control
    return page


# -- no data --------------------------------------------------------------------------------------------
def test_list_without_data(client, kb):
    page = check_page(client.get("/indicators"))
    assert page.find("a", attrs={"aria-current": "page"}).get_text() == "监测指标"
    numeric, qualitative = page.select("#numeric tbody tr"), page.select("#qualitative tbody tr")
    assert len(numeric) == 23 and len(qualitative) == len(ki.extract(kb, numeric=False))
    assert {tuple(badges(r)) for r in numeric + qualitative} == {("无数据",)}
    assert not page.select("svg.spark") and "尚无数据" in row_of(page, MMR).get_text()
    mmr = row_of(page, MMR)
    assert [td.get_text(" ", strip=True) for td in mmr.find_all("td")][:2] == ["≤12/10万", "—"]
    assert mmr.find("a", href=f"/clauses/{DOC}.2-1-g2").get_text() == "二（一）主要目标 第2条"
    stats = {li.select_one(".stat-label").get_text(): li.select_one(".stat-value").get_text() for li in page.select(".indicator-stats > li")}
    assert stats == {"指标": str(len(numeric) + len(qualitative)), "已达标": "0", "未达标": "0", "无数据": str(len(numeric) + len(qualitative)), "预警": "0", "波动": "0"}
    # The rules are explained on the page, without links away from it.
    rules = page.find("section", class_="rules")
    assert "最小二乘" in rules.get_text() and not rules.find("a")


def test_detail_without_data(client):
    page = check_page(client.get(f"/indicators/{MMR}"))
    assert page.h1.get_text() == "孕产妇死亡率"
    assert badges(page.select_one(".page-head")) == ["无数据"]
    # No data, no empty chart; who to ask instead of a command line.
    assert page.select_one("svg.chart.trend") is None
    assert "尚未导入这项指标的数据" in page.get_text() and "联系统计局" in page.select_one(".no-data").get_text()
    assert "plankb" not in page.get_text()
    assert page.find("a", href=f"/clauses/{DOC}.2-1-g2") and "孕产妇死亡率下降到12/10万以下" in page.select_one(".source-text").get_text()
    assert page.find("a", class_="dept", href="/departments/%E5%8D%AB%E5%81%A5%E5%B1%80")


def test_api_without_data(client, kb):
    assert client.get("/api/indicators").get_json() == [i.to_dict() for i in ki.extract(kb)]
    body = client.get(f"/api/indicators/{MMR}").get_json()
    assert body["indicator"] == ki.get(kb, MMR).to_dict()
    assert {k: body[k] for k in ("status", "latest", "warnings", "projection", "fluctuations", "series")} == {
        "status": "无数据", "latest": None, "warnings": [], "projection": None, "fluctuations": [], "series": []}


# -- one year -------------------------------------------------------------------------------------------
def test_one_year(client, data):
    seed(data, [(MMR, 2021, 15, "卫健局", "妇幼年报", ""), (BREAST, 2021, 20, "卫健局", "妇幼年报", "")])
    page = check_page(client.get("/indicators"))
    mmr = row_of(page, MMR)
    assert badges(mmr) == ["未达标"]
    assert re.sub(r"\s+", " ", mmr.select_one("td.num").get_text(" ", strip=True)) == "15/10万 2021年"
    spark = mmr.select_one("svg.spark")
    assert spark.select("circle.spark-last") and spark.select(".spark-target") and "2021年 15" in spark["aria-label"]
    assert badges(row_of(page, BREAST)) == ["无数据"]  # one value gives no direction yet
    assert badges(row_of(page, SCREEN)) == ["无数据"]

    detail = check_page(client.get(f"/indicators/{MMR}"))
    chart = detail.select_one("svg.chart.trend")
    assert len(chart.select("circle.pt")) == 1 and chart.select_one("circle.pt-unmet")
    assert not chart.select(".projection-line") and not chart.select("polyline")
    cells = [td.get_text(strip=True) for td in detail.select("table.data tbody tr")[0].find_all(["th", "td"])]
    assert cells == ["2021", "15", "—", "否", "卫健局", "妇幼年报", ""]
    assert "2021 年为 15/10万，目标 ≤12/10万" in detail.select_one(".note").get_text()
    assert "只有一年数据" in check_page(client.get(f"/indicators/{BREAST}")).select_one(".note").get_text()


# -- ten years ------------------------------------------------------------------------------------------
def test_ten_years_list(client, data):
    seed(data, series_rows(TEN_YEARS))
    page = check_page(client.get("/indicators"))
    assert badges(row_of(page, MMR)) == ["已达标"]
    assert badges(row_of(page, SCREEN)) == ["未达标", "预警"]
    assert badges(row_of(page, CARE)) == ["已达标", "波动"]
    assert badges(row_of(page, BREAST)) == ["已达标"]
    assert "59% 2030年" in row_of(page, SCREEN).get_text(" ", strip=True)
    points = row_of(page, SCREEN).select_one("polyline.spark-line")["points"].split()
    assert len(points) == 10
    stats = {li.select_one(".stat-label").get_text(): li.select_one(".stat-value").get_text() for li in page.select(".indicator-stats > li")}
    assert (stats["已达标"], stats["未达标"], stats["预警"], stats["波动"]) == ("3", "1", "1", "1")


def test_ten_years_detail(client, data):
    seed(data, series_rows(TEN_YEARS, note="<b>初报</b>"))
    page = check_page(client.get(f"/indicators/{SCREEN}"))
    assert badges(page.select_one(".page-head")) == ["未达标", "预警"]
    chart = page.select_one("svg.chart.trend")
    assert len(chart.select("circle.pt")) == 10 and len(chart.select("circle.pt-unmet")) == 10
    assert len(chart.select_one("polyline.trend-line")["points"].split()) == 10
    assert chart.select(".target-line") and chart.select(".target-band") and chart.select(".projection-line")
    assert "2030年预计 59.19%" in chart.get_text() and "目标 ≥70%" in chart.get_text()
    assert [t.get_text() for t in chart.select(".pt-label")] == [str(v) if v % 1 else str(int(v)) for v in TEN_YEARS[SCREEN]]
    assert [t.get_text() for t in chart.select("text.xtick")] == [str(y) for y in YEARS]
    rows = page.select("table.data tbody tr")
    assert [r.th.get_text() for r in rows] == [str(y) for y in YEARS]
    assert [td.get_text(strip=True) for td in rows[1].find_all("td")] == ["51", "+1", "否", "卫健局", "卫生健康统计年鉴", "<b>初报</b>"]
    assert not page.select("table.data b")  # notes are text, never markup
    assert "预计达不到目标" in page.select_one(".note").get_text()

    care = check_page(client.get(f"/indicators/{CARE}"))
    assert len(care.select("svg.chart.trend circle.pt-ring")) == 2 and "波动年份：2023、2024" in care.get_text()
    assert [r.select_one("td").get_text(" ", strip=True) for r in care.select("table.data tbody tr")][2:4] == ["85 波动", "94 波动"]


def test_reimport_shows_history(client, data):
    seed(data, series_rows({MMR: TEN_YEARS[MMR][:3]}))
    seed(data, [(MMR, 2023, 16.4, "卫健局", "复核", "更正")])
    page = check_page(client.get(f"/indicators/{MMR}"))
    assert "2023 年原报 16.1/10万（卫健局）" in page.select_one(".history").get_text()
    assert page.select("table.data tbody tr")[2].find("td").get_text(strip=True) == "16.4"


def test_api_with_data(client, data, kb):
    seed(data, series_rows(TEN_YEARS))
    body = client.get(f"/api/indicators/{CARE}").get_json()
    assert list(body) == ["indicator", "status", "latest", "warnings", "projection", "fluctuations", "reason", "series"]
    assert (body["status"], body["latest"], body["warnings"], body["fluctuations"]) == ("已达标", {"year": 2030, "value": 95.6}, ["波动"], [2023, 2024])
    assert body["projection"]["year"] == 2030 and len(body["projection"]["line"]) == 10
    assert body["series"][2] == {"year": 2023, "value": 85, "department": "卫健局", "source": "卫生健康统计年鉴", "note": ""}
    assert {k: v for k, v in body.items() if k not in ("indicator", "series")} == {k: v for k, v in km.assess(ki.get(kb, CARE), [(y, v) for y, v in zip(YEARS, TEN_YEARS[CARE])]).items() if k != "series"}


# -- filters, department pages, errors ----------------------------------------------------------------
def test_filter_by_department_and_domain(client, kb):
    page = check_page(client.get("/indicators?dept=教育局"))
    assert page.h1.get_text() == "监测指标：教育局"
    shown = [a["href"].rsplit("/", 1)[1] for a in page.select("table.indicator-table tbody th > a:first-child")]
    assert shown == [i.id for i in ki.extract(kb, dept="教育局", numeric=True)] + [i.id for i in ki.extract(kb, dept="教育局", numeric=False)]
    assert page.select_one("#f-dept option[selected]").get_text() == "教育局"
    # Aliases resolve like the duty pages do; domain narrows further.
    page = check_page(client.get("/indicators", query_string={"dept": "卫生健康局", "domain": "妇女与健康"}))
    assert page.h1.get_text() == "监测指标：卫健局 · 健康"
    assert len(page.select("#numeric tbody tr")) == len([i for i in ki.extract(kb, dept="卫健局", numeric=True) if i.domain == "妇女与健康"]) == 12
    page = check_page(client.get("/indicators", query_string={"domain": "妇女与教育"}))
    assert {r.find_all("td")[-1].get_text(" ", strip=True) for r in page.select("#numeric tbody tr")} == {"教育局"}


@pytest.mark.parametrize("url, message", [
    ("/indicators?dept=卫生健康委员会局", "没有名为“卫生健康委员会局”的部门"),
    ("/indicators?domain=火星", "没有名为“火星”的领域"),
    (f"/indicators/{DOC}.2-1-g2.n9", "没有编号为"),
    ("/indicators/<script>", "没有编号为"),
])
def test_not_found_pages(client, url, message):
    resp = client.get(url)
    assert resp.status_code == 404 and message in resp.get_data(as_text=True)
    assert "<script>" not in resp.get_data(as_text=True).split("</head>")[1].replace('<script src="/static/app.js" defer></script>', "")


def test_unknown_department_suggests_names(client):
    page = soup(client.get("/indicators?dept=卫生健康委员会局"))
    assert "卫健局" in [a.get_text() for a in page.select(".suggestions a")]


def test_api_errors_and_filters(client, kb):
    body = client.get("/api/indicators/nope").get_json()
    assert body == {"ok": False, "error": "没有编号为“nope”的指标", "status": 404}
    assert client.get("/api/indicators?dept=火星局").status_code == 400
    assert client.get("/api/indicators?dept=教育局").get_json() == [i.to_dict() for i in ki.extract(kb, dept="教育局")]
    assert client.get(f"/api/indicators?doc={DOC}&domain=妇女与环境").get_json() == [i.to_dict() for i in ki.extract(kb) if i.domain == "妇女与环境"]


def test_department_page_lists_its_indicators(client, data, kb):
    seed(data, series_rows(TEN_YEARS))
    page = check_page(client.get("/departments/卫健局"))
    section = page.find("section", id="indicators")
    items = section.select(".duty-indicators li")
    assert len(items) == len(ki.extract(kb, dept="卫健局"))
    first = {a["href"]: li for li in items for a in li.select("a.ind-name")}
    assert badges(first[f"/indicators/{SCREEN}"]) == ["未达标", "预警"]
    assert "最新 59% 2030年" in first[f"/indicators/{SCREEN}"].get_text(" ", strip=True)
    assert page.select_one(".toc a[href='#indicators']").get_text() == f"监测指标（{len(items)}）"


def test_unreadable_store(client, data):
    (data / km.MONITOR_FILE).write_bytes(b"not a database" * 100)
    assert client.get("/indicators").status_code == 503
    assert client.get(f"/api/indicators/{MMR}").get_json()["status"] == 503
    page = check_page(client.get("/departments/卫健局"))  # the duty list itself stays available
    assert not page.find(id="indicators")


# -- status filter, order and downloads ----------------------------------------------------------------
def shown_ids(page) -> list[str]:
    return [a["href"].split("/indicators/", 1)[1] for a in page.select("table.indicator-table tbody th > a:first-child")]


def test_status_filter_order_and_downloads(client, data):
    seed(data, series_rows(TEN_YEARS))
    page = check_page(client.get("/indicators"))
    order = shown_ids(page)
    assert order[0] == SCREEN  # what needs attention first (未达标), then 已达标, 无数据 last
    assert order.index(MMR) < order.index(CARE) < min(order.index(i) for i in order if i not in (SCREEN, MMR, CARE, BREAST))
    met = check_page(client.get("/indicators", query_string={"status": "已达标"}))
    assert set(shown_ids(met)) == {MMR, CARE, BREAST}
    assert met.select_one(".indicator-stats a[aria-current]").get_text(" ", strip=True) == "已达标 3"
    assert met.select_one("#f-status option[selected]")["value"] == "已达标"
    assert shown_ids(check_page(client.get("/indicators", query_string={"status": "未达标"}))) == [SCREEN]
    links = {a.get_text(strip=True): a["href"] for a in met.select(".downloads a")}
    assert links["CSV"] == "/indicators.csv?status=%E5%B7%B2%E8%BE%BE%E6%A0%87"
    resp = client.get(links["CSV"])
    assert resp.status_code == 200 and resp.mimetype == "text/csv" and "attachment" in resp.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert rows[0] == ["序号", "领域", "指标", "目标", "责任单位", "出处", "最新值", "年份", "状态", "原文"]
    assert sorted(r[2] for r in rows[1:]) == sorted(["孕产妇死亡率", "孕产妇系统管理率", "乳腺癌人群筛查率"])
    assert {r[8] for r in rows[1:]} == {"已达标"} and ["11.2/10万", "2030"] in [r[6:8] for r in rows[1:]]
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(client.get("/indicators.xlsx", query_string={"dept": "卫健局"}).data)).active
    assert ws["A1"].value.startswith("镇原县妇女发展规划（2021—2030年）　监测指标")
    assert all("卫健局" in r[4].value or "各成员单位" in r[4].value for r in ws.iter_rows(min_row=3))  # its own and shared targets
    assert client.get("/indicators", query_string={"status": "很好"}).status_code == 400
    assert client.get("/indicators.csv", query_string={"dept": "不存在的局"}).status_code == 404


def test_detail_without_projection_names_the_end_year_once(client, data):
    page = check_page(client.get(f"/indicators/{MMR}"))
    labels = [dt.get_text() for dt in page.select(".indicator-facts dt")]
    assert "末年预计" in labels and not any("年年" in t for t in labels)
