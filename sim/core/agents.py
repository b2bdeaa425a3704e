"""Mesa agents: Department, NGO and PrivateProvider, plus the Family view.

Organisation agents are registered with the model (``model.agents_by_type``); their live state
(budget, capacity, caseload) is read from the model's arrays. Families are far too many to be
objects in the step: :class:`Family` is a read-only view of one row of the population arrays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from mesa import Agent

from sim.core.children import AGE_OUT_WEEKS
from sim.scenario.schema import OrgKind

if TYPE_CHECKING:
    from sim.core.model import CoordinationModel


class Organisation(Agent):
    """A service provider; ``index`` is its row in ``model.orgs``."""

    def __init__(self, model: CoordinationModel, index: int):
        super().__init__(model)
        self.index = index
        self.name = model.orgs.names[index]

    @property
    def budget(self) -> float:
        return float(self.model.orgs.budget[self.index])

    @property
    def capacity(self) -> int:
        return int(self.model.orgs.capacity[self.index])

    @property
    def caseload(self) -> int:
        return int(np.count_nonzero(self.model.book.cases.org == self.index))

    @property
    def waiting(self) -> int:
        return int(np.count_nonzero(self.model.book.waiting.org == self.index))

    @property
    def sectors(self) -> list[str]:
        serves = self.model.orgs.serves[self.index]
        return [s for s, on in zip(self.model.sector_names, serves, strict=True) if on]

    @property
    def sites(self) -> list[int]:
        return np.flatnonzero(self.model.orgs.site[self.index]).tolist()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, caseload={self.caseload}/{self.capacity})"


class Department(Organisation):
    """A government department: annual appropriation on its own fiscal cycle."""


class NGO(Organisation):
    """A non-governmental organisation: donor grants that may not be renewed."""


class PrivateProvider(Organisation):
    """A private provider: fee-financed (no budget limit); may hold a public quota."""


AGENT_CLASSES = {OrgKind.DEPARTMENT: Department, OrgKind.NGO: NGO, OrgKind.PRIVATE: PrivateProvider}


def make_organisation_agents(model: CoordinationModel) -> list[Organisation]:
    """Create one Mesa agent per organisation, of the class its kind names."""
    return [AGENT_CLASSES[kind](model, i) for i, kind in enumerate(model.orgs.kind)]


class Family:
    """Read-only view of family ``index``: its neighbourhood, children and needs."""

    def __init__(self, model: CoordinationModel, index: int):
        self.model, self.index = model, index

    @property
    def neighbourhood(self) -> int:
        return int(self.model.pop.neighbourhood[self.index])

    @property
    def marginalised(self) -> bool:
        return bool(self.model.pop.marginalised[self.index])

    @property
    def children_ages_years(self) -> list[float]:
        children = self.model.pop.children
        ages = children.ages(np.array([self.index]), self.model.week)[0]
        return [round(a / 52, 1) for a in ages if 0 <= a < AGE_OUT_WEEKS]

    @property
    def open_needs(self) -> list[str]:
        active = self.model.pop.active[self.index]
        return [s for s, on in zip(self.model.sector_names, active, strict=True) if on]

    def __repr__(self) -> str:
        return (f"Family({self.index}, neighbourhood={self.neighbourhood}, "
                f"marginalised={self.marginalised}, children={self.children_ages_years}, "
                f"open_needs={self.open_needs})")
