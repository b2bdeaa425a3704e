"""The declared range of every tunable scenario key: one table for sweeps, the EMA adapter and the
workshop page.

- :data:`UNCERTAINTIES`: what is not known well about families (ranges around the base city's
  assumed values; see docs/model.md, "Parameters");
- :data:`LEVERS`: what a city chooses: money (kept apart from coordination) and the main setting
  of each coordination mechanism;
- :data:`ASSUMED_MECHANISM_PARAMETERS`: the mechanisms' parameters whose values are assumed (or
  calibrated), with a plausible range: what ``sim robustness`` varies to see whether a ranking of
  ways of working rests on them.

Each range carries the evidence grade of the value it is around (docs/model.md, column
"evidence" of the parameter tables; :data:`GRADES`).

An experiment's ``sample:`` or ``sensitivity:`` design may name a key with ``declared`` instead of
bounds (``families.seek_probability: declared``); ``sim.ema`` samples these ranges; the workshop
page's sliders for these keys take their bounds and labels from here.
"""

from __future__ import annotations

from dataclasses import dataclass

# the evidence grades of docs/model.md's parameter tables, strongest first
GRADES: dict[str, str] = {
    "measured": "taken from a cited study (S and G entries under Sources)",
    "seed": "a fact from a seed case document (C entries under Sources)",
    "calibrated": "fitted with sim calibrate to a pattern from the evidence: the pattern is "
                  "measured, the value that meets it in this model is not",
    "assumption": "chosen by the modellers, without a figure behind it",
    "design": "a choice of the city or the scenario (who takes part, how many hubs, when a "
              "mechanism starts), not a claim about the world: compare choices with a sweep",
}
UNCERTAIN_GRADES = ("assumption", "calibrated")  # what sim robustness examines


@dataclass(frozen=True)
class Declared:
    """A declared range of a dotted scenario key: bounds, whole numbers or not, in words, and the
    evidence grade of the value the range is around."""

    low: float
    high: float
    integer: bool = False
    label: str = ""
    why: str = ""
    grade: str = "assumption"


UNCERTAINTIES: dict[str, Declared] = {
    "families.seek_probability": Declared(0.2, 0.5, why="help-seeking (assumption 0.35)"),
    "families.awareness_mean": Declared(0.4, 0.8, why="awareness of services (assumption 0.6)"),
    "families.patience_weeks": Declared(3, 12, integer=True, why="re-seeking delay (assumption 6)"),
    "families.travel_km_scale": Declared(2.0, 8.0, why="distance decay (assumption 4 km)"),
    "families.referral_wait_scale_weeks": Declared(
        12.0, 72.0, why="waits deter referrals (36, calibrated to pattern handoff_loss)",
        grade="calibrated"),
    "families.need_complexity_shape": Declared(0.5, 2.0, why="concentration of needs (1)"),
}

LEVERS: dict[str, Declared] = {
    "funding.budget_scale": Declared(0.5, 2.0, label="Budget level (x the scenario's funding)",
                                     why="more or less money, apart from coordination",
                                     grade="design"),
    "coordination.council.meetings_per_year": Declared(0, 12, integer=True, grade="seed",
                                                       label="Council meetings a year"),
    "coordination.integrated_platform.hubs": Declared(0, 10, integer=True, label="Family hubs",
                                                      grade="design"),
    "coordination.pooled_budget.contribution_share": Declared(0.0, 0.5, grade="design",
                                                              label="Pooled budget share"),
    "coordination.shared_registry.consultation_rate": Declared(
        0.0, 1.0, label="Registry consulted (share of intakes)"),
}


def _assumed(low: float, high: float, why: str, integer: bool = False,
             grade: str = "assumption") -> Declared:
    return Declared(low, high, integer=integer, why=why, grade=grade)


