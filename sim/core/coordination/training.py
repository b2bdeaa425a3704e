"""Cross-sectoral training of the workforce.

Seen in: joint training of workforce cadres; university partners (Spain).

Each training round brings the trained share of participants' staff up to ``target_share``
(staff = capacity x ``staff_per_place``). Trained staff spot needs in other sectors with
``trained_identify_probability`` and their referrals complete more often (+``completion_bonus``
x trained share). Trained staff leave at the turnover rate, so the trained share decays between
rounds. Cost: cost per worker trained, at each round; rounds held during warm-up (the initial
training) are set-up cost, booked in the first measured week.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.core.coordination import calendar
from sim.core.coordination.base import Mechanism
from sim.core.coordination.members import member_mask
from sim.scenario.schema import WEEKS_PER_YEAR

if TYPE_CHECKING:
    from sim.core.coordination.base import ModelView


class CrossSectorTraining(Mechanism):
    """Trained share of staff per organisation, topped up by rounds, eroded by turnover."""

    name = "cross_sector_training"

    def setup(self, model: ModelView) -> None:
        self.participants = member_mask(model, self.params.participants)
        self.trained_share = np.zeros(model.orgs.size)
        self.staff = model.levers.capacity.base * self.params.staff_per_place
        self._cost_this_week = 0.0
        self.setup_spent = 0.0  # rounds held during warm-up: the initial training
        self.workers_trained = 0.0

    def round_due(self, model: ModelView) -> bool:
        """Whether a training round falls this week (the first in the week training starts)."""
        return calendar.due(self.weeks_running(model), self.params.rounds_per_year)

    def on_coordination(self, model: ModelView) -> None:
        p = self.params
        self.trained_share *= 1.0 - p.turnover_per_year / WEEKS_PER_YEAR
        self._cost_this_week = 0.0
        if self.round_due(model):
            gap = np.where(self.participants, np.maximum(p.target_share - self.trained_share, 0), 0)
            workers = float((gap * self.staff).sum())
            self.trained_share += gap
            self.workers_trained += workers
            if model.ledger.counts(model.week):
                self._cost_this_week = workers * p.cost_per_worker
            else:
                self.setup_spent += workers * p.cost_per_worker

    def identify_probability(self, model, family, org, probability):
        share = self.trained_share[org]
        return probability + share * np.maximum(self.params.trained_identify_probability - probability, 0)

    def referral_completion(self, model, family, source, target, probability):
        return probability + self.params.completion_bonus * self.trained_share[source]

    def weekly_cost(self, model: ModelView) -> float:
        return self._cost_this_week

    def setup_cost(self, model: ModelView) -> float:
        return self.setup_spent
