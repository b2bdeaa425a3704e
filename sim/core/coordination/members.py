"""The organisations of a model that take part in a mechanism (see ``sim.scenario.members``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.scenario.members import GROUPS, Members

if TYPE_CHECKING:
    from sim.core.coordination.base import ModelView


def member_mask(model: ModelView, members: Members) -> np.ndarray:
    """(O,) True for the organisations in ``members``."""
    if isinstance(members, str):
        rule = GROUPS[members]
        return np.array([rule(kind) for kind in model.orgs.kind], dtype=bool)
    return np.isin(np.array(model.orgs.names), members)


def payer_shares(model: ModelView, params) -> np.ndarray | None:
    """(O,) each organisation's share of a mechanism's costs (``params.paid_by``), pro rata to
    the payers' yearly budgets (equal shares if none has one); None: an outside funder pays."""
    payers = params.payers()
    if payers is None:
        return None
    mask = member_mask(model, payers) & model.orgs.funded
    weight = np.where(mask, model.orgs.budget_per_year, 0.0)
    if weight.sum() <= 0:
        weight = mask.astype(float)
    return weight / weight.sum()
