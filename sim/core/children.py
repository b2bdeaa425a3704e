"""Children as birth weeks in per-family slots, with event-driven ageing.

A child's age is ``week - birth_week``, so nothing is updated as time passes. What changes a
family's situation is a child crossing an age boundary (entering or leaving a sector's age band,
or ageing out at ``city.age_out_years``, 13 unless a scenario says otherwise); children are
indexed by birth week, so each week only the children who cross a boundary that week are touched.
``band_count[f, s]`` is the number of family f's children in sector s's age band, kept up to
date by these crossings.
"""

from __future__ import annotations

import numpy as np

from sim.core.arrays import run_starts
from sim.scenario.schema import WEEKS_PER_YEAR

AGE_OUT_WEEKS = 13 * WEEKS_PER_YEAR  # the default age at which children leave the model
EMPTY = np.int32(2**30)  # birth week of an empty slot: never in any age band


class Children:
    """Child slots (N, K) and the per-sector count of children in each age band."""

    def __init__(self, ages_weeks: np.ndarray, band_weeks: np.ndarray,
                 age_out_weeks: int = AGE_OUT_WEEKS):
        """Args:
            ages_weeks: (N, K) initial ages in weeks, negative for an empty slot.
            band_weeks: (S, 2) age band [lo, hi) of each sector, in weeks.
            age_out_weeks: the age at which a child leaves the model (its slot empties).
        """
        self.age_out = int(age_out_weeks)
        self.band_lo = band_weeks[:, 0].astype(np.int64)
        self.band_hi = band_weeks[:, 1].astype(np.int64)
        self.birth_week = np.where(ages_weeks >= 0, -ages_weeks, EMPTY).astype(np.int32)
        # per child, one bit per sector that served it this measured year (at most 32 sectors)
        self.reached = np.zeros(ages_weeks.shape, dtype=np.uint32)
        self.k = ages_weeks.shape[1]
        # counts as they stood the week before week 0; week 0's crossings are then applied by
        # the first call of cross_boundaries, like every later week's
        age = ages_weeks[:, :, None] - 1
        in_band = (age >= self.band_lo) & (age < self.band_hi)
        self.band_count = in_band.sum(axis=1).astype(np.int16)  # (N, S)
        self.count = int(np.count_nonzero(ages_weeks >= 0))
        self.boundaries = np.unique(np.r_[self.band_lo, self.band_hi, self.age_out])
        self.boundaries = self.boundaries[self.boundaries <= self.age_out]
        # per boundary age: the sectors whose band a child enters (+1) or leaves (-1) at that age
        self._crossings = []
        for age in self.boundaries:
            enters, leaves = np.flatnonzero(self.band_lo == age), np.flatnonzero(self.band_hi == age)
            signs = np.concatenate([np.ones(len(enters)), -np.ones(len(leaves))]).astype(np.int64)
            self._crossings.append((int(age), np.concatenate([enters, leaves]), signs))
        self._by_birth_week: dict[int, np.ndarray] = {}
        self._index(np.flatnonzero(self.birth_week.ravel() != EMPTY))

    def _index(self, slots: np.ndarray) -> None:
        """Add the flat ``slots`` (children) to the index by birth week."""
        flat = self.birth_week.ravel()
        order = slots[np.argsort(flat[slots], kind="stable")]
        weeks, starts = np.unique(flat[order], return_index=True)
        for week, found in zip(weeks.tolist(), np.split(order, starts[1:]), strict=True):
            known = self._by_birth_week.get(week)
            self._by_birth_week[week] = found if known is None else np.concatenate([known, found])

    def ages(self, rows: np.ndarray, week: int) -> np.ndarray:
        """(len(rows), K) ages in weeks at ``week`` (negative or huge for empty slots)."""
        return week - self.birth_week[rows].astype(np.int64)

    def born_in(self, birth_week: int) -> np.ndarray:
        """Flat slot indices of children (still) born in ``birth_week``."""
        slots = self._by_birth_week.get(birth_week)
        if slots is None:
            return np.zeros(0, dtype=np.int64)
        return slots[self.birth_week.ravel()[slots] == birth_week]

    def aged(self, week: int, low: int, high: int) -> np.ndarray:
        """Flat slot indices of the children aged [low, high) weeks at ``week`` (found through
        their birth weeks, so the cost follows those children, not the whole city)."""
        found = [self.born_in(born) for born in range(week - high + 1, week - low + 1)]
        return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)

    def add_births(self, families: np.ndarray, week: int) -> np.ndarray:
        """A birth in each of ``families`` that has an empty slot; return the families born into."""
        empty = self.birth_week[families] == EMPTY
        has_room = empty.any(axis=1)
        families = families[has_room]
        slot = np.argmax(empty[has_room], axis=1)
        self.birth_week[families, slot] = week
        self.reached[families, slot] = 0
        flat = families * self.k + slot
        self._by_birth_week[week] = np.concatenate(
            [self._by_birth_week.get(week, np.zeros(0, dtype=np.int64)), flat])
        self.count += len(families)
        return families

    def arrive(self, families: np.ndarray, ages_weeks: np.ndarray, week: int) -> np.ndarray:
        """Children of ``families`` (whose slots are empty) arriving in ``week``, aged
        ``ages_weeks`` (len(families), K; negative: no child). Counted in the age bands as they
        stood the week before, as at the start (this week's crossings follow in
        :meth:`cross_boundaries`). Returns the flat (family, sector) pairs that became eligible."""
        present = ages_weeks >= 0
        self.birth_week[families] = np.where(present, week - ages_weeks, EMPTY)
        self.reached[families] = 0
        self._index((families[:, None] * self.k + np.arange(self.k)[None, :])[present])
        self.count += int(np.count_nonzero(present))
        age = np.where(present, ages_weeks - 1, -1)[:, :, None]
        in_band = ((age >= self.band_lo) & (age < self.band_hi)).sum(axis=1)  # (F, S)
        before = self.band_count[families] > 0
        self.band_count[families] += in_band.astype(self.band_count.dtype)
        became = (self.band_count[families] > 0) & ~before
        s_count = len(self.band_lo)
        return np.sort((families[:, None] * s_count + np.arange(s_count)[None, :])[became])

    def cross_boundaries(self, week: int) -> tuple[np.ndarray, np.ndarray]:
        """Apply this week's band entries and exits and age-outs.

        Returns the flat (family, sector) pairs that became eligible (count 0 -> 1) and those that
        stopped being eligible (count 1 -> 0).
        """
        s_count = len(self.band_lo)
        counts = self.band_count.reshape(-1)
        changes: list[tuple[np.ndarray, np.ndarray]] = []
        for age, sectors, signs in self._crossings:
            slots = self.born_in(week - age)
            if len(slots) == 0:
                continue
            if len(sectors):  # (family, sector) of each child x each band it enters (+1) or leaves (-1)
                changes.append((((slots // self.k) * s_count)[:, None] + sectors, signs))
            if age == self.age_out:
                self.birth_week.reshape(-1)[slots] = EMPTY
                self.reached.reshape(-1)[slots] = 0
                self.count -= len(slots)
        if not changes:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        # one net change per touched pair: a child entering one band as another leaves nets out
        keys = np.concatenate([pairs.ravel() for pairs, _ in changes])
        signs = np.concatenate([np.broadcast_to(sign, pairs.shape).ravel() for pairs, sign in changes])
        order = np.argsort(keys, kind="stable")
        starts = run_starts(keys[order])
        touched = keys[order][starts]
        before = counts[touched] > 0
        counts[touched] += np.add.reduceat(signs[order], starts).astype(counts.dtype)
        after = counts[touched] > 0
        return touched[after & ~before], touched[before & ~after]

    def in_band(self, rows: np.ndarray, week: int, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """(len(rows), K) mask of the children of ``rows`` inside each row's band [lo, hi)."""
        age = self.ages(rows, week)
        return (age >= lo[:, None]) & (age < hi[:, None])

