"""The monitoring form as an office suite prints and saves it (LibreOffice headless, poppler).

Printed, the form is one landscape page wide with the plan's title, a header repeated on every page
and no internal ids; its 说明 names the office the plan sends yearly monitoring data to. Saved back
by LibreOffice (shared strings, its own styles and empty cells), a filled form imports.
"""

import os
import subprocess

import pytest
from openpyxl import load_workbook

from kb.monitor import template
from kb.monitor.form import SHEET
from kb.monitor.importer import read_file
from kb.store import open_kb
from tests.conftest import CORPUS
from tests.helpers import require_tool

pytestmark = pytest.mark.slow  # a real browser or office suite: CI runs it, scripts/test --quick skips it

DOC = "zhenyuan-women-2021-2030"
MMR = f"{DOC}.2-1-g2.n1"  # 孕产妇死亡率 ≤12/10万, the form's first row
TITLE = "《镇原县妇女发展规划（2021—2030年）》监测指标填报表"


@pytest.fixture(scope="module")
def kb(data_dir):
    return open_kb(data_dir, CORPUS)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, kb):
    """卫健局's form and the form of every unit as PDF; a filled form saved back as .xlsx by LibreOffice."""
    soffice = require_tool(os.environ.get("PLANKB_SOFFICE") or "soffice", "LibreOffice (soffice)")
    require_tool("pdftotext", "poppler-utils (pdftotext)")
    out = tmp_path_factory.mktemp("form")
    (out / "wjj.xlsx").write_bytes(template(kb, dept="卫健局"))
    (out / "all.xlsx").write_bytes(template(kb))
    wb = load_workbook(out / "wjj.xlsx")
    ws = wb[SHEET]
    ws["G3"], ws["H3"], ws["Q3"], ws["S3"] = 14.5, "13.2", "卫健局", "妇幼年报，已核实"
    wb.save(out / "filled.xlsx")
    profile = f"-env:UserInstallation=file://{out / 'profile'}"
    for args in (
        ["--convert-to", "pdf", str(out / "wjj.xlsx"), str(out / "all.xlsx")],
        ["--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out / "saved"), str(out / "filled.xlsx")],
    ):
        done = subprocess.run(
            [soffice, profile, "--headless", *args], capture_output=True, text=True, timeout=300, cwd=out
        )
        assert done.returncode == 0, done.stderr
    return out


def pages(pdf) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [p for p in text.split("\f") if p.strip()]


@pytest.mark.parametrize("name", ["wjj", "all"])
def test_form_prints_one_page_wide_with_its_header_on_every_page(rendered, name):
    *sheet_pages, help_page = pages(rendered / f"{name}.pdf")
    assert sheet_pages and "填好后报送县统计局" in help_page
    for number, page in enumerate(sheet_pages, 1):
        # The first and the last column on every page: nothing of the table went to a second page across.
        assert "指标名称" in page and "备注" in page and "2030年" in page, number
    assert all(p.strip() not in ("", "无") for p in sheet_pages + [help_page])
    assert TITLE in sheet_pages[0]


def test_form_shows_names_and_targets_but_no_internal_ids(rendered):
    text = "".join(pages(rendered / "wjj.pdf"))
    assert DOC not in text  # the id column is hidden, so it does not print
    for name, target in (
        ("孕产妇死亡率", "≤12/10万"),
        ("适龄妇女宫颈癌人群筛查率", "≥70%"),
        ("乳腺癌人群筛查率", "逐步提高"),
    ):
        line = next(line for line in text.splitlines() if line.lstrip().startswith(name))
        assert target in line, line
    assert f"{TITLE}（卫健局）" in text


def test_a_form_saved_back_by_libreoffice_imports(rendered, kb):
    saved = rendered / "saved" / "filled.xlsx"
    got = [(o.indicator, o.year, o.value, o.department, o.note) for o in read_file(kb, saved)]
    assert got == [(MMR, 2021, 14.5, "卫健局", "妇幼年报，已核实"), (MMR, 2022, 13.2, "卫健局", "妇幼年报，已核实")]
