"""The pooled budget buying places where capacity, not money, is short, and its allocation rules.

Tests come in pairs (with and without the option, or two rules on the same city), so that a
mechanism that ignores the option fails one side."""

from __future__ import annotations

import numpy as np
import pytest

from sim.core.model import CoordinationModel
from sim.scenario.presets import PRESETS
from tests.test_mechanisms import city, mechanism, run

# each mechanism's detailed pairs: in `make test`, not in the quick loop (`-m "not slow"`),
# which keeps one test of each in tests/test_mechanisms.py
pytestmark = pytest.mark.slow

LEAD, TERM, EVERY = 6, 10, 26
# health is capacity-bound: plenty of money, few places, a long waiting list (2-week services)
BOUND = {"organisations": {"health_dept": {"capacity": 10,
                                           "funding": {"budget_per_year": 2_000_000}}}}
# two departments serving health, one with its sites in the formal, one in the informal areas
SPLIT = {"organisations": {
    "health_dept": {"site_placement": "formal", "capacity": 5},
    "education_dept": {"sectors": ["health"], "site_placement": "informal", "capacity": 5}}}


def pool(**params) -> dict:
    return {"pooled_budget": {"members": ["health_dept", "education_dept"],
                              "contribution_share": 0.3, "negotiation_lag_weeks": 0, **params}}


def weekly(scenario, org: str, check: bool = True):
    """Run week by week: the model, and (capacity of ``org``, places bought so far) per week."""
    model = CoordinationModel(scenario, check=check)
    o = model.orgs.index(org)
    pb = mechanism(model, "pooled_budget")
    capacity, bought = [], []
    while model.running:
        model.step()
        capacity.append(int(model.orgs.capacity[o]))
        bought.append(int(pb.places_bought[o]))
    return model, np.array(capacity), np.array(bought)


def buying(**params):
    return pool(**{"buy_places": True, "place_lead_weeks": LEAD, "place_term_weeks": TERM,
                   "allocation_every_weeks": EVERY, **params})


# -- buying places -----------------------------------------------------------------------------
def test_bought_places_open_after_the_lead_time_not_before():
    model, capacity, bought = weekly(city(buying(), **BOUND), "health_dept")
    base = capacity[0]
    purchases = np.flatnonzero(np.diff(bought, prepend=0))
    assert len(purchases) >= 2
    first = purchases[0]
    assert (capacity[:first + LEAD] == base).all()  # nothing opens during the lead time
    assert capacity[first + LEAD] == base + bought[first]
    assert (capacity[first + LEAD:first + LEAD + TERM] > base).all()


def test_without_buy_places_capacity_does_not_move():
    model, capacity, bought = weekly(city(pool(allocation_every_weeks=EVERY), **BOUND),
                                     "health_dept")
    assert (capacity == capacity[0]).all()
    assert (bought == 0).all()
    assert mechanism(model, "pooled_budget").allocated.sum() > 0


def test_bought_places_close_after_their_term():
    model, capacity, bought = weekly(city(buying(), **BOUND), "health_dept")
    base = capacity[0]
    first = np.flatnonzero(np.diff(bought, prepend=0))[0]
    closes = first + LEAD + TERM
    # cases in closed places finish (2-week services); then capacity is back to its base until
    # the next purchase opens
    assert (capacity[closes + 2:first + EVERY + LEAD] == base).all()
    assert capacity[closes - 1] > base


def test_a_member_short_of_money_buys_no_places():
    # the member with a long waiting list has no money to spare (12,000 a year and a small pool
    # pay well under its 60 places): its whole allocation pays cases
    changes = {"organisations": {"education_dept": {"funding": {"budget_per_year": 12_000}}},
               "sectors": {"health": {"need_rate_per_year": 0.05}}}
    model = run(city(buying(allocation_every_weeks=4, contribution_share=0.01), **changes))
    pb = mechanism(model, "pooled_budget")
    education = model.orgs.index("education_dept")
    assert pb.allocated[education] > 0
    assert pb.places_bought[education] == 0


