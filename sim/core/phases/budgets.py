"""Phase 1: funding arrives on each organisation's cycle; fiscal year ends lapse unspent money
(and may grow a yearly budget); organisations pay what they owe for the coordination mechanisms
they pay for."""

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
    """Lapse unspent budgets at fiscal year end, grow some yearly budgets, then pay due tranches
    (grants may not renew)."""
    orgs, week, ledger = model.orgs, model.week, model.ledger
    year_start = (week - orgs.fiscal_start) % WEEKS_PER_YEAR == 0
    lapsing = orgs.funded & orgs.lapse_at_year_end & year_start & (week > 0)
    lapsed = orgs.budget[lapsing].sum()
    orgs.budget[lapsing] = 0.0
    increase_budgets(model, orgs.funded & year_start & (week > 0))
    renewed = model.streams["grants"].random(orgs.size) < orgs.renewal_probability
    due = orgs.funded & tranche_due(week, orgs.fiscal_start, orgs.tranches) & renewed
    amount = np.where(due, orgs.budget_per_year / orgs.tranches, 0.0)
    orgs.budget += amount
    orgs.arrived = amount
    pay_coordination(orgs)
    if ledger.counts(week):
        ledger.lapsed_budget += float(lapsed)
        ledger.appropriated += float(amount.sum())


def increase_budgets(model: CoordinationModel, new_year: np.ndarray) -> None:
    """At a new fiscal year, each organisation's yearly budget grows by its
    ``budget_increase_share`` with chance ``budget_increase_probability`` (the composed lever:
    advocacy adds to it). One ``budgets.increase`` draw per organisation in every week some
    organisation's year starts, whatever the chances, so runs share their draws."""
    if not new_year.any():
        return
    orgs = model.orgs
    draw = model.streams["budgets.increase"].random(orgs.size)
    grows = new_year & (draw < orgs.budget_increase_probability)
    if grows.any():
        lever = model.levers.budget_per_year
        lever.set_base(model.week, lever.base * np.where(grows, 1.0 + orgs.budget_increase_share, 1.0))


def pay_coordination(orgs) -> None:
    """Pay mechanisms' costs owed (``paid_by``) from budgets, before this week's services; what a
    budget cannot pay stays owed and is paid from the next funding."""
    paid = np.minimum(orgs.coordination_due, np.maximum(orgs.budget, 0.0))
    orgs.budget -= paid
    orgs.coordination_due -= paid
    orgs.coordination_paid += paid
