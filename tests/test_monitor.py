"""Tests for kb.monitor and `plankb monitor`: form round trip, all-or-nothing import, status rules."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from kb import monitor as km
from kb.monitor import assessment, importer, store
from kb.monitor.form import FIXED_HEADER, HELP_SHEET, RECEIVER_RULES, SHEET, TAIL_HEADER, find_office, instructions, pack
from kb.cli import cli
from kb.indicators import Indicator, get
from kb.corpus import REPO_ROOT
from kb.store import build, open_kb

CORPUS = REPO_ROOT / "corpus"
DOC = "zhenyuan-women-2021-2030"
MMR = f"{DOC}.2-1-g2.n1"  # 孕产妇死亡率 ≤12/10万
SCREEN = f"{DOC}.2-1-g3.n1"  # 适龄妇女宫颈癌人群筛查率 ≥70%
BREAST = f"{DOC}.2-1-g3.q3"  # 乳腺癌人群筛查率 逐步提高
YEARS = [f"{y}年" for y in range(2021, 2031)]
HEAD = 2  # the form's header row, below its title


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    build(CORPUS, data)
    return data


@pytest.fixture(scope="module")
def kb(built):
    return open_kb(built, CORPUS)


@pytest.fixture
def data_dir(built):
    """The module's data dir with an empty monitoring store for each test."""
    yield built
    for suffix in ("", "-wal", "-shm"):
        (built / f"{km.MONITOR_FILE}{suffix}").unlink(missing_ok=True)


@pytest.fixture
def runner(data_dir, monkeypatch):
    monkeypatch.setenv("PLANKB_DATA", str(data_dir))
    monkeypatch.setenv("PLANKB_CORPUS", str(CORPUS))
    return CliRunner()


def dump(data_dir) -> list[str]:
    """Every row of the store as SQL, to compare the database before and after."""
    path = data_dir / km.MONITOR_FILE
    if not path.exists():
        return []
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def make_form(runner, tmp_path, dept="卫健局"):
    path = tmp_path / "form.xlsx"
    res = runner.invoke(cli, ["monitor", "template", "--dept", dept, "-o", str(path)])
    assert res.exit_code == 0, res.output
    return path


def fill(path, values, out=None):
    """Write {(indicator id, year): value} into a form, as a department would in Excel."""
    wb = load_workbook(path)
    ws = wb[SHEET]
    header = [c.value for c in ws[HEAD]]
    rows = {ws.cell(row=r, column=1).value: r for r in range(HEAD + 1, ws.max_row + 1)}
    for (ind, year), value in values.items():
        ws.cell(row=rows[ind], column=header.index(f"{year}年") + 1).value = value
    ws.cell(row=rows[MMR], column=header.index("填报单位") + 1).value = "卫健局"
    ws.cell(row=rows[MMR], column=header.index("数据来源") + 1).value = "妇幼年报"
    wb.save(out or path)
    return out or path


def seed(runner, tmp_path, values):
    form = fill(make_form(runner, tmp_path), values, tmp_path / "seed.xlsx")
    res = runner.invoke(cli, ["monitor", "import", str(form)])
    assert res.exit_code == 0, res.output
    return res


# -- the form --------------------------------------------------------------------
def test_template_layout(runner, tmp_path, kb):
    wb = load_workbook(make_form(runner, tmp_path))
    assert wb.sheetnames == [SHEET, HELP_SHEET]
    ws = wb[SHEET]
    assert ws["B1"].value == "《镇原县妇女发展规划（2021—2030年）》监测指标填报表（卫健局）"
    assert [c.value for c in ws[HEAD]] == FIXED_HEADER + YEARS + TAIL_HEADER
    rows = [[c.value for c in r][:4] for r in ws.iter_rows(min_row=HEAD + 1)]
    assert rows[0] == [MMR, "孕产妇死亡率", "≤12/10万", "/10万"]
    listed = json.loads(runner.invoke(cli, ["indicators", "--dept", "卫健局", "--format", "json"]).output)
    assert [r[0] for r in rows] == [i["id"] for i in listed if i["value"] is not None] + [i["id"] for i in listed if i["value"] is None]
    assert ws.column_dimensions["A"].hidden and ws.protection.sheet
    assert ws["A3"].protection.locked and not ws["G3"].protection.locked
    rules = {(dv.formula1, dv.formula2, dv.operator): str(dv.sqref) for dv in ws.data_validations.dataValidation}
    assert "G4:P4" in rules[("0", "100", "between")].split()  # 筛查率 in %
    assert "G3:P3" in rules[("0", None, "greaterThanOrEqual")].split()  # 孕产妇死亡率 per 10万


