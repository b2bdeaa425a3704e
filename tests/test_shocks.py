"""Shocks (sim/core/shocks.py): each kind changes what it should, in its weeks only; a shock after
the horizon changes nothing; bad shocks get one-line errors; the resilience measures read a dip."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from sim.core.metrics import WEEKLY_METRICS
from sim.core.model import CoordinationModel
from sim.errors import ConfigError
from sim.experiments import resilience
from sim.scenario.loading import load_scenario
from tests.conftest import BASE, ROOT, small_base
from tests.test_model_doc import rows, section

WARMUP = 13  # small_base's warm-up
START, WEEKS = 10, 20  # a shock's week on the shocks' clock, and how long it lasts
FIRST, END = WARMUP + START, WARMUP + START + WEEKS  # its model weeks: [FIRST, END)


def shocked(shock: str, **overrides):
    return small_base(**{"shocks": f"[{{{shock}}}]", **overrides})


def trace(scenario, read) -> list:
    """``read(model)`` after every step of a run of ``scenario``."""
    model = CoordinationModel(scenario, check=True)
    out = []
    for _ in range(scenario.time.steps):
        model.step()
        out.append(read(model))
    return out


def test_budget_cut_lowers_the_money_arriving_in_its_weeks_only():
    arrived = lambda m: m.orgs.arrived.copy()  # noqa: E731
    plain = np.array(trace(small_base(), arrived))
    cut = np.array(trace(shocked(f"kind: budget_cut, week: {START}, share: 0.25, weeks: {WEEKS}, "
                                 "sectors: [health]"), arrived))
    model = CoordinationModel(small_base())
    health = model.orgs.serves[:, model.sector_names.index("health")]
    during = np.zeros(len(plain), dtype=bool)
    during[FIRST:END] = True
    assert plain[during][:, health].sum() > 0  # some health money arrives in the cut's weeks
    np.testing.assert_allclose(cut[during][:, health], 0.75 * plain[during][:, health])
    np.testing.assert_array_equal(cut[during][:, ~health], plain[during][:, ~health])
    np.testing.assert_array_equal(cut[~during], plain[~during])


def test_site_closure_removes_the_places_and_access_at_its_sites_while_closed():
    scenario = shocked(f"kind: site_closure, week: {START}, organisation: health_department, "
                       f"weeks: {WEEKS}")
    model = CoordinationModel(scenario, check=True)
    org = model.orgs.index("health_department")
    places, sites, access = model.orgs.capacity[org], model.orgs.site[org].copy(), model.access.copy()
    model.run(FIRST + 1)
    assert model.orgs.capacity[org] == 0 and not model.orgs.site[org].any()
    assert (model.access[:, :, org] == 0).all()
    model.run(END - FIRST)
    assert model.orgs.capacity[org] == places
    np.testing.assert_array_equal(model.orgs.site[org], sites)
    np.testing.assert_array_equal(model.access, access)


def test_closing_some_sites_removes_their_share_of_places():
    model = CoordinationModel(small_base())
    org = model.orgs.index("health_department")
    sites = np.flatnonzero(model.orgs.site[org])
    closed = sites[:2].tolist()
    scenario = shocked(f"kind: site_closure, week: {START}, organisation: health_department, "
                       f"sites: {closed}")
    model = CoordinationModel(scenario)
    places = model.orgs.capacity[org]
    model.run(FIRST + 1)
    assert model.orgs.capacity[org] == round(places * (len(sites) - 2) / len(sites))
    assert not model.orgs.site[org, closed].any() and model.orgs.site[org, sites[2:]].all()
    assert (model.orgs.distance_km[closed, org] > 0.7).all()  # the nearest open site is elsewhere


def test_need_surge_raises_the_needs_started_in_its_sector_in_its_weeks():
    started = lambda m: m.ledger.episodes_started.sum(axis=1).copy()  # noqa: E731
    plain = np.diff(np.array(trace(small_base(), started)), axis=0, prepend=0)
    surge = np.diff(np.array(trace(shocked(f"kind: need_surge, week: {START}, sector: health, "
                                           f"size: 3.0, weeks: {WEEKS}"), started)),
                    axis=0, prepend=0)
    np.testing.assert_array_equal(surge[:FIRST], plain[:FIRST])  # nothing changes before it
    health = CoordinationModel(small_base()).sector_names.index("health")
    assert surge[FIRST:END, health].sum() > 1.8 * plain[FIRST:END, health].sum()
    assert surge[END:, health].sum() < 1.3 * plain[END:, health].sum()  # over when it ends


def test_arriving_families_are_absent_before_their_week_and_present_from_it():
    scenario = shocked(f"kind: family_arrival, week: {START}, families: 1000, "
                       "marginalised_share: 0.5, mean_children: 2.0")
    children = lambda m: m.pop.children.count  # noqa: E731
    plain, arrived = trace(small_base(), children), trace(scenario, children)
    assert arrived[:FIRST] == plain[:FIRST]
    assert arrived[FIRST] > plain[FIRST] + 150  # 1000 x 1500 / 10000 families, 1-4 children each
    model = CoordinationModel(scenario)
    newcomers = model.pop.extra_index
    assert model.pop.n == 1500 + 150 and len(newcomers) == 150
    assert (np.diff(model.pop.neighbourhood) >= 0).all()  # still sorted by neighbourhood
    model.run(FIRST)
    assert (model.pop.children.birth_week[newcomers] == 2**30).all()  # no child yet
    assert not model.pop.active[newcomers].any() and model.pop.last_sought[newcomers].max() < 0
    model.run(30)
    assert model.pop.active[newcomers].any()  # their needs arise once they are here


def test_arrivals_leave_the_weeks_before_them_as_they_were():
    scenario = shocked(f"kind: family_arrival, week: {START}, families: 1000, "
                       "marginalised_share: 0.5")
    before = CoordinationModel(small_base())
    before.run(FIRST)
    after = CoordinationModel(scenario)
    after.run(FIRST)
    shocks = [c for c in after.timeseries() if c.startswith("shocks.")]  # its own columns
    assert shocks
    pd.testing.assert_frame_equal(before.timeseries(), after.timeseries().drop(columns=shocks))


@pytest.mark.parametrize("shock", [
    "kind: budget_cut, share: 0.5",
    "kind: site_closure, organisation: health_department",
    "kind: need_surge, sector: health, size: 2.0, weeks: 5",
    "kind: family_arrival, families: 500, marginalised_share: 0.9",
])
def test_a_shock_after_the_horizon_changes_nothing(shock):
    plain = CoordinationModel(small_base())
    plain.run()
    late = CoordinationModel(shocked(f"{shock}, week: 78"))  # measured weeks: 0..77
    late.run()
    assert json.dumps(late.summary()) == json.dumps(plain.summary())
    pd.testing.assert_frame_equal(late.timeseries(), plain.timeseries())
    inside = CoordinationModel(shocked(f"{shock}, week: 5"))
    inside.run()
    assert json.dumps(inside.summary()) != json.dumps(plain.summary())


@pytest.mark.parametrize(("shock", "expected"), [
    ("kind: budget_cut, week: 1, share: 1.5", "shocks.0.share: Input should be less than or equal to 1"),
    ("kind: budget_cut, week: 1, share: 0", "shocks.0.share: Input should be greater than 0"),
    ("kind: budget_cut, week: 1, share: 0.2, sectors: [helth]", "shocks.0.sectors: unknown sector 'helth'"),
    ("kind: budget_cut, week: 1, share: 0.2, organisations: [nobody]",
     "shocks.0.organisations: unknown organisation 'nobody'"),
    ("kind: budget_cut, week: -14, share: 0.2", "shocks.0.week: -14 is before the run begins"),
    ("kind: site_closure, week: 1, organisation: town_hall", "shocks.0.organisation: unknown organisation"),
    ("kind: site_closure, week: 1, organisation: health_department, sites: [15]",
     "shocks.0.sites: neighbourhood 15 does not exist"),
    ("kind: need_surge, week: 1, sector: early_learning, size: 2, weeks: 4",
     "shocks.0.sector: 'early_learning' has no need rate"),
    ("kind: need_surge, week: 1, sector: health, size: 2", "shocks.0.weeks: required key is missing"),
    ("kind: family_arrival, week: 1, families: 10, marginalised_share: 2",
     "shocks.0.marginalised_share: Input should be less than or equal to 1"),
    ("kind: family_arrival, week: 1, families: 10, marginalised_share: 0.5, colour: red",
     "shocks.0.colour: unknown key"),
    ("kind: earthquake, week: 1", "shocks.0: expected kind: budget_cut, site_closure"),
])
def test_bad_shocks_get_one_line_naming_the_key(shock, expected, tmp_path):
    path = tmp_path / "shocked.yaml"
    path.write_text(f"extends: {BASE}\ntime: {{warmup_weeks: 13}}\nshocks:\n  - {{{shock}}}\n")
    with pytest.raises(ConfigError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: {expected}") and "\n" not in message, message


def test_rolling_coverage_is_the_cohort_of_the_last_13_start_weeks():
    model = CoordinationModel(small_base(years=2))
    cohort = []
    for _ in range(model.params.time.steps):
        model.step()
        cohort.append((model.ledger.cohort_started[:, 1].sum(), model.ledger.cohort_served[:, 1].sum()))
    cohort = np.array(cohort)
    window = cohort[13:] - cohort[:-13]
    with np.errstate(invalid="ignore"):  # no cohort yet in the first weeks
        expected = window[:, 1] / window[:, 0]
    rolling = model.timeseries()["coverage_13w_marginalised"].to_numpy()[13:]
    known = np.isfinite(rolling)
    assert known.sum() > 30
    np.testing.assert_allclose(rolling[known], expected[known])
    assert set(model.timeseries()) >= {m.name for m in WEEKLY_METRICS}
    assert not set(model.summary()) & {m.name for m in WEEKLY_METRICS}  # time series only


def synthetic(level: list[float], gap: list[float]) -> tuple[pd.Series, pd.Series]:
    return pd.Series(level, dtype=float), pd.Series(gap, dtype=float)


def test_resilience_reads_a_known_dip_and_recovery():
    # 0.50 until week 39, down to 0.30 in week 50, back by 0.02 a week from week 51
    level = [0.5] * 40 + [0.5 - 0.02 * k for k in range(1, 11)] + [0.3 + 0.02 * k for k in range(1, 30)]
    gap = [0.10] * 40 + [0.20] * 31 + [0.10] * 8
    out = resilience.resilience(*synthetic(level, gap), first=40, last=70)
    assert out["pre_shock_level"] == 0.5 and out["lowest_level"] == pytest.approx(0.3)
    assert out["lowest_week"] == 49 and out["dip_depth"] == pytest.approx(0.2)
    # back within a point (>= 0.49) when 0.30 + 0.02 k >= 0.49: k = 10, week 59, 19 weeks after 40
    assert out["weeks_to_recover"] == 19 and out["recovered"] == 1
    assert out["equity_gap_before"] == pytest.approx(0.1)
    assert out["equity_gap_during"] == pytest.approx(0.2)


def test_resilience_says_not_recovered_when_the_level_stays_low():
    level = [0.5] * 40 + [0.3] * 40
    out = resilience.resilience(*synthetic(level, [0.1] * 80), first=40, last=79)
    assert out["dip_depth"] == pytest.approx(0.2) and out["recovered"] == 0
    assert math.isnan(out["weeks_to_recover"])
    summary = {f"resilience.{k}": v for k, v in out.items()}
    assert "not recovered by the end of the run" in "\n".join(resilience.lines(summary))


def test_the_shock_window_runs_to_the_last_end_plus_the_follow_up():
    scenario = load_scenario(BASE, ["shocks=[{kind: budget_cut, week: 20, share: 0.1, weeks: 10},"
                                    "{kind: need_surge, week: 5, sector: health, size: 2, weeks: 4}]"])
    assert resilience.shock_window(scenario) == (104 + 5, 104 + 30 + 26)
    forever = load_scenario(BASE, ["shocks=[{kind: budget_cut, week: 20, share: 0.1}]"])
    assert resilience.shock_window(forever) == (124, forever.time.steps - 1)
    assert resilience.shock_window(load_scenario(BASE, ["shocks=[{kind: budget_cut, week: 156, "
                                                        "share: 0.1}]"])) is None


def test_sim_run_prints_the_resilience_lines(tmp_path, capsys):
    from sim.cli.main import main

    code = main(["run", str(ROOT / "scenarios" / "shock_budget_cut.yaml"), "--set", "city.families=1500",
                 "--set", "time.warmup_weeks=13", "--years", "1.5", "--out", str(tmp_path / "run")])
    out = capsys.readouterr().out
    assert code == 0 and "Resilience" in out and "a dip of" in out
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert {f"resilience.{m.name}" for m in resilience.MEASURES} <= set(summary)


def test_the_report_compares_how_each_arm_holds_up():
    runs = pd.DataFrame([{"arm": arm, "replication": r,
                          **{f"resilience.{m.name}": 0.1 * (r + 1) for m in resilience.MEASURES}}
                         for arm in ("silos", "council") for r in range(3)])
    text = "\n".join(resilience.report_section(runs))
    assert "## How each way of working holds up under the shocks" in text
    assert "| silos | 20.0% [" in text and "| council |" in text
    assert resilience.report_section(runs.drop(columns="resilience.dip_depth")) == []


def test_weekly_and_resilience_metrics_are_documented():
    table = rows(section("Weekly and resilience metrics"))
    for metric in WEEKLY_METRICS:
        assert table[metric.name]["unit"] == metric.unit, metric.name
    for measure in resilience.MEASURES:
        assert table[f"resilience.{measure.name}"]["unit"] == measure.unit, measure.name


@pytest.mark.parametrize("preset", ["silos", "full_integration"])
def test_every_kind_of_shock_runs_with_every_mechanism(preset):
    shocks = ("[{kind: family_arrival, week: 5, families: 1000, marginalised_share: 0.7},"
              "{kind: budget_cut, week: 10, share: 0.3, weeks: 20},"
              "{kind: site_closure, week: 12, organisation: community_preschool_ngo, weeks: 10},"
              "{kind: need_surge, week: 15, sector: nutrition, size: 2.5, weeks: 8, "
              "neighbourhoods: [0, 1, 2]}]")
    model = CoordinationModel(small_base(families=600, years=1, **{"shocks": shocks,
                                                                  "coordination.model": preset}),
                              check=True)  # the invariants hold every week
    model.run()
    assert model.levers.budget_per_year.factors == {} and model.levers.capacity.factors == {}
