"""The Word duty list of a chaptered plan numbers its sections as the plan does, rendered by LibreOffice."""

import os
import re
import shutil
import subprocess

import pytest

from kb import exports
from kb.store import build, open_kb
from tests.helpers import CORPUS, require_tool

PLAN = CORPUS.parent / "tests" / "fixtures" / "reader" / "county-chaptered.txt"


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    root = tmp_path_factory.mktemp("chaptered")
    (root / "plans").mkdir()
    shutil.copyfile(PLAN, root / "plans" / PLAN.name)
    build(root / "plans", root / "data")
    return open_kb(root / "data")


def test_section_headings_and_citations_follow_the_plans_numbering(kb):
    clauses = kb.duties("卫健局")["assigned"]
    assert [(exports.section_heading(c), c.citation) for c in clauses] == [
        ("第二章第一节　儿童与健康", "第二章第一节主要目标 第1条"),
        ("第二章第一节　儿童与健康", "第二章第一节策略措施 第1条"),
        ("第二章第二节　儿童与教育", "第二章第二节策略措施 第2条"),
        # rows of the task-division table: cited under the heading the table follows
        ("第二章第三节　重点任务分工", "第二章第三节一、加强儿童健康服务 第1条"),
        ("第二章第三节　重点任务分工", "第二章第三节一、加强儿童健康服务 第2条"),
    ]


def test_seed_headings_keep_their_outline_numbering():
    from kb.model import Clause

    c = Clause(id="x", doc="d", kind="goal", domain=None, number=1, text="", departments=[], departments_raw=None,
               citation="二（三）主要目标 第1条", part=2, section=3, part_title="发展领域", section_title="妇女与经济")
    assert exports.section_heading(c) == "二（三）妇女与经济"


@pytest.mark.slow  # rendered by LibreOffice
def test_word_export_of_a_chaptered_plan_renders_its_numbering(kb, tmp_path):
    soffice = require_tool(os.environ.get("PLANKB_SOFFICE") or "soffice", "LibreOffice (soffice)")
    require_tool("pdftotext", "poppler-utils (pdftotext)")
    docx = tmp_path / "卫健局.docx"
    docx.write_bytes(exports.duties_docx(kb.duties("卫健局"), exports.export_title(kb, None)))
    proc = subprocess.run(
        [soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(docx)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    text = subprocess.run(["pdftotext", "-raw", str(tmp_path / "卫健局.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    # pdftotext gives the full-width space between number and title as a plain one
    headings = [line.split() for line in text.splitlines() if re.match(r"^第.章第.节\s", line)]
    assert headings == [
        ["第二章第一节", "儿童与健康"], ["第二章第二节", "儿童与教育"], ["第二章第三节", "重点任务分工"],
    ]
    flat = "".join(text.split())
    assert "加强儿童健康服务第1条" in flat and "加强儿童健康服务第2条" in flat
    assert "二（一）" not in flat and "二（三）" not in flat
