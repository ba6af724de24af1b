"""Fault drills for reading a filled form (kb.monitor.importer, kb.monitor.sheet).

A hostile or damaged file is refused in one line naming the file and what is wrong, before anything
is stored: a row declaring millions of cells, malformed or truncated XML, a DTD or an entity
declaration, numbers Python's float() would take but a department never writes, and notes carrying
control or bidi characters.
"""

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from kb.cli import cli
from kb.monitor import importer, sheet
from kb.monitor.form import LONG_HEADER, SHEET
from kb.monitor.importer import ImportRejected, read_file
from kb.store import open_kb
from tests.conftest import CORPUS, ROOT

DOC = "zhenyuan-women-2021-2030"
MMR = f"{DOC}.2-1-g2.n1"  # 孕产妇死亡率 ≤12/10万
SCREEN = f"{DOC}.2-1-g3.n1"  # 适龄妇女宫颈癌人群筛查率 ≥70%
SHEET_XML = "xl/worksheets/sheet1.xml"
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


@pytest.fixture(scope="module")
def kb(data_dir):
    return open_kb(data_dir, CORPUS)


@pytest.fixture(scope="module")
def form(kb) -> bytes:
    """卫健局's form as the template writes it."""
    from kb.monitor import template

    return template(kb, dept="卫健局")


@pytest.fixture(scope="module")
def saved_form(form) -> bytes:
    """The form with a shared string table, as Excel and WPS save text (openpyxl writes it inline)."""
    src = zipfile.ZipFile(io.BytesIO(form))
    rels = src.read("xl/_rels/workbook.xml.rels").replace(
        b"</Relationships>",
        b'<Relationship Id="rIdS" Target="sharedStrings.xml" '
        b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/></Relationships>',
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(
                info.filename, rels if info.filename == "xl/_rels/workbook.xml.rels" else src.read(info.filename)
            )
        z.writestr("xl/sharedStrings.xml", f'<?xml version="1.0"?><sst {NS}><si><t>卫健局</t></si></sst>')
    return buf.getvalue()


def rebuild(form: bytes, path, replace: dict) -> Path:
    """A copy of the form with some zip members replaced (bytes, or a function writing to the member)."""
    src = zipfile.ZipFile(io.BytesIO(form))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for info in src.infolist():
            content = replace.get(info.filename, src.read(info.filename))
            if callable(content):
                with z.open(info.filename, "w") as fh:
                    content(fh)
            else:
                z.writestr(info.filename, content)
    return path


def sheet_xml(rows: str) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}><sheetData>{rows}</sheetData></worksheet>'.encode()


def import_lines(data_dir, path) -> tuple[int, list[str], str]:
    """`plankb monitor import` on a file: exit code, output lines, and the exception if any."""
    res = CliRunner().invoke(cli, ["monitor", "import", str(path), "--data", str(data_dir)])
    return res.exit_code, res.output.splitlines(), repr(res.exception)


# -- item 2: a read bounded while it runs ----------------------------------------------------------
def test_row_declaring_millions_of_empty_cells_is_refused_while_reading(tmp_path, form):
    """7.9 M empty cells in one row: about 160 KB on disk, 79 MB unpacked (under the 100 MB cap)."""

    def bomb(fh):
        fh.write(f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}><sheetData>'.encode())
        fh.write(b'<row r="1"><c r="B1" t="inlineStr"><is><t>title</t></is></c></row><row r="2">')
        block = b'<c s="1"/>' * 100_000
        for _ in range(79):
            fh.write(block)
        fh.write(b"</row></sheetData></worksheet>")

    path = rebuild(form, tmp_path / "bomb.xlsx", {SHEET_XML: bomb})
    declared = sum(i.file_size for i in zipfile.ZipFile(path).infolist())
    assert path.stat().st_size < 300_000 and 75 * 2**20 < declared < importer.MAX_UNCOMPRESSED_BYTES
    # The read runs in a child process; VmHWM is its own peak (ru_maxrss would include the pytest process it was
    # forked from); the deadline is a timeout.
    child = (
        "import re, sys\nfrom pathlib import Path\nfrom kb.monitor import importer\n"
        "try:\n    importer._xlsx_rows(Path(sys.argv[1]))\nexcept importer.ImportRejected as exc:\n"
        "    print(*exc.problems, sep='\\n')\n"
        "print(int(re.search(r'VmHWM:\\s+(\\d+)', Path('/proc/self/status').read_text()).group(1)) // 1024)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", child, str(path)], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr
    message, peak_mb = done.stdout.splitlines()
    assert message == f"bomb.xlsx：表格过大：第 2 行有超过 {sheet.MAX_ROW_CELLS} 个单元格"
    assert int(peak_mb) < 300


