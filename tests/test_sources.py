"""Readers: every format of the seed plan gives exactly the clauses of the original .txt."""

import json

import pytest

from kb.errors import SourceError
from kb.sources import read_source
from kb.store import build, open_kb
from tests.helpers import SEED, make_corpus, seed_text

GOV_PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>镇原县人民政府 关于印发镇原县妇女发展规划（2021—2030年）的通知</title>
<style>.nav{{color:red}} p{{text-indent:2em}}</style>
<script>var _hmt = _hmt || []; document.write("统计代码");</script>
</head><body>
<div class="header"><div class="logo">镇原县人民政府</div><div class="search"><input placeholder="请输入关键词"></div></div>
<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/zwgk">政务公开</a></li><li><a href="/zcwj">政策文件</a></li><li>互动交流</li></ul></div>
<div class="breadcrumb">当前位置：首页 &gt; 政务公开 &gt; 政策文件</div>
<div class="main"><div class="article">
<h1 class="title">镇原县人民政府办公室关于印发镇原县妇女发展规划的通知</h1>
<div class="info">发布时间：2022-03-01　来源：县妇儿工委办公室　浏览次数：1024</div>
<div class="share">分享到：微信 微博 QQ空间</div>
<div id="zoom" class="content">
{body}
</div>
<div class="print"><a href="javascript:window.print()">【打印本页】</a><a href="javascript:window.close()">【关闭窗口】</a></div>
</div>
<div class="related"><h3>相关文件</h3><ul><li>镇原县儿童发展规划（2021—2030年）</li></ul></div>
</div>
<div class="footer"><p>主办：镇原县人民政府办公室　地址：甘肃省庆阳市镇原县城关镇</p><p>陇ICP备00000000号　甘公网安备 62102702000000号</p></div>
<script>console.log("footer");</script>
</body></html>
"""


def html_version(text):
    import html

    paras = []
    for line in text.split("\n"):
        if line.strip():
            paras.append(f'<p style="text-indent:2em">&nbsp;&nbsp;\u3000{html.escape(line)}</p>')
        else:
            paras.append("<p><br></p>")
    return GOV_PAGE.format(body="\n".join(paras)).encode("utf-8")


def docx_version(text):
    import io

    import docx

    d = docx.Document()
    lines = text.split("\n")
    # Put 监测评估 in a one-cell table, as drafting offices sometimes do, to check table text.
    cut = next(i for i, l in enumerate(lines) if l.startswith("四、监测评估"))
    for line in lines[:cut]:
        d.add_paragraph(line)
    table = d.add_table(rows=1, cols=1)
    cell = table.rows[0].cells[0]
    cell.text = lines[cut]
    for line in lines[cut + 1 :]:
        cell.add_paragraph(line)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


VARIANTS = {
    "plan.html": lambda t: html_version(t),
    "plan.docx": lambda t: docx_version(t),
    "plan-gbk.txt": lambda t: t.encode("gbk"),
    "plan-utf16.txt": lambda t: t.encode("utf-16"),
    "plan-utf16le.txt": lambda t: t.encode("utf-16-le"),
    "plan-utf16be.txt": lambda t: t.encode("utf-16-be"),
    "plan-crlf.txt": lambda t: t.replace("\n", "\r\n").encode("utf-8"),
    "plan-bom.txt": lambda t: ("\ufeff" + t).encode("utf-8"),
}


def clauses_json(corpus, data):
    kb = open_kb(data, corpus)
    return [{k: v for k, v in c.items() if k not in ("id", "doc")} for c in kb.export()["clauses"]]


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    base = tmp_path_factory.mktemp("orig")
    corpus = make_corpus(base / "corpus", {"plan.txt": SEED.read_bytes()})
    build(corpus, base / "data")
    return clauses_json(corpus, base / "data")


@pytest.mark.parametrize("name", list(VARIANTS))
def test_formats_give_the_same_clauses(tmp_path, original, name):
    corpus = make_corpus(tmp_path / "corpus", {name: VARIANTS[name](seed_text())})
    report = build(corpus, tmp_path / "data")
    assert [d.status for d in report.documents] == ["parsed"]
    assert clauses_json(corpus, tmp_path / "data") == original
    assert len(original) == 192


def test_detected_format_and_encoding(tmp_path):
    for name, expected in [("a.txt", ("txt", "gb18030")), ("b.txt", ("txt", "utf-16")), ("c.html", ("html", "utf-8")), ("d.docx", ("docx", None))]:
        data = {"a.txt": VARIANTS["plan-gbk.txt"], "b.txt": VARIANTS["plan-utf16.txt"], "c.html": VARIANTS["plan.html"], "d.docx": VARIANTS["plan.docx"]}[name](seed_text())
        (tmp_path / name).write_bytes(data)
        src = read_source(tmp_path / name)
        assert (src.format, src.encoding) == expected
    html_src = read_source(tmp_path / "c.html")
    assert "镇原县妇女发展规划" in html_src.title_hint
    text = "\n".join(html_src.lines)
    for noise in ("首页", "分享到", "打印本页", "陇ICP备", "统计代码", "相关文件", "发布时间"):
        assert noise not in text


def test_encoding_override(tmp_path):
    path = tmp_path / "plan.txt"
    path.write_bytes(seed_text().encode("gbk"))
    assert read_source(path, encoding="gbk").lines == read_source(path).lines
    with pytest.raises(SourceError, match="不能按 utf-8 解码"):
        read_source(path, encoding="utf-8")
    with pytest.raises(SourceError, match="未知的编码"):
        read_source(path, encoding="no-such-codec")


BAD = {
    "empty.txt": b"",
    "blank.txt": b"\n\n   \n",
    "binary.txt": bytes(range(256)) * 20,
    "report.txt": b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\nendobj\n",
    "photo.docx": b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
    "archive.docx": None,  # a zip that is not a Word file, built below
    "broken.html": "<html><head><title>x</title></head><body><div><p>镇原县妇女发展规划".encode("utf-8"),
    "notes.txt": "会议纪要\n今天讨论了工作安排。\n大家发言积极。\n".encode("utf-8"),
}


def zip_bytes():
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "not a document")
    return buf.getvalue()


@pytest.mark.parametrize("name", list(BAD))
def test_bad_files_give_one_line_errors(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(BAD[name] if BAD[name] is not None else zip_bytes())
    from kb.departments import Registry
    from kb.corpus import parse_file
    from tests.helpers import CORPUS

    with pytest.raises(SourceError) as err:
        parse_file(path, Registry.load(CORPUS / "departments.toml"))
    message = str(err.value)
    assert message.startswith(str(path)) and "\n" not in message


def test_bad_files_leave_the_rest_of_the_corpus_building(tmp_path):
    plans = {"zhenyuan.txt": SEED.read_bytes(), "archive.docx": zip_bytes(), **{k: v for k, v in BAD.items() if v is not None}}
    corpus = make_corpus(tmp_path / "corpus", plans)
    report = build(corpus, tmp_path / "data")
    status = {d.file: d.status for d in report.documents}
    assert status.pop("zhenyuan.txt") == "parsed"
    assert set(status.values()) == {"error"}
    assert report.clauses == 192
    assert all(d.error and "\n" not in d.error for d in report.documents if d.status == "error")


def test_truncated_html_still_reads_what_is_there(tmp_path):
    page = html_version(seed_text())
    cut = page[: len(page) // 2]
    path = tmp_path / "cut.html"
    path.write_bytes(cut)
    src = read_source(path)
    assert src.format == "html" and any("妇女与健康" in l for l in src.lines)
    assert json.dumps(src.lines, ensure_ascii=False).count("镇原县妇女发展规划") >= 1


def test_big5_is_detected_by_the_fallback(tmp_path):
    """Neither UTF-8 nor GB18030 reads Big5 plausibly; charset-normalizer's guess does."""
    text = "臺灣婦女發展綱要\n一、總體目標\n（一）婦女與健康。\n主要目標：\n1.婦女健康水準提高。（衛生局）\n" * 3
    path = tmp_path / "big5.txt"
    path.write_bytes(text.encode("big5"))
    src = read_source(path)
    assert src.lines[0] == "臺灣婦女發展綱要" and "big5" in src.encoding.replace("_", "").lower()


