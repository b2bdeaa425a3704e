"""The one definition of every metric: pure functions over a :class:`~sim.core.ledger.Ledger`.

The DataCollector time series, the run summary, sweeps and the app all call :func:`summarise`.
Formulas and units are documented in ``docs/model.md``; ratios with an empty denominator are NaN.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.core.ledger import ROLLING_WEEKS, Ledger
from sim.scenario.schema import WEEKS_PER_YEAR

NAN = float("nan")


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator > 0 else NAN


MARGINALISED = slice(1, None, 2)  # the family classes (marginalised + 2 x groups' bits) of
OTHER = slice(0, None, 2)  # marginalised families, and of the others


def _coverage(ledger: Ledger, sectors=slice(None), classes=slice(None)) -> float:
    served = ledger.cohort_served[sectors, classes].sum()
    return _ratio(served, ledger.cohort_started[sectors, classes].sum())


def coverage(ledger: Ledger) -> float:
    """Share of need-episodes served within the follow-up: of the episodes that started in
    measured time and have been followed for ``time.follow_up_weeks``, those whose service
    started within it. NaN until the first start week's follow-up is over."""
    return _coverage(ledger)


def coverage_marginalised(ledger: Ledger) -> float:
    """Coverage among marginalised families."""
    return _coverage(ledger, classes=MARGINALISED)


def coverage_other(ledger: Ledger) -> float:
    """Coverage among other families."""
    return _coverage(ledger, classes=OTHER)


def equity_gap(ledger: Ledger) -> float:
    """coverage_other - coverage_marginalised (positive: marginalised families fare worse)."""
    return coverage_other(ledger) - coverage_marginalised(ledger)


def full_package_share(ledger: Ledger) -> float:
    """Children in families fully served in a year (every need started in it served within the
    follow-up) / children in families with a need in that year, over the years judged so far."""
    return _ratio(ledger.package.children_fully_served.sum(), ledger.package.children.sum())


def full_package_share_marginalised(ledger: Ledger) -> float:
    """The full-package share among the children of marginalised families."""
    package = ledger.package
    return _ratio(package.children_fully_served[MARGINALISED].sum(),
                  package.children[MARGINALISED].sum())


def cost_per_child_fully_served(ledger: Ledger) -> float:
    """Yearly cost / children fully served in a year (the mean over the years judged)."""
    package = ledger.package
    per_year = _ratio(package.children_fully_served.sum(), package.windows)
    return _ratio(_ratio(total_cost(ledger), ledger.weeks / WEEKS_PER_YEAR), per_year)


def _indicator(ledger: Ledger, name: str) -> float:
    found = ledger.indicators.children
    return _ratio(ledger.indicators.in_state[name], found[name]) if name in found else NAN


def early_learning_participation(ledger: Ledger) -> float:
    """Children in the early-learning indicator's ages (the year before primary) whose family has
    an early-learning case in service / all children those ages (quarterly surveys, pooled)."""
    return _indicator(ledger, "early_learning_participation")


def stunting_prevalence(ledger: Ledger) -> float:
    """Children in the stunting indicator's ages whose family has an open nutrition need not yet
    met / all children those ages (quarterly surveys, pooled)."""
    return _indicator(ledger, "stunting_prevalence")


def benefit_receipt(ledger: Ledger) -> float:
    """Children in the benefit indicator's ages whose family has a social-protection case in
    service / all children those ages (quarterly surveys, pooled)."""
    return _indicator(ledger, "benefit_receipt")


def protection_harm_weeks(ledger: Ledger) -> float:
    """Weeks harm sectors' concerns stayed unmet, per 1,000 children per year."""
    return _ratio(ledger.harm_weeks * WEEKS_PER_YEAR * 1000.0, ledger.child_weeks)


def severe_outcomes(ledger: Ledger) -> float:
    """Harm sectors' concerns that ended unmet in a severe outcome, per 1,000 children per year."""
    return _ratio(ledger.severe_outcomes * WEEKS_PER_YEAR * 1000.0, ledger.child_weeks)


def children_reached(ledger: Ledger) -> float:
    """Distinct children who received at least one service week, per measured year (each
    year's distinct children, averaged over the measured years)."""
    return _ratio(ledger.children_reached, ledger.weeks / WEEKS_PER_YEAR)


