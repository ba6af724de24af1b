"""The form a department fills in: an XLSX workbook with a row per indicator and a column per plan year.

The sheet prints as it is (landscape A4, one page wide, the plan's title above a repeated header,
wrapped text); the indicator ids the importer maps rows back by sit in a hidden, locked first
column. The 说明 sheet says how to fill the form and, in the plan's own words, where it goes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb.cells import workbook_bytes
from kb.errors import PlankbError
from kb.exports import row_height
from kb.indicators import extract, no_indicators_reason
from kb.monitor.values import plan_years, years_of
from kb.terminal import display_width

SHEET = "填报"
HELP_SHEET = "说明"
FIXED_HEADER = ["指标编号", "指标名称", "目标", "单位", "责任单位", "来源条款"]
TAIL_HEADER = ["填报单位", "数据来源", "备注"]
LONG_HEADER = ["指标编号", "年份", "数值", "填报单位", "数据来源", "备注"]
TITLE_ROWS = 1  # the title above the header; the importer skips such rows (importer.split_header)
# Column widths in characters: 指标名称 目标 单位 责任单位 来源条款 | a year | 填报单位 数据来源 备注.
FIXED_WIDTHS = (28, 11, 7, 20, 26)
YEAR_WIDTH = 7
TAIL_WIDTHS = (10, 10, 14)
# The 说明 sheet's one column, within a portrait A4 page: office suites do not shrink a single column to fit.
HELP_WIDTH = 72

# Who receives the yearly monitoring data and who runs the plan's daily work, as plans word it:
# 向县统计局报送年度监测数据 / 年度监测数据报送县统计局 / 监测组由县统计局牵头 / 各级妇儿工委办公室负责具体工作.
_OFFICE = r"[^，。；：、,;:\s（）()“”由向的和及与]{1,15}?(?:局|办公室|办|委员会|中心)"
RECEIVER_RULES = (
    re.compile(rf"向(?P<office>{_OFFICE})(?:报送|提交|上报|报)[^，。；]{{0,10}}?监测数据"),
    re.compile(rf"监测数据(?:报送|提交|上报|报)(?:至|给|到)?(?P<office>{_OFFICE})"),
    re.compile(rf"监测(?:工作)?组由(?P<office>{_OFFICE})牵头"),
    re.compile(rf"(?P<office>{_OFFICE})牵头(?:组织)?(?:开展)?(?:年度)?(?:统计)?监测"),
)
COORDINATOR_RULES = (re.compile(rf"(?P<office>(?:各级)?{_OFFICE})负责(?:规划实施的)?(?:具体|日常)工作"),)
SENTENCE = re.compile(r"[^。；]*[。；]?")


@dataclass
class Office:
    """An office a plan names, with the clause and sentence that name it."""

    name: str
    citation: str
    sentence: str


def find_office(kb, docs, rules, kinds=("monitoring", "implementation")) -> Office | None:
    """The first office the rules find in these documents' clauses of these kinds, in rule order."""
    clauses = [c for kind in kinds for c in kb.clauses if c.kind == kind and c.doc in docs]
    for rule in rules:
        for clause in clauses:
            for sentence in SENTENCE.findall(clause.text):
                found = rule.search(sentence)
                if found:
                    name = found.group("office")
                    level = kb.docs[clause.doc].level if clause.doc in kb.docs else None
                    if name.startswith("各级"):
                        name = (level or "") + name.removeprefix("各级")
                    return Office(name, clause.citation, sentence.strip())
    return None


def instructions(kb, docs, title: str) -> list[str]:
    """The lines of the 说明 sheet: what the form is, how to fill it, where it goes."""
    lines = [
        title,
        f"在“{SHEET}”工作表的年份列填写各年数值，只填数字，不带单位；百分比填 0—100 之间的数。",
        "不要修改表头、工作表名称和行的顺序；隐藏的第一列是指标编号，导入时据此识别指标。",
        "空白单元格表示未填报，不改变已有数据；再次报送同一年份会替换该年数值，原值保留在历史记录中。",
    ]
    receiver = find_office(kb, docs, RECEIVER_RULES)
    if receiver:
        lines.append(f"填好后报送{receiver.name}。依据：规划{receiver.citation}“{receiver.sentence}”")
    else:
        lines.append("填好后按规划监测评估工作的安排，报送负责汇总年度监测数据的部门。")
    coordinator = find_office(kb, docs, COORDINATOR_RULES, ("implementation", "monitoring"))
    if coordinator:
        lines.append(f"规划实施的具体工作由{coordinator.name}负责（规划{coordinator.citation}）。")
    return lines


def pack(names: list[str], width: int) -> str:
    """Names joined with 、, a line break only after a 、 and never inside a name (width in columns)."""
    lines: list[str] = []
    for name in names:
        if lines and display_width(lines[-1] + "、" + name) <= width - 2:
            lines[-1] += "、" + name
        else:
            if lines:
                lines[-1] += "、"
            lines.append(name)
    return "\n".join(lines)


def empty_form_message(kb, dept: str | None, doc: str | None = None) -> str:
    """Why there is no form to fill: said where the template finds no indicators."""
    return "没有可填报的指标" + no_indicators_reason(kb, dept, doc)


