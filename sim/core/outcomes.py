"""Outcomes for children: the full package of a year's needs, and indicators read as states.

**Full package.** Measured time is cut into years ("windows") by the week a need-episode started.
A family is **fully served** in a window when every need-episode it started in that window got its
first service week within the follow-up (``time.follow_up_weeks``, as coverage). An episode fails
when it is still without a service ``follow_up + 1`` weeks after it started, or when it ends
unserved (lapses, or ends in a severe outcome) before. A window is judged once the follow-up of
its last start week is over; each family is counted once per window in which it had a need, with
its children (those it has when the window is judged): the full-package share is the share of
children, in families with a need, whose family was fully served. Needs are per family and
sector (a family's children in a sector's age band share one episode, an entitlement or a
condition), so a child counts as fully served when every need of its family was.

**Indicators as states.** A sector may carry an ``indicator``; every 13 measured weeks (a survey
each quarter) the model counts the children in the indicator's age band and, of them, those whose
family is in the indicator's state: *served* (a case of the sector in service: participation in
early learning, receipt of a benefit) or *open* (a need of the sector not yet met: stunting).
"""

from __future__ import annotations

import numpy as np

from sim.core.children import EMPTY
from sim.scenario.schema import WEEKS_PER_YEAR

SURVEY_EVERY_WEEKS = 13
# indicator -> whose family counts: "served" (a case of the sector in service) or "open" (a
# need of the sector not yet met)
INDICATOR_STATE = {"early_learning_participation": "served", "benefit_receipt": "served",
                   "stunting_prevalence": "open"}


class FullPackage:
    """Per family, per window still being judged: episodes started and whether one failed."""

    def __init__(self, n_families: int, warmup: int, follow_up: int, n_classes: int = 2):
        self.warmup, self.follow_up, self.n_classes = warmup, follow_up, n_classes
        self.slots = follow_up // WEEKS_PER_YEAR + 2  # windows judged at once, at most
        self.needed = np.zeros((self.slots, n_families), dtype=np.int32)
        self.failed = np.zeros((self.slots, n_families), dtype=bool)
        # by family class (marginalised + 2 x groups' bits, sim/core/groups.py):
        self.families = np.zeros(n_classes)  # families with a need, over judged windows
        self.fully_served = np.zeros(n_classes)  # of them, fully served
        self.children = np.zeros(n_classes)  # children in families with a need
        self.children_fully_served = np.zeros(n_classes)  # of them, in families fully served
        self.windows = 0  # windows judged

    def _slot(self, start: np.ndarray) -> np.ndarray:
        return ((start - self.warmup) // WEEKS_PER_YEAR) % self.slots

    def started(self, week: int, family: np.ndarray) -> None:
        """Episodes of ``family`` started in measured ``week``."""
        families, episodes = np.unique(family, return_counts=True)
        self.needed[int(self._slot(np.int64(week))), families] += episodes.astype(np.int32)

    def failed_episodes(self, family: np.ndarray, start: np.ndarray) -> None:
        """Episodes (started at weeks ``start``) not served in time; those started in warm-up are
        outside every window."""
        counted = start >= self.warmup
        family, start = family[counted], start[counted]
        self.failed[self._slot(start), family] = True

    def judge(self, week: int, family_class: np.ndarray, birth_week: np.ndarray) -> None:
        """At the end of ``week``: judge the window whose last start week's follow-up ends now
        (``birth_week``: the (N, K) child slots, for each family's children)."""
        since = week - self.warmup - self.follow_up
        if since < WEEKS_PER_YEAR or since % WEEKS_PER_YEAR:
            return
        slot = (since // WEEKS_PER_YEAR - 1) % self.slots
        had = self.needed[slot] > 0
        served = had & ~self.failed[slot]
        kids = np.count_nonzero(birth_week != EMPTY, axis=1)
        c = self.n_classes
        self.families += np.bincount(family_class[had], minlength=c)
        self.fully_served += np.bincount(family_class[served], minlength=c)
        self.children += np.bincount(family_class[had], weights=kids[had], minlength=c)
        self.children_fully_served += np.bincount(family_class[served], weights=kids[served],
                                                  minlength=c)
        self.needed[slot] = 0
        self.failed[slot] = False
        self.windows += 1


class Indicators:
    """Quarterly counts of children in each indicator's age band and, of them, in its state."""

    def __init__(self, names: list[str | None], age_bands_weeks: np.ndarray, warmup: int):
        self.warmup = warmup
        self.sectors = [(s, name, age_bands_weeks[s]) for s, name in enumerate(names) if name]
        self.children = {name: 0.0 for _, name, _ in self.sectors}
        self.in_state = {name: 0.0 for _, name, _ in self.sectors}

    def survey(self, week: int, pop, cases) -> None:
        """In a survey week: add each indicator's children and children in its state."""
        if not self.sectors or (week - self.warmup) % SURVEY_EVERY_WEEKS:
            return
        children = pop.children
        for sector, name, (low, high) in self.sectors:
            served = INDICATOR_STATE[name] == "served"
            if low <= 0 and high >= children.age_out:  # every child: count by family, not by age
                families = (np.unique(cases.family[cases.sector == sector]) if served
                            else np.flatnonzero(pop.need_start[:, sector] >= 0))
                self.children[name] += float(children.count)
                self.in_state[name] += float(np.count_nonzero(children.birth_week[families] != EMPTY))
                continue
            family = children.aged(week, int(low), int(high)) // children.k  # one per child
            if served:
                in_state = np.isin(family, np.unique(cases.family[cases.sector == sector]))
            else:
                in_state = pop.need_start[family, sector] >= 0
            self.children[name] += float(len(family))
            self.in_state[name] += float(np.count_nonzero(in_state))
