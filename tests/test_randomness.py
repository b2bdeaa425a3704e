"""Named streams: same seed, same run; different seed, different run; common random numbers."""

import numpy as np

from sim.core.model import CoordinationModel
from sim.core.streams import Streams
from tests.conftest import small_base


def test_streams_are_named_and_reproducible():
    a, b = Streams(5), Streams(5)
    assert np.array_equal(a["needs"].random(4), b["needs"].random(4))
    assert not np.array_equal(Streams(5)["needs"].random(4), Streams(5)["births"].random(4))
    assert not np.array_equal(Streams(5)["needs"].random(4), Streams(6)["needs"].random(4))


def test_common_random_numbers_for_needs_and_births():
    """Runs that differ in how services work draw identical need events, births and ages."""
    plain = small_base(families=1500, years=1)
    changed = small_base(families=1500, years=1,
                         **{"organisations.health_department.outreach": 0.3,
                            "organisations.nutrition_department.capacity": 5,
                            "families.seek_probability": 0.9})
    a, b = CoordinationModel(plain), CoordinationModel(changed)
    differs = False
    for _ in range(plain.time.steps):
        a.step()
        b.step()
        assert np.array_equal(a.last_need_events, b.last_need_events)
        assert np.array_equal(a.pop.children.birth_week, b.pop.children.birth_week)
        differs |= not np.array_equal(a.pop.need_start, b.pop.need_start)
    assert differs, "the change should alter what happens to the needs"
    assert a.summary() != b.summary()


def test_checking_invariants_does_not_change_results():
    """`--check` only observes: the same run with and without it is identical."""
    scenario = small_base(families=2000, years=1.5, **{"coordination.model": "full_integration"})
    checked, plain = CoordinationModel(scenario, check=True), CoordinationModel(scenario)
    checked.run()
    plain.run()
    assert checked.summary() == plain.summary()
