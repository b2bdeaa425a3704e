"""Typed, validated scenario parameters.

A scenario is a YAML file validated against :class:`Scenario`. Unknown keys, wrong types and
out-of-range values are refused before anything is built; :func:`sim.scenario.loading.load_scenario` turns
pydantic's errors into one located line.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from sim.scenario.cases import CaseInfo
from sim.scenario.coordination import CoordinationSpec
from sim.scenario.funders import FunderParams, check_funders
from sim.scenario.geography import Geography, attach_geography
from sim.scenario.groups import GroupParams, check_groups
from sim.scenario.politics import PoliticsParams
from sim.scenario.schema import Eligibility, NonNeg, OrgKind, Positive, Priority, Share, Strict
from sim.scenario.shocks import Shock, check_shocks


class TimeParams(Strict):
    """Horizon and step length (one step is one week).

    ``years`` is measured time: the run is ``warmup_weeks`` of warm-up (the city settles; nothing
    is counted) followed by ``years`` measured years. ``follow_up_weeks`` is how long each
    need-episode is followed for coverage: a need counts as served when its first service week
    comes within it.
    """

    years: Annotated[float, Field(gt=0, le=200)] = 3
    warmup_weeks: Annotated[int, Field(ge=0, le=10_000)] = 104
    follow_up_weeks: Annotated[int, Field(ge=0, le=520)] = 26

    @property
    def measured_weeks(self) -> int:
        """Weeks counted after the warm-up (at least one)."""
        return max(1, int(round(self.years * 52)))

    @property
    def steps(self) -> int:
        """Weeks the run lasts: warm-up plus measured time."""
        return self.warmup_weeks + self.measured_weeks


class CityParams(Strict):
    """The city: families, neighbourhoods, informal settlements and vulnerability."""

    families: Annotated[int, Field(ge=1, le=20_000_000)] = 10_000
    reference_families: Annotated[int, Field(ge=1, le=10_000_000)] | None = None
    neighbourhoods: Annotated[int, Field(ge=1, le=10_000)] = 14
    informal_neighbourhoods: Annotated[int, Field(ge=0, le=10_000_000)] = 5
    informal_family_share: Share = 0.33
    marginalised_share_informal: Share = 0.70
    marginalised_share_formal: Share = 0.12
    extent_km: Positive = 12.0
    max_children: Annotated[int, Field(ge=1, le=12)] = 4
    mean_children: Annotated[float, Field(gt=0.0, le=12.0)] = 1.8
    births_per_family_per_year: NonNeg = 0.14
    # the age at which children leave the model (adolescent services need a higher one); every
    # sector's ages lie below it
    age_out_years: Annotated[float, Field(gt=0, le=25)] = 13
    # the city's own tables (sim/scenario/geography/; paths relative to the scenario file):
    # neighbourhoods (CSV, GeoJSON or GeoPackage) and organisations' sites (CSV)
    neighbourhoods_file: Annotated[str, Field(min_length=1, max_length=4096)] | None = None
    sites_file: Annotated[str, Field(min_length=1, max_length=4096)] | None = None
    # the neighbourhoods table as read from neighbourhoods_file (filled in by the loader, kept in
    # a run's config.yaml): it sets neighbourhoods, informal_neighbourhoods,
    # informal_family_share and extent_km
    geography: Geography | None = None

    @model_validator(mode="after")
    def _consistent(self) -> CityParams:
        if self.geography is None and self.neighbourhoods_file is not None:
            raise ValueError("neighbourhoods_file was not read (load the scenario with "
                             "sim.scenario.loading)")
        if self.geography is not None and self.neighbourhoods_file is None:
            raise ValueError("geography is read from neighbourhoods_file: set that instead")
        if self.geography is None:  # else the table's own neighbourhoods and informal shares
            self._consistent_generated()
        if self.mean_children > self.max_children:
            raise ValueError("mean_children exceeds max_children")
        return self

    def _consistent_generated(self) -> None:
        if self.informal_neighbourhoods > self.neighbourhoods:
            raise ValueError(
                f"informal_neighbourhoods ({self.informal_neighbourhoods}) exceeds "
                f"neighbourhoods ({self.neighbourhoods})"
            )
        if self.informal_neighbourhoods == 0 and self.informal_family_share > 0:
            raise ValueError("informal_family_share > 0 needs informal_neighbourhoods >= 1")
        if self.informal_neighbourhoods == self.neighbourhoods and self.informal_family_share < 1:
            raise ValueError("every neighbourhood is informal, so informal_family_share must be 1")


class FamilyParams(Strict):
    """How families look for help."""

    awareness_mean: Share = 0.6
    trust_mean: Share = 0.7
    marginalised_awareness_factor: Share = 0.7
    seek_probability: Share = 0.35
    stigma_marginalised: Share = 0.2
    patience_weeks: Annotated[int, Field(ge=1, le=10_000_000)] = 6
    travel_km_scale: Positive = 4.0
    fee_sensitivity: Share = 0.3
    fee_sensitivity_marginalised: Share = 0.85
    trust_gain_when_served: Share = 0.05
    trust_loss_when_turned_away: Share = 0.03
    # experiences fade: each week trust moves 1/trust_memory_weeks of the way back to the
    # family's own baseline (assumption), so trust settles instead of drifting for decades
    trust_memory_weeks: Annotated[float, Field(ge=1, le=10_000)] = 52.0
    referral_wait_scale_weeks: Positive = 4.0
    need_complexity_shape: Positive | None = 1.0


class SectorParams(Strict):
    """One service sector: who needs it, how a need arises, how long a service lasts.

    Three kinds of need are written with the same keys (docs/model.md, 4.1):
    an **episode** (a health need, a protection concern) arises at ``need_rate_per_year`` and is
    met by ``service_weeks`` of service; an **entitlement** (a place in early learning) arises
    when a family's child enters the age band (``need_arises: entering_band``), is never dropped
    (``lapse_weeks: never``) and, once taken up, lasts while a child is in the band
    (``service_weeks: while_eligible``); a **condition** (stunting) arises at its incidence, stays
    until treated (``lapse_weeks: never``) and a treated family is protected for a while
    (``protection_weeks``, ``protection_effect``).
    """

    ages: Annotated[list[Annotated[float, Field(ge=0, le=25)]], Field(min_length=2, max_length=2)]
    # "hazard": needs arise at need_rate_per_year; "entering_band": a need opens the week a
    # family's first child enters the age band (an entitlement), with no rate
    need_arises: Literal["hazard", "entering_band"] = "hazard"
    need_rate_per_year: Share | None = None
    marginalised_multiplier: Positive = 1.0
    informal_multiplier: Positive = 1.0
    # weeks of service that meet the need, or "while_eligible": a lasting service (a place, a
    # benefit) that continues while a child of the family is in the age band
    service_weeks: Annotated[int, Field(ge=1, le=520)] | Literal["while_eligible"] = 1
    # mean weeks before an unmet need goes away (a weekly chance of 1/lapse_weeks), or "never":
    # it stays until met or until no child is left in the age band
    lapse_weeks: Positive | Literal["never"] = 26.0
    escalation_after_weeks: Annotated[int, Field(ge=1, le=10_000_000)] | None = None
    escalation_probability: Share = 0.0
    escalation_cost_multiplier: Annotated[float, Field(ge=1.0, le=1000.0)] = 1.0
    # what an unmet need does: "lapse" (goes away unmet, weekly chance 1/lapse_weeks) or "harm"
    # (a protection concern: never lapses, each unmet week is a harm-week, and the weekly chance
    # 1/lapse_weeks is that of a severe outcome that ends it unmet)
    unmet_outcome: Literal["lapse", "harm"] = "lapse"
    # prevention after treatment: a need event within protection_weeks of the family's last met
    # need in the sector is prevented with probability protection_effect
    protection_weeks: Annotated[int, Field(ge=0, le=10_000)] = 0
    protection_effect: Share = 0.0
    # an indicator read as a state of the sector's children (sim/core/outcomes.py), in its ages
    indicator: Literal["early_learning_participation", "stunting_prevalence",
                       "benefit_receipt"] | None = None
    indicator_ages: Annotated[list[Annotated[float, Field(ge=0, le=25)]],
                              Field(min_length=2, max_length=2)] | None = None

    @model_validator(mode="after")
    def _ages_ordered(self) -> SectorParams:
        for key, ages in (("ages", self.ages), ("indicator_ages", self.indicator_ages)):
            if ages is not None and ages[0] >= ages[1]:
                raise ValueError(f"{key} must be [lowest, highest) with lowest < highest, got {ages}")
        if self.need_arises == "hazard" and self.need_rate_per_year is None:
            raise ValueError("need_rate_per_year is required (a share a year) unless "
                             "need_arises is entering_band")
        if self.need_arises == "entering_band":
            # a multiplier of 1 (the default, as a saved scenario writes it) changes nothing
            for key, inert in (("need_rate_per_year", None), ("marginalised_multiplier", 1.0),
                               ("informal_multiplier", 1.0)):
                if getattr(self, key) != inert:
                    raise ValueError(f"{key} does not apply when need_arises is entering_band "
                                     "(the need opens when a child enters the age band); remove it")
        return self


class FundingParams(Strict):
    """How money arrives for one organisation."""

    budget_per_year: NonNeg | None = None
    tranches_per_year: Annotated[int, Field(ge=1, le=52)] = 4
    fiscal_year_start_week: Annotated[int, Field(ge=0, le=51)] = 0
    lapse_at_year_end: bool = True
    renewal_probability: Share = 1.0
    # at each fiscal year start the yearly budget grows by budget_increase_share with this
    # chance (0: never); a council's advocacy adds to the chance (docs/model.md, 7.1)
    budget_increase_probability: Share = 0.0
    budget_increase_share: Share = 0.05


class OrganisationParams(Strict):
    """A department, NGO or private provider."""

    kind: Annotated[OrgKind, Field(strict=False)]
    sectors: list[str] = Field(min_length=1)
    capacity: Annotated[int, Field(ge=0, le=10_000_000)]
    unit_cost: NonNeg
    assessment_cost: NonNeg
    funding: FundingParams = FundingParams()
    sites: Annotated[int, Field(ge=1, le=10_000_000)] | list[Annotated[int, Field(ge=0, le=10_000_000)]] = 1
    site_placement: Literal["spread", "informal", "formal"] = "spread"
    outreach: Share = 0.0
    eligibility: Annotated[Eligibility, Field(strict=False)] = Eligibility.ALL
    priority: Annotated[Priority, Field(strict=False)] = Priority.FIRST_COME
    quota_share: Share = 0.0
    fee: Share = 0.0
    identify_probability: Share = 0.1
    referral_completion: Share = 0.5

    @model_validator(mode="after")
    def _funded(self) -> OrganisationParams:
        if self.kind != OrgKind.PRIVATE and self.funding.budget_per_year is None:
            raise ValueError(f"a {self.kind.value} needs funding.budget_per_year")
        return self


class FundingLevers(Strict):
    """Scenario-wide money lever, kept apart from coordination (docs/model.md, "Coordination mechanisms")."""

    budget_scale: NonNeg = 1.0


class OutputParams(Strict):
    """Where and what to write."""

    dir: str = "results"
    timeseries: bool = True

    @field_validator("dir")
    @classmethod
    def _inside_project(cls, value: str) -> str:
        path = PurePath(value)
        if path.is_absolute() or ".." in path.parts:
            raise ValueError("must be a relative folder without '..' (use --out for elsewhere)")
        return value


class Scenario(Strict):
    """A whole scenario: the city, its families, sectors, organisations and coordination."""

    name: str = "scenario"
    description: str = ""
    case: CaseInfo | None = None  # a case of the library (scenarios/cases/): its source in words
    seed: Annotated[int, Field(ge=0, lt=2**63)] = 1
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "USD"  # ISO 4217 code of all money
    time: TimeParams = TimeParams()
    city: CityParams = CityParams()
    families: FamilyParams = FamilyParams()
    # kinds of disadvantage beyond the marginalised flag (disability, migrant status, language)
    groups: dict[str, GroupParams] = Field(default_factory=dict)
    sectors: dict[str, SectorParams] = Field(min_length=1, max_length=32)
    organisations: dict[str, OrganisationParams] = Field(min_length=1)
    funding: FundingLevers = FundingLevers()
    coordination: CoordinationSpec = CoordinationSpec()
    # this city's values of mechanism parameters (prices in its currency, say), used whenever the
    # mechanism is on, whichever coordination model switches it on; filled in by the loader
    # (sim/scenario/loading.py apply_preset), under the file's coordination block and --set
    coordination_defaults: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # elections and changes of administration (sim/scenario/politics.py); none: no elections
    politics: PoliticsParams | None = None
    # outside funders of NGOs and pilot mechanisms, with terms (sim/scenario/funders.py)
    funders: dict[str, FunderParams] = Field(default_factory=dict, max_length=100)
    outputs: OutputParams = OutputParams()
    shocks: list[Shock] = Field(default_factory=list, max_length=1000)  # sim/scenario/shocks.py

    @field_validator("coordination_defaults")
    @classmethod
    def _known_mechanism_keys(cls, value: dict) -> dict:
        from sim.scenario.mechanisms import KINDS

        for kind, block in value.items():
            if kind not in KINDS:
                raise ValueError(f"{kind!r} is not a mechanism (one of {', '.join(KINDS)})")
            unknown = sorted(set(block) - set(KINDS[kind].model_fields))
            if unknown:
                raise ValueError(f"{kind}.{unknown[0]} is not a parameter of {kind}")
        return value

    @model_validator(mode="before")
    @classmethod
    def _read_tables(cls, data: Any) -> Any:
        """The city's own tables, read and checked before anything else (a ConfigError names
        the file, row and column of a problem)."""
        return attach_geography(data)

    @model_validator(mode="after")
    def _cross_references(self) -> Scenario:
        if len(self.organisations) > 4096:
            raise ValueError("at most 4096 organisations")
        served = set()
        for name, org in self.organisations.items():
            for sector in org.sectors:
                if sector not in self.sectors:
                    raise ValueError(
                        f"organisations.{name}.sectors names unknown sector {sector!r} "
                        f"(known: {', '.join(self.sectors)})"
                    )
                served.add(sector)
            if isinstance(org.sites, list):
                bad = [s for s in org.sites if s >= self.city.neighbourhoods]
                if bad:
                    raise ValueError(
                        f"organisations.{name}.sites: neighbourhood {bad[0]} does not exist "
                        f"(0..{self.city.neighbourhoods - 1})"
                    )
        for name, sector in self.sectors.items():
            for key in ("ages", "indicator_ages"):
                ages = getattr(sector, key)
                if ages is not None and ages[1] > self.city.age_out_years:
                    raise ValueError(
                        f"sectors.{name}.{key}: {ages[1]:g} is above city.age_out_years "
                        f"({self.city.age_out_years:g}, the age at which children leave the "
                        "model); raise city.age_out_years or lower the band")
        check_groups(self.groups, self.sector_names)
        missing = [s for s in self.sectors if s not in served]
        if missing:
            raise ValueError(f"no organisation provides sector(s): {', '.join(missing)}")
        indicators = [s.indicator for s in self.sectors.values() if s.indicator]
        if len(set(indicators)) < len(indicators):
            raise ValueError(f"sectors: each indicator belongs to one sector at most, got {indicators}")
        self.coordination.check_against(self)
        check_funders(self)
        check_shocks(self)
        return self

    @property
    def sector_names(self) -> list[str]:
        return list(self.sectors)

    @property
    def service_scale(self) -> float:
        """Factor applied to capacities and budgets when the city is resized."""
        ref = self.city.reference_families
        return 1.0 if ref is None else self.city.families / ref
