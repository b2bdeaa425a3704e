"""Array view of all organisations (index o), built once from the scenario.

The Mesa agents in :mod:`sim.core.agents` read and show these columns; the step's phases work on the
arrays so that organisations are handled together, not one by one.
"""

from __future__ import annotations

import numpy as np

from sim.core.world import City, place_sites
from sim.scenario.params import Scenario
from sim.scenario.schema import PRIORITY_CODES, Eligibility, OrgKind


class OrgTable:
    """Columns over organisations; budgets and capacities are the model's live state."""

    def __init__(self, scenario: Scenario, city: City, rng: np.random.Generator):
        specs = list(scenario.organisations.values())
        sectors = scenario.sector_names
        scale = scenario.service_scale
        money = scale * scenario.funding.budget_scale
        self.names = list(scenario.organisations)
        self.kind = [o.kind for o in specs]
        self.size = len(specs)
        self.serves = np.array([[s in o.sectors for s in sectors] for o in specs], dtype=bool)
        self.capacity = np.array([round(o.capacity * scale) for o in specs], dtype=np.int64)
        # (S, most providers of a sector): each sector's providers, padded with 0, and a mask
        lists = [np.flatnonzero(self.serves[:, s]) for s in range(len(sectors))]
        self.provider_table = np.zeros((len(lists), max(map(len, lists))), dtype=np.int64)
        self.provider_valid = np.zeros(self.provider_table.shape, dtype=bool)
        for s, found in enumerate(lists):
            self.provider_table[s, : len(found)] = found
            self.provider_valid[s, : len(found)] = True
        self.unit_cost = np.array([o.unit_cost for o in specs], dtype=float)
        self.assessment_cost = np.array([o.assessment_cost for o in specs], dtype=float)
        self.outreach = np.array([o.outreach for o in specs], dtype=float)
        self.fee = np.array([o.fee for o in specs], dtype=float)
        self.fee_marginalised = self.fee.copy()  # fee a marginalised family pays (quotas waive it)
        self.identify_probability = np.array([o.identify_probability for o in specs], dtype=float)
        self.referral_completion = np.array([o.referral_completion for o in specs], dtype=float)
        self.priority = np.array([PRIORITY_CODES[o.priority] for o in specs], dtype=np.int8)
        self.quota_share = np.array([o.quota_share for o in specs], dtype=float)
        self.marginalised_only = np.array(
            [o.eligibility == Eligibility.MARGINALISED for o in specs], dtype=bool)
        funded = [o.kind != OrgKind.PRIVATE for o in specs]
        self.funded = np.array(funded, dtype=bool)
        self.budget_per_year = np.array(
            [(o.funding.budget_per_year or 0.0) * money for o in specs], dtype=float)
        self.tranches = np.array([o.funding.tranches_per_year for o in specs], dtype=np.int64)
        self.fiscal_start = np.array([o.funding.fiscal_year_start_week for o in specs], np.int64)
        self.lapse_at_year_end = np.array([o.funding.lapse_at_year_end for o in specs], dtype=bool)
        self.renewal_probability = np.array([o.funding.renewal_probability for o in specs])
        # chance a yearly budget grows at the fiscal year start, and by how much (budgets.fund)
        self.budget_increase_probability = np.array(
            [o.funding.budget_increase_probability for o in specs], dtype=float)
        self.budget_increase_share = np.array([o.funding.budget_increase_share for o in specs])
        self.budget = np.where(self.funded, 0.0, np.inf)
        self.arrived = np.zeros(self.size)  # funding paid in this week
        self.coordination_due = np.zeros(self.size)  # mechanisms' costs owed, paid from funding
        self.coordination_paid = np.zeros(self.size)  # mechanisms' costs paid so far
        self.assessed_this_week = np.zeros(self.size, dtype=np.int64)
        self.started_this_week = np.zeros(self.size, dtype=np.int64)
        self.site = np.zeros((self.size, city.size), dtype=bool)
        for i, spec in enumerate(specs):
            self.site[i, place_sites(spec, city, rng)] = True
        far = np.where(self.site[None, :, :], city.distance_km[:, None, :], np.inf)
        self.distance_km = far.min(axis=2)  # (H, O) from each neighbourhood to nearest site
        self.outreach_area = np.ones(city.size)  # (H,) factor on all outreach in a neighbourhood
        self.visibility = np.zeros(self.size)  # chance a record of other providers is seen

    def index(self, name: str) -> int:
        """Index of the organisation called ``name``."""
        return self.names.index(name)

    def providers(self, sector: int) -> np.ndarray:
        """Indices of the organisations providing ``sector``."""
        return np.flatnonzero(self.serves[:, sector])
