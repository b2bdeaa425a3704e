"""Each mechanism's direct effect against the same city without it (common random numbers),
and that it costs what its formula says. Whether coordination pays off is never asserted."""

from __future__ import annotations

import numpy as np
import pytest

from sim.core.metrics import units
from sim.core.model import CoordinationModel
from sim.scenario.loading import deep_merge, scenario_from_dict
from sim.scenario.presets import PRESETS
from sim.scenario.schema import WEEKS_PER_YEAR
from tests.conftest import small_base

WEEKS = 104


def city(coordination: dict | None = None, **changes):
    """A small two-sector city with two departments, an NGO and a private provider."""
    org = {"unit_cost": 10, "assessment_cost": 5, "identify_probability": 0.5,
           "referral_completion": 0.4}
    funding = {"budget_per_year": 400_000, "tranches_per_year": 4}
    data = {
        "name": "test_city", "seed": 11,
        "time": {"years": WEEKS / 52, "warmup_weeks": 0},
        "city": {"families": 2000, "neighbourhoods": 4, "informal_neighbourhoods": 2,
                 "informal_family_share": 0.5},
        "families": {"seek_probability": 0.5, "patience_weeks": 3},
        "sectors": {
            "health": {"ages": [0, 13], "need_rate_per_year": 0.5, "service_weeks": 2,
                       "lapse_weeks": 10},
            "early_learning": {"ages": [3, 6], "need_rate_per_year": 0.6, "service_weeks": 20,
                               "lapse_weeks": 30, "marginalised_multiplier": 1.5},
        },
        "organisations": {
            "health_dept": {"kind": "department", "sectors": ["health"], "capacity": 60,
                            "sites": 2, "funding": funding, **org},
            "education_dept": {"kind": "department", "sectors": ["early_learning"],
                               "capacity": 60, "sites": 2, "funding": funding, **org},
            "ngo": {"kind": "ngo", "sectors": ["health", "early_learning"], "capacity": 40,
                    "sites": 2, "site_placement": "informal", "outreach": 0.05,
                    "funding": {"budget_per_year": 150_000, "lapse_at_year_end": False}, **org},
            "day_care": {"kind": "private", "sectors": ["early_learning"], "capacity": 80,
                         "sites": 2, "site_placement": "formal", "fee": 0.7, **org},
        },
        "coordination": coordination or {"model": "silos"},
    }
    return scenario_from_dict(deep_merge(data, changes), "test_city")


def run(scenario) -> CoordinationModel:
    model = CoordinationModel(scenario, check=True)
    model.run()
    return model


def spend(model, mechanism: str) -> float:
    return model.ledger.coordination_spend.get(mechanism, 0.0)


def mechanism(model, name):
    return next(m for m in model.all_mechanisms if m.name == name)


# -- shared registry ---------------------------------------------------------------------------
def test_registry_consulted_always_cuts_duplicate_assessments():
    never = run(city({"shared_registry": {"consultation_rate": 0.0}}))
    always = run(city({"shared_registry": {"consultation_rate": 1.0}}))
    acted_on = run(city({"shared_registry": {"consultation_rate": 1.0, "record_reuse": 1.0}}))
    assert never.ledger.assessments_duplicate > 0
    # a consulted record is acted on with record_reuse (0.3: shared records cut repeats by
    # about 25% where consulted); acted on every time, it removes nearly every repeat
    assert always.ledger.assessments_duplicate < 0.8 * never.ledger.assessments_duplicate
    assert acted_on.ledger.assessments_duplicate < 0.2 * never.ledger.assessments_duplicate
    assert acted_on.ledger.service_weeks_duplicate < never.ledger.service_weeks_duplicate


def test_registry_costs_set_up_maintenance_and_records():
    p = {"consultation_rate": 0.5, "setup_cost": 1000.0, "maintenance_per_year": 5200.0,
         "cost_per_record": 2.0}
    model = run(city({"shared_registry": p}))
    records = mechanism(model, "shared_registry").records
    assert records > 0
    expected = 1000.0 + 5200.0 / WEEKS_PER_YEAR * WEEKS + 2.0 * records
    assert spend(model, "shared_registry") == pytest.approx(expected)


def test_auto_enrolment_brings_registered_families_in():
    off = run(city({"shared_registry": {"auto_enrolment": 0.0}}))
    on = run(city({"shared_registry": {"auto_enrolment": 0.5}}))
    assert on.summary()["mean_wait_weeks"] < off.summary()["mean_wait_weeks"]


