"""The parameter blocks of the coordination mechanisms: schema only, no behaviour.

Each class validates one block of a scenario's ``coordination:`` section (its ``kind`` is the
block's name). The behaviour lives in the mechanism modules (``sim/core/coordination/<name>.py``),
which import these classes; this module never imports them. ``sim/core/coordination/registry.py``
maps each kind to its mechanism class.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from sim.scenario.members import GROUPS, Members, check_members
from sim.scenario.politics import Institutionalisation
from sim.scenario.schema import NonNeg, OrgKind, Share, Strict

FUNDER = "funder"  # paid_by: an outside funder, in no organisation's budget
MEMBERS = "members"  # paid_by: the mechanism's own members, pro rata to their yearly budgets
ROTATE = "rotate"  # council.focus_theme: the sectors in turn, one a year


class MechanismParams(Strict):
    """Base of every mechanism's parameter block: on unless ``enabled: false``.

    Every mechanism is a programme with a life cycle and a payer:

    - ``start_week``: when it starts, in weeks from the start of measured time (the end of the
      warm-up; negative: already running that many weeks before it, at most the whole warm-up);
      before it starts it costs nothing, draws no random numbers and does nothing. ``None`` (the
      default): in place from the first week of the run, so measurement sees the arrangement
      settled, not its first year.
    - ``end_week``: when it stops (None: never), on the same clock; it then stops acting and
      costing, and its adjustments to the organisations' levers are withdrawn.
    - ``paid_by``: who pays its set-up and running costs: ``funder`` (an outside funder, in no
      budget), ``members`` (its own member organisations), a group of organisations
      (``departments``, ``ngos``, ``public_and_ngos``, ``all``) or one organisation's name. Payers
      share a cost pro rata to their yearly budgets; it comes out of their budgets before the next
      week's services (what a budget cannot pay is owed and paid from the next funding).
    - ``institutionalisation``: how firmly it is anchored (``project``, ``memorandum``,
      ``ordinance``, ``line_budget``), which sets its chance of surviving a change of
      administration (``sim/scenario/politics.py``); without a ``politics:`` block it does nothing.
    """

    enabled: bool = True
    start_week: int | None = Field(None, ge=-10_000_000, le=10_000_000)
    end_week: int | None = Field(None, ge=-10_000_000, le=10_000_000)
    paid_by: str = FUNDER
    institutionalisation: Institutionalisation = "memorandum"
    behaviour: ClassVar[str] = ""  # "module:Class" of the mechanism (named, never imported here)
    summary: ClassVar[str] = ""  # the mechanism in plain words (one description, used everywhere)
    member_fields: ClassVar[tuple[str, ...]] = ()  # fields naming organisations (groups or names)

    def check(self, scenario) -> None:
        """Check references to organisations (the ``member_fields``), the dates against the
        warm-up and the payer, once the scenario is known."""
        where = f"coordination.{self.kind}"
        for name in self.member_fields:
            check_members(scenario, getattr(self, name), f"{where}.{name}")
        warmup = scenario.time.warmup_weeks
        if self.start_week is not None and self.start_week < -warmup:
            raise ValueError(f"{where}.start_week: {self.start_week} is before the run begins "
                             f"(expected >= -{warmup}, the warm-up's length)")
        start = -warmup if self.start_week is None else self.start_week
        if self.end_week is not None and self.end_week <= start:
            raise ValueError(f"{where}.end_week: {self.end_week} must be after start_week "
                             f"({start})")
        self._check_payer(scenario, f"{where}.paid_by")

    @property
    def member_orgs(self) -> Members | None:
        """The organisations that take part (the first member field), None if it names none."""
        return getattr(self, self.member_fields[0]) if self.member_fields else None

    def payers(self) -> Members | None:
        """The organisations ``paid_by`` names (None: the outside funder)."""
        if self.paid_by == FUNDER:
            return None
        if self.paid_by == MEMBERS:
            return self.member_orgs
        return self.paid_by if self.paid_by in GROUPS else [self.paid_by]

    def _check_payer(self, scenario, where: str) -> None:
        if self.paid_by == MEMBERS and not self.member_fields:
            raise ValueError(f"{where}: this mechanism has no members; expected '{FUNDER}', a "
                             f"group ({', '.join(GROUPS)}) or an organisation's name")
        payers = self.payers()
        if payers is None:
            return
        if isinstance(payers, list) and self.paid_by != MEMBERS:
            check_members(scenario, payers, where)
        names = ([n for n, o in scenario.organisations.items() if GROUPS[payers](o.kind)]
                 if isinstance(payers, str) else payers)
        if not any(scenario.organisations[n].kind != OrgKind.PRIVATE for n in names):
            raise ValueError(f"{where}: {self.paid_by!r} names no department or NGO (private "
                             "providers' budgets are not modelled); expected 'funder', a group or "
                             "a department's or NGO's name")


class FocalPointParams(MechanismParams):
    """Parameters of a focal point (coordination team)."""

    team_size: int = Field(2, ge=0, le=100)
    salary_per_year: NonNeg = 9000.0
    turnover_per_year: Share = 0.2
    # no official leaves (yearly turnover or a change of administration) before serving this long
    min_tenure_years: float = Field(0.0, ge=0.0, le=100.0)
    vacancy_weeks: int = Field(13, ge=0, le=10_000_000)
    support: Share = 0.8
    follow_up: Share = 0.3
    summary: ClassVar[str] = (  # shown by the workshop page and `sim run --list-coordination`
        "A small coordination team that keeps the council and the hubs working and follows up "
        "referrals.")
    behaviour: ClassVar[str] = "sim.core.coordination.focal_point:FocalPoint"
    kind: Literal["focal_point"] = "focal_point"


class CommunityNetworkParams(MechanismParams):
    """Parameters of a community network with an expert pool."""

    neighbourhoods: Literal["informal", "all"] | list[int] = "informal"
    volunteers_per_neighbourhood: int = Field(10, ge=0, le=10_000_000)
    volunteer_hours_per_week: NonNeg = 2.0
    volunteer_hour_value: NonNeg = 3.0
    awareness_gain_per_week: Share = 0.01
    trust_gain_per_week: Share = 0.01
    target: Share = 0.9
    experts: int = Field(3, ge=0, le=10_000_000)
    expert_cost_per_year: NonNeg = 550.0
    planning_support_per_expert: NonNeg = 0.1
    summary: ClassVar[str] = (  # shown by the workshop page and `sim run --list-coordination`
        "Volunteers in the neighbourhoods make families aware of services and build trust.")
    behaviour: ClassVar[str] = "sim.core.coordination.community_network:CommunityNetwork"
    kind: Literal["community_network"] = "community_network"

    def check(self, scenario) -> None:
        if isinstance(self.neighbourhoods, list):
            h = scenario.city.neighbourhoods
            bad = [x for x in self.neighbourhoods if not 0 <= x < h]
            if bad:
                raise ValueError(f"coordination.community_network.neighbourhoods: neighbourhood "
                                 f"{bad[0]} does not exist (0..{h - 1})")


class SharedRegistryParams(MechanismParams):
    """Parameters of a shared registry."""

    participants: Members = "all"
    consultation_rate: Share = 0.6
    # a record consulted is acted on (assessment reused, a family served elsewhere declined) with
    # this chance: shared records cut repeat tests by about 25% where consulted (S3)
    record_reuse: Share = 0.3
    auto_enrolment: Share = 0.0
    # who is auto-enrolled: every registered family, marginalised ones only, or those a proxy
    # means test classes among the poorest ``means_threshold`` share of the city's families
    eligibility: Literal["all", "marginalised", "means_tested"] = "all"
    means_threshold: Share = 0.3
    means_test_noise: NonNeg = 0.5
    registration_drive_per_week: Share = 0.0  # share of unregistered families registered a week
    # a registration lapses after this many weeks without contact with a participant (nor the
    # drive): Brazil's Cadastro Unico asks families to update their record every 24 months
    registration_valid_weeks: int = Field(104, ge=1, le=10_000)
    cost_per_registration: NonNeg = 3.0  # the drive's cost per family it registers
    setup_cost: NonNeg = 40_000.0
    maintenance_per_year: NonNeg = 8_000.0
    cost_per_record: NonNeg = 0.5
    member_fields: ClassVar[tuple[str, ...]] = ("participants",)
    summary: ClassVar[str] = (  # shown by the workshop page and `sim run --list-coordination`
        "One registry of families that providers look up before assessing, so a child is not assessed "
        "twice.")
    behaviour: ClassVar[str] = "sim.core.coordination.shared_registry:SharedRegistry"
    kind: Literal["shared_registry"] = "shared_registry"


class TrainingParams(MechanismParams):
    """Parameters of cross-sectoral training."""

    participants: Members = "public_and_ngos"
    target_share: Share = 0.6
    rounds_per_year: float = Field(1.0, ge=0.0, le=52.0)
    staff_per_place: NonNeg = 0.05
    cost_per_worker: NonNeg = 250.0
    trained_identify_probability: Share = 0.4
    completion_bonus: Share = 0.1
    turnover_per_year: Share = 0.15
    member_fields: ClassVar[tuple[str, ...]] = ("participants",)
    summary: ClassVar[str] = (  # shown by the workshop page and `sim run --list-coordination`
        "Staff trained to spot needs outside their own service and refer.")
    behaviour: ClassVar[str] = "sim.core.coordination.training:CrossSectorTraining"
    kind: Literal["cross_sector_training"] = "cross_sector_training"


class PppQuotaParams(MechanismParams):
    """Parameters of a subsidised quota in private providers."""

    providers: Members = "private"
    quota_share: Share = 0.3
    fee_waiver: Share = 1.0
    subsidy_per_child_per_week: NonNeg = 12.0
    member_fields: ClassVar[tuple[str, ...]] = ("providers",)
    summary: ClassVar[str] = (  # shown by the workshop page and `sim run --list-coordination`
        "Private providers keep places, free to families, for marginalised children.")
    behaviour: ClassVar[str] = "sim.core.coordination.ppp_quota:PppQuota"
    kind: Literal["ppp_quota"] = "ppp_quota"


class PlatformParams(MechanismParams):
    """Parameters of an integrated service-delivery platform."""

    hubs: int | list[int] = Field(3)
    families_per_hub: int | None = Field(None, ge=1, le=20_000_000)
    placement: Literal["informal", "spread"] = "informal"
    partners: Members = "all"
    running_cost_per_hub_per_year: NonNeg = 60_000.0
    assessment_slots_per_week: int = Field(20, ge=0, le=10_000_000)
    assessment_cost: NonNeg = 20.0
    outreach_visits_per_week: int = Field(10, ge=0, le=10_000_000)
    cost_per_outreach_visit: NonNeg = 15.0
    ramp_up_weeks: int = Field(26, ge=0, le=10_000_000)
    # a family stops being a hub user this many weeks after a hub last saw it (assumption)
    user_lapse_weeks: int = Field(52, ge=1, le=10_000)
    warm_referral_completion: Share = 0.85
    hub_identify_probability: Share = 0.5
    shared_record_probability: Share = 0.9
    awareness_target: Share = 0.9
    awareness_gain_per_week: Share = 0.02
    member_fields: ClassVar[tuple[str, ...]] = ("partners",)
    summary: ClassVar[str] = (  # shown by the workshop page and `sim run --list-coordination`
        "Family hubs in informal settlements, each seeing a set number of families a week (who "
        "come, or whom its outreach workers visit): one assessment for all services, records "
        "shared, and warm hand-offs between services so referred families are not lost.")
    behaviour: ClassVar[str] = "sim.core.coordination.platform:IntegratedPlatform"
    kind: Literal["integrated_platform"] = "integrated_platform"

    def check(self, scenario) -> None:
        super().check(scenario)
        h = scenario.city.neighbourhoods
        if isinstance(self.hubs, list):
            bad = [x for x in self.hubs if not 0 <= x < h]
            if bad:
                raise ValueError(f"coordination.integrated_platform.hubs: neighbourhood {bad[0]} "
                                 f"does not exist (0..{h - 1})")
        elif self.hubs < 0:
            raise ValueError("coordination.integrated_platform.hubs: expected a count >= 0")
        if self.families_per_hub is not None and isinstance(self.hubs, list):
            raise ValueError("coordination.integrated_platform.families_per_hub: the hubs are "
                             "already listed by neighbourhood; give a count or families_per_hub")


class PooledBudgetParams(MechanismParams):
    """Parameters of a pooled budget."""

    members: Members = "departments"
    contribution_share: Share = 0.15
    allocation_every_weeks: int = Field(4, ge=1, le=52)
    administration_share: Share = 0.05
    negotiation_lag_weeks: int = Field(13, ge=0, le=10_000_000)
    effort_reduction: Share = 0.0
    allocation: Literal["need", "vulnerability", "neighbourhood"] = "need"
    vulnerability_weight: float = Field(2.0, ge=1.0, le=100.0)
    buy_places: bool = False
    place_lead_weeks: int = Field(13, ge=0, le=520)
    place_term_weeks: int = Field(52, ge=1, le=520)
    member_fields: ClassVar[tuple[str, ...]] = ("members",)
    summary: ClassVar[str] = (  # shown by the workshop page and `sim run --list-coordination`
        "Departments put part of their money into one fund, shared out by where need is unmet, "
        "instead of each spending only on its own.")
    behaviour: ClassVar[str] = "sim.core.coordination.pooled_budget:PooledBudget"
    kind: Literal["pooled_budget"] = "pooled_budget"


class MeetingParams(MechanismParams):
    """What every meeting body has: members and their representatives, the cost of their time,
    and the friction of the group's size (Universal Scalability Law: ``contention``,
    ``coherence``)."""

    members: Members = "public_and_ngos"
    representatives_per_member: int = Field(1, ge=1, le=10)
    staff_hour_cost: NonNeg = 15.0
    contention: NonNeg = 0.05
    coherence: NonNeg = 0.005
    member_fields: ClassVar[tuple[str, ...]] = ("members",)


class CaseConferenceParams(MeetingParams):
    """Parameters of a multi-agency case conference."""

    meetings_per_year: float = Field(12.0, ge=0.0, le=52.0)
    attendance: Share = 0.8
    case_knowledge_per_representative: Share = 0.5
    turnover_per_year: Share = 0.2
    induction_weeks: int = Field(13, ge=0, le=520)
    staff_hours_per_meeting: NonNeg = 4.0
    secretariat_per_member_per_year: NonNeg = 540.0
    summary: ClassVar[str] = (  # shown by the workshop page and `sim run --list-coordination`
        "Staff of departments and NGOs meet every month and go through their caseloads family by "
        "family: a family that two of them serve for the same need is found and served once. The "
        "more representatives, the more families they know; the more people, the slower the meeting.")
    behaviour: ClassVar[str] = "sim.core.coordination.case_conference:CaseConference"
    kind: Literal["case_conference"] = "case_conference"


class CouncilParams(MeetingParams):
    """Parameters of a coordination council (a yearly action plan; participation seats)."""

    meetings_per_year: float = Field(4.0, ge=0.0, le=52.0)
    active_share: Share = 0.7
    staff_hours_per_meeting: NonNeg = 8.0
    secretariat_per_member_per_year: NonNeg = 750.0  # 6,000 a year for the base city's 8 members
    # the yearly action plan: shares moved at full effectiveness, taking effect after the lag
    plan_lag_weeks: int = Field(13, ge=0, le=52)
    planning_shift: Share = 0.2  # share of members' spare places moved
    budget_shift: Share = 0.05  # share of members' yearly budgets moved
    outreach_boost: Share = 0.05  # members' outreach raised by their sectors' unmet need
    neighbourhood_outreach_boost: NonNeg = Field(0.5, le=10.0)  # outreach x in needy areas
    advocacy: Share = 0.0  # added chance of a yearly budget increase (0: the council adds no money)
    # participation: seats for young people and families, drawn from neighbourhoods
    youth_seats: int = Field(0, ge=0, le=1000)
    family_seats: int = Field(0, ge=0, le=1000)
    participation_quality: Share = 0.0
    families_consulted_per_seat_per_year: NonNeg = Field(20.0, le=1_000_000)
    cost_per_seat_per_year: NonNeg = 500.0
    # a yearly focus theme (Sion's observatory): the plan counts that sector's unmet need
    # ``focus_weight`` times; a sector's name, or ``rotate`` (the sectors in turn, one a year)
    focus_theme: str | None = None
    focus_weight: float = Field(2.0, ge=1.0, le=100.0)
    # working groups between plenaries (Sion): the size penalty is that of one group
    working_groups: int = Field(0, ge=0, le=100)
    working_group_meetings_per_year: float = Field(6.0, ge=0.0, le=52.0)
    # monitoring (a university partner, Spain): progress reviews that revise the plan in the year
    reviews_per_year: int = Field(0, ge=0, le=12)
    monitoring_cost_per_year: NonNeg = 0.0
    summary: ClassVar[str] = (  # shown by the workshop page and `sim run --list-coordination`
        "A council (steering group) of departments and NGOs makes a yearly action plan: a few "
        "months later spare places and some budget move to the sectors with the most unmet need, "
        "and outreach is stepped up in the neighbourhoods where unmet need is highest. It does not "
        "go through families one by one. Bigger councils work less well. Youth and family seats "
        "bring in what participants hear in their neighbourhoods.")
    behaviour: ClassVar[str] = "sim.core.coordination.council:Council"
    kind: Literal["council"] = "council"

    def check(self, scenario) -> None:
        super().check(scenario)
        themes = [*scenario.sector_names, ROTATE]
        if self.focus_theme is not None and self.focus_theme not in themes:
            raise ValueError(f"coordination.council.focus_theme: unknown sector "
                             f"{self.focus_theme!r} (expected one of: {', '.join(themes)})")


# every mechanism's block, in the order mechanisms act within each phase (supporters before those
# they support); a scenario's coordination: section has one optional key per block
BLOCKS: tuple[type[MechanismParams], ...] = (
    FocalPointParams, CommunityNetworkParams, SharedRegistryParams, TrainingParams, PppQuotaParams,
    PlatformParams, PooledBudgetParams, CaseConferenceParams, CouncilParams)
KINDS: dict[str, type[MechanismParams]] = {block.model_fields["kind"].default: block for block in BLOCKS}
SUMMARIES: dict[str, str] = {kind: block.summary for kind, block in KINDS.items()}