RECEIVER_LINE = (
    "填好后报送县统计局。依据：规划四（一）“统计局牵头组织开展年度监测，妇儿工委成员单位、有关部门、相关机构向县统计局"
    "报送年度监测数据，及时收集、分析反映妇女发展状况的相关数据和信息。”"
)


def test_template_prints_as_handed_over(runner, tmp_path):
    wb = load_workbook(make_form(runner, tmp_path))
    ws = wb[SHEET]
    setup = ws.page_setup
    assert (setup.orientation, int(setup.paperSize), setup.fitToWidth, setup.fitToHeight) == ("landscape", 9, 1, 0)
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$2:$2" and ws.freeze_panes == "G3"
    assert [str(r) for r in ws.merged_cells.ranges] == ["B1:S1"]
    assert all(ws.cell(row=3, column=c).alignment.wrap_text for c in (2, 5, 6, 19))
    assert ws.column_dimensions["A"].hidden and "zhenyuan" not in str(ws["B1"].value)
    lines = [r[0] for r in wb[HELP_SHEET].iter_rows(values_only=True)]
    assert lines[0] == "《镇原县妇女发展规划（2021—2030年）》监测指标填报表（卫健局）"
    assert lines[-2:] == [RECEIVER_LINE, "规划实施的具体工作由县妇儿工委办公室负责（规划三（二））。"]
    assert not [line for line in lines if "plankb" in line or "import" in line]


def office_kb(*texts, level="县", kind="monitoring"):
    """Just what find_office reads: clauses of one document of a level."""
    from types import SimpleNamespace

    clauses = [SimpleNamespace(doc="d", kind=kind, text=t, citation=f"四（{i}）") for i, t in enumerate(texts, 1)]
    return SimpleNamespace(docs={"d": SimpleNamespace(level=level)}, clauses=clauses)


@pytest.mark.parametrize("texts, found", [
    (["各成员单位于每年1月底前将年度监测数据报送县妇儿工委办公室。"], ("县妇儿工委办公室", "四（1）")),
    (["监测组由市统计局牵头，负责监测工作的组织、指导和培训。"], ("市统计局", "四（1）")),
    # Who receives the data comes before who leads the monitoring, wherever each is written.
    (["统计局牵头组织开展年度监测。", "有关部门向县统计局报送年度监测数据。"], ("县统计局", "四（2）")),
    (["建立健全监测评估制度，开展中期评估。"], None),
])
def test_the_office_that_collects_the_data_is_read_from_the_plan(texts, found):
    office = find_office(office_kb(*texts), {"d"}, RECEIVER_RULES)
    assert ((office.name, office.citation) if office else None) == found


@pytest.mark.parametrize("level, office", [("县", "县妇儿工委办公室"), ("市", "市妇儿工委办公室")])
def test_the_coordinating_office_takes_the_plans_level(level, office):
    kb = office_kb("各级妇儿工委办公室负责具体工作。", level=level, kind="implementation")
    lines = instructions(kb, {"d"}, "标题")
    assert lines[-2:] == ["填好后按规划监测评估工作的安排，报送负责汇总年度监测数据的部门。", f"规划实施的具体工作由{office}负责（规划四（1））。"]


def test_unit_names_break_only_after_the_enumeration_comma():
    units = ["法院", "公安局", "司法局", "民政局", "卫健局", "妇联"]
    assert pack(units, 20) == "法院、公安局、\n司法局、民政局、\n卫健局、妇联"
    assert pack(["妇儿工委各成员单位"], 12) == "妇儿工委各成员单位"


def test_template_unknown_dept(runner, tmp_path):
    res = runner.invoke(cli, ["monitor", "template", "--dept", "火星局", "-o", str(tmp_path / "x.xlsx")])
    assert res.exit_code == 1 and "错误：未知部门“火星局”" in res.output and "Traceback" not in res.output


