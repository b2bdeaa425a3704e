"""The step's array helpers and the event calendar agree with plain NumPy on generated inputs."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sim.core.arrays import (
    add_counts,
    cumsum_in_groups,
    first_of_each,
    merge_sorted,
    rank_in_groups,
    remove_sorted,
    select,
    sorted_unique,
    split_pairs,
)
from sim.core.schedule import Schedule

keys = st.lists(st.integers(0, 60), max_size=80).map(lambda xs: np.array(xs, dtype=np.int64))


@given(keys, st.integers(-3, 3))
def test_add_counts_is_np_add_at(k, amount):
    got, want = np.zeros(61, dtype=np.int32), np.zeros(61, dtype=np.int32)
    add_counts(got, k, amount)
    np.add.at(want, k, amount)
    assert np.array_equal(got, want)


@given(keys)
def test_sorted_unique_and_first_of_each_are_np_unique(k):
    assert np.array_equal(sorted_unique(k), np.unique(k))
    first = np.zeros(len(k), dtype=bool)
    first[np.unique(k, return_index=True)[1]] = True
    assert np.array_equal(first_of_each(k), first)


@given(st.lists(st.integers(0, 2**40), max_size=80), st.integers(1, 9))
def test_split_pairs_is_np_divmod(pairs, n_sectors):
    pairs = np.array(pairs, dtype=np.int64)
    family, sector = split_pairs(pairs, n_sectors)
    want_family, want_sector = np.divmod(pairs, n_sectors)
    assert np.array_equal(family, want_family) and np.array_equal(sector, want_sector)
    assert family.dtype == want_family.dtype and sector.dtype == want_sector.dtype


@given(st.lists(st.booleans(), max_size=80))
def test_select_is_boolean_indexing(flags):
    mask = np.array(flags, dtype=bool)
    ints, floats = np.arange(len(mask)) * 7, np.linspace(0, 1, len(mask))
    for got, want in zip(select(mask, ints, floats), (ints[mask], floats[mask]), strict=True):
        assert np.array_equal(got, want) and got.dtype == want.dtype


@given(keys, keys)
def test_merge_and_remove_sorted_are_set_operations(a, b):
    base = np.unique(a)
    new = np.setdiff1d(np.unique(b), base)
    assert np.array_equal(merge_sorted(base, new), np.union1d(base, new))
    assert np.array_equal(remove_sorted(base, b), np.setdiff1d(base, b))


@given(st.lists(st.tuples(st.integers(0, 5), st.floats(0, 10)), max_size=40))
def test_group_ranks_and_running_totals(rows):
    rows = sorted(rows, key=lambda r: r[0])
    groups = np.array([g for g, _ in rows], dtype=np.int64)
    values = np.array([v for _, v in rows])
    rank, total = rank_in_groups(groups), cumsum_in_groups(groups, values)
    for i, g in enumerate(groups):
        before = [j for j in range(i) if groups[j] == g]
        assert rank[i] == len(before)
        assert np.isclose(total[i], values[before].sum() + values[i])


@given(st.lists(st.integers(0, 40), min_size=1, max_size=60), st.integers(1, 40), st.data())
def test_calendar_finds_every_due_item_also_past_its_horizon(due_weeks, horizon, data):
    never = 1000
    due = np.array(due_weeks, dtype=np.int64)
    calendar = Schedule(due, never, horizon=horizon)
    calendar.add(np.arange(len(due)))
    # some items are rescheduled later (their old entries must be ignored)
    moved = np.array(data.draw(st.lists(st.integers(0, len(due) - 1), unique=True)), dtype=np.int64)
    due[moved] += data.draw(st.integers(1, 20))
    calendar.add(moved)
    for week in range(0, 61):
        assert np.array_equal(calendar.due_in(week), np.flatnonzero(due == week)), week


def test_calendar_memory_follows_the_items_not_the_events():
    """Rescheduling every item every week for a long run keeps the calendar's storage bounded:
    its pages own their slices (no view keeps a whole week's array alive) and stale entries set
    aside past the horizon are compacted."""
    rng = np.random.default_rng(3)
    n, horizon, never = 500, 200, 10_000
    due = rng.integers(1, 400, size=n)
    calendar = Schedule(due, never, horizon=horizon)
    calendar.add(np.arange(n))
    for week in range(horizon):
        found = calendar.due_in(week)
        assert np.array_equal(found, np.flatnonzero(due == week))
        moved = rng.choice(n, size=50, replace=False)  # rescheduled: old entries go stale
        due[moved] = week + 1 + rng.integers(0, 400, size=50)
        calendar.add(moved)
        chunks = [c for page in calendar._pages.values() for chunk in page for c in chunk]
        assert all(c.base is None for c in chunks)  # copies, not views
        assert sum(len(c) for c in calendar._later) <= n + 50  # compacted past n
