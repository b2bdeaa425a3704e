"""Invariants checked every step with ``sim run --check`` (and always in tests)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.core.arrays import pair_key
from sim.errors import InvariantError

if TYPE_CHECKING:
    from sim.core.model import CoordinationModel


def check_invariants(model: CoordinationModel) -> None:
    """Raise InvariantError naming the week and the first invariant that fails."""
    orgs, pop, led = model.orgs, model.pop, model.ledger
    caseload = np.bincount(model.book.cases.org, minlength=orgs.size)
    checks = {
        "no organisation spends beyond its budget": bool((orgs.budget >= -1e-6).all()),
        # places withdrawn (a mechanism's end, bought places expiring) leave their cases to run
        # off, so an organisation may hold more cases than places, but then starts none
        "no organisation starts a case beyond its capacity": bool(
            ((caseload <= orgs.capacity) | (orgs.started_this_week == 0)).all()),
        "cases and waiting rows belong to open needs": bool(
            (pop.need_start[model.book.cases.family, model.book.cases.sector] >= 0).all()
            and (pop.need_start[model.book.waiting.family, model.book.waiting.sector] >= 0).all()),
        "every episode is met, lapsed or open exactly once": _episodes_balance(model),
        "case and waiting counts match the tables": _counts_match(model),
        # service offers places first come by row order (phases.service.choose_new_cases)
        "waiting rows are in the order families joined": bool(
            (np.diff(model.book.waiting.since) >= 0).all()),
        "duplicates never exceed contacts": (
            led.assessments_duplicate <= led.assessments
            and led.service_weeks_duplicate <= led.service_weeks),
        "repeated and cross-sector assessments never exceed assessments": (
            led.assessments_duplicate + led.assessments_cross_sector <= led.assessments),
        "referrals completed never exceed referrals made": (
            led.referrals_completed <= led.referrals_made),
    }
    for name, ok in checks.items():
        if not ok:
            raise InvariantError(f"week {model.week}: invariant failed: {name}")


def _counts_match(model: CoordinationModel) -> bool:
    size = model.pop.n * model.pop.n_sectors
    s = model.pop.n_sectors
    cases = np.bincount(pair_key(model.book.cases.family, model.book.cases.sector, s), minlength=size)
    waiting = np.bincount(pair_key(model.book.waiting.family, model.book.waiting.sector, s), minlength=size)
    open_now = np.flatnonzero(model.pop.need_start.reshape(-1) >= 0)
    tables = (model.book.cases, model.book.waiting)
    pairs_kept = all(np.array_equal(t.pair, pair_key(t.family, t.sector, s)) for t in tables)
    return bool(pairs_kept and np.array_equal(cases, model.book.serving.reshape(-1))
                and np.array_equal(waiting, model.book.waiting_count.reshape(-1))
                and np.array_equal(open_now, model.pop.open_pairs))


def _episodes_balance(model: CoordinationModel) -> bool:
    pop, led = model.pop, model.ledger
    start = pop.need_start
    counted = start >= led.warmup
    open_now = np.zeros_like(led.episodes_started)
    fam, sec = np.nonzero(counted)
    np.add.at(open_now, (sec, pop.family_class[fam]), 1)
    return bool(np.array_equal(open_now, led.open_episodes()))
