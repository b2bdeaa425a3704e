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

from sim.core.metrics import units
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
def plot_comparison(runs: pd.DataFrame, metrics: list[str] | None = None, by: str = "arm") -> Figure:
    """Each arm's mean of each metric with its 95% interval over replications (one panel each).

    Args:
        runs: the runs table of a sweep (one row per run).
        metrics: metric columns (default: the headline metrics).
        by: the column that names the arms (``arm``, or a factor such as ``coordination``).
    """
    metrics = list(metrics or HEADLINE)
    return comparison(_summary(runs, metrics, by), metrics)


def plot_cost_coverage(runs: pd.DataFrame, by: str = "arm") -> Figure:
    """Each arm's mean total cost against its mean coverage, with 95% intervals."""
    return cost_coverage(_summary(runs, ["coverage", "total_cost"], by))


def plot_equity(runs: pd.DataFrame, by: str = "arm") -> Figure:
    """Coverage of marginalised and other families, side by side for each arm."""
    return equity_figure(_summary(runs, ["coverage_marginalised", "coverage_other"], by))


def plot_timeseries(runs: pd.DataFrame, metrics: list[str] | None = None, by: str = "arm",
                    warmup: int = 0) -> Figure:
    """Mean weekly trajectory of each recorded time series (``ts.<metric>`` columns) by arm."""
    ok = _ok(runs)
    names = metrics or [c[3:] for c in ok.columns if c.startswith("ts.")]
    series: dict[str, dict[str, np.ndarray]] = {}
    for metric in names:
        column = f"ts.{metric}"
        if column in ok:
            series[metric] = {arm: np.vstack([np.asarray(v, dtype=float) for v in group[column]])
                              for arm, group in ok.groupby(by, sort=False)}
    return timeseries_figure(series, warmup)


def plot_differences(diffs: pd.DataFrame, metrics: list[str] | None = None) -> Figure:
    """Paired differences against the reference arm (``sim.experiments.stats.paired_differences``).

    One panel per metric: each arm's mean difference with its 95% interval; the zero line is "no
    different from the reference".
    """
    metrics = [m for m in (metrics or list(dict.fromkeys(diffs["metric"])))
               if m in set(diffs["metric"])]
    cols = 2 if len(metrics) > 1 else 1
    rows = max(int(np.ceil(len(metrics) / cols)), 1)
    arms = list(dict.fromkeys(diffs["arm"]))
    fig = Figure(figsize=(11 if cols == 2 else 6, 1.6 + 0.35 * len(arms) * rows))
    axes = fig.subplots(rows, cols, squeeze=False)
    unit = units([])
    for ax, metric in zip(axes.flat, metrics, strict=False):
        t = diffs[diffs["metric"] == metric].set_index("arm").reindex(arms)
        err = np.vstack([(t["difference"] - t["low"]).fillna(0).clip(lower=0),
                         (t["high"] - t["difference"]).fillna(0).clip(lower=0)])
        _interval_panel(ax, t["difference"], err, arms, f"{metric} ({unit.get(metric, 'share')})")
        ax.axvline(0, color="grey", lw=1)
    for ax in list(axes.flat)[len(metrics):]:
        ax.set_visible(False)
    reference = ", ".join(dict.fromkeys(diffs["reference"])) if len(diffs) else ""
    fig.suptitle(f"Difference from {reference} (paired by replication, 95% intervals)", fontsize=11)
    fig.tight_layout()
    return fig


def _interval_panel(ax, values, err, arms: list[str], title: str) -> None:
    """One arm per row: a point with its interval."""
    y = np.arange(len(arms))
    ax.errorbar(values, y, xerr=err, fmt="o", capsize=3)
    ax.set_yticks(y, arms, fontsize=8)
    ax.invert_yaxis()
    ax.set_title(title, fontsize=9)
    ax.grid(axis="x", alpha=0.3)


# ------------------------------------------------------------------ from an arm summary
def comparison(summary: pd.DataFrame, metrics: list[str]) -> Figure:
    """One panel per metric: each arm's mean with its 95% interval (``summary``: arm_summary)."""
    metrics = [m for m in metrics if m in set(summary["metric"])]
    cols = 2
    rows = max(int(np.ceil(len(metrics) / cols)), 1)
    arms = list(dict.fromkeys(summary["arm"]))
    fig = Figure(figsize=(11, 2.2 + 0.35 * len(arms) * rows))
    axes = fig.subplots(rows, cols, squeeze=False)
    unit = units([])
    for ax, metric in zip(axes.flat, metrics, strict=False):
        t = summary[summary["metric"] == metric].set_index("arm").loc[arms].reset_index()
        _interval_panel(ax, t["mean"], _err(t), arms, f"{metric} ({unit.get(metric, 'share')})")
    for ax in list(axes.flat)[len(metrics):]:
        ax.set_visible(False)
    fig.suptitle("Mean by arm with 95% confidence intervals", fontsize=11)
    fig.tight_layout()
    return fig


