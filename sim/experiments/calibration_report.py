"""calibration.md and its figures: the fit before and after per target, the trial history, and the
accepted parameters' distributions (matplotlib ``Figure``s, as :mod:`sim.experiments.plots`)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.core.metrics import format_value, units
from sim.experiments import plots
from sim.experiments.store import _atomic_write
from sim.experiments.targets import Z95


def _unit(key: str) -> str:
    return units([]).get(key, "share")


def _interval(mean: float, low: float, high: float, unit: str) -> str:
    text = format_value(mean, unit)
    if math.isfinite(low) and math.isfinite(high):
        text += f" [{format_value(low, unit)}, {format_value(high, unit)}]"
    return text


def fit_figure(cal, before: dict, best: dict) -> Figure:
    """One panel per target: its 95% interval (shaded), the scenario as given and the best trial,
    each with its 95% interval over replications."""
    from sim.experiments.calibration import column

    targets = cal.spec.targets
    cols = 2 if len(targets) > 1 else 1
    rows = int(np.ceil(len(targets) / cols))
    fig = Figure(figsize=(11 if cols == 2 else 6, 0.6 + 1.5 * rows))
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, target in zip(axes.flat, targets, strict=False):
        low, high = target.interval
        ax.axvspan(low, high, color="C2", alpha=0.2, lw=0, label="target (95%)")
        ax.axvline(target.centre, color="C2", lw=1)
        name = column(target)
        for y, fit in enumerate((before, best)):
            mean = fit.get(f"model.{name}", math.nan)
            err = [[max(mean - fit.get(f"low.{name}", mean), 0)],
                   [max(fit.get(f"high.{name}", mean) - mean, 0)]]
            err = np.nan_to_num(np.asarray(err, dtype=float))
            ax.errorbar([mean], [y], xerr=err, fmt="o", capsize=3, color=f"C{y}")
        ax.set_yticks([0, 1], ["before", "after"], fontsize=8)
        ax.set_ylim(-0.6, 1.6)
        ax.invert_yaxis()
        ax.set_title(f"{target.label} ({_unit(target.key)})", fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    for ax in list(axes.flat)[len(targets):]:
        ax.set_visible(False)
    fig.suptitle("Fit per target: the scenario as given (before) and the best trial (after)",
                 fontsize=11)
    fig.tight_layout()
    return fig


def history_figure(trials: pd.DataFrame) -> Figure:
    """Each trial's distance (log scale), the best so far, accepted trials marked."""
    fig = Figure(figsize=(8, 4))
    ax = fig.subplots()
    d = trials["distance"].to_numpy(dtype=float)
    x = trials["trial"].to_numpy()
    accepted = trials["accepted"].to_numpy(dtype=bool)
    ax.scatter(x[~accepted], d[~accepted], s=12, color="grey", label="trial")
    ax.scatter(x[accepted], d[accepted], s=16, color="C2", label="accepted (every target in its 95%)")
    best = np.fmin.accumulate(np.where(np.isfinite(d), d, np.inf))
    ax.step(x, np.where(np.isfinite(best), best, np.nan), where="post", color="C0", label="best so far")
    if np.nanmin(np.where(d > 0, d, np.nan), initial=np.inf) < np.inf:
        ax.set_yscale("log")
    ax.set_xlabel("trial")
    ax.set_ylabel("distance (sum of squared standardised errors)")
    ax.set_title("Trial history")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def parameters_figure(cal, trials: pd.DataFrame, accepted: pd.DataFrame) -> Figure:
    """One histogram per fitted parameter: all trials (grey) and the accepted ones."""
    names = cal.parameters
    cols = 2 if len(names) > 1 else 1
    rows = int(np.ceil(len(names) / cols))
    fig = Figure(figsize=(10 if cols == 2 else 5.5, 0.6 + 2.4 * rows))
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, key in zip(axes.flat, names, strict=False):
        bounds = cal.spec.parameters[key]
        edges = (np.geomspace(bounds.low, bounds.high, 16) if bounds.log
                 else np.linspace(bounds.low, bounds.high, 16))
        ax.hist(trials[key].dropna(), bins=edges, color="lightgrey", label="all trials")
        if len(accepted):
            ax.hist(accepted[key], bins=edges, color="C2", label="accepted")
        if bounds.log:
            ax.set_xscale("log")
        ax.set_title(key, fontsize=9)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(names):]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=8)
    fig.suptitle("Fitted parameters: every trial and the accepted set", fontsize=11)
    fig.tight_layout()
    return fig


