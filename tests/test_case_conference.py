"""The case conference (operational: reconciles shared cases family by family) against the same city
without it, and the council (strategic: joint planning) that no longer reconciles. Tests come in
pairs, so that a mechanism that does nothing fails one of them."""

from __future__ import annotations

import numpy as np
import pytest

from sim.core.coordination.meetings import group_efficiency
from sim.core.metrics import units
from sim.core.model import CoordinationModel
from sim.scenario.presets import PAYERS, PRESETS
from sim.scenario.schema import WEEKS_PER_YEAR
from tests.test_mechanisms import WEEKS, city, mechanism, run, spend

# each mechanism's detailed pairs: in `make test`, not in the quick loop (`-m "not slow"`),
# which keeps one test of each in tests/test_mechanisms.py
pytestmark = pytest.mark.slow

MONEY = {k for k, unit in units([]).items() if unit.startswith("money")}
EVERYONE = {"members": "all", "meetings_per_year": 12, "attendance": 1.0,
            "case_knowledge_per_representative": 1.0, "turnover_per_year": 0.0}


def conference(**changes):
    return run(city({"case_conference": EVERYONE | changes}))


def stopped(model) -> int:
    return mechanism(model, "case_conference").duplicates_stopped


def without_money(model) -> dict:
    """The summary without money, NaN as None (so that two NaNs compare equal)."""
    return {k: (None if v != v else v) for k, v in model.summary().items() if k not in MONEY}


@pytest.fixture(scope="module")
def silos():
    return run(city())


@pytest.fixture(scope="module")
def full():
    return conference()


# -- it meets and stops duplicates; not meeting, or nobody attending, changes nothing but cost -----
def test_a_case_conference_that_meets_stops_duplicates_among_its_members(silos, full):
    assert stopped(full) > 0
    assert full.ledger.service_weeks_duplicate < silos.ledger.service_weeks_duplicate


@pytest.mark.parametrize("idle", [{"meetings_per_year": 0}, {"attendance": 0.0}],
                         ids=["never_meets", "nobody_attends"])
def test_a_case_conference_nobody_sits_at_changes_only_cost(silos, idle):
    model = conference(secretariat_per_member_per_year=1300.0, **idle)
    assert stopped(model) == 0
    assert without_money(model) == without_money(silos)
    # four members x 1,300 a year; no one present, no staff hours
    assert spend(model, "case_conference") == pytest.approx(4 * 1300.0 / WEEKS_PER_YEAR * WEEKS)


def test_a_duplicate_needs_two_members_at_the_table(silos):
    """One member alone cannot find a family that another provider also serves."""
    alone = conference(members=["ngo"])
    assert stopped(alone) == 0
    assert without_money(alone) == without_money(silos)


# -- what the table knows grows with who sits at it -----------------------------------------------
FRICTIONLESS = {"contention": 0.0, "coherence": 0.0, "case_knowledge_per_representative": 0.3}


def test_more_representatives_know_more_duplicates():
    one = conference(representatives_per_member=1, **FRICTIONLESS)
    three = conference(representatives_per_member=3, **FRICTIONLESS)
    assert stopped(one) > 0
    assert stopped(three) > 1.5 * stopped(one)


def test_representatives_who_know_no_cases_find_none(silos):
    blind = conference(representatives_per_member=3, **FRICTIONLESS | {
        "case_knowledge_per_representative": 0.0})
    assert stopped(blind) == 0
    assert without_money(blind) == without_money(silos)


def test_new_representatives_know_less():
    """With every representative replaced about once a year and a long induction, the table knows
    fewer cases than with a stable membership."""
    stable = conference(**FRICTIONLESS)
    churning = conference(**FRICTIONLESS | {"turnover_per_year": 1.0, "induction_weeks": 520})
    assert 0 < stopped(churning) < 0.8 * stopped(stable)


def test_a_new_representative_starts_knowing_nothing_and_learns():
    model = CoordinationModel(city({"case_conference": EVERYONE | {
        "case_knowledge_per_representative": 0.6, "induction_weeks": 10}}))
    cc = mechanism(model, "case_conference")
    model.run(20)
    assert cc.seat_knowledge(model) == pytest.approx(0.6)
    cc.joined[0] = model.week
    assert cc.seat_knowledge(model)[0] == 0.0
    model.run(5)
    assert cc.seat_knowledge(model)[0] == pytest.approx(0.3)


# -- friction grows with the number of people (the USL curve) --------------------------------------
def test_bigger_groups_have_lower_per_person_efficiency():
    assert group_efficiency(8, 0.05, 0.005) > group_efficiency(24, 0.05, 0.005) > 0
    model = CoordinationModel(city({"case_conference": EVERYONE}))
    cc = mechanism(model, "case_conference")
    assert cc.effectiveness(model, 4) > cc.effectiveness(model, 12) > cc.effectiveness(model, 40)


def test_crowded_tables_stop_fewer_duplicates_than_small_ones_who_know_as_much():
    """Knowledge is complete with one representative, so more people only add friction."""
    small = conference(representatives_per_member=1, contention=0.2, coherence=0.02)
    crowded = conference(representatives_per_member=10, contention=0.2, coherence=0.02)
    assert stopped(small) > 2 * stopped(crowded) > 0


# -- cost: people present x hours x hourly cost, plus a secretariat per member ---------------------
def test_case_conference_costs_people_present_and_secretariat_per_member():
    p = {"representatives_per_member": 2, "staff_hours_per_meeting": 3.0, "staff_hour_cost": 20.0,
         "secretariat_per_member_per_year": 260.0}
    model = conference(**p)
    cc = mechanism(model, "case_conference")
    assert cc.meetings == 24  # 12 a year for two years
    expected = 24 * (4 * 2) * 3.0 * 20.0 + 4 * 260.0 / WEEKS_PER_YEAR * WEEKS
    assert spend(model, "case_conference") == pytest.approx(expected)


def test_absent_members_cost_no_staff_hours():
    half = conference(attendance=0.5, secretariat_per_member_per_year=0.0)
    everyone = conference(secretariat_per_member_per_year=0.0)
    assert 0 < spend(half, "case_conference") < 0.75 * spend(everyone, "case_conference")


# -- the council plans; it no longer reconciles --------------------------------------------------
def test_the_council_no_longer_stops_duplicates(silos):
    council = run(city({"council": {"members": "all", "meetings_per_year": 12, "active_share": 1.0,
                                    "planning_shift": 0.0, "outreach_boost": 0.0,
                                    "budget_shift": 0.0, "neighbourhood_outreach_boost": 0.0}}))
    assert mechanism(council, "council").meetings == 24
    assert not hasattr(mechanism(council, "council"), "duplicates_stopped")
    assert without_money(council) == without_money(silos)


def test_the_council_still_plans(silos):
    council = run(city({"council": {"members": "all", "meetings_per_year": 12, "active_share": 1.0,
                                    "planning_shift": 0.5}}))
    assert np.abs(mechanism(council, "council").capacity_shift).sum() > 0
    assert without_money(council) != without_money(silos)


# -- presets ----------------------------------------------------------------------------------------
def test_presets_use_the_body_that_fits():
    assert set(PRESETS["case_conference"]) == {"case_conference"}
    assert {"case_conference", "council"} <= set(PRESETS["full_integration"])
    assert "case_conference" not in PRESETS["council+focal_point"]  # Brazil's commission: strategic
    assert PAYERS["case_conference"] == "members"
