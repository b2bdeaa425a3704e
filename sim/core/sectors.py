"""Array view of the sectors (index s): age bands, weekly hazards, service and lapse times."""

from __future__ import annotations

import numpy as np

from sim.scenario.params import Scenario
from sim.scenario.schema import WEEKS_PER_YEAR

LASTING = 32_000  # weeks left of a lasting service (a place, a benefit): ended by the age band


def weekly_probability(per_year: np.ndarray | float) -> np.ndarray:
    """Weekly probability equivalent to an annual probability (constant hazard)."""
    return 1.0 - (1.0 - np.clip(per_year, 0.0, 1.0)) ** (1.0 / WEEKS_PER_YEAR)


class SectorTable:
    """Columns over sectors, derived once from the scenario."""

    def __init__(self, scenario: Scenario):
        specs = list(scenario.sectors.values())
        self.names = scenario.sector_names
        self.age_band_weeks = np.array(
            [[round(a * WEEKS_PER_YEAR) for a in s.ages] for s in specs], dtype=np.int64)
        # an entitlement opens when a child enters the band (need_arises: entering_band), no rate
        self.on_entering_band = np.array([s.need_arises == "entering_band" for s in specs])
        rate = np.array([s.need_rate_per_year or 0.0 for s in specs])
        marg = np.array([s.marginalised_multiplier for s in specs])
        informal = np.array([s.informal_multiplier for s in specs])
        # hazard group = 2 * marginalised + informal
        groups = [np.ones_like(rate), informal, marg, marg * informal]
        annual = np.stack([np.clip(rate * g, 0.0, 1.0) for g in groups])  # (4, S)
        with np.errstate(divide="ignore"):  # an annual probability of 1 is an infinite rate
            self.weekly_rate = -np.log1p(-annual) / WEEKS_PER_YEAR  # hazard rate per week
        self.lasting = np.array([s.service_weeks == "while_eligible" for s in specs])
        self.service_weeks = np.array([LASTING if lasting else s.service_weeks
                                       for s, lasting in zip(specs, self.lasting, strict=True)],
                                      dtype=np.int16)
        band = self.age_band_weeks[:, 1] - self.age_band_weeks[:, 0]
        # a lasting service's expected length, for throughput and budget estimates: half the band
        self.expected_service_weeks = np.where(self.lasting, band / 2, self.service_weeks)
        self.lapse_probability = np.array(
            [0.0 if s.lapse_weeks == "never" else 1.0 / s.lapse_weeks for s in specs])
        self.protection_weeks = np.array([s.protection_weeks for s in specs], dtype=np.int64)
        self.protection_effect = np.array([s.protection_effect for s in specs])
        self.escalation_after = np.array(
            [s.escalation_after_weeks or 10**9 for s in specs], dtype=np.int64)
        self.escalation_probability = np.array([s.escalation_probability for s in specs])
        self.escalation_cost_multiplier = np.array([s.escalation_cost_multiplier for s in specs])
        self.harm = np.array([s.unmet_outcome == "harm" for s in specs])  # unmet needs accrue harm
        self.indicator = [s.indicator for s in specs]
        self.indicator_age_weeks = np.array(
            [[round(a * WEEKS_PER_YEAR) for a in (s.indicator_ages or s.ages)] for s in specs],
            dtype=np.int64)
        self.birth_probability = float(
            weekly_probability(scenario.city.births_per_family_per_year))
