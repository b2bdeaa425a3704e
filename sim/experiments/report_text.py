"""Words and numbers as people who do not read code read them, for the report and its figures.

Labels, units and "which way is better" come from the metrics table (``sim.core.metrics.METRICS``)
and the scenario's currency, never from column names; the plain-language summary that opens
report.md is written here from the paired differences.
"""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pandas as pd

from sim.core.metrics import (
    COUNT_UNITS,
    DIFFERENCE_UNITS,
    GROUP_COVERAGE_PREFIX,
    METRIC_INFO,
    OVERLAP_SUFFIX,
    SECTOR_COVERAGE_PREFIX,
    WEEKLY_INFO,
    group_of,
    sector_of,
)
from sim.scenario.presets import DESCRIPTIONS

# the summary's sentences after the first, each the metrics it tells (in this order): the
# child-level headline first, then coverage, marginalised families and equity, duplication and cost
SUMMARY_GROUPS: tuple[tuple[str, ...], ...] = (
    ("full_package_share",),
    ("coverage",),
    ("coverage_marginalised", "equity_gap"),
    ("duplication_rate", "total_cost"),
)
SUMMARY_METRICS = tuple(m for group in SUMMARY_GROUPS for m in group)


# ------------------------------------------------------------------ names
def metric_label(name: str) -> str:
    """A metric's label in plain words (per-sector metrics: the sector's label)."""
    info = METRIC_INFO.get(name) or WEEKLY_INFO.get(name)
    if info is not None:
        return info.label
    group = group_of(name)
    if group is not None:
        who = group.removesuffix(OVERLAP_SUFFIX).replace("_", " ")
        who += " and marginalised" if group.endswith(OVERLAP_SUFFIX) else ""
        what = ("Needs served in time" if name.startswith(GROUP_COVERAGE_PREFIX)
                else "Children fully served")
        return f"{what}, {who} families"
    sector = (sector_of(name) or name).replace("_", " ")
    if name.startswith(SECTOR_COVERAGE_PREFIX):
        return f"Needs served in time, {sector}"
    return f"Children reached a year, {sector}"


def better(name: str) -> str | None:
    """"higher" or "lower" when that is better for families or the budget, else None."""
    info = METRIC_INFO.get(name)
    return info.better if info is not None else "higher"  # per-sector: coverage, children reached


def is_share(unit: str) -> bool:
    return unit.startswith("share") and unit not in DIFFERENCE_UNITS


def unit_words(unit: str) -> str:
    """How a unit is written after a number or in a heading: "%", "points", "USD per need"."""
    if unit in DIFFERENCE_UNITS:
        return "points"
    if is_share(unit):
        return "%" + unit[len("share"):]
    return unit


def model_name(model: str) -> str:
    """A coordination model's name in words: ``full_integration`` -> "full integration"."""
    return model.replace("_", " ").replace("+", " + ")


def plain_arm(label: str) -> str:
    """An arm's name without factor keys: ``coordination=full_integration, city.families=2000``
    -> "full integration, families 2000" (a name without ``=`` is returned as it is)."""
    if "=" not in label:
        return label
    scenario, _, rest = label.rpartition(": ")
    parts = []
    for part in rest.split(", "):
        key, eq, value = part.partition("=")
        if not eq:
            parts.append(part)
        elif key == "coordination":
            parts.append(model_name(value))
        else:
            parts.append(f"{key.rsplit('.', 1)[-1].replace('_', ' ')} {value}")
    return (f"{scenario}: " if scenario else "") + ", ".join(parts)


def arm_names(labels: list[str]) -> dict[str, str]:
    """Each arm label's plain name; the label itself where two plain names would be the same."""
    names = {label: plain_arm(label) for label in labels}
    taken = pd.Series(list(names.values())).value_counts()
    return {label: name if taken[name] == 1 else label for label, name in names.items()}


def wrap(text: str, width: int = 22) -> str:
    """A long name on several lines (tick labels that do not run into each other)."""
    return "\n".join(textwrap.wrap(text, width)) or text


# ------------------------------------------------------------------ numbers
def _plain(value: float, unit: str) -> str:
    """A number without its unit: counts whole, others with fewer decimals as they grow."""
    if unit in COUNT_UNITS or abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 1:
        text = f"{value:,.1f}"
    else:
        text = f"{value:.2f}"
    return "0" if text.lstrip("-").strip("0.,") == "" else text


def number(value: float | None, unit: str) -> str:
    """A value as a table cell (its unit in the column heading): shares as percentages."""
    if value is None or not math.isfinite(value):
        return "n/a"
    if is_share(unit):
        return f"{100 * value:.1f}%"
    if unit in DIFFERENCE_UNITS:
        return f"{100 * value:.1f}"
    return _plain(value, unit)