def duplication_rate(ledger: Ledger) -> float:
    """Duplicate contacts / all contacts (assessments and service weeks)."""
    dup = ledger.assessments_duplicate + ledger.service_weeks_duplicate
    return _ratio(dup, ledger.assessments + ledger.service_weeks)


def duplicated_spend(ledger: Ledger) -> float:
    """Money spent on duplicate assessments and duplicate service weeks."""
    return ledger.assessment_spend_duplicate + ledger.service_spend_duplicate


def assessments_repeated(ledger: Ledger) -> float:
    """Assessments repeating another provider's for the same (family, sector) episode."""
    return ledger.assessments_duplicate


def assessment_cost_repeated(ledger: Ledger) -> float:
    """Money spent on assessments repeated within a sector (same episode)."""
    return ledger.assessment_spend_duplicate


def assessments_cross_sector(ledger: Ledger) -> float:
    """Assessments of a family already assessed this week or for an open need in another sector."""
    return ledger.assessments_cross_sector


def assessment_cost_cross_sector(ledger: Ledger) -> float:
    """Money spent on cross-sector assessments (one multi-sector assessment could have covered)."""
    return ledger.assessment_spend_cross_sector


def service_cost(ledger: Ledger) -> float:
    """Money spent on service weeks."""
    return ledger.service_spend


def assessment_cost(ledger: Ledger) -> float:
    """Money spent on intake assessments."""
    return ledger.assessment_spend


def coordination_cost(ledger: Ledger) -> float:
    """Money spent on coordination mechanisms (sum over mechanisms)."""
    return float(sum(ledger.coordination_spend.values()))


def coordination_cost_from_budgets(ledger: Ledger) -> float:
    """The part of coordination_cost paid from organisations' budgets (``paid_by``), not by an
    outside funder."""
    return ledger.coordination_from_budgets


def provider_fee_revenue(ledger: Ledger) -> float:
    """Fees private providers charged families for paid service weeks (not a public cost)."""
    return float(ledger.org_fee_revenue.sum())


def total_cost(ledger: Ledger) -> float:
    """service_cost + assessment_cost + coordination_cost."""
    return service_cost(ledger) + assessment_cost(ledger) + coordination_cost(ledger)


def needs_met(ledger: Ledger) -> float:
    """Need-episodes met in measured weeks, whenever they started."""
    return ledger.needs_met


def needs_lapsed(ledger: Ledger) -> float:
    """Need-episodes that lapsed unmet in measured weeks, whenever they started."""
    return ledger.needs_lapsed


def cost_per_need_met(ledger: Ledger) -> float:
    """total_cost / needs_met: both over the measured weeks."""
    return _ratio(total_cost(ledger), needs_met(ledger))


def cost_per_child_reached(ledger: Ledger) -> float:
    """Yearly cost / children reached per year (both over the measured weeks)."""
    return _ratio(total_cost(ledger), ledger.children_reached)


def unspent_budget_share(ledger: Ledger) -> float:
    """Budget lapsed unspent at fiscal year ends / budget appropriated."""
    return _ratio(ledger.lapsed_budget, ledger.appropriated)


def referrals_made(ledger: Ledger) -> float:
    """Cross-sector referrals made by providers."""
    return ledger.referrals_made


def referrals_lost(ledger: Ledger) -> float:
    """Referrals whose hand-off did not complete."""
    return ledger.referrals_made - ledger.referrals_completed


def referral_completion(ledger: Ledger) -> float:
    """Referrals completed / referrals made."""
    return _ratio(ledger.referrals_completed, ledger.referrals_made)


def mean_wait_weeks(ledger: Ledger) -> float:
    """Mean weeks from a need arising to its first service week (episodes served)."""
    return _ratio(ledger.wait_weeks_total, ledger.first_services)


def referral_wait_weeks(ledger: Ledger) -> float:
    """Mean weeks a completed referral waited on the receiving organisation's list."""
    return _ratio(ledger.referral_wait_weeks_total, ledger.referrals_started)


