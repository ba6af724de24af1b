"""Readers: tables as tab rows, titles, control characters, UTF-16 without BOM, PDF, .doc, page chrome, hostile files."""

import os
import re
import subprocess
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from kb.errors import SourceError
from kb.sources import read_source
from kb.store import build
from tests.helpers import SEED, finishes, make_corpus, require_tool, seed_text

SEED_PARAGRAPHS = [line.strip() for line in seed_text().split("\n") if line.strip()]


def nonblank(lines):
    return [line for line in lines if line]


# -- tables --------------------------------------------------------------------
def test_docx_tables_become_tab_rows_with_merged_cells_once(tmp_path):
    import docx

    d = docx.Document()
    d.add_paragraph("三、重点任务分工")
    t = d.add_table(rows=4, cols=4)
    for r, row in enumerate([["序号", "重点任务", "牵头单位", "配合单位"],
                             ["1", "提高妇女健康服务水平", "县卫健局", "县医保局"],
                             ["2", "开展宫颈癌筛查", "", "县妇联"],
                             ["说明：完成时限均为2025年底", "", "", ""]]):
        for c, text in enumerate(row):
            t.cell(r, c).text = text
    t.cell(1, 1).add_paragraph("（含农村妇女）")
    t.cell(1, 2).merge(t.cell(2, 2))  # one lead unit for both tasks
    t.cell(3, 0).merge(t.cell(3, 3))  # a note across the whole row
    t.cell(3, 0).text = "说明：完成时限均为2025年底"
    d.add_paragraph("四、保障措施")
    box = d.add_table(rows=1, cols=1)  # a layout box: ordinary lines
    box.cell(0, 0).text = "（一）加强组织领导。"
    box.cell(0, 0).add_paragraph("（二）强化经费保障。")
    path = tmp_path / "plan.docx"
    d.save(path)
    assert read_source(path).lines == [
        "三、重点任务分工", "",
        "序号\t重点任务\t牵头单位\t配合单位",
        "1\t提高妇女健康服务水平 （含农村妇女）\t县卫健局\t县医保局",
        "2\t开展宫颈癌筛查\t县卫健局\t县妇联",
        "说明：完成时限均为2025年底", "",
        "四、保障措施", "（一）加强组织领导。", "（二）强化经费保障。",
    ]


def test_html_tables_become_tab_rows_with_spans(tmp_path):
    page = """<html><head><meta charset="utf-8"><title>任务分工</title></head><body><div class="content">
<p>三、重点任务分工</p>
<table border="1"><thead><tr><th>序号</th><th>重点任务</th><th>牵头单位</th><th>配合单位</th></tr></thead>
<tbody><tr><td>1</td><td><p>提高妇女健康服务水平</p><p>（含农村妇女）</p></td><td rowspan="2">县卫健局</td><td>县医保局</td></tr>
<tr><td>2</td><td>开展宫颈癌筛查</td><td>县妇联</td></tr>
<tr><td colspan="4">说明：完成时限均为2025年底</td></tr></tbody></table>
<table><tr><td><p>四、保障措施</p><p>（一）加强组织领导。</p></td></tr></table>
</div></body></html>"""
    path = tmp_path / "plan.html"
    path.write_text(page, encoding="utf-8")
    assert nonblank(read_source(path).lines) == [
        "三、重点任务分工",
        "序号\t重点任务\t牵头单位\t配合单位",
        "1\t提高妇女健康服务水平 （含农村妇女）\t县卫健局\t县医保局",
        "2\t开展宫颈癌筛查\t县卫健局\t县妇联",
        "说明：完成时限均为2025年底",
        "四、保障措施", "（一）加强组织领导。",
    ]
    lines = read_source(path).lines
    first = lines.index("序号\t重点任务\t牵头单位\t配合单位")
    assert lines[first - 1] == "" and lines[first + 4] == ""


