"""How a way of working holds up under the scenario's shocks, read from one run's time series.

The level is the rolling coverage ``coverage_13w`` (:data:`sim.core.metrics.WEEKLY_METRICS`: the
need episodes of the last 13 start weeks whose follow-up is over, those served in time). With
the first shock starting in model week ``s``:

- ``pre_shock_level``: the level in week ``s - 1``;
- ``lowest_level`` and ``lowest_week``: the lowest level from week ``s`` on (``lowest_week`` on
  the shocks' clock: weeks from the start of measured time);
- ``dip_depth``: ``pre_shock_level - lowest_level`` (share points; negative: no dip);
- ``weeks_to_recover``: weeks from ``s`` to the first week after the lowest one in which the
  level is back within 1 point of ``pre_shock_level``; ``recovered`` is 1 then, and 0 (with
  ``weeks_to_recover`` NaN, "not recovered") when that never happens before the run ends;
- ``equity_gap_before``: the rolling gap (other families' rolling coverage minus marginalised
  families') in week ``s - 1``; ``equity_gap_during``: its mean over the shock window, from week
  ``s`` to the end of the last shock plus the follow-up (the rolling coverage of a week reads
  needs that started up to a follow-up earlier), or to the end of the run.

A run's summary carries these as ``resilience.<name>`` when its scenario has a shock inside the
horizon (:func:`measure`); ``sim run`` prints them as sentences (:func:`lines`), and the
experiment report compares the arms (:func:`report_section`).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pandas as pd

from sim.scenario.shocks import shock_end

LEVEL = "coverage_13w"
OTHER, MARGINALISED = "coverage_13w_other", "coverage_13w_marginalised"
RECOVERED_WITHIN = 0.01  # back within 1 point of the pre-shock level
PREFIX = "resilience."


class Measure(NamedTuple):
    """A resilience measure: its name (after ``resilience.``), unit, label and better way."""

    name: str
    unit: str
    label: str
    better: str | None


MEASURES = (
    Measure("pre_shock_level", "share", "Needs served in time (13 weeks) before the first shock",
            "higher"),
    Measure("lowest_level", "share", "Lowest after the first shock", "higher"),
    Measure("lowest_week", "weeks", "Week of the lowest level (from the start of measured time)",
            None),
    Measure("dip_depth", "share points", "Depth of the dip", "lower"),
    Measure("weeks_to_recover", "weeks", "Weeks to recover (within 1 point)", "lower"),
    Measure("recovered", "share", "Recovered before the end of the run", "higher"),
    Measure("equity_gap_before", "share points", "Equity gap before the first shock", "lower"),
    Measure("equity_gap_during", "share points", "Equity gap during the shocks", "lower"),
)
UNITS = {PREFIX + m.name: m.unit for m in MEASURES}


def shock_window(scenario) -> tuple[int, int] | None:
    """Model weeks (first, last) of the shock window, None without a shock inside the horizon."""
    warmup, steps = scenario.time.warmup_weeks, scenario.time.steps
    inside = [s for s in scenario.shocks if warmup + s.week < steps]
    if not inside:
        return None
    ends = [shock_end(s) for s in inside]
    last = (steps - 1 if None in ends
            else warmup + max(ends) + scenario.time.follow_up_weeks)
    return warmup + min(s.week for s in inside), min(last, steps - 1)


def measure(scenario, timeseries: pd.DataFrame) -> dict[str, float]:
    """The ``resilience.*`` measures of one run (``timeseries``: its weekly rows, with ``week``
    and the rolling coverage columns); {} when the scenario has no shock inside the horizon."""
    window = shock_window(scenario)
    if window is None:
        return {}
    first, last = window
    warmup = scenario.time.warmup_weeks
    frame = timeseries.set_index("week")
    out = resilience(frame[LEVEL], frame[OTHER] - frame[MARGINALISED], first, last)
    out["lowest_week"] -= warmup
    return {PREFIX + k: v for k, v in out.items()}


def resilience(level: pd.Series, gap: pd.Series, first: int, last: int) -> dict[str, float]:
    """The measures from a weekly ``level`` and equity ``gap`` (both indexed by week), the first
    shock in week ``first`` and the shock window ending in week ``last`` (module docstring)."""
    nan = float("nan")
    pre = float(level.get(first - 1, nan))
    after = level[level.index >= first].astype(float)
    finite = after[np.isfinite(after)]
    low_week = int(finite.idxmin()) if len(finite) else None
    low = float(finite.min()) if len(finite) else nan
    back = (after[(after.index > low_week) & (after >= pre - RECOVERED_WITHIN)]
            if low_week is not None and math.isfinite(pre) else after.iloc[:0])
    known = math.isfinite(pre) and low_week is not None
    during = gap[(gap.index >= first) & (gap.index <= last)].astype(float)
    return {
        "pre_shock_level": pre,
        "lowest_level": low,
        "lowest_week": float(low_week) if low_week is not None else nan,
        "dip_depth": pre - low,
        "weeks_to_recover": float(back.index[0] - first) if len(back) else nan,
        "recovered": (1.0 if len(back) else 0.0) if known else nan,
        "equity_gap_before": float(gap.get(first - 1, nan)),
        "equity_gap_during": float(during.mean()) if np.isfinite(during).any() else nan,
    }


def _points(value: float) -> str:
    return f"{100 * value:.1f} points"


def lines(summary: dict[str, float]) -> list[str]:
    """The resilience measures of a run summary as sentences ([] when it has none)."""
    if PREFIX + "dip_depth" not in summary:
        return []
    r = {m.name: summary[PREFIX + m.name] for m in MEASURES}
    if not math.isfinite(r["pre_shock_level"]):
        return ["Resilience: n/a (no rolling coverage before the first shock: it needs the "
                "follow-up plus 13 measured weeks before it)"]
    recovery = (f"recovered {r['weeks_to_recover']:.0f} weeks after the first shock"
                if r["recovered"] == 1.0 else "not recovered by the end of the run")
    return [
        "Resilience (needs served in time over the last 13 weeks, coverage_13w):",
        f"  before the first shock {100 * r['pre_shock_level']:.1f}%; lowest "
        f"{100 * r['lowest_level']:.1f}% in week {r['lowest_week']:.0f} of measured time: a dip of "
        f"{_points(r['dip_depth'])}; {recovery}",
        f"  equity gap (other minus marginalised families) {_points(r['equity_gap_before'])} "
        f"before, {_points(r['equity_gap_during'])} on average during the shocks",
    ]


def report_section(runs: pd.DataFrame) -> list[str]:
    """Markdown lines comparing the arms' resilience (mean [95% interval] over replications),
    [] when the runs carry no resilience measures (no shock in the experiment's scenario)."""
    from sim.experiments.report_text import number
    from sim.experiments.stats import arm_summary

    shown = [m for m in MEASURES if m.name not in ("lowest_level", "lowest_week")]
    columns = [PREFIX + m.name for m in shown]
    if not set(columns) <= set(runs):
        return []
    summary = arm_summary(runs, columns).set_index(["arm", "metric"])
    words = {"share": "%", "share points": "points", "weeks": "weeks"}
    lines = ["## How each way of working holds up under the shocks", "",
             "Read from each run's rolling coverage (needs served in time over the last 13 weeks): "
             "the level before the first shock, how far it fell (the dip, in points), the weeks "
             "from the first shock until it was back within 1 point (among the replications "
             "that recovered; \"recovered\": the share of replications that did) and the gap "
             "between other and marginalised families before and during the shocks. Mean over "
             "the replications [95% interval].", "",
             "| arm | " + " | ".join(f"{m.label} ({words[m.unit]})" for m in shown) + " |",
             "|---|" + "---|" * len(shown)]
    for arm in dict.fromkeys(runs["arm"]):
        cells = []
        for m in shown:
            r = summary.loc[(arm, PREFIX + m.name)]
            cells.append(f"{number(r['mean'], m.unit)} [{number(r['low'], m.unit)}, "
                         f"{number(r['high'], m.unit)}]")
        lines.append(f"| {arm} | " + " | ".join(cells) + " |")
    return [*lines, ""]
