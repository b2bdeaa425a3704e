"""Phase 4: intake and assessment of this week's applications.

An organisation assesses each family it takes on, unless it sees (through a shared record) that
the family was already assessed for this episode; if it sees the family is already being served,
it declines. An assessment for an episode that already had one is a duplicate contact.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.core.arrays import (
    add_counts,
    cumsum_in_groups,
    first_of_each,
    pair_key,
    row_key,
    run_lengths,
    run_starts,
    select,
)
from sim.core.phases.finding import SOURCE_REFERRAL

if TYPE_CHECKING:
    from sim.core.model import CoordinationModel


def take_in(model: CoordinationModel) -> None:
    """Assess affordable applications and put the families on the waiting lists."""
    apps, pop, orgs, week = model.book.applications, model.pop, model.orgs, model.week
    fam, sec, org = apps.family.astype(np.int64), apps.sector.astype(np.int64), apps.org.astype(np.int64)
    fast = apps.fast_track
    referred = apps.source == SOURCE_REFERRAL
    model.book.clear_applications()
    pairs = pair_key(fam, sec, pop.n_sectors)
    keys = row_key(fam, sec, org, pop.n_sectors, orgs.size)
    valid = (pop.need_start.ravel()[pairs] >= 0) & ~model.book.held(pairs, org)
    valid &= first_of_each(np.where(valid, keys, -1)) | ~valid
    valid &= ~_refused_at_the_door(model, fam, sec, valid)
    fam, sec, org, pairs, fast, referred = select(valid, fam, sec, org, pairs, fast, referred)
    rng = model.streams["intake"]
    sees = rng.random(len(fam)) < model.visibility(fam, org)
    declined = sees & (model.book.serving.ravel()[pairs] > 0)
    reuses_record = sees & ~declined & (pop.assessed.ravel()[pairs] > 0)
    take = ~declined
    fam, sec, org, pairs, fast, referred, reuses_record = (
        select(take, fam, sec, org, pairs, fast, referred, reuses_record))
    cost = np.where(reuses_record, 0.0, orgs.assessment_cost[org])
    order = np.lexsort((rng.random(len(fam)), org))
    affordable = np.empty(len(fam), dtype=bool)
    affordable[order] = cumsum_in_groups(org[order], cost[order]) <= orgs.budget[org[order]] + 1e-9
    turned_away = fam[~affordable]
    pop.trust[turned_away] *= 1.0 - model.params.families.trust_loss_when_turned_away
    fam, sec, org, pairs, fast, referred, cost, reuses_record = (
        select(affordable, fam, sec, org, pairs, fast, referred, cost, reuses_record))
    assessed = ~reuses_record
    earlier = pop.assessed.ravel()[pairs] > 0
    duplicate = assessed & (earlier | ~first_of_each(np.where(assessed, pairs, -1 - pairs)))
    cross_sector = assessed & ~duplicate & _assessed_in_another_sector(pop, fam, sec, assessed)
    spent = np.bincount(org, weights=cost, minlength=orgs.size)
    orgs.budget -= spent
    add_counts(pop.assessed.reshape(-1), pairs[assessed])
    orgs.assessed_this_week = np.bincount(org[assessed], minlength=orgs.size)
    model.book.waiting.append(family=fam, sector=sec, org=org, since=np.full(len(fam), week),
                         fast_track=fast, referred=referred)
    if model.ledger.counts(week):
        led = model.ledger
        led.assessments += float(assessed.sum())
        led.assessments_duplicate += float(duplicate.sum())
        led.assessment_spend += float(cost.sum())
        led.assessment_spend_duplicate += float(cost[duplicate].sum())
        led.assessments_cross_sector += float(cross_sector.sum())
        led.assessment_spend_cross_sector += float(cost[cross_sector].sum())
        led.add_by_org(spent, org[duplicate])


def _refused_at_the_door(model: CoordinationModel, fam: np.ndarray, sec: np.ndarray,
                         valid: np.ndarray) -> np.ndarray:
    """Mask of the valid applications refused before assessment for want of documents or a shared
    language, or because the family's group is not entitled to the sector (``groups:``); the
    family is turned away and loses trust. Nothing is drawn for families in no such group."""
    groups = model.pop.groups
    refused = np.zeros(len(fam), dtype=bool)
    if groups.barrier is None:
        return refused
    chance = np.where(valid, groups.barrier[groups.bits[fam], sec], 0.0)
    (rows,) = np.nonzero(chance > 0)
    refused[rows] = model.streams["intake_barrier"].random(len(rows)) < chance[rows]
    turned_away = fam[refused]
    model.pop.trust[turned_away] *= 1.0 - model.params.families.trust_loss_when_turned_away
    if model.ledger.counts(model.week):
        model.ledger.refused_at_intake += float(len(turned_away))
    return refused


def _assessed_in_another_sector(pop, fam: np.ndarray, sec: np.ndarray,
                                assessed: np.ndarray) -> np.ndarray:
    """Mask of this week's applications whose family was already assessed in another sector:
    for an episode still open (earlier weeks, or a hub's assessment), or earlier in this batch
    (its first assessed row in the batch sets the family's sector this week)."""
    before = (pop.assessed[fam] > 0) & (pop.need_start[fam] >= 0)  # (n, S)
    before[np.arange(len(fam)), sec] = False
    other = before.any(axis=1)
    rows = np.flatnonzero(assessed)
    if len(rows):
        order = rows[np.argsort(fam[rows], kind="stable")]
        starts = run_starts(fam[order])
        first_sector = np.repeat(sec[order[starts]], run_lengths(starts, len(order)))
        other[order] |= sec[order] != first_sector
    return other
