"""`sim reproduce DIR`: run a sweep's runs again and check that every number matches."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim.config import ConfigError
from sim.report import load_results, metric_columns
from sim.runner import execute, make_executor, tasks_for


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
            return f"reproduced: {self.checked} runs, all {self.numbers} numbers identical"
        lines = [f"NOT reproduced: {len(self.mismatches)} of {self.numbers} numbers differ "
                 f"in {self.checked} runs"]
        lines += [f"  {run} {metric}: recorded {a!r}, now {b!r}"
                  for run, metric, a, b in self.mismatches[:20]]
        return "\n".join(lines)


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def reproduce(folder: Path, sample: int | None = None, workers: int = 1,
              seed: int = 0) -> Reproduction:
    """Re-run all recorded successful runs (or ``sample`` of them) and compare every metric."""
    plan, runs = load_results(folder)
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    if ok.empty:
        raise ConfigError(f"{folder}: no recorded runs to reproduce")
    if sample is not None and sample < len(ok):
        ok = ok.iloc[np.sort(np.random.default_rng(seed).choice(len(ok), sample, replace=False))]
    wanted = set(ok["run_id"])
    recorded = ok.set_index("run_id")
    metrics = metric_columns(ok)
    result = Reproduction()
    executor = make_executor("local", workers)
    try:
        skip = {r.run_id for r in plan.runs} - wanted
        for row in executor.map_unordered(execute, tasks_for(plan, skip)):
            result.checked += 1
            for metric in metrics:
                result.numbers += 1
                before, now = float(recorded.at[row["run_id"], metric]), float(row.get(metric, np.nan))
                if not _same(before, now):
                    result.mismatches.append((row["run_id"], metric, before, now))
    finally:
        executor.close()
    return result
