"""Portfolios: a table of municipalities x ways of working, run like any sweep and reported by class."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.experiments.plan import Plan, load_experiment
from sim.experiments.report import write_report
from sim.experiments.runner import LocalExecutor, SerialExecutor, make_executor, run_plan
from sim.experiments.store import ResultStore
from tests.conftest import BASE, ROOT

TABLE = """id,families,informal_share,marginalised_share,budget_per_family,city.neighbourhoods
north,30,0,0.10,200,2
south,60,0.4,0.35,300,3
east,45,1,0.60,250,2
west,80,0.1,0.15,,4
"""
EXPERIMENT = f"""
name: tiny_portfolio
scenario: {BASE}
portfolio:
  table: towns.csv
  size_classes: [50]
years: 0.3
replications: {{replications}}
seed: 7
timeseries: []
set:
  time.warmup_weeks: 4
factors:
  coordination: [silos, shared_registry]
"""


def portfolio(tmp_path: Path, replications: int = 2, table: str = TABLE) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "towns.csv").write_text(table)
    path = tmp_path / "portfolio.yaml"
    path.write_text(EXPERIMENT.format(replications=replications))
    return path


def sweep(plan, folder, executor) -> pd.DataFrame:
    try:
        run_plan(plan, ResultStore(folder), executor)
    finally:
        executor.close()
    return numbers(ResultStore(folder).read())


def numbers(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop(columns=["wall_seconds"]).sort_values("run_id").reset_index(drop=True)


def test_each_row_becomes_a_municipality_under_each_way_of_working(tmp_path):
    plan = load_experiment(portfolio(tmp_path))
    assert len(plan.arms) == 4 * 2 and len(plan.runs) == 16
    south = next(a for a in plan.arms if a.values["municipality"] == "south")
    city = south.resolved()["city"]
    assert city["families"] == 60 and city["neighbourhoods"] == 3
    assert city["informal_family_share"] == 0.4 and 1 <= city["informal_neighbourhoods"] <= 2
    share = 0.4 * city["marginalised_share_informal"] + 0.6 * city["marginalised_share_formal"]
    assert share == pytest.approx(0.35)
    base = south.config  # the base under its way of working, shared with the other arms
    budgets = sum(o["funding"]["budget_per_year"] or 0 for o in base["organisations"].values())
    scale = south.resolved()["funding"]["budget_scale"]
    per_family = budgets * 60 / base["city"]["reference_families"] * scale / 60
    assert per_family == pytest.approx(300)
    assert {a.resolved()["city"]["informal_neighbourhoods"] for a in plan.arms
            if a.values["municipality"] in ("north", "east")} == {0, 2}
    west = next(a for a in plan.arms if a.values["municipality"] == "west")
    assert west.resolved()["funding"]["budget_scale"] == base["funding"]["budget_scale"]  # empty cell
    assert south.values["size_class"] == "50 families and more"
    assert [a.values["informal_class"] for a in plan.arms[::2]] == [
        "no informal settlement", "20% informal and more", "20% informal and more",
        "under 20% informal"]


def test_a_parquet_table_gives_the_same_plan(tmp_path):
    csv = load_experiment(portfolio(tmp_path))
    pd.read_csv(tmp_path / "towns.csv", dtype={"id": str}).to_parquet(tmp_path / "towns.parquet")
    path = tmp_path / "portfolio.yaml"
    path.write_text(path.read_text().replace("towns.csv", "towns.parquet"))
    parquet = load_experiment(path)
    assert [a.resolved() for a in parquet.arms] == [a.resolved() for a in csv.arms]
    assert [r.seed for r in parquet.runs] == [r.seed for r in csv.runs]


def test_seeds_are_shared_within_a_municipality_not_between(tmp_path):
    plan = load_experiment(portfolio(tmp_path, replications=3))
    seeds = _seeds(plan)
    assert all(len(s) == 1 for s in seeds.values())  # both ways of working: the same seed
    assert len(set().union(*seeds.values())) == 4 * 3  # no two municipalities share one
    lines = TABLE.splitlines()
    reordered = portfolio(tmp_path / "reordered", replications=3,
                          table="\n".join([lines[0], *lines[:0:-1]]) + "\n")
    assert _seeds(load_experiment(reordered)) == seeds  # a municipality's seeds follow its id


def _seeds(plan) -> dict:
    """(municipality, replication) -> the seeds its runs use."""
    arms = plan.arm
    out: dict = {}
    for run in plan.runs:
        out.setdefault((arms[run.arm_id].values["municipality"], run.replication), set()).add(run.seed)
    return out


def test_plan_json_keeps_each_way_of_working_once(tmp_path):
    plan = load_experiment(portfolio(tmp_path))
    data = json.loads(json.dumps(plan.to_json()))
    assert len(data["configs"]) == 2 and all(isinstance(a["config"], int) for a in data["arms"])
    again = Plan.from_json(data)
    assert again.fingerprint() == plan.fingerprint()
    assert [a.resolved() for a in again.arms] == [a.resolved() for a in plan.arms]


@pytest.mark.slow
def test_local_pool_resume_and_report(tmp_path):
    plan = load_experiment(portfolio(tmp_path))
    folder = tmp_path / "out"

    def interrupt(done, todo, row):  # Ctrl-C after five runs
        if done == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_plan(plan, ResultStore(folder), SerialExecutor(), interrupt)
    assert len(ResultStore(folder).read()) == 5
    local = sweep(plan, folder, LocalExecutor(2))
    assert len(local) == len(plan.runs) and (local["status"] == "ok").all()
    whole = sweep(plan, tmp_path / "whole", SerialExecutor())
    pd.testing.assert_frame_equal(local, whole)
    text = write_report(folder).read_text()
    for heading in ("## National totals", "## National means per family",
                    "## Against silos, nationally", "## By municipality size",
                    "## By share of families in informal settlements"):
        assert heading in text
    assert "| under 50 families | shared registry |" in text
    assert "| no informal settlement | silos |" in text
    assert "| silos | 4 | 215 |" in text  # municipalities and families, nationally
    assert (folder / "figures" / "portfolio_classes.png").stat().st_size > 1000


@pytest.mark.slow
def test_the_200_municipalities_give_the_same_numbers_on_dask(tmp_path, monkeypatch):
    """experiments/portfolio_200.yaml at the guides' test scale: 6 of its municipalities (evenly
    spaced rows), at most 300 families each, 1 replication."""
    monkeypatch.setenv("SIM_TEST_SCALE", "0.03")
    plan = load_experiment(ROOT / "experiments" / "portfolio_200.yaml")
    assert len(plan.arms) == 6 * 2 and {a.values["municipality"] for a in plan.arms} >= {"m00001",
                                                                                        "m00200"}
    local = sweep(plan, tmp_path / "local", LocalExecutor(2))
    dask = sweep(plan, tmp_path / "dask", make_executor("dask", 2))
    pd.testing.assert_frame_equal(local, dask)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_scheduler_and_worker_started_by_command(tmp_path):
    """docs/cluster.md's recipe: `dask scheduler`, `dask worker`, then `sim sweep --scheduler`."""
    path = portfolio(tmp_path, replications=1, table="\n".join(TABLE.splitlines()[:3]) + "\n")
    address = f"tcp://127.0.0.1:{_free_port()}"
    dask = Path(sys.executable).parent / "dask"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MALLOC_TRIM_THRESHOLD_": str(2**30)}
    scheduler = subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port",
                                  address.rsplit(":", 1)[1], "--no-dashboard"], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = subprocess.Popen([dask, "worker", address, "--nworkers", "1", "--nthreads", "1",
                               "--no-dashboard", "--preload", "sim.core.model"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        out = tmp_path / "out"
        deadline = time.monotonic() + 30
        code = None
        while code is None and time.monotonic() < deadline:
            try:
                code = main(["sweep", str(path), "--executor", "dask", "--scheduler", address,
                             "--out", str(out), "--quiet"])
            except OSError:  # the scheduler is not listening yet
                time.sleep(0.5)
        assert code == 0
        cluster = numbers(ResultStore(out).read())
        alone = sweep(load_experiment(path), tmp_path / "alone", SerialExecutor())
        pd.testing.assert_frame_equal(cluster, alone)
    finally:
        for process in (worker, scheduler):
            process.terminate()
            process.wait(timeout=30)


HEADER = "id,families,informal_share,marginalised_share,budget_per_family"


@pytest.mark.parametrize(("table", "expected"), [
    ("id,informal_share\na,0.1\n", "column families: missing"),
    (f"{HEADER}\na,-5,0.1,0.2,100\n", "row 1 (id a), column families: Input should be greater"),
    (f"{HEADER}\na,50,0.1,0.2,100\nb,40,1.5,0.2,100\n",
     "row 2 (id b), column informal_share: Input should be less than or equal to 1"),
    (f"{HEADER}\na,50,0.1,0.2,100\na,40,0.1,0.2,100\n", "row 2, column id: 'a' is also row 1"),
    (f"{HEADER},colour\na,50,0.1,0.2,100,red\n", "column colour: unknown"),
    (f"{HEADER},city.families\na,50,0.1,0.2,100,60\n", "column city.families: also set by column "
                                                        "families"),
    (f"{HEADER},city.extent_km\na,50,0.1,0.2,100,-3\n",
     "row 1 (id a, coordination=silos): city.extent_km: Input should be greater than 0"),
    (f"{HEADER}\na,many,0.1,0.2,100\n", "row 1 (id a), column families: Input should be a valid "
                                        "integer"),
    (f"{HEADER}\n", "no municipalities"),
])
def test_bad_tables_are_one_line_naming_file_row_and_column(tmp_path, capsys, table, expected):
    path = portfolio(tmp_path, table=table)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "towns.csv" in err and expected in err, err


def test_portfolio_cannot_vary_other_factors(tmp_path, capsys):
    path = portfolio(tmp_path)
    path.write_text(path.read_text() + "  families.seek_probability: [0.2, 0.4]\n")
    assert main(["validate", str(path)]) == 2
    assert "factors.families.seek_probability: a portfolio compares ways of working" in \
        capsys.readouterr().err
