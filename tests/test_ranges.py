"""One declaration of each tunable key's range: experiments, the EMA adapter and the page use it."""

from __future__ import annotations

import pytest
import yaml

from sim.app.workshop import SLIDERS
from sim.cli import main
from sim.experiments.plan import load_experiment
from sim.scenario.ranges import DECLARED, LEVERS, UNCERTAINTIES
from tests.conftest import BASE


def write(tmp_path, sample: dict):
    path = tmp_path / "e.yaml"
    path.write_text(yaml.safe_dump({"name": "e", "scenario": str(BASE), "years": 0.3,
                                    "set": {"city.families": 300, "time.warmup_weeks": 2},
                                    "sample": {"n": 4, **sample}}))
    return path


def test_a_design_may_take_a_keys_declared_range(tmp_path):
    plan = load_experiment(write(tmp_path, {"parameters": {
        "families.patience_weeks": "declared", "funding.budget_scale": {"low": 0.9, "high": 1.1}}}))
    declared = DECLARED["families.patience_weeks"]
    sample = plan.spec.sample
    assert (sample.parameters["families.patience_weeks"].low,
            sample.parameters["families.patience_weeks"].high) == (declared.low, declared.high)
    assert sample.integer == ["families.patience_weeks"]  # declared whole, so sampled whole
    values = [arm.values["families.patience_weeks"] for arm in plan.arms]
    assert all(isinstance(v, int) and declared.low <= v <= declared.high for v in values)


def test_an_undeclared_key_needs_bounds(tmp_path, capsys):
    path = write(tmp_path, {"parameters": {"families.trust_mean": "declared"}})
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "families.trust_mean" in err and "low and high" in err


@pytest.mark.parametrize(("slider", "key"), [
    ("budget_level", "funding.budget_scale"), ("council_meetings", "coordination.council.meetings_per_year"),
    ("hubs", "coordination.integrated_platform.hubs"),
    ("pooled_share", "coordination.pooled_budget.contribution_share"),
    ("registry_consultation", "coordination.shared_registry.consultation_rate")])
def test_the_pages_sliders_are_the_declared_ranges(slider, key):
    assert (SLIDERS[slider].min, SLIDERS[slider].max, SLIDERS[slider].label) == (
        LEVERS[key].low, LEVERS[key].high, LEVERS[key].label)


@pytest.mark.slow
def test_the_ema_adapter_samples_the_declared_ranges():
    pytest.importorskip("ema_workbench")
    from sim.ema import LEVERS as EMA_LEVERS
    from sim.ema import UNCERTAINTIES as EMA_UNCERTAINTIES

    assert EMA_UNCERTAINTIES == UNCERTAINTIES
    assert EMA_LEVERS["funding.budget_scale"] == LEVERS["funding.budget_scale"]


def test_every_declared_key_is_a_valid_scenario_key_at_both_ends(tmp_path):
    from sim.scenario.loading import load_scenario

    for key, declared in DECLARED.items():
        for value in (declared.low, declared.high):
            text = str(int(value)) if declared.integer else repr(float(value))
            load_scenario(BASE, [f"{key}={text}"])  # raises ConfigError if out of the schema
