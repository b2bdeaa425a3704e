"""Phase 3: families with open needs seek help; organisations' outreach finds some who do not."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.phases.choice import access_weights, outreach_weights, pick

if TYPE_CHECKING:
    from sim.model import CoordinationModel

SOURCE_SEEKING, SOURCE_OUTREACH, SOURCE_REFERRAL = 0, 1, 2


def seek_help(model: CoordinationModel) -> None:
    """Unserved families not waiting (or tired of waiting) apply to a provider."""
    pop, week, fp = model.pop, model.week, model.params.families
    last = pop.last_sought.reshape(-1)
    pairs = model.unserved_pairs()
    pairs = pairs[(last[pairs] < 0) | (week - last[pairs] >= fp.patience_weeks)]
    fam, sec = np.divmod(pairs, pop.n_sectors)
    rng = model.streams["seeking"]
    org, total = pick(model, fam, sec, access_weights, rng.random(len(pairs)))
    marg = pop.marginalised[fam]
    willing = fp.seek_probability * pop.awareness[fam] * pop.trust[fam]
    willing *= np.where(marg, 1.0 - fp.stigma_marginalised, 1.0)
    willing *= np.where(pop.escalated.ravel()[pairs], 2.0, 1.0)
    seeks = (rng.random(len(pairs)) < np.minimum(willing * np.minimum(total, 1.0), 1.0)) & (org >= 0)
    last[pairs[seeks]] = week
    model.apply(fam[seeks], sec[seeks], org[seeks], SOURCE_SEEKING)


def outreach(model: CoordinationModel) -> None:
    """Outreach finds families with an open need who have not sought help (not served, not waiting)."""
    pop = model.pop
    if not model.orgs.outreach.any():
        return
    pairs = model.unserved_pairs(not_waiting=True)
    fam, sec = np.divmod(pairs, pop.n_sectors)
    rng = model.streams["outreach"]
    org, total = pick(model, fam, sec, outreach_weights, rng.random(len(pairs)))
    found = (rng.random(len(pairs)) < 1.0 - np.exp(-total)) & (org >= 0)
    model.apply(fam[found], sec[found], org[found], SOURCE_OUTREACH)
