"""Shared data system / single registry.

Seen in: shared data systems in ECD, single social registries. Shared records cut repeat tests
only when actually consulted: about 25% fewer repeat imaging orders (7.7% base).

Participants record every assessment and every service they start. At intake and when filling places, a
participant consults the registry with probability ``consultation_rate``: if it sees the family
already assessed for this need, it reuses the assessment; if it sees the family already served,
it declines. With ``auto_enrolment`` > 0, participants also enrol, each week, that share of the
registered families (families with any assessment on record) who have an open, unserved need
in their sectors. Cost: set-up (once, in the first measured week), maintenance each week, and a
cost per record made in the measurement window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.core.arrays import select, split_pairs
from sim.core.coordination.base import Mechanism
from sim.core.coordination.members import member_mask
from sim.core.phases.choice import access_weights, pick
from sim.core.phases.finding import SOURCE_OUTREACH
from sim.scenario.schema import WEEKS_PER_YEAR

if TYPE_CHECKING:
    from sim.core.coordination.base import ModelView


class SharedRegistry(Mechanism):
    """Makes participants' records visible to participants who consult it."""

    name = "shared_registry"

    def setup(self, model: ModelView) -> None:
        self.participants = member_mask(model, self.params.participants)
        self.records = 0

    def visibility(self, model, family, org, probability):
        consulted = np.where(self.participants[org], self.params.consultation_rate, 0.0)
        return 1.0 - (1.0 - probability) * (1.0 - consulted)

    def on_finding(self, model: ModelView) -> None:
        if self.params.auto_enrolment <= 0:
            return
        pop = model.pop
        sectors_covered = (model.orgs.serves & self.participants[:, None]).any(axis=0)
        pairs = model.book.unserved_pairs(not_waiting=True)
        fam, sec = split_pairs(pairs, pop.n_sectors)
        registered = (pop.assessed[fam] > 0).any(axis=1)
        keep = registered & sectors_covered[sec]
        pairs, fam, sec = select(keep, pairs, fam, sec)
        rng = model.streams["registry"]
        chosen = rng.random(len(pairs)) < self.params.auto_enrolment
        fam, sec = fam[chosen], sec[chosen]

        def participant_access(m, f, orgs):
            return access_weights(m, f, orgs) * self.participants[orgs]

        org, _ = pick(model, fam, sec, participant_access, rng.random(len(fam)))
        ok = org >= 0
        model.book.apply(fam[ok], sec[ok], org[ok], SOURCE_OUTREACH)

    def weekly_cost(self, model: ModelView) -> float:
        p, orgs = self.params, model.orgs
        new_records = int((orgs.assessed_this_week + orgs.started_this_week)[self.participants].sum())
        self.records += new_records
        return p.maintenance_per_year / WEEKS_PER_YEAR + p.cost_per_record * new_records

    def setup_cost(self, model: ModelView) -> float:
        return self.params.setup_cost
