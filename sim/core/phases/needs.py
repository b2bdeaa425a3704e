"""Phase 2: children age and are born; needs arise, escalate while unmet, and lapse.

Need events and births are event-driven: each eligible (family, sector) pair carries the week
of its next need event, drawn from a geometric distribution (the waiting time of a weekly
Bernoulli process) when it becomes eligible and after each event; each family carries the week
of its next birth event. An entitlement's need (``need_arises: entering_band``) has one event, the
week the pair becomes eligible, and none after it. A lasting service (a place, a benefit) ends,
meeting the need, when no child of the family is left in the sector's age band. Common random
numbers: these draws depend only on ages, births and the need events themselves, never on
services, so they are the same whatever coordination the city runs (prevention after treatment
draws from a stream of its own).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.core.arrays import select, split_pairs
from sim.core.ledger import LAPSED, MET, SEVERE
from sim.core.population import NEVER, geometric_wait

if TYPE_CHECKING:
    from sim.core.model import CoordinationModel


def age_and_birth(model: CoordinationModel) -> None:
    """Births due this week; children crossing age bands change which needs can arise."""
    pop = model.pop
    became, stopped = pop.age_and_births(model.week, model.streams["births"],
                                         model.sectors.birth_probability)
    schedule_needs(model, became, first_week=model.week)
    pop.next_need.reshape(-1)[stopped] = NEVER
    sec = stopped % pop.n_sectors
    (ended,) = select(model.sectors.lasting[sec] & (pop.need_start.ravel()[stopped] >= 0)
                      & (model.book.serving.ravel()[stopped] > 0), stopped)
    if len(ended):  # a place or a benefit held until the last child left the age band
        end_episodes(model, np.sort(ended), MET)


def weekly_need_probability(model: CoordinationModel, pairs: np.ndarray) -> np.ndarray:
    """Weekly chance of a need event for flat (family, sector) ``pairs``."""
    fam, sec = split_pairs(pairs, model.pop.n_sectors)
    rate = model.sectors.weekly_rate[model.hazard_group[fam], sec] * model.pop.complexity[fam]
    groups = model.pop.groups
    if groups.need_factor is not None:  # other kinds of disadvantage multiply the hazard
        rate = rate * groups.need_factor[groups.bits[fam], sec]
    return -np.expm1(-rate)


def schedule_needs(model: CoordinationModel, pairs: np.ndarray, first_week: int,
                   after_event: bool = False) -> None:
    """Draw the week of the next need event of ``pairs``, counting from ``first_week``; an
    entitlement's event is ``first_week`` itself when the pair becomes eligible, and never after
    an event (``after_event``)."""
    if len(pairs):
        entitled = model.sectors.on_entering_band[pairs % model.pop.n_sectors]
        hazard = pairs[~entitled]
        wait = geometric_wait(model.streams["needs"], weekly_need_probability(model, hazard))
        next_need = model.pop.next_need.reshape(-1)
        next_need[hazard] = np.minimum(first_week - 1 + wait, NEVER)
        next_need[pairs[entitled]] = NEVER if after_event else first_week
        model.pop.need_calendar.add(pairs)


def arise(model: CoordinationModel) -> None:
    """This week's need events; an event where no episode is open starts one."""
    pop, week = model.pop, model.week
    model.last_need_events = pop.need_calendar.due_in(week)
    schedule_needs(model, model.last_need_events, first_week=week + 1, after_event=True)
    new = model.last_need_events[pop.need_start.ravel()[model.last_need_events] < 0]
    if pop.last_met is not None:
        new = _not_prevented(model, new)
    model.book.open_episodes(new, model.week)
    for column in (pop.escalated, pop.assessed, pop.enrolled):
        column.reshape(-1)[new] = 0
    pop.last_sought.reshape(-1)[new] = -1
    if model.ledger.counts(week):
        model.ledger.need_events += float(len(model.last_need_events))
        fam_new, sec_new = split_pairs(new, pop.n_sectors)
        model.ledger.start_episodes(week, sec_new, pop.family_class[fam_new],
                                    pop.neighbourhood[fam_new])
        model.ledger.package.started(week, fam_new)


