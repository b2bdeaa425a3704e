"""Public-private partnership with a quota (the Korean day-care arrangement).

Private providers take a public subsidy per child and in exchange reserve ``quota_share`` of
their free places for marginalised families, whose fee is waived by ``fee_waiver`` (which raises
their take-up). Cost: the subsidy, paid to the provider, for every open case that started in a
place the quota reserved (``via_quota`` in the caseload), each week.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.core.coordination.base import Mechanism
from sim.core.coordination.members import member_mask
from sim.scenario.schema import PRIORITY_CODES, Priority

if TYPE_CHECKING:
    from sim.core.coordination.base import ModelView


class PppQuota(Mechanism):
    """Sets quotas and fee waivers on the chosen providers and pays their subsidy."""

    name = "ppp_quota"

    def setup(self, model: ModelView) -> None:
        self.providers = member_mask(model, self.params.providers)
        self._paid = np.zeros(model.orgs.size)  # this week's subsidy per organisation
        self._before = (model.orgs.quota_share.copy(), model.orgs.priority.copy())

    def start(self, model: ModelView) -> None:
        p, orgs = self.params, model.orgs
        orgs.quota_share[self.providers] = np.maximum(orgs.quota_share[self.providers], p.quota_share)
        orgs.priority[self.providers] = PRIORITY_CODES[Priority.QUOTA]
        model.levers.fee_marginalised.scale(self.name, np.where(self.providers, 1.0 - p.fee_waiver, 1.0))
        model.refresh_access()

    def stop(self, model: ModelView) -> None:
        super().stop(model)
        model.orgs.quota_share[:], model.orgs.priority[:] = self._before
        model.refresh_access()

    def subsidised_places(self, model: ModelView) -> np.ndarray:
        """(O,) open cases at the chosen providers that came through the quota's reserved places."""
        cases = model.book.cases
        org = cases.org[cases.via_quota]
        return np.bincount(org[self.providers[org]], minlength=model.orgs.size)

    def weekly_cost(self, model: ModelView) -> float:
        self._paid = self.subsidised_places(model) * self.params.subsidy_per_child_per_week
        return float(self._paid.sum())

    def paid_to(self, model: ModelView) -> np.ndarray:
        """The subsidy goes to the providers holding the quota places."""
        return self._paid
