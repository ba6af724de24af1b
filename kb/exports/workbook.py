"""Workbooks (XLSX): every sheet wraps long text and sizes every row to show the whole clause on the
printout, landscape A4 one page wide, the title and header on every printed page.
"""

from __future__ import annotations

import math

from kb.cells import clean, workbook_bytes
from kb.exports.common import COLUMNS, clause_row, cn_date, groups, has_lead, naming_sentence
from kb.exports.rows import indicator_rows, result_rows, result_summary
from kb.terminal import display_width

WIDTHS = {
    "序号": 6, "领域": 12, "类别": 9, "编号": 6, "内容": 62, "责任单位": 22, "牵头单位": 12, "出处": 20, "分组": 12,
    "规划": 26, "匹配方式": 11, "部门": 16, "全称": 24, "文中表述": 30,
    "指标": 26, "目标": 14, "原文": 48, "最新值": 10, "年份": 7, "状态": 8,
}
LINE_PT = 15.0  # one line of 11 pt text, with leading
XLSX_FONT_PT = 11


def duties_xlsx(duties: dict, title: str, titles: dict[str, str]) -> bytes:
    """A workbook with one sheet per group that has clauses (a sheet saying only 无 would print a page
    of its own), laid out for reading and printing on A4."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    dept = duties["department"]
    present = [(key, label) for key, label in groups(duties) if duties[key]]
    for key, label in present:
        items = duties[key]
        lead = has_lead(items)
        named = key in ("lead_in_text", "common")
        header = COLUMNS + (["牵头单位"] if lead else []) + (["文中表述"] if named else []) + ["出处"]
        rows = []
        for i, c in enumerate(items, 1):
            row = clause_row(i, c, lead, duties)
            if named:
                row.append(naming_sentence(c, dept, key) or "")
            rows.append(row + [c.citation])
        heading = f"{title}　{dept}任务清单（{label}，{len(items)} 条）　导出日期：{cn_date()}"
        _sheet(wb, label, heading, header, rows, notes=duties.get("notes", ()))
    if not present:
        empty = "；".join(duties.get("notes", ())) or f"规划没有给{dept}的条款"
        _sheet(wb, "任务清单", f"{title}　{dept}任务清单　导出日期：{cn_date()}", COLUMNS + ["出处"], [], empty=empty)
    wb.properties.title = f"{title}{dept}任务清单"
    wb.properties.creator = "plankb"
    return workbook_bytes(wb)


def table_xlsx(title: str, sheet: str, header, rows, notes=()) -> bytes:
    """One formatted sheet (search results, the departments table, the overview)."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    _sheet(wb, sheet, title, header, rows, notes=notes)
    wb.properties.title = title
    wb.properties.creator = "plankb"
    return workbook_bytes(wb)


def row_height(values, widths) -> float:
    """Points a row needs to show every cell's whole text, wrapped at its column's width."""
    lines = 1
    for value, width in zip(values, widths):
        text = str(clean(value)) if value is not None else ""
        per_line = max(1.0, width - 1.5)  # column width in character units, less the cell padding
        need = sum(max(1, math.ceil(display_width(part) * 1.08 / per_line)) for part in text.split("\n"))
        lines = max(lines, need)
    return round(lines * LINE_PT + 4, 1)


def _sheet(wb, name, title, header, rows, empty="无", notes=()):
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(clean(name)[:31])
    ncol = len(header)
    widths = [WIDTHS.get(h, 12) for h in header]
    ws.cell(row=1, column=1, value=title).font = Font(name="黑体", size=14, bold=True)
    ws.cell(row=1, column=1).alignment = Alignment(wrap_text=True, vertical="center")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
    ws.row_dimensions[1].height = max(30, row_height([title], [sum(widths) * 0.75]))
    first = 2  # the header row right under the title, so Excel's filter finds the table by itself
    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for j, h in enumerate(header, 1):
        cell = ws.cell(row=first, column=j, value=h)
        cell.font = Font(name="黑体", size=XLSX_FONT_PT, bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE6F0")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
        ws.column_dimensions[get_column_letter(j)].width = widths[j - 1]
    ws.row_dimensions[first].height = max(20, row_height(header, widths))
    if not rows:
        ws.cell(row=first + 1, column=1, value=empty).font = Font(name="仿宋", size=XLSX_FONT_PT)
        ws.merge_cells(start_row=first + 1, start_column=1, end_row=first + 1, end_column=ncol)
    for i, row in enumerate(rows, first + 1):
        for j, value in enumerate(row, 1):
            if header[j - 1] in ("序号", "编号"):  # labels, not quantities: text like every other label
                value = str(value)
            cell = ws.cell(row=i, column=j, value=value)
            cell.font = Font(name="仿宋", size=XLSX_FONT_PT)
            centred = header[j - 1] in ("序号", "编号", "类别") or isinstance(value, (int, float))
            cell.alignment = Alignment(vertical="top", wrap_text=True, horizontal="center" if centred else "left")
            cell.border = border
        ws.row_dimensions[i].height = row_height(row, widths)
    below = first + max(1, len(rows)) + 2  # notes below the table, after a blank row
    for k, note in enumerate(notes):
        ws.cell(row=below + k, column=1, value=note).font = Font(name="仿宋", size=XLSX_FONT_PT)
        ws.cell(row=below + k, column=1).alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(start_row=below + k, start_column=1, end_row=below + k, end_column=ncol)
        ws.row_dimensions[below + k].height = row_height([note], [sum(widths)])
    ws.freeze_panes = ws.cell(row=first + 1, column=1)
    last = get_column_letter(ncol)
    ws.auto_filter.ref = f"A{first}:{last}{max(first, len(rows) + first)}"
    ws.print_title_rows = f"1:{first}"  # the title and the header on every printed page
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    return ws


def results_xlsx(result: dict, titles: dict[str, str]) -> bytes:
    header, rows = result_rows(result, titles)
    summary = result_summary(result)
    title = f"检索结果：{summary[0][1]}（{summary[2][1]}）"
    return table_xlsx(title, "检索结果", header, rows, notes=[f"{k}：{v}" for k, v in summary[1:]])


def indicators_xlsx(indicators: list[dict], title: str, titles: dict[str, str], statuses: dict[str, dict] | None = None) -> bytes:
    """The indicators workbook: a title row naming the plan, landscape A4 one page wide, wrapped text."""
    header, rows = indicator_rows(indicators, titles, statuses)
    heading = f"{title}　监测指标（{len(rows)} 项）　导出日期：{cn_date()}"
    return table_xlsx(heading, "监测指标", header, rows)
