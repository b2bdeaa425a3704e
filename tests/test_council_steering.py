"""The council as a strategic body: a yearly action plan that moves places, budget and outreach
after a lag, advocacy for budget increases, and youth and family seats (issue 17). Each test runs
the small city of tests/test_mechanisms.py on a common seed."""

from __future__ import annotations

import numpy as np
import pytest

from sim.core.model import CoordinationModel
from tests.test_mechanisms import city, mechanism, run

START, LAG = 20, 13  # the council starts in week 20 (no warm-up) and plans at once
COUNCIL = {"members": "all", "start_week": START, "plan_lag_weeks": LAG, "planning_shift": 0.5}
LEVERS = ("capacity", "budget_per_year", "outreach", "outreach_area", "budget_increase_probability")


def stepped(block: dict, weeks: int) -> CoordinationModel:
    model = CoordinationModel(city({"council": block}), check=True)
    model.run(weeks)
    return model


def adjustments(model) -> dict[str, np.ndarray | None]:
    """The council's adjustment to each lever (None: none)."""
    levers = model.levers
    return {name: getattr(levers, name).additions.get(
        "council", getattr(levers, name).factors.get("council")) for name in LEVERS}


@pytest.fixture(scope="module")
def planned():
    """The week the plan is made, and the week its lag is over."""
    return stepped(COUNCIL, START + 1), stepped(COUNCIL, START + LAG + 1)


def test_the_action_plan_takes_effect_only_after_its_lag(planned):
    made, in_effect = planned
    council = mechanism(made, "council")
    assert council.plans == 1 and len(council.pending) == 1  # made, waiting for its lag
    assert all(a is None for a in adjustments(made).values())
    assert council.pending[0].due == START + LAG
    assert mechanism(in_effect, "council").pending == []
    assert all(a is not None for a in adjustments(in_effect).values())


def test_the_action_plan_moves_places_and_budget_at_equal_cost(planned):
    _, model = planned
    moves = adjustments(model)
    places, budget = moves["capacity"], moves["budget_per_year"]
    assert (places > 0).any() and (places < 0).any()  # places moved from some members to others
    assert abs((places * model.orgs.unit_cost).sum()) <= model.orgs.unit_cost.max() * len(places)
    assert (budget > 0).any() and (budget < 0).any()
    assert budget.sum() == pytest.approx(0.0, abs=1e-6)  # money moved, none added
    np.testing.assert_array_equal(model.orgs.budget_per_year,
                                  model.levers.budget_per_year.base + budget)
    private = ~model.orgs.funded
    assert (budget[private] == 0).all()  # no budget to move where none is modelled


def test_outreach_is_stepped_up_where_unmet_need_per_family_is_highest(planned):
    _, model = planned
    area = model.orgs.outreach_area
    assert area.min() >= 1.0 and area.max() > 1.0
    assert (area == 1.0).any()  # neighbourhoods below the city's unmet need per family: unchanged
    flat = stepped(COUNCIL | {"neighbourhood_outreach_boost": 0.0}, START + LAG + 1)
    assert (flat.orgs.outreach_area == 1.0).all()


def test_a_stopped_council_withdraws_every_move():
    model = stepped(COUNCIL | {"end_week": START + LAG + 10, "advocacy": 0.5}, START + LAG + 11)
    assert all(a is None for a in adjustments(model).values())
    assert (model.orgs.outreach_area == 1.0).all()
    np.testing.assert_array_equal(model.orgs.budget_per_year, model.levers.budget_per_year.base)
    np.testing.assert_array_equal(model.orgs.capacity, model.levers.capacity.base)
    assert (model.orgs.budget_increase_probability == 0.0).all()


def test_budgets_grow_at_the_fiscal_year_with_their_chance():
    sure = {"budget_increase_probability": 1.0, "budget_increase_share": 0.1}
    model = CoordinationModel(city(organisations={"health_dept": {"funding": sure}}))
    model.run()  # 104 weeks: years start in weeks 52 (and 104, not reached)
    health = model.orgs.index("health_dept")
    assert model.orgs.budget_per_year[health] == pytest.approx(400_000 * 1.1)
    others = np.arange(model.orgs.size) != health
    np.testing.assert_array_equal(model.orgs.budget_per_year[others],
                                  CoordinationModel(city()).orgs.budget_per_year[others])


def test_advocacy_raises_budget_increases():
    def increases(advocacy: float) -> int:
        block = {"members": "all", "advocacy": advocacy, "plan_lag_weeks": 0}
        model = run(city({"council": block}, time={"years": 4}))
        return len(model.levers.budget_per_year.history) - 1  # each change of base is one rise

    assert increases(0.0) == 0
    assert increases(1.0) > 0


def test_participation_of_quality_zero_changes_nothing():
    seats = {"youth_seats": 3, "family_seats": 3, "participation_quality": 0.0,
             "cost_per_seat_per_year": 0.0}
    without = run(city({"council": {"members": "all"}}))
    token = run(city({"council": {"members": "all"} | seats}))
    assert mechanism(token, "council").participants.sum() == 6
    assert token.summary() == without.summary()
    assert token.summary()["children_consulted_marginalised"] == 0.0


def test_participants_steer_outreach_toward_their_neighbourhoods():
    seats = {"family_seats": 3, "participation_quality": 1.0}
    plain = mechanism(stepped(COUNCIL, START + 1), "council")
    heard = mechanism(stepped(COUNCIL | seats, START + 1), "council")
    theirs = heard.participants > 0
    with_them, without = heard.pending[0].area, plain.pending[0].area
    assert (with_them[theirs] >= without[theirs]).all() and (with_them[theirs] > without[theirs]).any()
    assert (with_them[~theirs] <= without[~theirs]).all()


def test_participants_consult_children_and_silos_consults_none():
    seats = {"youth_seats": 2, "family_seats": 2, "participation_quality": 0.5,
             "families_consulted_per_seat_per_year": 50}
    model = run(city({"council": {"members": "all"} | seats}))
    out = model.summary()
    assert 0 < out["children_consulted_marginalised"] <= 1 and 0 < out["children_consulted_other"] <= 1
    # 4 seats x 0.5 x 50 = 100 families a year of 2,000: about 5% of children
    consulted = model.ledger.children_consulted.sum() / model.ledger.children_at_consultations.sum()
    assert consulted == pytest.approx(100 / 2000, rel=0.5)
    silos = run(city()).summary()
    assert silos["children_consulted_marginalised"] == silos["children_consulted_other"] == 0.0