# -- round trip --------------------------------------------------------------------
def test_round_trip_template_fill_import_status(runner, tmp_path, data_dir):
    seed(runner, tmp_path, {(MMR, 2021): 14.5, (MMR, 2022): 13.0, (MMR, 2023): 11.5, (SCREEN, 2023): "65", (BREAST, 2022): 40, (BREAST, 2023): 42})
    res = runner.invoke(cli, ["monitor", "status", "--dept", "卫健局", "--json"])
    assert res.exit_code == 0, res.output
    rows = {r["indicator"]["id"]: r for r in json.loads(res.output)}
    mmr = rows[MMR]
    assert (mmr["status"], mmr["latest"], mmr["warnings"]) == ("已达标", {"year": 2023, "value": 11.5}, [])
    assert mmr["series"] == [{"year": 2021, "value": 14.5}, {"year": 2022, "value": 13}, {"year": 2023, "value": 11.5}]
    assert mmr["projection"]["year"] == 2030 and mmr["projection"]["slope"] == -1.5
    assert (rows[SCREEN]["status"], rows[SCREEN]["latest"]) == ("未达标", {"year": 2023, "value": 65})
    assert rows[BREAST]["status"] == "已达标"
    assert rows[f"{DOC}.2-1-g5.n1"]["status"] == "无数据"
    stored = {(o.indicator, o.year): (o.value, o.department, o.source) for o in km.open_monitor(data_dir).observations()}
    assert stored[(MMR, 2021)] == (14.5, "卫健局", "妇幼年报")
    assert len(stored) == 6
    text = runner.invoke(cli, ["monitor", "status", "--dept", "卫健局"]).output
    assert "已达标" in text and "≤12/10万" in text and "2023年 11.5/10万" in text


def test_reimport_replaces_year_and_keeps_history(runner, tmp_path, data_dir):
    seed(runner, tmp_path, {(MMR, 2021): 14.5, (MMR, 2022): 13.0})
    form = fill(make_form(runner, tmp_path), {(MMR, 2022): 12.8, (MMR, 2023): 12.1}, tmp_path / "again.xlsx")
    res = runner.invoke(cli, ["monitor", "import", str(form)])
    assert res.exit_code == 0, res.output
    assert "已导入 2 个数值（新增 1，替换 1）" in res.output
    mon = km.open_monitor(data_dir)
    assert mon.series(MMR) == [(2021, 14.5), (2022, 12.8), (2023, 12.1)]
    assert [(h["indicator"], h["year"], h["value"], h["batch"], h["replaced_by"]) for h in mon.history()] == [(MMR, 2022, 13.0, 1, 2)]
    res = runner.invoke(cli, ["monitor", "export", "--format", "json"])
    dumped = json.loads(res.output)
    assert [(v["year"], v["value"]) for v in dumped["values"]] == [(2021, 14.5), (2022, 12.8), (2023, 12.1)]
    assert [(h["year"], h["value"]) for h in dumped["history"]] == [(2022, 13.0)]
    assert [b["id"] for b in dumped["batches"]] == [1, 2]
    out = tmp_path / "backup.csv"
    assert runner.invoke(cli, ["monitor", "export", "--format", "csv", "-o", str(out)]).exit_code == 0
    lines = out.read_bytes().decode("utf-8-sig").splitlines()
    assert lines[0].startswith("类别,指标编号,指标名称,年份,数值")
    assert lines[1:] == [
        f"当前,{MMR},孕产妇死亡率,2021,14.5,卫健局,妇幼年报,,,,",
        f"当前,{MMR},孕产妇死亡率,2022,12.8,卫健局,妇幼年报,,,,",
        f"当前,{MMR},孕产妇死亡率,2023,12.1,卫健局,妇幼年报,,,,",
        f"历史,{MMR},孕产妇死亡率,2022,13,卫健局,妇幼年报,,1,2,{mon.history()[0]['replaced_at']}",
    ]


def test_csv_long_format_with_bom(runner, tmp_path, data_dir):
    path = tmp_path / "long.csv"
    path.write_bytes(("\ufeff" + ",".join(km.LONG_HEADER) + f"\n{SCREEN},2022,６８．５,卫健局,抽样调查,\n{SCREEN},2023年,71,,,估计\n").encode("utf-8"))
    res = runner.invoke(cli, ["monitor", "import", str(path)])
    assert res.exit_code == 0, res.output
    assert [(o.year, o.value, o.department, o.source, o.note) for o in km.open_monitor(data_dir).observations(SCREEN)] == [
        (2022, 68.5, "卫健局", "抽样调查", ""),
        (2023, 71.0, "", "", "估计"),
    ]


