"""The model's accounting records: counts and money after warm-up, the input of every metric.

Contacts, money, referrals and needs met or lapsed are counted when they happen, from the first
step after warm-up (flows over the measured window). ``episodes_started``/``episodes_ended`` count
episodes by the step they started (an episode that started during warm-up is outside them even if
it ends after it): the accounting identity the invariants check.

Coverage reads a **cohort with a fixed follow-up**: the episodes that started in measured time
and have been followed for ``follow_up`` weeks, and of them those whose service started within
it. A start week joins the cohort once its follow-up is over (a ring buffer holds the start weeks
still being followed), so coverage at any week, and at the end of a run of any length, estimates
the same share.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.core.outcomes import FullPackage, Indicators

MET, LAPSED, SEVERE = 0, 1, 2  # how an episode ends (SEVERE: a harm sector's unmet concern)
ROLLING_WEEKS = 13  # the window of the weekly (rolling) coverage: the last 13 start weeks judged


@dataclass
class Ledger:
    """Running totals since warm-up (all money in the scenario's currency units)."""

    n_sectors: int
    warmup: int
    n_neighbourhoods: int = 1
    n_orgs: int = 1
    follow_up: int = 0  # weeks each need-episode is followed for coverage
    # episodes are counted by family class: marginalised + 2 x the family's groups' bits
    # (sim/core/groups.py); without groups the class is the marginalised flag (2 classes)
    group_names: tuple[str, ...] = ()  # the groups whose bits make up the classes, in order
    episodes_started: np.ndarray = field(init=False)  # (S, C) by family class
    episodes_ended: np.ndarray = field(init=False)  # (3 outcomes, S, C)
    assessments: float = 0.0
    assessments_duplicate: float = 0.0
    assessment_spend: float = 0.0
    assessment_spend_duplicate: float = 0.0
    # assessments of a family already assessed this week or for an open episode in another
    # sector (one multi-sector assessment could have covered them); repeats within a sector
    # are the ``_duplicate`` fields above, and an assessment is never both
    assessments_cross_sector: float = 0.0
    assessment_spend_cross_sector: float = 0.0
    service_weeks: float = 0.0
    service_weeks_duplicate: float = 0.0
    service_spend: float = 0.0
    service_spend_duplicate: float = 0.0
    coordination_spend: dict[str, float] = field(default_factory=dict)
    coordination_from_budgets: float = 0.0  # the part organisations paid (not an outside funder)
    appropriated: float = 0.0
    lapsed_budget: float = 0.0
    referrals_made: float = 0.0
    referrals_completed: float = 0.0
    wait_weeks_total: float = 0.0
    referral_wait_weeks_total: float = 0.0
    referrals_started: float = 0.0
    first_services: float = 0.0
    unmet_need_weeks: float = 0.0
    child_weeks: float = 0.0
    weeks: float = 0.0
    escalations: float = 0.0
    refused_at_intake: float = 0.0  # applications refused for documents, language or entitlement
    children_reached: float = 0.0  # distinct children served, counted afresh each measured year
    need_events: float = 0.0
    needs_prevented: float = 0.0  # need events prevention stopped (sectors with protection)
    needs_met: float = 0.0  # episodes met in measured weeks, whenever they started
    needs_lapsed: float = 0.0  # episodes lapsed unmet in measured weeks, whenever they started
    severe_outcomes: float = 0.0  # harm sectors' concerns ended unmet in a severe outcome
    harm_weeks: float = 0.0  # weeks harm sectors' concerns stayed unmet (measured weeks)
    package: FullPackage | None = None  # the full package of each year's needs (the model sets it)
    indicators: Indicators | None = None  # indicators read as states (the model sets it)
    # a council's participation: children in the families consulted for its yearly action plans,
    # and children in the city at those plans, by group (other, marginalised)
    children_consulted: np.ndarray = field(init=False, default_factory=lambda: np.zeros(2))
    children_at_consultations: np.ndarray = field(init=False, default_factory=lambda: np.zeros(2))

    def __post_init__(self):
        c = self.n_classes
        self.episodes_started = np.zeros((self.n_sectors, c))
        self.episodes_ended = np.zeros((3, self.n_sectors, c))
        self.children_reached_by_sector = np.zeros(self.n_sectors)  # as children_reached, by sector
        s, h = self.n_sectors, self.n_neighbourhoods
        # the cohort: episodes whose follow-up is over, (S, C) by family class and (S, H) by area
        self.cohort_started = np.zeros((s, c))
        self.cohort_served = np.zeros((s, c))
        self.cohort_area_started = np.zeros((s, h))
        self.cohort_area_served = np.zeros((s, h))
        # start weeks still being followed, by start week modulo the ring's length
        self._ring = self.follow_up + 1
        self._pending = {k: np.zeros((self._ring, s, w)) for k, w in
                         (("started", c), ("served", c), ("area_started", h), ("area_served", h))}
        # the last ROLLING_WEEKS start weeks to join the cohort, by closing week modulo the
        # window: (started, served) x (other, marginalised); and how many have joined so far
        self.recent = np.zeros((ROLLING_WEEKS, 2, 2))
        self.cohort_weeks = 0
        # per neighbourhood: waits; referrals made, completed (coverage: the cohort above)
        self.area = {k: np.zeros(h) for k in ("wait_weeks_total", "first_services",
                                              "referrals_made", "referrals_completed",
                                              "referral_wait_weeks_total", "referrals_started")}
        # per organisation: service and assessment money, duplicate contacts (the reporters of
        # the organisation agents, sim/core/agents.py)
        self.org_spend = np.zeros(self.n_orgs)
        self.org_duplicates = np.zeros(self.n_orgs, dtype=np.int64)
        # per organisation: revenue of providers (not in any budget): fees charged to families
        # (private providers, service phase) and subsidies a mechanism paid them (ppp_quota)
        self.org_fee_revenue = np.zeros(self.n_orgs)
        self.org_subsidy_revenue = np.zeros(self.n_orgs)

    @property
    def n_classes(self) -> int:
        """Family classes counted: 2 (marginalised or not) x 2**groups."""
        return 2 * 2 ** len(self.group_names)

    def add_by_org(self, spend: np.ndarray, duplicate_org: np.ndarray) -> None:
        """Add per-organisation ``spend`` (O,) and one duplicate contact per entry of ``duplicate_org``."""
        self.org_spend += spend
        self.org_duplicates += np.bincount(duplicate_org, minlength=self.n_orgs)

    def add_by_area(self, key: str, neighbourhood: np.ndarray, weights=None) -> None:
        """Add counts (or ``weights``) per neighbourhood to the tally ``key``."""
        self.area[key] += np.bincount(neighbourhood, weights=weights, minlength=self.n_neighbourhoods)

    def counts(self, step: int) -> bool:
        """Whether events at ``step`` fall in the measurement window."""
        return step >= self.warmup

    def start_episodes(self, week: int, sector: np.ndarray, family_class: np.ndarray,
                       neighbourhood: np.ndarray) -> None:
        """Episodes starting in measured ``week``: counted, and followed for the cohort."""
        counts = self._by_sector_and_class(sector, family_class)
        self.episodes_started += counts
        slot = week % self._ring
        self._pending["started"][slot] += counts
        self._pending["area_started"][slot] += self._by_sector_and_area(sector, neighbourhood)

    def served_first(self, week: int, start: np.ndarray, sector: np.ndarray,
                     family_class: np.ndarray, neighbourhood: np.ndarray) -> None:
        """Episodes (started in measured weeks ``start``) getting their first service week in
        ``week``: those within the follow-up count as served in their start week's cohort."""
        within = week - start <= self.follow_up
        slot = start[within] % self._ring
        sector = np.asarray(sector[within], dtype=np.int64)
        pending, h = self._pending, self.n_neighbourhoods
        _tally(pending["served"], slot, sector * self.n_classes + family_class[within])
        _tally(pending["area_served"], slot, sector * h + neighbourhood[within])

    def end_episodes(self, outcome: int, start: np.ndarray, sector: np.ndarray,
                     family_class: np.ndarray) -> None:
        """Episodes (started at weeks ``start``) ending with ``outcome``; call in measured weeks."""
        if outcome == MET:
            self.needs_met += float(len(start))
        elif outcome == LAPSED:
            self.needs_lapsed += float(len(start))
        else:
            self.severe_outcomes += float(len(start))
        counted = start >= self.warmup
        self.episodes_ended[outcome] += self._by_sector_and_class(sector[counted],
                                                                  family_class[counted])

    def close_follow_up(self, week: int) -> None:
        """At the end of ``week``: start week ``week - follow_up`` has been followed for the whole
        follow-up, so it joins the cohort (and its ring row is freed)."""
        started = week - self.follow_up
        recent = self.recent[week % ROLLING_WEEKS]
        recent[:] = 0.0
        if started < self.warmup:
            return
        slot = started % self._ring
        # family classes are marginalised + 2 x groups' bits: pairs of (other, marginalised)
        recent[0] = self._pending["started"][slot].sum(axis=0).reshape(-1, 2).sum(axis=0)
        recent[1] = self._pending["served"][slot].sum(axis=0).reshape(-1, 2).sum(axis=0)
        self.cohort_weeks += 1
        for key, total in (("started", self.cohort_started), ("served", self.cohort_served),
                           ("area_started", self.cohort_area_started),
                           ("area_served", self.cohort_area_served)):
            total += self._pending[key][slot]
            self._pending[key][slot] = 0.0

    def _by_sector_and_class(self, sector: np.ndarray, family_class: np.ndarray) -> np.ndarray:
        """(S, C) counts of episodes by sector and family class."""
        c = self.n_classes
        index = np.asarray(sector, dtype=np.int64) * c + family_class
        return np.bincount(index, minlength=self.n_sectors * c).reshape(self.n_sectors, c)

    def _by_sector_and_area(self, sector: np.ndarray, neighbourhood: np.ndarray) -> np.ndarray:
        """(S, H) counts of episodes by sector and neighbourhood."""
        h = self.n_neighbourhoods
        index = np.asarray(sector, dtype=np.int64) * h + neighbourhood
        return np.bincount(index, minlength=self.n_sectors * h).reshape(self.n_sectors, h)

    def add_coordination(self, mechanism: str, amount: float, from_budgets: bool = False) -> None:
        """Book ``mechanism``'s cost this week (``from_budgets``: organisations pay it)."""
        self.coordination_spend[mechanism] = self.coordination_spend.get(mechanism, 0.0) + amount
        if from_budgets:
            self.coordination_from_budgets += amount

    def add_consultation(self, consulted: np.ndarray, children: np.ndarray) -> None:
        """Book one yearly consultation: (2,) children consulted and children in the city, by
        group (other, marginalised); call in measured weeks."""
        self.children_consulted += consulted
        self.children_at_consultations += children

    def open_episodes(self) -> np.ndarray:
        """(S, C) episodes started in the window and neither met nor lapsed yet."""
        return self.episodes_started - self.episodes_ended.sum(axis=0)


def _tally(into: np.ndarray, slot: np.ndarray, cell: np.ndarray) -> None:
    """Add one to ``into`` (ring slots x sectors x groups or areas) at each (``slot``, flat
    ``cell`` of the other two axes); only the cells counted are touched."""
    per_slot = into.shape[1] * into.shape[2]
    np.add.at(into.reshape(-1), slot.astype(np.int64) * per_slot + cell, 1.0)
