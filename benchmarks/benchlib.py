"""Helpers shared by the benchmark scripts: the scenario, step timing, memory, worker processes.

Every heavy measurement runs in a fresh worker process (``python benchmarks/<script>.py <mode>
...``) that prints one JSON line last; the orchestrators (each script's ``main``, and
``run_all.py``) start the workers one after another, so measurements compared as a ratio are
taken in the same run, minutes apart at most, on the same machine state.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
BASE = ROOT / "scenarios" / "base.yaml"
COORDINATION = "full_integration"  # every mechanism switched on

WARMUP_STEPS = 20  # steps run before timing starts
TIMED_STEPS = 20  # steps timed
# the ledger's own warm-up (weeks not counted in the metrics) is shortened from the scenario's 52
# weeks so that the timed steps 20..39 include the accounting done in counted weeks
LEDGER_WARMUP_WEEKS = 10

# measured processes use one core: no BLAS or OpenMP thread pools
ONE_CORE = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def overrides(families: int, years: float, ledger_warmup: int = LEDGER_WARMUP_WEEKS) -> list[str]:
    """The ``--set`` overrides of a benchmark run of the base city."""
    return [f"city.families={families}", f"time.years={years}", f"time.warmup_weeks={ledger_warmup}"]


def load(families: int, years: float, coordination: str = COORDINATION,
         ledger_warmup: int = LEDGER_WARMUP_WEEKS):
    """The base scenario at ``families`` families (through ``sim.scenario.loading.load_scenario``)."""
    from sim.scenario.loading import load_scenario

    return load_scenario(BASE, overrides(families, years, ledger_warmup), coordination=coordination)


def years_for(steps: int) -> float:
    """A horizon (years) of at least ``steps`` weekly steps."""
    return max(1.0, (steps + 1) / 52)


def time_steps(step, warmup: int = WARMUP_STEPS, timed: int = TIMED_STEPS) -> list[float]:
    """Call ``step()`` ``warmup`` times untimed, then ``timed`` times; return the timed seconds."""
    for _ in range(warmup):
        step()
    seconds = []
    for _ in range(timed):
        t0 = time.perf_counter()
        step()
        seconds.append(time.perf_counter() - t0)
    return seconds


def step_stats(seconds: list[float], families: int) -> dict:
    """Mean and median seconds per step and family-steps per second (from the mean)."""
    mean = sum(seconds) / len(seconds)
    return {"steps_timed": len(seconds), "seconds_per_step": mean,
            "median_seconds_per_step": statistics.median(seconds),
            "min_seconds_per_step": min(seconds),
            "family_steps_per_second": families / mean}


def proc_status(field: str) -> int:
    """A memory field of /proc/self/status in bytes (VmRSS: now, VmHWM: peak so far)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def emit(result: dict) -> None:
    """A worker's result: one JSON line, printed last."""
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


def worker(script: str, *args: str, one_core: bool = True, timeout: float = 3600) -> dict:
    """Run ``benchmarks/<script> args...`` in a fresh interpreter (this one) and return its JSON."""
    env = dict(os.environ)
    if one_core:
        env.update(ONE_CORE)
    cmd = [sys.executable, str(BENCH / script), *args]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=timeout)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise RuntimeError(f"{' '.join(cmd[1:])} failed (exit {done.returncode}):\n{tail}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info() -> dict:
    """Platform, CPU model, cores, memory, Python and key package versions, load average."""
    from importlib.metadata import PackageNotFoundError, version

    def ver(name: str) -> str | None:
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    mem = None
    try:
        with open("/proc/meminfo") as f:
            mem = int(next(line for line in f if line.startswith("MemTotal")).split()[1]) * 1024
    except (OSError, StopIteration):
        pass
    return {
        "platform": platform.platform(),
        "cpu_model": cpu_model(),
        "cores": os.cpu_count(),
        "cores_available": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_bytes": mem,
        "python": platform.python_version(),
        "packages": {p: ver(p) for p in ("mesa", "numpy", "dask", "distributed", "pydantic")},
        "load_average": list(os.getloadavg()),
    }
