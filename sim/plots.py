"""Figures shared by the sweep report and the Python API (matplotlib, no display needed)."""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.metrics import units  # noqa: E402

HEADLINE = ["coverage", "coverage_marginalised", "duplication_rate", "total_cost",
            "cost_per_need_met", "coordination_cost", "mean_wait_weeks", "referral_completion"]


def _err(table: pd.DataFrame) -> np.ndarray:
    low = (table["mean"] - table["low"]).fillna(0).clip(lower=0)
    high = (table["high"] - table["mean"]).fillna(0).clip(lower=0)
    return np.vstack([low, high])


def metric_by_arm(summary: pd.DataFrame, metrics: list[str], path: Path) -> Path:
    """One panel per metric: each arm's mean with its 95% interval."""
    metrics = [m for m in metrics if m in set(summary["metric"])]
    cols = 2
    rows = int(np.ceil(len(metrics) / cols))
    arms = list(dict.fromkeys(summary["arm"]))
    fig, axes = plt.subplots(rows, cols, figsize=(11, 2.2 + 0.35 * len(arms) * rows), squeeze=False)
    unit = units([])
    for ax, metric in zip(axes.flat, metrics, strict=False):
        t = summary[summary["metric"] == metric].set_index("arm").loc[arms].reset_index()
        y = np.arange(len(arms))
        ax.errorbar(t["mean"], y, xerr=_err(t), fmt="o", capsize=3)
        ax.set_yticks(y, arms, fontsize=8)
        ax.invert_yaxis()
        ax.set_title(f"{metric} ({unit.get(metric, 'share')})", fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    for ax in list(axes.flat)[len(metrics):]:
        ax.set_visible(False)
    fig.suptitle("Mean by arm with 95% confidence intervals", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def cost_vs_coverage(summary: pd.DataFrame, path: Path) -> Path:
    """Each arm's mean total cost against its mean coverage, with intervals."""
    cov = summary[summary["metric"] == "coverage"].set_index("arm")
    cost = summary[summary["metric"] == "total_cost"].set_index("arm")
    arms = list(cov.index)
    fig, ax = plt.subplots(figsize=(7.5, 5.5))
    for arm in arms:
        c, k = cov.loc[[arm]], cost.loc[[arm]]
        ax.errorbar(c["mean"], k["mean"], xerr=_err(c), yerr=_err(k), fmt="o", capsize=3, label=arm)
        ax.annotate(arm, (c["mean"].iloc[0], k["mean"].iloc[0]), fontsize=7,
                    xytext=(4, 4), textcoords="offset points")
    ax.set_xlabel("coverage (share of need-episodes met)")
    ax.set_ylabel("total cost (money)")
    ax.set_title("Cost against coverage (means, 95% intervals)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def timeseries_by_arm(series: dict[str, dict[str, np.ndarray]], path: Path,
                      warmup: int = 0) -> Path:
    """Mean weekly trajectory of each metric, one line per arm.

    Args:
        series: metric -> arm -> (replications, weeks) array.
    """
    metrics = list(series)
    fig, axes = plt.subplots(len(metrics), 1, figsize=(9, 2.4 * len(metrics)), squeeze=False)
    for ax, metric in zip(axes.flat, metrics, strict=True):
        for arm, values in series[metric].items():
            with warnings.catch_warnings():  # weeks of warm-up have no value yet (NaN)
                warnings.simplefilter("ignore", RuntimeWarning)
                mean = np.nanmean(values, axis=0)
            ax.plot(np.arange(len(mean)), mean, label=arm, lw=1.2)
        if warmup:
            ax.axvspan(0, warmup, color="grey", alpha=0.15, lw=0)
        ax.set_title(metric, fontsize=9)
        ax.grid(alpha=0.3)
    axes.flat[0].legend(fontsize=7, ncol=2)
    axes.flat[-1].set_xlabel("week (grey: warm-up, not measured)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def equity(summary: pd.DataFrame, path: Path) -> Path:
    """Coverage of marginalised and other families, side by side for each arm."""
    arms = list(dict.fromkeys(summary["arm"]))
    y = np.arange(len(arms))
    fig, ax = plt.subplots(figsize=(8, 1.5 + 0.4 * len(arms)))
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
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
