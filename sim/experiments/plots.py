"""Figures shared by the sweep report, the sensitivity analysis and the Python API (matplotlib).

Every figure is built on a bare :class:`matplotlib.figure.Figure` (no pyplot): nothing needs a
display or closing, and in a notebook a returned figure is shown once. Two layers:

- ``plot_*`` helpers take the runs table of a sweep (``sim.sweep(...)`` or
  ``ResultStore(folder).read()``) and return a figure; the report and notebooks call these.
- the lower-level builders take an arm summary (``sim.experiments.stats.arm_summary``) or paired differences;
  ``save(fig, path)`` writes a PNG.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter, MaxNLocator

from sim.core.metrics import units
from sim.experiments.report_text import (
    change_unit,
    is_share,
    metric_label,
    plain_arm,
    unit_words,
    wrap,
)
from sim.experiments.stats import arm_summary

HEADLINE = ["full_package_share", "full_package_share_marginalised", "coverage",
            "coverage_marginalised", "duplication_rate", "total_cost",
            "cost_per_need_met", "coordination_cost", "mean_wait_weeks", "referral_completion"]
DPI = 90


def save(fig: Figure, path: str | Path, dpi: int = DPI) -> Path:
    """Write ``fig`` as a PNG at ``path`` and return the path."""
    path = Path(path)
    fig.savefig(path, dpi=dpi)
    return path


class _Numbers(Formatter):
    """Tick labels as people read them: shares in % (changes of shares in points), other numbers
    with thousands separators, every label of an axis with the same decimals (as few as the
    ticks' spacing needs); never an offset or a power of ten written above the axis."""

    def __init__(self, scale: float = 1, suffix: str = "", signed: bool = False):
        self.scale, self.suffix, self.signed, self.digits = scale, suffix, signed, 0

    def format_ticks(self, values):
        steps = np.diff(np.asarray(values, dtype=float) * self.scale)
        step = float(np.min(np.abs(steps[steps != 0]))) if np.any(steps != 0) else 1.0
        self.digits = int(min(max(0, -np.floor(np.log10(step) + 1e-9)), 4))
        return [self(v, i) for i, v in enumerate(values)]

    def __call__(self, value, pos=None):
        value = float(value) * self.scale
        if abs(value) < 0.5 * 10.0 ** -self.digits:
            return "0" + self.suffix
        return f"{value:{'+' if self.signed else ''},.{self.digits}f}{self.suffix}"


def _axis_numbers(axis, unit: str, difference: bool = False) -> None:
    """:class:`_Numbers` on ``axis`` for a metric's ``unit`` (``difference``: of a change),
    with few enough ticks that their labels do not run together."""
    points = difference and change_unit(unit) == "points"
    scale = 100 if is_share(unit) or points else 1
    axis.set_major_locator(MaxNLocator(nbins=5))
    axis.set_major_formatter(_Numbers(scale, "%" if is_share(unit) and not difference else "",
                                      signed=difference))


def _title(metric: str, unit: dict[str, str], difference: bool = False) -> str:
    words = change_unit(unit.get(metric, "share")) if difference else unit_words(
        unit.get(metric, "share"))
    return f"{metric_label(metric)} ({words})"


def _unavailable(ax) -> None:
    """A panel whose metric has no value in these runs says so."""
    ax.text(0.5, 0.5, "not available in these runs", transform=ax.transAxes, ha="center",
            va="center", fontsize=8, color="grey")


def _arms(labels) -> list[str]:
    return [wrap(plain_arm(str(a))) for a in labels]


def _err(table: pd.DataFrame) -> np.ndarray:
    low = (table["mean"] - table["low"]).fillna(0).clip(lower=0)
    high = (table["high"] - table["mean"]).fillna(0).clip(lower=0)
    return np.vstack([low, high])


def _ok(runs: pd.DataFrame) -> pd.DataFrame:
    return runs[runs["status"] == "ok"] if "status" in runs else runs


def _summary(runs: pd.DataFrame, metrics: list[str], by: str) -> pd.DataFrame:
    ok = _ok(runs)
    present = [m for m in metrics if m in ok.columns]
    return arm_summary(ok, present, by=by).rename(columns={by: "arm"})


# ------------------------------------------------------------------ from the runs table
def plot_comparison(runs: pd.DataFrame, metrics: list[str] | None = None, by: str = "arm",
                    currency: str | None = None) -> Figure:
    """Each arm's mean of each metric with its 95% interval over replications (one panel each).

    Args:
        runs: the runs table of a sweep (one row per run).
        metrics: metric columns (default: the headline metrics).
        by: the column that names the arms (``arm``, or a factor such as ``coordination``).
        currency: the scenario's currency, named on money axes.
    """
    metrics = list(metrics or HEADLINE)
    return comparison(_summary(runs, metrics, by), metrics, currency)


def plot_cost_coverage(runs: pd.DataFrame, by: str = "arm", currency: str | None = None) -> Figure:
    """Each arm's mean total cost against its mean coverage, with 95% intervals."""
    return cost_coverage(_summary(runs, ["coverage", "total_cost"], by), currency)


def plot_equity(runs: pd.DataFrame, by: str = "arm") -> Figure:
    """Coverage of marginalised and other families, side by side for each arm."""
    return equity_figure(_summary(runs, ["coverage_marginalised", "coverage_other"], by))


def plot_timeseries(runs: pd.DataFrame, metrics: list[str] | None = None, by: str = "arm",
                    warmup: int = 0, currency: str | None = None) -> Figure:
    """Mean weekly trajectory of each recorded time series (``ts.<metric>`` columns) by arm."""
    ok = _ok(runs)
    names = metrics or [c[3:] for c in ok.columns if c.startswith("ts.")]
    series: dict[str, dict[str, np.ndarray]] = {}
    for metric in names:
        column = f"ts.{metric}"
        if column in ok:
            series[metric] = {arm: np.vstack([np.asarray(v, dtype=float) for v in group[column]])
                              for arm, group in ok.groupby(by, sort=False)}
    return timeseries_figure(series, warmup, currency)


def plot_differences(diffs: pd.DataFrame, metrics: list[str] | None = None,
                     currency: str | None = None) -> Figure:
    """Paired differences against the reference arm (``sim.experiments.stats.paired_differences``).

    One panel per metric: each arm's mean difference with its 95% interval; the zero line is "no
    different from the reference". Differences of shares are in points.
    """
    metrics = [m for m in (metrics or list(dict.fromkeys(diffs["metric"])))
               if m in set(diffs["metric"])]
    cols = 2 if len(metrics) > 1 else 1
    rows = max(int(np.ceil(len(metrics) / cols)), 1)
    arms = list(dict.fromkeys(diffs["arm"]))
    fig = Figure(figsize=(11 if cols == 2 else 6, 1.6 + 0.45 * _lines(arms) * rows))
    axes = fig.subplots(rows, cols, squeeze=False)
    unit = units([], currency)
    for ax, metric in zip(axes.flat, metrics, strict=False):
        t = diffs[diffs["metric"] == metric].set_index("arm").reindex(arms)
        err = np.vstack([(t["difference"] - t["low"]).fillna(0).clip(lower=0),
                         (t["high"] - t["difference"]).fillna(0).clip(lower=0)])
        _interval_panel(ax, t["difference"], err, arms, _title(metric, unit, difference=True))
        _axis_numbers(ax.xaxis, unit.get(metric, "share"), difference=True)
        ax.axvline(0, color="grey", lw=1)
    for ax in list(axes.flat)[len(metrics):]:
        ax.set_visible(False)
    reference = ", ".join(plain_arm(r) for r in dict.fromkeys(diffs["reference"])) if len(diffs) else ""
    fig.suptitle(f"Difference from {reference} (paired by replication, 95% intervals)", fontsize=11)
    fig.tight_layout()
    return fig


BUYS = ("full_package_share", "coverage")  # what a way of working buys, in order of preference


def buys_metric(diffs: pd.DataFrame) -> str | None:
    """The measure of what each arm buys: the full-package share where the runs measured it, else
    coverage (None without either, or without total cost)."""
    if "total_cost" not in set(diffs["metric"]):
        return None
    for metric in BUYS:
        values = diffs.loc[diffs["metric"] == metric, "difference"]
        if np.isfinite(values.astype(float)).any():
            return metric
    return None


def plot_what_each_buys(diffs: pd.DataFrame, currency: str | None = None) -> Figure:
    """What each way of working buys, at what cost: each arm's paired difference from its
    reference in children fully served (or coverage, where that was not measured) across, and
    in total cost up, both with 95% intervals; the reference sits at (0, 0)."""
    metric = buys_metric(diffs)
    if metric is None:
        raise ValueError("what each arm buys needs paired differences of total_cost and of "
                         "full_package_share or coverage")
    unit = units([], currency)
    gain = diffs[diffs["metric"] == metric].set_index("arm")
    cost = diffs[diffs["metric"] == "total_cost"].set_index("arm")
    arms = [a for a in dict.fromkeys(diffs["arm"]) if a in gain.index and a in cost.index]
    fig = Figure(figsize=(8, 5.8), layout="constrained")
    ax = fig.subplots()
    ax.axhline(0, color="grey", lw=1)
    ax.axvline(0, color="grey", lw=1)
    for i, arm in enumerate(arms):
        g, k = gain.loc[[arm]], cost.loc[[arm]]
        ax.errorbar(g["difference"], k["difference"], xerr=_diff_err(g), yerr=_diff_err(k), fmt="o",
                    capsize=3, color=f"C{i % 10}", label=wrap(plain_arm(arm), 30))
    reference = ", ".join(plain_arm(r) for r in dict.fromkeys(diffs["reference"]))
    ax.set_xlabel(f"{metric_label(metric)}: change against {reference} (points)")
    ax.set_ylabel(f"{metric_label('total_cost')}: change ({unit_words(unit['total_cost'])})")
    _axis_numbers(ax.xaxis, unit[metric], difference=True)
    _axis_numbers(ax.yaxis, unit["total_cost"], difference=True)
    ax.set_title("What each way of working buys, at what cost (95% intervals)", fontsize=11)
    ax.grid(alpha=0.3)
    fig.legend(loc="outside right upper", fontsize=8, title="way of working", title_fontsize=8)
    return fig


def _diff_err(table: pd.DataFrame) -> np.ndarray:
    return np.vstack([(table["difference"] - table["low"]).fillna(0).clip(lower=0),
                      (table["high"] - table["difference"]).fillna(0).clip(lower=0)])


def _lines(arms: list[str]) -> int:
    """Text lines the arms' wrapped names take, one arm at least one line."""
    return max(sum(name.count("\n") + 1 for name in _arms(arms)), 1)


def _interval_panel(ax, values, err, arms: list[str], title: str) -> None:
    """One arm per row: a point with its interval (a panel without any value says so)."""
    y = np.arange(len(arms))
    ax.errorbar(values, y, xerr=err, fmt="o", capsize=3)
    ax.set_yticks(y, _arms(arms), fontsize=8)
    ax.invert_yaxis()
    ax.set_title(title, fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    if not np.isfinite(np.asarray(values, dtype=float)).any():
        _unavailable(ax)
        ax.set_xticks([])


# ------------------------------------------------------------------ from an arm summary
def comparison(summary: pd.DataFrame, metrics: list[str], currency: str | None = None) -> Figure:
    """One panel per metric: each arm's mean with its 95% interval (``summary``: arm_summary)."""
    metrics = [m for m in metrics if m in set(summary["metric"])]
    cols = 2
    rows = max(int(np.ceil(len(metrics) / cols)), 1)
    arms = list(dict.fromkeys(summary["arm"]))
    fig = Figure(figsize=(11, 2.2 + 0.45 * _lines(arms) * rows))
    axes = fig.subplots(rows, cols, squeeze=False)
    unit = units([], currency)
    for ax, metric in zip(axes.flat, metrics, strict=False):
        t = summary[summary["metric"] == metric].set_index("arm").loc[arms].reset_index()
        _interval_panel(ax, t["mean"], _err(t), arms, _title(metric, unit))
        _axis_numbers(ax.xaxis, unit.get(metric, "share"))
    for ax in list(axes.flat)[len(metrics):]:
        ax.set_visible(False)
    fig.suptitle("Mean by arm with 95% confidence intervals", fontsize=11)
    fig.tight_layout()
    return fig


def metric_by_arm(summary: pd.DataFrame, metrics: list[str], path: Path) -> Path:
    """Write :func:`comparison` to ``path``."""
    return save(comparison(summary, metrics), path)


def cost_coverage(summary: pd.DataFrame, currency: str | None = None) -> Figure:
    """Each arm's mean total cost against its mean coverage, with intervals."""
    cov = summary[summary["metric"] == "coverage"].set_index("arm")
    cost = summary[summary["metric"] == "total_cost"].set_index("arm")
    unit = units([], currency)
    fig = Figure(figsize=(8, 5.5), layout="constrained")
    ax = fig.subplots()
    for i, arm in enumerate(cov.index):
        c, k = cov.loc[[arm]], cost.loc[[arm]]
        ax.errorbar(c["mean"], k["mean"], xerr=_err(c), yerr=_err(k), fmt="o", capsize=3,
                    color=f"C{i % 10}", label=wrap(plain_arm(str(arm)), 30))
    ax.set_xlabel(_title("coverage", unit))
    ax.set_ylabel(_title("total_cost", unit))
    _axis_numbers(ax.xaxis, unit["coverage"])
    _axis_numbers(ax.yaxis, unit["total_cost"])
    ax.set_title("Total cost against needs served in time (means, 95% intervals)", fontsize=11)
    ax.grid(alpha=0.3)
    fig.legend(loc="outside right upper", fontsize=8, title="arm", title_fontsize=8)
    return fig


def cost_vs_coverage(summary: pd.DataFrame, path: Path) -> Path:
    """Write :func:`cost_coverage` to ``path``."""
    return save(cost_coverage(summary), path)


def timeseries_figure(series: dict[str, dict[str, np.ndarray]], warmup: int = 0,
                      currency: str | None = None) -> Figure:
    """Mean weekly trajectory of each metric, one line per arm (the legend beside the panels).

    Args:
        series: metric -> arm -> (replications, weeks) array.
    """
    metrics = list(series)
    unit = units([], currency)
    fig = Figure(figsize=(10, 2.4 * max(len(metrics), 1)), layout="constrained")
    axes = fig.subplots(max(len(metrics), 1), 1, squeeze=False)
    for ax, metric in zip(axes.flat, metrics, strict=False):
        for arm, values in series[metric].items():
            with warnings.catch_warnings():  # weeks of warm-up have no value yet (NaN)
                warnings.simplefilter("ignore", RuntimeWarning)
                mean = np.nanmean(values, axis=0)
            ax.plot(np.arange(len(mean)), mean, label=wrap(plain_arm(str(arm)), 30), lw=1.2)
        if warmup:
            ax.axvspan(0, warmup, color="grey", alpha=0.15, lw=0)
        ax.set_title(_title(metric, unit), fontsize=9)
        _axis_numbers(ax.yaxis, unit.get(metric, "share"))
        ax.grid(alpha=0.3)
    if metrics:
        fig.legend(*axes.flat[0].get_legend_handles_labels(), loc="outside right upper",
                   fontsize=8, title="arm", title_fontsize=8)
    axes.flat[-1].set_xlabel("week (grey: warm-up, not measured)")
    return fig


def timeseries_by_arm(series: dict[str, dict[str, np.ndarray]], path: Path,
                      warmup: int = 0) -> Path:
    """Write :func:`timeseries_figure` to ``path``."""
    return save(timeseries_figure(series, warmup), path)


def equity_figure(summary: pd.DataFrame) -> Figure:
    """Coverage of marginalised and other families, side by side for each arm (the legend
    below the panel, off the bars)."""
    arms = list(dict.fromkeys(summary["arm"]))
    y = np.arange(len(arms))
    fig = Figure(figsize=(8, 2.0 + 0.45 * _lines(arms)), layout="constrained")
    ax = fig.subplots()
    for offset, metric, label in ((-0.18, "coverage_marginalised", "marginalised families"),
                                  (0.18, "coverage_other", "other families")):
        t = summary[summary["metric"] == metric].set_index("arm").loc[arms].reset_index()
        ax.barh(y + offset, t["mean"], height=0.34, xerr=_err(t), capsize=2, label=label)
    ax.set_yticks(y, _arms(arms), fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(f"{metric_label('coverage')} (%)")
    _axis_numbers(ax.xaxis, "share")
    ax.set_title("Needs served in time, marginalised and other families (95% intervals)",
                 fontsize=11)
    fig.legend(loc="outside lower center", ncol=2, fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    return fig


def equity(summary: pd.DataFrame, path: Path) -> Path:
    """Write :func:`equity_figure` to ``path``."""
    return save(equity_figure(summary), path)


# ------------------------------------------------------------------ sensitivity
def plot_sensitivity(table: pd.DataFrame) -> Figure:
    """Influence of each parameter on each metric (``sim.experiments.sensitivity.analyse``'s table).

    Morris: mu_star with its 95% bootstrap interval; Sobol: total (ST) and first-order (S1)
    indices with theirs. One panel per metric (and per factor combination, if any).
    """
    method = table["method"].iloc[0] if len(table) else "morris"
    panels = list(dict.fromkeys(zip(table["group"], table["metric"], strict=True)))
    cols = 2 if len(panels) > 1 else 1
    rows = max(int(np.ceil(len(panels) / cols)), 1)
    per = table["parameter"].nunique() if len(table) else 1
    fig = Figure(figsize=(11 if cols == 2 else 6.5, 1.2 + (0.4 * per + 0.9) * rows))
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, (group, metric) in zip(axes.flat, panels, strict=False):
        t = table[(table["group"] == group) & (table["metric"] == metric)].sort_values("rank")
        y = np.arange(len(t))
        if method == "morris":
            ax.barh(y, t["mu_star"], xerr=t["mu_star_conf"].fillna(0), capsize=2, color="C0")
            ax.set_xlabel("mu* (mean |elementary effect|, metric units per range)", fontsize=8)
        else:
            ax.barh(y - 0.18, t["ST"], height=0.34, xerr=t["ST_conf"].fillna(0), capsize=2,
                    label="total (ST)")
            ax.barh(y + 0.18, t["S1"], height=0.34, xerr=t["S1_conf"].fillna(0), capsize=2,
                    label="first order (S1)")
            ax.set_xlabel("Sobol index (share of variance)", fontsize=8)
            ax.legend(fontsize=7)
        ax.set_yticks(y, t["parameter"], fontsize=8)
        ax.invert_yaxis()
        label = metric_label(metric)
        ax.set_title(label if group == "all" else f"{label} ({group})", fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    what = "Morris screening" if method == "morris" else "Sobol indices"
    fig.suptitle(f"Sensitivity: {what}, ranked, with 95% intervals", fontsize=11)
    fig.tight_layout()
    return fig