# -- council (joint planning; reconciliation is the case conference's: tests/test_case_conference.py)
def test_case_conference_stops_duplicates_and_one_that_never_meets_stops_none():
    everyone = {"members": "all", "attendance": 1.0, "case_knowledge_per_representative": 1.0}
    meets = run(city({"case_conference": everyone}))
    idle = run(city({"case_conference": {**everyone, "meetings_per_year": 0}}))
    assert mechanism(meets, "case_conference").duplicates_stopped > 0
    assert mechanism(idle, "case_conference").duplicates_stopped == 0
    assert meets.ledger.service_weeks_duplicate < idle.ledger.service_weeks_duplicate


def test_council_that_never_meets_changes_only_cost():
    silos = run(city())
    idle = run(city({"council": {"meetings_per_year": 0,
                                 "secretariat_per_member_per_year": 1300.0}}))
    a, b = silos.summary(), idle.summary()
    money = {k for k, unit in units([]).items() if unit.startswith("money")}
    assert {k: v for k, v in a.items() if k not in money} == pytest.approx(
        {k: v for k, v in b.items() if k not in money}, nan_ok=True)
    # three members (two departments and the NGO) x 1,300 a year
    assert b["coordination_cost"] == pytest.approx(3 * 1300.0 / WEEKS_PER_YEAR * WEEKS)
    assert b["total_cost"] == pytest.approx(a["total_cost"] + b["coordination_cost"])


def test_council_costs_staff_hours_per_meeting_and_secretariat_per_member():
    p = {"meetings_per_year": 4, "members": "all", "staff_hours_per_meeting": 5.0,
         "staff_hour_cost": 20.0, "secretariat_per_member_per_year": 260.0}
    model = run(city({"council": p}))
    meetings = mechanism(model, "council").meetings
    assert meetings == 8  # 4 a year for two years
    expected = meetings * 4 * 5.0 * 20.0 + 4 * 260.0 / WEEKS_PER_YEAR * WEEKS
    assert spend(model, "council") == pytest.approx(expected)


def test_council_effectiveness_falls_with_size_and_inactive_members():
    from sim.core.coordination.council import group_efficiency

    assert group_efficiency(6, 0.05, 0.005) > group_efficiency(25, 0.05, 0.005)
    small = CoordinationModel(city({"council": {"members": ["health_dept", "ngo"]}}))
    big = CoordinationModel(city({"council": {"members": "all"}}))
    lazy = CoordinationModel(city({"council": {"members": "all", "active_share": 0.2}}))
    e = [mechanism(m, "council").effectiveness(m) for m in (small, big, lazy)]
    assert e[0] > e[1] > e[2]


# -- integrated platform -----------------------------------------------------------------------
def test_hubs_raise_coverage_in_their_catchment_and_warm_their_users_referrals():
    """Families near a hub are assessed there and put forward to partners; hub users' referrals
    between partners are warm, other families' are not."""
    hubs = {"integrated_platform": {"hubs": [0, 1], "ramp_up_weeks": 0,
                                    "awareness_gain_per_week": 0.0}}
    without, with_hubs = run(city()), run(city(hubs))
    from sim.core.metrics import by_neighbourhood

    a, b = by_neighbourhood(without.ledger), by_neighbourhood(with_hubs.ledger)
    assert (b["coverage"][[0, 1]] > a["coverage"][[0, 1]]).all()
    platform = mechanism(with_hubs, "integrated_platform")
    user, other = np.flatnonzero(platform.users)[0], np.flatnonzero(~platform.users)[0]
    family, org, p = np.array([user, other]), np.zeros(2, dtype=int), np.full(2, 0.4)
    warm = platform.referral_completion(with_hubs, family, org, org, p)
    assert warm[0] == pytest.approx(0.85) and warm[1] == 0.4
    assert platform.fast_track(with_hubs, family, org, org).tolist() == [True, False]


def _referral_behind_a_queue(platform: bool):
    """19 families queue for a one-place nutrition service; family 19 is referred to it."""
    from sim.core.phases.finding import SOURCE_SEEKING
    from tests.conftest import hand_built

    changes = {
        "city": {"families": 20},
        "families": {"referral_wait_scale_weeks": 1e9},  # every hand-off completes
        "sectors": {"nutrition": {"ages": [0, 13], "need_rate_per_year": 1.0, "service_weeks": 3,
                                  "lapse_weeks": 1e6}},
        "organisations": {"clinic_a": {"identify_probability": 1.0, "referral_completion": 1.0},
                          "clinic_b": {"sectors": ["nutrition"], "capacity": 1}},
    }
    if platform:  # a hub that sees nobody new: family 19 used it before
        changes["coordination"] = {"integrated_platform": {
            "hubs": [0], "ramp_up_weeks": 0, "assessment_slots_per_week": 0}}
    model = CoordinationModel(hand_built(**changes), check=True)
    if platform:
        mechanism(model, "integrated_platform").last_seen[19] = 0  # a hub user
    queue = np.arange(19)
    model.book.apply(queue, np.ones(19, int), np.ones(19, int), SOURCE_SEEKING)
    model.book.apply(np.array([19]), np.array([0]), np.array([0]), SOURCE_SEEKING)
    while model.ledger.referrals_started == 0 and model.week < 100:
        model.step()
    return model


