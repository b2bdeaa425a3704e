"""The model's throughput (family-steps per second) with every mechanism on, and its peak memory.

Scenario: ``scenarios/base.yaml`` with ``coordination="full_integration"`` (every coordination
mechanism switched on), ``city.families=N`` (capacities and budgets scale with N), weekly steps,
the ledger's warm-up shortened to 10 weeks so that the timed steps include the accounting. Each
size runs in a fresh process on one core (no BLAS/OpenMP threads):

- throughput at N families: build ``sim.core.model.CoordinationModel``, run 20 steps untimed, time 20
  steps one by one; family-steps per second = N / mean seconds per step;
- memory at 1,000,000 families: one process imports everything and loads the scenario, reads its
  RSS (the baseline), builds the model and runs the full 260 weekly steps (per-step times kept:
  steps 20..39 give the 1M throughput, so the 1M model runs once), then reads its peak RSS; bytes
  per family above baseline = (peak - baseline) / N (target <= 1 KB). The NumPy limit
  (``numpy_limit.py``) is measured in the same process afterwards;
- scaling: seconds per step at 1M / at 100k (target <= 11, i.e. no worse than linear + 10%).

    .venv/bin/python benchmarks/throughput.py [--sizes 10000 100000] [--memory-families 1000000]
"""

from __future__ import annotations

import argparse
import gc
import time

from benchlib import (
    TIMED_STEPS,
    WARMUP_STEPS,
    emit,
    load,
    proc_status,
    step_stats,
    time_steps,
    worker,
    years_for,
)
from numpy_limit import measure_limit

FULL_RUN_STEPS = 260


def measure_model(families: int, limit: bool = False) -> dict:
    """Time/step of the model at ``families`` (20 warm-up steps, 20 timed)."""
    from sim.core.model import CoordinationModel

    scenario = load(families, years_for(WARMUP_STEPS + TIMED_STEPS))
    t0 = time.perf_counter()
    model = CoordinationModel(scenario, organisation_reporters=False)  # as a sweep worker
    build = time.perf_counter() - t0
    out = {"families": families, "build_seconds": build,
           **step_stats(time_steps(model.step), families),
           "coverage": model.summary()["coverage"]}
    if limit:
        out["limit"] = measure_limit(model)
    return out


def measure_memory(families: int, steps: int = FULL_RUN_STEPS, limit: bool = True) -> dict:
    """A full run in this (fresh) process: peak RSS above the pre-build baseline, per-step times."""
    import mesa  # noqa: F401  (everything the run needs is imported before the baseline)
    import numpy  # noqa: F401

    import sim.core.model

    scenario = load(families, steps / 52)
    gc.collect()
    baseline = proc_status("VmRSS")
    t0 = time.perf_counter()
    model = sim.core.model.CoordinationModel(scenario, organisation_reporters=False)
    build = time.perf_counter() - t0
    seconds = []
    for _ in range(steps):
        t = time.perf_counter()
        model.step()
        seconds.append(time.perf_counter() - t)
    peak = proc_status("VmHWM")
    window = seconds[WARMUP_STEPS:WARMUP_STEPS + TIMED_STEPS]
    out = {"families": families, "steps": steps, "build_seconds": build,
           "run_seconds": sum(seconds), "baseline_rss_bytes": baseline, "peak_rss_bytes": peak,
           "bytes_per_family": (peak - baseline) / families,
           "window": step_stats(window, families),
           "after_warmup": step_stats(seconds[WARMUP_STEPS:], families),
           "coverage": model.summary()["coverage"]}
    if limit:
        out["limit"] = measure_limit(model)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", default="report", choices=["report", "model", "memory"])
    parser.add_argument("--families", type=int, default=100_000, help="(worker modes)")
    parser.add_argument("--steps", type=int, default=FULL_RUN_STEPS, help="(memory mode)")
    parser.add_argument("--limit", action="store_true", help="also time the NumPy limit (worker modes)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--memory-families", type=int, default=1_000_000)
    args = parser.parse_args()
    if args.mode == "model":
        emit(measure_model(args.families, args.limit))
        return
    if args.mode == "memory":
        emit(measure_memory(args.families, args.steps, args.limit))
        return
    per_step = {}
    for n in args.sizes:
        r = worker("throughput.py", "model", "--families", str(n))
        per_step[n] = r["seconds_per_step"]
        print(f"{n:>10,} families: {1000 * r['seconds_per_step']:9.2f} ms/step, "
              f"{r['family_steps_per_second'] / 1e6:6.2f} M family-steps/s")
    n = args.memory_families
    r = worker("throughput.py", "memory", "--families", str(n), "--steps", str(args.steps))
    per_step[n] = r["window"]["seconds_per_step"]
    print(f"{n:>10,} families: {1000 * per_step[n]:9.2f} ms/step, "
          f"{r['window']['family_steps_per_second'] / 1e6:6.2f} M family-steps/s (steps 20-39 of "
          f"{r['steps']}); whole run {r['run_seconds']:.1f} s")
    print(f"memory: peak {r['peak_rss_bytes'] / 2**20:.0f} MiB, baseline "
          f"{r['baseline_rss_bytes'] / 2**20:.0f} MiB: {r['bytes_per_family']:.0f} bytes/family above "
          "baseline (target <= 1024)")
    small = max((m for m in per_step if m < n), default=None)
    if small:
        print(f"scaling: time/step {n:,} / {small:,} = {per_step[n] / per_step[small]:.2f} "
              f"(size ratio {n / small:.0f})")


if __name__ == "__main__":
    main()
