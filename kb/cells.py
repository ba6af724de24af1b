"""Cell safety for every export: no control characters, no live formulas, in XLSX, DOCX and CSV.

Plan files come from saved web pages and other offices, so a clause may begin with ``=`` or carry
a NUL. Every writer passes its text through here: XLSX cells are always written as text, CSV cells
that a spreadsheet would read as a formula are prefixed with ``'`` (OWASP's advice), and control
characters that XML cannot hold are removed.
"""

from __future__ import annotations

import csv
import io
import re

from kb.sources.text import CONTROL

# The readers' control characters (C0 but tab and line breaks, DEL, C1): XML 1.0 cannot hold most
# of them and none belongs in a duty list. CR is turned into LF first.
RE_CONTROL = CONTROL
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def clean(value):
    """A string without control characters (CR LF becomes LF); other values unchanged."""
    if isinstance(value, str):
        return RE_CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    return value


def csv_cell(value):
    """A CSV cell that no spreadsheet evaluates: text beginning like a formula gets a leading '."""
    if isinstance(value, str):
        if value.startswith(FORMULA_START):
            value = "'" + value
        return clean(value)
    return value


class SafeWriter:
    """csv.writer with every cell passed through csv_cell."""

    def __init__(self, fh, **kwargs):
        self._w = csv.writer(fh, **kwargs)

    def writerow(self, row):
        return self._w.writerow([csv_cell(v) for v in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def workbook_bytes(wb) -> bytes:
    """Save an openpyxl workbook with every string cell as text (never a formula) and clean."""
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    text = clean(cell.value)
                    cell.value = text
                    cell.data_type = "s"  # openpyxl makes a formula of a leading '='
        ws.title = clean(ws.title)
    wb.properties.title = clean(wb.properties.title)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def filename_part(text: str) -> str:
    """Text fit for a file name: no control characters, no path or reserved characters."""
    return re.sub(r'[\\/:*?"<>|\s]+', "_", clean(text or "")).strip("._") or "导出"
