"""The `politics:` block of a scenario: elections, and what a change of administration brings.

Schema only; the behaviour is :mod:`sim.core.politics`. Without the block there are no elections
and nothing here changes a run.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sim.scenario.schema import WEEKS_PER_YEAR, Share, Strict

# how firmly a coordination mechanism is anchored, weakest first: a time-limited project, a
# memorandum of understanding between the partners, a municipal ordinance, a line in the budget
Institutionalisation = Literal["project", "memorandum", "ordinance", "line_budget"]

# chance a running mechanism survives a change of administration, by its institutionalisation.
# No source gives these figures: all four are assumptions, ordered by how hard the arrangement is
# to undo (docs/model.md, "Political cycles, institutionalisation and funders").
SURVIVAL: dict[str, float] = {
    "project": 0.4,  # assumption: ends with its sponsor (Flanders' networks ran as a project)
    "memorandum": 0.6,  # assumption: an agreement a new administration may not renew
    "ordinance": 0.85,  # assumption: repealing takes a council vote
    "line_budget": 0.95,  # assumption: a standing budget line is rarely cut outright
}


class SurvivalOverrides(Strict):
    """The scenario's own survival chances, by institutionalisation (unset: the table's)."""

    project: Share | None = None
    memorandum: Share | None = None
    ordinance: Share | None = None
    line_budget: Share | None = None


class PoliticsParams(Strict):
    """Elections every ``term_years`` from ``first_election_week`` (weeks from the start of
    measured time, as mechanisms' ``start_week``; those dated before the run began are not held);
    each brings a change of administration with ``change_probability``. A change, all at once:
    each running mechanism survives with the chance its ``institutionalisation`` sets
    (``SURVIVAL``, overridden by ``survival``); a share ``focal_point_turnover`` of the focal
    point's officials past their minimum tenure leave; the council and case conferences do not
    meet for ``council_pause_weeks``; departments' yearly budgets change by the share
    ``budget_change``."""

    term_years: float = Field(4.0, gt=0.0, le=50.0)
    first_election_week: int = Field(ge=-10_000_000, le=10_000_000)
    change_probability: Share = 0.5
    focal_point_turnover: Share = 0.5
    council_pause_weeks: int = Field(13, ge=0, le=520)
    budget_change: float = Field(0.0, ge=-1.0, le=10.0)
    survival: SurvivalOverrides = SurvivalOverrides()

    @property
    def term_weeks(self) -> int:
        """Weeks between elections (at least one)."""
        return max(1, round(self.term_years * WEEKS_PER_YEAR))

    def survival_chance(self, level: str) -> float:
        """Chance a mechanism at ``level`` survives a change (the block's override, else the table)."""
        chance = getattr(self.survival, level)
        return SURVIVAL[level] if chance is None else chance
