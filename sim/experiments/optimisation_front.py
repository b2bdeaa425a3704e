"""What the re-evaluation of `sim optimise` keeps: the candidates (the search's front and the
presets the levers express) classified on their fresh-seed runs, the reported front along the
primary objective with the extra cost of each point, and where each preset stands against it."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.core.metrics import units_for
from sim.experiments.optimisation import (
    FRESH,
    SEARCH,
    Optimisation,
    OptimisationStore,
    runs_by_id,
    runs_of,
    search_designs,
    search_front,
    search_study,
)
from sim.experiments.pareto import dominates, non_dominated
from sim.experiments.report_text import is_share


@dataclass
class Outcome:
    """What the search found and what re-evaluation kept."""

    trials: pd.DataFrame  # every trial, the search's estimates
    candidates: pd.DataFrame  # the search front, re-evaluated: status, both estimates
    front: pd.DataFrame  # the reported front (re-evaluated), along the primary objective
    presets: pd.DataFrame  # every preset, evaluated as the candidates were re-evaluated


def candidate_designs(opt: Optimisation, trials: pd.DataFrame) -> dict[str, dict]:
    """The re-evaluated designs the reported front is chosen from: the search's front, and the
    presets the levers express (designs too, run on the same fresh seeds, so that one the
    search's few seeds did not favour is not left out). Design -> lever values, origin."""
    out: dict[str, dict] = {}
    for _, row in search_front(opt, trials).iterrows():
        out[row["design"]] = {"values": json.loads(row["params"]), "from": ["search front"]}
    for name in opt.spec.preset_names:
        design, values = opt.preset_design(name)
        if values is not None:
            out.setdefault(design, {"values": values, "from": []})["from"].append(f"preset {name}")
    return out


def outcome(opt: Optimisation, store: OptimisationStore) -> Outcome:
    """Classify the re-evaluated candidates and the presets from the store's runs."""
    rows = runs_by_id(store.read())
    trials = search_designs(opt, search_study(opt, rows), rows)
    first_trial = trials.drop_duplicates("design").set_index("design")["trial"] if len(
        trials) else pd.Series(dtype=int)
    cols = opt.objective_columns()
    candidates = []
    for design, found in candidate_designs(opt, trials).items():
        search = opt.evaluate(runs_of(rows, design, SEARCH, len(opt.seeds)))
        fresh = opt.evaluate(runs_of(rows, design, FRESH, len(opt.fresh)))
        broken = [c.text() for c, v in zip(opt.spec.constraints, fresh["violations"], strict=True)
                  if v > 0]
        candidates.append({
            "design": design, "trial": int(first_trial.get(design, -1)),
            "from": ", ".join(found["from"]), "params": json.dumps(found["values"], sort_keys=True),
            **opt.effective(found["values"]), **{f"search.{c}": search[c] for c in cols},
            **{k: v for k, v in fresh.items() if k != "violations"},
            "status": ("incomplete" if not fresh["complete"] else
                       f"breaks {'; '.join(broken)}" if broken else "")})
    table = pd.DataFrame(candidates)
    if not len(table):
        return Outcome(trials, table, table, preset_table(opt, rows, table))
    points = table[cols].to_numpy(dtype=float) * opt.senses()
    eligible = (table["status"] == "").to_numpy()
    kept = eligible.copy()
    kept[eligible] = non_dominated(points[eligible])
    order = sorted(np.flatnonzero(kept), key=lambda i: points[i, 0])  # worst primary first
    labels = {int(i): f"F{n + 1}" for n, i in enumerate(order)}
    table["on_front"] = kept
    table["label"] = [labels.get(i, "") for i in range(len(table))]
    for i in np.flatnonzero(eligible & ~kept):
        better = next(j for j in order if dominates(points[j], points[i]))
        table.loc[i, "status"] = f"dominated by {labels[int(better)]}"
    table.loc[kept, "status"] = "front"
    front = table.loc[order].reset_index(drop=True)
    front["extra_per_point"] = marginal_costs(opt, front)
    return Outcome(trials, table, front, preset_table(opt, rows, front))


def marginal_costs(opt: Optimisation, front: pd.DataFrame) -> list[float]:
    """Along the front (ordered by the primary objective, worst first): the change in the second
    objective per extra point of the primary one (per unit if it is not a share)."""
    if len(opt.spec.objectives) < 2 or not len(front):
        return [np.nan] * len(front)
    first, second = opt.objective_columns()[:2]
    metric = opt.spec.objectives[0].metric
    scale = 100 if is_share(units_for([metric]).get(metric, "")) else 1
    gain = front[first].diff() * opt.senses()[0] * scale
    return list((front[second].diff() / gain).where(gain > 0))


def preset_table(opt: Optimisation, rows: dict[str, dict], front: pd.DataFrame) -> pd.DataFrame:
    """Every preset on the fresh seeds: its estimates, whether it respects the constraints, and
    where it stands against the front (dominated by a design, or within a design's intervals)."""
    cols = opt.objective_columns()
    senses = opt.senses()
    out = []
    for name in opt.spec.preset_names:
        design, values = opt.preset_design(name)
        result = opt.evaluate(runs_of(rows, design, FRESH, len(opt.fresh)))
        entry = {"preset": name, "expressible": values is not None, "design": design,
                 **{k: v for k, v in result.items() if k != "violations"}}
        entry["verdict"], entry["best_front_at_no_more"] = _against_front(
            result, design, front, cols, senses)
        out.append(entry)
    return pd.DataFrame(out)


def _against_front(result: dict, design: str, front: pd.DataFrame, cols: list[str],
                   senses: np.ndarray) -> tuple[str, str]:
    """Where a preset stands against the front, and the best front design at no more of the
    second objective."""
    if not result["complete"]:
        return "incomplete", ""
    if not result["feasible"]:
        return "breaks a constraint", ""
    mine = np.array([result[c] for c in cols]) * senses
    verdict = "not matched by the front"
    for _, d in front.iterrows():
        theirs = d[cols].to_numpy(dtype=float) * senses
        if d["design"] == design:  # the same design: the same runs
            verdict = f"the same as {d['label']}"
            break
        if dominates(theirs, mine):
            verdict = f"dominated by {d['label']}"
            break
    else:
        for _, d in front.iterrows():
            best_end = np.array([d[f"{c}.high"] if s > 0 else d[f"{c}.low"]
                                 for c, s in zip(cols, senses, strict=True)], dtype=float) * senses
            if np.all(mine <= np.where(np.isfinite(best_end), best_end, d[cols].to_numpy(
                    dtype=float) * senses)):
                verdict = f"within the intervals of {d['label']}"
                break
    best = ""
    if len(cols) >= 2 and len(front):
        cheaper = front[front[cols[1]].to_numpy(dtype=float) * senses[1] >= mine[1]]
        if len(cheaper):
            top = cheaper.loc[(cheaper[cols[0]] * senses[0]).idxmax()]
            best = top["label"]
    return verdict, best