def test_value_beyond_the_columns_is_refused_but_empty_styled_cells_are_not(tmp_path, form, data_dir, kb):
    wb = load_workbook(io.BytesIO(form))
    ws = wb[SHEET]
    ws["G3"] = 14.5
    for col in range(70, 200):  # styled, empty cells beyond column 60, as office suites write them
        ws.cell(row=3, column=col).number_format = "0.00"
    path = tmp_path / "styled.xlsx"
    wb.save(path)
    assert [(o.indicator, o.year, o.value) for o in read_file(kb, path)] == [(MMR, 2021, 14.5)]
    ws.cell(row=3, column=61).value = "x"
    wb.save(path)
    code, lines, _ = import_lines(data_dir, path)
    assert (code, lines[0]) == (1, f"styled.xlsx：{sheet.TOO_BIG}")


@pytest.mark.parametrize(
    "budget, rows, message",
    [
        (
            "MAX_CELLS",
            "".join(f'<row r="{r}">' + '<c s="1"/>' * 10 + "</row>" for r in range(1, 61)),
            "表格过大：超过 500 个单元格",
        ),
        ("MAX_ROWS", "".join(f'<row r="{r}"/>' for r in range(1, 600)), "表格过大（超过"),
    ],
)
def test_cell_and_row_budgets(tmp_path, form, kb, monkeypatch, budget, rows, message):
    monkeypatch.setattr(sheet, budget, 500)
    path = rebuild(form, tmp_path / "big.xlsx", {SHEET_XML: sheet_xml(rows)})
    with pytest.raises(ImportRejected) as exc:
        read_file(kb, path)
    assert exc.value.problems[0].startswith(f"big.xlsx：{message}")


def test_shared_strings_and_cell_text_are_bounded(tmp_path, form, saved_form, kb, monkeypatch):
    monkeypatch.setattr(sheet, "MAX_TEXT_CHARS", 1000)
    strings = f'<?xml version="1.0"?><sst {NS}>' + "<si><t>" + "字" * 1001 + "</t></si></sst>"
    path = rebuild(saved_form, tmp_path / "s.xlsx", {"xl/sharedStrings.xml": strings.encode()})
    with pytest.raises(ImportRejected) as exc:
        read_file(kb, path)
    assert exc.value.problems == ["s.xlsx：表格过大：文字超过 1000 个字符"]
    long_cell = sheet_xml('<row r="3"><c r="M3" t="inlineStr"><is><t>' + "x" * 40_000 + "</t></is></c></row>")
    path = rebuild(form, tmp_path / "c.xlsx", {SHEET_XML: long_cell})
    with pytest.raises(ImportRejected) as exc:
        read_file(kb, path)
    assert exc.value.problems == [f"c.xlsx：表格过大：第 3 行 M 列超过 {sheet.MAX_CELL_CHARS} 个字符"]


# -- item 3: malformed XML is one line ------------------------------------------------------------------
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    f'<worksheet {NS}><sheetData><row r="3"><c r="G3" t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData>'
    "</worksheet>"
)
XXE = (
    f'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY e SYSTEM "file:///etc/passwd">]><sst {NS}><si><t>&e;</t></si></sst>'
)