def test_txt_tab_rows_pass_through(tmp_path):
    text = "三、重点任务分工\n序号\t重点任务\t牵头单位\n\t开展宫颈癌筛查\t县卫健局\n1\t提高妇女健康服务水平\t\n\u3000\u3000四、保障措施\n"
    path = tmp_path / "plan.txt"
    path.write_text(text, encoding="utf-8")
    assert read_source(path).lines == ["三、重点任务分工", "序号\t重点任务\t牵头单位", "\t开展宫颈癌筛查\t县卫健局",
                                       "1\t提高妇女健康服务水平\t", "四、保障措施", ""]


# -- titles --------------------------------------------------------------------
@pytest.mark.parametrize("title, h1, expected", [
    ("某县儿童发展规划（2021—2030年）_某县人民政府网", "", "某县儿童发展规划（2021—2030年）"),
    ("某市“十四五”妇女发展规划-某某市人民政府门户网站", "", "某市“十四五”妇女发展规划"),
    ("某市“十四五”妇女发展规划 - 政策文件 - 某某门户网站", "", "某市“十四五”妇女发展规划"),
    ("某某门户网站", "某县儿童发展规划（2021—2030年）", "某县儿童发展规划（2021—2030年）"),
    ("关于印发某县儿童发展规划的通知_通知公告_某县人民政府", "关于印发某县儿童发展规划的通知", "关于印发某县儿童发展规划的通知"),
])
def test_html_title_hint_without_site_names(tmp_path, title, h1, expected):
    page = f"""<html><head><title>{title}</title></head><body><div class="header"><h1>某县人民政府</h1></div>
<div class="article"><h1>{h1}</h1><p>一、总体目标</p><p>（一）儿童与健康。</p><p>二、保障措施</p></div></body></html>"""
    path = tmp_path / "p.html"
    path.write_text(page, encoding="utf-8")
    assert read_source(path).title_hint == expected


def test_docx_title_from_property_or_title_style(tmp_path):
    import docx

    d = docx.Document()
    d.add_paragraph("某县人民政府办公室")
    d.add_paragraph("某县儿童发展规划（2021—2030年）", style="Title")
    d.add_paragraph("一、总体目标")
    d.save(tmp_path / "a.docx")
    assert read_source(tmp_path / "a.docx").title_hint == "某县儿童发展规划（2021—2030年）"
    d.core_properties.title = "某县儿童发展规划"
    d.save(tmp_path / "b.docx")
    assert read_source(tmp_path / "b.docx").title_hint == "某县儿童发展规划"
    plain = docx.Document()
    plain.add_paragraph("一、总体目标")
    plain.save(tmp_path / "c.docx")
    assert read_source(tmp_path / "c.docx").title_hint is None


# -- control characters and encodings -------------------------------------------
def test_control_characters_are_stripped_with_a_warning_per_line(tmp_path):
    text = "某县妇女发展规划\n一、总体\x00目标\n（一）妇女与健康。\x1b[0m\n1.提高\x7f妇女\x85健康水平。\t\n"
    path = tmp_path / "plan.txt"
    path.write_text(text, encoding="utf-8")
    src = read_source(path)
    assert src.lines == ["某县妇女发展规划", "一、总体目标", "（一）妇女与健康。[0m", "1.提高妇女健康水平。", ""]
    assert [n for n, _ in src.warnings] == [2, 3, 4]
    assert "U+0000" in src.warnings[0][1] and "U+001B" in src.warnings[1][1] and "U+007F、U+0085" in src.warnings[2][1]
    assert all(msg.startswith(f"第 {n} 行") for n, msg in src.warnings)


