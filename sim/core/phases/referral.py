"""Phase 6: a provider taking on a family may spot its needs in other sectors and refer it.

Each hand-off completes with the referring organisation's completion probability, lowered by the
wait expected at the receiving organisation; a completed referral is an application at next
week's intake, a lost one is counted as lost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.core.phases.choice import access_weights, pick
from sim.core.phases.finding import SOURCE_REFERRAL

if TYPE_CHECKING:
    from sim.core.model import CoordinationModel


def expected_wait_weeks(model: CoordinationModel) -> np.ndarray:
    """(O,) weeks a newcomer would wait: waiting list length / weekly throughput."""
    orgs = model.orgs
    waiting = np.bincount(model.book.waiting.org, minlength=orgs.size)
    throughput = np.maximum(orgs.capacity / model.org_service_weeks, 1e-9)
    return waiting / throughput


def refer(model: CoordinationModel, started: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    """Referrals from the cases that started this week, given as (family, sector, org)."""
    pop, orgs = model.pop, model.orgs
    fam, own_sector, src = started
    if len(fam) == 0:
        return
    s = pop.n_sectors
    book = model.book
    open_need = (pop.need_start[fam] >= 0) & (book.serving[fam] == 0) & (book.waiting_count[fam] == 0)
    open_need[np.arange(len(fam)), own_sector] = False
    rng = model.streams["referral"]
    spotted = open_need & (rng.random((len(fam), s)) < model.identify_probability(fam, src)[:, None])
    row, sec = np.nonzero(spotted)
    fam, src = fam[row], src[row]
    target, _ = pick(model, fam, sec, access_weights, rng.random(len(fam)))
    reachable = target >= 0
    fam, src, sec, target = fam[reachable], src[reachable], sec[reachable], target[reachable]
    fast = model.fast_track(fam, src, target)
    wait = np.where(fast, 0.0, expected_wait_weeks(model)[target])
    scale = model.params.families.referral_wait_scale_weeks
    p = orgs.referral_completion[src] / (1.0 + wait / scale)
    p = model.referral_completion(fam, src, target, p)
    completed = rng.random(len(fam)) < p
    model.book.apply(fam[completed], sec[completed], target[completed], SOURCE_REFERRAL, fast[completed])
    if model.ledger.counts(model.week):
        model.ledger.referrals_made += float(len(fam))
        model.ledger.referrals_completed += float(completed.sum())
        area = pop.neighbourhood[fam]
        model.ledger.add_by_area("referrals_made", area)
        model.ledger.add_by_area("referrals_completed", area[completed])
