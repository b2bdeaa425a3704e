"""Sweep throughput: runs per second of an experiment on 1 worker, 2 local workers, Dask.

Two experiments, both the base city under presets ``silos`` and ``full_integration``:

- ``small``: 3,000 families for 1 year (ledger warm-up 26 weeks), 32 replications each: 64 runs
  of about 0.15 s; measures the executors' sustained rates (their per-run overhead);
- ``city``: the default city (10,000 families) for its 5 years, 20 replications each: 40 runs of
  about 1 s, the size of a first comparison an analyst runs; measures what a sweep costs with
  pool or cluster start-up included.

Each is loaded with ``sim.experiments.plan.load_experiment`` and run with
``sim.experiments.runner.run_plan`` into a fresh ``sim.experiments.store.ResultStore`` on
``SerialExecutor()``, ``LocalExecutor(2)`` and ``DaskExecutor(2)`` (a LocalCluster), each executor
in a fresh process, in one of two modes:

- cold ("with start-up"): the clock runs from creating the executor to closing it after the
  runs: pool or cluster start-up, worker imports and first-run costs included;
- warm ("without start-up"): the executor is created and a warm-up plan (2 tiny runs per
  worker) is run first, untimed; then only ``run_plan`` of the runs is timed.

Parallel efficiency = 2-worker rate / (2 x 1-worker rate) (target >= 0.9, i.e. 2 workers give
>= 1.8x); Dask relative to the local pool = Dask rate / local rate (target >= 0.85: within 15%).

    .venv/bin/python benchmarks/sweep.py [--experiment small|city]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from benchlib import BASE, emit, worker

EXPERIMENT = """name: {name}
scenario: {scenario}
years: {years}
replications: {replications}
seed: 7
set:
  city.families: {families}
  time.warmup_weeks: {warmup}
factors:
  coordination: [silos, full_integration]
"""
SWEEPS = {"small": {"families": 3000, "years": 1, "warmup": 26, "replications": 32},
          "city": {"families": 10_000, "years": 5, "warmup": 52, "replications": 20}}
WARMUP_PLAN = {"families": 200, "years": 0.2, "warmup": 2}
EXECUTORS = ("serial", "local", "dask")
WORKERS = 2


def _plan(folder: Path, name: str, **values):
    from sim.experiments.plan import load_experiment

    path = folder / f"{name}.yaml"
    path.write_text(EXPERIMENT.format(name=name, scenario=BASE, **values))
    return load_experiment(path)


def _executor(kind: str):
    from sim.experiments.runner import DaskExecutor, LocalExecutor, SerialExecutor

    if kind == "serial":
        return SerialExecutor()
    if kind == "local":
        return LocalExecutor(WORKERS)
    return DaskExecutor(WORKERS)


def measure(kind: str, warm: bool, experiment: str = "small") -> dict:
    from sim.experiments.runner import run_plan
    from sim.experiments.store import ResultStore

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        plan = _plan(folder, "bench_sweep", **SWEEPS[experiment])
        t0 = time.perf_counter()
        executor = _executor(kind)
        started = time.perf_counter()
        try:
            if warm:
                workers = max(executor.workers, 1)
                run_plan(_plan(folder, "bench_warmup", replications=2 * workers, **WARMUP_PLAN),
                         ResultStore(folder / "warmup"), executor)
            t1 = time.perf_counter()
            manifest = run_plan(plan, ResultStore(folder / "out"), executor)
            t2 = time.perf_counter()
        finally:
            executor.close()
        t3 = time.perf_counter()
        runs = manifest["runs_this_invocation"]
        ok = manifest["runs_ok"]
    seconds = (t2 - t1) if warm else (t3 - t0)
    return {"executor": kind, "warm": warm, "experiment": experiment, "runs": runs, "runs_ok": ok,
            "seconds": seconds, "runs_per_second": runs / seconds, "startup_seconds": started - t0,
            "close_seconds": t3 - t2}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", default="report", choices=["report", "worker"])
    parser.add_argument("--executor", choices=EXECUTORS, default="serial", help="(worker mode)")
    parser.add_argument("--warm", action="store_true", help="(worker mode) exclude start-up")
    parser.add_argument("--experiment", choices=sorted(SWEEPS), default="small")
    args = parser.parse_args()
    if args.mode == "worker":
        emit(measure(args.executor, args.warm, args.experiment))
        return
    rates = {}
    for warm in (False, True):
        for kind in EXECUTORS:
            r = worker("sweep.py", "worker", "--executor", kind, "--experiment", args.experiment,
                       *(["--warm"] if warm else []), one_core=False)
            rates[kind, warm] = r["runs_per_second"]
            label = "without start-up" if warm else "with start-up   "
            print(f"{kind:>6} {label}: {r['runs']} runs ({r['runs_ok']} ok) in {r['seconds']:6.2f} s = "
                  f"{r['runs_per_second']:5.2f} runs/s")
    for warm in (True, False):
        label = "without start-up" if warm else "with start-up"
        eff = rates["local", warm] / (WORKERS * rates["serial", warm])
        dask = rates["dask", warm] / rates["local", warm]
        print(f"{label}: parallel efficiency {eff:.2f} (target >= 0.9), Dask / local pool {dask:.2f} "
              "(target >= 0.85)")


if __name__ == "__main__":
    main()