def test_bought_places_are_paid_from_the_allocation_not_free():
    scenario = city(buying(), **BOUND)
    model = CoordinationModel(scenario, check=True)
    pb = mechanism(model, "pooled_budget")
    h = model.orgs.index("health_dept")
    unit = model.orgs.unit_cost[h]
    while model.running and pb.places_bought[h] == 0:
        model.step()
    places = pb.places_bought[h]
    assert places > 0
    assert pb.committed[h] == pytest.approx(places * unit * TERM)  # held for the places
    model.run(LEAD)  # the places open in the last of these weeks: the first week's money is paid
    assert pb.committed[h] == pytest.approx(places * unit * (TERM - 1))
    model.run(TERM - 1)
    assert pb.committed[h] == pytest.approx(0.0, abs=1e-6)  # all paid into the budget


# -- money ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("buy", [False, True])
def test_money_is_conserved(buy):
    model = run(city(pool(buy_places=buy, place_lead_weeks=LEAD, place_term_weeks=TERM), **BOUND))
    pb = mechanism(model, "pooled_budget")
    assert pb.contributed > 0
    assert pb.contributed == pytest.approx(pb.allocated.sum() + pb.pool)
    assert (pb.places_bought.sum() > 0) == buy


def test_stop_closes_bought_places_and_returns_their_money():
    # cases in withdrawn places run to their end (the member starts none until it is below
    # capacity again: the invariants, checked every week, say so)
    end = EVERY + LEAD + 2  # two weeks into the first bought places' term
    model, capacity, bought = weekly(city(buying(end_week=end), **BOUND), "health_dept")
    pb = mechanism(model, "pooled_budget")
    assert bought[-1] > 0
    assert capacity[end - 1] > capacity[0]
    assert (capacity[end:] == capacity[0]).all()
    assert "pooled_budget" not in model.levers.capacity.additions
    assert pb.committed.sum() == 0 and pb.pool == 0
    assert pb.contributed == pytest.approx(pb.allocated.sum())


# -- allocation rules ----------------------------------------------------------------------------
def shares(allocation: str, **params) -> np.ndarray:
    model = run(city(pool(allocation=allocation, **params), **SPLIT))
    allocated = mechanism(model, "pooled_budget").allocated
    return allocated / allocated.sum()


def test_vulnerability_moves_money_to_the_member_serving_marginalised_families():
    informal = 1  # education_dept, here a health provider in the informal neighbourhoods
    need, vulnerable = shares("need"), shares("vulnerability", vulnerability_weight=4)
    assert vulnerable[informal] > need[informal] + 0.01


def test_vulnerability_weighs_marginalised_families_on_the_same_state():
    model = CoordinationModel(city(pool(), **SPLIT))
    model.run(20)
    pb = mechanism(model, "pooled_budget")
    need = pb.unmet_need_value(model)
    pb.params = pb.params.model_copy(update={"allocation": "vulnerability", "vulnerability_weight": 1.0})
    assert pb.unmet_need_value(model) == pytest.approx(need)  # weight 1: the need rule
    pb.params = pb.params.model_copy(update={"vulnerability_weight": 3.0})
    weighted = pb.unmet_need_value(model)
    informal, formal = model.orgs.index("education_dept"), model.orgs.index("health_dept")
    assert weighted[informal] / need[informal] > weighted[formal] / need[formal]


def test_neighbourhood_moves_money_to_members_whose_sites_face_most_unmet_need():
    informal = 1
    need, hoods = shares("need"), shares("neighbourhood")
    assert hoods[informal] > need[informal] + 0.05


# -- parameters ----------------------------------------------------------------------------------
def test_buying_places_is_off_by_default_and_in_the_preset():
    assert city(pool()).coordination.pooled_budget.buy_places is False
    assert "buy_places" not in PRESETS["pooled_budget"]["pooled_budget"]


def test_unknown_allocation_rule_is_refused():
    with pytest.raises(Exception, match="allocation"):
        city(pool(allocation="lottery"))
