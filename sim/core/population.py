"""Array-backed family state: one NumPy column per state variable, updated vectorised.

Families never leave the arrays; a family whose children have all aged out has no needs until a
birth arrives (this stands for a new family moving into the home).
"""

from __future__ import annotations

import numpy as np

from sim.core.arrays import merge_sorted, remove_sorted
from sim.core.children import Children
from sim.core.groups import FamilyGroups
from sim.core.schedule import Schedule
from sim.core.sectors import weekly_probability
from sim.core.world import City
from sim.scenario.params import Scenario
from sim.scenario.schema import WEEKS_PER_YEAR

NO_NEED = -1
NEVER = 2**31 - 1


class Population:
    """Per-family and per-(family, sector) state arrays.

    Attributes:
        neighbourhood: (N,) neighbourhood index.
        marginalised: (N,) vulnerability status.
        groups: the families' other kinds of disadvantage (:class:`sim.core.groups.FamilyGroups`).
        family_class: (N,) marginalised + 2 x groups' bits: the ledger's group of a family.
        awareness, trust: (N,) in [0, 1].
        children: the child slots (birth weeks, age-band counts; see :mod:`sim.core.children`).
        next_birth: (N,) week of the family's next birth event.
        next_need: (N, S) week of the next need event of an eligible pair (``NEVER`` otherwise).
        need_start: (N, S) step the active need-episode began, ``NO_NEED`` if none.
        escalated: (N, S) the active need became severe while unmet.
        assessed: (N, S) assessments made for the active episode.
        enrolled: (N, S) enrolments made for the active episode.
        last_sought: (N, S) step of the family's last application for the active episode.
        last_met: (N, S) step the family's last need in the sector was met (-2**30 if never;
            kept only when a sector protects after treatment, else None).
        complexity: (N,) multiplier of the family's need hazards (mean 1; needs concentrate).
        open_pairs: flat (family, sector) indices of the open episodes, sorted (kept by
            ``open_episodes`` and ``close_episodes``).
    """

    def __init__(self, scenario: Scenario, city: City, band_weeks: np.ndarray,
                 rng: np.random.Generator, groups_rng: np.random.Generator | None = None):
        p = scenario.city
        n, s, k = p.families, len(scenario.sectors), p.max_children
        self.n, self.n_sectors = n, s
        # families are stored sorted by neighbourhood, so a neighbourhood is a slice of the arrays
        self.neighbourhood = np.sort(rng.choice(city.size, size=n, p=city.family_weight)).astype(np.int32)
        self.area_start = np.searchsorted(self.neighbourhood, np.arange(city.size + 1))
        informal = city.informal[self.neighbourhood]
        share = np.where(informal, p.marginalised_share_informal, p.marginalised_share_formal)
        self.marginalised = rng.random(n) < share
        # other kinds of disadvantage, drawn from their own stream (nothing without groups)
        self.groups = FamilyGroups(scenario, self.marginalised,
                                   groups_rng or np.random.default_rng(0))
        self.family_class = self.groups.family_class  # marginalised + 2 x groups' bits
        f = scenario.families
        aware = np.where(self.marginalised, f.awareness_mean * f.marginalised_awareness_factor,
                         f.awareness_mean)
        self.awareness = _beta_around(rng, aware, 8.0).astype(np.float32)
        self.trust = _beta_around(rng, np.full(n, f.trust_mean), 8.0).astype(np.float32)
        self.trust_baseline = self.trust.copy()  # where trust returns as experiences fade
        n_children = np.minimum(1 + rng.poisson(max(p.mean_children - 1, 0.0), size=n), k)
        age_out = round(p.age_out_years * WEEKS_PER_YEAR)
        ages = rng.integers(0, age_out, size=(n, k))
        slot = np.arange(k)[None, :]
        ages = np.where(slot < n_children[:, None], ages, -1)
        self.need_start = np.full((n, s), NO_NEED, dtype=np.int32)
        self.escalated = np.zeros((n, s), dtype=bool)
        self.assessed = np.zeros((n, s), dtype=np.int8)
        self.enrolled = np.zeros((n, s), dtype=np.int8)
        self.last_sought = np.full((n, s), NO_NEED, dtype=np.int32)
        protects = any(spec.protection_effect > 0 for spec in scenario.sectors.values())
        self.last_met = np.full((n, s), -(2**30), dtype=np.int32) if protects else None
        self.informal = informal
        shape = f.need_complexity_shape
        # needs concentrate: a family's complexity multiplies its need hazards in every sector
        self.complexity = (np.ones(n) if shape is None
                           else rng.gamma(shape, 1.0 / shape, size=n)).astype(np.float32)
        self.children = Children(ages, band_weeks, age_out)
        birth_p = np.full(n, weekly_probability(p.births_per_family_per_year))
        self.next_birth = (geometric_wait(rng, birth_p) - 1).astype(np.int32)
        self.birth_calendar = Schedule(self.next_birth, NEVER, horizon=scenario.time.steps)
        self.birth_calendar.add(np.arange(n))
        self.next_need = np.full((n, s), NEVER, dtype=np.int32)  # week of the next need event
        self.need_calendar = Schedule(self.next_need.reshape(-1), NEVER, horizon=scenario.time.steps)
        self.open_pairs = np.zeros(0, dtype=np.int64)  # flat (family, sector) of open episodes
        self.opened_version = 0  # bumped whenever episodes open
        self.closed_version = 0  # bumped whenever episodes close

    @property
    def active(self) -> np.ndarray:
        """(N, S) True where a need-episode is open."""
        return self.need_start >= 0

    def area_slices(self, neighbourhoods: np.ndarray) -> list[slice]:
        """The family index ranges of the neighbourhoods selected by a boolean (H,) mask."""
        return [slice(int(self.area_start[h]), int(self.area_start[h + 1]))
                for h in np.flatnonzero(neighbourhoods)]

    def open_episodes(self, pairs: np.ndarray, week: int) -> None:
        """Open episodes at the sorted flat ``pairs`` (none of them open) in ``week``."""
        self.open_pairs = merge_sorted(self.open_pairs, pairs)
        self.need_start.reshape(-1)[pairs] = week
        self.opened_version += 1

    def close_episodes(self, pairs: np.ndarray) -> None:
        """Close the open episodes at flat ``pairs``."""
        self.open_pairs = remove_sorted(self.open_pairs, pairs)
        self.need_start.reshape(-1)[pairs] = NO_NEED
        self.escalated.reshape(-1)[pairs] = False
        self.closed_version += 1

    @property
    def eligible(self) -> np.ndarray:
        """(N, S) True where the family has a child in the sector's age band."""
        return self.children.band_count > 0

    def age_and_births(self, week: int, rng: np.random.Generator,
                       birth_probability: float) -> tuple[np.ndarray, np.ndarray]:
        """Births due this week, then age-band crossings.

        Returns the flat (family, sector) pairs that became eligible and those that stopped.
        Draws come from ``rng`` only for the families that had a birth event this week.
        """
        due = self.birth_calendar.due_in(week)
        if len(due):
            self.children.add_births(due, week)
            self.next_birth[due] = np.minimum(
                week + geometric_wait(rng, np.full(len(due), birth_probability)), NEVER)
            self.birth_calendar.add(due)
        return self.children.cross_boundaries(week)


def geometric_wait(rng: np.random.Generator, p: np.ndarray) -> np.ndarray:
    """Weeks until the next event of a weekly Bernoulli(p) process (>= 1; NEVER when p = 0)."""
    out = np.full(len(p), NEVER, dtype=np.int64)
    live = p > 0
    out[live] = np.minimum(rng.geometric(p[live]), NEVER)
    return out


def _beta_around(rng: np.random.Generator, mean: np.ndarray, concentration: float) -> np.ndarray:
    mean = np.clip(mean, 0.02, 0.98)
    return rng.beta(mean * concentration, (1 - mean) * concentration)
