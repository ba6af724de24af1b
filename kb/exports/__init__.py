"""Exports of duty lists, search results and the site's tables: JSON, CSV, Markdown, XLSX, DOCX.

Every file is made to be handed over as it is: Excel sheets wrap long text and size every row to
show the whole clause on the printout; Word lists follow 公文 conventions (GB/T 9704 margins,
黑体/楷体/仿宋, page numbers as “— 1 —”) with a real table grid and a header row repeated on each
page; every row cites the plan with its own numbering. No cell is ever a live formula and no text
can break a file (kb.cells).
"""

from __future__ import annotations

from kb.cells import clean, filename_part
from kb.exports.common import COLUMNS, COMMON_UNITS, cn_date, content_disposition, export_title, filename, groups
from kb.exports.rows import (
    RESULT_HEADER,
    departments_rows,
    dumps,
    duties_csv,
    duties_json,
    duties_markdown,
    duty_rows,
    indicator_rows,
    matrix_rows,
    results_csv,
    to_csv,
)
from kb.exports.word import duties_docx, results_docx, section_heading
from kb.exports.word_layout import BODY_FONT, CELL_MARGIN_MM, TITLE_FONT
from kb.exports.workbook import duties_xlsx, indicators_xlsx, results_xlsx, row_height, table_xlsx

__all__ = [
    "BODY_FONT",
    "CELL_MARGIN_MM",
    "COLUMNS",
    "COMMON_UNITS",
    "RESULT_HEADER",
    "TITLE_FONT",
    "clean",
    "cn_date",
    "content_disposition",
    "departments_rows",
    "dumps",
    "duties_csv",
    "duties_docx",
    "duties_json",
    "duties_markdown",
    "duties_xlsx",
    "duty_rows",
    "export_title",
    "filename",
    "filename_part",
    "groups",
    "indicator_rows",
    "indicators_xlsx",
    "matrix_rows",
    "results_csv",
    "results_docx",
    "results_xlsx",
    "row_height",
    "section_heading",
    "table_xlsx",
    "to_csv",
]
