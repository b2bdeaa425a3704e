"""Summary statistics with uncertainty: means with t intervals, paired differences by replication."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

CONFIDENCE = 0.95


def mean_ci(values) -> tuple[float, float, float, int]:
    """Mean and 95% t-interval of the finite values: (mean, low, high, n)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return (np.nan, np.nan, np.nan, 0)
    mean = float(x.mean())
    if n == 1:
        return (mean, np.nan, np.nan, 1)
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1) * x.std(ddof=1) / np.sqrt(n))
    return (mean, mean - half, mean + half, n)


def arm_summary(runs: pd.DataFrame, metrics: list[str], by: str = "arm") -> pd.DataFrame:
    """One row per (arm, metric): mean, low, high, n."""
    rows = []
    for arm, group in runs.groupby(by, sort=False):
        for metric in metrics:
            mean, low, high, n = mean_ci(group[metric])
            rows.append({by: arm, "metric": metric, "mean": mean, "low": low, "high": high, "n": n})
    return pd.DataFrame(rows)


def paired_differences(runs: pd.DataFrame, metrics: list[str], pairs: dict[str, str],
                       by: str = "arm") -> pd.DataFrame:
    """Arm minus its reference arm, paired on the replication (common random numbers).

    Args:
        runs: one row per run with columns ``by``, ``replication`` and the metrics.
        pairs: arm -> its reference arm.
    """
    rows = []
    for arm, reference, a, b, common in _pairs(runs, pairs, by):
        for metric in metrics:
            diff = a.loc[common, metric].astype(float) - b.loc[common, metric].astype(float)
            mean, low, high, n = mean_ci(diff)
            base = float(np.nanmean(b.loc[common, metric].astype(float))) if len(common) else np.nan
            rows.append({by: arm, "reference": reference, "metric": metric, "difference": mean,
                         "low": low, "high": high, "n": n,
                         "relative": mean / base if base not in (0.0,) and np.isfinite(base) else np.nan})
    return pd.DataFrame(rows)


def _pairs(runs: pd.DataFrame, pairs: dict[str, str], by: str):
    """(arm, reference, arm's runs, reference's runs, common replications) of each pair."""
    indexed = runs.set_index([by, "replication"])
    for arm, reference in pairs.items():
        if arm != reference:
            a, b = indexed.loc[arm], indexed.loc[reference]
            yield arm, reference, a, b, a.index.intersection(b.index)


def parameter_share(values, groups) -> float:
    """Share of the variance of ``values`` due to parameters, from runs grouped by parameter draw.

    One-way random-effects analysis of variance: the variance within draws is chance
    (replications that share a parameter set), the excess variance between draw means is the
    parameters'; share = parameter variance / (parameter + chance variance), in [0, 1]. NaN with
    fewer than two draws or no replicated draw.
    """
    frame = pd.DataFrame({"y": np.asarray(values, dtype=float), "g": np.asarray(groups)})
    frame = frame[np.isfinite(frame["y"])]
    sizes = frame.groupby("g")["y"].size()
    n, a = len(frame), len(sizes)
    if a < 2 or n - a < 1:
        return float("nan")
    means = frame.groupby("g")["y"].transform("mean")
    within = float(((frame["y"] - means) ** 2).sum()) / (n - a)
    between = float(((means - frame["y"].mean()) ** 2).sum()) / (a - 1)
    n0 = (n - float((sizes**2).sum()) / n) / (a - 1)
    parameters = max((between - within) / n0, 0.0)
    total = parameters + within
    scale = max(abs(float(frame["y"].mean())), 1.0)
    return parameters / total if total > (1e-9 * scale) ** 2 else float("nan")  # else: constant


def parameter_shares(runs: pd.DataFrame, metrics: list[str], by: str = "arm") -> pd.DataFrame:
    """One row per (arm, metric): the parameters' share of the variance (runs with a ``draw``)."""
    rows = [{by: arm, "metric": metric, "parameter_share": parameter_share(group[metric], group["draw"])}
            for arm, group in runs.groupby(by, sort=False) for metric in metrics]
    return pd.DataFrame(rows, columns=[by, "metric", "parameter_share"])


def by_draw(runs: pd.DataFrame, metrics: list[str], by: str = "arm") -> pd.DataFrame:
    """Each (arm, draw)'s mean over its replications, with ``replication`` = the draw, so that
    intervals and paired differences are over parameter draws (chance and parameters)."""
    table = runs.groupby([by, "draw"], sort=False)[metrics].mean().reset_index()
    return table.rename(columns={"draw": "replication"})


def difference_shares(runs: pd.DataFrame, metrics: list[str], pairs: dict[str, str],
                      by: str = "arm") -> pd.DataFrame:
    """One row per (arm, metric): the parameters' share of the variance of the run-by-run paired
    differences against the reference arm (runs with a ``draw``; see :func:`parameter_share`)."""
    rows = []
    for arm, _, a, b, common in _pairs(runs, pairs, by):
        for metric in metrics:
            diff = a.loc[common, metric].astype(float) - b.loc[common, metric].astype(float)
            rows.append({by: arm, "metric": metric,
                         "parameter_share": parameter_share(diff, a.loc[common, "draw"])})
    return pd.DataFrame(rows, columns=[by, "metric", "parameter_share"])
