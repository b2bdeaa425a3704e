"""Community network / family participation / expert pool.

Seen in: Flanders' community-focused networks, Cities4Children alliances, Germany's expert pool
(3 experts per municipality, EUR 500 a year each).

Volunteers in the target neighbourhoods raise families' awareness of services and trust in them
toward ``target`` each week. The expert pool improves joint planning (the model's
``planning_support``, used by a council).
Cost: volunteers' time valued at an hourly rate, and the experts' fees.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field

from sim.coordination.base import Mechanism, MechanismParams
from sim.schema import WEEKS_PER_YEAR, NonNeg, Share

if TYPE_CHECKING:
    from sim.coordination.base import ModelView


class CommunityNetworkParams(MechanismParams):
    """Parameters of a community network with an expert pool."""

    neighbourhoods: Literal["informal", "all"] | list[int] = "informal"
    volunteers_per_neighbourhood: int = Field(10, ge=0, le=10_000_000)
    volunteer_hours_per_week: NonNeg = 2.0
    volunteer_hour_value: NonNeg = 3.0
    awareness_gain_per_week: Share = 0.01
    trust_gain_per_week: Share = 0.01
    target: Share = 0.9
    experts: int = Field(3, ge=0, le=10_000_000)
    expert_cost_per_year: NonNeg = 550.0
    planning_support_per_expert: NonNeg = 0.1
    kind: Literal["community_network"] = "community_network"


    def check(self, scenario) -> None:
        if isinstance(self.neighbourhoods, list):
            h = scenario.city.neighbourhoods
            bad = [x for x in self.neighbourhoods if not 0 <= x < h]
            if bad:
                raise ValueError(f"coordination.community_network.neighbourhoods: neighbourhood "
                                 f"{bad[0]} does not exist (0..{h - 1})")


class CommunityNetwork(Mechanism):
    """Volunteers raise awareness and trust; experts support planning."""

    name = "community_network"

    def setup(self, model: ModelView) -> None:
        p, city = self.params, model.city
        if p.neighbourhoods == "informal":
            self.area = city.informal.copy()
        elif p.neighbourhoods == "all":
            self.area = np.ones(city.size, dtype=bool)
        else:
            self.area = np.isin(np.arange(city.size), p.neighbourhoods)
        self.slices = model.pop.area_slices(self.area)
        model.planning_support += p.experts * p.planning_support_per_expert
        self.volunteers = int(self.area.sum()) * p.volunteers_per_neighbourhood

    def on_finding(self, model: ModelView) -> None:
        p, pop = self.params, model.pop
        if self.volunteers == 0:
            return
        for area in self.slices:
            pop.awareness[area] += p.awareness_gain_per_week * (p.target - pop.awareness[area])
            pop.trust[area] += p.trust_gain_per_week * (p.target - pop.trust[area])

    def weekly_cost(self, model: ModelView) -> float:
        p = self.params
        volunteer_time = self.volunteers * p.volunteer_hours_per_week * p.volunteer_hour_value
        return volunteer_time + p.experts * p.expert_cost_per_year / WEEKS_PER_YEAR
