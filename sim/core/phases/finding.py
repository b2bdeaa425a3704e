"""Phase 3: families with open needs seek help; organisations' outreach finds some who do not."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.core.arrays import select, split_pairs
from sim.core.phases.choice import access_weights, outreach_weights, pick

if TYPE_CHECKING:
    from sim.core.model import CoordinationModel

SOURCE_SEEKING, SOURCE_OUTREACH, SOURCE_REFERRAL = 0, 1, 2
SOURCE_HUB = 3  # queued by a family hub after its multi-sector assessment (integrated platform)


def seek_help(model: CoordinationModel) -> None:
    """Unserved families not waiting (or tired of waiting) apply to a provider (their trust,
    raised by services and lowered by refusals, first fades a week toward its baseline)."""
    pop, week, fp = model.pop, model.week, model.params.families
    fade = pop.trust_baseline - pop.trust
    fade *= np.float32(1.0 / fp.trust_memory_weeks)
    pop.trust += fade
    last = pop.last_sought.reshape(-1)
    pairs = model.book.unserved_pairs()
    sought = last[pairs]
    (pairs,) = select((sought < 0) | (week - sought >= fp.patience_weeks), pairs)
    fam, sec = split_pairs(pairs, pop.n_sectors)
    rng = model.streams["seeking"]
    willing = fp.seek_probability * pop.awareness[fam] * pop.trust[fam]
    willing *= np.where(pop.marginalised[fam], 1.0 - fp.stigma_marginalised, 1.0)
    willing *= np.where(pop.escalated.reshape(-1)[pairs], 2.0, 1.0)
    if pop.groups.seek_factor is not None:  # fear of authorities, unfamiliar services
        willing *= pop.groups.seek_factor[pop.groups.bits[fam]]
    draw = rng.random(len(pairs))
    # the chance to seek is willing x min(access, 1) <= willing: only those below can seek
    maybe = draw < willing
    pairs, fam, sec, draw, willing = select(maybe, pairs, fam, sec, draw, willing)
    org, total = pick(model, fam, sec, access_weights, rng.random(len(pairs)))
    seeks = (draw < willing * np.minimum(total, 1.0)) & (org >= 0)
    pairs, fam, sec, org = select(seeks, pairs, fam, sec, org)
    last[pairs] = week
    model.book.apply(fam, sec, org, SOURCE_SEEKING)


def outreach(model: CoordinationModel) -> None:
    """Outreach finds families with an open need who have not sought help (not served, not waiting)."""
    pop = model.pop
    if not model.orgs.outreach.any():
        return
    pairs = model.book.unserved_pairs(not_waiting=True)
    fam, sec = split_pairs(pairs, pop.n_sectors)
    rng = model.streams["outreach"]
    # these families hold no row anywhere, so every provider is open to them: the total
    # outreach reaching them depends only on neighbourhood, vulnerability and sector
    marg = pop.marginalised[fam].astype(np.int64)
    chance = -np.expm1(-outreach_intensity(model))  # (H, 2, S): computed once, then looked up
    found = rng.random(len(pairs)) < chance[pop.neighbourhood[fam], marg, sec]
    fam, sec = select(found, fam, sec)
    org, _ = pick(model, fam, sec, outreach_weights, rng.random(len(fam)))
    reached = org >= 0
    model.book.apply(*select(reached, fam, sec, org), SOURCE_OUTREACH)


def outreach_intensity(model: CoordinationModel) -> np.ndarray:
    """(H, 2, S) total weekly outreach reaching a family by neighbourhood, vulnerability, sector
    (each neighbourhood's outreach times its ``outreach_area`` factor, 1 unless targeted)."""
    orgs = model.orgs
    sites = orgs.site.T * orgs.outreach_area[:, None]  # (H, O): 1.0 x factor at a site, else 0
    reach = sites[:, None, :] * orgs.outreach[None, None, :]  # (H, 1, O)
    open_to = np.stack([~orgs.marginalised_only, np.ones(orgs.size, dtype=bool)])  # (2, O)
    return (reach * open_to[None, :, :]) @ orgs.serves.astype(float)
