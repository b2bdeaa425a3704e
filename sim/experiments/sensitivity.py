"""Global sensitivity analysis of a sweep with SALib: Morris screening or Sobol indices.

An experiment with a ``sensitivity:`` block (``sim/experiments/plan.py``) has one arm per point of
SALib's sample (Morris trajectories or a Saltelli/Sobol sample), each run ``replications`` times
by the sweep runner. This module reads the results folder, takes each metric's mean over
replications per design point, analyses it with SALib (``morris.analyze`` or ``sobol.analyze``,
95% bootstrap intervals) and writes ``sensitivity.md`` (ranked tables), ``sensitivity.csv`` and
``figures/sensitivity.png``. It never runs the model.

With ``factors`` (e.g. ``coordination``) the design is repeated for every factor combination and
each combination is analysed on its own ("group").
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from sim.core.metrics import units
from sim.errors import ConfigError
from sim.experiments.plan import Plan

CONFIDENCE = 0.95
RESAMPLES = 1000
INDICES = {"morris": ["mu_star", "mu_star_conf", "mu", "sigma"],
           "sobol": ["ST", "ST_conf", "S1", "S1_conf"]}
RANK_BY = {"morris": "mu_star", "sobol": "ST"}


def _groups(plan: Plan) -> dict[str, list]:
    """Arms of each factor combination (and scenario), each list in design-point order."""
    spec = plan.spec
    names = set(spec.sensitivity.parameters)
    several = len(spec.scenarios) > 1
    groups: dict[str, list] = {}
    for arm in plan.arms:
        fixed = {k: v for k, v in arm.values.items() if k not in names}
        label = ", ".join(f"{k}={v}" for k, v in fixed.items())
        if several:
            label = f"{arm.config['name']}: {label}" if label else arm.config["name"]
        groups.setdefault(label or "all", []).append(arm)
    return {k: sorted(v, key=lambda a: a.point) for k, v in groups.items()}


def design_matrix(plan: Plan, arms: list) -> np.ndarray:
    """SALib's sample for the plan, checked against the values the arms were run with."""
    spec = plan.spec.sensitivity
    x = spec.sample(plan.spec.seed)
    if len(arms) != len(x) or [a.point for a in arms] != list(range(len(x))):
        raise ConfigError(f"{plan.source}: the plan's arms do not match the sensitivity design")
    for j, name in enumerate(spec.parameters):
        if name in spec.integer:
            continue
        ran = np.array([a.values[name] for a in arms], dtype=float)
        if not np.allclose(ran, x[:, j], rtol=1e-12, atol=0):
            raise ConfigError(f"{plan.source}: SALib's sample differs from the one that was run "
                              f"({name}); was SALib upgraded since the sweep?")
    return x


def analyse(plan: Plan, runs: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Sensitivity indices for every metric of the design (and every factor combination).

    Returns:
        (table, notes): one row per (group, metric, parameter) with the method's indices and the
        parameter's rank (1 = most influential), and notes on metrics that could not be analysed.
    """
    from SALib.analyze import morris, sobol

    spec = plan.spec.sensitivity
    if spec is None:
        raise ConfigError(f"{plan.source}: the experiment has no sensitivity: block")
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    metrics = [m for m in spec.metrics if m in ok.columns]
    notes = [f"metric {m}: not in the results" for m in spec.metrics if m not in ok.columns]
    means = ok.groupby("arm_id")[metrics].mean()
    problem = spec.problem()
    rows = []
    for group, arms in _groups(plan).items():
        x = design_matrix(plan, arms)
        ids = [a.arm_id for a in arms]
        missing = [i for i in ids if i not in means.index]
        if missing:
            raise ConfigError(f"{plan.source}: {len(missing)} of {len(ids)} design points have no "
                              "successful run yet; run the same command again to complete them")
        for metric in metrics:
            y = means.loc[ids, metric].to_numpy(dtype=float)
            if not np.isfinite(y).all():
                where = metric if group == "all" else f"{group}, {metric}"
                notes.append(f"{where}: undefined (NaN) at {int((~np.isfinite(y)).sum())} "
                             "design points; not analysed")
                continue
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                if spec.method == "morris":
                    result = morris.analyze(problem, x, y, num_levels=spec.levels,
                                            num_resamples=RESAMPLES, conf_level=CONFIDENCE,
                                            seed=plan.spec.seed)
                else:
                    result = sobol.analyze(problem, y, calc_second_order=spec.second_order,
                                           num_resamples=RESAMPLES, conf_level=CONFIDENCE,
                                           seed=plan.spec.seed)
            frame = pd.DataFrame({k: np.asarray(result[k], dtype=float)
                                  for k in INDICES[spec.method]}, index=problem["names"])
            frame["rank"] = frame[RANK_BY[spec.method]].rank(ascending=False, method="min",
                                                             na_option="bottom").astype(int)
            for name, r in frame.iterrows():
                rows.append({"group": group, "metric": metric, "parameter": name,
                             "method": spec.method, **r.to_dict(), "rank": int(r["rank"])})
    table = pd.DataFrame(rows)
    if len(table):
        order = {m: i for i, m in enumerate(list(dict.fromkeys(table["group"])) + metrics)}
        table = table.sort_values(["group", "metric", "rank"],
                                  key=lambda c: c if c.name == "rank" else c.map(order),
                                  kind="stable").reset_index(drop=True)
    return table, notes


def write_sensitivity(folder: str | Path) -> Path:
    """Analyse a sensitivity sweep's folder; write sensitivity.md, .csv and the figure."""
    from sim.experiments import plots
    from sim.experiments.report import load_results
    from sim.experiments.store import _atomic_write

    folder = Path(folder)
    plan, runs = load_results(folder)
    table, notes = analyse(plan, runs)
    if table.empty:
        raise ConfigError(f"{folder}: no metric could be analysed ({'; '.join(notes)})")
    table.to_csv(folder / "sensitivity.csv", index=False)
    figures = folder / "figures"
    figures.mkdir(exist_ok=True)
    plots.save(plots.plot_sensitivity(table), figures / "sensitivity.png")
    path = folder / "sensitivity.md"
    _atomic_write(path, _markdown(plan, runs, table, notes, folder).encode())
    return path


def _num(value: float, unit: str) -> str:
    if not math.isfinite(value):
        return "n/a"
    if unit.startswith("share") or abs(value) < 1:
        return f"{value:.3g}"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.2f}"


