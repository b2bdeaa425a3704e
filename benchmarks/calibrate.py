"""Calibration time: a 100-trial calibration of the default city, 3 replications per trial, on 2
local workers (issue 18: aim for under 5 minutes on this machine, about 300 runs of 1 s on 2
cores with little overhead per trial).

It runs ``sim calibrate scenarios/base.yaml experiments/targets/calibrate_base.yaml --trials 100
--replications 3 --workers 2`` into a fresh temporary folder (the command's own code path:
validation, the Optuna batches, the local pool, the store, the outputs) and prints one JSON line:
the wall time with start-up and outputs, the runs, the time per run and the overhead (wall time
against the runs' own time divided by the workers).

    .venv/bin/python benchmarks/calibrate.py [--trials N] [--replications R] [--workers W]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from benchlib import BASE, ROOT

TARGETS = ROOT / "experiments" / "targets" / "calibrate_base.yaml"


def measure(trials: int, replications: int, workers: int) -> dict:
    from sim.cli import main
    from sim.experiments.store import ResultStore

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "calibration"
        argv = ["calibrate", str(BASE), str(TARGETS), "--trials", str(trials), "--replications",
                str(replications), "--workers", str(workers), "--quiet", "--out", str(out)]
        clock = time.perf_counter()
        code = main(argv)
        seconds = time.perf_counter() - clock
        runs = ResultStore(out).read(["wall_seconds", "status"])
    run_seconds = float(runs["wall_seconds"].sum())
    return {"command": "sim " + " ".join(argv[:-2]), "exit": code, "trials": trials,
            "replications": replications, "workers": workers, "runs": len(runs),
            "runs_ok": int((runs["status"] == "ok").sum()), "seconds": round(seconds, 2),
            "seconds_per_run": round(run_seconds / max(len(runs), 1), 3),
            "overhead": round(seconds / (run_seconds / workers), 3) if run_seconds else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--replications", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(json.dumps(measure(args.trials, args.replications, args.workers)))


if __name__ == "__main__":
    main()
