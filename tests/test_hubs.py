"""Family hubs as sites with their own slots and outreach, and assessments counted across sectors
(docs/model.md, "Integrated service-delivery platform" and 7.4). Each behaviour is tested in a
pair, so that an empty implementation fails one side."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.core.metrics import by_neighbourhood
from sim.core.model import CoordinationModel
from sim.core.phases.finding import SOURCE_SEEKING
from sim.errors import ConfigError
from sim.scenario.schema import WEEKS_PER_YEAR
from tests.conftest import hand_built
from tests.test_mechanisms import WEEKS, city, mechanism, run, spend

# the hubs' detailed pairs: in `make test`, not in the quick loop (`-m "not slow"`), which keeps
# the platform's tests in tests/test_mechanisms.py
pytestmark = pytest.mark.slow

SECTORS = ("health", "nutrition", "early_learning")


def hub(**keys) -> dict:
    """A hub in neighbourhood 0, at full strength from the start, costing nothing to run."""
    return {"integrated_platform": {"hubs": [0], "ramp_up_weeks": 0,
                                    "running_cost_per_hub_per_year": 0.0, **keys}}


# -- a hub is a site with places: capacity 0 changes nothing, capacity serves families ---------
def test_a_hub_with_no_slots_changes_nothing():
    closed = {"hubs": [0, 1], "assessment_slots_per_week": 0,
              "running_cost_per_hub_per_year": 0.0}
    silos, model = run(city()), run(city({"integrated_platform": closed}))
    platform = mechanism(model, "integrated_platform")
    assert platform.families_assessed == 0 and not platform.users.any()
    a, b = silos.timeseries(), model.timeseries()
    pd.testing.assert_frame_equal(a, b[a.columns])
    assert spend(model, "integrated_platform") == 0.0


def test_a_hub_with_slots_serves_families_who_come():
    open_hub = {"hubs": [0, 1], "assessment_slots_per_week": 20,
                "running_cost_per_hub_per_year": 0.0}
    silos, model = run(city()), run(city({"integrated_platform": open_hub}))
    platform = mechanism(model, "integrated_platform")
    assert platform.families_assessed > 0 and platform.users.any()
    # users are whoever comes: mostly the hubs' neighbourhoods, some from further away
    home = model.pop.neighbourhood[platform.users]
    assert np.isin(home, [0, 1]).mean() > 0.5
    a, b = by_neighbourhood(silos.ledger), by_neighbourhood(model.ledger)
    assert (b["coverage"][[0, 1]] > a["coverage"][[0, 1]]).all()


def test_a_crowded_hub_sees_only_its_slots_each_week():
    """Plenty of families in need and of outreach; the slots are the limit."""
    few = run(city({"integrated_platform": {"hubs": [0], "assessment_slots_per_week": 2,
                                            "outreach_visits_per_week": 50}}))
    more = run(city({"integrated_platform": {"hubs": [0], "assessment_slots_per_week": 6,
                                             "outreach_visits_per_week": 50}}))
    assert mechanism(few, "integrated_platform").families_assessed == 2 * WEEKS
    assert mechanism(more, "integrated_platform").families_assessed == 6 * WEEKS


def test_hub_costs_running_outreach_and_assessments():
    keys = {"hubs": [0, 2], "running_cost_per_hub_per_year": 5200.0, "assessment_cost": 7.0,
            "cost_per_outreach_visit": 3.0}
    model = run(city({"integrated_platform": keys}))
    platform = mechanism(model, "integrated_platform")
    assert platform.outreach_visits > 0 and platform.families_assessed > 0
    expected = (2 * 5200.0 / WEEKS_PER_YEAR * WEEKS + 3.0 * platform.outreach_visits
                + 7.0 * platform.families_assessed)
    assert spend(model, "integrated_platform") == pytest.approx(expected)


def test_outreach_brings_families_who_would_not_come():
    """Nobody seeks help: only the hub's outreach workers bring families in."""
    quiet = {"families": {"seek_probability": 0.0}}
    no_visits = run(city(hub(outreach_visits_per_week=0), **quiet))
    visits = run(city(hub(outreach_visits_per_week=5), **quiet))
    assert mechanism(no_visits, "integrated_platform").families_assessed == 0
    assert mechanism(visits, "integrated_platform").families_assessed > 0


