"""Council / steering group / observatory: joint planning of places and outreach.

Seen in: CFCI steering groups of 6-25 people (Finland, Germany), Brazil's inter-sectoral
commission, national ECD councils, Sion's youth observatory meeting 2-4 times a year.

A strategic body: it does not go through families one by one (that is the case conference's work,
``case_conference.py``). At each meeting members plan jointly: a share of the spare places of
members with nobody waiting moves, at equal cost, to members with the longest waiting lists
(staff are redeployed: the move lasts until a later meeting moves them again), and members'
outreach rises where their sectors' unmet need is highest. How much moves is E, the council's
effectiveness, which falls with size (a Universal-Scalability-Law curve) and with inactive
members; a focal point reduces the friction, an expert pool strengthens the planning.

The group's size is the number of people: member organisations x representatives per member.
Cost per meeting: people x staff hours per meeting x hourly cost; plus a secretariat each week
that grows with the number of member organisations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.core.coordination import calendar
from sim.core.coordination.base import Mechanism
from sim.core.coordination.meetings import friction, group_efficiency
from sim.core.coordination.members import member_mask
from sim.scenario.schema import WEEKS_PER_YEAR

if TYPE_CHECKING:
    from sim.core.coordination.base import ModelView


class Council(Mechanism):
    """Meets on its calendar and plans places and outreach jointly (no reconciliation)."""

    name = "council"

    def setup(self, model: ModelView) -> None:
        self.members = member_mask(model, self.params.members)
        self.n = int(self.members.sum()) * self.params.representatives_per_member  # people
        self.meetings = 0
        self.capacity_shift = np.zeros(model.orgs.size, dtype=np.int64)  # places moved so far

    def effectiveness(self, model: ModelView) -> float:
        """How well a meeting plans (0..1): scales the share of spare places moved."""
        p = self.params
        f = friction(model.coordination_support)
        eff = group_efficiency(self.n, p.contention * f, p.coherence * f)
        return float(np.clip(p.active_share * eff, 0.0, 1.0))

    def meets(self, model: ModelView) -> bool:
        """Whether a meeting falls this week (the first in the week the council starts)."""
        return calendar.due(self.weeks_running(model), self.params.meetings_per_year)

    def on_coordination(self, model: ModelView) -> None:
        if not self.meets(model) or not self.members.any():
            return
        self.meetings += 1
        self.plan(model, self.effectiveness(model))

    def plan(self, model: ModelView, effect: float) -> None:
        """Move spare places (at equal cost) to long waiting lists; aim outreach at unmet need."""
        orgs = model.orgs
        shift = self.params.planning_shift * effect * (1.0 + model.planning_support)
        caseload = np.bincount(model.book.cases.org, minlength=orgs.size)
        waiting = np.bincount(model.book.waiting.org, minlength=orgs.size)
        spare = np.where(self.members & (waiting == 0),
                         np.maximum(orgs.capacity - caseload, 0), 0)
        give = np.floor(spare * min(shift, 1.0)).astype(np.int64)
        money = float((give * orgs.unit_cost).sum())
        need = np.where(self.members, waiting * orgs.unit_cost, 0.0)
        if money > 0 and need.sum() > 0:
            gain = np.floor(money * need / need.sum() / np.maximum(orgs.unit_cost, 1e-9))
            self.capacity_shift += gain.astype(np.int64) - give
            model.levers.capacity.add(self.name, self.capacity_shift)
        unmet = np.bincount(model.book.unserved_pairs() % model.pop.n_sectors, minlength=model.pop.n_sectors)
        pressure = (orgs.serves * unmet).sum(axis=1).astype(float)
        pressure = pressure / pressure.max() if pressure.max() > 0 else pressure
        boost = self.params.outreach_boost * min(shift / max(self.params.planning_shift, 1e-9), 1.0)
        model.levers.outreach.add(self.name, np.where(self.members, boost * pressure, 0.0))

    def weekly_cost(self, model: ModelView) -> float:
        p = self.params
        meeting = self.n * p.staff_hours_per_meeting * p.staff_hour_cost if (
            self.meets(model) and self.n) else 0.0
        secretariat = p.secretariat_per_member_per_year * int(self.members.sum())
        return meeting + secretariat / WEEKS_PER_YEAR