def test_hub_warm_referral_skips_the_queue():
    silo, hub = _referral_behind_a_queue(False), _referral_behind_a_queue(True)
    for model in (silo, hub):
        assert model.ledger.referrals_started == 1
    # behind 18 families x 3 weeks in silos; at the front of the list with the hub
    assert silo.ledger.referral_wait_weeks_total >= 40
    assert hub.ledger.referral_wait_weeks_total <= 3


def test_hubs_cost_running_cost_per_hub():
    hubs = {"hubs": 2, "running_cost_per_hub_per_year": 5200.0, "assessment_slots_per_week": 0}
    model = run(city({"integrated_platform": hubs}))
    assert spend(model, "integrated_platform") == pytest.approx(2 * 5200.0 / WEEKS_PER_YEAR * WEEKS)


def test_platform_ramps_up():
    model = CoordinationModel(city({"integrated_platform": {"ramp_up_weeks": 10}}))
    platform = mechanism(model, "integrated_platform")
    assert platform.strength(model) == pytest.approx(0.1)
    model.run(9)
    assert platform.strength(model) == 1.0


# -- pooled budget -----------------------------------------------------------------------------
def test_pooled_money_moves_to_the_sector_with_unmet_need():
    # health is over-funded and under-demanded; early learning is short of money
    changes = {"organisations": {"education_dept": {"funding": {"budget_per_year": 12_000}}},
               "sectors": {"health": {"need_rate_per_year": 0.05}}}
    pool = {"pooled_budget": {"members": ["health_dept", "education_dept"],
                              "contribution_share": 0.3, "negotiation_lag_weeks": 0}}
    model = run(city(pool, **changes))
    allocated = mechanism(model, "pooled_budget").allocated
    health, education = model.orgs.index("health_dept"), model.orgs.index("education_dept")
    assert allocated[education] > 5 * allocated[health]
    silos = run(city(**changes))
    assert model.summary()["coverage.early_learning"] > silos.summary()["coverage.early_learning"]


def test_pool_administration_is_its_cost_and_money_is_conserved():
    pool = {"pooled_budget": {"contribution_share": 0.2, "administration_share": 0.1,
                              "negotiation_lag_weeks": 0, "allocation_every_weeks": 4}}
    model = run(city(pool))
    pb = mechanism(model, "pooled_budget")
    admin = spend(model, "pooled_budget")
    assert admin > 0
    assert admin == pytest.approx(0.1 * pb.allocated.sum())  # paid by paid_by, not the pool


# -- focal point -------------------------------------------------------------------------------
def test_focal_point_follows_up_referrals_and_costs_salaries():
    p = {"team_size": 2, "salary_per_year": 5200.0, "turnover_per_year": 0.0, "follow_up": 0.5}
    without, with_team = run(city()), run(city({"focal_point": p}))
    assert with_team.summary()["referral_completion"] > without.summary()["referral_completion"]
    assert spend(with_team, "focal_point") == pytest.approx(2 * 5200.0 / WEEKS_PER_YEAR * WEEKS)


def test_focal_point_turnover_leaves_posts_vacant():
    p = {"team_size": 4, "turnover_per_year": 1.0, "vacancy_weeks": 26, "salary_per_year": 5200.0}
    model = run(city({"focal_point": p}))
    assert spend(model, "focal_point") < 4 * 5200.0 / WEEKS_PER_YEAR * WEEKS


def test_focal_point_strengthens_the_council():
    plain = CoordinationModel(city({"council": {}}))
    helped = CoordinationModel(city({"council": {}, "focal_point": {"turnover_per_year": 0.0}}))
    plain.step()
    helped.step()
    assert mechanism(helped, "council").effectiveness(helped) > mechanism(
        plain, "council").effectiveness(plain)