def _markdown(plan: Plan, runs: pd.DataFrame, table: pd.DataFrame, notes: list[str],
              folder: Path) -> str:
    spec, s = plan.spec, plan.spec.sensitivity
    unit = units([])
    ok = int((runs["status"] == "ok").sum()) if "status" in runs else len(runs)
    d = len(s.parameters)
    lines = [
        f"# Sensitivity: {spec.name}", "", *([spec.description, ""] if spec.description else []),
        f"- experiment file: `{plan.source}`; scenario(s): {', '.join(spec.scenarios)}",
        f"- method: **{s.method}** (SALib), n = {s.n}"
        + (f" trajectories, {s.levels} levels" if s.method == "morris" else " (base sample)")
        + f"; {s.points} design points x {spec.replications} replications "
        f"= {s.points * spec.replications} runs per factor combination ({ok} runs succeeded)",
        "- each design point's output is the mean over its replications (common random numbers: "
        "replication k uses the same seed at every point)",
        f"- intervals: {CONFIDENCE:.0%} bootstrap ({RESAMPLES} resamples)",
        "",
        "| parameter | low | high |", "|---|---|---|",
    ]
    lines += [f"| `{k}` | {r.low:g} | {r.high:g} |" for k, r in s.parameters.items()]
    lines.append("")
    if s.method == "morris":
        lines += ["**Reading the tables.** mu* is the mean absolute elementary effect: how much the "
                  "metric moves (in its own unit) when the parameter moves across its range "
                  "(per unit of the range normalised to [0, 1]); a large mu* means influential. "
                  "sigma large relative to mu* means the effect depends on the other parameters "
                  "(interactions or non-linearity); mu near mu* means a monotonic effect of one "
                  "sign. Morris is a screening method: trust the ranking, not the numbers.", ""]
    else:
        lines += ["**Reading the tables.** ST (total index) is the share of the metric's variance "
                  "that involves the parameter, alone or with others; S1 (first order) the share it "
                  "explains alone. ST near 0: the parameter can be fixed anywhere in its range. "
                  "ST much larger than S1: interactions. Intervals that reach below 0 or are wider "
                  "than the index call for a larger n.", ""]
    for (group, metric), t in table.groupby(["group", "metric"], sort=False):
        u = unit.get(metric, "share")
        title = metric if group == "all" else f"{metric} — {group}"
        lines += [f"## {title} ({u})", ""]
        if s.method == "morris":
            lines += ["| rank | parameter | mu* [95% CI] | mu | sigma |", "|---|---|---|---|---|"]
            for _, r in t.iterrows():
                lo = max(r["mu_star"] - r["mu_star_conf"], 0.0)  # mu* >= 0
                hi = r["mu_star"] + r["mu_star_conf"]
                lines.append(f"| {r['rank']} | `{r['parameter']}` | {_num(r['mu_star'], u)} "
                             f"[{_num(lo, u)}, {_num(hi, u)}] | {_num(r['mu'], u)} | "
                             f"{_num(r['sigma'], u)} |")
        else:
            lines += ["| rank | parameter | ST [95% CI] | S1 [95% CI] |", "|---|---|---|---|"]
            for _, r in t.iterrows():
                lines.append(
                    f"| {r['rank']} | `{r['parameter']}` | {r['ST']:.3f} "
                    f"[{r['ST'] - r['ST_conf']:.3f}, {r['ST'] + r['ST_conf']:.3f}] | "
                    f"{r['S1']:.3f} [{r['S1'] - r['S1_conf']:.3f}, {r['S1'] + r['S1_conf']:.3f}] |")
        lines.append("")
    lines += ["![sensitivity](figures/sensitivity.png)", ""]
    if notes:
        lines += ["## Not analysed", ""] + [f"- {n}" for n in notes] + [""]
    lines += [f"Every index is in `{folder}/sensitivity.csv`. Generated by `sim sensitivity` from "
              f"the runs recorded in `{folder}/parts/`; {d} parameters.", ""]
    return "\n".join(lines)
