"""Phase 2: children age and are born; needs arise, escalate while unmet, and lapse.

Common random numbers: births draw one number per family and needs one number per eligible
(family, sector) pair every week; eligibility depends only on ages, so these draws are the same
whatever coordination the city runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.ledger import LAPSED, MET

if TYPE_CHECKING:
    from sim.model import CoordinationModel


def age_and_birth(model: CoordinationModel) -> None:
    """Advance every child one week; births fill empty child slots."""
    pop = model.pop
    draw = model.streams["births"].random(pop.n)
    pop.age_and_births(draw, model.sectors.birth_probability)


def arise(model: CoordinationModel) -> None:
    """New need events; an event where no episode is open starts one."""
    pop, sectors, week = model.pop, model.sectors, model.week
    eligible = pop.eligible(sectors.age_band_weeks)
    model.eligible = eligible
    pairs = np.flatnonzero(eligible)
    fam, sec = np.divmod(pairs, pop.n_sectors)
    hazard = -np.expm1(-sectors.weekly_rate[model.hazard_group[fam], sec] * pop.complexity[fam])
    event = model.streams["needs"].random(len(pairs)) < hazard
    model.last_need_events = pairs[event]
    new = model.last_need_events[pop.need_start.ravel()[model.last_need_events] < 0]
    flat = pop.need_start.reshape(-1)
    flat[new] = week
    for column in (pop.escalated, pop.assessed, pop.enrolled):
        column.reshape(-1)[new] = 0
    pop.last_sought.reshape(-1)[new] = -1
    if model.ledger.counts(week):
        model.ledger.need_events += float(event.sum())
        fam_new, sec_new = np.divmod(new, pop.n_sectors)
        model.ledger.start_episodes(sec_new, pop.marginalised[fam_new])
        model.ledger.add_by_area("started", pop.neighbourhood[fam_new])


def escalate_and_lapse(model: CoordinationModel) -> None:
    """Unmet needs may escalate; unserved needs lapse (or end when no child is in the age band)."""
    pop, sectors, week = model.pop, model.sectors, model.week
    unserved = np.flatnonzero(pop.active.ravel() & (model.serving.ravel() == 0))
    fam, sec = np.divmod(unserved, pop.n_sectors)
    waited = week - pop.need_start.ravel()[unserved]
    esc_draw = model.streams["escalation"].random(len(unserved))
    escalates = (
        ~pop.escalated.ravel()[unserved]
        & (waited >= sectors.escalation_after[sec])
        & (esc_draw < sectors.escalation_probability[sec])
    )
    pop.escalated.reshape(-1)[unserved[escalates]] = True
    lapse_draw = model.streams["lapse"].random(len(unserved))
    lapses = (lapse_draw < sectors.lapse_probability[sec]) | ~model.eligible.ravel()[unserved]
    if model.ledger.counts(week):
        counted = pop.need_start.ravel()[unserved] >= model.ledger.warmup
        model.ledger.escalations += float(np.count_nonzero(escalates & counted))
    end_episodes(model, unserved[lapses], LAPSED)


def end_episodes(model: CoordinationModel, pairs: np.ndarray, outcome: int) -> None:
    """Close the episodes at flat (family, sector) indices ``pairs`` with ``outcome``."""
    pop = model.pop
    fam, sec = np.divmod(pairs, pop.n_sectors)
    start = pop.need_start.ravel()[pairs]
    counted = start >= model.ledger.warmup
    model.ledger.end_episodes(outcome, sec[counted], pop.marginalised[fam[counted]])
    if outcome == MET:
        model.ledger.add_by_area("met", pop.neighbourhood[fam[counted]])
    pop.need_start.reshape(-1)[pairs] = -1
    pop.escalated.reshape(-1)[pairs] = False
    model.drop_pairs(pairs)
