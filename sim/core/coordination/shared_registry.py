"""Shared data system / single registry.

Seen in: shared data systems in ECD, single social registries. Shared records cut repeat tests
only when actually consulted: about 25% fewer repeat imaging orders (7.7% base).

Participants record every assessment and every service they start. At intake and when filling
places, a participant consults the registry with probability ``consultation_rate``, and acts on
what the record shows with probability ``record_reuse``: if it sees the family already assessed
for this need, it reuses the assessment; if it sees the family already served, it declines.
Records consulted are not always acted on (an assessment is redone when the record is old, thin
or not trusted): shared records cut repeat tests by about 25% where consulted, and
``record_reuse`` 0.3 gives the base city about that cut (docs/model.md, pattern
``shared_record_effect``: some repeats happen where the record is not the reason).

Registration is explicit: a family is **registered** (``registered``, owned by this mechanism)
from the first week it is on a participant's books (on its waiting list after an intake,
whether the family sought help, was found by outreach or was referred, or in its caseload), or
when a registration drive (``registration_drive_per_week``: the share of unregistered families
registered each week, at ``cost_per_registration`` each) reaches it. A registration lapses
``registration_valid_weeks`` after the family's last contact with a participant or the drive (a
record not updated goes stale, as Brazil's Cadastro Unico asks for an update every 24 months).

With ``auto_enrolment`` > 0, each week participants enrol that share of the registered families
the ``eligibility`` rule admits (all, marginalised only, or means-tested: the poorest
``means_threshold`` share of the city's families by a proxy means test with error) who have an
open need in their sectors with neither a case nor a waiting row: an application taken in at this
week's intake, then served within the participant's capacity and budget like any other.

Cost: set-up (once, in the first measured week), maintenance each week, ``cost_per_record`` per
record written (each assessment and each service started by a participant, each family the drive
registers) and ``cost_per_registration`` per family the drive registers.
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

NO_CONTACT = -(2**40)  # last_contact of a family never registered

if TYPE_CHECKING:
    from sim.core.coordination.base import ModelView


class SharedRegistry(Mechanism):
    """Makes participants' records visible to participants who consult it; registers families and
    may enrol the eligible ones."""

    name = "shared_registry"

    def setup(self, model: ModelView) -> None:
        n = model.pop.n
        self.participants = member_mask(model, self.params.participants)
        self.records = 0  # records written since the registry started
        self.last_contact = np.full(n, NO_CONTACT, dtype=np.int64)  # week last registered
        self._week = 0
        self.eligible = np.zeros(n, dtype=bool)  # the eligibility rule admits it (set at start)
        self.auto_enrolled = np.zeros(n, dtype=bool)  # the registry applied for it at least once
        self.applications = 0  # auto-enrolment applications made
        self.drive_registrations = 0  # families the registration drive registered
        self._drive_this_week = 0

    @property
    def registered(self) -> np.ndarray:
        """(N,) families whose registration is current (contact within the validity)."""
        return self._week - self.last_contact < self.params.registration_valid_weeks

    def start(self, model: ModelView) -> None:
        p, pop = self.params, model.pop
        if p.eligibility == "all":
            self.eligible[:] = True
        elif p.eligibility == "marginalised":
            self.eligible[:] = pop.marginalised
        else:
            self.eligible[:] = means_test(pop.marginalised, p.means_threshold, p.means_test_noise,
                                          model.streams["registry.means_test"])

    def visibility(self, model, family, org, probability):
        p = self.params
        consulted = np.where(self.participants[org], p.consultation_rate * p.record_reuse, 0.0)
        return 1.0 - (1.0 - probability) * (1.0 - consulted)

    def on_finding(self, model: ModelView) -> None:
        self._week = model.week
        self._drive(model)
        if self.params.auto_enrolment <= 0:
            return
        pop = model.pop
        sectors_covered = (model.orgs.serves & self.participants[:, None]).any(axis=0)
        pairs = model.book.unserved_pairs(not_waiting=True)
        fam, sec = split_pairs(pairs, pop.n_sectors)
        current = model.week - self.last_contact[fam] < self.params.registration_valid_weeks
        keep = current & self.eligible[fam] & sectors_covered[sec]
        pairs, fam, sec = select(keep, pairs, fam, sec)
        rng = model.streams["registry"]
        chosen = rng.random(len(pairs)) < self.params.auto_enrolment
        fam, sec = fam[chosen], sec[chosen]

        def participant_access(m, f, orgs):
            return access_weights(m, f, orgs) * self.participants[orgs]

        org, _ = pick(model, fam, sec, participant_access, rng.random(len(fam)))
        ok = org >= 0
        # an application like any other: intake (assessment budget), then a place within the
        # participant's capacity and budget
        model.book.apply(fam[ok], sec[ok], org[ok], SOURCE_OUTREACH)
        self.auto_enrolled[fam[ok]] = True
        self.applications += int(ok.sum())

    def _drive(self, model: ModelView) -> None:
        """The registration drive registers a share of the unregistered families."""
        share = self.params.registration_drive_per_week
        if share <= 0:
            return
        unregistered = np.flatnonzero(~self.registered)
        reached = unregistered[model.streams["registry.drive"].random(len(unregistered)) < share]
        self.last_contact[reached] = model.week
        self._drive_this_week += len(reached)

    def on_coordination(self, model: ModelView) -> None:
        """Contacts register: every family on a participant's books at the end of the week."""
        for table in (model.book.waiting, model.book.cases):
            self.last_contact[table.family[self.participants[table.org]]] = model.week

    def weekly_cost(self, model: ModelView) -> float:
        p, orgs = self.params, model.orgs
        drive, self._drive_this_week = self._drive_this_week, 0
        self.drive_registrations += drive
        contacts = int((orgs.assessed_this_week + orgs.started_this_week)[self.participants].sum())
        self.records += contacts + drive
        return (p.maintenance_per_year / WEEKS_PER_YEAR + p.cost_per_record * (contacts + drive)
                + p.cost_per_registration * drive)

    def setup_cost(self, model: ModelView) -> float:
        return self.params.setup_cost


def means_test(marginalised: np.ndarray, threshold: float, noise: float,
               rng: np.random.Generator) -> np.ndarray:
    """(N,) families a proxy means test classes as poor: the ``threshold`` share of families with
    the highest deprivation score ``marginalised + noise x z`` (z standard normal, one draw per
    family, once). The model has no income: the score reads the family's vulnerability with an
    error, as a proxy means test reads income from assets with one."""
    n = len(marginalised)
    score = marginalised + noise * rng.standard_normal(n)
    poor = np.zeros(n, dtype=bool)
    k = int(round(threshold * n))
    if k > 0:
        poor[np.argpartition(-score, k - 1)[:k]] = True
    return poor
