"""Scenario discovery with the EMA Workbench: where does full integration fail marginalised families?

Runs the model through EMA's ``perform_experiments`` (a Latin hypercube over the uncertain
parameters of ``sim.ema.UNCERTAINTIES``, each scenario under two policies: ``silos`` and
``full_integration``), computes each scenario's gain in marginalised families' coverage, then asks
which uncertain conditions make the gain small: PRIM finds a box of such conditions, and feature
scoring (extra trees) ranks the uncertainties by how much they explain the gain.

    .venv/bin/python docs/examples/scenario_discovery.py                   # the setting of the docs
    .venv/bin/python docs/examples/scenario_discovery.py --scenarios 8 --families 300 --years 0.6

See docs/scenario-discovery.md. Needs the analysis extra (pip install '.[analysis]').
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore", message="ipyparallel not installed")

from ema_workbench import MultiprocessingEvaluator, Sample, SequentialEvaluator  # noqa: E402
from ema_workbench.analysis import feature_scoring, prim  # noqa: E402

from sim.ema import ema_model  # noqa: E402

OUTCOME = "coverage_marginalised"


def discover(scenarios: int = 64, families: int = 2000, years: float = 3.0, replications: int = 2,
             workers: int = 1, seed: int = 0, threshold: float | None = None,
             warmup_weeks: int = 26) -> dict:
    """Run the experiments and the analysis; return the tables that the docs page shows."""
    model = ema_model("base", years=years, replications=replications, seed=seed,
                      city__families=families, time__warmup_weeks=warmup_weeks,
                      metrics=[OUTCOME, "coverage", "duplication_rate", "total_cost"])
    policies = [Sample("silos", coordination="silos", funding__budget_scale=1.0),
                Sample("full_integration", coordination="full_integration",
                       funding__budget_scale=1.0)]
    evaluator = SequentialEvaluator(model) if workers <= 1 else MultiprocessingEvaluator(
        model, n_processes=workers)
    with evaluator:  # the Latin hypercube over the uncertainties is seeded: same scenarios every time
        experiments, outcomes = evaluator.perform_experiments(
            scenarios=scenarios, policies=policies, uncertainty_sampling_kwargs={"rng": seed})

    # one row per scenario: the uncertain conditions and the gain of full integration over silos
    table = experiments.assign(**{k: v for k, v in outcomes.items()})
    names = [u.name for u in model.uncertainties]
    wide = table.pivot_table(index="scenario", columns="policy", values=OUTCOME)
    gain = (wide["full_integration"] - wide["silos"]).rename("gain")
    # as floats: PRIM's pasting moves integer dimensions (patience) by fractions, which pandas
    # refuses to write into an integer column
    x = table[table["policy"] == "silos"].set_index("scenario")[names].loc[gain.index].astype(float)
    cut = float(np.quantile(gain, 0.25)) if threshold is None else threshold
    small = (gain < cut).to_numpy()

    # PRIM: a box of conditions where the gain is small (cases of interest: gain < cut)
    finder = prim.Prim(x.reset_index(drop=True), small, peel_alpha=0.1, mass_min=0.05)
    box = finder.find_box()
    trajectory = box.peeling_trajectory[["coverage", "density", "mass", "res_dim"]]
    # the last box on the peeling trajectory with coverage >= 0.5 (or the densest one)
    good = trajectory[trajectory["coverage"] >= 0.5]
    chosen = int(good.index[-1] if len(good) else trajectory["density"].idxmax())
    box.select(chosen)
    limits = box.box_lims[chosen]
    restricted = [c for c in limits.columns
                  if not np.allclose(limits[c].astype(float), box.box_lims[0][c].astype(float))]

    # feature scoring: which uncertainties explain the gain (extra trees, regression)
    scores = feature_scoring.get_feature_scores_all(x.reset_index(drop=True), {"gain": gain.to_numpy()},
                                                    random_state=seed)
    scores = scores.sort_values("gain", ascending=False)
    return {"experiments": experiments, "outcomes": outcomes, "gain": gain, "threshold": cut,
            "cases_of_interest": int(small.sum()),
            "box": limits[restricted].T.set_axis(["low", "high"], axis=1),
            "box_stats": trajectory.loc[chosen], "scores": scores.rename_axis("uncertainty")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=64)
    parser.add_argument("--families", type=int, default=2000)
    parser.add_argument("--years", type=float, default=3.0)
    parser.add_argument("--replications", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="folder for experiments.csv and the figures")
    args = parser.parse_args(argv)
    warmup = 26 if args.years > 1 else 6
    found = discover(args.scenarios, args.families, args.years, args.replications, args.workers,
                     args.seed, warmup_weeks=warmup)
    gain = found["gain"]
    pd.set_option("display.width", 120)
    print(f"{len(gain)} scenarios x 2 policies x {args.replications} replications; gain in "
          f"{OUTCOME} (full_integration - silos): mean {gain.mean():+.3f}, "
          f"min {gain.min():+.3f}, max {gain.max():+.3f}")
    print(f"cases of interest: gain < {found['threshold']:+.3f} ({found['cases_of_interest']} scenarios)")
    stats = found["box_stats"]
    print(f"\nPRIM box: coverage {stats['coverage']:.2f}, density {stats['density']:.2f}, "
          f"mass {stats['mass']:.2f}, {int(stats['res_dim'])} restricted dimension(s)")
    print(found["box"].to_string() if len(found["box"]) else "(no restriction)")
    print("\nfeature scores (extra trees) for the gain:")
    print(found["scores"].round(3).to_string())
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        found["experiments"].assign(**found["outcomes"]).to_csv(args.out / "experiments.csv",
                                                                index=False)
        print(f"\nexperiments and outcomes written to {args.out / 'experiments.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
