"""Sweeps: same numbers on every executor, resumable after a kill, error rows, reproduce, report."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pyarrow.parquet as pq
import pytest

from sim.errors import ConfigError
from sim.experiments.plan import load_experiment, replication_seeds
from sim.experiments.reproduce import reproduce
from sim.experiments.runner import LocalExecutor, SerialExecutor, make_executor, run_plan
from sim.experiments.store import ResultStore
from tests.conftest import BASE

EXPERIMENT = f"""
name: tiny
description: a small test sweep
scenario: {BASE}
years: 0.6                  # 31 measured weeks: the follow-up (26) and 5 weeks of cohort
replications: {{replications}}
seed: 42
set:
  city.families: 400
  time.warmup_weeks: 6
factors:
  coordination: [silos, council, shared_registry]
"""


def experiment(tmp_path, replications=2, extra=""):
    path = tmp_path / "exp.yaml"
    path.write_text(EXPERIMENT.format(replications=replications) + extra)
    return path


def sweep(plan, folder, executor):
    try:
        run_plan(plan, ResultStore(folder), executor)
    finally:
        executor.close()
    return ResultStore(folder).read()


def numbers(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop(columns=["wall_seconds"]).reset_index(drop=True)


def test_plan_has_common_random_numbers(tmp_path):
    plan = load_experiment(experiment(tmp_path, replications=3))
    assert len(plan.arms) == 3 and len(plan.runs) == 9
    seeds = {}
    for run in plan.runs:
        seeds.setdefault(run.replication, set()).add(run.seed)
    assert all(len(s) == 1 for s in seeds.values())  # replication k: one seed in every arm
    assert plan.seeds == replication_seeds(42, 3)
    assert len(set(plan.seeds)) == 3


@pytest.mark.slow
def test_serial_local_and_dask_give_identical_numbers(tmp_path):
    plan = load_experiment(experiment(tmp_path))
    serial = sweep(plan, tmp_path / "serial", SerialExecutor())
    local = sweep(plan, tmp_path / "local", LocalExecutor(2))
    dask = sweep(plan, tmp_path / "dask", make_executor("dask", 2))
    assert len(serial) == len(plan.runs) and (serial["status"] == "ok").all()
    pd.testing.assert_frame_equal(numbers(serial), numbers(local))
    pd.testing.assert_frame_equal(numbers(serial), numbers(dask))
    assert serial["coverage"].nunique() > 1


def test_failing_run_becomes_an_error_row(tmp_path, monkeypatch):
    import sim.experiments.runner

    plan = load_experiment(experiment(tmp_path))
    bad_seed = plan.seeds[1]
    real = sim.experiments.runner.simulate

    def flaky(config, seed, timeseries):
        if seed == bad_seed and config["coordination"]["model"] == "council":
            raise RuntimeError("injected failure")
        return real(config, seed, timeseries)

    monkeypatch.setattr(sim.experiments.runner, "simulate", flaky)
    table = sweep(plan, tmp_path / "out", SerialExecutor())
    assert len(table) == len(plan.runs)
    errors = table[table["status"] == "error"]
    assert len(errors) == 1 and "injected failure" in errors["error"].iloc[0]
    assert (table["status"] == "ok").sum() == len(plan.runs) - 1


@pytest.mark.slow
def test_resume_after_kill_gives_the_rows_of_an_uninterrupted_sweep(tmp_path):
    path = experiment(tmp_path, replications=6)
    plan = load_experiment(path)
    whole = sweep(plan, tmp_path / "whole", SerialExecutor())
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "sim.cli", "sweep", str(path), "--out", str(out), "--workers", "1",
           "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if len(list((out / "parts").glob("part-*.parquet"))) >= 2:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the sweep finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = ResultStore(out).read()
    assert 0 < len(partial) < len(plan.runs)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    resumed = ResultStore(out).read()
    pd.testing.assert_frame_equal(numbers(resumed), numbers(whole))


def test_damaged_part_is_detected_and_redone(tmp_path):
    plan = load_experiment(experiment(tmp_path))
    folder = tmp_path / "out"
    whole = sweep(plan, folder, SerialExecutor())
    part = sorted((folder / "parts").glob("part-*.parquet"))[0]
    part.write_bytes(part.read_bytes()[: len(part.read_bytes()) // 2])  # truncated on disk
    assert len(ResultStore(folder).read()) < len(plan.runs)
    again = sweep(plan, folder, SerialExecutor())
    pd.testing.assert_frame_equal(numbers(again), numbers(whole))
    assert list((folder / "parts" / "damaged").iterdir())


def test_reproduce_detects_a_changed_number(tmp_path):
    plan = load_experiment(experiment(tmp_path))
    folder = tmp_path / "out"
    sweep(plan, folder, SerialExecutor())
    assert reproduce(folder).ok
    part = sorted((folder / "parts").glob("part-*.parquet"))[0]
    table = pq.read_table(part).to_pandas()
    table.loc[0, "total_cost"] += 0.01
    table.to_parquet(part)
    result = reproduce(folder)
    assert not result.ok
    assert result.mismatches[0][1] == "total_cost"


def test_sweep_refuses_a_folder_holding_another_experiment(tmp_path):
    plan = load_experiment(experiment(tmp_path))
    folder = tmp_path / "out"
    sweep(plan, folder, SerialExecutor())
    other = load_experiment(experiment(tmp_path, extra="reference: council\n"))
    with pytest.raises(ConfigError, match="different experiment"):
        sweep(other, folder, SerialExecutor())


@pytest.mark.slow
def test_report_has_tables_and_figures(tmp_path):
    from sim.experiments.report import write_report
    from sim.experiments.report_text import metric_label

    plan = load_experiment(experiment(tmp_path, replications=3))
    folder = tmp_path / "out"
    sweep(plan, folder, SerialExecutor())
    text = write_report(folder).read_text()
    assert "Paired differences against the reference arm" in text
    assert f"| council | silos | {metric_label('coverage')} (points) |" in text  # words, not columns
    for name in ("metric_by_arm", "cost_vs_coverage", "equity", "timeseries"):
        assert (folder / "figures" / f"{name}.png").stat().st_size > 1000


def test_sampled_design_spans_its_ranges(tmp_path):
    extra = ("sample:\n  method: latin_hypercube\n  n: 6\n  parameters:\n"
             "    families.seek_probability: {low: 0.2, high: 0.6}\n")
    plan = load_experiment(experiment(tmp_path, replications=1, extra=extra))
    assert len(plan.arms) == 3 * 6
    values = sorted({a.values["families.seek_probability"] for a in plan.arms})
    assert len(values) == 6 and 0.2 <= values[0] < values[-1] <= 0.6


@pytest.mark.parametrize(("extra", "message"), [
    ("colour: red\n", "colour: unknown key"),
    ("factors:\n  city.families: []\n", "no values"),
    ("factors:\n  city.families: [-5]\n", "city.families"),
    ("factors:\n  coordination: [anarchy]\n", "unknown coordination model"),
])
def test_bad_experiments_are_refused_before_running(tmp_path, extra, message):
    text = EXPERIMENT.format(replications=1)
    if extra.startswith("factors"):
        text = text.split("factors:")[0]
    path = tmp_path / "bad.yaml"
    path.write_text(text + extra)
    with pytest.raises(ConfigError, match=message):
        load_experiment(path)


@pytest.mark.parametrize("path", sorted((BASE.parent.parent / "experiments").glob("*.yaml")),
                         ids=lambda p: p.name)
def test_every_experiment_file_is_valid_and_says_its_question(path):
    from sim.experiments.optimisation import load_optimisation
    from sim.scenario.loading import file_kind, read_yaml

    if file_kind(read_yaml(path)) == "optimisation":  # sim optimise's file, beside the sweeps
        assert load_optimisation(path).trials >= 2
    else:
        plan = load_experiment(path)
        assert len(plan.runs) >= 2
    assert path.read_text().startswith("# Question:")


def test_validate_command_recognises_experiments(tmp_path):
    done = subprocess.run([sys.executable, "-m", "sim.cli", "validate", str(experiment(tmp_path))],
                          capture_output=True, text=True, check=True)
    assert "valid experiment 'tiny'" in done.stdout
