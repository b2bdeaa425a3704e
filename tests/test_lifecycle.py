"""Mechanisms as programmes: a start date, an end date and a payer (docs/model.md, "Every
mechanism: start, end and who pays"). Each behaviour is tested in a pair, so that an empty
implementation fails one side."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.core.model import CoordinationModel
from sim.errors import ConfigError
from tests.test_mechanisms import city, mechanism, spend

WARMUP, START = 8, 20  # a measured run starting at model week 8; the mechanism at model week 28


def dated(coordination: dict | None = None, **changes) -> CoordinationModel:
    scenario = city(coordination, time={"years": 1.5, "warmup_weeks": WARMUP}, **changes)
    model = CoordinationModel(scenario, check=True)
    model.run()
    return model


def frame(model) -> pd.DataFrame:
    return model.timeseries().set_index("week")


def test_before_its_start_a_mechanism_leaves_the_run_identical_to_silos_and_after_it_acts():
    hubs = {"integrated_platform": {"start_week": START, "hubs": 2, "ramp_up_weeks": 4}}
    silos, late = frame(dated()), frame(dated(hubs))
    before = slice(None, WARMUP + START - 1)
    shared = [c for c in silos.columns if c in late.columns]
    pd.testing.assert_frame_equal(silos.loc[before, shared], late.loc[before, shared])
    assert (late.loc[before, "coordination_cost"] == 0).all()
    assert (late.loc[before, "strength.integrated_platform"] == 0).all()
    after = late.loc[WARMUP + START:]
    ramp = after["strength.integrated_platform"].to_numpy()
    assert ramp[0] == pytest.approx(0.25) and ramp[3:].min() == 1.0  # ramps up over 4 weeks
    assert after["coordination_cost"].iloc[-1] > 0
    assert not np.allclose(silos.loc[WARMUP + START:, "referral_completion"].to_numpy(),
                           after["referral_completion"].to_numpy())


def test_set_up_cost_is_paid_at_the_start_and_not_before():
    registry = {"shared_registry": {"start_week": START, "setup_cost": 5000.0,
                                    "maintenance_per_year": 0.0, "cost_per_record": 0.0}}
    ts = frame(dated(registry))
    assert ts.loc[WARMUP + START - 1, "coordination_cost"] == 0
    assert ts.loc[WARMUP + START, "coordination_cost"] == pytest.approx(5000.0)


@pytest.mark.slow
def test_ramp_up_counts_from_the_start_not_from_the_first_week_of_the_run():
    hubs = {"hubs": 2, "ramp_up_weeks": 10}
    early = mechanism(dated({"integrated_platform": {**hubs, "start_week": -WARMUP}}),
                      "integrated_platform")
    late_model = dated({"integrated_platform": {**hubs, "start_week": START}})
    late = mechanism(late_model, "integrated_platform")
    late_model.week = late.start_at + 4
    assert late.strength(late_model) == pytest.approx(0.5)
    late_model.week = late.start_at + 20
    assert late.strength(late_model) == 1.0
    assert early.start_at == 0 and late.start_at == WARMUP + START


def test_end_week_withdraws_the_mechanism_and_its_levers():
    quota = {"ppp_quota": {"end_week": START, "fee_waiver": 1.0}}
    ended, kept = dated(quota), dated({"ppp_quota": {"fee_waiver": 1.0}})
    day_care = ended.orgs.index("day_care")
    assert kept.orgs.fee_marginalised[day_care] == 0.0  # waived while it runs
    assert ended.orgs.fee_marginalised[day_care] == ended.orgs.fee[day_care]  # back after the end
    assert ended.orgs.quota_share[day_care] == 0.0 < kept.orgs.quota_share[day_care]
    ts = frame(ended)
    assert (ts.loc[WARMUP + START:, "strength.ppp_quota"] == 0).all()
    assert ts.loc[WARMUP + START - 1, "strength.ppp_quota"] == 1


def _budgets_and_cost(paid_by: str):
    # a focal point with no effect: its salaries are its only trace
    focal = {"focal_point": {"team_size": 2, "salary_per_year": 52_000.0, "support": 0.0,
                             "follow_up": 0.0, "turnover_per_year": 0.0, "paid_by": paid_by}}
    no_lapse = {"funding": {"budget_per_year": 400_000, "lapse_at_year_end": False}}
    model = dated(focal, organisations={"health_dept": no_lapse})
    return model, model.orgs.budget.copy(), spend(model, "focal_point")


def test_the_payer_budget_falls_by_the_cost_and_an_outside_funder_leaves_budgets_alone():
    silos = dated(organisations={"health_dept": {"funding": {"lapse_at_year_end": False}}})
    funder, funder_budget, _ = _budgets_and_cost("funder")
    payer, payer_budget, cost = _budgets_and_cost("health_dept")
    health = payer.orgs.index("health_dept")
    np.testing.assert_array_equal(funder_budget, silos.orgs.budget)
    # paid every week since its start (the run's first week, by default), less what is still
    # owed; counted in the cost of the measured weeks only
    owed = payer.orgs.coordination_due[health]
    paid = silos.orgs.budget[health] - payer_budget[health]
    assert paid == pytest.approx(2 * 52_000.0 / 52 * payer.week - owed)
    assert payer.orgs.coordination_paid[health] == pytest.approx(paid)
    assert cost == pytest.approx(2 * 52_000.0 / 52 * (payer.week - WARMUP))
    assert payer.summary()["coordination_cost_from_budgets"] == pytest.approx(cost)
    assert funder.summary()["coordination_cost_from_budgets"] == 0.0
    others = np.arange(payer.orgs.size) != health
    np.testing.assert_array_equal(payer_budget[others], silos.orgs.budget[others])


@pytest.mark.slow
def test_members_pay_pro_rata_to_their_yearly_budgets():
    council = {"council": {"members": ["health_dept", "ngo"], "meetings_per_year": 0,
                           "secretariat_per_member_per_year": 26_000.0,
                           "paid_by": "members"}}  # 52,000 a year for two members
    model = dated(council)
    health, ngo = model.orgs.index("health_dept"), model.orgs.index("ngo")
    paid = model.orgs.coordination_paid + model.orgs.coordination_due
    assert paid.sum() == pytest.approx(52_000.0 / 52 * model.week)  # from the run's first week
    assert paid[health] / paid[ngo] == pytest.approx(400_000 / 150_000)
    assert paid[[model.orgs.index("education_dept"), model.orgs.index("day_care")]].tolist() == [0, 0]


@pytest.mark.parametrize("block, message", [
    ({"focal_point": {"paid_by": "members"}}, "focal_point.paid_by: this mechanism has no members"),
    ({"ppp_quota": {"paid_by": "members"}}, "ppp_quota.paid_by: 'members' names no department"),
    ({"council": {"paid_by": "mayor"}}, "council.paid_by: unknown organisation 'mayor'"),
    ({"council": {"start_week": -9}}, "council.start_week: -9 is before the run begins"),
    ({"council": {"start_week": 5, "end_week": 5}}, "council.end_week: 5 must be after start_week"),
])
def test_bad_dates_and_payers_are_refused_naming_the_key(block, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        city(block, time={"years": 1, "warmup_weeks": WARMUP})


@pytest.mark.slow
def test_the_workshop_chart_marks_a_late_start_and_not_a_start_with_measurement():
    from sim.app.charts import mechanism_starts

    late = dated({"integrated_platform": {"start_week": START}, "council": {}})
    assert mechanism_starts(late) == [("integrated platform", WARMUP + START)]
    assert mechanism_starts(dated({"council": {}})) == []
