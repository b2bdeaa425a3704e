"""More than one kind of disadvantage (``groups:``) and the age at which children leave the model
(``city.age_out_years``): what each changes, the metrics by group, and the one-line errors."""

from __future__ import annotations

import numpy as np
import pytest

from sim.core.model import CoordinationModel
from sim.core.phases.needs import weekly_need_probability
from sim.errors import ConfigError
from sim.scenario.loading import load_scenario
from tests.conftest import BASE, small_base


def group(name: str, **keys) -> list[str]:
    """``--set`` lines of one group (both shares 0 unless given)."""
    keys = {"share_marginalised": 0.0, "share_other": 0.0, **keys}
    return [f"groups.{name}.{k}={v}" for k, v in keys.items()]


def run(scenario) -> CoordinationModel:
    model = CoordinationModel(scenario, check=True)
    model.run()
    return model


def test_without_groups_a_familys_class_is_its_marginalised_flag():
    model = CoordinationModel(small_base(families=500))
    assert model.pop.groups.names == [] and model.pop.groups.n_classes == 2
    assert np.array_equal(model.pop.family_class, model.pop.marginalised.astype(np.int64))
    assert not any(name.startswith("group_") for name in model.summary())


def test_groups_are_drawn_with_their_share_among_marginalised_and_other_families():
    scenario = load_scenario(BASE, ["city.families=20000", *group(
        "migrant", share_marginalised=0.4, share_other=0.1)])
    pop = CoordinationModel(scenario).pop
    migrant = pop.groups.bits == 1
    assert migrant[pop.marginalised].mean() == pytest.approx(0.4, abs=0.03)
    assert migrant[~pop.marginalised].mean() == pytest.approx(0.1, abs=0.02)
    assert np.array_equal(pop.family_class, pop.marginalised + 2 * migrant)


def test_a_need_multiplier_multiplies_the_weekly_hazard_of_its_sector_only():
    model = CoordinationModel(small_base(**dict(s.split("=") for s in group(
        "disability", share_marginalised=0.5, share_other=0.5,
        **{"need_multiplier.health": 2.0}))))
    pop = model.pop
    health, nutrition = model.sector_names.index("health"), model.sector_names.index("nutrition")
    disabled = np.flatnonzero(pop.groups.bits == 1)
    assert len(disabled) > 0
    pairs = {s: disabled[:50] * pop.n_sectors + s for s in (health, nutrition)}
    with_group = {s: weekly_need_probability(model, p) for s, p in pairs.items()}
    pop.groups.need_factor = None  # the same families without the group's multiplier
    for sector, factor in ((health, 2.0), (nutrition, 1.0)):
        rate = -np.log1p(-weekly_need_probability(model, pairs[sector]))
        assert np.allclose(-np.log1p(-with_group[sector]), factor * rate)


def test_a_group_not_entitled_to_a_sector_is_never_served_in_it_and_is_turned_away():
    scenario = small_base(**dict(s.split("=") for s in group(
        "undocumented", share_marginalised=0.5, share_other=0.5,
        not_eligible="[social_protection]")))
    model = CoordinationModel(scenario, check=True)
    sector = model.sector_names.index("social_protection")
    undocumented = model.pop.groups.bits == 1
    served = np.zeros(model.pop.n, dtype=bool)
    while model.running:
        model.step()
        cases = model.book.cases
        served[cases.family[cases.sector == sector]] = True
    assert served[~undocumented].any()
    assert not served[undocumented].any()
    assert model.ledger.refused_at_intake > 0
    summary = model.summary()
    assert summary["group_coverage.undocumented"] < summary["coverage"]


def test_an_intake_barrier_and_a_lower_chance_to_seek_lower_the_groups_coverage():
    common = {"share_marginalised": 0.5, "share_other": 0.5}
    easy = run(small_base(**dict(s.split("=") for s in group("language", **common)))).summary()
    hard = run(small_base(**dict(s.split("=") for s in group(
        "language", intake_barrier=0.6, seek_factor=0.5, **common)))).summary()
    assert hard["group_coverage.language"] < easy["group_coverage.language"] - 0.05
    assert easy["group_coverage.language"] == pytest.approx(easy["coverage"], abs=0.05)


def test_a_group_equal_to_the_marginalised_flag_has_their_coverage():
    summary = run(small_base(years=2.5, **dict(s.split("=") for s in group(
        "poor", share_marginalised=1.0, share_other=0.0)))).summary()
    assert np.isfinite(summary["group_full_package.poor"])
    assert summary["group_coverage.poor"] == summary["coverage_marginalised"]
    assert summary["group_coverage.poor.marginalised"] == summary["coverage_marginalised"]
    assert summary["group_full_package.poor"] == summary["full_package_share_marginalised"]


def test_groups_change_nothing_else_when_they_change_nothing():
    """A group with no effect leaves every metric that is not per group as it was (its own
    stream draws the groups; no other draw moves)."""
    plain = run(small_base()).summary()
    inert = run(small_base(**dict(s.split("=") for s in group(
        "migrant", share_marginalised=0.3, share_other=0.1)))).summary()
    assert {k: v for k, v in inert.items() if not k.startswith("group_")} == pytest.approx(
        plain, nan_ok=True)


@pytest.mark.parametrize("sets, words", [
    (group("migrant", **{"need_multiplier.housing": 2.0}),
     "groups.migrant.need_multiplier: 'housing' is not a sector"),
    (group("migrant", not_eligible="[shelter]"), "groups.migrant.not_eligible: 'shelter'"),
    (group("marginalised"), "the marginalised flag is built in"),
    ([line for g in "abcdefg" for line in group(g)], "at most 6 kinds of disadvantage"),
    (group("migrant", seek_factor=1.5), "groups.migrant.seek_factor"),
    (["sectors.health.ages=[0,15]"], "sectors.health.ages: 15 is above city.age_out_years (13"),
])
def test_bad_groups_and_ages_are_refused_in_one_line(sets, words):
    with pytest.raises(ConfigError) as err:
        load_scenario(BASE, sets)
    assert words in str(err.value)
    assert "\n" not in str(err.value)


def test_children_stay_until_the_age_out_the_scenario_sets():
    scenario = small_base(families=800, years=2, **{
        "city.age_out_years": 18, "sectors.child_protection.ages": "[0,18]"})
    model = CoordinationModel(scenario, check=True)
    assert model.pop.children.age_out == 18 * 52
    teenagers = 0
    while model.running:
        model.step()
        ages = model.pop.children.ages(np.arange(model.pop.n), model.week)
        live = model.pop.children.birth_week < 2**30
        assert (ages[live] <= 18 * 52).all()
        teenagers = max(teenagers, int(((ages >= 13 * 52) & live).sum()))
    assert teenagers > 0
    sector = model.sector_names.index("child_protection")
    band = model.pop.children.band_count[:, sector]
    assert band.max() >= 1