def template(kb, dept: str | None = None, doc: str | None = None) -> bytes:
    """The XLSX form a department fills in: its indicators, targets and a column per plan year."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
    from openpyxl.utils import get_column_letter

    found = extract(kb, dept=dept, doc=doc)
    indicators = [i for i in found if i.numeric] + [i for i in found if not i.numeric]  # targets with a value first
    if not indicators:
        raise PlankbError(empty_form_message(kb, dept, doc))
    docs = list(dict.fromkeys(i.doc for i in indicators))
    years = plan_years(kb, docs)
    header = FIXED_HEADER + [f"{y}年" for y in years] + TAIL_HEADER
    titles = "、".join(f"《{kb.docs[d].title}》" for d in docs if d in kb.docs)
    title = f"{titles}监测指标填报表" + (f"（{dept}）" if dept else "")
    first_year_col = len(FIXED_HEADER) + 1
    last_col = len(header)
    head_row = TITLE_ROWS + 1

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.cell(row=1, column=2, value=title).font = Font(bold=True, size=14)
    ws.cell(row=1, column=2).alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(start_row=1, start_column=2, end_row=1, end_column=last_col)
    ws.row_dimensions[1].height = 26
    ws.append(header)
    line = Side(style="thin", color="808080")
    grid = Border(left=line, right=line, top=line, bottom=line)
    for cell in ws[head_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = grid
    checks = _validations()
    for dv in checks.values():
        ws.add_data_validation(dv)
    fill = PatternFill("solid", fgColor="FFF7E1")
    wrap = Alignment(vertical="top", wrap_text=True)
    centre = Alignment(horizontal="center", vertical="top", wrap_text=True)
    for row, ind in enumerate(indicators, head_row + 1):
        units = pack(ind.departments, FIXED_WIDTHS[3])
        ws.append([ind.id, ind.name, ind.target_label, ind.unit, units, ind.citation])
        valid = set(years_of(kb, ind.doc))
        for col in range(1, last_col + 1):
            cell = ws.cell(row=row, column=col)
            cell.alignment = centre if col in (3, 4) or first_year_col <= col < first_year_col + len(years) else wrap
            cell.border = grid
            if col >= first_year_col:
                cell.protection = Protection(locked=False)
                if col < first_year_col + len(years) and years[col - first_year_col] in valid:
                    cell.fill = fill
        ref = f"{get_column_letter(first_year_col)}{row}:{get_column_letter(first_year_col + len(years) - 1)}{row}"
        checks.get(ind.unit, checks[""]).add(ref)
    ws.column_dimensions["A"].hidden = True
    widths = [*FIXED_WIDTHS, *[YEAR_WIDTH] * len(years), *TAIL_WIDTHS]
    for col, width in enumerate(widths, 2):
        ws.column_dimensions[get_column_letter(col)].width = width
    # Office suites do not grow a row to its wrapped text on opening a file: heights are written.
    ws.row_dimensions[head_row].height = row_height(header[1:], widths)
    for row in range(head_row + 1, head_row + 1 + len(indicators)):
        ws.row_dimensions[row].height = row_height([c.value for c in ws[row][1:]], widths)
    ws.freeze_panes = ws.cell(row=head_row + 1, column=first_year_col)
    ws.protection.sheet = True
    ws.protection.formatColumns = False  # widths may change; the id column stays locked
    ws.protection.formatRows = False
    _print_setup(ws, landscape=True)
    ws.print_title_rows = f"{head_row}:{head_row}"
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"

    info = wb.create_sheet(HELP_SHEET)
    for line in instructions(kb, docs, title):
        info.append([line])
        info.cell(row=info.max_row, column=1).alignment = Alignment(vertical="top", wrap_text=True)
        info.row_dimensions[info.max_row].height = row_height([line], [HELP_WIDTH])
    info["A1"].font = Font(bold=True, size=14)
    info.row_dimensions[1].height = row_height([title], [HELP_WIDTH * 0.75])
    info.column_dimensions["A"].width = HELP_WIDTH
    _print_setup(info, landscape=False)
    wb.properties.title = title
    return workbook_bytes(wb)


def _validations() -> dict:
    """Data validation per unit ("" for any other unit): Excel refuses an impossible value as it is typed."""
    from openpyxl.worksheet.datavalidation import DataValidation

    def check(error: str, operator: str, *bounds: str):
        return DataValidation(
            type="decimal",
            operator=operator,
            formula1=bounds[0],
            formula2=bounds[1] if len(bounds) > 1 else None,
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="数值不合理",
            error=error,
        )

    out = {
        "%": check("百分比应在 0 到 100 之间", "between", "0", "100"),
        "‰": check("千分比应在 0 到 1000 之间", "between", "0", "1000"),
        "": check("请填写不小于 0 的数字", "greaterThanOrEqual", "0"),
    }
    for dv in out.values():
        dv.promptTitle, dv.prompt, dv.showInputMessage = "填写数值", "只填数字，不带单位", True
    return out


def _print_setup(ws, landscape: bool):
    """A4, one page wide (as many pages down as needed), narrow margins, centred."""
    from openpyxl.worksheet.page import PageMargins

    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.6, header=0.2, footer=0.3)
