"""Focal point / dedicated coordination team.

Seen in: Brazil's municipal coordinator, Korea's team of at least two officials staying at least
five years, France's municipal focal point.

While staffed, the team lowers a council's and a case conference's friction and speeds a
platform's ramp-up (through the model's ``coordination_support`` = share of posts filled x
``support``) and follows up referrals
(a referral that would be lost is rescued with probability ``follow_up`` x staffed share).
Officials leave at the turnover rate, but none before serving ``min_tenure_years`` (Korea asks
officials to stay at least five years); a post stays vacant ``vacancy_weeks`` before a successor
arrives. A change of administration (``sim/core/politics.py``) may make more officials leave, under
the same minimum tenure. Cost: salaries of the officials in post.
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
        # the week each post's official took it up (or, in a vacancy, the successor will): the
        # first team is appointed when the focal point starts
        self.arrival = np.full(self.params.team_size, self.start_at, dtype=np.int64)
        self._in_post_mask = np.ones(self.params.team_size, dtype=bool)
        self.min_tenure_weeks = round(self.params.min_tenure_years * WEEKS_PER_YEAR)

    @property
    def in_post(self) -> int:
        return int(np.count_nonzero(self._in_post_mask))

    def staffed_share(self) -> float:
        return self.in_post / self.params.team_size if self.params.team_size else 0.0

    def on_budgets(self, model: ModelView) -> None:
        p = self.params
        self.depart(model, p.turnover_per_year / WEEKS_PER_YEAR, model.streams["focal_point"])
        model.coordination_support = self.staffed_share() * p.support

    def depart(self, model: ModelView, chance: float, rng: np.random.Generator) -> int:
        """Each official in post who has served the minimum tenure leaves with ``chance`` (one
        ``rng`` draw per post); the post is empty for ``vacancy_weeks``. Returns how many left."""
        week = model.week
        in_post = self.arrival <= week
        leaving = in_post & (week - self.arrival >= self.min_tenure_weeks) & (
            rng.random(self.params.team_size) < chance)
        self.arrival[leaving] = week + self.params.vacancy_weeks
        self._in_post_mask = self.arrival <= week
        return int(np.count_nonzero(leaving))

    def stop(self, model: ModelView) -> None:
        super().stop(model)
        model.coordination_support = 0.0

    def referral_completion(self, model, family, source, target, probability):
        rescue = self.params.follow_up * self.staffed_share()
        return probability + (1.0 - probability) * rescue

    def weekly_cost(self, model: ModelView) -> float:
        return self.in_post * self.params.salary_per_year / WEEKS_PER_YEAR
