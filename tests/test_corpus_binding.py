"""A data dir bound to its corpus, a bare plan folder, and a command line that never surprises.

Every command runs as a user runs it: ``python -m kb`` in a subprocess, from another working
directory, with --data, with PLANKB_DATA, or with neither.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest

from kb.terminal import display_width
from tests.helpers import CORPUS, ROOT, SEED

PROVINCE = ROOT / "tests" / "fixtures" / "province-children-plan.txt"


def plankb(*args, cwd, env=None, input=None):
    """Run the CLI as a user would; returns (exit code, stdout, stderr)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("PLANKB_")}
    full_env.update(env or {})
    full_env["PYTHONPATH"] = str(ROOT)
    p = subprocess.run([sys.executable, "-m", "kb", *map(str, args)], cwd=cwd, env=full_env, capture_output=True, text=True, input=input, timeout=300)
    return p.returncode, p.stdout, p.stderr


def live(data):
    """The live generation's name and the mtime of its KB: unchanged means nothing was rebuilt."""
    name = (data / "CURRENT").read_text(encoding="utf-8").strip()
    return name, (data / name / "kb.json").stat().st_mtime_ns


@pytest.fixture(scope="module")
def bare(tmp_path_factory):
    """A folder holding one plan file and nothing else, built into a data dir of its own."""
    root = tmp_path_factory.mktemp("bare")
    mine = root / "mine"
    mine.mkdir()
    shutil.copyfile(SEED, mine / "本县规划.txt")
    elsewhere = root / "elsewhere"
    elsewhere.mkdir()
    code, out, err = plankb("build", "--corpus", mine, "--data", root / "mydata", cwd=elsewhere)
    assert code == 0, err
    assert "警告 0 条" in out
    return root, mine, root / "mydata", elsewhere


def test_bare_folder_builds_without_a_registry(bare):
    root, mine, data, elsewhere = bare
    code, out, err = plankb("export", "--data", data, cwd=elsewhere)
    assert code == 0, err
    exported = json.loads(out)
    assert [d["source"] for d in exported["documents"]] == ["本县规划.txt"]
    assert len(exported["clauses"]) == 192
    assert sum(1 for c in exported["clauses"] if c["departments"]) == 164


@pytest.mark.parametrize(
    "args",
    [
        ("export",),
        ("search", "妇联", "--json"),
        ("duties", "卫健局", "--format", "json"),
        ("departments", "--json"),
        ("indicators", "--format", "json"),
        ("monitor", "status", "--json"),
    ],
)
@pytest.mark.parametrize("how", ["flag", "env", "relative"])
def test_read_commands_use_the_data_dirs_own_corpus(bare, args, how):
    root, mine, data, elsewhere = bare
    before = live(data)
    if how == "flag":
        code, out, err = plankb(*args, "--data", data, cwd=ROOT)
    elif how == "env":
        code, out, err = plankb(*args, cwd=ROOT, env={"PLANKB_DATA": str(data)})
    else:
        code, out, err = plankb(*args, "--data", "mydata", cwd=root)
    assert code == 0, err
    assert "重新构建" not in err
    assert live(data) == before
    assert "zhenyuan-women-2021-2030" not in out  # the checkout's corpus/ was never read


def test_another_corpus_is_refused_not_rebuilt(bare):
    root, mine, data, elsewhere = bare
    before = live(data)
    code, out, err = plankb("search", "妇联", "--data", data, "--corpus", CORPUS, cwd=elsewhere)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and str(mine) in err and str(CORPUS) in err
    code, out, err = plankb("build", "--data", data, "--corpus", CORPUS, cwd=elsewhere)
    # --replace would replace another folder's knowledge base: not suggested; its own data dir is.
    assert code == 1 and "--replace" not in err and f"{CORPUS} 的数据目录是 " in err
    assert live(data) == before


