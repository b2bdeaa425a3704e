"""A finished sweep grows: more replications or factor values run only the new runs, keep the
old ones, and give the rows of a fresh sweep of the larger plan; any other change is refused,
saying what differs and how to proceed (issue 'Analysts' and trainers' experience', item 4)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from sim.cli import main
from sim.errors import ConfigError
from sim.experiments.plan import load_experiment
from sim.experiments.runner import SerialExecutor, run_plan
from sim.experiments.store import ResultStore
from tests.conftest import BASE

TEXT = """
name: grow
scenario: {base}
years: {years}
replications: {replications}
seed: 7
set:
  city.families: 300
  time.warmup_weeks: 4
factors:
  coordination: [{models}]
"""


def experiment(tmp_path, replications=2, models="silos, council", years=0.3, name="e.yaml"):
    path = tmp_path / name
    path.write_text(TEXT.format(base=BASE, replications=replications, models=models, years=years))
    return path


def sweep(path, folder):
    return run_plan(load_experiment(path), ResultStore(folder), SerialExecutor())


def rows(folder):
    return ResultStore(folder).read().drop(columns=["wall_seconds"]).reset_index(drop=True)


def parts(folder):
    return {p.name: p.read_bytes() for p in (folder / "parts").glob("part-*.parquet")}


@pytest.mark.parametrize(("before", "after"), [
    ({"replications": 2}, {"replications": 3}),
    ({"models": "silos, council"}, {"models": "silos, shared_registry, council"}),
])
def test_a_grown_sweep_runs_only_the_new_runs_and_equals_a_fresh_one(tmp_path, before, after):
    folder = tmp_path / "grown"
    first = sweep(experiment(tmp_path, **before), folder)
    written = parts(folder)
    larger = experiment(tmp_path, **after, name="larger.yaml")
    manifest = sweep(larger, folder)
    assert manifest["runs_this_invocation"] == manifest["runs"] - first["runs"]
    assert all(parts(folder)[name] == data for name, data in written.items())  # kept as written
    sweep(larger, tmp_path / "fresh")
    pd.testing.assert_frame_equal(rows(folder), rows(tmp_path / "fresh"))
    assert manifest["replication_seeds"][: len(first["replication_seeds"])] == first["replication_seeds"]
    again = sweep(larger, folder)  # nothing left to run
    assert again["runs_this_invocation"] == 0


@pytest.mark.parametrize(("change", "says"), [
    ({"years": 0.4}, "years: 0.3 in the folder, 0.4 in the file"),
    ({"replications": 1}, "replications: 2 in the folder, 1 in the file (a sweep can grow, not"),
    ({"models": "silos"}, 'factors.coordination: "council" is in the folder'),
])
def test_any_other_change_is_refused_saying_what_differs(tmp_path, capsys, change, says):
    folder = tmp_path / "out"
    sweep(experiment(tmp_path), folder)
    written = parts(folder)
    other = experiment(tmp_path, **change, name="other.yaml")
    with pytest.raises(ConfigError, match="can only grow") as refused:
        sweep(other, folder)
    assert says in str(refused.value)
    assert main(["sweep", str(other), "--out", str(folder), "--workers", "1", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert says in err and "another --out" in err and len(err.strip().splitlines()) == 1
    assert parts(folder) == written


def test_an_edited_scenario_is_named(tmp_path):
    scenario = tmp_path / "city.yaml"
    scenario.write_text(f"extends: {BASE}\ncity:\n  families: 300\n")
    path = tmp_path / "e.yaml"
    path.write_text(TEXT.format(base=scenario, replications=1, models="silos", years=0.3)
                    .replace("  city.families: 300\n", ""))
    folder = tmp_path / "out"
    sweep(path, folder)
    scenario.write_text(f"extends: {BASE}\ncity:\n  families: 320\n")
    with pytest.raises(ConfigError, match=r"city.families: 300 in the folder, 320 now; was "):
        sweep(path, folder)
    assert "grown_from" not in json.loads((folder / "plan.json").read_text())
