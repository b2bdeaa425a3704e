"""Choosing an organisation for each (family, sector): weights by access, no repeats."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.caseload import contains, row_key

if TYPE_CHECKING:
    from sim.model import CoordinationModel


def access_weights(model: CoordinationModel, family: np.ndarray, orgs: np.ndarray) -> np.ndarray:
    """(len(family), len(orgs)) attractiveness: distance decay x fee take-up x eligibility."""
    marg = model.pop.marginalised[family].astype(np.int64)
    return model.access[model.pop.neighbourhood[family][:, None], marg[:, None], orgs[None, :]]


def outreach_weights(model: CoordinationModel, family: np.ndarray, orgs: np.ndarray) -> np.ndarray:
    """(len(family), len(orgs)) weekly outreach intensity reaching each family's neighbourhood."""
    reach = model.orgs.site[orgs][:, model.pop.neighbourhood[family]].T * model.orgs.outreach[orgs]
    marg = model.pop.marginalised[family]
    return np.where(model.orgs.marginalised_only[orgs][None, :] & ~marg[:, None], 0.0, reach)


def pick(model: CoordinationModel, family: np.ndarray, sector: np.ndarray, weigh,
         draw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pick one provider per (family, sector) in proportion to ``weigh``; skip those already holding it.

    Returns the chosen organisation (-1 where none is available) and the total weight.
    """
    chosen = np.full(len(family), -1, dtype=np.int64)
    total = np.zeros(len(family))
    held = model.held_keys()
    s_count, o_count = model.pop.n_sectors, model.orgs.size
    pairs = family.astype(np.int64) * s_count + sector
    holds = (model.waiting_count.reshape(-1)[pairs] > 0) | (model.serving.reshape(-1)[pairs] > 0)
    for s in np.unique(sector):
        rows = np.flatnonzero(sector == s)
        providers = model.orgs.providers(int(s))
        w = weigh(model, family[rows], providers)
        some = np.flatnonzero(holds[rows])  # only these can already be on a provider's books
        keys = row_key(family[rows][some][:, None], s, providers[None, :], s_count, o_count)
        w[some] = np.where(contains(held, keys), 0.0, w[some])
        cum = np.cumsum(w, axis=1)
        total[rows] = cum[:, -1]
        idx = (cum < (draw[rows] * cum[:, -1])[:, None]).sum(axis=1)
        ok = cum[:, -1] > 0
        chosen[rows[ok]] = providers[np.minimum(idx[ok], len(providers) - 1)]
    return chosen, total
