"""What `sim optimise` writes: front.parquet, presets.parquet, trials.parquet, one scenario file
per front design (designs/F*.yaml, runnable with `sim run`), optimisation.md and its figures (the
front in the objectives' plane with the presets; the levers along the front)."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from matplotlib.figure import Figure

from sim.core.metrics import units_for
from sim.experiments import plots
from sim.experiments.optimisation import Optimisation, OptimisationStore
from sim.experiments.optimisation_front import Outcome, outcome
from sim.experiments.optimisation_spec import mechanism_of
from sim.experiments.report_text import change, is_share, metric_label, number, unit_words
from sim.experiments.search import put
from sim.experiments.store import _atomic_write


def write_outputs(opt: Optimisation, folder: Path) -> tuple[Outcome, list[Path]]:
    """Write every output of a finished optimisation into ``folder``; return what it found and
    the files written."""
    found = outcome(opt, OptimisationStore(folder))
    files = []
    for name, table in (("trials", found.trials), ("front", found.candidates),
                        ("presets", found.presets)):
        files.append(_parquet(table, folder / f"{name}.parquet"))
    designs = folder / "designs"
    designs.mkdir(exist_ok=True)
    for old in designs.glob("F*.yaml"):  # an earlier front's designs must not stay beside these
        old.unlink()
    for _, row in found.front.iterrows():
        path = designs / f"{row['label']}.yaml"
        _atomic_write(path, design_yaml(opt, row, designs).encode())
        files.append(path)
    figures = folder / "figures"
    figures.mkdir(exist_ok=True)
    files += [plots.save(front_figure(opt, found), figures / "front.png"),
              plots.save(levers_figure(opt, found), figures / "levers.png")]
    path = folder / "optimisation.md"
    _atomic_write(path, report(opt, found).encode())
    return found, [path, *files]


def _parquet(table: pd.DataFrame, path: Path) -> Path:
    tmp = path.with_name(f".{path.name}.tmp")
    table.to_parquet(tmp, index=False)
    os.replace(tmp, path)
    return path


def design_yaml(opt: Optimisation, row, folder: Path) -> str:
    """A scenario that extends the optimisation's scenario with a front design's levers (and
    the file's fixed overrides, without which its figures do not hold)."""
    data: dict = {"extends": os.path.relpath(Path(opt.scenario_path).resolve(), folder.resolve()),
                  "name": f"{opt.name}-{row['label']}"}
    for key, value in opt.spec.fixed.items():
        put(data, key, value)
    put(data, "coordination.model", opt.base_config["coordination"]["model"])
    for key, value in opt.overrides(json.loads(row["params"])).items():
        put(data, key, value)
    head = [f"# Design {row['label']} of the front of {opt.name} ({opt.source}), from the "
            f"scenario {opt.scenario_path}",
            f"# command: {opt.command}" if opt.command else "# command: (Python API)",
            f"# its runs on fresh seeds used the seeds {', '.join(map(str, opt.fresh))} (sim run "
            f"--seed {opt.fresh[0]} on this file repeats the first)"]
    for objective, column in zip(opt.spec.objectives, opt.objective_columns(), strict=True):
        head.append(f"# {_name(objective)}: {_cell(opt, row, column)} (mean [95% interval] over "
                    f"{len(opt.fresh)} runs on fresh seeds)")
    return "\n".join(head) + "\n" + yaml.safe_dump(data, sort_keys=False)


# ------------------------------------------------------------------ words and numbers
def _unit(opt: Optimisation, measure) -> str:
    return units_for([measure.metric], opt.base_config.get("currency")).get(measure.metric, "share")


def _name(measure) -> str:
    return metric_label(measure.metric).lower() + (" a year" if measure.per_year else "")


def _heading(opt: Optimisation, measure) -> str:
    unit = _unit(opt, measure)
    words = "%" if is_share(unit) else unit_words(unit)
    return f"{metric_label(measure.metric)}{' a year' if measure.per_year else ''} ({words})"


def _measure(opt: Optimisation, column: str):
    return next(m for m in [*opt.spec.objectives, *opt.spec.constraints]
                if m.metric + ("_per_year" if m.per_year else "") == column)


def _cell(opt: Optimisation, row, column: str) -> str:
    unit = _unit(opt, _measure(opt, column))
    text = number(row.get(column, math.nan), unit)
    low, high = row.get(f"{column}.low", math.nan), row.get(f"{column}.high", math.nan)
    if math.isfinite(low) and math.isfinite(high):
        text += f" [{number(low, unit)}, {number(high, unit)}]"
    return text


def _lever(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, (bool, np.bool_)):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:.3g}" if not value.is_integer() else f"{value:.0f}"
    return str(value)


def _lever_name(key: str) -> str:
    return key.removeprefix("coordination.").removesuffix(".enabled")


