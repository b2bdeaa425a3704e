"""The notebook API: sim.run, sim.sweep, sim.compare and the plotting helpers."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
from matplotlib.figure import Figure

import sim
from sim import api
from sim.errors import ConfigError
from sim.experiments import plots
from sim.experiments.single_run import run_scenario
from sim.scenario.loading import load_scenario
from tests.conftest import BASE

TINY = {"city.families": 300, "time.warmup_weeks": 6}


@pytest.mark.slow
def test_import_sim_is_light():
    code = ("import sys, sim; heavy = [m for m in sys.modules if m.split('.')[0] in "
            "('mesa', 'numpy', 'pandas', 'matplotlib', 'sim.core.model')]; assert not heavy, heavy; "
            "assert callable(sim.run) and callable(sim.sweep); import sim.experiments.single_run as m; "
            "assert m.run_scenario and 'mesa' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_run_returns_pandas_and_matches_the_cli_path():
    out = sim.run("base", city__families=300, time__warmup_weeks=6, years=0.6, seed=3,
                  coordination="council")
    assert isinstance(out.summary, pd.Series) and isinstance(out.timeseries, pd.DataFrame)
    assert out.manifest["families"] == 300 and out.manifest["coordination"] == "council"
    assert len(out.timeseries) == 6 + round(0.6 * 52)  # warm-up, then the measured years
    same = run_scenario(load_scenario(BASE, ["city.families=300", "time.warmup_weeks=6",
                                             "time.years=0.6"], coordination="council", seed=3))
    assert out.summary.to_dict() == pytest.approx(same.summary, nan_ok=True)
    assert "coverage=" in repr(out)


def test_run_takes_dotted_set_and_paths(tmp_path):
    out = sim.run(BASE, set=TINY, years=0.6, families__seek_probability=0.5)
    assert out.config["families"]["seek_probability"] == 0.5
    assert out.config["city"]["families"] == 300


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"city__famillies": 10}, "famillies: unknown key"),
    ({"city__families": -3}, "city.families"),
    ({"coordination": "anarchy"}, "anarchy"),
])
def test_bad_overrides_are_config_errors(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        sim.run("base", **kwargs)


def test_unknown_scenario_name_lists_the_names():
    with pytest.raises(ConfigError, match="names: .*base"):
        sim.run("atlantis")


def test_sweep_compare_and_plots(tmp_path):
    runs = sim.sweep("base", factors={"coordination": ["silos", "council", "shared_registry"]},
                     replications=3, set=TINY, years=0.6, seed=11, out=tmp_path / "sweep")
    assert len(runs) == 9 and (runs["status"] == "ok").all()
    assert runs.groupby("replication")["seed"].nunique().eq(1).all()  # common random numbers
    assert (tmp_path / "sweep" / "plan.json").exists()  # a results folder: sim report works on it
    diffs = sim.compare(runs, metrics=["coverage", "duplication_rate"])
    assert set(diffs["arm"]) == {"council", "shared_registry"}
    assert set(diffs["reference"]) == {"silos"} and (diffs["n"] == 3).all()
    table = sim.summarise(runs, ["coverage", "total_cost"], by="coordination")
    assert list(table.index) == ["silos", "council", "shared_registry"]
    assert table[("coverage", "mean")].between(0, 1).all()
    for fig in (plots.plot_comparison(runs, ["coverage", "total_cost"], by="coordination"),
                plots.plot_cost_coverage(runs), plots.plot_equity(runs),
                plots.plot_timeseries(runs, ["coverage"]), plots.plot_differences(diffs)):
        assert isinstance(fig, Figure)
    assert plots.save(plots.plot_differences(diffs), tmp_path / "d.png").stat().st_size > 5000


def test_compare_keeps_other_factors_apart():
    runs = sim.sweep("base", factors={"coordination": ["silos", "council"],
                                      "families.seek_probability": [0.3, 0.5]},
                     replications=2, set=TINY, years=0.6)
    diffs = sim.compare(runs, metrics=["coverage"])
    assert dict(zip(diffs["arm"], diffs["reference"], strict=True)) == {
        "coordination=council, families.seek_probability=0.3":
            "coordination=silos, families.seek_probability=0.3",
        "coordination=council, families.seek_probability=0.5":
            "coordination=silos, families.seek_probability=0.5"}


@pytest.mark.slow
def test_sweep_without_out_cleans_up_and_agrees_with_itself():
    kwargs = {"factors": {"families__seek_probability": [0.3, 0.5]}, "replications": 2,
              "set": TINY, "years": 0.6}
    first, second = sim.sweep("base", **kwargs), sim.sweep("base", workers=2, **kwargs)
    cols = ["run_id", "coverage", "total_cost", "families.seek_probability"]
    pd.testing.assert_frame_equal(first[cols], second[cols])
    with pytest.raises(ConfigError, match="no 'coordination' column"):
        api.compare(first)
