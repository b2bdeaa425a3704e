"""Pooled budget (joint budgeting): members put a share of their funding into a common pool.

Seen in: ECD joint financing, pooled health and social care funds.

Every tranche a member receives sends ``contribution_share`` of it to the pool. After the
negotiation lag, every ``allocation_every_weeks`` the pool is allocated to members in proportion
to the unmet need they face (``allocation``): ``need``, (families on their waiting list + their
share of families with an open, unserved need in their sectors) x unit cost x service weeks;
``vulnerability``, the same with each marginalised family counted ``vulnerability_weight``
times; ``neighbourhood``, the unmet need of each neighbourhood, given to the members whose sites
are nearest in each sector and weighted by the neighbourhood's unmet need per family against the
city's. The pool does not lapse at fiscal year ends, which smooths mismatched funding cycles.

With ``buy_places``, a member whose waiting list outlasts its places while its money does not
(its budget plus allocation exceeds what its places cost until its next tranche) spends that
spare part of its allocation on places: ``places = money / (unit_cost x place_term_weeks)``, at
most its waiting list less the places already on order. The money is committed (held for those
places, paid into the member's budget week by week while they are open, so bought places are
paid, never free); the places open ``place_lead_weeks`` later (hiring, contracting) and close
after ``place_term_weeks``, each as its last case ends. They are the mechanism's addition to the
capacity lever, composed with a council's moves.

With ``effort_reduction`` > 0, members cut their own outreach while pooled money flows
(dependency). Cost: the administration share of each allocation, paid by ``paid_by`` (the
preset: the members, from their budgets). :meth:`stop` closes bought places and gives their
unspent money and the pool back to the members.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.core.coordination.base import Mechanism
from sim.core.coordination.members import member_mask
from sim.scenario.schema import WEEKS_PER_YEAR

if TYPE_CHECKING:
    from sim.core.coordination.base import ModelView


class PooledBudget(Mechanism):
    """Collects contributions from members' tranches and allocates them by unmet need."""

    name = "pooled_budget"

    def setup(self, model: ModelView) -> None:
        size = model.orgs.size
        self.members = member_mask(model, self.params.members) & model.orgs.funded
        self.pool = 0.0
        self.contributed = 0.0  # money members sent to the pool so far
        self.allocated = np.zeros(size)  # money allocated to each member (places' money included)
        self.committed = np.zeros(size)  # money of bought places not yet paid to the member
        self.places_bought = np.zeros(size, dtype=np.int64)  # places bought so far
        self.places_added = np.zeros(size, dtype=np.int64)  # current addition to capacity
        # the pipeline of purchases, one entry each: organisation, places, opening and closing week
        self._org = np.zeros(0, dtype=np.int64)
        self._places = np.zeros(0, dtype=np.int64)
        self._opens = np.zeros(0, dtype=np.int64)
        self._closes = np.zeros(0, dtype=np.int64)
        self._admin_this_week = 0.0

    def on_budgets(self, model: ModelView) -> None:
        p, orgs = self.params, model.orgs
        # a share of the money that arrived, at most what is left of it once coordination
        # costs owed were paid from it (the funding phase pays those first)
        contribution = np.where(self.members, np.minimum(orgs.arrived * p.contribution_share,
                                                         np.maximum(orgs.budget, 0.0)), 0.0)
        orgs.budget -= contribution
        self.pool += float(contribution.sum())
        self.contributed += float(contribution.sum())
        self._admin_this_week = 0.0
        weeks = self.weeks_running(model)
        active = weeks >= p.negotiation_lag_weeks
        if active and p.effort_reduction > 0 and self.name not in model.levers.outreach.factors:
            model.levers.outreach.scale(self.name, np.where(self.members, 1 - p.effort_reduction, 1.0))
        due = (weeks - p.negotiation_lag_weeks) % p.allocation_every_weeks == 0
        if active and due and self.pool > 0:
            self.allocate(model)
        if len(self._org) or self.places_added.any():
            self.run_places(model)

    def allocate(self, model: ModelView) -> None:
        """Share the pool out by unmet need; with ``buy_places``, buy places with spare money."""
        need = self.unmet_need_value(model)
        if need.sum() <= 0:
            return
        self._admin_this_week = self.pool * self.params.administration_share  # paid by ``paid_by``
        share = self.pool * need / need.sum()
        for_places = self.buy(model, share) if self.params.buy_places else 0.0
        model.orgs.budget += share - for_places
        self.allocated += share
        self.pool = 0.0

    def buy(self, model: ModelView, share: np.ndarray) -> np.ndarray:
        """(O,) money of ``share`` committed to places bought this week (added to the pipeline)."""
        p, orgs = self.params, model.orgs
        _, waiting = model.book.by_org()
        own_open = self.places_added
        on_order = np.bincount(self._org[self._opens > model.week],
                               weights=self._places[self._opens > model.week], minlength=orgs.size)
        # what the member's other places cost until its next tranche: money beyond it is spare
        tranches = np.maximum(orgs.tranches, 1)
        rel = (model.week - orgs.fiscal_start) % WEEKS_PER_YEAR
        next_due = np.ceil((rel * tranches // WEEKS_PER_YEAR + 1) * WEEKS_PER_YEAR / tranches)
        until_tranche = next_due - rel
        running = np.maximum(orgs.capacity - own_open, 0) * orgs.unit_cost * until_tranche
        spare = np.clip(orgs.budget + share - running, 0.0, share)
        price = orgs.unit_cost * p.place_term_weeks
        wanted = np.maximum(waiting - on_order, 0)
        places = np.where(self.members & (price > 0),
                          np.minimum(np.floor(spare / np.where(price > 0, price, 1.0)), wanted), 0)
        places = places.astype(np.int64)
        buyers = np.flatnonzero(places)
        if len(buyers):
            opens = model.week + p.place_lead_weeks
            self._org = np.concatenate([self._org, buyers])
            self._places = np.concatenate([self._places, places[buyers]])
            self._opens = np.concatenate([self._opens, np.full(len(buyers), opens)])
            self._closes = np.concatenate([self._closes,
                                           np.full(len(buyers), opens + p.place_term_weeks)])
            self.places_bought += places
        money = places * price
        self.committed += money
        return money

    def run_places(self, model: ModelView) -> None:
        """Open, pay and close bought places: the mechanism's addition to the capacity lever."""
        orgs, week = model.orgs, model.week
        open_now = (self._opens <= week) & (week < self._closes)
        places = np.bincount(self._org[open_now], weights=self._places[open_now],
                             minlength=orgs.size).astype(np.int64)
        pay = np.minimum(places * orgs.unit_cost, self.committed)  # this week's running money
        self.committed -= pay
        orgs.budget += pay
        # a closed place's case runs to its end; no new case starts while the member holds more
        # cases than places (the service phase's rule)
        if (places != self.places_added).any():
            self.places_added = places
            model.levers.capacity.add(self.name, places)
        keep = self._closes > week
        if not keep.all():
            self._org, self._places = self._org[keep], self._places[keep]
            self._opens, self._closes = self._opens[keep], self._closes[keep]

    def stop(self, model: ModelView) -> None:
        """Withdraw bought places and the effort reduction; give the money of bought places back
        to their members and what is left in the pool to all members."""
        super().stop(model)
        model.orgs.budget += self.committed
        self.committed = np.zeros(model.orgs.size)
        self.places_added = np.zeros(model.orgs.size, dtype=np.int64)
        self._org = self._places = self._opens = self._closes = np.zeros(0, dtype=np.int64)
        weight = np.where(self.members, model.orgs.budget_per_year, 0.0)
        if self.pool > 0 and weight.sum() > 0:
            model.orgs.budget += self.pool * weight / weight.sum()
            self.pool = 0.0

    def unmet_need_value(self, model: ModelView) -> np.ndarray:
        """(O,) money needed to serve members' waiting and unserved families (``allocation``)."""
        if self.params.allocation == "neighbourhood":
            return self.neighbourhood_need_value(model)
        orgs, pop, book = model.orgs, model.pop, model.book
        unserved_pairs = book.unserved_pairs(not_waiting=True)
        weight_waiting = weight_unserved = None
        if self.params.allocation == "vulnerability":
            w = self.params.vulnerability_weight
            weight_waiting = np.where(pop.marginalised[book.waiting.family], w, 1.0)
            weight_unserved = np.where(pop.marginalised[unserved_pairs // pop.n_sectors], w, 1.0)
        waiting = np.bincount(book.waiting.org, weights=weight_waiting, minlength=orgs.size)
        unserved = np.bincount(unserved_pairs % pop.n_sectors, weights=weight_unserved,
                               minlength=pop.n_sectors)
        providers = np.maximum((orgs.serves & self.members[:, None]).sum(axis=0), 1)
        share_unserved = (orgs.serves * (unserved / providers)).sum(axis=1)
        value = (waiting + share_unserved) * orgs.unit_cost * model.org_service_weeks
        return np.where(self.members, value, 0.0)

    def neighbourhood_need_value(self, model: ModelView) -> np.ndarray:
        """(O,) unmet need of each neighbourhood and sector (open needs without a case), shared
        among the members with the nearest sites serving that sector, each neighbourhood weighted
        by its unmet need per family over the city's, x unit cost x service weeks."""
        orgs, pop, n_hoods = model.orgs, model.pop, model.city.size
        s = pop.n_sectors
        pairs = model.book.unserved_pairs()
        cell = pop.neighbourhood[pairs // s].astype(np.int64) * s + pairs % s
        unmet = np.bincount(cell, minlength=n_hoods * s).reshape(n_hoods, s).astype(float)
        families = np.maximum(np.diff(pop.area_start), 1)
        city_rate = unmet.sum() / max(pop.n, 1)
        focus = unmet.sum(axis=1) / families / city_rate if city_rate > 0 else np.ones(n_hoods)
        serving = orgs.serves & self.members[:, None]  # (O, S)
        distance = np.where(serving[None], orgs.distance_km[:, :, None], np.inf)  # (H, O, S)
        nearest = np.isfinite(distance) & (distance <= distance.min(axis=1, keepdims=True) + 1e-9)
        reach = nearest / np.maximum(nearest.sum(axis=1, keepdims=True), 1)
        value = np.einsum("hos,hs,h->o", reach, unmet, focus) * orgs.unit_cost * model.org_service_weeks
        return np.where(self.members, value, 0.0)

    def weekly_cost(self, model: ModelView) -> float:
        return self._admin_this_week
