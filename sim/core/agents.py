"""Mesa agents: Department, NGO and PrivateProvider, plus the Family view.

Organisation agents are registered with the model (``model.agents_by_type``). The step works on
the model's arrays, not on agents; the agents' job is to report: :data:`REPORTERS` are the Mesa
DataCollector's agent reporters (caseload, waiting list, budget left, spending, duplicates), each
one element of a per-organisation array computed once per week (``model.book.by_org()``, the
ledger's ``org_spend`` and ``org_duplicates``), never a count of rows per agent. Families are far
too many to be objects in the step: :class:`Family` is a read-only view of one row of the
population arrays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from mesa import Agent

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
    def week(self) -> int:
        return self.model.week

    @property
    def budget(self) -> float:
        return float(self.model.orgs.budget[self.index])

    @property
    def capacity(self) -> int:
        return int(self.model.orgs.capacity[self.index])

    @property
    def kind(self) -> str:
        return self.model.orgs.kind[self.index].value

    @property
    def caseload(self) -> int:
        """Cases open now."""
        return int(self.model.book.by_org()[0][self.index])

    @property
    def waiting(self) -> int:
        """Families on the waiting list now."""
        return int(self.model.book.by_org()[1][self.index])

    @property
    def budget_left(self) -> float:
        """Budget not yet spent; NaN for a fee-financed provider (no budget limit)."""
        return self.budget if self.model.orgs.funded[self.index] else float("nan")

    @property
    def spending(self) -> float:
        """Service and assessment money spent since warm-up."""
        return float(self.model.ledger.org_spend[self.index])

    @property
    def duplicates(self) -> int:
        """Duplicate contacts (assessments and service weeks) since warm-up."""
        return int(self.model.ledger.org_duplicates[self.index])

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


# the DataCollector's agent reporters (attribute names), in the order of organisations.csv
REPORTERS = ("week", "caseload", "waiting", "budget_left", "spending", "duplicates")

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
    def groups(self) -> list[str]:
        """The kinds of disadvantage (``groups:``) this family has, beyond the marginalised flag."""
        groups = self.model.pop.groups
        return [name for i, name in enumerate(groups.names) if (groups.bits[self.index] >> i) & 1]

    @property
    def children_ages_years(self) -> list[float]:
        children = self.model.pop.children
        ages = children.ages(np.array([self.index]), self.model.week)[0]
        return [round(a / 52, 1) for a in ages if 0 <= a < children.age_out]

    @property
    def open_needs(self) -> list[str]:
        active = self.model.pop.active[self.index]
        return [s for s, on in zip(self.model.sector_names, active, strict=True) if on]

    def __repr__(self) -> str:
        return (f"Family({self.index}, neighbourhood={self.neighbourhood}, "
                f"marginalised={self.marginalised}, children={self.children_ages_years}, "
                f"open_needs={self.open_needs})")
