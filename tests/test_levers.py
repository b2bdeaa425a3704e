"""Levers compose: each mechanism states its own adjustment, one place combines them in order."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sim.core.levers import Lever
from tests.test_mechanisms import city, mechanism, run

VALUES = arrays(float, 4, elements=st.floats(0, 1))


@given(base=VALUES, add_a=VALUES, add_b=VALUES, factor=VALUES)
def test_value_is_base_plus_additions_times_factors_clipped(base, add_a, add_b, factor):
    target = base.copy()
    lever = Lever("outreach", target, 0.0, 1.0)
    lever.add("a", add_a)
    lever.scale("c", factor)
    lever.add("b", add_b)
    assert np.array_equal(target, np.clip((base + add_a + add_b) * factor, 0.0, 1.0))
    lever.add("a", np.zeros(4))  # a new addition replaces the mechanism's earlier one
    assert np.array_equal(target, np.clip((base + add_b) * factor, 0.0, 1.0))


def test_a_change_of_base_keeps_the_adjustments_and_its_history():
    target = np.array([10, 20], dtype=np.int64)
    lever = Lever("capacity", target, 0, None)
    lever.add("council", np.array([5, -5]))
    lever.set_base(30, np.array([12, 3]))
    assert target.tolist() == [17, 0] and target.dtype == np.int64
    assert [(week, base.tolist()) for week, base in lever.history] == [(0, [10, 20]), (30, [12, 3])]


def test_a_pooled_budgets_effort_reduction_no_longer_erases_a_councils_outreach_boost():
    """The one behaviour change of the lever composition: before it, each mechanism wrote the
    outreach array from its own snapshot, so the pool's weekly write erased the council's boost."""
    both = {"council": {"meetings_per_year": 12, "outreach_boost": 0.2},
            "pooled_budget": {"negotiation_lag_weeks": 0, "effort_reduction": 0.5}}
    model = run(city(both))
    council, pool = mechanism(model, "council"), mechanism(model, "pooled_budget")
    lever = model.levers.outreach
    boost = lever.additions["council"]
    assert boost[council.members].max() > 0  # the council did raise members' outreach
    expected = np.clip((lever.base + boost) * np.where(pool.members, 0.5, 1.0), 0.0, 1.0)
    assert np.array_equal(model.orgs.outreach, expected)
    boosted = pool.members & (boost > 0)
    assert (model.orgs.outreach[boosted] > lever.base[boosted] * 0.5).all()
