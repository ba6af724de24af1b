"""Status and warning of an indicator from its yearly values: 已达标/未达标/无数据, 预警, 波动.

The rules are documented in docs/indicators.md.
"""

from __future__ import annotations

import statistics
from typing import Any

from kb.indicators import Indicator, extract
from kb.monitor.store import Monitor
from kb.monitor.values import DEFAULT_YEARS, UNIT_MAX, plain_number, years_of

MET, NOT_MET, NO_DATA = "已达标", "未达标", "无数据"
WARN, VOLATILE = "预警", "波动"
APPROX_TOLERANCE = 0.05  # "≈ t" (and "= t" without a direction) is met within ±5 % of t
VOLATILITY_FACTOR = 2.0  # a change is large when > 2 × the median of the other changes …
VOLATILITY_MIN_SHARE = 0.05  # … and at least 5 % of the series' mean level


def is_met(ind: Indicator, value: float, previous: float | None = None) -> bool:
    """Whether a value meets a numeric target (or moves a qualitative one the right way)."""
    if ind.value is None:
        if previous is None:
            return False
        return (
            value > previous
            if ind.direction == "up"
            else value < previous
            if ind.direction == "down"
            else value == previous
        )
    t = ind.value
    if ind.comparator == ">=" or (ind.comparator == "=" and ind.direction == "up"):
        return value >= t
    if ind.comparator == "<=" or (ind.comparator == "=" and ind.direction == "down"):
        return value <= t
    return abs(value - t) <= APPROX_TOLERANCE * abs(t)


def fit_line(series: list[tuple[int, float]]) -> tuple[float, float]:
    """Least-squares (intercept, slope) of value against year."""
    xs = [float(y) for y, _ in series]
    ys = [float(v) for _, v in series]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx if sxx else 0.0
    return my - slope * mx, slope


def fluctuations(series: list[tuple[int, float]]) -> list[int]:
    """Years whose year-on-year change is large relative to the series (rule in docs/indicators.md).

    A change counts when it is at least 5 % of the series' mean level and either a jump
    (more than twice the median of the other changes) or half of a swing (the next or
    previous change goes the other way and is also that large). In a series that only
    rises or only falls, a jump must also be more than twice each neighbouring change:
    a trend that slows down or speeds up steadily (15 → 14 → 13.5 → 13.2) is no fluctuation.
    """
    if len(series) < 3:
        return []
    changes = [(y1, (v1 - v0) / (y1 - y0)) for (y0, v0), (y1, v1) in zip(series, series[1:], strict=False)]
    floor = VOLATILITY_MIN_SHARE * statistics.fmean(abs(v) for _, v in series)
    monotonic = all(c > 0 for _, c in changes) or all(c < 0 for _, c in changes)
    out = []
    for i, (year, d) in enumerate(changes):
        if abs(d) < floor or d == 0:
            continue
        others = [abs(c) for j, (_, c) in enumerate(changes) if j != i]
        jump = abs(d) > VOLATILITY_FACTOR * statistics.median(others)
        if monotonic:
            neighbours = [abs(changes[j][1]) for j in (i - 1, i + 1) if 0 <= j < len(changes)]
            jump = jump and all(abs(d) > VOLATILITY_FACTOR * n for n in neighbours)
        swing = any(
            0 <= j < len(changes) and changes[j][1] * d < 0 and abs(changes[j][1]) >= floor for j in (i - 1, i + 1)
        )
        if jump or swing:
            out.append(year)
    return out


def assess(ind: Indicator, series: list[tuple[int, float]], end_year: int = DEFAULT_YEARS[1]) -> dict:
    """Status, warnings and projection of one indicator from its (year, value) series."""
    series = sorted((int(y), float(v)) for y, v in series)
    out: dict[str, Any] = {
        "status": NO_DATA,
        "latest": None,
        "warnings": [],
        "projection": None,
        "fluctuations": [],
        "reason": "尚无数据",
        "series": [{"year": y, "value": plain_number(v)} for y, v in series],
    }
    if not series:
        return out
    year, value = series[-1]
    out["latest"] = {"year": year, "value": plain_number(value)}
    if ind.value is not None:
        met = is_met(ind, value)
        out["status"] = MET if met else NOT_MET
        out["reason"] = f"{year} 年为 {plain_number(value)}{ind.unit}，目标 {ind.target_label}"
    elif len(series) < 2:
        out["reason"] = "只有一年数据，无法判断变化方向"
    else:
        prev = series[-2][1]
        out["status"] = MET if is_met(ind, value, prev) else NOT_MET
        out["reason"] = (
            f"{series[-2][0]} 年 {plain_number(prev)} → {year} 年 {plain_number(value)}，目标方向 {ind.target_label}"
        )
    if len(series) >= 3:
        intercept, slope = fit_line(series)
        projected = intercept + slope * end_year
        if ind.unit in UNIT_MAX:
            projected = min(max(projected, 0.0), float(UNIT_MAX[ind.unit]))
        out["projection"] = {
            "year": end_year,
            "value": round(projected, 4),
            "slope": round(slope, 6),
            "intercept": round(intercept, 6),
            "line": [{"year": y, "value": round(intercept + slope * y, 4)} for y in range(series[0][0], end_year + 1)],
        }
        if ind.value is not None:
            will_meet = is_met(ind, projected)
        else:
            will_meet = slope > 0 if ind.direction == "up" else slope < 0 if ind.direction == "down" else True
        if not will_meet:
            out["warnings"].append(WARN)
        out["fluctuations"] = fluctuations(series)
        if out["fluctuations"]:
            out["warnings"].append(VOLATILE)
    return out


def status(
    kb, monitor: Monitor, dept: str | None = None, doc: str | None = None, domain: str | None = None
) -> list[dict]:
    """Per indicator: the indicator, its series, latest value, status, warnings and projection."""
    series = monitor.all_series()
    out = []
    for ind in extract(kb, dept=dept, doc=doc):
        if domain and ind.domain != domain:
            continue
        end = years_of(kb, ind.doc)[-1]
        out.append({"indicator": ind.to_dict(), **assess(ind, series.get(ind.id, []), end)})
    return out
