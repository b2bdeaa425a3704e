"""Outside funders of NGOs and pilot mechanisms: multi-year terms, renewal, exit.

Each funder's terms run ``term_years`` from ``start_week`` (weeks from the start of measured
time). At the end of each term it renews with ``renewal_probability`` (one draw from its own
stream ``funder.<name>``), or exits. An exit, that week:

- each NGO it funds loses that funding: its yearly budget (``levers.budget_per_year``) and its
  places (``levers.capacity``) are scaled to 0 under the funder's name, so no more tranches arrive
  and no new case starts; its current cases go on while the money already received lasts (then
  pause, as any unpaid case); the families on its books (waiting or served) lose a share
  ``trust_loss`` of their trust in providers;
- each mechanism it pays stops as at its ``end_week`` (one not yet started never starts).

Called at the start of each step, before mechanisms start and stop. Without a ``funders:`` block
the model builds none of this and draws nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.core.coordination.calendar import first_in_run

if TYPE_CHECKING:
    from sim.core.model import CoordinationModel
    from sim.scenario.funders import FunderParams


class Funder:
    """One funder of one run: what it funds, when its current term ends, whether it still funds."""

    def __init__(self, name: str, params: FunderParams, model: CoordinationModel):
        self.name, self.params = name, params
        self.orgs = np.array([model.orgs.index(n) for n in params.funds if n in model.orgs.names],
                             dtype=np.int64)
        self.kinds = {n for n in params.funds if n not in model.orgs.names}
        # terms that ended before the run began were renewed: it funds when the run begins
        self.term_end = first_in_run(
            model.params.time.warmup_weeks + params.start_week + params.term_weeks, params.term_weeks)
        self.funding = True

    def step(self, model: CoordinationModel) -> None:
        """At the end of a term: renew for another, or exit."""
        if not self.funding or model.week != self.term_end:
            return
        if model.streams[f"funder.{self.name}"].random() < self.params.renewal_probability:
            self.term_end += self.params.term_weeks
        else:
            self.exit(model)

    def exit(self, model: CoordinationModel) -> None:
        """Stop funding: the NGOs' budgets and places go, their families' trust drops, the
        mechanisms paid stop."""
        self.funding = False
        if len(self.orgs):
            gone = np.ones(model.orgs.size)
            gone[self.orgs] = 0.0
            levers = model.levers
            levers.budget_per_year.scale(f"funder.{self.name}", gone)
            levers.capacity.scale(f"funder.{self.name}", gone)
            families = on_books(model, gone == 0.0)
            model.pop.trust[families] *= np.float32(1.0 - self.params.trust_loss)
        for m in model.all_mechanisms:
            if m.name in self.kinds:
                m.end_early(model.week)


def on_books(model: CoordinationModel, orgs: np.ndarray) -> np.ndarray:
    """Families with a waiting row or a case at any organisation of the (O,) mask ``orgs``
    (each family once)."""
    book = model.book
    rows = [t.family[orgs[t.org]] for t in (book.waiting, book.cases)]
    return np.unique(np.concatenate(rows).astype(np.int64))


class Funders:
    """Every funder of a run, stepped in the scenario's order."""

    def __init__(self, model: CoordinationModel):
        self.funders = [Funder(name, params, model) for name, params in model.params.funders.items()]

    def step(self, model: CoordinationModel) -> None:
        for funder in self.funders:
            funder.step(model)

    def reporters(self) -> dict:
        """Time-series columns ``funder.<name>``: 1 while it funds, 0 after its exit."""
        return {f"funder.{f.name}": (lambda model, f=f: int(f.funding)) for f in self.funders}