def metric_by_arm(summary: pd.DataFrame, metrics: list[str], path: Path) -> Path:
    """Write :func:`comparison` to ``path``."""
    return save(comparison(summary, metrics), path)


def cost_coverage(summary: pd.DataFrame) -> Figure:
    """Each arm's mean total cost against its mean coverage, with intervals."""
    cov = summary[summary["metric"] == "coverage"].set_index("arm")
    cost = summary[summary["metric"] == "total_cost"].set_index("arm")
    fig = Figure(figsize=(7.5, 5.5))
    ax = fig.subplots()
    for arm in cov.index:
        c, k = cov.loc[[arm]], cost.loc[[arm]]
        ax.errorbar(c["mean"], k["mean"], xerr=_err(c), yerr=_err(k), fmt="o", capsize=3, label=arm)
        ax.annotate(arm, (c["mean"].iloc[0], k["mean"].iloc[0]), fontsize=7,
                    xytext=(4, 4), textcoords="offset points")
    ax.set_xlabel("coverage (share of need-episodes met)")
    ax.set_ylabel("total cost (money)")
    ax.set_title("Cost against coverage (means, 95% intervals)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def cost_vs_coverage(summary: pd.DataFrame, path: Path) -> Path:
    """Write :func:`cost_coverage` to ``path``."""
    return save(cost_coverage(summary), path)


def timeseries_figure(series: dict[str, dict[str, np.ndarray]], warmup: int = 0) -> Figure:
    """Mean weekly trajectory of each metric, one line per arm.

    Args:
        series: metric -> arm -> (replications, weeks) array.
    """
    metrics = list(series)
    fig = Figure(figsize=(9, 2.4 * max(len(metrics), 1)))
    axes = fig.subplots(max(len(metrics), 1), 1, squeeze=False)
    for ax, metric in zip(axes.flat, metrics, strict=False):
        for arm, values in series[metric].items():
            with warnings.catch_warnings():  # weeks of warm-up have no value yet (NaN)
                warnings.simplefilter("ignore", RuntimeWarning)
                mean = np.nanmean(values, axis=0)
            ax.plot(np.arange(len(mean)), mean, label=arm, lw=1.2)
        if warmup:
            ax.axvspan(0, warmup, color="grey", alpha=0.15, lw=0)
        ax.set_title(metric, fontsize=9)
        ax.grid(alpha=0.3)
    if metrics:
        axes.flat[0].legend(fontsize=7, ncol=2)
    axes.flat[-1].set_xlabel("week (grey: warm-up, not measured)")
    fig.tight_layout()
    return fig


def timeseries_by_arm(series: dict[str, dict[str, np.ndarray]], path: Path,
                      warmup: int = 0) -> Path:
    """Write :func:`timeseries_figure` to ``path``."""
    return save(timeseries_figure(series, warmup), path)


def equity_figure(summary: pd.DataFrame) -> Figure:
    """Coverage of marginalised and other families, side by side for each arm."""
    arms = list(dict.fromkeys(summary["arm"]))
    y = np.arange(len(arms))
    fig = Figure(figsize=(8, 1.5 + 0.4 * len(arms)))
    ax = fig.subplots()
    for offset, metric, label in ((-0.18, "coverage_marginalised", "marginalised families"),
                                  (0.18, "coverage_other", "other families")):
        t = summary[summary["metric"] == metric].set_index("arm").loc[arms].reset_index()
        ax.barh(y + offset, t["mean"], height=0.34, xerr=_err(t), capsize=2, label=label)
    ax.set_yticks(y, arms, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("coverage")
    ax.set_title("Coverage of marginalised vs other families (95% intervals)")
    ax.legend(fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
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
        ax.set_title(metric if group == "all" else f"{metric} ({group})", fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    what = "Morris screening" if method == "morris" else "Sobol indices"
    fig.suptitle(f"Sensitivity: {what}, ranked, with 95% intervals", fontsize=11)
    fig.tight_layout()
    return fig