def unmet_need_weeks(ledger: Ledger) -> float:
    """Weeks of open, unserved need per child (family-sector weeks / mean number of children)."""
    mean_children = _ratio(ledger.child_weeks, ledger.weeks)
    return _ratio(ledger.unmet_need_weeks, mean_children)


def escalations(ledger: Ledger) -> float:
    """Needs that became severe while unmet."""
    return ledger.escalations


def _consulted(ledger: Ledger, group: int) -> float:
    children = ledger.children_at_consultations[group]
    return float(ledger.children_consulted[group] / children) if children > 0 else 0.0


def children_consulted_marginalised(ledger: Ledger) -> float:
    """Share of children in marginalised families whose family a council's participant consulted
    for its yearly action plan (children consulted / children, summed over the plans in measured
    time: the mean yearly share); 0 when nobody was consulted."""
    return _consulted(ledger, 1)


def children_consulted_other(ledger: Ledger) -> float:
    """The same for children in other families."""
    return _consulted(ledger, 0)


def _recent_coverage(ledger: Ledger, marginalised=slice(None)) -> float:
    if ledger.cohort_weeks < ROLLING_WEEKS:
        return NAN
    started, served = ledger.recent[:, 0, marginalised].sum(), ledger.recent[:, 1, marginalised].sum()
    return _ratio(served, started)


def coverage_13w(ledger: Ledger) -> float:
    """Coverage of the last 13 start weeks whose follow-up is over (a rolling window: the need
    episodes that started ``follow_up + 12`` to ``follow_up`` weeks ago); NaN until 13 have."""
    return _recent_coverage(ledger)


def coverage_13w_marginalised(ledger: Ledger) -> float:
    """The rolling coverage among marginalised families."""
    return _recent_coverage(ledger, 1)


def coverage_13w_other(ledger: Ledger) -> float:
    """The rolling coverage among other families."""
    return _recent_coverage(ledger, 0)


def by_neighbourhood(ledger: Ledger) -> dict[str, np.ndarray]:
    """Per-neighbourhood coverage, waits and referral completion (NaN where undefined)."""
    a = ledger.area
    started = ledger.cohort_area_started.sum(axis=0)
    served = ledger.cohort_area_served.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "coverage": np.where(started > 0, served / started, np.nan),
            "mean_wait_weeks": np.where(a["first_services"] > 0,
                                        a["wait_weeks_total"] / a["first_services"], np.nan),
            "referral_completion": np.where(a["referrals_made"] > 0,
                                            a["referrals_completed"] / a["referrals_made"], np.nan),
            "referral_wait_weeks": np.where(a["referrals_started"] > 0,
                                            a["referral_wait_weeks_total"] / a["referrals_started"],
                                            np.nan),
        }


@dataclass(frozen=True)
class Metric:
    """A metric: its name, unit and function, and how people read it (the one place for all of
    it: the report, the workshop page's cards and charts, and the docs take it from here)."""

    name: str
    unit: str
    compute: Callable[[Ledger], float]
    label: str  # in plain words, for cards, charts and tables
    better: str | None = None  # "higher" or "lower" is better for families or the budget; None
    explain: str = ""  # one or two sentences for people who do not code


