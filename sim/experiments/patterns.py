"""Patterns from the evidence, checked against the model: what ``sim patterns SCENARIO`` runs.

Each :class:`Pattern` is one sourced figure made precise: the evidence's range and its source
(the ids of docs/model.md "Sources"), the runs it needs (the scenario as given, the scenario in
``silos``, or a coordination preset paired with ``silos`` on the same seeds), the model's value
per replication, and the kind of city its evidence comes from. A pattern **holds** when the
model's mean over the replications lies inside the evidence's range; the 95% t interval is shown
beside it. It is a diagnosis, not a validation: a failing pattern is a finding, not an error.

**Kind of city** (:func:`city_kind`): a scenario named ``high_income_city`` is a high-income
city; every other scenario is a middle-income city (all other shipped scenarios extend
``base.yaml``, a middle-income city). A pattern whose evidence comes from the other kind of city
is reported "not applicable", with why.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim.core.metrics import format_value
from sim.errors import ConfigError
from sim.experiments.plan import replication_seeds
from sim.experiments.stats import mean_ci

HIGH_INCOME = "high-income"
MIDDLE_INCOME = "middle-income"
HIGH_INCOME_SCENARIOS = frozenset({"high_income_city"})
# the cities whose levels (coverage, stunting, participation, benefit receipt) the evidence gives:
# the other shipped scenarios are variants that change a city on purpose
REFERENCE_CITIES = frozenset({"base", "high_income_city"})
BOTH = frozenset({HIGH_INCOME, MIDDLE_INCOME})

# the runs a pattern may need: the scenario as given, in silos, or a preset (with overrides)
SCENARIO, SILOS, PLATFORM, REGISTRY = ("scenario", "silos", "integrated_platform",
                                       "shared_registry")
ARMS: dict[str, tuple[str | None, list[str]]] = {
    SCENARIO: (None, []),
    SILOS: ("silos", []),
    PLATFORM: ("integrated_platform", []),
    # "where consulted": the registry consulted at every intake and place-filling decision
    REGISTRY: ("shared_registry", ["coordination.shared_registry.consultation_rate=1.0"]),
}
ARM_WORDS = {SCENARIO: "the scenario as given", SILOS: "the scenario in silos",
             PLATFORM: "integrated_platform preset", REGISTRY: "shared_registry preset, consulted "
             "always (consultation_rate 1)"}
CHILD_0_4_WEEKS = 5 * 52  # the eligible children of integrated early-years centres: under 5


def city_kind(scenario_name: str) -> str:
    """``high-income`` for the scenarios in HIGH_INCOME_SCENARIOS, else ``middle-income``."""
    return HIGH_INCOME if scenario_name in HIGH_INCOME_SCENARIOS else MIDDLE_INCOME


def _ratio(a: float, b: float) -> float:
    return a / b if b and math.isfinite(a) and math.isfinite(b) else math.nan


@dataclass(frozen=True)
class Pattern:
    """One pattern: a sourced range and how the model's value is computed.

    ``value(runs)`` takes one replication's runs, ``{arm: summary}`` (the run summary plus the
    extra quantities of :func:`measure`), and returns the model's value for that replication.
    A pattern with ``value`` None is not measured (``not_measured`` says why).
    """

    name: str
    statement: str  # the evidence in plain words
    low: float
    high: float
    evidence: str  # the range as shown, e.g. "25-75%"
    sources: tuple[str, ...]  # ids in docs/model.md "Sources" (S1, G4, ...)
    measure: str  # the model's value in words
    unit: str = "share"  # share (shown in %), points (a difference of shares), money
    arms: tuple[str, ...] = (SILOS,)
    value: Callable[[dict[str, dict]], float] | None = None
    cities: frozenset[str] = BOTH
    why_cities: str = ""  # where the evidence comes from, when it is one kind of city
    not_measured: str = ""
    low_open: bool = False  # the range excludes its low end ("> 0")
    level: bool = False  # a level of a reference city's services (REFERENCE_CITIES only)

    @property
    def paired(self) -> bool:
        return len(self.arms) > 1

    def applies(self, scenario_name: str) -> tuple[bool, str]:
        """Whether the pattern applies to the scenario, and why not when it does not."""
        kind = city_kind(scenario_name)
        if self.level and kind in self.cities and scenario_name not in REFERENCE_CITIES:
            return False, (f"a level of the reference {kind} city ({', '.join(sorted(REFERENCE_CITIES))}); "
                           f"{scenario_name} changes its city's services or families on purpose "
                           "(its file's header says how), so this level is not its target")
        if kind in self.cities:
            return True, ""
        return False, (f"{self.why_cities}; {scenario_name} is a {kind} city (only scenarios "
                       f"named {', '.join(sorted(HIGH_INCOME_SCENARIOS))} count as high-income)")

    def holds(self, mean: float) -> bool | None:
        if not math.isfinite(mean):
            return None
        above = mean > self.low if self.low_open else mean >= self.low
        return bool(above and mean <= self.high)


def _share(key: str) -> Callable[[dict[str, dict]], float]:
    return lambda runs: runs[SILOS if SILOS in runs else SCENARIO][key]


def _level(key: str) -> Callable[[dict[str, dict]], float]:
    return lambda runs: runs[SCENARIO][key]


def _repeat_share(summary: dict) -> float:
    return _ratio(summary["assessments_repeated"], summary["assessments"])


def _record_effect(runs: dict[str, dict]) -> float:
    return 1.0 - _ratio(_repeat_share(runs[REGISTRY]), _repeat_share(runs[SILOS]))


HIGH_ONLY = dict(cities=frozenset({HIGH_INCOME}))
MIDDLE_ONLY = dict(cities=frozenset({MIDDLE_INCOME}))
HIGH_LEVEL = dict(HIGH_ONLY, level=True)
MIDDLE_LEVEL = dict(MIDDLE_ONLY, level=True)

PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        "handoff_loss", "each hand-off between services loses 25-75% of families in a "
        "fragmented system", 0.25, 0.75, "25-75%", ("S1",),
        "1 - referral_completion, silos", value=lambda r: 1.0 - r[SILOS]["referral_completion"]),
    Pattern(
        "net_linkage_two_steps", "net linkage over multi-step pathways is 5-34% (18.7% referred x "
        "26% served = 5%; 34% enrolled)", 0.05, 0.34, "5-34%", ("S1",),
        "referral_completion squared, silos: the chance that two successive hand-offs both "
        "complete if they are independent (the model keeps no pathway records)",
        value=lambda r: r[SILOS]["referral_completion"] ** 2),
    Pattern(
        "waits_drive_completion", "shorter waits raise referral completion (co-location cut "
        "median waits from 48 to 11 days and raised use 2.4-fold)", 0.0, 1.0, "> 0 points",
        ("S2",), "referral_completion, integrated_platform minus silos, paired by seed (hubs' "
        "warm referrals skip the receiving wait)", unit="points", arms=(PLATFORM, SILOS),
        value=lambda r: r[PLATFORM]["referral_completion"] - r[SILOS]["referral_completion"],
        low_open=True),
    Pattern(
        "redundant_assessments", "redundant tests and assessments are often 9-40% of all",
        0.09, 0.40, "9-40%", ("S3",), "assessments_repeated / assessments, silos (repeats of an "
        "episode already assessed by another provider)",
        value=lambda r: _repeat_share(r[SILOS])),
    Pattern(
        "shared_record_effect", "shared records cut repeat tests by about 25% when consulted "
        "(repeat imaging orders, 7.7% base); read as 20-30%", 0.20, 0.30, "20-30% (about 25%)",
        ("S3",), "1 - repeat share with the registry consulted always / repeat share in silos "
        "(repeat share = assessments_repeated / assessments), paired by seed", arms=(REGISTRY, SILOS),
        value=_record_effect),
    Pattern(
        "equity_gap_positive", "families worse off get less: richest-minus-poorest gaps in early "
        "education (29.7 points) and urban immunisation (60% vs 43%)", 0.0, 1.0, "> 0 points",
        ("G1", "G4"), "equity_gap (coverage_other - coverage_marginalised), silos", unit="points",
        value=lambda r: r[SILOS]["equity_gap"], low_open=True),
    Pattern(
        "health_coverage", "high health contact coverage in a high-income city, 81-99%",
        0.81, 0.99, "81-99%", ("S9", "G4"), "coverage.health, the scenario as given",
        arms=(SCENARIO,), value=_level("coverage.health"), **HIGH_LEVEL,
        why_cities="the 81-99% figure is for a high-income city"),
    Pattern(
        "benefit_coverage", "child benefit coverage about 28% (28.1% worldwide); read as 23-33%",
        0.23, 0.33, "23-33% (about 28%)", ("S7", "G6"), "benefit_receipt (children in families "
        "receiving a benefit on a survey day), the scenario as given",
        arms=(SCENARIO,), value=_level("benefit_receipt"), **MIDDLE_LEVEL,
        why_cities="about 28% is the middle-income (worldwide) figure; high-income countries "
        "have 84.6% (benefit_coverage_high_income)"),
    Pattern(
        "benefit_coverage_high_income", "child benefit coverage 84.6% in high-income countries; "
        "read as 79.6-89.6%", 0.796, 0.896, "79.6-89.6% (84.6%)", ("G6",),
        "benefit_receipt, the scenario as given", arms=(SCENARIO,),
        value=_level("benefit_receipt"), **HIGH_LEVEL,
        why_cities="84.6% is the high-income countries' figure"),
    Pattern(
        "stunting_prevalence", "stunting 22% of under-5s in a middle-income city (22.3% "
        "worldwide); read as 17-27%", 0.17, 0.27, "17-27% (about 22%)", ("S7", "G3"),
        "stunting_prevalence (children under 5 in families with a nutrition need not yet met on "
        "a survey day), the scenario as given", arms=(SCENARIO,),
        value=_level("stunting_prevalence"), **MIDDLE_LEVEL,
        why_cities="22% is the middle-income (worldwide) figure"),
    Pattern(
        "early_learning_participation", "about half of children not in pre-primary in a "
        "middle-income city; read as 45-55% participating", 0.45, 0.55, "45-55% (about half)",
        ("S7", "G1"), "early_learning_participation (children in the year before primary in "
        "early learning on a survey day, SDG 4.2.2), the scenario as given", arms=(SCENARIO,),
        value=_level("early_learning_participation"), **MIDDLE_LEVEL,
        why_cities="a middle-income city's figure"),
    Pattern(
        "nutrition_programme_coverage", "median coverage of acute malnutrition treatment within "
        "countries about 30-50% (1 in 3 severely wasted children reach treatment)", 0.30, 0.50,
        "30-50%", ("G3",), "coverage.nutrition, the scenario as given (a loose analogue: the "
        "model's nutrition need is stunting-based, not acute malnutrition)", arms=(SCENARIO,),
        value=_level("coverage.nutrition"), **MIDDLE_LEVEL,
        why_cities="treatment coverage figures are from low- and middle-income countries"),
    Pattern(
        "integrated_centre_cost", "integrated early-years centres cost about GBP 1,300 per "
        "eligible child a year (range 350-2,500)", 350.0, 2500.0, "GBP 350-2,500", ("S6",),
        "integrated_platform preset: the hubs' spending per measured year / children under 5 "
        "living in hub neighbourhoods at the end of the run", unit="money", arms=(PLATFORM,),
        value=lambda r: r[PLATFORM]["platform_cost_per_eligible_child_year"], **HIGH_ONLY,
        why_cities="a UK figure in GBP (UK integrated early-years centres)"),
    Pattern(
        "early_learning_gap", "richest-minus-poorest gap in early education attendance 29.7 "
        "points (95% CI 22.1-37.3)", 0.221, 0.373, "22.1-37.3 points", ("G1",), "",
        unit="points", **MIDDLE_ONLY, why_cities="a figure from low- and middle-income countries",
        not_measured="the run summary has no coverage by sector and group, and marginalised vs "
        "other families is not richest vs poorest quintile"),
    Pattern(
        "child_protection_need", "about 3% of children in need of child-protection services",
        0.02, 0.04, "2-4% (about 3%)", ("S9", "G5"), "", **HIGH_ONLY,
        why_cities="a high-income (England) figure",
        not_measured="the model records needs per family and sector, not per child, and 3% is "
        "the scenario's input need rate (child_protection 0.03), not an output"),
    Pattern(
        "staff_time_on_coordination", "frontline workers spend roughly 10-15% of their time in "
        "meetings and liaison", 0.10, 0.15, "10-15%", ("S4", "G10"), "",
        not_measured="the model books coordination staff time as money (coordination_cost), "
        "not as a share of frontline hours"),
    Pattern(
        "needs_concentrate", "about a quarter of families use services in two or more systems "
        "and account for most of the spending", 0.20, 0.30, "20-30% (about 25%)", ("S10",), "",
        not_measured="the run summary has no per-family count of systems used or spending"),
)

BY_NAME = {p.name: p for p in PATTERNS}


# ------------------------------------------------------------------------- runs
def measure(task: dict) -> dict:
    """One run of one arm (a worker's task): its summary plus the extra quantities patterns use."""
    from sim.experiments.single_run import run_model
    from sim.scenario.loading import scenario_from_dict

    scenario = scenario_from_dict(task["config"], "patterns")
    model = run_model(scenario, seed=task["seed"], organisation_reporters=False)
    out = dict(model.summary())
    out["assessments"] = float(model.ledger.assessments)
    out["platform_cost_per_eligible_child_year"] = _platform_cost_per_child(model, scenario)
    return {"arm": task["arm"], "replication": task["replication"], "summary": out}


def _platform_cost_per_child(model, scenario) -> float:
    """Hubs' spending per measured year per child under 5 in hub neighbourhoods (NaN: no hubs)."""
    hubs = next((m for m in model.all_mechanisms if m.name == "integrated_platform"), None)
    if hubs is None or not hasattr(hubs, "catchment"):
        return math.nan
    years = (scenario.time.steps - scenario.time.warmup_weeks) / 52
    spend = model.ledger.coordination_spend.get("integrated_platform", 0.0)
    kids = model.pop.children
    age = model.week - kids.birth_week.astype(np.int64)
    young = ((age >= 0) & (age < CHILD_0_4_WEEKS)).sum(axis=1)
    eligible = float(young[hubs.catchment[model.pop.neighbourhood]].sum())
    return _ratio(spend / years, eligible) if years > 0 else math.nan


@dataclass
class Arm:
    name: str
    config: dict
    label: str


@dataclass
class PatternRun:
    """What ``sim patterns`` ran: the scenario, its city kind, arms, seeds and the rows."""

    scenario: str
    kind: str
    replications: int
    seeds: list[int]
    arms: dict[str, str] = field(default_factory=dict)  # arm -> its coordination label
    shared_silos: bool = False  # the scenario is in silos: its runs are the silos runs
    rows: list[dict] = field(default_factory=list)


def build_arms(path: str | Path, overrides: list[str], needed: Iterable[str]) -> dict[str, Arm]:
    """Resolve and validate every needed arm (before anything runs)."""
    from sim.scenario.loading import load_scenario

    arms: dict[str, Arm] = {}
    for name in needed:
        preset, extra = ARMS[name]
        scenario = load_scenario(path, [*overrides, *extra], coordination=preset)
        arms[name] = Arm(name, scenario.model_dump(mode="json"), scenario.coordination.label)
    if SCENARIO in arms and SILOS in arms and arms[SCENARIO].config == arms[SILOS].config:
        arms[SILOS] = Arm(SILOS, arms[SCENARIO].config, arms[SCENARIO].label)
    return arms


def run_patterns(path: str | Path, overrides: list[str] | None = None, replications: int = 10,
                 workers: int = 1, seed: int | None = None, progress=None,
                 max_memory: str | None = None) -> PatternRun:
    """Run what the applicable patterns need and compute every pattern's row.

    Args:
        path: the scenario file.
        overrides: ``--set`` strings (``time.years=...`` for another horizon).
        replications: replications per arm; replication k has the same seed in every arm.
        seed: base seed of the replication seeds (default: the scenario's seed).
        progress: optional ``progress(done, todo, row)`` called after every run.
    """
    from sim.experiments.runner import make_executor
    from sim.scenario import limits
    from sim.scenario.loading import load_scenario

    if replications < 2:
        raise ConfigError(f"--replications: expected at least 2 (an interval needs two), got "
                          f"{replications}")
    overrides = list(overrides or [])
    scenario = load_scenario(path, overrides)
    limits.check_scenario(scenario, str(path), max_memory)
    applicable = [p for p in PATTERNS if p.value is not None and p.applies(scenario.name)[0]]
    needed = [a for a in ARMS if any(a in p.arms for p in applicable)]
    arms = build_arms(path, overrides, needed)
    # the silos arm is the scenario's own runs when the scenario is in silos
    distinct = {n: a for n, a in arms.items() if not (n == SILOS and SCENARIO in arms
                                                       and a.config is arms[SCENARIO].config)}
    seeds = replication_seeds(scenario.seed if seed is None else seed, replications)
    tasks = [{"arm": n, "replication": k, "seed": s, "config": a.config}
             for n, a in distinct.items() for k, s in enumerate(seeds)]
    results: dict[int, dict[str, dict]] = {k: {} for k in range(replications)}
    executor = make_executor("local", workers)
    try:
        for done, out in enumerate(executor.map_unordered(measure, tasks), start=1):
            results[out["replication"]][out["arm"]] = out["summary"]
            if progress is not None:
                progress(done, len(tasks), out)
    finally:
        executor.close()
    for runs in results.values():
        if SILOS in arms and SILOS not in runs:
            runs[SILOS] = runs[SCENARIO]
    record = PatternRun(scenario.name, city_kind(scenario.name), replications, seeds,
                        {n: a.label for n, a in arms.items()}, len(distinct) < len(arms))
    record.rows = [row(p, scenario.name, results) for p in PATTERNS]
    return record


def row(pattern: Pattern, scenario_name: str, results: dict[int, dict[str, dict]]) -> dict:
    """One pattern's row: evidence, model mean and interval, holds (True, False or None)."""
    out = {"pattern": pattern.name, "statement": pattern.statement, "sources": list(pattern.sources),
           "evidence": pattern.evidence, "evidence_low": pattern.low, "evidence_high": pattern.high,
           "low_open": pattern.low_open, "unit": pattern.unit, "measure": pattern.measure,
           "runs": [ARM_WORDS[a] for a in pattern.arms] if pattern.value else [],
           "paired": pattern.paired, "mean": None, "low": None, "high": None, "n": 0,
           "holds": None, "status": "", "reason": ""}
    applies, why = pattern.applies(scenario_name)
    if not applies:
        out.update(status="not applicable", reason=why)
        return out
    if pattern.value is None:
        out.update(status="not measured", reason=pattern.not_measured)
        return out
    values = [pattern.value(runs) for runs in results.values()]
    mean, low, high, n = mean_ci(values)
    holds = pattern.holds(mean)
    out.update(mean=_number(mean), low=_number(low), high=_number(high), n=n, holds=holds,
               status={True: "holds", False: "fails", None: "no value"}[holds])
    if holds is None:
        out["reason"] = "the model's value is undefined in every replication (e.g. nothing to divide by)"
    return out


def _number(x: float) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


# ------------------------------------------------------------------------- table
def fmt(value: float | None, unit: str) -> str:
    """A pattern's number, card style (``points``: share points, signed)."""
    return format_value(value, "share points" if unit == "points" else unit, style="card")


def format_table(record: PatternRun) -> str:
    """The rows as a readable table, then why each pattern not checked was not."""
    shown = []
    for name, label in record.arms.items():
        if name == SILOS and record.shared_silos:
            continue  # the scenario's own runs serve as its silos runs
        words = ARM_WORDS[name] + (f" ({label})" if name == SCENARIO else "")
        if name == SCENARIO and record.shared_silos:
            words += ", also its silos run"
        shown.append(words)
    head = (f"{record.scenario} ({record.kind} city): {record.replications} replications of "
            f"each run, paired by seed; runs: {'; '.join(shown) or 'none'}")
    table = [("pattern", "evidence (range, source)", "model: mean [95% interval]", "holds")]
    for r in record.rows:
        evidence = f"{r['evidence']} ({', '.join(r['sources'])})"
        if r["status"] in ("not applicable", "not measured"):
            model, holds = "-", r["status"]
        else:
            unit = r["unit"]
            model = f"{fmt(r['mean'], unit)} [{fmt(r['low'], unit)}, {fmt(r['high'], unit)}]"
            if unit == "points":
                model += " points"
            holds = {True: "yes", False: "no", None: "n/a"}[r["holds"]]
        table.append((r["pattern"], evidence, model, holds))
    widths = [max(len(line[i]) for line in table) for i in range(4)]
    lines = [head, ""]
    for i, line in enumerate(table):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    held = sum(r["holds"] is True for r in record.rows)
    checked = sum(r["holds"] is not None for r in record.rows)
    lines += ["", f"{held} of {checked} patterns checked hold (the mean inside the evidence's "
              "range)."]
    notes = [f"  {r['pattern']}: {r['status']}: {r['reason']}" for r in record.rows if r["reason"]]
    if notes:
        lines += ["", "Not checked:", *notes]
    return "\n".join(lines)