def _constraint_columns(opt: Optimisation) -> list[str]:
    return [c.metric + ("_per_year" if c.per_year else "") for c in opt.spec.constraints]


# ------------------------------------------------------------------ optimisation.md
def report(opt: Optimisation, found: Outcome) -> str:
    """optimisation.md: the setting, the front, what re-evaluation changed, the presets."""
    spec, cols = opt.spec, opt.objective_columns()
    objectives = [f"{o.direction} {_name(o)} (`{o.metric}`)" for o in spec.objectives]
    distinct = found.trials["design"].nunique() if len(found.trials) else 0
    expressed = int(found.presets["expressible"].sum()) if len(found.presets) else 0
    lines = [f"# The best mix for a budget: {opt.name}", "", spec.description, "",
             f"- scenario `{opt.scenario_path}`, optimisation file `{opt.source}`",
             f"- command: `{opt.command}`" if opt.command else "- run from the Python API",
             "- levers: " + ", ".join(_lever_text(opt, k) for k in opt.levers),
             f"- objectives: {objectives[0]} (the primary one); " + "; ".join(objectives[1:]),
             "- constraints: " + ("; ".join(f"`{c.text()}`" for c in spec.constraints) or "none"),
             f"- search: {len(found.trials)} of {opt.trials} trials ({distinct} distinct designs) "
             f"in batches of {spec.batch} (NSGA-II, Optuna; each batch's sampler seeded from seed "
             f"{spec.seed} and the batch number; the first batch starts from the {expressed} "
             f"presets the levers express), {len(opt.seeds)} replications per design on the same "
             "seeds (common random numbers)",
             f"- re-evaluation: the search front's designs (at most {spec.reevaluation.candidates}) "
             f"and the presets, {len(opt.fresh)} replications each on fresh seeds (none of the "
             "search's): a design that only looked good on the search's seeds drops out",
             "- fixed during the search: " + (", ".join(f"{k} = {v}" for k, v in spec.fixed.items())
                                               or "nothing"), ""]
    lines += _front_section(opt, found, cols)
    lines += _candidates_section(opt, found, cols)
    lines += _presets_section(opt, found, cols)
    lines += ["## Figures", "",
              "![the front in the objectives' plane, with the presets](figures/front.png)", "",
              "![the levers along the front](figures/levers.png)", "",
              "Files: `front.parquet` (every re-evaluated design: levers, both estimates, status), "
              "`presets.parquet`, `trials.parquet` (every trial of the search), `designs/F*.yaml` "
              "(each front design as a scenario: `sim run designs/F1.yaml`).", ""]
    return "\n".join(lines)


def _lever_text(opt: Optimisation, key: str) -> str:
    levers = opt.spec.levers
    if key.endswith(".enabled") and mechanism_of(key) in levers.mechanisms:
        return f"{_lever_name(key)} on/off"
    if key in levers.parameters:
        b = levers.parameters[key]
        low, high = b.ends()
        return f"`{key}` {low:g} to {high:g}{' (whole)' if b.integer else ''}"
    return f"`{key}` one of {', '.join(map(str, levers.choices[key]))}"


def _front_section(opt: Optimisation, found: Outcome, cols: list[str]) -> list[str]:
    front = found.front
    lines = ["## The front, re-evaluated", ""]
    if not len(front):
        return lines + ["No design of the search respects every constraint on its re-evaluation: "
                        "loosen a constraint, widen the levers or run more trials.", ""]
    first, rest = opt.spec.objectives[0], opt.spec.objectives[1:]
    extra = ""
    if rest:
        per = "point" if is_share(_unit(opt, first)) else "unit"
        extra = f"extra {_name(rest[0])} per {per} of {_name(first)}"
    lines += [f"Each design's mean over {len(opt.fresh)} runs on fresh seeds with its 95% "
              f"interval, and in *italics* the search's estimate ({len(opt.seeds)} runs): ordered "
              f"by {_name(first)}; '-': a parameter of a mechanism that is off. "
              + (f"The last column is the {extra} from the design above." if extra else ""), ""]
    head = ["design", *(_lever_name(k) for k in opt.levers),
            *(_heading(opt, o) for o in opt.spec.objectives),
            *(f"{_heading(opt, c)} (constraint)" for c in opt.spec.constraints
              if c.metric + ("_per_year" if c.per_year else "") not in cols)]
    head += [extra] if extra else []
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    second_unit = _unit(opt, rest[0]) if rest else ""
    for _, row in front.iterrows():
        cells = [f"[{row['label']}](designs/{row['label']}.yaml)",
                 *(_lever(row[k]) for k in opt.levers)]
        for column in cols:
            search = number(row[f"search.{column}"], _unit(opt, _measure(opt, column)))
            cells.append(f"{_cell(opt, row, column)} *{search}*")
        cells += [_cell(opt, row, c) for c in _constraint_columns(opt) if c not in cols]
        if extra:
            value = row["extra_per_point"]
            cells.append(number(value, second_unit) if math.isfinite(value) else "-")
        lines.append("| " + " | ".join(cells) + " |")
    return lines + [""]


