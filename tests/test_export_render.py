"""Exports rendered by a real office suite: LibreOffice turns them into PDF, poppler reads the PDF back.

What a clerk prints must show every clause in full: each assigned clause's text is looked for in
the text of the rendered PDF, and the Word lists must fit in a page count that their text explains.
"""

import math
import os
import re
import subprocess

import pytest

from kb import exports
from tests.helpers import require_tool

# pdftotext may place full-width quotes and dashes out of order around a line break; the glyphs are
# all on the page, so the comparison ignores them and whitespace.
IGNORED = re.compile(r"[\s“”‘’\"'—–\-]+")


def flat(text: str) -> str:
    return IGNORED.sub("", text)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, client, data_dir):
    """Duty lists of 妇联 and 卫健局 and a search export, as xlsx and docx, rendered to PDF once."""
    soffice = require_tool(os.environ.get("PLANKB_SOFFICE") or "soffice", "LibreOffice (soffice)")
    require_tool("pdftotext", "poppler-utils (pdftotext)")
    out = tmp_path_factory.mktemp("render")
    files = {}
    for dept in ("妇联", "卫健局"):
        for ext in ("xlsx", "docx"):
            files[f"{dept}-{ext}"] = client.get(f"/departments/{dept}/export.{ext}").data
    for ext in ("xlsx", "docx"):
        files[f"search-{ext}"] = client.get(f"/search/export.{ext}?q=宫颈癌").data
    for name, body in files.items():
        assert body[:2] == b"PK", name
        (out / f"{name}.{name.rsplit('-', 1)[1]}").write_bytes(body)
    profile = out / "profile"
    proc = subprocess.run(
        [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf", "--outdir", str(out), *sorted(str(p) for p in out.glob("*.*x"))],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    pdfs = {name: out / f"{name}.pdf" for name in files}
    missing = [n for n, p in pdfs.items() if not p.exists()]
    assert not missing, proc.stdout + proc.stderr
    return pdfs


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True).stdout


def pages(path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


@pytest.mark.parametrize("dept", ["妇联", "卫健局"])
@pytest.mark.parametrize("ext", ["xlsx", "docx"])
def test_every_assigned_clause_is_fully_visible(rendered, kb_for_render, dept, ext):
    text = flat(pdf_text(rendered[f"{dept}-{ext}"]))
    duties = kb_for_render.duties(dept)
    hidden = [c.citation for c in duties["assigned"] if flat(c.text) not in text]
    assert not hidden, f"{len(hidden)} of {len(duties['assigned'])} clauses cut: {hidden[:5]}"
    assert all(flat(c.citation) in text for c in duties["assigned"])


def test_word_lists_fit_the_pages_their_text_needs(rendered, kb_for_render):
    """The content column holds about 21 characters of 小四 a line and a page about 40 lines; a row
    is as tall as its longest cell (the 出处 column holds about 6 characters a line)."""
    for dept in ("妇联", "卫健局"):
        duties = kb_for_render.duties(dept)
        clauses = [c for key, _ in exports.groups(duties) for c in duties[key]]
        lines = sum(max(math.ceil(len(c.text) / 21), math.ceil(len(c.citation) / 6)) for c in clauses)
        bound = math.ceil(lines / 40) + 3  # the title block and a heading per plan section
        got = pages(rendered[f"{dept}-docx"])
        assert got <= bound, (dept, got, bound)
    assert pages(rendered["妇联-docx"]) <= 16  # 32 before the table had a real grid


def test_search_export_renders_with_its_query_and_hits(rendered, client):
    res = client.get("/api/search?q=宫颈癌&limit=0").get_json()
    for ext in ("xlsx", "docx"):
        text = flat(pdf_text(rendered[f"search-{ext}"]))
        assert flat("宫颈癌") in text and flat(exports.cn_date()) in text
        assert all(flat(h["text"]) in text for h in res["hits"]), ext


@pytest.fixture(scope="module")
def kb_for_render(data_dir):
    from kb.store import open_kb

    return open_kb(data_dir)


@pytest.fixture(scope="module")
def client(data_dir):
    from search_app import create_app
    from tests.conftest import CORPUS

    return create_app({"TESTING": True, "PLANKB_DATA": str(data_dir), "PLANKB_CORPUS": str(CORPUS)}).test_client()