METRICS: tuple[Metric, ...] = (
    Metric("full_package_share", "share", full_package_share, "Children fully served", "higher",
           "Of every 100 children in families with a need in a year, how many had every service "
           "their family needed that year (a place, treatment, a benefit, help) within half a "
           "year of the need arising."),
    Metric("full_package_share_marginalised", "share", full_package_share_marginalised,
           "Children fully served, marginalised", "higher",
           "The same, counting only the poorest and most excluded families."),
    Metric("coverage", "share", coverage, "Needs served in time", "higher",
           "Of every 100 needs that arose (a child needing health care, food, a preschool place, "
           "protection or income support), how many got the service within half a year."),
    Metric("coverage_marginalised", "share", coverage_marginalised,
           "Needs served in time, marginalised families", "higher",
           "The same, counting only the poorest and most excluded families."),
    Metric("coverage_other", "share", coverage_other, "Needs served in time, other families", "higher"),
    Metric("equity_gap", "share points", equity_gap, "Equity gap", "lower",
           "Needs served in time for other families minus the same for marginalised families."),
    Metric("early_learning_participation", "share", early_learning_participation,
           "Children in early learning the year before school", "higher",
           "Of every 100 children in the year before primary school, how many were in an early "
           "learning programme on a survey day (SDG 4.2.2)."),
    Metric("stunting_prevalence", "share", stunting_prevalence, "Children stunted",
           "lower", "Of every 100 children under five, how many were stunted on a survey day "
           "(a nutrition need not yet met: untreated, or still in treatment)."),
    Metric("benefit_receipt", "share", benefit_receipt, "Children receiving a benefit", "higher",
           "Of every 100 children, how many lived in a family receiving a social-protection "
           "benefit on a survey day."),
    Metric("protection_harm_weeks", "weeks per 1,000 children a year", protection_harm_weeks,
           "Weeks children's protection concerns went unmet", "lower",
           "For every 1,000 children, the weeks in a year that a child-protection concern stayed "
           "without help."),
    Metric("severe_outcomes", "per 1,000 children a year", severe_outcomes,
           "Protection concerns ending in serious harm", "lower",
           "For every 1,000 children, the child-protection concerns in a year that ended in a "
           "severe outcome before anyone helped."),
    Metric("children_reached", "children a year", children_reached, "Children reached a year",
           "higher", "Different children who received at least one week of service in a year."),
    Metric("duplication_rate", "share of contacts", duplication_rate, "Duplication", "lower",
           "Share of all contacts (assessments and weeks of service) that repeat what another "
           "provider already does for the same child and need."),
    Metric("duplicated_spend", "money", duplicated_spend, "Money spent on duplicates", "lower"),
    Metric("assessments_repeated", "assessments", assessments_repeated,
           "Assessments repeated in a sector", "lower",
           "Assessments of a child's need that another provider of the same service had already "
           "assessed."),
    Metric("assessment_cost_repeated", "money", assessment_cost_repeated,
           "Money on repeated assessments", "lower"),
    Metric("assessments_cross_sector", "assessments", assessments_cross_sector,
           "Separate assessments across services", "lower",
           "Assessments of a family that another service had already assessed for another open "
           "need (or this week): one assessment covering every service could have replaced them."),
    Metric("assessment_cost_cross_sector", "money", assessment_cost_cross_sector,
           "Money on separate assessments across services", "lower",
           "What those separate assessments cost: the most a single multi-sector assessment (a "
           "family hub's) could save, before the hub's own cost."),
    Metric("service_cost", "money", service_cost, "Service cost"),
    Metric("assessment_cost", "money", assessment_cost, "Assessment cost"),
    Metric("coordination_cost", "money", coordination_cost, "Coordination cost", "lower",
           "Money spent on working together: meetings, hubs, the pooled fund's administration, "
           "registries, coordinators."),
    Metric("coordination_cost_from_budgets", "money", coordination_cost_from_budgets,
           "Coordination paid from service budgets", None,
           "The part of the coordination cost that came out of the departments' and NGOs' own "
           "budgets (and so competed with services), not from an outside funder."),
    Metric("provider_fee_revenue", "money", provider_fee_revenue, "Fees paid to private providers",
           None, "What families paid private providers in fees for their weeks of service (a quota "
           "waives marginalised families' fees). Not counted in the total cost."),
    Metric("total_cost", "money", total_cost, "Total cost"),
    Metric("cost_per_need_met", "money per need", cost_per_need_met, "Cost per need met", "lower",
           "Everything spent (services, assessments, coordination) divided by needs met."),
    Metric("cost_per_child_fully_served", "money per child", cost_per_child_fully_served,
           "Cost per child fully served", "lower",
           "Everything spent in a year divided by the children whose family had every need "
           "that year served in time."),
    Metric("cost_per_child_reached", "money per child", cost_per_child_reached,
           "Cost per child reached", "lower"),
    Metric("unspent_budget_share", "share", unspent_budget_share, "Budget left unspent", "lower"),
    Metric("referrals_made", "referrals", referrals_made, "Referrals made"),
    Metric("referrals_lost", "referrals", referrals_lost, "Referrals lost", "lower"),
    Metric("referral_completion", "share", referral_completion, "Referrals completed", "higher"),
    Metric("mean_wait_weeks", "weeks", mean_wait_weeks, "Wait for a first service", "lower"),
    Metric("referral_wait_weeks", "weeks", referral_wait_weeks, "Wait after a referral", "lower"),
    Metric("needs_met", "episodes", needs_met, "Needs met (count)", "higher",
           "Needs whose service was completed during the measured years."),
    Metric("needs_lapsed", "episodes", needs_lapsed, "Needs that lapsed unmet", "lower",
           "Needs that went away unmet during the measured years."),
    Metric("unmet_need_weeks", "weeks per child", unmet_need_weeks, "Weeks of unmet need per child",
           "lower"),
    Metric("escalations", "episodes", escalations, "Needs that escalated", "lower"),
    Metric("children_consulted_marginalised", "share", children_consulted_marginalised,
           "Children consulted, marginalised families", "higher",
           "Of every 100 children in marginalised families, how many had their family consulted "
           "in a year by a young person or parent sitting on the council, for its action plan."),
    Metric("children_consulted_other", "share", children_consulted_other,
           "Children consulted, other families", "higher"),
)
# weekly metrics: in the time series only (not the run summary), to see a dip and a recovery
# that the summary's totals since warm-up would smooth away (sim/experiments/resilience.py)
WEEKLY_METRICS: tuple[Metric, ...] = (
    Metric("coverage_13w", "share", coverage_13w, "Needs served in time, last 13 weeks", "higher",
           "Of the needs that arose in 13 recent weeks (judged once their half year of follow-up "
           "is over), how many got the service in time: it shows a dip that the total since the "
           "start smooths away."),
    Metric("coverage_13w_marginalised", "share", coverage_13w_marginalised,
           "Needs served in time, last 13 weeks, marginalised", "higher",
           "The same, counting only the poorest and most excluded families."),
    Metric("coverage_13w_other", "share", coverage_13w_other,
           "Needs served in time, last 13 weeks, other families", "higher"),
)
METRIC_INFO: dict[str, Metric] = {m.name: m for m in METRICS}
WEEKLY_INFO: dict[str, Metric] = {m.name: m for m in WEEKLY_METRICS}