def _candidates_section(opt: Optimisation, found: Outcome, cols: list[str]) -> list[str]:
    table = found.candidates
    if not len(table):
        return []
    dropped = table[~table["on_front"]]
    searched = table["from"].str.contains("search front")
    lines = ["## What the re-evaluation changed", "",
             f"The search's front held {int(searched.sum())} designs (by their search estimates); "
             "the presets the levers express are designs too, re-evaluated on the same fresh seeds "
             f"and considered with them. Of these {len(table)} designs, "
             f"{int(table['on_front'].sum())} are on the front and {len(dropped)} are not "
             "(dominated by another re-evaluated design, or breaking a constraint).", "",
             "| design (from) | " + " | ".join(f"{_heading(opt, o)}: search -> re-evaluated"
                                               for o in opt.spec.objectives) + " | status |",
             "|---|" + "---|" * len(cols) + "---|"]
    for _, row in table.iterrows():
        name = f"{row['label'] or 'trial ' + str(row['trial'])} ({row['from']})"
        cells = []
        for column in cols:
            unit = _unit(opt, _measure(opt, column))
            cells.append(f"{number(row[f'search.{column}'], unit)} -> {number(row[column], unit)} "
                         f"({change(row[column] - row[f'search.{column}'], unit)})")
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {row['status']} |")
    return lines + [""]


def _presets_section(opt: Optimisation, found: Outcome, cols: list[str]) -> list[str]:
    presets = found.presets
    if not len(presets):
        return []
    first = opt.spec.objectives[0]
    unit = _unit(opt, first)
    more = len(cols) >= 2
    lines = ["## The presets, evaluated the same way", "",
             f"Each preset on the same fresh seeds and {len(opt.fresh)} replications as the "
             "re-evaluated designs. *Against the front*: a front design better or as good on every "
             "objective (dominated), or one whose 95% intervals reach the preset's means (within)."
             + (f" *At no more {_name(opt.spec.objectives[1])}*: the front design with the most "
                f"{_name(first)} that costs no more, and what it adds." if more else ""), "",
             "| preset | the levers express it | " + " | ".join(
                 _heading(opt, o) for o in opt.spec.objectives)
             + "".join(f" | {_heading(opt, c)} (constraint)" for c in opt.spec.constraints
                       if c.metric + ("_per_year" if c.per_year else "") not in cols)
             + " | respects the constraints | against the front |"
             + (" at no more cost |" if more else ""),
             "|---|---|" + "---|" * (len(cols) + len([c for c in _constraint_columns(opt)
                                                       if c not in cols]) + 2 + more)]
    front = found.front.set_index("label") if len(found.front) else None
    for _, row in presets.iterrows():
        cells = [f"`{row['preset']}`", "yes" if row["expressible"] else "no",
                 *(_cell(opt, row, c) for c in cols),
                 *(_cell(opt, row, c) for c in _constraint_columns(opt) if c not in cols),
                 "yes" if row["feasible"] else "**no**", row["verdict"]]
        if more:
            best = row["best_front_at_no_more"]
            cells.append(f"{best}: {number(front.loc[best, cols[0]], unit)} "
                         f"({change(front.loc[best, cols[0]] - row[cols[0]], unit, words=True)})"
                         if best and front is not None else "-")
        lines.append("| " + " | ".join(cells) + " |")
    return lines + [""]


