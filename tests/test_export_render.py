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

pytestmark = pytest.mark.slow  # a real browser or office suite: CI runs it, scripts/test --quick skips it

# pdftotext may place full-width quotes and dashes out of order around a line break; the glyphs are
# all on the page, so the comparison ignores them and whitespace.
IGNORED = re.compile(r"[\s“”‘’\"'—–\-]+")


def flat(text: str) -> str:
    return IGNORED.sub("", text)


DEPTS = ("妇联", "卫健局", "教育局", "统计局")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, client, data_dir):
    """Duty lists of 妇联 and 卫健局 and a search export, as xlsx and docx, rendered to PDF once."""
    soffice = require_tool(os.environ.get("PLANKB_SOFFICE") or "soffice", "LibreOffice (soffice)")
    require_tool("pdftotext", "poppler-utils (pdftotext)")
    out = tmp_path_factory.mktemp("render")
    files = {}
    for dept in DEPTS:
        for ext in ("xlsx", "docx"):
            files[f"{dept}-{ext}"] = client.get(f"/departments/{dept}/export.{ext}").data
    for ext in ("xlsx", "docx"):
        files[f"search-{ext}"] = client.get(f"/search/export.{ext}?q=宫颈癌").data
    files["indicators-xlsx"] = client.get("/indicators.xlsx").data
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
    for name in files:
        (out / f"{name}.{name.rsplit('-', 1)[1]}").rename(out / f"{name}.source")
    missing = [n for n, p in pdfs.items() if not p.exists()]
    assert not missing, proc.stdout + proc.stderr
    return pdfs


def source_of(pdf):
    return pdf.with_suffix(".source")


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
    """A row is as tall as its clause wrapped in the 内容 column (小四, the column's width in the
    grid) and at least two lines (the citation's); a page holds about 40 lines, plus the title block
    and a heading per plan section."""
    import docx
    from docx.oxml.ns import qn

    for dept in DEPTS:
        source = docx.Document(str(source_of(rendered[f"{dept}-docx"])))
        content_mm = int(source.tables[0]._tbl.tblGrid.findall(qn("w:gridCol"))[1].get(qn("w:w"))) / 1440 * 25.4
        per_line = math.floor((content_mm - 2 * exports.CELL_MARGIN_MM) / (12 * 25.4 / 72))
        duties = kb_for_render.duties(dept)
        clauses = [c for key, _ in exports.groups(duties) for c in duties[key]]
        lines = sum(max(math.ceil(len(c.text) / per_line), 2) for c in clauses)
        bound = math.ceil(lines / 40) + 3
        got = pages(rendered[f"{dept}-docx"])
        assert got <= bound, (dept, got, bound)
    assert pages(rendered["卫健局-docx"]) <= 9


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


def page_texts(path) -> list[str]:
    """The text of every page (pdftotext -raw), in order."""
    return pdf_text(path).split("\f")[:pages(path)]


FOOTER = re.compile(r"^(— \d+ —|第 \d+ 页，共 \d+ 页)$")


@pytest.mark.parametrize("dept", DEPTS)
def test_no_heading_is_the_last_line_of_a_page(rendered, dept):
    """标题 1/2 keep with the table that follows: no page of a Word list ends with a heading."""
    import docx

    pdf = rendered[f"{dept}-docx"]
    d = docx.Document(str(source_of(pdf)))
    headings = {p.text for p in d.paragraphs if p.style.name in ("Heading 1", "Heading 2")}
    assert any(h.startswith("【本部门承担】") for h in headings)
    ends = []
    for n, text in enumerate(page_texts(pdf)[:-1], 1):
        lines = [x.strip() for x in text.splitlines() if x.strip() and not FOOTER.match(x.strip())]
        if lines and flat(lines[-1]) in {flat(h) for h in headings}:
            ends.append((n, lines[-1]))
    assert not ends, ends


def words(pdf):
    """Per page, the words pdftotext -bbox-layout finds in the text area in table-sized type (under
    16 pt: headings are 三号), as (xMin, yMin, text)."""
    from xml.etree import ElementTree

    xml = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    xml = re.sub(r"<!DOCTYPE[^>]*>", "", xml)
    root = ElementTree.fromstring(xml)
    out = []
    for page in root.iter("{http://www.w3.org/1999/xhtml}page"):
        found = [(float(w.get("xMin")), float(w.get("yMin")), float(w.get("yMax")), w.text or "") for w in page.iter("{http://www.w3.org/1999/xhtml}word")]
        body_end = float(page.get("height")) - 35 / 25.4 * 72  # the footer (page number) sits in the bottom margin
        out.append([(x, y0, text) for x, y0, y1, text in found if y1 - y0 < 18 and y1 < body_end])
    return out


def column_lines(page_words, x0, x1, below):
    """The lines of text whose words start between x0 and x1 under y = below, joined per line."""
    lines: dict[float, str] = {}
    for x, y, text in sorted(page_words, key=lambda w: (round(w[1]), w[0])):
        if x0 <= x < x1 and y > below:
            lines[round(y)] = lines.get(round(y), "") + text
    return list(lines.values())


