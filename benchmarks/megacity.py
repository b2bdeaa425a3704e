"""A megacity at one agent per family: ``scenarios/large/megacity.yaml`` (3,000,000 families, 5 years).

Each size runs ``scenarios/large/megacity.yaml`` (the informal megacity, siloed services, capacities and
budgets scaled with the families) for its full horizon, 104 warm-up and 260 measured weeks, in a
fresh process on one core, and reports:

- the wall time of the whole run (build included) and the mean seconds per weekly step;
- memory: the peak resident memory above the process's baseline (everything imported, scenario
  loaded, before the model is built), per family (aim: under 1 KB per family);
- scaling: mean seconds per step at the largest size / at the smallest, against the size ratio
  (no worse than linear: the ratio of the two at most 1.1).

    .venv/bin/python benchmarks/megacity.py [--sizes 1000000 3000000] [--coordination silos]

The table goes to stdout and ``benchmarks/results/megacity.json`` (with the machine and the load).
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from datetime import UTC, datetime

from benchlib import BENCH, ROOT, emit, machine_info, proc_status, worker

SCENARIO = ROOT / "scenarios" / "large" / "megacity.yaml"
LINEAR_SLACK = 1.1  # time per step may grow at most 10% faster than the families


def measure_run(families: int, coordination: str | None) -> dict:
    """One full run of the megacity at ``families`` families in this (fresh) process."""
    import mesa  # noqa: F401  (everything the run needs is imported before the baseline)
    import numpy  # noqa: F401

    from sim.core.model import CoordinationModel
    from sim.scenario.loading import load_scenario

    scenario = load_scenario(SCENARIO, [f"city.families={families}"], coordination=coordination)
    gc.collect()
    baseline = proc_status("VmRSS")
    t0 = time.perf_counter()
    model = CoordinationModel(scenario, organisation_reporters=False)  # as a sweep worker
    build = time.perf_counter() - t0
    seconds = []
    for _ in range(scenario.time.steps):
        t = time.perf_counter()
        model.step()
        seconds.append(time.perf_counter() - t)
    summary = model.summary()
    peak = proc_status("VmHWM")
    return {"families": families, "coordination": coordination or "as_written",
            "steps": len(seconds), "build_seconds": build, "wall_seconds": time.perf_counter() - t0,
            "seconds_per_step": sum(seconds) / len(seconds),
            "baseline_rss_bytes": baseline, "peak_rss_bytes": peak,
            "bytes_per_family": (peak - baseline) / families,
            "coverage": summary["coverage"], "total_cost": summary["total_cost"]}


def report(runs: list[dict]) -> list[str]:
    """The table's lines, and the scaling between the smallest and the largest size."""
    lines = ["| families | weeks | wall time | build | s/step | M family-steps/s | peak RSS | "
             "bytes/family above baseline | coverage |", "|---|---|---|---|---|---|---|---|---|"]
    for r in runs:
        lines.append(
            f"| {r['families']:,} | {r['steps']} | {r['wall_seconds'] / 60:.1f} min | "
            f"{r['build_seconds']:.1f} s | {r['seconds_per_step']:.3f} | "
            f"{r['families'] / r['seconds_per_step'] / 1e6:.2f} | {r['peak_rss_bytes'] / 2**30:.2f} GiB | "
            f"{r['bytes_per_family']:.0f} | {r['coverage']:.3f} |")
    if len(runs) > 1:
        small, large = runs[0], runs[-1]
        time_ratio = large["seconds_per_step"] / small["seconds_per_step"]
        size_ratio = large["families"] / small["families"]
        verdict = "no worse than linear" if time_ratio <= LINEAR_SLACK * size_ratio else "worse than linear"
        lines.append(f"\nscaling: s/step {large['families']:,} / {small['families']:,} = "
                     f"{time_ratio:.2f} for {size_ratio:.1f}x the families ({verdict})")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", default="report", choices=["report", "run"])
    parser.add_argument("--families", type=int, default=3_000_000, help="(run mode)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 3_000_000])
    parser.add_argument("--coordination", default=None,
                        help="a preset instead of the scenario's own block (silos)")
    args = parser.parse_args()
    if args.mode == "run":
        emit(measure_run(args.families, args.coordination))
        return
    started = datetime.now(UTC)
    runs = []
    for n in sorted(args.sizes):
        extra = ["--coordination", args.coordination] if args.coordination else []
        runs.append(worker("megacity.py", "run", "--families", str(n), *extra, timeout=4 * 3600))
        print(f"{n:,} families done: {runs[-1]['wall_seconds'] / 60:.1f} min", flush=True)
    lines = report(runs)
    print("\n".join(lines))
    out = BENCH / "results" / "megacity.json"
    command = ["benchmarks/megacity.py", "--sizes", *map(str, args.sizes)]
    if args.coordination:
        command += ["--coordination", args.coordination]
    out.write_text(json.dumps({"command": " ".join(command),
        "started": started.isoformat(timespec="seconds"), "machine": machine_info(), "runs": runs,
        "table": lines}, indent=1, default=str) + "\n")


if __name__ == "__main__":
    main()