def _not_prevented(model: CoordinationModel, pairs: np.ndarray) -> np.ndarray:
    """The need events ``pairs`` that prevention does not stop: within ``protection_weeks`` of
    the family's last met need in a sector, an event is prevented with ``protection_effect``."""
    sectors, sec = model.sectors, pairs % model.pop.n_sectors
    since_met = model.week - model.pop.last_met.ravel()[pairs]
    (protected,) = np.nonzero(since_met <= sectors.protection_weeks[sec])
    draw = model.streams["prevention"].random(len(protected))
    prevented = protected[draw < sectors.protection_effect[sec[protected]]]
    if model.ledger.counts(model.week):
        model.ledger.needs_prevented += float(len(prevented))
    keep = np.ones(len(pairs), dtype=bool)
    keep[prevented] = False
    return pairs[keep]


def escalate_and_lapse(model: CoordinationModel) -> None:
    """Unmet needs may escalate; unserved needs lapse, or in a harm sector accrue harm and may end
    in a severe outcome (or end when no child is in the age band); needs still unserved a week
    past the follow-up fail their family's full package."""
    pop, sectors, week = model.pop, model.sectors, model.week
    unserved = model.book.unserved_pairs()
    fam, sec = split_pairs(unserved, pop.n_sectors)
    waited = week - pop.need_start.ravel()[unserved]
    # only needs unmet long enough, in a sector where needs escalate, can escalate this week
    could = np.flatnonzero(~pop.escalated.ravel()[unserved] & (sectors.escalation_probability[sec] > 0)
                           & (waited >= sectors.escalation_after[sec]))
    esc_draw = model.streams["escalation"].random(len(could))
    escalates = np.zeros(len(unserved), dtype=bool)
    escalates[could] = esc_draw < sectors.escalation_probability[sec[could]]
    pop.escalated.reshape(-1)[unserved[escalates]] = True
    lapse_draw = model.streams["lapse"].random(len(unserved))
    no_child_in_band = pop.children.band_count.reshape(-1)[unserved] == 0
    # the needs that end this week (a few of the unserved): by the draw, or with no child left
    closing = np.flatnonzero((lapse_draw < sectors.lapse_probability[sec]) | no_child_in_band)
    if model.ledger.counts(week):
        led = model.ledger
        counted = pop.need_start.ravel()[unserved] >= led.warmup
        led.escalations += float(np.count_nonzero(escalates & counted))
        if sectors.harm.any():
            led.harm_weeks += float(np.count_nonzero(sectors.harm[sec]))
        late = waited == model.params.time.follow_up_weeks + 1
        led.package.failed_episodes(fam[late], week - waited[late])
    # in a harm sector, the draw is a severe outcome; with no child left, a need lapses anywhere
    severe = sectors.harm[sec[closing]] & ~no_child_in_band[closing]
    ending = unserved[closing]
    _record_ends(model, ending[severe], SEVERE)
    _record_ends(model, ending[~severe], LAPSED)
    model.book.close_episodes(ending)  # both outcomes at once: the tables are filtered once


def end_episodes(model: CoordinationModel, pairs: np.ndarray, outcome: int) -> None:
    """Close the episodes at sorted flat (family, sector) indices ``pairs`` with ``outcome``."""
    _record_ends(model, pairs, outcome)
    model.book.close_episodes(pairs)


def _record_ends(model: CoordinationModel, pairs: np.ndarray, outcome: int) -> None:
    """Count the episodes at ``pairs`` as ended with ``outcome`` (before they are closed)."""
    pop = model.pop
    if model.ledger.counts(model.week):
        fam, sec = split_pairs(pairs, pop.n_sectors)
        start = pop.need_start.ravel()[pairs]
        model.ledger.end_episodes(outcome, start, sec, pop.family_class[fam])
        if outcome != MET:  # ended unserved: not served in time
            model.ledger.package.failed_episodes(fam, start)
    if outcome == MET and model.pop.last_met is not None:
        model.pop.last_met.reshape(-1)[pairs] = model.week
