"""Political cycles: elections on a fixed calendar and what a change of administration brings.

Elections fall every ``term_years`` from ``first_election_week`` (weeks from the start of measured
time, the model's one time origin). At each, a change of administration happens with
``change_probability``. A change, in this order, with every draw from the ``politics`` stream:

1. each running mechanism survives with the chance its ``institutionalisation`` sets (one draw
   per running mechanism, in step order); one that does not survive stops this week as at its
   ``end_week`` (its adjustments to the levers are withdrawn);
2. the focal point, if it survives, loses each official past the minimum tenure with chance
   ``focal_point_turnover`` (one draw per post);
3. the council and the case conference, if they survive, hold no meeting for
   ``council_pause_weeks``;
4. departments' yearly budgets (the base of ``levers.budget_per_year``) are multiplied by
   ``1 + budget_change`` from this week on.

Called at the start of each step, before mechanisms start and stop. Without a ``politics:`` block
the model builds none of this and draws nothing from the stream.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.core.coordination.calendar import first_in_run
from sim.scenario.schema import OrgKind

if TYPE_CHECKING:
    from sim.core.model import CoordinationModel
    from sim.scenario.politics import PoliticsParams

STREAM = "politics"
MEETING_BODIES = ("council", "case_conference")


class Politics:
    """The election calendar of one run and the changes of administration so far."""

    def __init__(self, params: PoliticsParams, warmup_weeks: int, steps: int):
        self.params = params
        first = first_in_run(warmup_weeks + params.first_election_week, params.term_weeks)
        self.election_weeks = frozenset(range(first, steps, params.term_weeks))
        self.elections = 0  # held so far
        self.changes = 0  # changes of administration so far
        self.mechanisms_ended = 0  # mechanisms that did not survive a change
        self.paused_until = -1  # model week the meeting bodies meet again
        self.budget_factor = 1.0  # product of the budget changes so far

    def step(self, model: CoordinationModel) -> None:
        """Hold this week's election, if one is due."""
        if model.week not in self.election_weeks:
            return
        self.elections += 1
        rng = model.streams[STREAM]
        if rng.random() < self.params.change_probability:
            self.change(model, rng)

    def change(self, model: CoordinationModel, rng: np.random.Generator) -> None:
        """A change of administration: survival, focal-point departures, pause, budgets."""
        p, week = self.params, model.week
        self.changes += 1
        running = [m for m in model.all_mechanisms if m.running(week)]
        chance = np.array([p.survival_chance(m.params.institutionalisation) for m in running])
        survives = rng.random(len(running)) < chance
        for m, kept in zip(running, survives, strict=True):
            if not kept:
                m.end_early(week)
                self.mechanisms_ended += 1
        kept = {m.name: m for m, ok in zip(running, survives, strict=True) if ok}
        if "focal_point" in kept:
            kept["focal_point"].depart(model, p.focal_point_turnover, rng)
        self.paused_until = week + p.council_pause_weeks
        for name in MEETING_BODIES:
            if name in kept:
                kept[name].pause(self.paused_until)
        if p.budget_change:
            departments = np.array([k == OrgKind.DEPARTMENT for k in model.orgs.kind])
            lever = model.levers.budget_per_year
            lever.set_base(week, lever.base * np.where(departments, 1.0 + p.budget_change, 1.0))
            self.budget_factor *= 1.0 + p.budget_change

    def reporters(self) -> dict:
        """Time-series columns: elections and changes so far, whether meetings are paused, the
        departments' budget factor, mechanisms ended by a change."""
        return {
            "politics.elections": lambda model: self.elections,
            "politics.administration": lambda model: self.changes,
            "politics.council_paused": lambda model: int(model.week < self.paused_until),
            "politics.budget_factor": lambda model: self.budget_factor,
            "politics.mechanisms_ended": lambda model: self.mechanisms_ended,
        }