# -- cross-sector training ---------------------------------------------------------------------
def test_trained_staff_make_more_cross_sector_referrals():
    without = run(city())
    trained = run(city({"cross_sector_training": {"target_share": 1.0,
                                                  "trained_identify_probability": 1.0}}))
    assert trained.summary()["referrals_made"] > 1.3 * without.summary()["referrals_made"]


def test_training_costs_per_worker_and_decays_with_turnover():
    p = {"cost_per_worker": 100.0, "rounds_per_year": 1, "turnover_per_year": 0.5,
         "participants": "all"}
    model = run(city({"cross_sector_training": p}))
    t = mechanism(model, "cross_sector_training")
    assert spend(model, "cross_sector_training") == pytest.approx(100.0 * t.workers_trained)
    assert (t.trained_share < p_target(model)).all()


def p_target(model):
    return mechanism(model, "cross_sector_training").params.target_share + 1e-12


# -- PPP quota ---------------------------------------------------------------------------------
def _marginalised_share_in_private(model) -> float:
    day_care = model.orgs.index("day_care")
    served, marginalised = 0, 0
    for _ in range(model.params.time.steps):
        model.step()
        fam = model.book.cases.family[model.book.cases.org == day_care]
        served += len(fam)
        marginalised += int(model.pop.marginalised[fam].sum())
    return marginalised / served


def test_quota_raises_marginalised_share_of_private_places_and_pays_subsidy():
    without = CoordinationModel(city(), check=True)
    quota = CoordinationModel(city({"ppp_quota": {"quota_share": 0.4,
                                                  "subsidy_per_child_per_week": 3.0}}), check=True)
    assert _marginalised_share_in_private(quota) > _marginalised_share_in_private(without) + 0.05
    assert spend(quota, "ppp_quota") > 0
    assert spend(quota, "ppp_quota") % 3.0 == pytest.approx(0.0, abs=1e-6)


# -- community network -------------------------------------------------------------------------
def test_community_network_raises_awareness_where_it_works_and_costs_time():
    p = {"neighbourhoods": [0], "volunteers_per_neighbourhood": 5, "volunteer_hours_per_week": 2.0,
         "volunteer_hour_value": 3.0, "experts": 3, "expert_cost_per_year": 520.0}
    without, network = run(city()), run(city({"community_network": p}))
    inside = network.pop.neighbourhood == 0
    assert network.pop.awareness[inside].mean() > without.pop.awareness[inside].mean() + 0.05
    assert network.pop.awareness[~inside].mean() == pytest.approx(
        without.pop.awareness[~inside].mean(), abs=0.05)
    expected = (5 * 2.0 * 3.0 + 3 * 520.0 / WEEKS_PER_YEAR) * WEEKS
    assert spend(network, "community_network") == pytest.approx(expected)


# -- presets -----------------------------------------------------------------------------------
@pytest.mark.parametrize("preset", list(PRESETS))
def test_every_preset_runs_and_only_silos_is_free(preset):
    model = CoordinationModel(small_base(families=1500, years=0.75,
                                         **{"coordination.model": preset}), check=True)
    model.run()
    cost = model.summary()["coordination_cost"]
    assert cost == 0.0 if preset == "silos" else cost > 0.0


def test_platform_does_not_add_money():
    """Funding and integration are separate levers: hubs change no organisation's budget."""
    silos = CoordinationModel(city())
    hubs = CoordinationModel(city({"integrated_platform": {}}))
    for _ in range(30):
        silos.step()
        hubs.step()
    assert silos.ledger.appropriated == hubs.ledger.appropriated


def test_mechanism_keys_are_validated():
    from sim.scenario.loading import ConfigError

    with pytest.raises(ConfigError, match="coordination.council.members"):
        city({"council": {"members": ["nobody"]}})
    with pytest.raises(ConfigError, match="coordination.integrated_platform.hubs"):
        city({"integrated_platform": {"hubs": [99]}})
    with pytest.raises(ConfigError, match="coordination.council.meetings_per_year"):
        city({"council": {"meetings_per_year": -1}})
    with pytest.raises(ConfigError, match="coordination.council.colour"):
        city({"council": {"colour": "red"}})


def test_preset_parameters_can_be_overridden():
    scenario = small_base(**{"coordination.model": "council",
                             "coordination.council.meetings_per_year": 2})
    assert scenario.coordination.council.meetings_per_year == 2
    assert scenario.coordination.pooled_budget is None
    off = small_base(**{"coordination.model": "full_integration",
                        "coordination.council.enabled": "false"})
    assert "council" not in [b.kind for b in off.coordination.mechanisms()]
    assert np.isfinite(off.coordination.integrated_platform.running_cost_per_hub_per_year)
