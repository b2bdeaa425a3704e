"""Choosing an organisation for each (family, sector): weights by access, no repeats."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.core.model import CoordinationModel


def access_weights(model: CoordinationModel, family: np.ndarray, orgs: np.ndarray) -> np.ndarray:
    """Attractiveness of ``orgs`` (one row of candidates per family): distance decay x fee
    take-up x eligibility."""
    marg = model.pop.marginalised[family].astype(np.int64)
    return model.access[model.pop.neighbourhood[family][:, None], marg[:, None], orgs]


def outreach_weights(model: CoordinationModel, family: np.ndarray, orgs: np.ndarray) -> np.ndarray:
    """Weekly outreach intensity of ``orgs`` (one row per family) reaching its neighbourhood."""
    o = model.orgs
    reach = o.site[orgs, model.pop.neighbourhood[family][:, None]] * o.outreach[orgs]
    marg = model.pop.marginalised[family]
    return np.where(o.marginalised_only[orgs] & ~marg[:, None], 0.0, reach)


def pick(model: CoordinationModel, family: np.ndarray, sector: np.ndarray, weigh,
         draw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pick one provider per (family, sector) in proportion to ``weigh``; skip those already holding it.

    Every candidate's providers are the row ``orgs.provider_table[sector]`` (padded), so all
    sectors are handled in one pass. Returns the chosen organisation (-1 where none is
    available) and the total weight.
    """
    orgs = model.orgs
    providers = orgs.provider_table[sector]  # (n, most providers of a sector)
    w = np.where(orgs.provider_valid[sector], weigh(model, family, providers), 0.0)
    s_count = model.pop.n_sectors
    pairs = family.astype(np.int64) * s_count + sector
    some = np.flatnonzero((model.book.waiting_count.reshape(-1)[pairs] > 0)
                          | (model.book.serving.reshape(-1)[pairs] > 0))  # may be on someone's books
    if len(some):
        w[some] = np.where(model.book.held(pairs[some][:, None], providers[some]), 0.0, w[some])
    cum = np.cumsum(w, axis=1)
    total = cum[:, -1] if cum.shape[1] else np.zeros(len(family))
    idx = (cum < (draw * total)[:, None]).sum(axis=1)
    last = orgs.provider_valid[sector].sum(axis=1) - 1
    picked = providers[np.arange(len(family)), np.minimum(idx, np.maximum(last, 0))]
    return np.where(total > 0, picked, -1), total