METRIC_NAMES: tuple[str, ...] = tuple(m.name for m in METRICS)
SECTOR_COVERAGE_PREFIX = "coverage."
SECTOR_REACHED_PREFIX = "children_reached."
SECTOR_PREFIXES = (SECTOR_COVERAGE_PREFIX, SECTOR_REACHED_PREFIX)  # the per-sector metrics
# per group of families (scenario ``groups:``): ``group_coverage.<g>``, the same for families in
# the group who are also marginalised (``group_coverage.<g>.marginalised``), and the full package
GROUP_COVERAGE_PREFIX = "group_coverage."
GROUP_PACKAGE_PREFIX = "group_full_package."
GROUP_PREFIXES = (GROUP_COVERAGE_PREFIX, GROUP_PACKAGE_PREFIX)
OVERLAP_SUFFIX = ".marginalised"
# units that count things (children, episodes, ...): people read them as whole numbers
COUNT_UNITS = frozenset({"children a year", "episodes", "assessments", "referrals"})
# a unit that is itself a difference (it crosses zero): a change in it is told in points, never
# as a percentage of it
DIFFERENCE_UNITS = frozenset({"share points"})


def is_metric(name: str) -> bool:
    """Whether ``name`` is a metric of the run summary (per-sector and per-group ones included)."""
    return name in METRIC_INFO or name.startswith(SECTOR_PREFIXES + GROUP_PREFIXES)


def metric_columns(columns) -> list[str]:
    """The metrics among ``columns``, in the canonical order: METRICS', then per-sector ones,
    then per-group ones."""
    present = set(columns)
    per_sector = sorted(c for c in present if c.startswith(SECTOR_PREFIXES))
    per_group = sorted(c for c in present if c.startswith(GROUP_PREFIXES))
    return [m for m in METRIC_NAMES if m in present] + per_sector + per_group


def sector_of(name: str) -> str | None:
    """The sector of a per-sector metric name (None for others)."""
    for prefix in SECTOR_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix):]
    return None


