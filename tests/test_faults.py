"""Fault injection: killed workers, a killed driver, a full disk, a lost Dask worker.

Each time, finishing the sweep must give exactly the rows of an undisturbed sweep.
"""

from __future__ import annotations

import errno
import os
import random
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from sim.experiments.plan import load_experiment
from sim.experiments.runner import DaskExecutor, LocalExecutor, SerialExecutor, run_plan
from sim.experiments.store import ResultStore
from tests.conftest import BASE
from tests.tally import tally

pytestmark = pytest.mark.slow

# `make fuzz` (HYPOTHESIS_PROFILE=fuzz) kills the driver many more times
DRIVER_KILLS = 16 if os.environ.get("HYPOTHESIS_PROFILE") == "fuzz" else 3

EXPERIMENT = f"""
name: faults
scenario: {BASE}
years: 0.5
replications: {{replications}}
seed: 9
set:
  city.families: 300
  time.warmup_weeks: 6
factors:
  coordination: [silos, integrated_platform]
"""


@pytest.fixture
def plan_file(tmp_path):
    def make(replications=4):
        path = tmp_path / f"faults-{replications}.yaml"
        path.write_text(EXPERIMENT.format(replications=replications))
        return path
    return make


def numbers(folder) -> pd.DataFrame:
    return ResultStore(folder).read().drop(columns=["wall_seconds"]).reset_index(drop=True)


def undisturbed(plan, folder):
    run_plan(plan, ResultStore(folder), SerialExecutor())
    return numbers(folder)


def sweep_killing_workers(tmp_path, plan_file, executor, worker_pids, at: tuple[int, ...]):
    """Run a sweep on ``executor``, SIGKILL one worker process after each run count in ``at``;
    return the resulting rows, the rows of an undisturbed sweep, and how many were killed."""
    plan = load_experiment(plan_file(6))
    expected = undisturbed(plan, tmp_path / "whole")
    killed = []

    def kill_a_worker(done, todo, row):
        pids = worker_pids() if done in at else []
        if pids:
            os.kill(pids[0], signal.SIGKILL)
            killed.append(pids[0])

    try:
        run_plan(plan, ResultStore(tmp_path / "out"), executor, kill_a_worker)
    finally:
        executor.close()
    tally("fault injections survived", len(killed))
    return numbers(tmp_path / "out"), expected, len(killed)


def test_local_worker_killed_mid_run(tmp_path, plan_file):
    executor = LocalExecutor(2)
    rows, expected, killed = sweep_killing_workers(
        tmp_path, plan_file, executor, lambda: list(executor.pool._processes), at=(2, 6))
    assert killed and executor.restarts >= 1
    pd.testing.assert_frame_equal(rows, expected)


def test_driver_killed_at_random_points(tmp_path, plan_file):
    path = plan_file(8)
    plan = load_experiment(path)
    expected = undisturbed(plan, tmp_path / "whole")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "sim.cli", "sweep", str(path), "--out", str(out), "--workers", "2",
           "--quiet"]
    rng = random.Random(20261124)
    kills = 0
    for _ in range(DRIVER_KILLS):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        time.sleep(rng.uniform(0.3, 3.0))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the driver and its workers, no warning
            kills += 1
        proc.wait()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert kills >= 1
    tally("fault injections survived", kills)
    pd.testing.assert_frame_equal(numbers(out), expected)
    assert len(numbers(out)) == len(plan.runs)  # none lost, none twice


def test_disk_full_stops_cleanly_and_the_rerun_completes(tmp_path, plan_file, monkeypatch):
    plan = load_experiment(plan_file(4))
    expected = undisturbed(plan, tmp_path / "whole")
    out = tmp_path / "out"
    real_append = ResultStore.append
    writes = []

    def append_until_full(self, rows):
        if rows and len(writes) >= 1:
            raise OSError(errno.ENOSPC, "No space left on device", str(self.parts))
        writes.append(len(rows))
        return real_append(self, rows)

    monkeypatch.setattr(ResultStore, "append", append_until_full)
    with pytest.raises(OSError, match="No space left"):
        run_plan(plan, ResultStore(out), SerialExecutor())
    kept = numbers(out)
    assert 0 < len(kept) < len(plan.runs)
    monkeypatch.setattr(ResultStore, "append", real_append)
    run_plan(plan, ResultStore(out), SerialExecutor())
    tally("fault injections survived")
    pd.testing.assert_frame_equal(numbers(out), expected)


def test_disk_full_is_one_line_from_the_command(tmp_path, plan_file):
    """The CLI reports a write failure in one line (here: results folder is a file)."""
    blocker = tmp_path / "blocked"
    blocker.write_text("not a folder")
    done = subprocess.run([sys.executable, "-m", "sim.cli", "sweep", str(plan_file(1)), "--out",
                           str(blocker / "out"), "--workers", "1", "--quiet"],
                          capture_output=True, text=True)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_dask_worker_lost(tmp_path, plan_file):
    executor = DaskExecutor(2)
    rows, expected, killed = sweep_killing_workers(
        tmp_path, plan_file, executor, lambda: list(executor.client.run(os.getpid).values()),
        at=(2,))
    assert killed
    pd.testing.assert_frame_equal(rows, expected)