def test_store_is_wal(runner, tmp_path, data_dir):
    seed(runner, tmp_path, {(MMR, 2021): 14.5})
    conn = sqlite3.connect(data_dir / km.MONITOR_FILE)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


# -- all or nothing ------------------------------------------------------------------
def test_bad_rows_report_every_problem_and_import_nothing(runner, tmp_path, data_dir):
    seed(runner, tmp_path, {(MMR, 2021): 14.5})
    before = dump(data_dir)
    form = make_form(runner, tmp_path)
    wb = load_workbook(form)
    ws = wb[SHEET]
    ws["G3"], ws["H3"] = 13.9, "abc"  # 2021 fine, 2022 not a number
    ws["G4"] = 120  # 筛查率 120%
    ws["H4"] = -1
    ws["A5"], ws["G5"] = "zhenyuan-women-2021-2030.9-9-g9.n9", 50
    ws.append(["", "", "", "", "", "", 1])
    wb.save(form)
    res = runner.invoke(cli, ["monitor", "import", str(form)])
    assert res.exit_code == 1
    assert res.output.splitlines() == [
        "工作表“填报”第 3 行 H 列：“abc”不是数字",
        "工作表“填报”第 4 行 G 列：120% 不可能：不能超过 100%",
        "工作表“填报”第 4 行 H 列：-1% 不可能：数值不能为负",
        "工作表“填报”第 5 行 A 列：未知指标“zhenyuan-women-2021-2030.9-9-g9.n9”",
        f"工作表“填报”第 {ws.max_row} 行 A 列：缺少指标编号",
        "错误：导入失败：共 5 处问题，未导入任何数据",
    ]
    assert dump(data_dir) == before


def test_year_outside_plan(runner, tmp_path, data_dir, kb):
    path = tmp_path / "long.csv"
    path.write_text(",".join(km.LONG_HEADER) + f"\n{MMR},2020,15,,,\n{MMR},2031,10,,,\n{MMR},2024,12,,,\n{MMR},二〇二四,12,,,\n", encoding="utf-8")
    with pytest.raises(km.ImportRejected) as exc:
        km.import_file(kb, path, data_dir)
    assert exc.value.problems == [
        "工作表“long.csv”第 2 行 C 列：2020 年不在规划期 2021—2030 年内",
        "工作表“long.csv”第 3 行 C 列：2031 年不在规划期 2021—2030 年内",
        "工作表“long.csv”第 5 行 B 列：年份“二〇二四”不是整数年份",
    ]
    assert dump(data_dir) == []


def _not_xlsx(path):
    path.write_text("这不是表格", encoding="utf-8")


def _wrong_sheet(path):
    wb = load_workbook(path)
    wb[SHEET].title = "Sheet1"
    wb.save(path)


def _edited_header(path):
    wb = load_workbook(path)
    wb[SHEET]["C2"] = "目标值"
    wb[SHEET]["J2"] = "第四年"
    wb.save(path)


@pytest.mark.parametrize("spoil, problems", [
    (_not_xlsx, ["form.xlsx：不是有效的 xlsx 文件（BadZipFile）"]),
    (_wrong_sheet, ["form.xlsx：找不到工作表“填报”（现有：Sheet1、说明）"]),
    (_edited_header, ["工作表“填报”第 2 行 C 列：表头被修改：应为“目标”，实际为“目标值”", "工作表“填报”第 2 行 J 列：表头被修改：应为年份（如“2021年”），实际为“第四年”"]),
])
def test_bad_file_leaves_store_unchanged(runner, tmp_path, data_dir, spoil, problems):
    seed(runner, tmp_path, {(MMR, 2021): 14.5, (MMR, 2022): 13.0})
    before = dump(data_dir)
    form = fill(make_form(runner, tmp_path), {(MMR, 2022): 99})
    spoil(form)
    res = runner.invoke(cli, ["monitor", "import", str(form)])
    assert res.exit_code == 1
    assert res.output.splitlines()[:-1] == problems
    assert "Traceback" not in res.output
    assert dump(data_dir) == before


