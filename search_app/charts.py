"""Geometry for the server-rendered SVG charts; templates only loop over what these return.

No JavaScript and no CDN: the intranet has no internet, and the charts must print.
"""

from __future__ import annotations

from kb.search import short_domain

GOAL_FILL = "#1f5fa8"
MEASURE_FILL = "#7fb0e0"
LOW, HIGH = (0xEE, 0xF3, 0xF9), (0x12, 0x3F, 0x7A)


def label_width(names, px: int = 13) -> int:
    """Room for the longest label at font size px (CJK characters are about one em wide)."""
    return 16 + px * max([sum(1 if ord(ch) > 0x2E7F else 0.6 for ch in n) for n in names] or [4])


def bar_chart(rows: list[dict], width: int = 640, bar: int = 18, gap: int = 6) -> dict:
    """Horizontal stacked bars (goals, measures) per department, longest first."""
    rows = sorted((r for r in rows if r["goals"] + r["measures"]), key=lambda r: (-(r["goals"] + r["measures"]), r["department"]))
    label_w = round(label_width([r["department"] for r in rows]))
    top = max([r["goals"] + r["measures"] for r in rows] or [1])
    plot = width - label_w - 44
    scale = plot / top
    bars = []
    for i, r in enumerate(rows):
        y = 28 + i * (bar + gap)
        gw, mw = r["goals"] * scale, r["measures"] * scale
        bars.append(
            {
                "department": r["department"],
                "y": y,
                "text_y": y + bar * 0.72,
                "goals": {"x": label_w, "w": round(gw, 1), "n": r["goals"]},
                "measures": {"x": round(label_w + gw, 1), "w": round(mw, 1), "n": r["measures"]},
                "total": r["goals"] + r["measures"],
                "total_x": round(label_w + gw + mw + 6, 1),
            }
        )
    ticks = []
    step = _nice_step(top)
    for v in range(0, top + 1, step):
        ticks.append({"x": round(label_w + v * scale, 1), "v": v})
    height = 28 + len(rows) * (bar + gap) + 8
    return {"width": width, "height": height, "bar": bar, "label_w": label_w, "bars": bars, "ticks": ticks, "goal_fill": GOAL_FILL, "measure_fill": MEASURE_FILL}


def heat_map(matrix: dict, cell_w: int = 96, cell_h: int = 28, head_h: int = 40) -> dict:
    """Cells of the department × domain heat map with fill colours and readable text colours."""
    label_w = round(label_width([r["department"] for r in matrix["rows"]]))
    top = max([n for r in matrix["rows"] for n in r["cells"]] or [1]) or 1
    columns = [{"domain": d, "label": short_domain(d), "x": label_w + j * cell_w + cell_w / 2} for j, d in enumerate(matrix["domains"])]
    rows = []
    for i, r in enumerate(matrix["rows"]):
        y = head_h + i * cell_h
        cells = []
        for j, n in enumerate(r["cells"]):
            t = n / top
            cells.append(
                {
                    "n": n,
                    "domain": matrix["domains"][j],
                    "x": label_w + j * cell_w,
                    "y": y,
                    "fill": _mix(t) if n else "#ffffff",
                    "ink": "#ffffff" if t > 0.45 else "#1b2633",
                    "tx": label_w + j * cell_w + cell_w / 2,
                    "ty": y + cell_h * 0.68,
                }
            )
        rows.append({"department": r["department"], "total": r["total"], "y": y, "text_y": y + cell_h * 0.68, "cells": cells})
    width = label_w + len(columns) * cell_w + 56
    height = head_h + len(rows) * cell_h + 4
    legend = [{"n": round(top * k / 4), "fill": _mix(k / 4)} for k in range(1, 5)]
    return {"width": width, "height": height, "cell_w": cell_w, "cell_h": cell_h, "label_w": label_w, "head_h": head_h,
            "columns": columns, "rows": rows, "total_x": label_w + len(columns) * cell_w + 10, "legend": legend, "max": top}


def _mix(t: float) -> str:
    t = max(0.0, min(1.0, 0.12 + 0.88 * t))
    return "#" + "".join(f"{round(a + (b - a) * t):02x}" for a, b in zip(LOW, HIGH))


def _nice_step(top: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500):
        if top / step <= 6:
            return step
    return 1000
