"""EMA Workbench interoperability: the ReplicatorModel, EMA's own evaluator, the docs example."""

from __future__ import annotations

import runpy
import warnings
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.core.metrics import METRIC_NAMES
from sim.ema import UNCERTAINTIES, ema_model
from sim.experiments.plan import replication_seeds
from sim.scenario.presets import PRESETS

# the adapter's tests import the EMA Workbench (seconds): in `make test`, not in the quick loop
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ema():
    """The EMA Workbench, imported when a test needs it (its import inspects the call stack for
    seconds, which would slow the collection of every quick test run)."""
    warnings.filterwarnings("ignore", message="ipyparallel not installed")
    return pytest.importorskip("ema_workbench")


ROOT = Path(__file__).resolve().parent.parent
TINY = {"city__families": 300, "time__warmup_weeks": 6}
METRICS = ["coverage", "coverage_marginalised", "duplication_rate", "total_cost"]


def test_model_declares_uncertainties_levers_and_outcomes(ema):
    model = ema_model("base", years=0.6, replications=3, seed=4, **TINY)
    names = [u.name for u in model.uncertainties]
    assert names == [k.replace(".", "__") for k in UNCERTAINTIES]
    assert isinstance(model.uncertainties["families__patience_weeks"], ema.IntegerParameter)
    assert isinstance(model.uncertainties["families__seek_probability"], ema.RealParameter)
    lever = model.levers["coordination"]
    assert isinstance(lever, ema.CategoricalParameter)
    assert [c.value for c in lever.categories] == list(PRESETS)
    assert [o.name for o in model.outcomes] == list(METRIC_NAMES)
    assert [r["seed"] for r in model.replications] == replication_seeds(4, 3)


def test_function_takes_numpy_values_and_runs_sims_own_code():
    model = ema_model("base", years=0.6, replications=1, metrics=METRICS, **TINY)
    out = model.function(seed=np.int64(5), coordination=np.str_("council"),
                         families__patience_weeks=np.int64(4),
                         families__seek_probability=np.float64(0.3))
    same = sim.run("base", years=0.6, seed=5, coordination="council", families__patience_weeks=4,
                   families__seek_probability=0.3, **TINY)
    assert out == pytest.approx({m: same.summary[m] for m in METRICS})


def test_perform_experiments_with_emas_sequential_evaluator(ema):
    model = ema_model("base", years=0.6, replications=2, metrics=METRICS, **TINY)
    policies = [ema.Sample("silos", coordination="silos", funding__budget_scale=1.0),
                ema.Sample("registry", coordination="shared_registry", funding__budget_scale=1.0)]
    with ema.SequentialEvaluator(model) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(
            scenarios=3, policies=policies, uncertainty_sampling_kwargs={"rng": 1})
    assert len(experiments) == 6 and set(experiments["policy"]) == {"silos", "registry"}
    assert set(outcomes) == set(METRICS)
    assert all(len(v) == 6 and np.isfinite(v).all() for v in outcomes.values())
    assert ((outcomes["coverage"] > 0) & (outcomes["coverage"] < 1)).all()
    # same uncertain conditions under both policies: the registry costs money, silos none
    silos = experiments["policy"].to_numpy() == "silos"
    assert (outcomes["total_cost"][~silos] > outcomes["total_cost"][silos]).all()


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:The inplace keyword")  # inside EMA's PRIM (pandas 3)
def test_scenario_discovery_example_runs(capsys):
    example = runpy.run_path(str(ROOT / "docs" / "examples" / "scenario_discovery.py"))
    assert example["main"](["--scenarios", "6", "--families", "300", "--years", "0.6",
                            "--replications", "1"]) == 0
    printed = capsys.readouterr().out
    assert "6 scenarios x 2 policies" in printed
    assert "PRIM box: coverage" in printed and "feature scores (extra trees)" in printed