def test_killed_import_loses_nothing(runner, tmp_path, data_dir, kb):
    seed(runner, tmp_path, {(MMR, 2021): 14.5, (MMR, 2022): 13.0})
    before = dump(data_dir)
    # A large CSV: every indicator, every plan year, replacing the stored values too.
    from kb.indicators import extract

    lines = [",".join(km.LONG_HEADER)] + [f"{i.id},{y},{50 + y % 7},,," for i in extract(kb) for y in range(2021, 2031)]
    big = tmp_path / "big.csv"
    big.write_text("\n".join(lines), encoding="utf-8")
    started = tmp_path / "started"
    child = f"""
import sys, time
from kb import monitor as km
from kb.monitor import store
from kb.store import open_kb
real = store.write_row
def slow(conn, obs, batch, now):
    replaced = real(conn, obs, batch, now)
    open({str(started)!r}, "a").write("x")  # rows are in the open transaction
    time.sleep(0.05)
    return replaced
store.write_row = slow
km.import_file(open_kb({str(data_dir)!r}, {str(CORPUS)!r}), {str(big)!r}, {str(data_dir)!r})
"""
    proc = subprocess.Popen([sys.executable, "-c", child], cwd=REPO_ROOT)
    deadline = time.monotonic() + 60
    while (not started.exists() or len(started.read_text()) < 5) and time.monotonic() < deadline:
        assert proc.poll() is None, "the import finished before it could be killed"
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    conn = sqlite3.connect(data_dir / km.MONITOR_FILE)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    assert dump(data_dir) == before
    assert km.open_monitor(data_dir).series(MMR) == [(2021, 14.5), (2022, 13.0)]


def test_not_a_supported_file(runner, tmp_path, data_dir):
    path = tmp_path / "data.txt"
    path.write_text("x", encoding="utf-8")
    res = runner.invoke(cli, ["monitor", "import", str(path)])
    assert res.exit_code == 1 and res.output.splitlines()[0] == "data.txt：只能导入 .xlsx 或 .csv 文件"
    assert dump(data_dir) == []


def test_readonly_monitor_without_file_is_empty(tmp_path):
    mon = km.open_monitor(tmp_path, readonly=True)
    assert (mon.observations(), mon.history(), mon.all_series()) == ([], [], {})
    assert not (tmp_path / km.MONITOR_FILE).exists()


# -- status rules ----------------------------------------------------------------------
def ind(comparator=">=", value=70.0, unit="%", direction="up"):
    return Indicator("t.n1", "测试率", comparator, value, unit, direction, "t", [], "t")


@pytest.mark.parametrize("indicator, series, status, warnings", [
    (ind(), [], "无数据", []),
    (ind(), [(2023, 72)], "已达标", []),
    (ind(), [(2023, 69.9)], "未达标", []),
    (ind("<=", 12, "/10万", "down"), [(2022, 13), (2023, 12)], "已达标", []),
    (ind("<=", 12, "/10万", "down"), [(2023, 12.5)], "未达标", []),
    (ind("≈", 45, "%", None), [(2023, 43)], "已达标", []),  # within ±5 % of 45
    (ind("≈", 45, "%", None), [(2023, 42.5)], "未达标", []),
    (ind("=", 95, "%", "up"), [(2023, 96)], "已达标", []),
    (ind("=", 4, "%", "down"), [(2023, 4.5)], "未达标", []),
    # Met today, but the line through 2021–2023 falls below 70 % by 2030.
    (ind(), [(2021, 80), (2022, 78), (2023, 76)], "已达标", ["预警"]),
    # Not met today, but on course for 2030: no warning.
    (ind(), [(2021, 60), (2022, 62), (2023, 64)], "未达标", []),
    (ind("<=", 12, "/10万", "down"), [(2021, 16), (2022, 15.8), (2023, 15.6)], "未达标", ["预警"]),
    # A jump much larger than the other year-on-year changes.
    (ind(), [(2021, 71), (2022, 72), (2023, 85), (2024, 86)], "已达标", ["波动"]),
    (ind(), [(2021, 71), (2022, 72), (2023, 73), (2024, 74)], "已达标", []),
    # Qualitative: direction of the last two values; projection by the slope.
    (ind(None, None, "", "up"), [(2023, 40)], "无数据", []),
    (ind(None, None, "", "up"), [(2022, 40), (2023, 41)], "已达标", []),
    (ind(None, None, "", "down"), [(2022, 40), (2023, 41)], "未达标", []),
    (ind(None, None, "", "up"), [(2021, 44), (2022, 42), (2023, 43)], "已达标", ["预警"]),
])
def test_assess_rules(indicator, series, status, warnings):
    got = km.assess(indicator, series, 2030)
    assert (got["status"], got["warnings"]) == (status, warnings)


