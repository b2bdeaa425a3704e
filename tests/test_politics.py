"""Political cycles, institutionalisation, minimum tenure, and funders' terms (docs/model.md,
"Political cycles, institutionalisation and funders")."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.core.funders import on_books
from sim.core.model import CoordinationModel
from sim.errors import ConfigError
from sim.scenario.funders import FunderParams
from sim.scenario.loading import load_scenario
from sim.scenario.politics import SURVIVAL, PoliticsParams
from tests.conftest import BASE, hand_built, small_base

YEAR = 52


def mechanism(model, name):
    return next(m for m in model.all_mechanisms if m.name == name)


def focal_point_team(**politics):
    """One family, a focal point of 100 officials who all leave within weeks once they may."""
    changes = {"time": {"years": 2},
               "coordination": {"focal_point": {"team_size": 100, "turnover_per_year": 1.0,
                                                "min_tenure_years": 1.0, "vacancy_weeks": 0}}}
    if politics:
        changes["politics"] = politics
    return CoordinationModel(hand_built(**changes))


# ---------------------------------------------------------------- minimum tenure
def test_no_official_leaves_before_the_minimum_tenure_and_they_leave_after_it():
    model = focal_point_team()
    team = mechanism(model, "focal_point")
    model.run(YEAR)
    assert (team.arrival == 0).all()  # a year of 1/52 a week each for 100 officials: nobody left
    model.run(26)
    assert (team.arrival > 0).sum() > 25  # past the minimum, they leave at the turnover rate
    assert (team.arrival[team.arrival > 0] >= YEAR).all()  # and none left before it


def test_a_change_of_administration_respects_the_minimum_tenure():
    before = focal_point_team(first_election_week=10, change_probability=1.0,
                              focal_point_turnover=1.0, survival={"memorandum": 1.0})
    before.run(11)
    assert (mechanism(before, "focal_point").arrival == 0).all()
    after = focal_point_team(first_election_week=60, change_probability=1.0,
                             focal_point_turnover=1.0, survival={"memorandum": 1.0})
    team = mechanism(after, "focal_point")
    after.run(60)
    stayed = team.arrival == 0
    after.step()  # the election: everyone still in post from the start leaves
    assert (team.arrival[stayed] == 60).all() and stayed.any()


def test_without_a_minimum_tenure_the_focal_point_is_unchanged():
    plain = hand_built(time={"years": 1}, coordination={"focal_point": {"team_size": 50}})
    zero = hand_built(time={"years": 1},
                      coordination={"focal_point": {"team_size": 50, "min_tenure_years": 0}})
    a, b = CoordinationModel(plain), CoordinationModel(zero)
    a.run(), b.run()
    assert (mechanism(a, "focal_point").arrival == mechanism(b, "focal_point").arrival).all()
    pd.testing.assert_frame_equal(a.timeseries(), b.timeseries())


# ---------------------------------------------------------------- institutionalisation
def test_a_line_budget_mechanism_survives_a_change_more_often_than_a_project():
    """Fixed seeds; expected survivals of 120 changes: 114 (line budget) and 48 (project)."""
    survived = {"council": 0, "case_conference": 0}
    scenario = hand_built(
        politics={"first_election_week": 1, "change_probability": 1.0},
        coordination={"council": {"institutionalisation": "line_budget"},
                      "case_conference": {"institutionalisation": "project"}})
    for seed in range(120):
        model = CoordinationModel(scenario, seed=seed, organisation_reporters=False)
        model.run(3)
        for name in survived:
            survived[name] += mechanism(model, name).running(model.week)
    assert survived["council"] > survived["case_conference"] + 30
    assert survived["council"] >= 100 and survived["case_conference"] <= 70


def test_the_survival_table_is_ordered_and_a_scenario_may_override_it():
    assert list(SURVIVAL) == ["project", "memorandum", "ordinance", "line_budget"]
    assert sorted(SURVIVAL.values()) == list(SURVIVAL.values())
    scenario = hand_built(politics={"first_election_week": 1, "survival": {"project": 0.0}})
    assert scenario.politics.survival_chance("project") == 0.0
    assert scenario.politics.survival_chance("ordinance") == SURVIVAL["ordinance"]


def test_a_mechanism_that_does_not_survive_stops_as_at_its_end_week():
    scenario = small_base(families=400, years=1, **{
        "coordination.model": "council", "coordination.council.institutionalisation": "project",
        "politics.first_election_week": 10, "politics.change_probability": 1.0,
        "politics.survival.project": 0.0})
    model = CoordinationModel(scenario, check=True)
    model.run()
    council = mechanism(model, "council")
    election = scenario.time.warmup_weeks + 10
    assert council.end_at == election and not council.running(election)
    assert "council" not in model.levers.capacity.additions  # its adjustments withdrawn
    ts = model.timeseries().set_index("week")
    assert ts.loc[election - 1, "strength.council"] == 1 and ts.loc[election, "strength.council"] == 0
    assert ts.loc[election, "politics.mechanisms_ended"] == 1


# ---------------------------------------------------------------- elections and the horizon
def election_run(first_week: int | None, **sets):
    overrides = {"coordination.model": "council+focal_point", **sets}
    if first_week is not None:
        overrides.update({"politics.first_election_week": first_week,
                          "politics.change_probability": 1.0, "politics.budget_change": -0.2,
                          "politics.council_pause_weeks": 20})
    model = CoordinationModel(small_base(families=600, years=1.5, **overrides), check=True)
    model.run()
    return model


def test_an_election_outside_the_horizon_changes_nothing():
    without, outside = election_run(None), election_run(1000)
    assert without.summary() == outside.summary()
    common = list(without.timeseries().columns)
    pd.testing.assert_frame_equal(without.timeseries(), outside.timeseries()[common])
    assert outside.timeseries()["politics.elections"].max() == 0
    assert "politics" not in without.streams._cache and "politics" not in outside.streams._cache


def test_an_election_inside_the_horizon_pauses_the_council_and_changes_budgets():
    model = election_run(20, **{"coordination.council.institutionalisation": "line_budget",
                                "politics.survival.line_budget": 1.0,
                                "coordination.focal_point.institutionalisation": "line_budget"})
    without = election_run(None)
    election = model.params.time.warmup_weeks + 20
    ts = model.timeseries().set_index("week")
    assert ts.loc[election - 1, "politics.administration"] == 0
    assert ts.loc[election, "politics.administration"] == 1
    paused = ts["politics.council_paused"]
    assert paused[paused == 1].index.tolist() == list(range(election, election + 20))
    assert ts.loc[election, "politics.budget_factor"] == pytest.approx(0.8)
    council = mechanism(model, "council")
    assert council.paused_until == election + 20
    departments = np.array([k.value == "department" for k in model.orgs.kind])
    history = dict(model.levers.budget_per_year.history)
    np.testing.assert_allclose(history[election][departments],
                               0.8 * model.levers.budget_per_year.history[0][1][departments])
    np.testing.assert_allclose(history[election][~departments],
                               model.levers.budget_per_year.history[0][1][~departments])
    assert model.summary() != without.summary()


def test_the_council_does_not_meet_while_paused():
    scenario = small_base(families=400, years=1, **{
        "coordination.model": "council", "coordination.council.meetings_per_year": 52,
        "politics.first_election_week": 5, "politics.change_probability": 1.0,
        "politics.survival.memorandum": 1.0, "politics.council_pause_weeks": 8})
    model = CoordinationModel(scenario)
    council = mechanism(model, "council")
    model.run(scenario.time.warmup_weeks + 5)
    met = council.meetings
    model.run(8)
    assert council.meetings == met
    model.run(1)
    assert council.meetings == met + 1


# ---------------------------------------------------------------- funders
def donor_run(term_years: float = 0.5, **sets):
    overrides = {"funders.donor.funds": "[community_nutrition_ngo, community_network]",
                 "funders.donor.term_years": term_years,
                 "funders.donor.renewal_probability": 0.0, "funders.donor.trust_loss": 0.5,
                 "coordination.model": "council", "coordination.community_network.paid_by": "funder",
                 **sets}
    return CoordinationModel(small_base(families=800, years=1, **overrides), check=True)


def test_a_funders_exit_removes_places_and_budget_and_lowers_trust_on_its_books():
    model = donor_run()
    ngo = model.orgs.index("community_nutrition_ngo")
    exit_week = model.params.time.warmup_weeks + 26
    model.run(exit_week)
    books = np.zeros(model.orgs.size, dtype=bool)
    books[ngo] = True
    families = on_books(model, books)
    assert len(families) > 5
    before = model.pop.trust.copy()
    donor = model.events[0].funders[0]
    donor.exit(model)
    assert model.orgs.capacity[ngo] == 0 and model.orgs.budget_per_year[ngo] == 0
    others = np.setdiff1d(np.arange(model.pop.n), families)
    np.testing.assert_allclose(model.pop.trust[families], before[families] * np.float32(0.5))
    assert (model.pop.trust[others] == before[others]).all()
    assert mechanism(model, "community_network").end_at == exit_week


def test_after_a_funders_exit_no_money_arrives_no_case_starts_and_its_mechanism_stops():
    model = donor_run()
    ngo = model.orgs.index("community_nutrition_ngo")
    exit_week = model.params.time.warmup_weeks + 26
    model.run(exit_week)
    arrived = []
    for _ in range(30):
        model.step()
        arrived.append(model.orgs.arrived[ngo])
        assert model.orgs.started_this_week[ngo] == 0
    assert sum(arrived) == 0
    ts = model.timeseries().set_index("week")
    assert ts.loc[exit_week - 1, "funder.donor"] == 1 and ts.loc[exit_week, "funder.donor"] == 0
    assert ts.loc[exit_week, "strength.community_network"] == 0
    assert ts.loc[exit_week - 1, "strength.community_network"] == 1


def test_a_funder_that_renews_changes_nothing():
    renews = donor_run(**{"funders.donor.renewal_probability": 1.0})
    plain = CoordinationModel(small_base(families=800, years=1, **{
        "coordination.model": "council", "coordination.community_network.paid_by": "funder"}),
        check=True)
    renews.run(), plain.run()
    assert renews.summary() == plain.summary()


def test_a_mechanism_whose_funder_exits_before_it_starts_never_starts():
    model = donor_run(**{"coordination.community_network.start_week": 40})
    model.run()
    network = mechanism(model, "community_network")
    assert not network.running(network.start_at)
    assert model.timeseries()["strength.community_network"].max() == 0


# ---------------------------------------------------------------- validation
@pytest.mark.parametrize(("override", "expected"), [
    ("politics.term_years=4", "politics.first_election_week: required key is missing"),
    ("politics.first_election_week=1.5", "politics.first_election_week"),
    ("politics.survival.law=0.5", "politics.survival.law: unknown key"),
    ("politics.change_probability=1.5", "politics.change_probability"),
    ("politics.budget_change=-2", "politics.budget_change"),
    ("coordination.council.institutionalisation=treaty", "coordination.council.institutionalisation"),
    ("coordination.focal_point.min_tenure_years=-1", "coordination.focal_point.min_tenure_years"),
    ("funders.d.funds=[health_department]", "funders.d.funds: 'health_department' is a department"),
    ("funders.d.funds=[nowhere]", "funders.d.funds: 'nowhere' is neither an NGO"),
    ("funders.d.funds=[council]", "funders.d.funds: coordination.council is paid by 'members'"),
    ("funders.d.term_years=0", "funders.d.term_years"),
    ("funders.d.colour=red", "funders.d.colour: unknown key"),
])
def test_bad_politics_and_funders_are_refused_in_one_line_naming_the_key(override, expected):
    sets = [override, "coordination.model=council"]
    if override.startswith("politics.") and "first_election_week" not in override and \
            "term_years" not in override:
        sets.append("politics.first_election_week=10")
    if override.startswith("funders.") and "funds" not in override:
        sets.append("funders.d.funds=[child_rights_ngo]")
    with pytest.raises(ConfigError) as err:
        load_scenario(BASE, sets)
    message = str(err.value)
    assert expected in message and "\n" not in message


def test_two_funders_of_one_ngo_are_refused():
    with pytest.raises(ConfigError, match=r"funders.b.funds: 'child_rights_ngo' is already funded by 'a'"):
        load_scenario(BASE, ["funders.a.funds=[child_rights_ngo]", "funders.b.funds=[child_rights_ngo]"])


# ---------------------------------------------------------------- the documentation
@pytest.mark.parametrize(("model", "prefix"), [(PoliticsParams, "politics."),
                                               (FunderParams, "funders.<name>.")])
def test_every_key_is_in_the_documented_table(model, prefix):
    from tests.test_model_doc import default_matches, rows, section

    table = rows(section("Political cycles, institutionalisation and funders"))
    for name, field in model.model_fields.items():
        key = prefix + name
        assert key in table, f"{key} is not in model.md's table"
        if name != "survival":
            assert default_matches(table[key]["default"], field.default), key
        assert table[key]["source"], key


def test_the_survival_table_is_documented():
    from tests.test_model_doc import rows, section

    table = rows(section("Political cycles, institutionalisation and funders"))
    for level, chance in SURVIVAL.items():
        assert float(table[level]["survival chance"]) == chance, level


def test_dates_before_the_run_keep_their_calendar():
    """An election or a term that began before the run: the later dates fall as they would."""
    scenario = hand_built(time={"years": 2}, politics={"first_election_week": -30, "term_years": 1},
                          funders={"donor": {"funds": ["clinic_b"], "start_week": -70,
                                             "term_years": 1}})
    model = CoordinationModel(scenario)
    politics, funders = model.events
    assert sorted(politics.election_weeks) == [22, 74]
    assert funders.funders[0].term_end == 34