def test_a_stale_data_dir_rebuilds_from_its_own_corpus(bare, tmp_path):
    root, mine, data, elsewhere = bare
    copy = tmp_path / "mine"
    shutil.copytree(mine, copy)
    code, out, err = plankb("build", "--corpus", copy, "--data", tmp_path / "d", cwd=elsewhere)
    assert code == 0, err
    (copy / "省规划.txt").write_text(PROVINCE.read_text(encoding="utf-8"), encoding="utf-8")
    code, out, err = plankb("departments", "--json", "--data", tmp_path / "d", cwd=elsewhere)
    assert code == 0 and "规划文件有增删" in err
    assert "省妇联" in [r["department"] for r in json.loads(out)]


def test_build_without_data_writes_into_the_folders_own_data_dir(tmp_path):
    folder = tmp_path / "county" / "plans"
    folder.mkdir(parents=True)
    shutil.copyfile(SEED, folder / "plan.txt")
    checkout_data = ROOT / "data"
    before = live(checkout_data) if (checkout_data / "CURRENT").exists() else None
    code, out, err = plankb("build", "--corpus", folder, cwd=tmp_path)
    assert code == 0, err
    assert (folder / ".plankb" / "CURRENT").exists()
    assert err.splitlines()[0] == f"规划文件夹 {folder}，数据目录 {folder / '.plankb'}"
    after = live(checkout_data) if (checkout_data / "CURRENT").exists() else None
    assert after == before
    code, out, err = plankb("search", "宫颈癌", "--corpus", folder, cwd=tmp_path)
    assert code == 0 and "宫颈癌" in out


def test_a_data_dir_that_does_not_exist_is_not_created(bare):
    root, mine, data, elsewhere = bare
    for args in (("search", "妇联"), ("export",), ("monitor", "status")):
        code, out, err = plankb(*args, "--data", root / "mydta", cwd=elsewhere)
        assert code == 1 and "不存在" in err and "Traceback" not in err
    assert not (root / "mydta").exists()


def test_monitoring_values_survive_however_the_data_dir_is_named(bare):
    root, mine, data, elsewhere = bare
    code, out, err = plankb("indicators", "--format", "json", "--data", data, cwd=elsewhere)
    target = next(i for i in json.loads(out) if i["name"] == "孕产妇死亡率")
    form = elsewhere / "values.csv"
    form.write_text(f"指标编号,年份,数值,填报单位,数据来源,备注\n{target['id']},2022,10.5,卫健局,年报,\n", encoding="utf-8")
    code, out, err = plankb("monitor", "import", form, "--data", data, cwd=elsewhere)
    assert code == 0, err
    for how in ({"args": ("--data", data), "cwd": elsewhere}, {"args": (), "cwd": ROOT, "env": {"PLANKB_DATA": str(data)}}, {"args": ("--data", "mydata"), "cwd": root}):
        code, out, err = plankb("monitor", "status", "--json", *how["args"], cwd=how["cwd"], env=how.get("env"))
        assert code == 0, err
        row = next(r for r in json.loads(out) if r["indicator"]["id"] == target["id"])
        assert row["latest"]["value"] == 10.5


def test_build_exits_1_when_a_file_could_not_be_read(tmp_path):
    folder = tmp_path / "plans"
    folder.mkdir()
    shutil.copyfile(SEED, folder / "good.txt")
    (folder / "broken.txt").write_bytes(b"%PDF-1.4 not really")
    code, out, err = plankb("build", "--corpus", folder, "--data", tmp_path / "d", cwd=tmp_path)
    assert code == 1
    assert "broken.txt" in err and "1 个文件未能读取" in err
    assert "1 个规划" in out  # the good plan was built all the same


