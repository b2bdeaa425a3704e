"""Behaviours added for the case library (issue 21), all options of the council and off by
default: a yearly focus theme (Sion's observatory), working groups between plenaries (Sion) and
progress reviews with a monitoring partner (Spain's university). Each test runs the small city of
tests/test_mechanisms.py on a common seed."""

from __future__ import annotations

import math

import pytest

from sim.core.model import CoordinationModel
from sim.errors import ConfigError
from sim.scenario.schema import WEEKS_PER_YEAR
from tests.test_mechanisms import WEEKS, city, mechanism, run, spend

START = 20  # the council starts in week 20 of the run and makes its first plan at once
COUNCIL = {"members": "all", "start_week": START, "planning_shift": 0.5, "budget_shift": 0.1}


def first_plan(**council):
    """The council and the plan it makes at its start."""
    model = CoordinationModel(city({"council": COUNCIL | council}), check=True)
    model.run(START + 1)
    made = mechanism(model, "council")
    return model, made, made.pending[0]


def test_a_focus_theme_moves_the_plan_toward_its_sector():
    model, _, plain = first_plan()
    health = model.params.sector_names.index("health")
    education = list(model.params.organisations).index("education_dept")
    health_dept = list(model.params.organisations).index("health_dept")
    _, council, on_learning = first_plan(focus_theme="early_learning", focus_weight=5.0)
    _, _, on_health = first_plan(focus_theme="health", focus_weight=5.0)
    assert council.theme == 1 - health  # the other of the two sectors
    assert on_learning.budget[education] > plain.budget[education]
    assert on_health.budget[health_dept] > plain.budget[health_dept]
    assert on_learning.outreach[education] >= plain.outreach[education]


def test_a_rotating_theme_takes_the_sectors_in_turn():
    model, council, _ = first_plan(focus_theme="rotate")
    assert [council.focus(model, year) for year in range(4)] == [0, 1, 0, 1]
    _, plain, _ = first_plan()
    assert plain.theme is None and plain.focus(model, 3) is None


def test_an_unknown_theme_is_refused_naming_the_key():
    with pytest.raises(ConfigError, match=r"coordination\.council\.focus_theme: unknown sector "
                                          r"'nutrition' \(expected one of: health, early_learning, "
                                          r"rotate\)"):
        city({"council": {"focus_theme": "nutrition"}})


def test_working_groups_cut_the_size_penalty_at_the_cost_of_their_meetings():
    big = {"members": "all", "representatives_per_member": 5}  # 4 members x 5 = 20 people
    plenary = run(city({"council": big}))
    groups = run(city({"council": big | {"working_groups": 4}}))
    alone, split = mechanism(plenary, "council"), mechanism(groups, "council")
    assert (alone.n, split.n, split.group_size) == (20, 20, 5)
    assert split.effectiveness(groups) > alone.effectiveness(plenary)
    # six working-group meetings a year, every one of the 20 people in one, 8 hours at 15
    group_weeks = sum(1 for t in range(WEEKS) if int(t * 6 // 52) != int((t - 1) * 6 // 52))
    extra = spend(groups, "council") - spend(plenary, "council")
    assert extra == pytest.approx(group_weeks * 20 * 8 * 15)
    eight = run(city({"council": {"members": "all", "representatives_per_member": 2,
                                  "working_groups": 3}}))
    assert mechanism(eight, "council").group_size == math.ceil(8 / 3)  # the largest of 3 groups


def test_reviews_revise_the_plan_within_the_year_and_cost_the_monitoring():
    yearly = run(city({"council": {"members": "all"}}))
    reviewed = run(city({"council": {"members": "all", "reviews_per_year": 1,
                                      "monitoring_cost_per_year": 5200.0}}))
    years = WEEKS // WEEKS_PER_YEAR
    assert mechanism(yearly, "council").plans == years
    assert mechanism(reviewed, "council").plans == 2 * years  # the plan and one review a year
    assert spend(reviewed, "council") - spend(yearly, "council") == pytest.approx(5200.0 * years)