# plausible ranges of the mechanisms' assumed (and calibrated) parameters, around their defaults
# (docs/model.md, "Coordination mechanisms"); prices are in the base city's US dollars
_MEETINGS = {
    "representatives_per_member": _assumed(1, 3, "1-3 a member keeps the base city's 8 members "
                                           "within the 6-25 people of CFCI groups (C1)", True),
    "staff_hour_cost": _assumed(2.0, 43.0, "from a community health worker (under USD 2 an hour) "
                                "to a specialist nurse (about 43 an hour), S6"),
    "contention": _assumed(0.0, 0.2, "no published estimate of the USL's a for groups (S5)"),
    "coherence": _assumed(0.0, 0.02, "no published estimate of the USL's b for groups (S5)"),
}
_COUNCIL = {
    "active_share": _assumed(0.4, 0.9, "not all members participate actively (C1); no share given"),
    "staff_hours_per_meeting": _assumed(4.0, 16.0, "half a day to two days with preparation"),
    "secretariat_per_member_per_year": _assumed(375.0, 1500.0, "half to twice the default"),
    "plan_lag_weeks": _assumed(4, 26, "a month to half a year for a plan to take effect", True),
    "planning_shift": _assumed(0.05, 0.4, "share of spare places an action plan moves"),
    "budget_shift": _assumed(0.0, 0.1, "share of budgets an action plan moves"),
    "outreach_boost": _assumed(0.0, 0.1, "outreach added where need is unmet"),
    "neighbourhood_outreach_boost": _assumed(0.0, 1.0, "outreach factor in needy areas"),
    "participation_quality": _assumed(0.0, 1.0, "token seats to seats that are heard"),
    "families_consulted_per_seat_per_year": _assumed(10.0, 40.0, "half to twice the default"),
    "cost_per_seat_per_year": _assumed(250.0, 1000.0, "half to twice the default"),
    "focus_weight": _assumed(1.5, 4.0, "how far a yearly theme shifts the plan (only with "
                             "focus_theme; Sion's observatory, C1)"),
}
_CASE_CONFERENCE = {
    "attendance": _assumed(0.6, 0.95, "conferences are quorate 86-90% of the time (G11); the share "
                           "of members present is not reported"),
    "case_knowledge_per_representative": _assumed(0.25, 0.75, "share of cases one person knows"),
    "turnover_per_year": _assumed(0.1, 0.4, "of the order of frontline staff turnover"),
    "induction_weeks": _assumed(4, 26, "a month to half a year to know the cases", True),
    "staff_hours_per_meeting": _assumed(2.0, 8.0, "S4 bounds staff time on meetings (10-15%)"),
    "secretariat_per_member_per_year": _assumed(270.0, 1080.0, "half to twice the default"),
}
_PLATFORM = {
    "running_cost_per_hub_per_year": _assumed(30_000.0, 120_000.0, "half to twice the default"),
    "assessment_slots_per_week": _assumed(10, 40, "two to eight assessments a working day", True),
    "assessment_cost": _assumed(10.0, 40.0, "one to four times a single sector's assessment"),
    "outreach_visits_per_week": _assumed(5, 20, "half to twice the default", True),
    "cost_per_outreach_visit": _assumed(5.0, 30.0, "a third to twice an hour of a worker"),
    "ramp_up_weeks": _assumed(13, 52, "a quarter to a year to be fully effective", True),
    "user_lapse_weeks": _assumed(26, 104, "half a year to two years", True),
    "warm_referral_completion": _assumed(0.7, 0.95, "co-location raised use 2.4-fold (S2)"),
    "hub_identify_probability": _assumed(0.3, 0.7, "a multi-sector assessment finds other needs"),
    "shared_record_probability": _assumed(0.7, 1.0, "partners see the hub's records"),
    "awareness_target": _assumed(0.8, 1.0, "awareness the hub's outreach aims at"),
    "awareness_gain_per_week": _assumed(0.01, 0.04, "half to twice the default"),
}
_POOLED_BUDGET = {
    "administration_share": _assumed(0.02, 0.1, "cost of running the pool"),
    "negotiation_lag_weeks": _assumed(4, 26, "a month to half a year to agree the pool", True),
    "effort_reduction": _assumed(0.0, 0.3, "members may cut their own outreach once pooled"),
    "place_lead_weeks": _assumed(8, 26, "hiring or contracting staff (only with buy_places)", True),
}
_FOCAL_POINT = {
    "salary_per_year": _assumed(4500.0, 18_000.0, "half to twice the default"),
    "vacancy_weeks": _assumed(4, 26, "a month to half a year to fill a post", True),
    "support": _assumed(0.5, 1.0, "how much a full team keeps the others working"),
    "follow_up": _assumed(0.1, 0.5, "share of would-be-lost referrals the team rescues"),
}
_REGISTRY = {
    "consultation_rate": _assumed(0.3, 0.9, "records help only when consulted (S3); how often "
                                  "staff consult them is not measured"),
    "record_reuse": _assumed(0.2, 0.4, "calibrated to pattern shared_record_effect: a 20-30% cut "
                             "of repeats where consulted (S3)", grade="calibrated"),
    "means_test_noise": _assumed(0.25, 1.0, "proxy means tests misclassify many families"),
    "cost_per_registration": _assumed(1.5, 6.0, "half to twice the default"),
    "setup_cost": _assumed(20_000.0, 80_000.0, "half to twice the default"),
    "maintenance_per_year": _assumed(4000.0, 16_000.0, "half to twice the default"),
    "cost_per_record": _assumed(0.25, 1.0, "half to twice the default"),
}
_TRAINING = {
    "staff_per_place": _assumed(0.025, 0.1, "one worker per 40 to per 10 places"),
    "cost_per_worker": _assumed(125.0, 500.0, "half to twice the default"),
    "trained_identify_probability": _assumed(0.2, 0.6, "trained staff spot other needs"),
    "completion_bonus": _assumed(0.0, 0.2, "trained staff's referrals completed more often"),
    "turnover_per_year": _assumed(0.05, 0.3, "trained staff leaving a year"),
}
_QUOTA = {
    "subsidy_per_child_per_week": _assumed(6.0, 24.0, "half to twice the default"),
}
_NETWORK = {
    "volunteer_hours_per_week": _assumed(1.0, 4.0, "half to twice the default"),
    "volunteer_hour_value": _assumed(1.5, 6.0, "half to twice the default"),
    "awareness_gain_per_week": _assumed(0.005, 0.02, "half to twice the default"),
    "trust_gain_per_week": _assumed(0.005, 0.02, "half to twice the default"),
    "target": _assumed(0.8, 1.0, "awareness and trust the volunteers aim at"),
    "planning_support_per_expert": _assumed(0.05, 0.2, "half to twice the default"),
}
ASSUMED_MECHANISM_PARAMETERS: dict[str, Declared] = {
    f"coordination.{kind}.{name}": declared
    for kind, table in (("council", _MEETINGS | _COUNCIL),
                        ("case_conference", _MEETINGS | _CASE_CONFERENCE),
                        ("integrated_platform", _PLATFORM), ("pooled_budget", _POOLED_BUDGET),
                        ("focal_point", _FOCAL_POINT), ("shared_registry", _REGISTRY),
                        ("cross_sector_training", _TRAINING), ("ppp_quota", _QUOTA),
                        ("community_network", _NETWORK))
    for name, declared in table.items()}

