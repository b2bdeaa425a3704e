"""Organisation levers that several mechanisms adjust: composed in one place, in one order.

A mechanism never writes a lever's array. It states its adjustment (an amount added, or a factor)
under its own name, and :meth:`Lever.compose` rebuilds the value from the lever's base::

    value = clip((base + sum of additions) x product of factors, low, high)

Additions and factors are kept per mechanism and replaced when the mechanism states a new one, so
one mechanism's change never erases another's (a council's outreach boost survives a pooled
budget's effort reduction, and the other way round). The base is state too: it may change during
a run (places bought, a budget cut), and each change is kept in :attr:`Lever.history`.

The levers (``model.levers``): ``outreach`` (organisations' weekly outreach intensity, 0..1),
``capacity`` (places, whole numbers, >= 0), ``fee_marginalised`` (the fee a marginalised
family pays, >= 0), ``budget_per_year`` (organisations' yearly budgets, >= 0),
``budget_increase_probability`` (the chance a yearly budget grows at its fiscal year start, 0..1:
advocacy) and ``outreach_area`` (a factor per neighbourhood on every organisation's outreach
there, >= 0; 1 unless a mechanism targets neighbourhoods). Chances that go through hooks
(visibility, identification, referral completion) are composed by the hook chain in the
mechanisms' order instead (see :mod:`sim.core.coordination.base`).
"""

from __future__ import annotations

import numpy as np


class Lever:
    """One lever (an (O,) organisation column, or (H,) for ``outreach_area``): its base values
    with their history, and each mechanism's adjustment.

    Args:
        name: the lever's name.
        target: the live array the phases read (updated in place by :meth:`compose`).
        low, high: bounds of the composed value (None: unbounded).
    """

    def __init__(self, name: str, target: np.ndarray, low: float | None = None,
                 high: float | None = None):
        self.name, self.target, self.low, self.high = name, target, low, high
        self.base = target.copy()
        self.history: list[tuple[int, np.ndarray]] = [(0, self.base.copy())]
        self.additions: dict[str, np.ndarray] = {}
        self.factors: dict[str, np.ndarray] = {}

    def set_base(self, week: int, values: np.ndarray) -> None:
        """Change the base values from ``week`` on (kept in the history), then recompose."""
        self.base = np.asarray(values, dtype=self.target.dtype).copy()
        self.history.append((week, self.base.copy()))
        self.compose()

    def add(self, mechanism: str, amount: np.ndarray) -> None:
        """``mechanism``'s addition to the base (replaces its previous one)."""
        self.additions[mechanism] = np.asarray(amount)
        self.compose()

    def scale(self, mechanism: str, factor: np.ndarray) -> None:
        """``mechanism``'s factor on base plus additions (replaces its previous one)."""
        self.factors[mechanism] = np.asarray(factor)
        self.compose()

    def withdraw(self, mechanism: str) -> None:
        """Remove ``mechanism``'s addition and factor (it has stopped)."""
        self.additions.pop(mechanism, None)
        self.factors.pop(mechanism, None)
        self.compose()

    def compose(self) -> None:
        """Write ``clip((base + additions) x factors, low, high)`` into the live array."""
        value = self.base
        for amount in self.additions.values():
            value = value + amount
        for factor in self.factors.values():
            value = value * factor
        if self.low is not None or self.high is not None:
            value = np.clip(value, self.low, self.high)
        if self.target.dtype.kind == "i":  # whole numbers (places): a factor rounds to the nearest
            value = np.rint(value)
        self.target[:] = value


class Levers:
    """The organisation levers of one model, over the arrays of its :class:`OrgTable`."""

    def __init__(self, orgs):
        self.outreach = Lever("outreach", orgs.outreach, 0.0, 1.0)
        self.capacity = Lever("capacity", orgs.capacity, 0, None)
        self.fee_marginalised = Lever("fee_marginalised", orgs.fee_marginalised, 0.0, None)
        self.budget_per_year = Lever("budget_per_year", orgs.budget_per_year, 0.0, None)
        self.budget_increase_probability = Lever(
            "budget_increase_probability", orgs.budget_increase_probability, 0.0, 1.0)
        self.outreach_area = Lever("outreach_area", orgs.outreach_area, 0.0, None)
        self.all = (self.outreach, self.capacity, self.fee_marginalised, self.budget_per_year,
                    self.budget_increase_probability, self.outreach_area)

    def withdraw(self, mechanism: str) -> None:
        """Remove every adjustment ``mechanism`` made (it has stopped)."""
        for lever in self.all:
            lever.withdraw(mechanism)
