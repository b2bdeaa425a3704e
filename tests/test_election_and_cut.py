"""The acceptance scenario of "Coordination that has to survive": an election in year 2 and a
budget cut in year 3 run together, and the time series show the pause, the cut and the recovery."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from sim.core.model import CoordinationModel
from sim.experiments.single_run import run_summary
from sim.scenario.loading import load_scenario

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "election_and_cut.yaml"


def test_election_pause_cut_and_recovery_show_in_the_time_series():
    scenario = load_scenario(SCENARIO, ["city.families=2000"])
    model = CoordinationModel(scenario, check=True)
    model.run()
    ts = model.timeseries()
    warmup = scenario.time.warmup_weeks
    week = ts["week"].to_numpy()
    election = warmup + scenario.politics.first_election_week
    cut = scenario.shocks[0]
    cut_on = (week >= warmup + cut.week) & (week < warmup + cut.week + cut.weeks)
    # the election changes the administration and pauses the council's meetings for a while
    paused = ts["politics.council_paused"].to_numpy() == 1
    assert paused.any() and week[paused].min() == election
    assert week[paused].max() < election + scenario.politics.council_pause_weeks
    assert (ts.loc[week >= election, "politics.administration"] >= 1).all()
    # the cut is in effect in its weeks only, and the yearly budgets drop by at least its share
    # (the donor's term ends the same week, so its NGOs' budgets go too)
    assert np.array_equal(ts["shocks.in_effect"].to_numpy() == 1, cut_on)
    budgets = ts["shocks.yearly_budgets"].to_numpy()
    before, during = budgets[np.flatnonzero(cut_on)[0] - 1], budgets[cut_on]
    assert during[0] / before <= 1 - cut.share + 1e-9
    assert budgets[~cut_on & (week > warmup + cut.week)].min() > during.max()
    # the weekly rolling coverage is measured throughout, and the summary tells the recovery
    rolling = ts.loc[week >= warmup + 60, "coverage_13w"].to_numpy()
    assert np.isfinite(rolling).all()
    summary = run_summary(model)
    assert math.isfinite(summary["resilience.dip_depth"])
    assert "resilience.weeks_to_recover" in summary
