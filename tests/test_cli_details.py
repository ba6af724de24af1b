"""Small things a new user meets at the command line: bare plankb, empty folders, -o paths, columns, leads."""

import io
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from kb.cli import cli
from kb.sources import PLAN_SUFFIXES
from tests.helpers import CORPUS

FIXTURES = CORPUS.parent / "tests" / "fixtures" / "reader"


def plankb(*args):
    return subprocess.run([sys.executable, "-m", "kb", *args], capture_output=True, text=True, timeout=120)


def test_bare_plankb_prints_help():
    result = plankb()
    assert result.returncode == 0 and result.stderr == ""
    assert "plankb：规划文本知识库" in result.stdout and "build" in result.stdout and "错误" not in result.stdout


def test_an_empty_folder_names_every_readable_format_and_leaves_nothing(tmp_path):
    (tmp_path / "我县规划").mkdir()
    args = ["build", "--corpus", str(tmp_path / "我县规划"), "--data", str(tmp_path / "data")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    message = result.output.strip()
    assert message.count("\n") == 0 and "没有规划文件" in message
    assert all(suffix in message for suffix in PLAN_SUFFIXES)
    assert not (tmp_path / "data").exists()


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    """Two county plans of the fixtures: sub-items with a lead unit, goals with targets and no units."""
    root = tmp_path_factory.mktemp("details")
    corpus = root / "plans"
    corpus.mkdir()
    shutil.copyfile(FIXTURES / "county-subitems.txt", corpus / "county-subitems.txt")
    (corpus / "goals-untagged.txt").write_text(
        "柳溪县儿童发展规划（2021—2030年）\n一、儿童与健康\n主要目标：\n1.婴儿死亡率控制在4‰以下。\n2.儿童龋患率控制在25%以内。\n"
        "策略措施：\n1.加强儿童保健门诊建设。（卫健局）\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["build", "--corpus", str(corpus), "--data", str(root / "data")])
    assert result.exit_code == 0, result.output
    return ["--corpus", str(corpus), "--data", str(root / "data")]


def test_output_into_a_missing_folder_is_one_line_and_creates_nothing(plans, tmp_path):
    target = tmp_path / "nonexistent" / "dir" / "x.xlsx"
    result = CliRunner().invoke(cli, ["duties", "卫健局", "--format", "xlsx", "-o", str(target), *plans])
    assert result.exit_code == 1
    assert result.output.strip() == f"错误：{target}: 无法写入（文件夹 {target.parent} 不存在）"
    assert not (tmp_path / "nonexistent").exists()


def test_departments_table_has_the_lead_in_text_column(data_dir):
    result = CliRunner().invoke(cli, ["departments", "--data", str(data_dir), "--corpus", str(CORPUS)])
    lines = result.output.splitlines()
    assert lines[0].split() == ["部门", "目标", "措施", "文中牵头", "共同", "提及", "全称"]
    stats = next(line.split() for line in lines if line.startswith("统计局"))
    # one tagged measure (2-3 m12), …由统计局牵头 in 四（一） and 四（二），
    # and the group 妇儿工委各成员单位 twelve times
    assert stats == ["统计局", "0", "1", "2", "12", "0", "统计局"]


def test_search_marks_the_lead_unit(plans):
    result = CliRunner().invoke(cli, ["search", "溺水", *plans])
    assert result.exit_code == 0
    assert "责任单位：应急管理局（牵头）、教育局、水务局" in result.output


def test_serial_number_cells_are_text(plans, tmp_path):
    from openpyxl import load_workbook

    target = tmp_path / "卫健局.xlsx"
    assert CliRunner().invoke(cli, ["duties", "卫健局", "--format", "xlsx", "-o", str(target), *plans]).exit_code == 0
    ws = load_workbook(io.BytesIO(target.read_bytes())).worksheets[0]
    header_row = next(r for r in ws.iter_rows(values_only=True) if r[0] == "序号")
    serials = [r[0] for r in ws.iter_rows(min_row=3, values_only=True) if r[0] and r[0] != "序号"]
    assert header_row[0] == "序号" and serials[:3] == ["1", "2", "3"]


def test_monitor_template_says_why_a_department_has_no_indicators(plans, tmp_path):
    result = CliRunner().invoke(cli, ["monitor", "template", "--dept", "卫健局", "--doc", "goals-untagged",
                                      "-o", str(tmp_path / "t.xlsx"), *plans])
    assert result.exit_code == 1
    assert result.output.strip() == ("错误：没有可填报的指标（卫健局）：规划中有 2 个指标所在的目标和措施"
                                     "没有标注责任单位，无法分到部门；去掉 --dept 可生成全部指标的填报表")