def change(value: float | None, unit: str, words: bool = False) -> str:
    """A difference, signed: shares and share points as points, others in their unit
    (``words``: with the unit written out, for sentences)."""
    if value is None or not math.isfinite(value):
        return "n/a"
    if is_share(unit) or unit in DIFFERENCE_UNITS:
        text = f"{100 * value:+.1f}"
        return f"{text} points" if words else text
    text = _plain(value, unit)
    text = text if text.startswith("-") or text == "0" else "+" + text
    return f"{text} {unit_words(unit)}" if words else text


def change_unit(unit: str) -> str:
    """The unit of a difference: points for shares, else the unit's words."""
    return "points" if is_share(unit) or unit in DIFFERENCE_UNITS else unit_words(unit)


def relative(value: float, unit: str) -> str:
    """A relative change, or "n/a" where it means nothing (a quantity that crosses zero, such as
    the equity gap: its change is the points of the difference column)."""
    if unit in DIFFERENCE_UNITS or not np.isfinite(value):
        return "n/a"
    return f"{value:+.0%}" if abs(value) >= 0.1 else f"{value:+.1%}"


def verdict(row, name: str) -> str:
    """"better", "worse", "higher", "lower" when the 95% interval of a paired difference excludes
    zero (better/worse where the metrics table says which way is better), "no clear difference"
    when it includes zero, "n/a" when there is no interval."""
    low, high = row["low"], row["high"]
    if not (np.isfinite(low) and np.isfinite(high)):
        return "n/a"
    if low <= 0 <= high:
        return "no clear difference"
    way = "higher" if low > 0 else "lower"
    good = better(name)
    if good is None:
        return way
    return "better" if way == good else "worse"


# ------------------------------------------------------------------ the summary
def summary_sentences(diffs: pd.DataFrame, unit: dict[str, str], reference: str,
                      replications: int) -> list[str]:
    """The plain-language summary: one sentence saying what is compared, then one per group of
    :data:`SUMMARY_GROUPS` (arms better or worse than the reference, by how much, with the 95%
    interval of the paired difference; arms where it includes zero named as not clearly
    different). ``diffs`` has plain arm names; ``reference`` is the reference's coordination
    model."""
    about = DESCRIPTIONS.get(reference)
    others = diffs["arm"].nunique()
    first = (f"This report compares {others} way{'s' if others != 1 else ''} of working with "
             f"{model_name(reference)}" + (f" ({about})" if about else "")
             + f", each run {replications} times on the same random numbers; below, better or "
             "worse means the 95% interval of the paired difference excludes zero.")
    sentences = [first]
    present = set(diffs["metric"]) if len(diffs) else set()
    for group in SUMMARY_GROUPS:
        parts = [_metric_clause(diffs[diffs["metric"] == m], m, unit[m], reference)
                 for m in group if m in present]
        if parts:
            text = "; ".join(parts)
            sentences.append(text[0].upper() + text[1:] + ".")
    return sentences


SIZES_UP_TO = 4  # with more arms compared, those not clearly different are only named


def _metric_clause(rows: pd.DataFrame, name: str, unit: str, reference: str) -> str:
    label = metric_label(name)
    label = label if name == "full_package_share" else label[0].lower() + label[1:]
    if name == "full_package_share":
        label += " (the headline for children)"
    found: dict[str, list[str]] = {}
    for _, r in rows.iterrows():
        way = verdict(r, name)
        if way == "n/a" or way == "no clear difference" and len(rows) > SIZES_UP_TO:
            found.setdefault(way, []).append(r["arm"])
            continue
        size = change(r["difference"], unit, words=True)
        if not (is_share(unit) or unit in DIFFERENCE_UNITS) and np.isfinite(r["relative"]):
            size += f", {relative(r['relative'], unit)}"
        found.setdefault(way, []).append(
            f"{r['arm']} ({size}, 95% interval {change(r['low'], unit)} to "
            f"{change(r['high'], unit)})")
    than = model_name(reference)
    clauses = [f"**{way}** than {than} with {_and(found[way])}"
               for way in ("better", "higher", "worse", "lower") if way in found]
    if "no clear difference" in found:
        arms = found["no clear difference"]
        if len(rows) > SIZES_UP_TO and len(arms) == len(rows):
            clauses.append(f"**no clear difference** from {than} for any of the {len(arms)} ways of "
                           "working (every interval includes zero)")
        elif len(rows) > SIZES_UP_TO:
            clauses.append(f"**no clear difference** with {_and(arms)} (intervals include zero)")
        else:
            clauses.append(f"**no clear difference** from {than} with {_and(arms)}")
    if "n/a" in found and not clauses:
        return f"{label}: not available in these runs (too short, or too few replications)"
    if "n/a" in found:
        clauses.append(f"not available for {_and(found['n/a'])}")
    return f"{label}: " + ", ".join(clauses)  # the verdicts in bold, for a reader who skims


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
