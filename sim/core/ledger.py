"""The model's accounting records: counts and money after warm-up, the input of every metric.

Episodes are counted by the step they started: an episode that started during warm-up is outside
the measurement window even if it ends after it. Contacts, money and referrals are counted when
they happen, from the first step after warm-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

MET, LAPSED = 0, 1


@dataclass
class Ledger:
    """Running totals since warm-up (all money in the scenario's currency units)."""

    n_sectors: int
    warmup: int
    n_neighbourhoods: int = 1
    n_orgs: int = 1
    episodes_started: np.ndarray = field(init=False)  # (S, 2) by marginalised
    episodes_ended: np.ndarray = field(init=False)  # (2 outcomes, S, 2)
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
    children_reached: float = 0.0
    need_events: float = 0.0

    def __post_init__(self):
        self.episodes_started = np.zeros((self.n_sectors, 2))
        self.episodes_ended = np.zeros((2, self.n_sectors, 2))
        h = self.n_neighbourhoods
        # per neighbourhood: episodes started, met; waits; referrals made, completed
        self.area = {k: np.zeros(h) for k in ("started", "met", "wait_weeks_total",
                                              "first_services", "referrals_made",
                                              "referrals_completed", "referral_wait_weeks_total",
                                              "referrals_started")}
        # per organisation: service and assessment money, duplicate contacts (the reporters of
        # the organisation agents, sim/core/agents.py)
        self.org_spend = np.zeros(self.n_orgs)
        self.org_duplicates = np.zeros(self.n_orgs, dtype=np.int64)
        # per organisation: revenue of providers (not in any budget): fees charged to families
        # (private providers, service phase) and subsidies a mechanism paid them (ppp_quota)
        self.org_fee_revenue = np.zeros(self.n_orgs)
        self.org_subsidy_revenue = np.zeros(self.n_orgs)

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

    def start_episodes(self, sector: np.ndarray, marginalised: np.ndarray) -> None:
        self.episodes_started += self._by_sector_and_group(sector, marginalised)

    def end_episodes(self, outcome: int, sector: np.ndarray, marginalised: np.ndarray) -> None:
        self.episodes_ended[outcome] += self._by_sector_and_group(sector, marginalised)

    def _by_sector_and_group(self, sector: np.ndarray, marginalised: np.ndarray) -> np.ndarray:
        """(S, 2) counts of episodes by sector and marginalised status."""
        index = np.asarray(sector, dtype=np.int64) * 2 + marginalised
        return np.bincount(index, minlength=self.n_sectors * 2).reshape(self.n_sectors, 2)

    def add_coordination(self, mechanism: str, amount: float, from_budgets: bool = False) -> None:
        """Book ``mechanism``'s cost this week (``from_budgets``: organisations pay it)."""
        self.coordination_spend[mechanism] = self.coordination_spend.get(mechanism, 0.0) + amount
        if from_budgets:
            self.coordination_from_budgets += amount

    def open_episodes(self) -> np.ndarray:
        """(S, 2) episodes started in the window and neither met nor lapsed yet."""
        return self.episodes_started - self.episodes_ended.sum(axis=0)
