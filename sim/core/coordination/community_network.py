"""Community network / family participation / expert pool.

Seen in: Flanders' community-focused networks, Cities4Children alliances, Germany's expert pool
(3 experts per municipality, EUR 500 a year each).

Volunteers in the target neighbourhoods raise families' awareness of services and trust in them
toward ``target`` each week. The expert pool improves joint planning (the model's
``planning_support``, used by a council).
Cost: volunteers' time valued at an hourly rate, and the experts' fees.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.core.coordination.base import Mechanism
from sim.scenario.schema import WEEKS_PER_YEAR

if TYPE_CHECKING:
    from sim.core.coordination.base import ModelView


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
        self.volunteers = int(self.area.sum()) * p.volunteers_per_neighbourhood

    def start(self, model: ModelView) -> None:
        model.planning_support += self.params.experts * self.params.planning_support_per_expert

    def stop(self, model: ModelView) -> None:
        super().stop(model)
        model.planning_support -= self.params.experts * self.params.planning_support_per_expert

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