def test_projection_data_for_charts():
    got = km.assess(ind(), [(2021, 60), (2023, 64), (2022, 62)], 2030)
    assert got["series"] == [{"year": 2021, "value": 60}, {"year": 2022, "value": 62}, {"year": 2023, "value": 64}]
    assert {k: got["projection"][k] for k in ("year", "value", "slope")} == {"year": 2030, "value": 78.0, "slope": 2.0}
    assert got["projection"]["line"][0] == {"year": 2021, "value": 60.0}
    assert got["projection"]["line"][-1] == {"year": 2030, "value": 78.0}
    # A percentage projection stays within 0–100.
    assert km.assess(ind(), [(2021, 90), (2022, 95), (2023, 100)], 2030)["projection"]["value"] == 100.0


@pytest.mark.parametrize("series, years", [
    ([(2021, 50), (2022, 51), (2023, 60)], [2023]),
    ([(2021, 50), (2022, 51), (2023, 52)], []),
    ([(2021, 50), (2022, 50), (2023, 50.5)], []),  # a tiny change is not a fluctuation
    ([(2021, 50), (2022, 50), (2023, 56), (2024, 50)], [2023, 2024]),
    ([(2021, 15), (2022, 14), (2023, 13.5), (2024, 13.2)], []),  # a steady decline that slows down
    ([(2021, 50), (2022, 60), (2023, 61), (2024, 62)], [2022]),  # a rise that jumps, then crawls
])
def test_fluctuation_rule(series, years):
    assert assessment.fluctuations(series) == years


def test_status_uses_the_plan_end_year(kb, tmp_path):
    mon = km.open_monitor(tmp_path)
    mon.store([store.Observation(SCREEN, y, v) for y, v in ((2021, 80), (2022, 78), (2023, 76))])
    row = next(r for r in km.status(kb, mon, dept="卫健局") if r["indicator"]["id"] == SCREEN)
    assert row["projection"]["year"] == 2030 and row["warnings"] == ["预警"]
    assert get(kb, SCREEN).target_label == "≥70%"
    assert {r["indicator"]["domain"] for r in km.status(kb, mon, domain="妇女与教育")} == {"妇女与教育"}


# -- hostile forms and stored data (fault drills) ------------------------------------------
def _huge_dimension(tmp_path, runner):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = SHEET
    wb.active["A1"] = "指标编号"
    wb.active["XFD1048576"] = 1
    path = tmp_path / "huge.xlsx"
    wb.save(path)
    assert path.stat().st_size < 20_000
    return path, "表格过大"