def test_word_layout_table_is_unwrapped_and_data_table_kept(tmp_path):
    """A two-column Word table whose first cell holds the plan's paragraphs is layout; a 序号/任务/牵头单位 table is data."""
    import docx

    from kb.sources import read_source

    d = docx.Document()
    layout = d.add_table(rows=1, cols=2)
    article, side = layout.rows[0].cells
    article.text = "青禾县托育服务发展方案"
    for text in ("一、重点任务", "（一）扩大托位供给。新建社区托育点。（卫健局）", "（二）培养托育人才。（人社局、教育局）"):
        article.add_paragraph(text)
    side.text = "相关文件"
    data = d.add_table(rows=2, cols=3)
    for cell, text in zip(data.rows[0].cells, ("序号", "主要任务", "牵头单位"), strict=True):
        cell.text = text
    for cell, text in zip(data.rows[1].cells, ("1", "建设托育综合服务中心", "卫健局"), strict=True):
        cell.text = text
    path = tmp_path / "layout.docx"
    d.save(path)
    lines = [line for line in read_source(path).lines if line.strip()]
    assert lines == ["青禾县托育服务发展方案", "一、重点任务", "（一）扩大托位供给。新建社区托育点。（卫健局）",
                     "（二）培养托育人才。（人社局、教育局）", "相关文件", "序号\t主要任务\t牵头单位", "1\t建设托育综合服务中心\t卫健局"]
