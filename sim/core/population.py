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
                 rng: np.random.Generator, groups_rng: np.random.Generator,
                 extra: dict[str, np.ndarray] | None = None):
        """``groups_rng``: the stream that draws families' groups (``scenario.groups``; nothing
        is drawn without groups). ``extra``: families drawn elsewhere (:func:`draw_families`;
        arriving families, see :mod:`sim.core.shocks`), placed among the city's by
        neighbourhood; their positions in the arrays are ``extra_index`` (in their own order)."""
        p = scenario.city
        s = len(scenario.sectors)
        # families are stored sorted by neighbourhood, so a neighbourhood is a slice of the arrays
        weight = city.family_weight
        share = (np.where(city.informal, p.marginalised_share_informal, p.marginalised_share_formal)
                 if city.marginalised_share is None else city.marginalised_share)
        drawn = draw_families(scenario, city, rng, p.families, weight, share, p.mean_children)
        self.extra_index = np.zeros(0, dtype=np.int64)
        if extra is not None:
            drawn, self.extra_index = _merge_by_neighbourhood(drawn, extra)
        n = len(drawn["neighbourhood"])
        self.n, self.n_sectors = n, s
        self.neighbourhood = drawn["neighbourhood"]
        self.area_start = np.searchsorted(self.neighbourhood, np.arange(city.size + 1))
        informal = informal_families(city, self.neighbourhood, self.area_start)
        self.marginalised = drawn["marginalised"]
        # other kinds of disadvantage, drawn from their own stream (nothing without groups)
        self.groups = FamilyGroups(scenario, self.marginalised, groups_rng)
        self.family_class = self.groups.family_class  # marginalised + 2 x groups' bits
        self.awareness = drawn["awareness"]
        self.trust = drawn["trust"]
        self.trust_baseline = self.trust.copy()  # where trust returns as experiences fade
        ages = drawn["ages"]
        self.need_start = np.full((n, s), NO_NEED, dtype=np.int32)
        self.escalated = np.zeros((n, s), dtype=bool)
        self.assessed = np.zeros((n, s), dtype=np.int8)
        self.enrolled = np.zeros((n, s), dtype=np.int8)
        self.last_sought = np.full((n, s), NO_NEED, dtype=np.int32)
        protects = any(spec.protection_effect > 0 for spec in scenario.sectors.values())
        self.last_met = np.full((n, s), -(2**30), dtype=np.int32) if protects else None
        self.informal = informal
        self.complexity = drawn["complexity"]
        self.children = Children(ages, band_weeks, round(p.age_out_years * WEEKS_PER_YEAR))
        self.next_birth = drawn["next_birth"]
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


def informal_families(city: City, neighbourhood: np.ndarray, area_start: np.ndarray) -> np.ndarray:
    """Which families live in informal settlements: every family of an informal neighbourhood,
    or, in a city with informal shares per neighbourhood, the first ``round(share x families)``
    of each neighbourhood's slice (families are in drawn order within it, so these are a random
    subset; no draw is made)."""
    if city.informal_share is None:
        return city.informal[neighbourhood]
    count = np.diff(area_start)
    quota = np.rint(city.informal_share * count)
    rank = np.arange(len(neighbourhood)) - area_start[neighbourhood]
    return rank < quota[neighbourhood]


def draw_families(scenario: Scenario, city: City, rng: np.random.Generator, n: int,
                  weight: np.ndarray, marginalised_share: np.ndarray,
                  mean_children: float) -> dict[str, np.ndarray]:
    """Draw ``n`` families' columns, sorted by neighbourhood: ``neighbourhood`` (by ``weight``
    (H,)), ``marginalised`` (chance ``marginalised_share`` (H,) by neighbourhood), ``awareness``,
    ``trust``, ``ages`` (N, K) of the children in weeks (-1: an empty slot), ``complexity`` and
    ``next_birth`` (the week of the first birth event, counted from week 0)."""
    p, f = scenario.city, scenario.families
    k = p.max_children
    neighbourhood = np.sort(rng.choice(city.size, size=n, p=weight)).astype(np.int32)
    marginalised = rng.random(n) < marginalised_share[neighbourhood]
    aware = np.where(marginalised, f.awareness_mean * f.marginalised_awareness_factor,
                     f.awareness_mean)
    awareness = _beta_around(rng, aware, 8.0).astype(np.float32)
    trust = _beta_around(rng, np.full(n, f.trust_mean), 8.0).astype(np.float32)
    n_children = np.minimum(1 + rng.poisson(max(mean_children - 1, 0.0), size=n), k)
    ages = rng.integers(0, round(p.age_out_years * WEEKS_PER_YEAR), size=(n, k))
    ages = np.where(np.arange(k)[None, :] < n_children[:, None], ages, -1)
    shape = f.need_complexity_shape
    # needs concentrate: a family's complexity multiplies its need hazards in every sector
    complexity = (np.ones(n) if shape is None
                  else rng.gamma(shape, 1.0 / shape, size=n)).astype(np.float32)
    birth_p = np.full(n, weekly_probability(p.births_per_family_per_year))
    next_birth = (geometric_wait(rng, birth_p) - 1).astype(np.int32)
    return {"neighbourhood": neighbourhood, "marginalised": marginalised, "awareness": awareness,
            "trust": trust, "ages": ages, "complexity": complexity, "next_birth": next_birth}


def _merge_by_neighbourhood(drawn: dict, extra: dict) -> tuple[dict, np.ndarray]:
    """The columns of both sets of families, sorted by neighbourhood (the city's first in each
    neighbourhood, each set in its own order), and where the ``extra`` families went."""
    n = len(drawn["neighbourhood"])
    merged = {key: np.concatenate([drawn[key], extra[key]]) for key in drawn}
    order = np.argsort(merged["neighbourhood"], kind="stable")
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    return {key: column[order] for key, column in merged.items()}, position[n:]


def geometric_wait(rng: np.random.Generator, p: np.ndarray) -> np.ndarray:
    """Weeks until the next event of a weekly Bernoulli(p) process (>= 1; NEVER when p = 0)."""
    out = np.full(len(p), NEVER, dtype=np.int64)
    live = p > 0
    out[live] = np.minimum(rng.geometric(p[live]), NEVER)
    return out


def _beta_around(rng: np.random.Generator, mean: np.ndarray, concentration: float) -> np.ndarray:
    mean = np.clip(mean, 0.02, 0.98)
    return rng.beta(mean * concentration, (1 - mean) * concentration)