# every assumed or calibrated value with a plausible range: what sim robustness may vary
ASSUMED: dict[str, Declared] = {
    key: declared for key, declared in (UNCERTAINTIES | ASSUMED_MECHANISM_PARAMETERS).items()
    if declared.grade in UNCERTAIN_GRADES}

DECLARED: dict[str, Declared] = UNCERTAINTIES | LEVERS
DECLARED_WORD = "declared"  # written instead of bounds in an experiment's design


def expand_declared(design: dict) -> dict:
    """An experiment design mapping with each ``key: declared`` replaced by the key's bounds (and
    the key added to ``integer`` when it is declared whole); ValueError for an undeclared key."""
    parameters = design.get("parameters")
    if not isinstance(parameters, dict) or DECLARED_WORD not in parameters.values():
        return design
    expanded, integer = {}, list(design.get("integer", []))
    for key, bounds in parameters.items():
        if bounds == DECLARED_WORD:
            if key not in DECLARED:
                raise ValueError(f"parameters.{key}: no declared range: give low and high "
                                 f"(keys with a declared range: {', '.join(DECLARED)})")
            found = DECLARED[key]
            bounds = {"low": found.low, "high": found.high}
            if found.integer and key not in integer:
                integer.append(key)
        expanded[key] = bounds
    return {**design, "parameters": expanded, "integer": integer}
