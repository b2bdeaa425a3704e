"""Focal point / dedicated coordination team.

Seen in: Brazil's municipal coordinator, Korea's team of at least two officials staying at least
five years, France's municipal focal point.

While staffed, the team lowers a council's and a case conference's friction and speeds a
platform's ramp-up (through the model's ``coordination_support`` = share of posts filled x
``support``) and follows up referrals
(a referral that would be lost is rescued with probability ``follow_up`` x staffed share).
Officials leave at the turnover rate; a post stays vacant ``vacancy_weeks`` before a successor
arrives. Cost: salaries of the officials in post.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.core.coordination.base import Mechanism
from sim.scenario.schema import WEEKS_PER_YEAR

if TYPE_CHECKING:
    from sim.core.coordination.base import ModelView


class FocalPoint(Mechanism):
    """A team of officials whose presence keeps other mechanisms working."""

    name = "focal_point"

    def setup(self, model: ModelView) -> None:
        self.vacant_until = np.full(self.params.team_size, -1, dtype=np.int64)
        self._in_post_mask = np.ones(self.params.team_size, dtype=bool)

    @property
    def in_post(self) -> int:
        return int(np.count_nonzero(self._in_post_mask))

    def staffed_share(self) -> float:
        return self.in_post / self.params.team_size if self.params.team_size else 0.0

    def on_budgets(self, model: ModelView) -> None:
        p = self.params
        self._in_post_mask = self.vacant_until <= model.week
        leaving = self._in_post_mask & (
            model.streams["focal_point"].random(p.team_size) < p.turnover_per_year / WEEKS_PER_YEAR)
        self.vacant_until[leaving] = model.week + p.vacancy_weeks
        self._in_post_mask = self.vacant_until <= model.week
        model.coordination_support = self.staffed_share() * p.support

    def stop(self, model: ModelView) -> None:
        super().stop(model)
        model.coordination_support = 0.0

    def referral_completion(self, model, family, source, target, probability):
        rescue = self.params.follow_up * self.staffed_share()
        return probability + (1.0 - probability) * rescue

    def weekly_cost(self, model: ModelView) -> float:
        return self.in_post * self.params.salary_per_year / WEEKS_PER_YEAR
