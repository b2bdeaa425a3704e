"""`sim reproduce DIR`: run a sweep's runs again and check that every number matches."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim.errors import ConfigError, one_line
from sim.experiments.report import load_results
from sim.experiments.runner import execute, make_executor, tasks_for


@dataclass
class Reproduction:
    """What a reproduction checked and what differed."""

    checked: int = 0
    numbers: int = 0
    mismatches: list[tuple[str, str, float, float]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.checked > 0 and not self.mismatches

    def describe(self) -> str:
        if self.ok:
            return (f"reproduced: {self.checked} runs, all {self.numbers} stored values identical "
                    "(every column but wall time)")
        lines = [f"NOT reproduced: {len(self.mismatches)} of {self.numbers} stored values differ "
                 f"in {self.checked} runs"]
        lines += [f"  {run} {metric}: recorded {one_line(repr(a), 80)}, now {one_line(repr(b), 80)}"
                  for run, metric, a, b in self.mismatches[:20]]
        return "\n".join(lines)


UNCHECKED = {"wall_seconds"}  # how long a run took is the only thing allowed to differ


def _same(a, b) -> bool:
    """Equal values, NaN equal to NaN, sequences (time series) element by element."""
    if isinstance(a, list | tuple | np.ndarray) or isinstance(b, list | tuple | np.ndarray):
        try:
            x, y = np.asarray(a), np.asarray(b)
            if x.shape != y.shape:
                return False
            numeric = x.dtype.kind in "fiub" and y.dtype.kind in "fiub"
            return bool(np.array_equal(x, y, equal_nan=numeric))
        except (TypeError, ValueError):
            return False
    if isinstance(a, float | np.floating) and isinstance(b, float | np.floating):
        return (math.isnan(a) and math.isnan(b)) or a == b
    return bool(a == b)


def reproduce(folder: Path, sample: int | None = None, workers: int = 1,
              seed: int = 0) -> Reproduction:
    """Re-run all recorded successful runs (or ``sample`` of them) and compare every stored
    column of each (metrics, time series, seed, arm, factor values, status), not only metrics."""
    plan, runs = load_results(folder)
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    if ok.empty:
        raise ConfigError(f"{folder}: no recorded runs to reproduce")
    if sample is not None and sample < len(ok):
        ok = ok.iloc[np.sort(np.random.default_rng(seed).choice(len(ok), sample, replace=False))]
    wanted = set(ok["run_id"])
    recorded = ok.set_index("run_id", drop=False)
    result = Reproduction()
    executor = make_executor("local", workers)
    try:
        skip = {r.run_id for r in plan.runs} - wanted
        for row in executor.map_unordered(execute, tasks_for(plan, skip)):
            result.checked += 1
            before = recorded.loc[row["run_id"]]
            for column in sorted((set(before.index) | set(row)) - UNCHECKED):
                result.numbers += 1
                was, now = before.get(column, MISSING), row.get(column, MISSING)
                if not _same(was, now):
                    result.mismatches.append((row["run_id"], column, was, now))
    finally:
        executor.close()
    return result


MISSING = "<missing>"