def write_report(cal, folder: Path, table: pd.DataFrame, accepted: pd.DataFrame,
                 best: dict) -> list[Path]:
    """Write calibration.md and figures/*.png; return their paths."""
    from sim.experiments.calibration import BEFORE, column

    figures = folder / "figures"
    figures.mkdir(exist_ok=True)
    trials = table[table["trial"] != BEFORE]
    before_rows = table[table["trial"] == BEFORE]
    before = before_rows.iloc[0].to_dict() if len(before_rows) else {}
    made = [plots.save(history_figure(trials), figures / "trial_history.png"),
            plots.save(parameters_figure(cal, trials, accepted), figures / "parameters.png")]
    if best:
        made.insert(0, plots.save(fit_figure(cal, before, best), figures / "fit.png"))
    spec = cal.spec
    lines = [f"# Calibration: {cal.name}", "", spec.description, "",
             f"- scenario `{cal.scenario_path}`, targets `{cal.source}`",
             f"- command: `{cal.command}`" if cal.command else "- run from the Python API",
             f"- {len(trials)} of {cal.trials} trials, {cal.replications} replications each "
             f"(common random numbers: the same seeds in every trial), batches of {spec.batch}; "
             f"seed {cal.seed}; TPE sampler (Optuna), each trial's sampler seeded from the seed "
             "and the trial number",
             "- distance = sum over targets of ((model mean - figure) / standard error)^2; a range "
             "is a 95% interval (standard error = width / 3.92)",
             "- **accepted**: every target's model mean inside its 95% interval; "
             f"{len(accepted)} of {len(trials)} trials accepted"
             + (" (posterior.parquet)" if len(accepted) else
                " - none: widen the set with more trials, wider bounds, another parameter, or a "
                "larger uncertainty where the figure is less certain"), ""]
    if spec.fixed:
        lines += ["- fixed during the fit: " + ", ".join(f"{k} = {v}" for k, v in spec.fixed.items()),
                  ""]
    if best:
        kind = "best accepted" if len(accepted) else "best (not accepted)"
        lines += [f"## Fit: before (the scenario as given) and after ({kind} trial "
                  f"{int(best['trial'])}, distance {best['distance']:.4g})", "",
                  "Model values are means over the replications with their 95% t-intervals; "
                  "the accepted set's range is its lowest and highest trial mean.", "",
                  "| target | figure [95% interval] | before | after | accepted set | source |",
                  "|---|---|---|---|---|---|"]
        for target in spec.targets:
            name, u = column(target), _unit(target.key)
            low, high = target.interval
            cells = [_interval(f.get(f"model.{name}", math.nan), f.get(f"low.{name}", math.nan),
                               f.get(f"high.{name}", math.nan), u) for f in (before, best)]
            spread = (f"{format_value(accepted[f'model.{name}'].min(), u)} - "
                      f"{format_value(accepted[f'model.{name}'].max(), u)}" if len(accepted) else "-")
            lines.append(f"| {target.label} | {format_value(target.centre, u)} "
                         f"[{format_value(low, u)}, {format_value(high, u)}] | {cells[0]} | "
                         f"{cells[1]} | {spread} | {target.source} |")
        lines += ["", "| parameter | bounds | before | after | accepted set (min - max) |",
                  "|---|---|---|---|---|"]
        for key, b in spec.parameters.items():
            original = before.get(key, math.nan)
            spread = (f"{accepted[key].min():.4g} - {accepted[key].max():.4g}" if len(accepted)
                      else "-")
            lines.append(f"| {key} | [{b.low:g}, {b.high:g}]{' (log)' if b.log else ''} | "
                         f"{original:.4g} | {best[key]:.4g} | {spread} |")
        lines += ["", "![fit before and after, per target](figures/fit.png)", ""]
    lines += ["![trial history](figures/trial_history.png)", "",
              "![fitted parameters](figures/parameters.png)", ""]
    failed = trials[trials["status"] == "error"]
    if len(failed):
        lines += ["## Trials that failed", "", "| trial | error |", "|---|---|"]
        lines += [f"| {int(r['trial'])} | {r['error']} |" for _, r in failed.iterrows()]
        lines.append("")
    lines += [f"Every trial: `trials.parquet`; z = (model - figure) / se, accepted when |z| <= "
              f"{Z95:.2f} for every target.", ""]
    path = folder / "calibration.md"
    _atomic_write(path, "\n".join(lines).encode())
    return [path, *made]