def group_of(name: str) -> str | None:
    """The group of a per-group metric name, overlap included (``migrant.marginalised``)."""
    for prefix in GROUP_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix):]
    return None


def group_metric_names(group: str) -> list[str]:
    """The per-group metrics of one group: coverage, coverage of its marginalised families,
    full-package share."""
    return [GROUP_COVERAGE_PREFIX + group, GROUP_COVERAGE_PREFIX + group + OVERLAP_SUFFIX,
            GROUP_PACKAGE_PREFIX + group]


def sector_metric_name(sector: str) -> str:
    """Name of the coverage metric of one sector, e.g. ``coverage.health``."""
    return SECTOR_COVERAGE_PREFIX + sector


def format_value(value: float | None, unit: str, style: str = "table") -> str:
    """One number as people read it, the same everywhere (the run summary, the report, the
    workshop's cards, ``sim patterns``): ``"n/a"`` when missing or not a number.

    ``style="table"`` (printed tables): shares with 3 decimals, whole numbers and amounts of 1,000
    or more without decimals (with thousands separators), other numbers with 2 decimals.
    ``style="card"`` (for people who do not code): shares as percentages with 1 decimal, share
    points signed (``+4.2``), other numbers whole with separators.
    """
    if value is None or not math.isfinite(value):
        return "n/a"
    if style == "card":
        if unit == "share points":
            return f"{100 * value:+.1f}"
        if unit.startswith("share"):
            return f"{100 * value:.1f}%"
        return f"{value:,.0f}"
    if unit.startswith("share"):
        return f"{value:.3f}"
    return f"{value:,.0f}" if abs(value) >= 1000 or float(value).is_integer() else f"{value:.2f}"


def units(sectors: list[str], currency: str | None = None, groups=()) -> dict[str, str]:
    """Unit of every metric that :func:`summarise` returns (per-group ones for ``groups``) and of
    the weekly metrics; with a ``currency`` (the scenario's ISO code), money units name it
    ("USD", "USD per need")."""
    out = {m.name: m.unit for m in (*METRICS, *WEEKLY_METRICS)}
    out.update({sector_metric_name(s): "share" for s in sectors})
    out.update({name: "share" for g in groups for name in group_metric_names(g)})
    out.update({SECTOR_REACHED_PREFIX + s: "children a year" for s in sectors})
    if currency:
        out = {k: (currency + v[len("money"):] if v.startswith("money") else v)
               for k, v in out.items()}
    return out


def units_for(names, currency: str | None = None) -> dict[str, str]:
    """:func:`units` for the sectors and groups that the metric ``names`` mention."""
    sectors = sorted({sector_of(n) for n in names} - {None})
    groups = sorted({g.removesuffix(OVERLAP_SUFFIX) for n in names if (g := group_of(n))})
    return units(sectors, currency, groups)


def summarise(ledger: Ledger, sectors: list[str]) -> dict[str, float]:
    """Every metric, plus ``coverage.<sector>`` for each sector, as a flat name -> number dict."""
    out = {m.name: float(m.compute(ledger)) for m in METRICS}
    for i, sector in enumerate(sectors):
        out[sector_metric_name(sector)] = float(_coverage(ledger, sectors=i))
    years = ledger.weeks / WEEKS_PER_YEAR
    for i, sector in enumerate(sectors):
        out[SECTOR_REACHED_PREFIX + sector] = _ratio(ledger.children_reached_by_sector[i], years)
    classes = np.arange(ledger.n_classes)
    for i, group in enumerate(ledger.group_names):
        member = ((classes >> 1) >> i) & 1 == 1  # the family classes with the group's bit
        cover, overlap, package = group_metric_names(group)
        out[cover] = _coverage(ledger, classes=member)
        out[overlap] = _coverage(ledger, classes=member & (classes % 2 == 1))
        out[package] = _ratio(ledger.package.children_fully_served[member].sum(),
                              ledger.package.children[member].sum())
    return {k: (v if np.isfinite(v) else NAN) for k, v in out.items()}


def weekly(ledger: Ledger) -> dict[str, float]:
    """Every weekly metric (:data:`WEEKLY_METRICS`), for the time series."""
    return {m.name: float(m.compute(ledger)) for m in WEEKLY_METRICS}
