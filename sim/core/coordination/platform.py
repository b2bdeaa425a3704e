"""Integrated service-delivery platform: family hubs, one-stop shops, community-focused networks.

Seen in: ECD integrated platforms, Flanders' community-focused networks, family hubs; co-location
cut median waits from 48 to 11 days and raised use 2.4-fold (paediatric integrated care, 2023).

Hubs sit in chosen neighbourhoods (their catchment). For families living there, and with effect
growing linearly over the ramp-up period, the partner organisations:
- share one caseload and one multi-sector assessment (a partner sees the others' records);
- spot needs in other sectors more often (the multi-sector assessment);
- refer warmly: a referral between partners completes with ``warm_referral_completion``, does
  not suffer the receiving wait, and goes to the front of the receiving list;
- raise families' awareness of services toward ``awareness_target``.
Cost: each hub's running cost every week from the start (set-up included).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.core.coordination.base import Mechanism
from sim.core.coordination.members import member_mask
from sim.scenario.schema import WEEKS_PER_YEAR

if TYPE_CHECKING:
    from sim.core.coordination.base import ModelView


class IntegratedPlatform(Mechanism):
    """Hubs with partner organisations serving families in their catchment."""

    name = "integrated_platform"

    def setup(self, model: ModelView) -> None:
        p, city = self.params, model.city
        if isinstance(p.hubs, list):
            hubs = np.unique(np.asarray(p.hubs, dtype=np.int64))
        else:
            pool = np.flatnonzero(city.informal) if p.placement == "informal" else np.arange(city.size)
            pool = pool if len(pool) else np.arange(city.size)
            # the neediest first: informal neighbourhoods with the most families
            order = pool[np.argsort(-city.family_weight[pool], kind="stable")]
            extra = np.setdiff1d(np.arange(city.size), order)
            hubs = np.r_[order, extra[np.argsort(-city.family_weight[extra], kind="stable")]]
            hubs = np.sort(hubs[: min(p.hubs, city.size)])
        self.hubs = hubs
        self.catchment = np.isin(np.arange(city.size), hubs)
        self.areas = model.pop.area_slices(self.catchment)
        self.partners = member_mask(model, p.partners)

    def strength(self, model: ModelView) -> float:
        """How far the platform has ramped up (0..1), faster with a focal point."""
        weeks = self.params.ramp_up_weeks
        if weeks == 0:
            return 1.0
        return min(1.0, (self.weeks_running(model) + 1) * (1.0 + model.coordination_support) / weeks)

    def _covered(self, model, family, *orgs) -> np.ndarray:
        inside = self.catchment[model.pop.neighbourhood[family]]
        for org in orgs:
            inside = inside & self.partners[org]
        return inside

    def on_finding(self, model: ModelView) -> None:
        aware = model.pop.awareness
        rate = self.params.awareness_gain_per_week * self.strength(model)
        for area in self.areas:
            aware[area] += rate * (self.params.awareness_target - aware[area])

    def visibility(self, model, family, org, probability):
        shared = self.params.shared_record_probability * self.strength(model)
        return np.where(self._covered(model, family, org), np.maximum(probability, shared), probability)

    def identify_probability(self, model, family, org, probability):
        hub = self.params.hub_identify_probability * self.strength(model)
        return np.where(self._covered(model, family, org), np.maximum(probability, hub), probability)

    def fast_track(self, model, family, source, target):
        return self._covered(model, family, source, target)

    def referral_completion(self, model, family, source, target, probability):
        s = self.strength(model)
        warm = s * self.params.warm_referral_completion + (1 - s) * probability
        return np.where(self._covered(model, family, source, target),
                        np.maximum(probability, warm), probability)

    def weekly_cost(self, model: ModelView) -> float:
        return len(self.hubs) * self.params.running_cost_per_hub_per_year / WEEKS_PER_YEAR
