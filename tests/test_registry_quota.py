"""The shared registry as a programme (registration by contacts and by a drive, eligibility for
auto-enrolment, a cost per record) and the quota's subsidy and the providers' revenue.

Tests come in pairs, so that an implementation that does nothing fails one side."""

from __future__ import annotations

import numpy as np
import pytest

from sim.core.coordination.shared_registry import means_test
from sim.core.model import CoordinationModel
from tests.test_mechanisms import city, mechanism, run, spend

# each mechanism's detailed pairs: in `make test`, not in the quick loop (`-m "not slow"`),
# which keeps one test of each in tests/test_mechanisms.py
pytestmark = pytest.mark.slow


def stepped(scenario, each_week) -> CoordinationModel:
    """Run ``scenario`` week by week, calling ``each_week(model)`` after every step."""
    model = CoordinationModel(scenario, check=True)
    for _ in range(model.params.time.steps):
        model.step()
        each_week(model)
    return model


def on_books(model, org: int) -> np.ndarray:
    """Families on ``org``'s waiting list or in its caseload now."""
    w, c = model.book.waiting, model.book.cases
    return np.concatenate([w.family[w.org == org], c.family[c.org == org]])


# -- registration --------------------------------------------------------------------------------
def test_contacts_with_participants_register_families_and_no_one_else():
    seen = np.zeros(2000, dtype=bool)

    def record(model):
        seen[on_books(model, model.orgs.index("ngo"))] = True

    model = stepped(city({"shared_registry": {"participants": ["ngo"]}}), record)
    registry = mechanism(model, "shared_registry")
    assert registry.registered.any()  # contacts register ...
    assert np.array_equal(registry.registered, seen)  # ... and only contacts with participants
    everyone = run(city({"shared_registry": {"participants": "all"}}))
    assert mechanism(everyone, "shared_registry").registered.sum() > registry.registered.sum()


def test_registration_drive_registers_families_at_its_cost_per_registration():
    p = {"participants": ["ngo"], "setup_cost": 0.0, "maintenance_per_year": 0.0,
         "cost_per_record": 1.0, "cost_per_registration": 4.0}
    contacts = []

    def count(model):
        orgs = model.orgs
        contacts.append(int(orgs.assessed_this_week[orgs.index("ngo")]
                            + orgs.started_this_week[orgs.index("ngo")]))

    without = run(city({"shared_registry": p}))
    drive = stepped(city({"shared_registry": {**p, "registration_drive_per_week": 0.02}}), count)
    off, on = mechanism(without, "shared_registry"), mechanism(drive, "shared_registry")
    assert off.drive_registrations == 0
    assert on.drive_registrations > 0
    assert on.registered.mean() > off.registered.mean() + 0.3
    assert on.records == sum(contacts) + on.drive_registrations
    expected = 1.0 * on.records + 4.0 * on.drive_registrations
    assert spend(drive, "shared_registry") == pytest.approx(expected)


def test_before_its_start_the_registry_registers_no_one():
    model = CoordinationModel(city({"shared_registry": {"start_week": 60,
                                                        "registration_drive_per_week": 0.1}}))
    model.run(59)
    assert not mechanism(model, "shared_registry").registered.any()
    model.run(3)
    assert mechanism(model, "shared_registry").registered.any()


# -- eligibility for auto-enrolment --------------------------------------------------------------
@pytest.mark.parametrize("eligibility", ["marginalised", "means_tested"])
def test_registry_eligibility_only_eligible_families_auto_enrolled_and_some_are(eligibility):
    model = run(city({"shared_registry": {"auto_enrolment": 0.5, "eligibility": eligibility,
                                          "registration_drive_per_week": 0.05}}))
    registry = mechanism(model, "shared_registry")
    rule = model.pop.marginalised if eligibility == "marginalised" else registry.eligible
    enrolled = registry.auto_enrolled
    assert enrolled.any()  # some are ...
    assert not (enrolled & ~(rule & registry.registered)).any()  # ... only eligible, registered ones
    assert registry.applications >= enrolled.sum()


def test_eligibility_all_enrols_families_of_every_kind():
    model = run(city({"shared_registry": {"auto_enrolment": 0.5, "eligibility": "all"}}))
    registry = mechanism(model, "shared_registry")
    marginalised = model.pop.marginalised
    assert (registry.auto_enrolled & marginalised).any()
    assert (registry.auto_enrolled & ~marginalised).any()
    assert not (registry.auto_enrolled & ~registry.registered).any()


def test_means_test_takes_the_poorest_share_with_error():
    rng = np.random.default_rng(3)
    marginalised = rng.random(10_000) < 0.3
    exact = means_test(marginalised, marginalised.mean(), 0.0, np.random.default_rng(1))
    assert np.array_equal(exact, marginalised)  # no error: exactly the marginalised families
    noisy = means_test(marginalised, 0.2, 0.5, np.random.default_rng(1))
    assert noisy.sum() == 2000  # the threshold is the share classed as poor
    assert 0.6 < marginalised[noisy].mean() < 1.0  # mostly, not only, marginalised families
    assert not means_test(marginalised, 0.0, 0.5, np.random.default_rng(1)).any()


