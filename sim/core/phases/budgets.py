"""Phase 1: funding arrives on each organisation's cycle; fiscal year ends lapse unspent money;
organisations pay what they owe for the coordination mechanisms they pay for."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.scenario.schema import WEEKS_PER_YEAR

if TYPE_CHECKING:
    from sim.core.model import CoordinationModel


def tranche_due(week: int, fiscal_start: np.ndarray, tranches: np.ndarray) -> np.ndarray:
    """Organisations whose next tranche arrives this week (tranches spread over the fiscal year)."""
    rel = (week - fiscal_start) % WEEKS_PER_YEAR
    return (rel * tranches) // WEEKS_PER_YEAR != ((rel - 1) * tranches) // WEEKS_PER_YEAR


def fund(model: CoordinationModel) -> None:
    """Lapse unspent budgets at fiscal year end, then pay due tranches (grants may not renew)."""
    orgs, week, ledger = model.orgs, model.week, model.ledger
    year_start = (week - orgs.fiscal_start) % WEEKS_PER_YEAR == 0
    lapsing = orgs.funded & orgs.lapse_at_year_end & year_start & (week > 0)
    lapsed = orgs.budget[lapsing].sum()
    orgs.budget[lapsing] = 0.0
    renewed = model.streams["grants"].random(orgs.size) < orgs.renewal_probability
    due = orgs.funded & tranche_due(week, orgs.fiscal_start, orgs.tranches) & renewed
    amount = np.where(due, orgs.budget_per_year / orgs.tranches, 0.0)
    orgs.budget += amount
    orgs.arrived = amount
    pay_coordination(orgs)
    if ledger.counts(week):
        ledger.lapsed_budget += float(lapsed)
        ledger.appropriated += float(amount.sum())


def pay_coordination(orgs) -> None:
    """Pay mechanisms' costs owed (``paid_by``) from budgets, before this week's services; what a
    budget cannot pay stays owed and is paid from the next funding."""
    paid = np.minimum(orgs.coordination_due, np.maximum(orgs.budget, 0.0))
    orgs.budget -= paid
    orgs.coordination_due -= paid
    orgs.coordination_paid += paid
