"""Multi-agency case conference: members reconcile the families they share, one by one.

Seen in: multi-agency case conferences and panels (child protection conferences, "team around the
family" and similar panels), where the professionals involved with a family bring what they know
and agree who does what. Operational, unlike the council (``council.py``), a strategic body.

What the meeting can find grows with who sits at it. Each member organisation brings its
caseload (its open cases and waiting-list rows); each of its representatives knows a share
``case_knowledge_per_representative`` of the organisation's rows, so an organisation with r
representatives at the table knows a row with probability ``1 - (1 - k)^r``. A new
representative (``turnover_per_year``) knows nothing at first and learns the caseload linearly
over ``induction_weeks``. Members attend each meeting with probability ``attendance`` (one draw
per member and meeting). A duplicate (the same family and need on two members' books) can be
recognised only when at least two of the rows holding it are known at the table: each
organisation knows its own books, so a match needs both sides to bring the family. A recognised
duplicate is stopped with probability E, the per-person efficiency of the people present (the
same Universal-Scalability-Law curve as the council's, friction reduced by a focal point).

Cost: people present x staff hours per meeting x hourly cost; plus a secretariat (the convenor
who collates the lists and keeps the minutes) each week, per member organisation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.core.arrays import contains, sorted_unique
from sim.core.coordination.base import Mechanism
from sim.core.coordination.meetings import MeetingCalendar, friction, group_efficiency
from sim.core.coordination.members import member_mask
from sim.scenario.schema import WEEKS_PER_YEAR

if TYPE_CHECKING:
    from sim.core.coordination.base import ModelView

STREAM = "case_conference"
EXPERIENCED = -(10**9)  # the week a representative in post at set-up joined: fully inducted


class CaseConference(MeetingCalendar, Mechanism):
    """Meets on its calendar; members present go through their caseloads and stop duplicates."""

    name = "case_conference"

    def setup(self, model: ModelView) -> None:
        p = self.params
        self.members = member_mask(model, p.members)
        self.member_index = np.flatnonzero(self.members)
        self.seat_org = np.repeat(self.member_index, p.representatives_per_member)  # one per person
        self.joined = np.full(len(self.seat_org), EXPERIENCED, dtype=np.int64)
        self.meetings = 0
        self.duplicates_stopped = 0
        self.people_present = 0  # at this week's meeting (0 in other weeks)

    def seat_knowledge(self, model: ModelView) -> np.ndarray:
        """Share of its organisation's rows each representative knows (0 when just arrived)."""
        p = self.params
        if p.induction_weeks == 0:
            return np.full(len(self.seat_org), p.case_knowledge_per_representative)
        tenure = np.clip((model.week - self.joined) / p.induction_weeks, 0.0, 1.0)
        return p.case_knowledge_per_representative * tenure

    def org_knowledge(self, model: ModelView, present: np.ndarray) -> np.ndarray:
        """(O,) chance an organisation present knows one of its rows: 1 - prod(1 - k_r)."""
        unknown = np.ones(model.orgs.size)
        seats = present[self.seat_org]
        np.multiply.at(unknown, self.seat_org[seats], 1.0 - self.seat_knowledge(model)[seats])
        return np.where(present, 1.0 - unknown, 0.0)

    def effectiveness(self, model: ModelView, people: int) -> float:
        """Chance a duplicate recognised at the table is stopped, with ``people`` present."""
        p = self.params
        f = friction(model.coordination_support)
        return float(np.clip(group_efficiency(people, p.contention * f, p.coherence * f), 0.0, 1.0))

    def on_coordination(self, model: ModelView) -> None:
        rng = model.streams[STREAM]
        p = self.params
        self.people_present = 0
        leaving = rng.random(len(self.seat_org)) < p.turnover_per_year / WEEKS_PER_YEAR
        self.joined[leaving] = model.week
        if not self.meets(model) or not self.members.any():
            return
        self.meetings += 1
        present = np.zeros(model.orgs.size, dtype=bool)
        present[self.member_index] = rng.random(len(self.member_index)) < p.attendance
        self.people_present = int(present.sum()) * p.representatives_per_member
        if self.people_present:
            self.reconcile(model, present, self.effectiveness(model, self.people_present), rng)

    def reconcile(self, model: ModelView, present: np.ndarray, effect: float, rng) -> None:
        """Stop duplicates known at the table: keep the earliest case (or waiting row) of each."""
        n_cases = len(model.book.cases)
        tables = (model.book.cases, model.book.waiting)
        keys = np.concatenate([t.pair for t in tables])
        orgs = np.concatenate([t.org for t in tables]).astype(np.int64)
        is_case = np.arange(len(keys)) < n_cases
        rows = np.flatnonzero(present[orgs])
        order = rows[np.lexsort((rows, ~is_case[rows], keys[rows]))]
        k = keys[order]
        shared = np.zeros(len(order), dtype=bool)  # rows whose need another member present holds
        shared[1:] |= k[1:] == k[:-1]
        shared[:-1] |= k[:-1] == k[1:]
        candidates = order[shared]
        known = rng.random(len(candidates)) < self.org_knowledge(model, present)[orgs[candidates]]
        brought = candidates[known]  # rows someone at the table knows, in the same order
        kb = keys[brought]
        dup = np.zeros(len(brought), dtype=bool)
        dup[1:] = kb[1:] == kb[:-1]
        pairs = sorted_unique(kb[dup])  # needs brought by two or more members
        stopped = rng.random(len(pairs)) < effect
        drop = np.zeros(len(keys), dtype=bool)
        drop[brought[dup & contains(pairs[stopped], kb)]] = True
        self.duplicates_stopped += int(drop.sum())
        model.book.cases.keep(~drop[:n_cases])
        model.book.waiting.keep(~drop[n_cases:])

    def weekly_cost(self, model: ModelView) -> float:
        p = self.params
        meeting = self.people_present * p.staff_hours_per_meeting * p.staff_hour_cost
        secretariat = p.secretariat_per_member_per_year * len(self.member_index)
        return meeting + secretariat / WEEKS_PER_YEAR