# -- auto-enrolment goes through intake and service ----------------------------------------------
def _ngo_registry(**ngo):
    return city({"shared_registry": {"participants": ["ngo"], "auto_enrolment": 1.0,
                                     "registration_drive_per_week": 1.0}},
                organisations={"ngo": ngo} if ngo else {})


def test_auto_enrolled_families_are_served_within_the_participants_capacity():
    ngo_cases = []

    def count(model):
        ngo_cases.append(int((model.book.cases.org == model.orgs.index("ngo")).sum()))

    model = stepped(_ngo_registry(), count)
    assert mechanism(model, "shared_registry").applications > 0
    assert max(ngo_cases) > 0  # they are served ...
    assert max(ngo_cases) <= model.orgs.capacity[model.orgs.index("ngo")]  # ... within capacity


def test_auto_enrolment_takes_no_place_beyond_capacity_or_budget():
    cases, waiting = [], []

    def count(model):
        ngo = model.orgs.index("ngo")
        cases.append(int((model.book.cases.org == ngo).sum()))
        waiting.append(int((model.book.waiting.org == ngo).sum()))

    full = stepped(_ngo_registry(capacity=0), count)
    assert mechanism(full, "shared_registry").applications > 0
    assert max(cases) == 0 and max(waiting) > 0  # assessed, on the list, never a place
    cases.clear(), waiting.clear()
    broke = stepped(_ngo_registry(funding={"budget_per_year": 0.0}), count)
    assert mechanism(broke, "shared_registry").applications > 0
    assert max(cases) == 0 and max(waiting) == 0  # no money for the assessment


# -- quota: subsidy for quota places only, paid to the providers ---------------------------------
def _quota(share: float):
    return city({"ppp_quota": {"quota_share": share, "subsidy_per_child_per_week": 3.0}})


def test_quota_subsidy_only_for_places_that_came_through_the_quota():
    marginalised_weeks, quota_weeks = [], []

    def count(model):
        cases, day_care = model.book.cases, model.orgs.index("day_care")
        here = cases.org == day_care
        marginalised_weeks.append(int(model.pop.marginalised[cases.family[here]].sum()))
        quota_weeks.append(int((here & cases.via_quota).sum()))
        assert model.pop.marginalised[cases.family[cases.via_quota]].all()

    none = stepped(_quota(0.0), count)
    assert sum(marginalised_weeks) > 0  # marginalised families hold places, none by the quota
    assert sum(quota_weeks) == 0 and spend(none, "ppp_quota") == 0.0
    marginalised_weeks.clear(), quota_weeks.clear()
    quota = stepped(_quota(0.4), count)
    assert sum(quota_weeks) > 0
    assert sum(quota_weeks) < sum(marginalised_weeks)
    assert spend(quota, "ppp_quota") == pytest.approx(3.0 * sum(quota_weeks))


def test_quota_subsidy_is_paid_to_the_providers():
    quota, none = run(_quota(0.4)), run(_quota(0.0))
    day_care = quota.orgs.index("day_care")
    paid = quota.ledger.org_subsidy_revenue
    assert paid[day_care] == pytest.approx(spend(quota, "ppp_quota")) and paid[day_care] > 0
    assert np.delete(paid, day_care).sum() == 0.0
    assert not none.ledger.org_subsidy_revenue.any()


# -- fee revenue of private providers ------------------------------------------------------------
def _service_spend(scenario):
    """The model and the day care's service money (its spending less its assessments)."""
    assessed = []

    def count(model):
        assessed.append(int(model.orgs.assessed_this_week[model.orgs.index("day_care")]))

    model = stepped(scenario, count)
    day_care = model.orgs.index("day_care")
    return model, model.ledger.org_spend[day_care] - 5.0 * sum(assessed)


def test_private_providers_earn_fees_per_paid_service_week():
    model, service = _service_spend(city())
    revenue = model.ledger.org_fee_revenue
    day_care = model.orgs.index("day_care")
    assert service > 0
    assert revenue[day_care] == pytest.approx(0.7 * service)  # fee 0.7 x unit cost, every week
    assert np.delete(revenue, day_care).sum() == 0.0  # departments and NGOs charge no fee
    assert model.summary()["provider_fee_revenue"] == pytest.approx(revenue.sum())


def test_a_fee_waiver_removes_marginalised_families_fees():
    model, service = _service_spend(city({"ppp_quota": {"fee_waiver": 1.0}}))
    revenue = model.ledger.org_fee_revenue[model.orgs.index("day_care")]
    assert 0 < revenue < 0.7 * service - 1.0