@pytest.mark.parametrize("dept", DEPTS)
def test_word_table_columns_hold_their_content(rendered, kb_for_render, dept):
    """Read by position on every page: 序号 is one line, 责任单位 lines hold whole unit names only
    (a line breaks after 、), 出处 lines are whole parts of citations (so at most two lines), and every
    page with table rows starts them with the whole header row on one line."""
    import docx
    from docx.oxml.ns import qn

    pdf = rendered[f"{dept}-docx"]
    d = docx.Document(str(source_of(pdf)))
    grid = [int(g.get(qn("w:w"))) / 20 for g in d.tables[0]._tbl.tblGrid.findall(qn("w:gridCol"))]  # points
    left = 28 / 25.4 * 72
    edges = [left + sum(grid[:i]) for i in range(5)]
    duties = kb_for_render.duties(dept)
    rows = [c for key, _ in exports.groups(duties) for c in duties[key]]
    units = {u for c in rows for u in c.departments} | {u for names in duties["named"].values() for u in names} | {exports.COMMON_UNITS, "责任单位"}
    citation_parts = {"出处"} | {part for c in rows for part in c.citation.split(" ")} | {c.part_title for c in rows if c.part_title}
    seen_rows = 0
    for n, page in enumerate(words(pdf), 1):
        header = [(x, y) for x, y, t in page if t == "序号"]
        numbers = column_lines(page, edges[0], edges[1], header[0][1] - 1 if header else 0)
        if not header:
            assert not numbers, (n, "table rows without the header row")
            continue
        top = header[0][1]
        names = {t for x, y, t in page if abs(y - top) < 2}
        assert {"序号", "内容", "责任单位", "出处"} <= names, (n, names)
        assert all(re.fullmatch(r"序号|\d+", line) for line in numbers), (n, numbers)
        seen_rows += len(numbers) - 1
        for line in column_lines(page, edges[2], edges[3], top - 1):
            pieces = [p for p in re.split(r"、|（牵头：?|）", line) if p]
            assert all(p in units for p in pieces), (n, line)
        for line in column_lines(page, edges[3], edges[4] + 1, top - 1):
            assert line in citation_parts, (n, line)
    assert seen_rows >= len(rows)  # every row's number was read (a row split over a page repeats nothing)


def test_docx_fonts_have_fallbacks_in_the_font_table(rendered):
    """Every face a Word list or the search file names (in its text, footer and the styles it applies)
    is declared in word/fontTable.xml with a fallback name stock Windows has (altName) and the GB2312
    charset."""
    import zipfile
    from xml.etree import ElementTree

    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    for name in (*(f"{d}-docx" for d in DEPTS), "search-docx"):
        with zipfile.ZipFile(source_of(rendered[name])) as z:
            styles = ElementTree.fromstring(z.read("word/styles.xml"))
            applied = [styles.find(f"{w}docDefaults")] + [s for s in styles.iter(f"{w}style") if s.get(f"{w}styleId") in ("Normal", "Heading1", "Heading2", "TableGrid")]
            parts = [ElementTree.fromstring(z.read(p)) for p in ("word/document.xml", "word/footer1.xml")] + applied
            used = set()
            for part in parts:
                for rf in part.iter(f"{w}rFonts"):
                    used |= {v for k, v in rf.attrib.items() if k in (f"{w}eastAsia", f"{w}ascii", f"{w}hAnsi")}
            table = {f.get(f"{w}name"): f for f in ElementTree.fromstring(z.read("word/fontTable.xml"))}
        cjk = {f for f in used if re.search(r"[\u4e00-\u9fff]", f)}
        assert cjk >= {"仿宋", "黑体", "楷体", "宋体"} - ({"楷体"} if name == "search-docx" else set()), name
        for face in cjk:
            assert face in table, (name, face)
            alt = table[face].find(f"{w}altName")
            assert alt is not None and alt.get(f"{w}val") in {"FangSong", "SimHei", "KaiTi", "SimSun"}, (name, face)
            assert table[face].find(f"{w}charset").get(f"{w}val") == "86"
        assert not used - cjk - {"Times New Roman", "Calibri", "Cambria", "Arial"}, (name, used)


CITED = re.compile(r"[一二三四五六七八九十]+（[一二三四五六七八九十]+）")


@pytest.mark.parametrize("name", [*(f"{d}-xlsx" for d in DEPTS), "search-xlsx", "indicators-xlsx"])
def test_every_workbook_page_shows_rows(rendered, name):
    """No printed page of a workbook is only a title, a header and 无: every page cites the plan."""
    texts = page_texts(rendered[name])
    empty = [n for n, text in enumerate(texts, 1) if not CITED.search(text)]
    assert not empty, (name, empty, len(texts))
    assert not [n for n, text in enumerate(texts, 1) if "\n无\n" in f"\n{text}\n"]


def test_indicators_workbook_prints_one_page_wide(rendered, kb_for_render):
    """Every printed page holds the first and the last column (序号 … 原文) and the plan's title."""
    texts = page_texts(rendered["indicators-xlsx"])
    assert len(texts) <= 12
    for text in texts:
        assert "序号" in text and "原文" in text and "镇原县妇女发展规划" in text
    assert "zhenyuan-women" not in "".join(texts)
