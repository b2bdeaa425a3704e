"""Pooled budget (joint budgeting): members put a share of their funding into a common pool.

Seen in: ECD joint financing, pooled health and social care funds.

Every tranche a member receives sends ``contribution_share`` of it to the pool. After the
negotiation lag, every ``allocation_every_weeks`` the pool, less its administration share, is
allocated to members in proportion to the unmet need they face: (families on their waiting list
+ their share of families with an open, unserved need in their sectors) x unit cost x service
weeks. The pool does not lapse at fiscal year ends, which smooths mismatched funding cycles.
With ``effort_reduction`` > 0, members cut their own outreach while pooled money flows
(dependency). Cost: the administration share of each allocation, paid by ``paid_by`` (the
preset: the members, from their budgets).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.core.coordination.base import Mechanism
from sim.core.coordination.members import member_mask

if TYPE_CHECKING:
    from sim.core.coordination.base import ModelView


class PooledBudget(Mechanism):
    """Collects contributions from members' tranches and allocates them by unmet need."""

    name = "pooled_budget"

    def setup(self, model: ModelView) -> None:
        self.members = member_mask(model, self.params.members) & model.orgs.funded
        self.pool = 0.0
        self.allocated = np.zeros(model.orgs.size)
        self._admin_this_week = 0.0

    def on_budgets(self, model: ModelView) -> None:
        p, orgs = self.params, model.orgs
        contribution = np.where(self.members, orgs.arrived * p.contribution_share, 0.0)
        orgs.budget -= contribution
        self.pool += float(contribution.sum())
        self._admin_this_week = 0.0
        weeks = self.weeks_running(model)
        active = weeks >= p.negotiation_lag_weeks
        if active and p.effort_reduction > 0 and self.name not in model.levers.outreach.factors:
            model.levers.outreach.scale(self.name, np.where(self.members, 1 - p.effort_reduction, 1.0))
        due = (weeks - p.negotiation_lag_weeks) % p.allocation_every_weeks == 0
        if not (active and due and self.pool > 0):
            return
        need = self.unmet_need_value(model)
        if need.sum() <= 0:
            return
        self._admin_this_week = self.pool * p.administration_share  # paid by ``paid_by``
        share = self.pool * need / need.sum()
        orgs.budget += share
        self.allocated += share
        self.pool = 0.0

    def stop(self, model: ModelView) -> None:
        """Withdraw the effort reduction and give what is left in the pool back to the members."""
        super().stop(model)
        weight = np.where(self.members, model.orgs.budget_per_year, 0.0)
        if self.pool > 0 and weight.sum() > 0:
            model.orgs.budget += self.pool * weight / weight.sum()
            self.pool = 0.0

    def unmet_need_value(self, model: ModelView) -> np.ndarray:
        """(O,) money needed to serve members' waiting and unserved families."""
        orgs = model.orgs
        waiting = np.bincount(model.book.waiting.org, minlength=orgs.size)
        unserved = np.bincount(model.book.unserved_pairs(not_waiting=True) % model.pop.n_sectors,
                               minlength=model.pop.n_sectors)
        providers = np.maximum((orgs.serves & self.members[:, None]).sum(axis=0), 1)
        share_unserved = (orgs.serves * (unserved / providers)).sum(axis=1)
        value = (waiting + share_unserved) * orgs.unit_cost * model.org_service_weeks
        return np.where(self.members, value, 0.0)

    def weekly_cost(self, model: ModelView) -> float:
        return self._admin_this_week