# ------------------------------------------------------------------ figures
def front_figure(opt: Optimisation, found: Outcome) -> Figure:
    """The front in the plane of the first two objectives: every design the search tried (its
    estimate), the search front's designs moved to their re-evaluation, the reported front with
    95% intervals, and the presets evaluated the same way."""
    cols = opt.objective_columns()
    y_col, x_col = cols[0], cols[1] if len(cols) > 1 else cols[0]
    y_unit = _unit(opt, opt.spec.objectives[0])
    x_unit = _unit(opt, opt.spec.objectives[1 if len(cols) > 1 else 0])
    fig = Figure(figsize=(10, 6.5), layout="constrained")
    ax = fig.subplots()
    trials = found.trials.drop_duplicates("design") if len(found.trials) else found.trials
    if len(trials):
        ok = trials["feasible"].astype(bool)
        ax.scatter(trials.loc[ok, x_col], trials.loc[ok, y_col], s=12, color="lightgrey",
                   label=f"search: a design ({len(opt.seeds)} seeds)")
        ax.scatter(trials.loc[~ok, x_col], trials.loc[~ok, y_col], s=14, marker="x",
                   color="lightgrey", label="search: breaks a constraint")
    table = found.candidates
    for _, row in table.iterrows():
        ax.annotate("", (row[x_col], row[y_col]), (row[f"search.{x_col}"], row[f"search.{y_col}"]),
                    arrowprops={"arrowstyle": "->", "color": "grey", "lw": 0.7})
    if len(table):
        ax.scatter(table[f"search.{x_col}"], table[f"search.{y_col}"], s=40, facecolors="none",
                   edgecolors="C0", label="search front: search estimate")
        gone = table[~table["on_front"]]
        ax.scatter(gone[x_col], gone[y_col], s=40, marker="x", color="C0",
                   label="re-evaluated: dropped out")
    front = found.front
    if len(front):
        ax.errorbar(front[x_col], front[y_col], xerr=_err(front, x_col), yerr=_err(front, y_col),
                    fmt="o-", color="C0", capsize=3, zorder=3, label=f"front, re-evaluated ({len(opt.fresh)} "
                    "fresh seeds, 95%)")
        for _, row in front.iterrows():
            ax.annotate(row["label"], (row[x_col], row[y_col]), textcoords="offset points",
                        xytext=(6, -10), fontsize=8, color="C0")
    presets = found.presets
    if len(presets):
        ax.errorbar(presets[x_col], presets[y_col], xerr=_err(presets, x_col),
                    yerr=_err(presets, y_col), fmt="s", color="C3", capsize=2, ms=5,
                    elinewidth=0.8, alpha=0.7, zorder=2, label="presets, the same fresh seeds (95%)")
        for _, row in presets.iterrows():
            ax.annotate(row["preset"], (row[x_col], row[y_col]), textcoords="offset points",
                        xytext=(5, 4), fontsize=7, color="C3")
    ax.set_xlabel(_heading(opt, opt.spec.objectives[1 if len(cols) > 1 else 0]))
    ax.set_ylabel(_heading(opt, opt.spec.objectives[0]))
    plots._axis_numbers(ax.xaxis, x_unit)
    plots._axis_numbers(ax.yaxis, y_unit)
    ax.grid(alpha=0.3)
    ax.set_title("The front and the presets" + (" (first two objectives)" if len(cols) > 2 else ""),
                 fontsize=11)
    ax.legend(fontsize=7, loc="best")
    return fig


def _err(table: pd.DataFrame, column: str) -> np.ndarray:
    mean = table[column].astype(float)
    low = (mean - table[f"{column}.low"].astype(float)).fillna(0).clip(lower=0)
    high = (table[f"{column}.high"].astype(float) - mean).fillna(0).clip(lower=0)
    return np.vstack([low, high])


def levers_figure(opt: Optimisation, found: Outcome) -> Figure:
    """One panel per lever: its setting in each front design, ordered by the primary objective."""
    levers, front = opt.levers, found.front
    fig = Figure(figsize=(max(8.0, 1.0 + 0.7 * len(front)), 0.8 + 1.1 * len(levers)),
                 layout="constrained")
    axes = fig.subplots(len(levers), 1, sharex=True, squeeze=False)[:, 0]
    x = np.arange(len(front))
    spec = opt.spec.levers
    for ax, key in zip(axes, levers, strict=True):
        values = list(front[key]) if len(front) else []
        shown = [(i, v) for i, v in enumerate(values) if _lever(v) != "-"]
        if key in spec.parameters:
            low, high = spec.parameters[key].ends()
            ax.plot([i for i, _ in shown], [float(v) for _, v in shown], "o-", color="C0")
            ax.set_ylim(low - 0.05 * (high - low), high + 0.05 * (high - low))
        else:
            options = [False, True] if key not in spec.choices else list(spec.choices[key])
            ax.scatter([i for i, _ in shown], [options.index(v) for _, v in shown], marker="s",
                       s=60, color=["C2" if v is not False else "lightgrey" for _, v in shown])
            ax.set_yticks(range(len(options)), [_lever(o) for o in options], fontsize=7)
            ax.set_ylim(-0.6, len(options) - 0.4)
        ax.set_ylabel(_lever_name(key).replace(".", "\n"), rotation=0, ha="right", va="center",
                      fontsize=7)
        ax.grid(alpha=0.3)
    unit = _unit(opt, opt.spec.objectives[0])
    axes[-1].set_xticks(x, [f"{r['label']}\n{number(r[opt.objective_columns()[0]], unit)}"
                            for _, r in front.iterrows()], fontsize=7)
    axes[-1].set_xlim(-0.5, max(len(front) - 0.5, 0.5))
    fig.suptitle(f"The levers along the front, by {_name(opt.spec.objectives[0])}\n(a parameter "
                 "of a mechanism that is off is not shown)", fontsize=10)
    return fig
