"""Council / steering group / observatory.

Seen in: CFCI steering groups of 6-25 people (Finland, Germany), Brazil's inter-sectoral
commission, national ECD councils, Sion's youth observatory meeting 2-4 times a year.

At each meeting, members reconcile who they serve: each duplicate known to two or more members
(the same family and need held on two members' caseloads or waiting lists) stops with
probability E, the council's effectiveness. They also plan jointly: a share of the spare places
of members with nobody waiting moves, at equal cost, to members with the longest waiting lists
(staff are redeployed: the move lasts until a later meeting moves them again),
and members' outreach rises where their sectors' unmet need is highest. E falls with size (a
Universal-Scalability-Law curve) and with inactive members; a focal point reduces the friction.

The group's size is the number of people: member organisations x representatives per member.
Cost per meeting: people x staff hours per meeting x hourly cost; plus a secretariat each week.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.core.arrays import contains, sorted_unique
from sim.core.coordination import calendar
from sim.core.coordination.base import Mechanism
from sim.core.coordination.members import member_mask
from sim.scenario.schema import WEEKS_PER_YEAR

if TYPE_CHECKING:
    from sim.core.coordination.base import ModelView


def group_efficiency(n: int, contention: float, coherence: float) -> float:
    """Per-member efficiency C(n)/n = 1 / (1 + a(n-1) + b n(n-1)) (Universal Scalability Law)."""
    return 1.0 / (1.0 + contention * (n - 1) + coherence * n * (n - 1)) if n > 0 else 0.0


class Council(Mechanism):
    """Meets on its calendar, reconciles shared caseloads and plans outreach and capacity."""

    name = "council"

    def setup(self, model: ModelView) -> None:
        self.members = member_mask(model, self.params.members)
        self.n = int(self.members.sum()) * self.params.representatives_per_member  # people
        self.meetings = 0
        self.duplicates_stopped = 0
        self.capacity_shift = np.zeros(model.orgs.size, dtype=np.int64)  # places moved so far

    def effectiveness(self, model: ModelView) -> float:
        """Share of known duplicates stopped at a meeting (0..1)."""
        p = self.params
        friction = 1.0 - 0.5 * model.coordination_support
        eff = group_efficiency(self.n, p.contention * friction, p.coherence * friction)
        return float(np.clip(p.active_share * eff, 0.0, 1.0))

    def meets(self, model: ModelView) -> bool:
        """Whether a meeting falls this week (the first in the week the council starts)."""
        return calendar.due(self.weeks_running(model), self.params.meetings_per_year)

    def on_coordination(self, model: ModelView) -> None:
        if not self.meets(model) or not self.members.any():
            return
        self.meetings += 1
        effect = self.effectiveness(model)
        self.reconcile(model, effect)
        self.plan(model, effect)

    def reconcile(self, model: ModelView, effect: float) -> None:
        """Stop duplicates among members: keep the earliest case (or waiting row) of each need."""
        n_cases = len(model.book.cases)
        tables = (model.book.cases, model.book.waiting)
        keys = np.concatenate([t.pair for t in tables])
        orgs = np.concatenate([t.org for t in tables]).astype(np.int64)
        member = self.members[orgs]
        is_case = np.arange(len(keys)) < n_cases
        rows = np.flatnonzero(member)
        order = rows[np.lexsort((rows, ~is_case[rows], keys[rows]))]
        dup = np.zeros(len(order), dtype=bool)
        dup[1:] = keys[order][1:] == keys[order][:-1]
        pairs_with_dup = sorted_unique(keys[order][dup])
        detected = model.streams["council"].random(len(pairs_with_dup)) < effect
        known = contains(pairs_with_dup[detected], keys[order])
        drop = np.zeros(len(keys), dtype=bool)
        drop[order[dup & known]] = True
        self.duplicates_stopped += int(drop.sum())
        model.book.cases.keep(~drop[:n_cases])
        model.book.waiting.keep(~drop[n_cases:])

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
        return meeting + p.secretariat_per_year / WEEKS_PER_YEAR