def test_control_characters_in_docx_are_stripped(tmp_path):
    import docx

    d = docx.Document()
    d.add_paragraph("一、总体目标")
    d.add_paragraph("（一）妇女与健康\u0085。")
    d.save(tmp_path / "a.docx")
    src = read_source(tmp_path / "a.docx")
    assert src.lines == ["一、总体目标", "（一）妇女与健康。"] and [n for n, _ in src.warnings] == [2]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_recognised(tmp_path, codec):
    path = tmp_path / "plan.txt"
    path.write_bytes(seed_text().encode(codec))
    src = read_source(path)
    assert src.encoding == codec
    assert nonblank(src.lines) == SEED_PARAGRAPHS


def test_unreadable_utf16_suggests_the_encoding_option(tmp_path):
    path = tmp_path / "plan.txt"
    # A UTF-16 file whose first half is damaged does not read plausibly either way round.
    path.write_bytes(bytes(range(1, 256)) * 8 + "一、总体目标\n".encode("utf-16-le") * 10)
    with pytest.raises(SourceError, match="--encoding utf-16-le"):
        read_source(path)


# -- PDF -------------------------------------------------------------------------
def soffice():
    return require_tool(os.environ.get("PLANKB_SOFFICE") or "soffice", "LibreOffice (soffice)")


def convert(src: Path, fmt: str) -> Path:
    """src converted by LibreOffice headless, with a profile of its own."""
    out = src.parent / "out"
    subprocess.run([soffice(), f"-env:UserInstallation={(src.parent / 'profile').as_uri()}", "--headless",
                    "--convert-to", fmt, "--outdir", str(out), str(src)], check=True, capture_output=True, timeout=180)
    return out / f"{src.stem}.{fmt.split(':')[0]}"


def plan_docx(path: Path, footer: str, indent: bool):
    """The seed plan as a Word file with a running header and a page-number footer."""
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls
    from docx.shared import Pt

    d = docx.Document()
    section = d.sections[0]
    section.header.paragraphs[0].text = "镇原县妇女发展规划（2021—2030年）"
    p = section.footer.paragraphs[0]
    before, after = footer.split("N")
    p._p.append(parse_xml(f'<w:r {nsdecls("w")}><w:t xml:space="preserve">{before}</w:t></w:r>'))
    p._p.append(parse_xml(f'<w:fldSimple {nsdecls("w")} w:instr="PAGE"><w:r><w:t>1</w:t></w:r></w:fldSimple>'))
    p._p.append(parse_xml(f'<w:r {nsdecls("w")}><w:t xml:space="preserve">{after}</w:t></w:r>'))
    for line in seed_text().split("\n"):
        para = d.add_paragraph(line)
        if indent and line:
            para.paragraph_format.first_line_indent = Pt(22)
    d.save(path)
    return path


@pytest.fixture(scope="module")
def seed_pdfs(tmp_path_factory):
    out = {}
    for name, footer, indent in (("dash", "— N —", False), ("page", "第N页", True)):
        base = tmp_path_factory.mktemp(f"pdf-{name}")
        out[name] = convert(plan_docx(base / "plan.docx", footer, indent), "pdf")
    return out


@pytest.mark.parametrize("style", ["dash", "page"])
def test_pdf_lines_are_the_source_paragraphs(seed_pdfs, style):
    from pdfminer.pdfpage import PDFPage

    pdf = seed_pdfs[style]
    with pdf.open("rb") as fh:
        pages = sum(1 for _ in PDFPage.get_pages(fh))
    assert pages >= 20  # headers, footers, page numbers and wrapped lines really occur
    src = read_source(pdf)
    assert src.format == "pdf" and src.title_hint is None
    # A space where a line wraps between two Chinese characters leaves no trace in a PDF.
    assert [squeeze(line) for line in nonblank(src.lines)] == [squeeze(line) for line in SEED_PARAGRAPHS]
    assert len(nonblank(src.lines)) == len(SEED_PARAGRAPHS) == 227


def squeeze(line):
    return re.sub(r"\s*([《》（）“”，。、；：])\s*", r"\1", line)


