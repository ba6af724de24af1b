"""Monitoring: observed yearly values of indicators, the departments' form, import, status and warning.

One job per module, imported in this order (none imports a later one):
- ``values``: plan period, plausible ranges, strict numbers, characters a note may not carry;
- ``store``: ``monitor.sqlite`` in the data dir (SQLite, WAL), read-only without locks;
- ``form``: the XLSX form a department fills in;
- ``sheet``: one sheet of an .xlsx streamed on a budget;
- ``importer``: a filled form or CSV checked whole, then stored in one transaction;
- ``assessment``: status, 预警 and 波动 of each indicator.

What the CLI, the web app and other modules use is re-exported here.
"""

from kb.monitor.assessment import APPROX_TOLERANCE, MET, NO_DATA, NOT_MET, VOLATILE, WARN, assess, is_met, status
from kb.monitor.form import LONG_HEADER, template
from kb.monitor.importer import ImportRejected, import_file
from kb.monitor.store import MONITOR_FILE, ImportReport, MonitorError, open_monitor
from kb.monitor.values import DEFAULT_YEARS, UNIT_MAX
from kb.monitor.values import plain_number as _num

__all__ = [
    "APPROX_TOLERANCE",
    "DEFAULT_YEARS",
    "LONG_HEADER",
    "MET",
    "MONITOR_FILE",
    "NOT_MET",
    "NO_DATA",
    "UNIT_MAX",
    "VOLATILE",
    "WARN",
    "ImportRejected",
    "ImportReport",
    "MonitorError",
    "_num",
    "assess",
    "import_file",
    "is_met",
    "open_monitor",
    "status",
    "template",
]
