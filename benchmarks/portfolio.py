"""Throughput of a portfolio sweep, and from it the time and cost of a whole country's.

Reads finished sweep folders of ``experiments/portfolio_200.yaml`` (run beforehand, e.g.
``sim sweep experiments/portfolio_200.yaml --workers 2 --out DIR`` and the same with
``--executor dask``): each one's runs per second (its manifest.json), and, from the local one's
rows, the wall time of a run against its municipality's families (a least-squares fit
``a + b x families``). Then projects the 36,000-municipality portfolio
(``experiments/portfolios/portfolio_36000.yaml``: the same ways of working, replications and
years): worker-hours = the fit summed over its municipalities x ways x replications, divided by
the measured efficiency of the pool (runs per second / (workers / mean run time)); hours on N
workers = worker-hours / N, but never less than its longest run; cost = worker-hours x the price
of a worker-hour (an assumption: ``--price``).

    .venv/bin/python benchmarks/portfolio.py --local DIR [--dask DIR] [--price 0.045]
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
NATIONAL = ROOT / "experiments" / "portfolios" / "portfolio_36000.yaml"
WORKERS = (32, 256, 1024)


def sweep_figures(folder: Path) -> dict:
    """A finished sweep's runs, seconds, runs per second and workers (its manifest.json)."""
    manifest = json.loads((folder / "manifest.json").read_text())
    return {key: manifest[key] for key in ("executor", "workers", "runs_this_invocation",
                                           "seconds_this_invocation", "runs_per_second")}


def run_times(folder: Path) -> pd.DataFrame:
    from sim.experiments.store import ResultStore

    return ResultStore(folder).read(["families", "wall_seconds", "status"])


def project(local: Path, price: float) -> dict:
    from sim.experiments.plan import load_experiment

    rows = run_times(local)
    parts = list((local / "parts").glob("part-*.parquet"))
    row_bytes = sum(p.stat().st_size for p in parts) / len(rows)
    slope, intercept = np.polyfit(rows["families"], rows["wall_seconds"], 1)
    measured = sweep_figures(local)
    busy = measured["workers"] / rows["wall_seconds"].mean()  # runs/s if workers never waited
    efficiency = measured["runs_per_second"] / busy
    clock = time.perf_counter()
    plan = load_experiment(NATIONAL)
    planning = time.perf_counter() - clock
    planned_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    plan_bytes = len(json.dumps(plan.to_json()))
    families = np.array([arm.values["families"] for arm in plan.arms], dtype=float)
    ways = len(plan.spec.factors.get("coordination", [None]))
    run_seconds = (intercept + slope * families) * plan.spec.replications
    worker_hours = run_seconds.sum() / 3600 / efficiency
    longest = float((intercept + slope * families.max()) / 3600)
    return {
        "fit_seconds_per_run": {"intercept": intercept, "per_family": slope},
        "mean_run_seconds": float(rows["wall_seconds"].mean()),
        "bytes_per_result_row": row_bytes,
        "pool_efficiency": efficiency,
        "national": {"planning_seconds": planning, "driver_peak_mb_after_planning": planned_mb,
                     "plan_json_bytes": plan_bytes, "runs": len(plan.runs),
                     "municipalities": len(plan.arms) // ways,
                     "families": int(families.sum() / ways), "largest_families": int(families.max()),
                     "worker_hours": worker_hours, "longest_run_hours": longest,
                     "price_per_worker_hour": price, "cost": worker_hours * price,
                     "hours_on_workers": {str(n): max(worker_hours / n, longest) for n in WORKERS}},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--local", type=Path, required=True, help="the local pool's sweep folder")
    parser.add_argument("--dask", type=Path, help="the Dask LocalCluster's sweep folder")
    parser.add_argument("--price", type=float, default=0.045,
                        help="price of a worker-hour (one vCPU) in USD (default: 0.045, assumption)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "portfolio.json")
    args = parser.parse_args()
    result = {"local": sweep_figures(args.local), **project(args.local, args.price)}
    if args.dask:
        from sim.experiments.store import ResultStore

        result["dask"] = sweep_figures(args.dask)
        tables = [ResultStore(folder).read().drop(columns="wall_seconds").sort_values("run_id")
                  .reset_index(drop=True) for folder in (args.local, args.dask)]
        result["identical"] = bool(tables[0].equals(tables[1][tables[0].columns]))
    print(json.dumps(result, indent=1))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