def _zip_bomb(tmp_path, runner):
    import zipfile

    path = tmp_path / "bomb.xlsx"
    shutil_copy = make_form(runner, tmp_path).read_bytes()
    path.write_bytes(shutil_copy)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as z, z.open("xl/media/padding.bin", "w", force_zip64=True) as fh:
        block = bytes(2**20)
        for _ in range(importer.MAX_UNCOMPRESSED_BYTES // 2**20 + 5):
            fh.write(block)
    return path, "解压后过大"


def _date_cell(tmp_path, runner):
    import datetime

    return fill(make_form(runner, tmp_path), {(MMR, 2022): datetime.datetime(2022, 5, 1)}), "是日期或时间，不是数值"


def _huge_rate(tmp_path, runner):
    return fill(make_form(runner, tmp_path), {(MMR, 2022): 1e308}), "不能超过 100000/10万"


def _huge_percent(tmp_path, runner):
    return fill(make_form(runner, tmp_path), {(SCREEN, 2022): "1e308"}), "“1e308”不是数字"


def _infinite(tmp_path, runner):
    return fill(make_form(runner, tmp_path), {(SCREEN, 2022): "inf"}), "“inf”不是数字"


def _formula(tmp_path, runner):
    return fill(make_form(runner, tmp_path), {(MMR, 2022): "=10+2"}), "公式单元格"


@pytest.mark.parametrize("make", [_huge_dimension, _zip_bomb, _date_cell, _huge_rate, _huge_percent, _infinite, _formula], ids=lambda f: f.__name__.strip("_"))
def test_hostile_forms_are_refused_in_a_line(runner, tmp_path, data_dir, make):
    path, message = make(tmp_path, runner)
    res = runner.invoke(cli, ["monitor", "import", str(path)])
    assert res.exit_code == 1 and message in res.output, res.output
    assert "Traceback" not in res.output and (res.exception is None or isinstance(res.exception, SystemExit))
    assert dump(data_dir) == []


def test_many_bad_rows_give_the_first_problems_and_a_count(runner, tmp_path, data_dir):
    path = tmp_path / "bad.csv"
    lines = [",".join(km.LONG_HEADER)] + [f"不存在的指标{i},2022,1,,," for i in range(100_000)]
    path.write_text("\n".join(lines), encoding="utf-8")
    res = runner.invoke(cli, ["monitor", "import", str(path)])
    assert res.exit_code == 1
    out = res.output.splitlines()
    assert len(out) == importer.MAX_PROBLEMS + 2
    assert out[0] == "工作表“bad.csv”第 2 行 A 列：未知指标“不存在的指标0”"
    assert out[-2] == f"另有 {100_000 - importer.MAX_PROBLEMS} 处问题"
    assert out[-1] == "错误：导入失败：共 100000 处问题，未导入任何数据"
    assert dump(data_dir) == []


def _strict_json(text):
    def refuse(name):
        raise ValueError(name)

    return json.loads(text, parse_constant=refuse)


def test_stored_invalid_values_never_break_pages(runner, tmp_path, data_dir):
    from search_app import create_app

    seed(runner, tmp_path, {(MMR, 2021): 14.5, (MMR, 2022): 13.0, (SCREEN, 2022): 60})
    conn = sqlite3.connect(data_dir / km.MONITOR_FILE)
    with conn:
        conn.execute("UPDATE observation SET value=? WHERE indicator=? AND year=2022", (1e308, MMR))
        conn.execute("UPDATE observation SET value=? WHERE indicator=?", (float("-inf"), SCREEN))
    conn.close()
    client = create_app({"TESTING": True, "PLANKB_DATA": str(data_dir), "PLANKB_CORPUS": str(CORPUS), "PAGE_CACHE": False}).test_client()
    for url in ("/indicators", f"/indicators/{MMR}", f"/indicators/{SCREEN}", "/api/indicators", f"/api/indicators/{MMR}"):
        res = client.get(url)
        assert res.status_code == 200, url
        assert b"nan" not in res.data.lower() and b"infinity" not in res.data.lower(), url
        if url.startswith("/api/"):
            _strict_json(res.data)
    status = runner.invoke(cli, ["monitor", "status", "--json"])
    assert status.exit_code == 0
    rows = {r["indicator"]["id"]: r for r in _strict_json(status.output)}
    assert rows[MMR]["latest"]["value"] == 14.5 and rows[SCREEN]["latest"] is None


@pytest.fixture
def read_only(tmp_path):
    """A read-only bind mount of a folder (tests run as root, where chmod does not stop writes)."""
    mounts = []

    def mount(src):
        mnt = tmp_path / f"ro-{len(mounts)}"
        mnt.mkdir()
        for cmd in (["mount", "--bind", str(src), str(mnt)], ["mount", "-o", "remount,bind,ro", str(mnt)]):
            done = subprocess.run(cmd, capture_output=True)
            if done.returncode != 0:
                subprocess.run(["umount", "-l", str(mnt)], capture_output=True)
                if os.environ.get("CI") == "true":
                    pytest.fail(f"cannot make a read-only mount: {done.stderr.decode().strip()}")
                pytest.skip("a read-only bind mount needs root")
        mounts.append(mnt)
        assert not os.access(mnt, os.W_OK)
        return mnt

    yield mount
    for mnt in mounts:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_read_only_data_dir_serves_indicators(runner, tmp_path, data_dir, read_only):
    from search_app import create_app

    seed(runner, tmp_path, {(MMR, 2021): 14.5, (MMR, 2022): 11.0})
    ro = read_only(data_dir)
    with pytest.raises(OSError):
        (ro / "probe").write_text("x")
    client = create_app({"TESTING": True, "PLANKB_DATA": str(ro), "PLANKB_CORPUS": str(CORPUS), "PAGE_CACHE": False}).test_client()
    res = client.get("/indicators")
    assert res.status_code == 200
    api = client.get(f"/api/indicators/{MMR}").get_json()
    assert json.dumps(api, ensure_ascii=False).count("11") >= 1
    status = runner.invoke(cli, ["monitor", "status", "--json", "--data", str(ro)])
    assert status.exit_code == 0, status.output
    rows = {r["indicator"]["id"]: r for r in json.loads(status.output)}
    assert rows[MMR]["latest"] == {"year": 2022, "value": 11.0} or rows[MMR]["latest"]["value"] == 11.0


def test_unread_wal_beside_a_read_only_store_is_reported(runner, tmp_path, data_dir, read_only):
    import shutil

    seed(runner, tmp_path, {(MMR, 2021): 14.5, (MMR, 2022): 13.0})
    # A copy of the data dir taken while a writer still held a value in the WAL (a backup, a crash).
    live = tmp_path / "live"
    shutil.copytree(data_dir, live)
    conn = sqlite3.connect(live / km.MONITOR_FILE, isolation_level=None)
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("UPDATE observation SET value=11.9 WHERE indicator=? AND year=2022", (MMR,))
    shutil.copytree(live, tmp_path / "snapshot")
    conn.close()
    wal = tmp_path / "snapshot" / f"{km.MONITOR_FILE}-wal"
    assert wal.stat().st_size > 0
    ro = read_only(tmp_path / "snapshot")
    res = runner.invoke(cli, ["monitor", "status", "--json", "--data", str(ro)])
    assert res.exit_code == 0, res.output
    assert res.stderr.splitlines() == [
        f"警告：数据目录只读，监测数据库旁的 monitor.sqlite-wal（{wal.stat().st_size} 字节）中还有未合并的数值，这里没有读入；"
        "数据目录可写后再查看即可读到全部数值"
    ]
    rows = {r["indicator"]["id"]: r for r in json.loads(res.stdout)}
    assert rows[MMR]["latest"] == {"year": 2022, "value": 13}  # the database file alone, as the warning says
    backup = runner.invoke(cli, ["monitor", "export", "--data", str(ro)])
    assert backup.exit_code == 0 and backup.stderr.startswith("警告：数据目录只读") and json.loads(backup.stdout)["values"]
    from search_app import create_app

    client = create_app({"TESTING": True, "PLANKB_DATA": str(ro), "PLANKB_CORPUS": str(CORPUS), "PAGE_CACHE": False}).test_client()
    page = client.get("/indicators").get_data(as_text=True)
    assert "监测数据库旁的 monitor.sqlite-wal" in page and "未合并的数值" in page
    # Without a WAL, no banner and no warning.
    plain = runner.invoke(cli, ["monitor", "status", "--json", "--data", str(read_only(data_dir))])
    assert plain.exit_code == 0 and plain.stderr == ""


def test_control_characters_stored_earlier_are_never_shown(runner, tmp_path, data_dir):
    from search_app import create_app

    seed(runner, tmp_path, {(MMR, 2021): 14.5})
    conn = sqlite3.connect(data_dir / km.MONITOR_FILE, isolation_level=None)
    conn.execute("UPDATE observation SET note=?, source=? WHERE indicator=?", ("\u202e已核实\x7f", "年报\x1b[31m", MMR))
    conn.close()
    assert [(o.note, o.source) for o in km.open_monitor(data_dir, readonly=True).observations(MMR)] == [("已核实", "年报[31m")]
    client = create_app({"TESTING": True, "PLANKB_DATA": str(data_dir), "PLANKB_CORPUS": str(CORPUS), "PAGE_CACHE": False}).test_client()
    for url in (f"/indicators/{MMR}", f"/api/indicators/{MMR}"):
        body = client.get(url).get_data(as_text=True)
        assert "已核实" in body and not any(ch in body for ch in "\u202e\x7f\x1b"), url
    backup = runner.invoke(cli, ["monitor", "export", "--format", "csv"])
    assert "已核实" in backup.output and "\u202e" not in backup.output
