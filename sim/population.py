"""Array-backed family state: one NumPy column per state variable, updated vectorised.

Families never leave the arrays; a family whose children have all aged out has no needs until a
birth arrives (this stands for a new family moving into the home).
"""

from __future__ import annotations

import numpy as np

from sim.params import Scenario
from sim.schema import WEEKS_PER_YEAR
from sim.world import City

AGE_OUT_WEEKS = 13 * WEEKS_PER_YEAR
NO_CHILD = -1
NO_NEED = -1


class Population:
    """Per-family and per-(family, sector) state arrays.

    Attributes:
        neighbourhood: (N,) neighbourhood index.
        marginalised: (N,) vulnerability status.
        awareness, trust: (N,) in [0, 1].
        child_age: (N, K) ages in weeks, ``NO_CHILD`` for an empty slot.
        child_reached: (N, K) whether that child has received a service since warm-up.
        need_start: (N, S) step the active need-episode began, ``NO_NEED`` if none.
        escalated: (N, S) the active need became severe while unmet.
        assessed: (N, S) assessments made for the active episode.
        enrolled: (N, S) enrolments made for the active episode.
        last_sought: (N, S) step of the family's last application for the active episode.
        complexity: (N,) multiplier of the family's need hazards (mean 1; needs concentrate).
    """

    def __init__(self, scenario: Scenario, city: City, rng: np.random.Generator):
        p = scenario.city
        n, s, k = p.families, len(scenario.sectors), p.max_children
        self.n, self.n_sectors = n, s
        self.neighbourhood = rng.choice(city.size, size=n, p=city.family_weight).astype(np.int32)
        informal = city.informal[self.neighbourhood]
        share = np.where(informal, p.marginalised_share_informal, p.marginalised_share_formal)
        self.marginalised = rng.random(n) < share
        f = scenario.families
        aware = np.where(self.marginalised, f.awareness_mean * f.marginalised_awareness_factor,
                         f.awareness_mean)
        self.awareness = _beta_around(rng, aware, 8.0).astype(np.float32)
        self.trust = _beta_around(rng, np.full(n, f.trust_mean), 8.0).astype(np.float32)
        n_children = np.minimum(1 + rng.poisson(max(p.mean_children - 1, 0.0), size=n), k)
        ages = rng.integers(0, AGE_OUT_WEEKS, size=(n, k))
        slot = np.arange(k)[None, :]
        self.child_age = np.where(slot < n_children[:, None], ages, NO_CHILD).astype(np.int16)
        self.child_reached = np.zeros((n, k), dtype=bool)
        self.need_start = np.full((n, s), NO_NEED, dtype=np.int32)
        self.escalated = np.zeros((n, s), dtype=bool)
        self.assessed = np.zeros((n, s), dtype=np.int8)
        self.enrolled = np.zeros((n, s), dtype=np.int8)
        self.last_sought = np.full((n, s), NO_NEED, dtype=np.int32)
        self.informal = informal
        shape = f.need_complexity_shape
        # needs concentrate: a family's complexity multiplies its need hazards in every sector
        self.complexity = (np.ones(n) if shape is None
                           else rng.gamma(shape, 1.0 / shape, size=n)).astype(np.float32)

    @property
    def active(self) -> np.ndarray:
        """(N, S) True where a need-episode is open."""
        return self.need_start >= 0

    def children(self) -> int:
        """Number of children currently in the city."""
        return int(np.count_nonzero(self.child_age >= 0))

    def age_and_births(self, birth_draw: np.ndarray, birth_probability: float) -> np.ndarray:
        """Advance ages one week, age out at 13, add births; return the mask of slots born into."""
        age = self.child_age
        has_child = age >= 0
        age[has_child] += 1
        out = age >= AGE_OUT_WEEKS
        age[out] = NO_CHILD
        self.child_reached[out] = False
        empty = age < 0
        first_empty = np.argmax(empty, axis=1)
        born = (birth_draw < birth_probability) & empty.any(axis=1)
        rows = np.flatnonzero(born)
        age[rows, first_empty[rows]] = 0
        self.child_reached[rows, first_empty[rows]] = False
        newborn = np.zeros_like(empty)
        newborn[rows, first_empty[rows]] = True
        return newborn

    def eligible(self, age_bands_weeks: np.ndarray) -> np.ndarray:
        """(N, S) True where the family has a child in the sector's age band [lo, hi)."""
        age = self.child_age[:, :, None]
        lo, hi = age_bands_weeks[:, 0], age_bands_weeks[:, 1]
        return ((age >= lo) & (age < hi)).any(axis=1)

    def children_in_band(self, rows: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """(len(rows), K) mask of the children of ``rows`` in each row's age band."""
        age = self.child_age[rows]
        return (age >= lo[:, None]) & (age < hi[:, None])


def _beta_around(rng: np.random.Generator, mean: np.ndarray, concentration: float) -> np.ndarray:
    mean = np.clip(mean, 0.02, 0.98)
    return rng.beta(mean * concentration, (1 - mean) * concentration)
