"""Shared fixtures: small scenarios built from the base city or by hand."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from sim.scenario.loading import deep_merge, load_scenario, scenario_from_dict

# generated examples: a modest number in `make test` ("ci"), many more in `make fuzz` ("fuzz")
for _name, _examples in (("ci", 40), ("fuzz", 600)):
    settings.register_profile(_name, max_examples=_examples, deadline=None,
                              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                     HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "scenarios" / "base.yaml"


@pytest.fixture
def base_path() -> Path:
    return BASE


def small_base(families: int = 1500, years: float = 1.5, **overrides):
    """The base city, shrunk (capacities and budgets scale with families)."""
    sets = [f"city.families={families}", f"time.years={years}", "time.warmup_weeks=13"]
    sets += [f"{k}={v}" for k, v in overrides.items()]
    return load_scenario(BASE, sets)


def hand_built(**changes):
    """One family with one child, one sector whose need arises for sure, two providers.

    Nobody seeks help or does outreach unless a test says so, so tests drive applications.
    """
    data = {
        "name": "hand_built",
        "seed": 7,
        "time": {"years": 1, "warmup_weeks": 0, "follow_up_weeks": 0},
        "city": {"families": 1, "neighbourhoods": 1, "informal_neighbourhoods": 0,
                 "informal_family_share": 0.0, "max_children": 1, "mean_children": 1.0,
                 "births_per_family_per_year": 0.0},
        "families": {"seek_probability": 0.0, "need_complexity_shape": None},
        "sectors": {
            "health": {"ages": [0, 13], "need_rate_per_year": 1.0, "service_weeks": 1,
                       "lapse_weeks": 1000},
        },
        "organisations": {
            "clinic_a": {"kind": "department", "sectors": ["health"], "capacity": 5,
                         "unit_cost": 10, "assessment_cost": 4, "identify_probability": 0.0,
                         "funding": {"budget_per_year": 52_000, "tranches_per_year": 52}},
            "clinic_b": {"kind": "ngo", "sectors": ["health"], "capacity": 5,
                         "unit_cost": 10, "assessment_cost": 4, "identify_probability": 0.0,
                         "funding": {"budget_per_year": 52_000, "tranches_per_year": 52}},
        },
    }
    return scenario_from_dict(deep_merge(data, changes), "hand_built")


def pytest_terminal_summary(terminalreporter):
    """Print and record what the robustness tests tried (see tests/tally.py)."""
    from tests.tally import COUNTS

    if not COUNTS:
        return
    terminalreporter.write_sep("-", "robustness tally")
    for kind, n in sorted(COUNTS.items()):
        terminalreporter.write_line(f"{kind}: {n}")
    out = ROOT / "results" / "reliability-tally.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(dict(sorted(COUNTS.items())), indent=2) + "\n")