# -- hubs and their staff scale with the city ------------------------------------------------------
def test_hubs_per_population_scale_with_the_number_of_families():
    per_pop = {"integrated_platform": {"families_per_hub": 500}}
    small = CoordinationModel(city(per_pop))
    big = CoordinationModel(city(per_pop, city={"families": 3000}))
    assert len(mechanism(small, "integrated_platform").hubs) == 4  # 2000 families
    assert len(mechanism(big, "integrated_platform").hubs) == 6  # two neighbourhoods hold two
    assert mechanism(big, "integrated_platform").slots.sum() == 6 * 20  # staff per hub unscaled


def test_a_fixed_number_of_hubs_has_staff_scaled_with_the_city():
    fixed = {"integrated_platform": {"hubs": 2, "assessment_slots_per_week": 20}}
    reference = CoordinationModel(city(fixed))
    half = CoordinationModel(city(fixed, city={"reference_families": 4000}))  # 2000 of 4000
    assert mechanism(reference, "integrated_platform").slots.sum() == 40
    assert mechanism(half, "integrated_platform").slots.sum() == 20
    with pytest.raises(ConfigError, match="families_per_hub"):
        city({"integrated_platform": {"hubs": [0], "families_per_hub": 100}})


# -- assessments across sectors: k in silos, 1 at a hub ------------------------------------------------
def one_family_in_three_sectors(coordination: dict | None = None, **changes) -> CoordinationModel:
    """One family with one child; a need in each of three sectors from week 0, one provider each
    (assessment 4 each) and a second health provider."""
    dept = {"kind": "department", "capacity": 5, "unit_cost": 10, "assessment_cost": 4,
            "identify_probability": 0.0,
            "funding": {"budget_per_year": 52_000, "tranches_per_year": 52}}
    sectors = {s: {"ages": [0, 13], "need_rate_per_year": 1.0, "service_weeks": 5,
                   "lapse_weeks": 1000} for s in SECTORS}
    scenario = hand_built(
        sectors=sectors,
        organisations={"clinic_a": {"sectors": ["health"]}, "clinic_b": {"sectors": ["health"]},
                       "nutrition_dept": {**dept, "sectors": ["nutrition"]},
                       "school_dept": {**dept, "sectors": ["early_learning"]}},
        coordination=coordination or {"model": "silos"}, **changes)
    return CoordinationModel(scenario, check=True)


def test_in_silos_a_family_in_three_sectors_is_assessed_three_times():
    model = one_family_in_three_sectors()
    orgs = np.array([model.orgs.index(n) for n in ("clinic_a", "nutrition_dept", "school_dept")])
    model.book.apply(np.zeros(3, int), np.arange(3), orgs, SOURCE_SEEKING)
    model.step()
    led = model.ledger
    assert led.assessments == 3 and led.assessment_spend == 12.0
    assert led.assessments_cross_sector == 2 and led.assessment_spend_cross_sector == 8.0
    assert led.assessments_duplicate == 0  # none repeats a sector
    summary = model.summary()
    assert summary["assessments_cross_sector"] == 2
    assert summary["assessment_cost_cross_sector"] == 8.0


def test_at_a_hub_a_family_in_three_sectors_is_assessed_once():
    model = one_family_in_three_sectors(
        hub(assessment_slots_per_week=1, outreach_visits_per_week=1, assessment_cost=9.0,
            cost_per_outreach_visit=2.0, shared_record_probability=1.0))
    model.step()
    platform = mechanism(model, "integrated_platform")
    assert platform.families_assessed == 1 and platform.users[0]
    assert (model.pop.assessed[0] == 1).all()  # one record covering the three open needs
    led = model.ledger
    assert led.assessments == 0 and led.assessments_cross_sector == 0  # partners reuse it
    assert (model.book.serving[0] == 1).all()  # put forward to a partner in each sector, served
    assert spend(model, "integrated_platform") == 9.0 + 2.0


def test_a_second_provider_in_the_same_sector_repeats_and_is_not_cross_sector():
    model = one_family_in_three_sectors()
    orgs = np.array([model.orgs.index("clinic_a"), model.orgs.index("clinic_b")])
    model.book.apply(np.zeros(2, int), np.zeros(2, int), orgs, SOURCE_SEEKING)
    model.step()
    led = model.ledger
    assert led.assessments == 2 and led.assessments_duplicate == 1
    assert led.assessments_cross_sector == 0
    # next week the nutrition provider assesses the same family: cross-sector, not a repeat
    model.book.apply(np.zeros(1, int), np.ones(1, int),
                     np.array([model.orgs.index("nutrition_dept")]), SOURCE_SEEKING)
    model.step()
    assert led.assessments == 3 and led.assessments_duplicate == 1
    assert led.assessments_cross_sector == 1
