"""The plankb command line (CliRunner): build, check, departments, export, duties, search."""

import csv
import io
import json

import pytest
from click.testing import CliRunner

from kb.cli import cli
from tests.helpers import CORPUS, SEED, seed_text


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli") / "data"
    result = CliRunner().invoke(cli, ["build", "--data", str(d), "--corpus", str(CORPUS)])
    assert result.exit_code == 0, result.output
    assert "主要目标 73 · 策略措施 91 · 基本原则 5 · 组织实施 11 · 监测评估 5 · 正文 7" in result.output
    assert "警告 0 条" in result.output
    return d


def run(data, *args, input=None):
    return CliRunner().invoke(cli, [*args, "--data", str(data), "--corpus", str(CORPUS)], input=input)


def test_build_skips_when_nothing_changed(data):
    result = run(data, "build")
    assert result.exit_code == 0 and "无需重建" in result.output


def test_data_dir_from_environment(data, monkeypatch):
    monkeypatch.setenv("PLANKB_DATA", str(data))
    monkeypatch.setenv("PLANKB_CORPUS", str(CORPUS))
    result = CliRunner().invoke(cli, ["search", "宫颈癌", "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["total"] == 3


def test_export_contract(data):
    result = run(data, "export", "--format", "json")
    assert result.exit_code == 0
    out = json.loads(result.output)
    assert out["documents"][0]["title"] == "镇原县妇女发展规划（2021—2030年）"
    kinds = {}
    for c in out["clauses"]:
        kinds[c["kind"]] = kinds.get(c["kind"], 0) + 1
        assert c["doc"] == "zhenyuan-women-2021-2030"
    assert kinds == {"text": 7, "principle": 5, "goal": 73, "measure": 91, "implementation": 11, "monitoring": 5}
    goal = next(c for c in out["clauses"] if c["citation"] == "二（一）主要目标 第3条")
    assert goal["domain"] == "妇女与健康" and goal["number"] == 3 and goal["departments"] == ["卫健局"]
    assert goal["text"].endswith("乳腺癌人群筛查率逐步提高。")


def test_export_to_file(data, tmp_path):
    result = run(data, "export", "-o", str(tmp_path / "kb.json"))
    assert result.exit_code == 0
    assert len(json.loads((tmp_path / "kb.json").read_text(encoding="utf-8"))["clauses"]) == 192


def test_duties_json(data):
    out = json.loads(run(data, "duties", "卫健局", "--format", "json").output)
    assert (out["department"], len(out["assigned"]), len(out["shared"]), len(out["mentioned"])) == ("卫健局", 25, 12, 0)
    alias = run(data, "duties", "人力资源和社会保障局", "--format", "json").output
    assert alias == run(data, "duties", "人社局", "--format", "json").output
    rural = json.loads(run(data, "duties", "乡村振兴局", "--format", "json").output)
    assert any(c["departments_raw"] == "人社局、农业农村局、扶贫办、妇联" for c in rural["assigned"])
    stats = json.loads(run(data, "duties", "统计局", "--format", "json").output)
    assert [c["citation"] for c in stats["lead_in_text"]] == ["四（一）", "四（二）"]


def test_duties_csv_opens_in_excel(data):
    result = CliRunner().invoke(cli, ["duties", "妇联", "--format", "csv", "--data", str(data), "--corpus", str(CORPUS)])
    raw = result.stdout_bytes
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:6] == ["序号", "领域", "类别", "编号", "内容", "责任单位"]
    assert len(rows) == 1 + 3 + 59 + 12 + 0  # 共同职责 (三（四）, 三（五）, 四（一）) first
    assert {r[rows[0].index("分组")] for r in rows[1:4]} == {"共同职责"}


def test_duties_markdown_and_binary_formats(data, tmp_path):
    md = run(data, "duties", "统计局").output
    assert "## 本部门承担（1 条）" in md and "## 文中牵头（2 条）" in md
    for fmt in ("xlsx", "docx"):
        target = tmp_path / f"duties.{fmt}"
        result = run(data, "duties", "卫健局", "--format", fmt, "-o", str(target))
        assert result.exit_code == 0 and target.read_bytes()[:2] == b"PK"


def test_unknown_department_suggests(data):
    result = run(data, "duties", "人事局")
    assert result.exit_code == 1
    assert "未知部门“人事局”" in result.output and "人社局" in result.output
    assert "Traceback" not in result.output


def test_departments_table_and_json(data):
    table = run(data, "departments").output
    assert "卫健局" in table and "统计局" in table
    rows = json.loads(run(data, "departments", "--json").output)
    assert len(rows) == 32
    health = next(r for r in rows if r["department"] == "卫健局")
    assert (health["goals"], health["measures"], health["shared"], health["mentioned"]) == (10, 15, 12, 0)


def test_search_json_contract_and_limit_zero(data):
    out = json.loads(run(data, "search", "妇联负责哪些措施", "--json", "--limit", "0").output)
    assert set(out) >= {"query", "interpreted", "total", "hits", "facets"}
    assert out["total"] == len(out["hits"]) == 40
    assert out["interpreted"]["departments"] == ["妇联"] and out["interpreted"]["kinds"] == ["measure"]
    assert {h["match"] for h in out["hits"]} == {"assigned"}


def test_search_readable_output(data):
    out = run(data, "search", "宫颈癌", "--kind", "goal").output
    assert "共 1 条" in out and "二（一）主要目标 第3条" in out and "【宫颈癌】" in out


def test_search_unknown_dept_option(data):
    result = run(data, "search", "宫颈癌", "--dept", "火星局")
    assert result.exit_code == 1 and "未知部门" in result.output


# -- check ---------------------------------------------------------------------------
def test_check_reports_structure(data, tmp_path):
    result = CliRunner().invoke(cli, ["check", str(SEED)])
    assert result.exit_code == 0
    assert "格式 txt，编码 utf-8" in result.output
    assert "（一） 妇女与健康。" in result.output or "（一）妇女与健康。" in result.output
    assert "主要目标 9 · 策略措施 12" in result.output
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes(seed_text().encode("gbk"))
    result = CliRunner().invoke(cli, ["check", str(gbk), "--json"])
    assert result.exit_code == 0 and json.loads(result.output)[0]["encoding"] == "gb18030"


@pytest.mark.parametrize(
    "name,content,reason",
    [
        ("empty.txt", b"", "文件是空的"),
        ("binary.txt", bytes(range(256)) * 8, "二进制"),
        ("notes.txt", "会议纪要\n大家发言积极。\n".encode(), "不是规划文本"),
        ("scan.txt", b"%PDF-1.4 ...", "PDF"),
    ],
)
def test_check_bad_input(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code == 1
    assert reason in result.output and str(path) in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_check_truncated_plan_warns(tmp_path):
    path = tmp_path / "cut.txt"
    text = seed_text()
    path.write_text(text[: text.index("保障偏远地区和少数民族聚居地女童")], encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code == 0
    assert "没有责任单位标签" in result.output and f"{path}:" in result.output


def test_check_missing_file(tmp_path):
    result = CliRunner().invoke(cli, ["check", str(tmp_path / "nope.txt")])
    assert result.exit_code == 1 and "无法读取" in result.output


def test_build_with_only_bad_files_fails(tmp_path):
    from tests.helpers import make_corpus

    corpus = make_corpus(tmp_path / "corpus", {"empty.txt": b""})
    result = CliRunner().invoke(cli, ["build", "--corpus", str(corpus), "--data", str(tmp_path / "data")])
    assert result.exit_code == 1 and "没有可用的规划" in result.output and "文件是空的" in result.output