def test_pdf_of_the_seed_gives_the_same_clauses(tmp_path, seed_pdfs):
    from tests.test_sources import clauses_json

    a = make_corpus(tmp_path / "a", {"plan.txt": SEED.read_bytes()})
    build(a, tmp_path / "da")
    b = make_corpus(tmp_path / "b", {"plan.pdf": seed_pdfs["dash"].read_bytes()})
    report = build(b, tmp_path / "db")
    assert [d.status for d in report.documents] == ["parsed"]
    assert clauses_json(b, tmp_path / "db") == clauses_json(a, tmp_path / "da")


def minimal_pdf(content: bytes, extra: bytes = b"") -> bytes:
    """A one-page PDF whose page draws content (no fonts: no text layer)."""
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
            b"<< /Length %d%s >>\nstream\n" % (len(content), extra) + content + b"\nendstream"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def test_scanned_pdf_is_a_one_line_error(tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(minimal_pdf(b"0 0 0 rg 50 50 400 600 re f"))
    with pytest.raises(SourceError, match="扫描版 PDF") as err:
        read_source(path)
    assert "\n" not in str(err.value)


def test_pdf_stream_bomb_is_refused(tmp_path):
    import zlib

    content = b"0 0 0 rg 50 50 400 600 re f\n" + b" " * (150 * 1024 * 1024)  # 150 MB once inflated
    packed = zlib.compress(content, 1)
    pdf = minimal_pdf(packed, b" /Filter /FlateDecode")
    path = tmp_path / "bomb.pdf"
    path.write_bytes(pdf)
    assert len(pdf) < 2_000_000
    with pytest.raises(SourceError, match="超过 100 MB 的数据流"):
        read_source(path)


def test_pdf_page_and_text_caps(seed_pdfs, monkeypatch):
    import kb.sources.pdf as pdf

    monkeypatch.setattr(pdf, "MAX_PAGES", 5)
    with pytest.raises(SourceError, match="超过 5 页"):
        read_source(seed_pdfs["dash"])
    monkeypatch.setattr(pdf, "MAX_PAGES", 2000)
    monkeypatch.setattr(pdf, "MAX_TEXT_CHARS", 3000)
    with pytest.raises(SourceError, match="文字超过 3,000 字"):
        read_source(seed_pdfs["dash"])


# -- .doc / .wps -------------------------------------------------------------------
def test_doc_is_converted_by_libreoffice(tmp_path):
    from tests.test_sources import clauses_json

    doc = convert(plan_docx(tmp_path / "plan.docx", "— N —", False), "doc")
    src = read_source(doc)
    assert src.format == "doc" and nonblank(src.lines) == SEED_PARAGRAPHS
    a = make_corpus(tmp_path / "a", {"plan.txt": SEED.read_bytes()})
    build(a, tmp_path / "da")
    b = make_corpus(tmp_path / "b", {"plan.doc": doc.read_bytes()})
    assert [d.status for d in build(b, tmp_path / "db").documents] == ["parsed"]
    assert clauses_json(b, tmp_path / "db") == clauses_json(a, tmp_path / "da")


def test_doc_without_libreoffice_says_save_as_docx(tmp_path, monkeypatch):
    monkeypatch.setenv("PLANKB_SOFFICE", str(tmp_path / "no-soffice"))
    monkeypatch.setenv("PATH", str(tmp_path))
    path = tmp_path / "plan.wps"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    with pytest.raises(SourceError, match="另存为 .docx") as err:
        read_source(path)
    assert "\n" not in str(err.value)


# -- hostile files -------------------------------------------------------------------
def test_zip_bomb_docx_is_refused_before_inflating(tmp_path):
    path = tmp_path / "bomb.docx"
    block = b"<w:p/>" * (1 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("word/document.xml", "w", force_zip64=True) as fh:
            for _ in range(1536 * 1024 * 1024 // len(block)):  # 1.5 GB of XML
                fh.write(block)
    assert path.stat().st_size < 10_000_000  # a few MB that expand to 1.5 GB
    tracemalloc.start()
    with pytest.raises(SourceError, match="解压后有 1,536 MB"):
        read_source(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 50_000_000  # refused from the declared sizes: nothing near 1.5 GB was inflated


def test_deeply_nested_html_reads_in_seconds(tmp_path):
    depth = 20000
    page = ("<html><head><title>某县儿童发展规划_某县人民政府网</title></head><body>" + "<div>" * depth
            + "<p>一、总体目标</p><p>（一）儿童与健康。</p>" + "".join(f"<div>第{i}层说明</div>" for i in range(3))
            + "</div>" * depth + "</body></html>")
    path = tmp_path / "deep.html"
    path.write_text(page, encoding="utf-8")
    src = finishes(lambda: read_source(path))  # one pass: a recursive or quadratic walk would miss the deadline
    assert nonblank(src.lines) == ["一、总体目标", "（一）儿童与健康。", "第0层说明", "第1层说明", "第2层说明"]
    assert src.title_hint == "某县儿童发展规划"


def test_huge_sparse_txt_is_refused_by_size(tmp_path):
    path = tmp_path / "huge.txt"
    with path.open("wb") as fh:
        fh.truncate(2 * 1024 ** 3)
    tracemalloc.start()
    with pytest.raises(SourceError, match="文件过大（2,048 MB）"):
        read_source(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 10_000_000  # refused by its size (stat): the 2 GB were never read


def test_symlink_out_of_the_corpus_is_a_per_file_error(tmp_path):
    outside = tmp_path / "elsewhere.txt"
    outside.write_bytes(SEED.read_bytes())
    corpus = make_corpus(tmp_path / "corpus", {"plan.txt": SEED.read_bytes()})
    (corpus / "link.txt").symlink_to(outside)
    report = build(corpus, tmp_path / "data")
    status = {d.file: (d.status, d.error) for d in report.documents}
    assert status["plan.txt"][0] == "parsed"
    assert status["link.txt"][0] == "error" and "文件夹之外" in status["link.txt"][1]


# -- page chrome -------------------------------------------------------------------
CHROME_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<title>某县儿童发展规划（2021—2030年）-某县人民政府门户网站</title></head><body>
<div class="top"><span>手机版</span> | <span>无障碍</span> | <span>长者模式</span></div>
<div class="w1200"><div class="dqwz">当前位置：首页 &gt; 政务公开 &gt; 规划计划</div>
<div class="wzy">
<h1>某县儿童发展规划（2021—2030年）</h1>
<div class="xx">来源：某县妇儿工委办公室　　发布时间：2022-05-06　　浏览次数：386</div>
<div class="zh">字号：【大 中 小】</div>
<div class="fx">分享到：微信　微博</div>
<div class="TRS_Editor">
{body}
</div>
<p>【打印本页】　【关闭窗口】</p>
</div></div>
<div class="bottom"><p>主办单位：某县人民政府办公室　承办：某县融媒体中心</p><p>联系电话：0000-1234567</p>
<p>版权所有：某县人民政府　某ICP备00000000号-1</p><p>网站标识码：0000000000</p></div>
</body></html>"""
CHROME_BODY = ["某县儿童发展规划（2021—2030年）", "一、总体目标", "（一）儿童与健康。",
               "1.儿童健康水平持续提高，婴儿死亡率降至4‰以下。（县卫健局）", "二、组织实施",
               "县妇儿工委负责规划的组织实施，各成员单位按照职责分工落实各项任务。"]


def test_saved_page_chrome_is_stripped(tmp_path):
    path = tmp_path / "page.html"
    body = "\n".join(f"<p>\u3000\u3000{line}</p>" for line in CHROME_BODY)
    path.write_text(CHROME_PAGE.format(body=body), encoding="utf-8")
    src = read_source(path)
    assert nonblank(src.lines) == CHROME_BODY
    assert src.title_hint == "某县儿童发展规划（2021—2030年）"
