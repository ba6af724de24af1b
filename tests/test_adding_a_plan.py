"""The README's "Adding a plan" steps, followed literally in a fresh clone: from the checkout's root
and from another directory, each command's exit code checked, and the checkout's own knowledge base
(`data/`, built from `corpus/` as `scripts/run` does) left untouched.

The clone is of the committed checkout. Its `.venv/bin/plankb` runs this interpreter (which has the
dependencies and the `plankb.commands` entry points installed) on the clone's own source, standing in
for the venv `scripts/run` creates.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import ROOT

FIXTURE = ROOT / "tests" / "fixtures" / "reader" / "county-children.txt"
PLAN = "某县儿童发展规划.docx"


def readme_steps() -> list[str]:
    """The command lines of the README's "Adding a plan" block, comments dropped."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Adding a plan", 1)[1]
    block = section.split("```", 2)[1]
    return [re.sub(r"\s+#.*$", "", line).strip() for line in block.strip().splitlines() if line.strip()]


def make_docx(path: Path):
    """The county's children's plan as a Word file, a paragraph per line."""
    import docx

    d = docx.Document()
    for line in FIXTURE.read_text(encoding="utf-8").splitlines():
        d.add_paragraph(line)
    d.save(str(path))


def live(data: Path):
    name = (data / "CURRENT").read_text(encoding="utf-8").strip()
    return name, (data / name / "kb.json").stat().st_mtime_ns


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    base = tmp_path_factory.mktemp("fresh")
    checkout = base / "plankb"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(checkout)], check=True, timeout=120)
    venv_bin = checkout / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    (venv_bin / "plankb").write_text(f'#!/bin/sh\nPYTHONPATH="{checkout}" exec "{sys.executable}" -m kb "$@"\n', encoding="utf-8")
    (venv_bin / "plankb").chmod(0o755)
    (base / "下载").mkdir()
    make_docx(base / "下载" / PLAN)
    return base, checkout


def env_for(base: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANKB_") and k != "PYTHONPATH"}
    env["HOME"] = str(base)  # ~/下载 is where the README's plan comes from
    return env


def run_step(line: str, cwd: Path, env: dict, plankb: str, port: int):
    """One README line as a shell runs it, with `.venv/bin/plankb` pointing at the clone."""
    line = line.replace(".venv/bin/plankb", plankb)
    if " serve " in f"{line} ":
        return serve_step(line + f" --port {port}", cwd, env, port)
    p = subprocess.run(["/bin/bash", "-c", line], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    return p.returncode, p.stdout, p.stderr


def serve_step(line: str, cwd: Path, env: dict, port: int):
    proc = subprocess.Popen(["/bin/bash", "-c", f"exec {line}"], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    body = None
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as resp:
                    body = json.loads(resp.read())
                if body.get("documents") == 1 and not body.get("updating"):
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.3)
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    return (0 if body and body["documents"] == 1 else 1), out, err


@pytest.mark.slow
@pytest.mark.parametrize("where", ["checkout", "elsewhere"])
def test_the_readme_steps_work_as_written(clone, where):
    base, checkout = clone
    env = env_for(base)
    own = checkout / "data"
    code = subprocess.run([str(checkout / ".venv" / "bin" / "plankb"), "build"], cwd=checkout, env=env, capture_output=True, text=True, timeout=600)
    assert code.returncode == 0, code.stderr  # what scripts/run does first
    before = live(own)
    cwd = checkout if where == "checkout" else base / "elsewhere"
    cwd.mkdir(exist_ok=True)
    plankb = ".venv/bin/plankb" if where == "checkout" else str(checkout / ".venv" / "bin" / "plankb")
    steps = readme_steps()
    assert steps[0].startswith("mkdir 我县规划 && cp ~/下载/") and [s.split()[1] for s in steps[1:]] == ["check", "build", "search", "serve"]
    for line in steps:
        code, out, err = run_step(line, cwd, env, plankb, free_port())
        assert code == 0, (line, err)
        if " build " in line:
            assert err.splitlines()[0] == "规划文件夹 我县规划，数据目录 我县规划/.plankb", err
        if " search " in line:
            assert "近视" in out and "教育局" in out
    folder = cwd / "我县规划"
    assert (folder / ".plankb" / "CURRENT").exists()
    assert json.loads((folder / ".plankb" / "corpus.json").read_text(encoding="utf-8")) == {"corpus": str(folder.resolve())}
    # The checkout's own knowledge base: the same generation, still bound to corpus/.
    assert live(own) == before
    assert json.loads((own / "corpus.json").read_text(encoding="utf-8")) == {"corpus": str((checkout / "corpus").resolve())}
    code, out, err = run_step(".venv/bin/plankb search 近视 --corpus 我县规划 --data data", cwd=checkout, env=env, plankb=str(checkout / ".venv" / "bin" / "plankb"), port=0)
    assert code == 1 and "--replace" not in err and err.count("\n") == 1  # another folder's data dir: refused, never replaced
