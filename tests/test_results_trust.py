"""A sweep's folder can be trusted: one sweep writes it at a time, rows that are not in the plan
are never counted, tampering with any stored value is caught by `sim reproduce`, temporaries do
not outlive a resume, and `sim report` reports what is there of a half-finished or damaged sweep."""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.cli import main
from sim.experiments.plan import load_experiment
from sim.experiments.reproduce import reproduce
from sim.experiments.runner import SerialExecutor, run_plan
from sim.experiments.store import ResultStore
from tests.conftest import BASE
from tests.tally import tally

EXPERIMENT = f"""
name: trust
scenario: {BASE}
years: 0.4
replications: 2
seed: 5
set:
  city.families: 300
  time.warmup_weeks: 4
factors:
  coordination: [silos, council, shared_registry]
"""
FEW = settings(max_examples=max(4, settings().max_examples // 8))


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A finished tiny sweep (6 runs), copied by each test that changes it."""
    root = tmp_path_factory.mktemp("finished")
    (root / "exp.yaml").write_text(EXPERIMENT)
    plan = load_experiment(root / "exp.yaml")
    run_plan(plan, ResultStore(root / "out"), SerialExecutor())
    return root


def copy_of(finished: Path, tmp_path: Path) -> Path:
    target = tmp_path / "out"
    shutil.copytree(finished / "out", target)
    return target


def one_line_refusal(capsys, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err


# ------------------------------------------------------------------ one sweep per folder
def test_a_second_sweep_into_a_held_folder_is_refused_naming_the_holder(finished, tmp_path, capsys):
    out = copy_of(finished, tmp_path)
    with ResultStore(out).lock():
        err = one_line_refusal(capsys, ["sweep", str(finished / "exp.yaml"), "--out", str(out),
                                        "--workers", "1", "--quiet"])
    assert f"pid {os.getpid()} on {socket.gethostname()}" in err
    tally("concurrent sweeps refused")


@pytest.mark.slow
def test_two_sweeps_started_together_leave_exactly_the_planned_rows(tmp_path):
    exp = tmp_path / "exp.yaml"
    # long enough (a few seconds) that the first sweep still holds the lock when the second
    # one has started up: the second must find it locked, not finished
    exp.write_text(EXPERIMENT.replace("city.families: 300", "city.families: 4000")
                   .replace("years: 0.4", "years: 2"))
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "sim.cli", "sweep", str(exp), "--out", str(out), "--workers", "1",
           "--quiet"]
    first = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not ((out / ".lock").exists() and (out / ".lock").read_text()):
        assert time.monotonic() < deadline and first.poll() is None, "the first sweep never locked"
        time.sleep(0.05)
    second = subprocess.run(cmd, capture_output=True, text=True)
    assert first.wait(timeout=300) == 0
    assert second.returncode == 2 and f"pid {first.pid}" in second.stderr, second.stderr
    rows = ResultStore(out).read()
    assert len(rows) == 6 and rows["run_id"].is_unique
    tally("concurrent sweeps refused")


def test_a_lock_left_by_a_dead_process_is_taken_over(finished, tmp_path, capsys):
    out = copy_of(finished, tmp_path)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    (out / ".lock").write_text(json.dumps({"pid": int(dead), "host": socket.gethostname(),
                                           "since": "2026-01-01T00:00:00+00:00"}))
    assert main(["sweep", str(finished / "exp.yaml"), "--out", str(out), "--workers", "1",
                 "--quiet"]) == 0
    assert f"pid {dead}" in capsys.readouterr().err
    tally("fault injections survived")


@pytest.mark.parametrize("kind", ["user_files", "file", "cwd"])
def test_a_sweep_never_writes_into_a_folder_that_is_not_a_sweeps(finished, tmp_path, monkeypatch,
                                                                capsys, kind):
    monkeypatch.chdir(tmp_path)
    target = {"user_files": tmp_path / "mine", "file": tmp_path / "notes.txt", "cwd": Path(".")}[kind]
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("mine")
    (tmp_path / "notes.txt").write_text("mine")
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    one_line_refusal(capsys, ["sweep", str(finished / "exp.yaml"), "--out", str(target),
                              "--workers", "1", "--quiet"])
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before
    tally("bad output paths refused before running")


# ------------------------------------------------------------------ rows not in the plan
def made_up_row(store: ResultStore, run_id: str, coverage: float) -> None:
    row = store.read().iloc[0].to_dict()
    row.update(run_id=run_id, coverage=coverage, index=999)
    row = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in row.items()}
    store.append([row])


@pytest.fixture(scope="module")
def headline(finished) -> str:
    """The headline table of the untouched sweep's report."""
    assert main(["report", str(finished / "out")]) == 0
    return _headline(finished / "out" / "report.md")


def _headline(report: Path) -> str:
    return report.read_text().split("## Headline")[1].split("\n## ")[0]


@pytest.mark.slow
@given(run_id=st.sampled_from(["made-up-r0000", "5b1ff1293ae9-r0009", ""]),
       coverage=st.floats(0, 1))
@settings(max_examples=max(3, settings().max_examples // 30))
def test_rows_not_in_the_plan_are_never_counted(finished, headline, tmp_path_factory, capsys, run_id,
                                                coverage):
    out = copy_of(finished, tmp_path_factory.mktemp("foreign"))
    made_up_row(ResultStore(out), run_id, coverage)
    assert main(["report", str(out)]) == 0
    capsys.readouterr()
    assert _headline(out / "report.md") == headline
    assert len(list((out / "parts" / "damaged").iterdir())) == 1  # quarantined, kept for a look
    assert main(["sweep", str(finished / "exp.yaml"), "--out", str(out), "--workers", "1",
                 "--quiet"]) == 0
    assert len(ResultStore(out).read()) == 6
    tally("tampered parts caught")


# ------------------------------------------------------------------ tampering with stored values
def tamper(value):
    """A different value of the same kind."""
    if isinstance(value, np.ndarray):
        changed = value.astype(float).copy()
        middle = len(changed) // 2  # a series can be NaN where nothing was measured yet
        changed[middle] = 0.5 if np.isnan(changed[middle]) else changed[middle] + 0.001
        return changed.tolist()
    if isinstance(value, bool | np.bool_):
        return not value
    if isinstance(value, int | np.integer):
        return int(value) + 1
    if isinstance(value, float | np.floating):
        return 0.5 if np.isnan(value) else float(value) * 1.0001 + 1e-9
    return f"{value}x"


@pytest.mark.slow
@given(data=st.data())
@FEW
def test_reproduce_catches_an_edit_of_any_stored_column(finished, tmp_path_factory, data):
    out = copy_of(finished, tmp_path_factory.mktemp("tampered"))
    store = ResultStore(out)
    table = store.read()
    column = data.draw(st.sampled_from([c for c in table.columns
                                        if c not in ("wall_seconds", "run_id", "status")]))
    row = data.draw(st.integers(0, len(table) - 1))
    for part in store._part_files():  # rewrite the part holding that row, one cell changed
        frame = pq.read_table(part).to_pandas()
        hit = frame.index[frame["run_id"] == table.at[row, "run_id"]]
        if len(hit):
            records = frame.to_dict("records")
            records[hit[0]][column] = tamper(records[hit[0]][column])
            records = [{k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in r.items()}
                       for r in records]
            pq.write_table(pa.Table.from_pylist(records), part)
    result = reproduce(out)
    assert not result.ok and {m[1] for m in result.mismatches} == {column}, result.describe()
    tally("tampered parts caught")


def test_reproduce_of_an_untouched_sweep_checks_every_column(finished):
    result = reproduce(finished / "out")
    columns = len(ResultStore(finished / "out").read().columns) - 1  # all but wall time
    assert result.ok and result.numbers == 6 * columns


# ------------------------------------------------------------------ temporaries
def test_a_full_disk_while_writing_the_plan_leaves_no_temporary(tmp_path, monkeypatch, capsys):
    exp = tmp_path / "exp.yaml"
    exp.write_text(EXPERIMENT)
    out = tmp_path / "out"
    real = os.fsync

    def full(fd):
        if Path(os.readlink(f"/proc/self/fd/{fd}")).name.startswith(".plan.json"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd)

    monkeypatch.setattr(os, "fsync", full)
    assert main(["sweep", str(exp), "--out", str(out), "--workers", "1", "--quiet"]) == 1
    assert "No space left" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] in ([], [".lock"])
    monkeypatch.setattr(os, "fsync", real)
    assert main(["sweep", str(exp), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    tally("fault injections survived")


def test_a_resume_removes_temporaries_left_by_a_crash(finished, tmp_path):
    out = copy_of(finished, tmp_path)
    left = [out / ".plan.json.dead0001.tmp", out / ".manifest.json.dead0002.tmp",
            out / "parts" / ".part-000009-deadbeef.parquet.tmp"]
    for path in left:
        path.write_bytes(b"half written")
    assert main(["sweep", str(finished / "exp.yaml"), "--out", str(out), "--workers", "1",
                 "--quiet"]) == 0
    assert not [p for p in left if p.exists()]
    assert len(ResultStore(out).read()) == 6


# ------------------------------------------------------------------ half-finished and damaged
@pytest.mark.slow
def test_report_on_a_half_finished_sweep_says_what_is_missing(tmp_path, capsys):
    exp = tmp_path / "exp.yaml"
    exp.write_text(EXPERIMENT)

    def stop(done, todo, row):
        if done >= 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_plan(load_experiment(exp), ResultStore(tmp_path / "out"), SerialExecutor(), stop)
    assert main(["report", str(tmp_path / "out")]) == 0
    text = (tmp_path / "out" / "report.md").read_text()
    assert "4 not run yet" in text and "2 of 3 arms have no successful run yet" in text


@pytest.mark.parametrize("content", [b"", b"{}", b"[]", b"null", b"{\"experiment\": 3}",
                                     b"\xff\xfe", "truncated"])
def test_report_on_a_damaged_plan_is_one_line(finished, tmp_path, capsys, content):
    out = copy_of(finished, tmp_path)
    plan = out / "plan.json"
    plan.write_bytes(plan.read_bytes()[:300] if content == "truncated" else content)
    for command in (["report", str(out)], ["reproduce", str(out)],
                    ["sweep", str(finished / "exp.yaml"), "--out", str(out), "--workers", "1", "--quiet"]):
        assert "plan.json" in one_line_refusal(capsys, command)
        tally("bad inputs refused")