def _truncated_sheet(form):
    whole = zipfile.ZipFile(io.BytesIO(form)).read(SHEET_XML)
    return {SHEET_XML: whole[: len(whole) // 2]}


def _corrupt_member(path):
    """Flip bytes inside the sheet's compressed data (the zip's directory stays intact)."""
    info = zipfile.ZipFile(path).getinfo(SHEET_XML)
    data = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 10
    data[start : start + 40] = bytes(b ^ 0x5A for b in data[start : start + 40])
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "spoil, message",
    [
        (_truncated_sheet, "form.xlsx：无法读取：xl/worksheets/sheet1.xml 不是完整有效的 XML（第 1 行第 "),
        (
            lambda form: {SHEET_XML: LAUGHS.encode()},
            "form.xlsx：无法读取：xl/worksheets/sheet1.xml 含 DTD 或实体声明（填报表不会有）",
        ),
        (
            lambda form: {"xl/sharedStrings.xml": XXE.encode(), "saved": True},
            "form.xlsx：无法读取：xl/sharedStrings.xml 含 DTD 或实体声明（填报表不会有）",
        ),
        (
            lambda form: {"xl/workbook.xml": b'<?xml version="1.0"?><!DOCTYPE workbook><workbook/>'},
            "form.xlsx：无法读取：xl/workbook.xml 含 DTD 或实体声明（填报表不会有）",
        ),
        (
            lambda form: {SHEET_XML: sheet_xml('<row r="3"><c r="G3" t="inlineStr"><is><t>&lol;</t></is></c></row>')},
            "form.xlsx：无法读取：xl/worksheets/sheet1.xml 不是完整有效的 XML（第 1 行第 ",
        ),
        (
            lambda form: {SHEET_XML: sheet_xml('<row r="3"><c r="3G"><v>1</v></c></row>')},
            "form.xlsx：无法读取：第 3 行的单元格地址“3G”无效",
        ),
        (
            lambda form: {SHEET_XML: sheet_xml('<row r="3"><c r="G3" t="s"><v>99999</v></c></row>')},
            "form.xlsx：无法读取：第 3 行引用了不存在的共享字符串",
        ),
        (
            lambda form: {
                "xl/_rels/workbook.xml.rels": b'<Relationships xmlns="x">'
                b'<Relationship Id="rId1" Target="nowhere.xml"/></Relationships>'
            },
            "form.xlsx：无法读取：缺少 xl/nowhere.xml",
        ),
        (_corrupt_member, "form.xlsx：无法读取：xl/worksheets/sheet1.xml 已损坏（"),
        (lambda form: "truncate", "form.xlsx：不是有效的 xlsx 文件（BadZipFile）"),
    ],
    ids=[
        "truncated-sheet",
        "entity-expansion",
        "external-entity",
        "doctype",
        "undefined-entity",
        "bad-cell-ref",
        "bad-shared-string",
        "missing-part",
        "corrupt-deflate",
        "truncated-zip",
    ],
)
def test_malformed_xml_is_one_line(tmp_path, form, saved_form, data_dir, spoil, message):
    path = tmp_path / "form.xlsx"
    if spoil is _corrupt_member:
        path.write_bytes(form)
        spoil(path)
    else:
        replace = spoil(form)
        if replace == "truncate":
            path.write_bytes(form[: len(form) * 2 // 3])
        else:
            rebuild(saved_form if replace.pop("saved", False) else form, path, replace)
    store = data_dir / "monitor.sqlite"
    before = store.read_bytes() if store.exists() else None
    code, lines, exception = import_lines(data_dir, path)
    assert code == 1 and "Traceback" not in "\n".join(lines), exception
    assert len(lines) == 2 and lines[0].startswith(message), lines
    assert lines[1] == "错误：导入失败：共 1 处问题，未导入任何数据"
    assert (store.read_bytes() if store.exists() else None) == before


# -- item 9: strict numbers, short quotes, unsafe notes ---------------------------------------------------
def long_csv(tmp_path, *rows) -> Path:
    path = tmp_path / "long.csv"
    body = "\n".join([",".join(LONG_HEADER), *[",".join(r) for r in rows]])
    path.write_text(body + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "text, indicator, problem",
    [
        ("1_0", MMR, "“1_0”不是数字"),
        ("٣٣", SCREEN, "“٣٣”不是数字"),
        ("1e308", MMR, "“1e308”不是数字"),
        ("1E3", MMR, "“1E3”不是数字"),
        ("inf", SCREEN, "“inf”不是数字"),
        ("NaN", SCREEN, "“NaN”不是数字"),
        ("0x1A", SCREEN, "“0x1A”不是数字"),
        ("1.5.2", SCREEN, "“1.5.2”不是数字"),
        ('"12,34"', MMR, "“12,34”不是数字"),
        ("９" * 400, MMR, "“" + "９" * 20 + "…”不是数字"),
        ("-5", SCREEN, "-5% 不可能：数值不能为负"),
        ("99999999999999999999", MMR, "1e+20/10万 不可能：不能超过 100000/10万"),
    ],
)
def test_numbers_are_read_strictly_and_quoted_short(tmp_path, kb, text, indicator, problem):
    with pytest.raises(ImportRejected) as exc:
        read_file(kb, long_csv(tmp_path, (indicator, "2022", text, "", "", "")))
    assert exc.value.problems == [f"工作表“long.csv”第 2 行 C 列：{problem}"]


@pytest.mark.parametrize(
    "text, indicator, value",
    [
        ('"12,345"', MMR, 12345.0),
        ("６８．５", SCREEN, 68.5),
        ("65%", SCREEN, 65.0),
        (" 70 ％", SCREEN, 70.0),
        ("0.5", SCREEN, 0.5),
    ],
)
def test_numbers_a_department_writes_are_read(tmp_path, kb, text, indicator, value):
    assert [
        (o.indicator, o.value) for o in read_file(kb, long_csv(tmp_path, (indicator, "2022", text, "", "", "")))
    ] == [(indicator, value)]


def test_a_year_in_another_script_is_not_a_year(tmp_path, kb):
    with pytest.raises(ImportRejected) as exc:
        read_file(kb, long_csv(tmp_path, (SCREEN, "٢٠٢٤", "70", "", "", "")))
    assert exc.value.problems == ["工作表“long.csv”第 2 行 B 列：年份“٢٠٢٤”不是整数年份"]


def test_a_huge_number_cell_is_quoted_short(tmp_path, form, kb):
    wb = load_workbook(io.BytesIO(form))
    wb[SHEET]["H3"] = 1e308  # 孕产妇死亡率 2022, a number cell
    path = tmp_path / "huge.xlsx"
    wb.save(path)
    with pytest.raises(ImportRejected) as exc:
        read_file(kb, path)
    assert exc.value.problems == ["工作表“填报”第 3 行 H 列：1e+308/10万 不可能：不能超过 100000/10万"]


@pytest.mark.parametrize(
    "column, text, code",
    [
        ("F", "数据\u202e已核实", "U+202E"),
        ("F", "a\x7fb", "U+007F"),
        ("F", "c\x85d", "U+0085"),
        ("F", "\x1b[31m红色", "U+001B"),
        ("E", "\u2066年报\u2069", "U+2066"),
        ("D", "卫健局\u200f", "U+200F"),
    ],
)
def test_control_and_bidi_characters_in_notes_are_refused(tmp_path, kb, column, text, code):
    cells = ["", "", ""]
    cells["DEF".index(column)] = text
    with pytest.raises(ImportRejected) as exc:
        read_file(kb, long_csv(tmp_path, (SCREEN, "2022", "70", *cells)))
    label = {"D": "填报单位", "E": "数据来源", "F": "备注"}[column]
    assert exc.value.problems == [
        f"工作表“long.csv”第 2 行 {column} 列：{label}含不可见的控制字符 {code}，请删除后再导入"
    ]


def test_a_refused_note_does_not_hide_the_rows_other_problems(tmp_path, kb):
    with pytest.raises(ImportRejected) as exc:
        read_file(kb, long_csv(tmp_path, (MMR, "2022", "1_0", "", "", "\u202e备注")))
    assert exc.value.problems == [
        "工作表“long.csv”第 2 行 F 列：备注含不可见的控制字符 U+202E，请删除后再导入",
        "工作表“long.csv”第 2 行 C 列：“1_0”不是数字",
    ]


def test_tabs_and_line_breaks_in_notes_are_kept(tmp_path, kb):
    path = tmp_path / "long.csv"
    path.write_text(
        ",".join(LONG_HEADER) + f'\n{SCREEN},2022,70,卫健局,年报,"第一行\n第二行\t附注"\n', encoding="utf-8"
    )
    assert [o.note for o in read_file(kb, path)] == ["第一行\n第二行\t附注"]


def test_a_form_saved_before_it_had_a_title_row_still_imports(tmp_path, form, kb):
    wb = load_workbook(io.BytesIO(form))
    ws = wb[SHEET]
    ws.unmerge_cells(next(iter(ws.merged_cells.ranges)).coord)
    ws.delete_rows(1)
    ws["G2"] = 14.5  # 孕产妇死亡率 2021, now on row 2
    path = tmp_path / "old.xlsx"
    wb.save(path)
    assert [(o.indicator, o.year, o.value) for o in read_file(kb, path)] == [(MMR, 2021, 14.5)]
