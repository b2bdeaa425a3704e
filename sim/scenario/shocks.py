"""The scenario's ``shocks:`` list: dated events that hit the city (schema only, no behaviour).

Each item is one shock, told apart by its ``kind`` (``budget_cut``, ``site_closure``,
``need_surge``, ``family_arrival``). Shocks are dated on the model's one time origin, as
mechanisms' ``start_week`` (:class:`sim.scenario.mechanisms.MechanismParams`): ``week`` counts
weeks from the start of measured time (the end of the warm-up; negative: during the warm-up, at
most its length). ``weeks`` is how long a shock lasts (``None``: to the end of the run). The
behaviour is in :mod:`sim.core.shocks`; a shock dated at or after the run's horizon does nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from pydantic import Discriminator, Field, Tag

from sim.scenario.members import check_members
from sim.scenario.schema import Share, Strict

if TYPE_CHECKING:
    from sim.scenario.params import Scenario

Week = Annotated[int, Field(ge=-10_000_000, le=10_000_000)]
Weeks = Annotated[int, Field(ge=1, le=10_000_000)]
Neighbourhoods = list[Annotated[int, Field(ge=0, le=10_000_000)]]


class ShockParams(Strict):
    """Base of every shock: when it starts (and, where it applies, for how long)."""

    week: Week
    summary: ClassVar[str] = ""

    def check(self, scenario: Scenario, where: str) -> None:
        """Check the date against the warm-up and the names against the scenario (ValueError
        naming ``where.key``)."""
        warmup = scenario.time.warmup_weeks
        if self.week < -warmup:
            raise ValueError(f"{where}.week: {self.week} is before the run begins "
                             f"(expected >= -{warmup}, the warm-up's length)")


def _check_neighbourhoods(scenario: Scenario, found: list[int] | None, where: str) -> None:
    h = scenario.city.neighbourhoods
    bad = [x for x in found or [] if x >= h]
    if bad:
        raise ValueError(f"{where}: neighbourhood {bad[0]} does not exist (0..{h - 1})")


def _check_sector(scenario: Scenario, sector: str, where: str) -> None:
    if sector not in scenario.sectors:
        raise ValueError(f"{where}: unknown sector {sector!r} (known: {', '.join(scenario.sectors)})")


class BudgetCut(ShockParams):
    """A share of yearly budgets removed from the money that arrives while the cut lasts."""

    kind: Literal["budget_cut"] = "budget_cut"
    share: Annotated[float, Field(gt=0.0, le=1.0)]
    sectors: list[str] | None = None  # the organisations serving any of them (None: all)
    organisations: list[str] | None = None  # or these organisations
    weeks: Weeks | None = None
    summary: ClassVar[str] = "a share of the yearly budgets is cut from the tranches that arrive"

    def check(self, scenario: Scenario, where: str) -> None:
        super().check(scenario, where)
        if self.sectors is not None and self.organisations is not None:
            raise ValueError(f"{where}.organisations: give sectors or organisations, not both")
        for sector in self.sectors or []:
            _check_sector(scenario, sector, f"{where}.sectors")
        if self.organisations is not None:
            check_members(scenario, self.organisations, f"{where}.organisations")


class SiteClosure(ShockParams):
    """An organisation's sites in some neighbourhoods close: their places go, and families nearby
    must travel to its next open site (or lose it) while they are closed."""

    kind: Literal["site_closure"] = "site_closure"
    organisation: str
    sites: Literal["all"] | Neighbourhoods = "all"
    weeks: Weeks | None = None
    summary: ClassVar[str] = "an organisation's sites close: places and nearby access go"

    def check(self, scenario: Scenario, where: str) -> None:
        super().check(scenario, where)
        check_members(scenario, [self.organisation], f"{where}.organisation")
        if self.sites == "all":
            return
        _check_neighbourhoods(scenario, self.sites, f"{where}.sites")
        placed = scenario.organisations[self.organisation].sites
        missing = [x for x in self.sites if isinstance(placed, list) and x not in placed]
        if missing:
            raise ValueError(f"{where}.sites: {self.organisation} has no site in neighbourhood "
                             f"{missing[0]} (its sites: {placed})")


class NeedSurge(ShockParams):
    """Needs of one sector arise ``size`` times as often for ``weeks``."""

    kind: Literal["need_surge"] = "need_surge"
    sector: str
    size: Annotated[float, Field(gt=1.0, le=100.0)]
    weeks: Weeks
    neighbourhoods: Neighbourhoods | None = None  # None: the whole city
    summary: ClassVar[str] = "needs of a sector arise more often for a while"

    def check(self, scenario: Scenario, where: str) -> None:
        super().check(scenario, where)
        _check_sector(scenario, self.sector, f"{where}.sector")
        if scenario.sectors[self.sector].need_arises != "hazard":
            raise ValueError(f"{where}.sector: {self.sector!r} has no need rate (its need arises "
                             "on entering the age band); a surge needs a sector with need_rate_per_year")
        _check_neighbourhoods(scenario, self.neighbourhoods, f"{where}.neighbourhoods")


class FamilyArrival(ShockParams):
    """Families with children move into the city in one week (scaled with the city)."""

    kind: Literal["family_arrival"] = "family_arrival"
    families: Annotated[int, Field(ge=1, le=10_000_000)]
    marginalised_share: Share
    neighbourhoods: Neighbourhoods | None = None  # None: anywhere, as the city's families live
    mean_children: Annotated[float, Field(gt=0.0, le=12.0)] | None = None  # None: the city's
    summary: ClassVar[str] = "families with children arrive in the city"

    def check(self, scenario: Scenario, where: str) -> None:
        super().check(scenario, where)
        _check_neighbourhoods(scenario, self.neighbourhoods, f"{where}.neighbourhoods")
        if self.mean_children is not None and self.mean_children > scenario.city.max_children:
            raise ValueError(f"{where}.mean_children: {self.mean_children} exceeds "
                             f"city.max_children ({scenario.city.max_children})")


KINDS = {cls.model_fields["kind"].default: cls
         for cls in (BudgetCut, SiteClosure, NeedSurge, FamilyArrival)}


def _kind(value) -> str | None:
    return value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)


# one line for a missing or unknown kind, naming the kinds there are
Shock = Annotated[Annotated[BudgetCut, Tag("budget_cut")] | Annotated[SiteClosure, Tag("site_closure")]
                  | Annotated[NeedSurge, Tag("need_surge")]
                  | Annotated[FamilyArrival, Tag("family_arrival")],
                  Discriminator(_kind, custom_error_type="shock_kind",
                                custom_error_message=f"expected kind: {', '.join(KINDS)}")]


def check_shocks(scenario: Scenario) -> None:
    """Check every shock against the scenario (ValueError naming ``shocks.<i>.<key>``)."""
    for i, shock in enumerate(scenario.shocks):
        shock.check(scenario, f"shocks.{i}")


def shock_end(shock: ShockParams) -> int | None:
    """The week (on the shocks' clock) a shock ends: ``week + weeks``, None if it lasts."""
    weeks = getattr(shock, "weeks", None)
    return None if weeks is None else shock.week + weeks