def test_check_skips_the_corpus_data_files(tmp_path):
    code, out, err = plankb("check", *sorted(CORPUS.iterdir()), cwd=tmp_path)
    assert code == 0, err
    assert err.count("数据文件，不是规划，已跳过") == len([p for p in CORPUS.iterdir() if p.suffix != ".txt" or p.name in ("synonyms.txt", "userdict.txt")])
    assert "镇原县妇女发展规划" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (("search", "x", "--limit", "-1"), "--limit 应是 ≥ 0 的整数"),
        (("search", "x", "--page", "0"), "--page 应是 ≥ 1 的整数"),
        (("duties", "妇联", "--format", "pdf"), "--format 只能是"),
        (("search", "x", "--bogus"), "没有 --bogus 这个选项"),
        (("nonsense",), "没有 nonsense 这个命令"),
        (("search", ""), "请给出检索词"),
        (("search", "   "), "请给出检索词"),
    ],
)
def test_usage_errors_are_one_chinese_line(bare, args, message):
    root, mine, data, elsewhere = bare
    code, out, err = plankb(*args, "--data", data, cwd=elsewhere) if args[0] != "nonsense" else plankb(*args, cwd=elsewhere)
    assert code == 1 and out == ""
    assert err.startswith("错误：") and message in err and err.count("\n") == 1
    assert "Error" not in err and "Usage" not in err


def test_search_says_what_is_shown_of_how_many(bare):
    root, mine, data, elsewhere = bare
    code, out, err = plankb("search", "妇联", "--data", data, cwd=elsewhere)
    assert code == 0 and "显示第 1–10 条，共 71 条；--page 2 或 --limit 0 查看更多" in out
    code, out, err = plankb("search", "妇联", "--page", "8", "--data", data, cwd=elsewhere)
    assert "显示第 71–71 条，共 71 条" in out and "查看更多" not in out


def test_piping_into_head_ends_quietly(bare):
    root, mine, data, elsewhere = bare
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANKB_")}
    env["PYTHONPATH"] = str(ROOT)
    p = subprocess.run(f"'{sys.executable}' -m kb export --data '{data}' | head -c 10", shell=True, cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)
    assert p.stderr == f"规划文件夹 {mine}，数据目录 {data}\n" and p.stdout.startswith("{")  # only the line naming what it used
    p = subprocess.run(f"set -o pipefail; '{sys.executable}' -m kb search 妇联 --limit 0 --data '{data}' | head -n 2", shell=True, executable="/bin/bash", cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and p.stderr == f"规划文件夹 {mine}，数据目录 {data}\n"


def test_terminal_tables_align_by_display_width(bare):
    root, mine, data, elsewhere = bare
    code, out, err = plankb("departments", "--data", data, cwd=elsewhere)
    lines = out.splitlines()
    # The first count column ends at the same display column on every line, header included.
    ends = {display_width(line[: line.index(line.split()[1]) + len(line.split()[1])]) for line in lines}
    assert len(ends) == 1, lines[:5]
    code, out, err = plankb("indicators", "--data", data, cwd=elsewhere)
    code, js, err = plankb("indicators", "--format", "json", "--data", data, cwd=elsewhere)
    names = {i["id"]: i["name"] for i in json.loads(js)}
    rows = [line for line in out.splitlines() if line.split()[-1] in names]
    assert len(rows) == len(names)
    # The name column starts at the same display column whatever the width of the target before it.
    assert {display_width(line[: line.index(names[line.split()[-1]])]) for line in rows} == {16}


def test_install_prints_no_package_data_warnings(tmp_path):
    p = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-2000:]
    assert "is absent from the `packages` configuration" not in p.stdout + p.stderr
    import zipfile

    names = zipfile.ZipFile(next(tmp_path.glob("*.whl"))).namelist()
    assert "kb/units_builtin.toml" in names and any(n.startswith("search_app/templates/") for n in names)


def test_serve_with_data_only_serves_the_folders_plans(bare):
    import socket
    import time
    import urllib.request

    root, mine, data, elsewhere = bare
    before = live(data)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANKB_")}
    env.update(PYTHONPATH=str(ROOT), PLANKB_DATA=str(data))
    proc = subprocess.Popen([sys.executable, "-m", "kb", "serve", "--port", str(port)], cwd=elsewhere, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        body = None
        for _ in range(200):
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/api/documents", timeout=2).read().decode("utf-8")
                break
            except OSError:
                time.sleep(0.1)
        assert body is not None, "the server did not answer"
        assert "本县规划.txt" in body and "zhenyuan-women-2021-2030.txt" not in body
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert live(data) == before
    assert "重新构建" not in proc.stderr.read()
