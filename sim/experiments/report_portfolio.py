"""The report of a portfolio sweep: the country's totals and means, and the same by class.

A national figure of replication k adds up every municipality's run k under a way of working
(municipalities have their own seeds, so these are independent national outcomes); its 95%
interval is the t-interval over replications, and a difference against the reference way of
working is paired by replication. Shares (needs served in time, children fully served) are means
over municipalities weighted by their families. Only municipalities whose every run succeeded
are counted, so that each way of working adds up the same municipalities.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.experiments import plots
from sim.experiments.municipalities import class_order
from sim.experiments.plan import AS_WRITTEN, Plan
from sim.experiments.report_text import change, model_name, number
from sim.experiments.stats import mean_ci

WAY = "coordination"
# the figures of each (group, way of working, replication): name -> (heading, unit)
TOTALS = {"municipalities": ("Municipalities", "municipalities"),
          "families": ("Families", "families"),
          "children_reached": ("Children reached a year", "children a year"),
          "needs_met": ("Needs met a year", "episodes"),
          "total_cost": ("Total cost a year", "money"),
          "coordination_cost": ("Coordination cost a year", "money")}
MEANS = {"coverage": ("Needs served in time", "share"),
         "full_package_share": ("Children fully served", "share"),
         "cost_per_family": ("Cost per family a year", "money"),
         "reached_per_1000": ("Children reached a year per 1,000 families", "children a year")}
SHARES = ("coverage", "full_package_share")  # families-weighted means over municipalities
PER_YEAR = ("needs_met", "total_cost", "coordination_cost")  # measured over time.years
CLASSES = {"size_class": ("By municipality size", "size"),
           "informal_class": ("By share of families in informal settlements", "informal")}
FIGURE = "portfolio_classes.png"


def portfolio_markdown(plan: Plan, runs: pd.DataFrame, folder: Path, reference: str) -> str:
    """report.md of a portfolio sweep (and its figure, written into ``folder/figures``)."""
    spec, config = plan.spec, plan.arms[0].config
    ok = _complete(plan, runs)
    ways = list(dict.fromkeys(str(a.values.get(WAY, AS_WRITTEN)) for a in plan.arms))
    money = config.get("currency", "USD")
    years = float(config["time"]["years"])
    towns = {a.values["municipality"]: a.values["families"] for a in plan.arms}
    errors = runs[runs["status"] == "error"] if "status" in runs else runs.iloc[:0]
    lines = [f"# Report: {spec.name}", "", *([spec.description, ""] if spec.description else []),
             f"- experiment file: `{plan.source}`; base scenario: {spec.scenarios[0]}; table of "
             f"municipalities: `{spec.portfolio.table}`: {len(towns):,} municipalities, "
             f"{sum(towns.values()):,} families",
             f"- ways of working: {', '.join(model_name(w) for w in ways)}; "
             f"{spec.replications} replication{'s' if spec.replications != 1 else ''}; "
             f"{len(plan.runs):,} runs: "
             f"{int((runs.get('status') == 'ok').sum()) if len(runs) else 0:,} succeeded, "
             f"{len(errors):,} failed, {len(plan.runs) - len(runs):,} not run yet",
             f"- counted: {ok['municipality'].nunique() if len(ok) else 0:,} municipalities whose "
             "every run succeeded (the others are left out of every table)",
             "- each municipality has its own seeds (from the experiment's seed and its id); "
             "within a municipality, replication k uses the same seed under every way of working",
             "- a national (or class) figure of replication k adds up every municipality's run k; "
             "intervals are 95% t-intervals over replications; differences are paired by "
             "replication",
             "- shares are means over municipalities weighted by their families; money is a "
             f"year's, in {money} ({years:g} measured year{'s' if years != 1 else ''})", ""]
    if ok.empty:
        return "\n".join([*lines, "No municipality has all its runs yet: nothing to add up.", ""])
    reference = reference if reference in ways else ways[0]
    national = _units(ok.assign(everyone="all"), "everyone", years)
    lines += ["## National totals", "", "Mean over the replications [95% interval].", ""]
    lines += _table(national, TOTALS, ["way of working"], money)
    lines += ["", "## National means per family", ""]
    lines += _table(national, MEANS, ["way of working"], money)
    if len(ways) > 1:
        lines += ["", f"## Against {model_name(reference)}, nationally", "",
                  f"Way of working minus {model_name(reference)}, replication by replication "
                  "[95% interval]; shares in points.", ""]
        lines += _differences(national, reference, {**MEANS, **_pick(TOTALS, "total_cost")}, money,
                              ["way of working"])
    order = {}
    for column, (heading, kind) in CLASSES.items():
        bounds = spec.portfolio.size_classes if kind == "size" else spec.portfolio.informal_classes
        order[column] = [c for c in class_order(bounds, kind) if c in set(ok[column])]
        units = _units(ok, column, years)
        lines += ["", f"## {heading}", "", "Mean over the replications [95% interval].", ""]
        lines += _table(units, {**_pick(TOTALS, "municipalities", "families"), **MEANS},
                        ["class", "way of working"], money, order[column])
        if len(ways) > 1:
            lines += ["", f"Against {model_name(reference)}, by class:", ""]
            lines += _differences(units, reference, _pick(MEANS, "coverage", "cost_per_family"),
                                  money, ["class", "way of working"], order[column])
    figure = folder / "figures" / FIGURE
    figure.parent.mkdir(exist_ok=True)
    plots.save(_class_figure(ok, years, order), figure)
    lines += ["", "![Needs served in time by class and way of working](figures/"
              f"{FIGURE})", ""]
    if len(errors):
        lines += ["## Runs that failed", "", "| run | municipality | error |", "|---|---|---|"]
        lines += [f"| {r['run_id']} | {r.get('municipality', '')} | {r['error']} |"
                  for _, r in errors.head(50).iterrows()]
        lines.append("")
    lines += [f"Generated by `sim report {folder}` from the runs recorded in `{folder}/parts/`.", ""]
    return "\n".join(lines)


def _complete(plan: Plan, runs: pd.DataFrame) -> pd.DataFrame:
    """The successful runs of the municipalities whose every planned run succeeded."""
    if runs.empty or "municipality" not in runs:
        return runs.iloc[:0]
    runs_each = pd.Series([a.values["municipality"] for a in plan.arms]).value_counts()
    runs_each = runs_each * plan.spec.replications
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    done = ok.groupby("municipality").size()
    ok = ok[ok["municipality"].isin(done.index[done.eq(runs_each.reindex(done.index))])]
    return ok if WAY in ok else ok.assign(**{WAY: AS_WRITTEN})


def _units(ok: pd.DataFrame, group: str, years: float) -> pd.DataFrame:
    """One row per (group, way of working, replication): totals and means over municipalities."""
    frame = ok.assign(**{f"{m}_weight": ok["families"].where(np.isfinite(ok[m]), 0.0)
                         for m in SHARES},
                      **{f"{m}_weighted": (ok["families"] * ok[m]).fillna(0.0) for m in SHARES},
                      municipalities=1)
    sums = ["municipalities", "families", "children_reached", *PER_YEAR,
            *(f"{m}_{s}" for m in SHARES for s in ("weight", "weighted"))]
    table = frame.groupby([group, WAY, "replication"], sort=False)[sums].sum().reset_index()
    for m in PER_YEAR:
        table[m] = table[m] / years
    for m in SHARES:
        table[m] = table[f"{m}_weighted"] / table[f"{m}_weight"].where(table[f"{m}_weight"] > 0)
    table["cost_per_family"] = table["total_cost"] / table["families"]
    table["reached_per_1000"] = 1000 * table["children_reached"] / table["families"]
    return table.rename(columns={group: "class"})


def _pick(table: dict, *names: str) -> dict:
    return {name: table[name] for name in names}


def _heading(heading: str, unit: str, money: str) -> str:
    if unit == "share":
        return f"{heading} (%)"
    return f"{heading} ({money})" if unit == "money" else heading


def _table(units: pd.DataFrame, figures: dict, keys: list[str], money: str,
           order: list[str] | None = None) -> list[str]:
    figures = _measured(units, figures)
    lines = ["| " + " | ".join([*keys, *(_heading(h, u, money) for h, u in figures.values())])
             + " |", "|---" * (len(keys) + len(figures)) + "|"]
    for (group, way), rows in _groups(units, order):
        cells = []
        for name, (_, unit) in figures.items():
            mean, low, high, _ = mean_ci(rows[name])
            exact = name in ("municipalities", "families")  # the same in every replication
            cells.append(f"{mean:,.0f}" if exact else _interval(mean, low, high, number, unit))
        head = [group, model_name(way)] if len(keys) == 2 else [model_name(way)]
        lines.append("| " + " | ".join([*head, *cells]) + " |")
    return lines


def _differences(units: pd.DataFrame, reference: str, figures: dict, money: str,
                 keys: list[str], order: list[str] | None = None) -> list[str]:
    figures = _measured(units, figures)
    lines = ["| " + " | ".join([*keys, *(_heading(h, u, money).replace("(%)", "(points)")
                                        for h, u in figures.values())]) + " |",
             "|---" * (len(keys) + len(figures)) + "|"]
    for (group, way), rows in _groups(units, order):
        if way == reference:
            continue
        base = units[(units["class"] == group) & (units[WAY] == reference)]
        paired = rows.merge(base, on="replication", suffixes=("", "_ref"))
        cells = []
        for name, (_, unit) in figures.items():
            mean, low, high, _ = mean_ci(paired[name] - paired[f"{name}_ref"])
            cells.append(_interval(mean, low, high, change, unit))
        head = [group, model_name(way)] if len(keys) == 2 else [model_name(way)]
        lines.append("| " + " | ".join([*head, *cells]) + " |")
    return lines


def _measured(units: pd.DataFrame, figures: dict) -> dict:
    """``figures`` without those no run measured (children fully served needs a measured year
    and its follow-up)."""
    return {name: shown for name, shown in figures.items() if units[name].notna().any()}


def _interval(mean: float, low: float, high: float, write, unit: str) -> str:
    """A mean and its interval as a cell (the mean alone from a single replication)."""
    if not np.isfinite(low):
        return write(mean, unit)
    return f"{write(mean, unit)} [{write(low, unit)}, {write(high, unit)}]"


def _groups(units: pd.DataFrame, order: list[str] | None):
    """(class, way of working) and its rows, classes in ``order``, ways as planned."""
    ways = list(dict.fromkeys(units[WAY]))
    for group in order or list(dict.fromkeys(units["class"])):
        for way in ways:
            rows = units[(units["class"] == group) & (units[WAY] == way)]
            if len(rows):
                yield (group, way), rows


def _class_figure(ok: pd.DataFrame, years: float, order: dict[str, list[str]]) -> Figure:
    """Needs served in time by class, one bar per way of working, with 95% intervals."""
    fig = Figure(figsize=(10, 4), layout="constrained")
    axes = fig.subplots(1, len(CLASSES), sharey=True)
    ways = list(dict.fromkeys(ok[WAY]))
    width = 0.8 / len(ways)
    for ax, (column, (heading, _)) in zip(axes, CLASSES.items(), strict=True):
        units = _units(ok, column, years)
        classes = order[column]
        for i, way in enumerate(ways):
            stats = [mean_ci(units[(units["class"] == c) & (units[WAY] == way)]["coverage"])
                     for c in classes]
            means = np.array([s[0] for s in stats]) * 100
            error = np.array([[s[0] - s[1], s[2] - s[0]] for s in stats]).T * 100
            ax.bar(np.arange(len(classes)) + (i - (len(ways) - 1) / 2) * width, means, width,
                   yerr=np.nan_to_num(error), capsize=3, label=model_name(way))
        ax.set_xticks(np.arange(len(classes)), [c.replace(" ", "\n", 1) for c in classes],
                      fontsize=8)
        ax.set_title(heading, fontsize=10)
    axes[0].set_ylabel("Needs served in time (%)")
    axes[0].legend(fontsize=8)
    return fig
