"""The workshop page's model: one city run under one or two coordination models, side by side.

No Solara here (the page itself is ``sim/app/page.py``): this module builds the scenario from the
page's levers, runs the :class:`~sim.core.model.CoordinationModel`\\ s, and phrases their metrics in
plain language. Every number shown comes from a model's ``metrics`` dict (``sim.core.metrics``), or
from ``sim.core.metrics.by_neighbourhood``; the one exception, "needs waiting now" on the map, is a
snapshot of the model's state, labelled as such, not a metric.

Levers follow one rule: a slider left at its starting position keeps the value the scenario
file (or the chosen coordination model's defaults) sets; moved, it overrides it. A lever of a
mechanism applies only when the chosen coordination model includes that mechanism.
"""

from __future__ import annotations

import copy
import functools
import math
import os
import sys
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
from mesa import Model

from sim.core.metrics import METRIC_INFO, by_neighbourhood
from sim.core.metrics import format_value as metric_format
from sim.core.model import CoordinationModel
from sim.errors import ConfigError
from sim.scenario.cases import CaseInfo, case_files
from sim.scenario.loading import read_with_extends, scenario_from_dict, select_coordination
from sim.scenario.mechanisms import (
    SUMMARIES,
    CouncilParams,
    PlatformParams,
    PooledBudgetParams,
    SharedRegistryParams,
)
from sim.scenario.members import GROUPS
from sim.scenario.params import Scenario
from sim.scenario.presets import DESCRIPTIONS, PRESETS
from sim.scenario.ranges import LEVERS
from sim.scenario.schema import WEEKS_PER_YEAR, OrgKind

AS_WRITTEN = "as in the scenario file"
NO_CASE = "none (choose the city and the way of working)"
CASES_FOLDER = "cases"  # the case library's folder inside scenarios/
DEFAULT_CITY = "base"
DEFAULT_COMPARISON = "full_integration"


def head_start_weeks(model) -> int:
    """Measured weeks run before the page shows: a year and the follow-up, so the first year's
    full package has been judged and every card shows a number (not "n/a")."""
    return WEEKS_PER_YEAR + model.ledger.follow_up + 1


class ModelCount:
    """How many WorkshopModels were built and how many are still in memory (freed ones are
    counted when Python frees them, through ``weakref.finalize``). With ``SIM_APP_DEBUG=1`` in
    the environment each change is logged on stderr (tests/test_app_sessions.py reads it)."""

    def __init__(self):
        self.built = self.freed = 0
        self._lock = threading.Lock()
        self.log = os.environ.get("SIM_APP_DEBUG") == "1"
        self.on_free: list = []  # called after a model is freed (the server trims its heap)

    def add(self, model: object) -> None:
        with self._lock:
            self.built += 1
            self._report()
        weakref.finalize(model, self._free)

    def _free(self) -> None:
        with self._lock:
            self.freed += 1
            self._report()
        for callback in self.on_free:
            callback()

    def _report(self) -> None:
        if self.log:
            print(f"sim app debug: models built={self.built} alive={self.alive}", file=sys.stderr,
                  flush=True)

    @property
    def alive(self) -> int:
        return self.built - self.freed


MODELS = ModelCount()


# ----------------------------------------------------------------------------- scenario files
def scenario_dir() -> Path:
    """The project's ``scenarios/`` folder (next to the package), else ``./scenarios``."""
    beside = Path(__file__).resolve().parents[2] / "scenarios"
    return beside if beside.is_dir() else Path.cwd() / "scenarios"


def list_scenarios() -> list[str]:
    """Scenario names (file stems) in ``scenarios/``, the default city first."""
    names = sorted(p.stem for p in scenario_dir().glob("*.yaml") if p.is_file())
    return sorted(names, key=lambda n: n != DEFAULT_CITY)


def list_cases() -> list[str]:
    """The case library's cases (file stems in ``scenarios/cases/``), sorted."""
    return [p.stem for p in case_files(scenario_dir() / CASES_FOLDER) if p.is_file()]


def case_city(case: str) -> str:
    """The page's name of a case's scenario file, e.g. ``cases/brazil_commission``."""
    return f"{CASES_FOLDER}/{case}"


@functools.lru_cache(maxsize=64)
def case_info(case: str) -> CaseInfo | None:
    """A listed case's ``case:`` block (None for a name that is not a case, or a file without a
    valid block)."""
    if case not in list_cases():
        return None
    data = read_with_extends(scenario_dir() / CASES_FOLDER / f"{case}.yaml").get("case")
    try:
        return CaseInfo.model_validate(data) if isinstance(data, dict) else None
    except ValueError:
        return None


def describe_case(info: CaseInfo) -> str:
    """A case in one line: where it comes from, the arrangement and its summary."""
    return f"{info.country}: {info.arrangement}. {info.summary}"


def case_summary(case: str) -> str:
    """What the page says under a chosen case ("" for a name that is not a case)."""
    info = case_info(case)
    return "" if info is None else describe_case(info)


def page_choice(city: str, coordination: str, case: str = NO_CASE) -> tuple[str, str]:
    """The city and the way of working the page runs: a case sets both (its own file, as
    written); without a case, the city and way of working chosen."""
    return (case_city(case), AS_WRITTEN) if case != NO_CASE else (city, coordination)


def scenario_path(name: str) -> Path:
    """The file of a listed scenario or case; anything else (a path, an unknown name) is refused."""
    if name in list_scenarios():
        return scenario_dir() / f"{name}.yaml"
    folder, _, case = name.partition("/")
    if folder == CASES_FOLDER and case in list_cases():
        return scenario_dir() / CASES_FOLDER / f"{case}.yaml"
    raise ConfigError(f"unknown scenario {name!r} (known: {', '.join(list_scenarios())}, and the "
                      f"cases {', '.join(map(case_city, list_cases()))})")


# ----------------------------------------------------------------------------------- levers
@dataclass(frozen=True)
class Levers:
    """The page's sliders. At its default value a lever leaves the scenario as written."""

    families_percent: int = 100  # families, % of the scenario's
    budget_level: float = 1.0  # funding.budget_scale
    council_meetings: float = CouncilParams().meetings_per_year
    council_size: int = 0  # members; 0 = as the scenario / coordination model sets
    hubs: int = PlatformParams().hubs  # integrated platform's family hubs
    pooled_share: float = PooledBudgetParams().contribution_share
    registry_consultation: float = SharedRegistryParams().consultation_rate
    outreach: float = 1.0  # multiplier of every organisation's outreach effort


DEFAULT_LEVERS = Levers()


@dataclass(frozen=True)
class Slider:
    """A slider of the page. Its range is the one source of what the server accepts: a value
    sent by the page (or a tampered client) is clamped to it before a model is built."""

    kind: str  # Mesa SolaraViz input type: "SliderInt" or "SliderFloat"
    value: float  # starting value (the model's default)
    min: float
    max: float
    step: float
    label: str

    def clamp(self, value) -> int | float:
        """``value`` within [min, max] (an int for an integer slider); not a number: the
        starting value."""
        try:
            x = float(value)
        except (TypeError, ValueError, OverflowError):
            x = math.nan
        x = min(max(self.value if math.isnan(x) else x, self.min), self.max)
        return int(x) if self.kind == "SliderInt" else x

    @classmethod
    def declared(cls, key: str, value: float, step: float) -> Slider:
        """The slider of a declared scenario key (sim/scenario/ranges.py): bounds and label."""
        found = LEVERS[key]
        kind = "SliderInt" if found.integer else "SliderFloat"
        return cls(kind, int(value) if found.integer else value, found.low, found.high, step, found.label)

    def param(self) -> dict:
        """The slider as a Mesa SolaraViz ``model_params`` entry."""
        return {"type": self.kind, "value": self.value, "min": self.min, "max": self.max,
                "step": self.step, "label": self.label}


_D = DEFAULT_LEVERS
SLIDERS: dict[str, Slider] = {  # WorkshopModel's keyword -> its slider, in sidebar order
    "families": Slider("SliderInt", _D.families_percent, 10, 200, 10, "Families (% of the scenario's)"),
    "budget_level": Slider.declared("funding.budget_scale", _D.budget_level, 0.1),
    "council_meetings": Slider.declared("coordination.council.meetings_per_year", _D.council_meetings, 1),
    "council_size": Slider("SliderInt", _D.council_size, 0, 12, 1, "Council members (0 = as the model sets)"),
    "hubs": Slider.declared("coordination.integrated_platform.hubs", _D.hubs, 1),
    "pooled_share": Slider.declared("coordination.pooled_budget.contribution_share", _D.pooled_share, 0.05),
    "registry_consultation": Slider.declared("coordination.shared_registry.consultation_rate",
                                             _D.registry_consultation, 0.1),
    "outreach": Slider("SliderFloat", _D.outreach, 0.0, 4.0, 0.5, "Outreach effort (x the scenario's)"),
    "seed": Slider("SliderInt", 0, 0, 50, 1, "Seed (0 = the scenario's)"),
}


# the mechanism each mechanism lever sets (the other levers act under every way of working)
LEVER_MECHANISM: dict[str, str] = {
    "council_meetings": "council", "council_size": "council", "hubs": "integrated_platform",
    "pooled_share": "pooled_budget", "registry_consultation": "shared_registry",
}


@functools.lru_cache(maxsize=64)
def mechanisms_of(city: str, coordination: str) -> frozenset[str]:
    """The mechanisms a way of working runs in a city (its scenario as built for the page); none
    for a city or a way of working the page does not know."""
    try:
        return frozenset(b.kind for b in build_scenario(city, coordination).coordination.mechanisms())
    except ConfigError:
        return frozenset()


def lever_scope(lever: str, city: str, ways: list[str]) -> list[str]:
    """Which of the ways of working on the page a lever acts on (every one for a lever that is
    not a mechanism's; none when no way of working has the lever's mechanism)."""
    needed = LEVER_MECHANISM.get(lever)
    return [way for way in ways if needed is None or needed in mechanisms_of(city, way)]


def _is_default(levers: Levers, name: str) -> bool:
    return math.isclose(float(getattr(levers, name)), float(getattr(DEFAULT_LEVERS, name)),
                        rel_tol=0.0, abs_tol=1e-9)


def _members_list(scenario: Scenario, members) -> list[str]:
    if isinstance(members, list):
        return list(members)
    rule = GROUPS[members]
    return [name for name, org in scenario.organisations.items() if rule(org.kind)]


def _resized_council(scenario: Scenario, size: int) -> list[str]:
    """The first ``size`` members of the council, adding departments, NGOs, then private
    providers (in file order) when the council grows."""
    current = _members_list(scenario, scenario.coordination.council.members)
    if size <= len(current):
        return current[:size]
    rank = {OrgKind.DEPARTMENT: 0, OrgKind.NGO: 1, OrgKind.PRIVATE: 2}
    others = sorted((n for n in scenario.organisations if n not in current),
                    key=lambda n: rank[scenario.organisations[n].kind])
    return (current + others)[:size]


def _raw_scenario(name: str, coordination: str) -> tuple[dict, str]:
    path = scenario_path(name)
    if coordination != AS_WRITTEN and coordination not in PRESETS:
        raise ConfigError(f"unknown coordination model {coordination!r}")
    # as `sim run --coordination`: a named model replaces the file's own coordination block
    data = select_coordination(read_with_extends(path),
                               None if coordination == AS_WRITTEN else coordination)
    if isinstance(data.get("coordination"), str):
        data["coordination"] = {"model": data["coordination"]}
    return data, str(path)


def build_scenario(name: str, coordination: str = AS_WRITTEN, levers: Levers = DEFAULT_LEVERS,
                   seed: int = 0) -> Scenario:
    """The validated scenario for the page's choices (``seed`` 0 keeps the file's seed)."""
    data, source = _raw_scenario(name, coordination)
    plain = scenario_from_dict(copy.deepcopy(data), source)
    if seed:
        data["seed"] = int(seed)
    if not _is_default(levers, "families_percent"):
        city = data.setdefault("city", {})
        city["families"] = max(1, round(plain.city.families * levers.families_percent / 100))
    if not _is_default(levers, "budget_level"):
        data.setdefault("funding", {})["budget_scale"] = float(levers.budget_level)
    if not _is_default(levers, "outreach"):
        for org_name, org in plain.organisations.items():
            value = min(1.0, org.outreach * float(levers.outreach))
            data["organisations"][org_name]["outreach"] = value
    block = data.setdefault("coordination", {})
    spec = plain.coordination
    if spec.council is not None and spec.council.enabled:
        council = block.setdefault("council", {})
        if not _is_default(levers, "council_meetings"):
            council["meetings_per_year"] = float(levers.council_meetings)
        if levers.council_size > 0:
            council["members"] = _resized_council(plain, int(levers.council_size))
    if spec.integrated_platform is not None and spec.integrated_platform.enabled:
        if not _is_default(levers, "hubs"):
            block.setdefault("integrated_platform", {})["hubs"] = int(levers.hubs)
    if spec.pooled_budget is not None and spec.pooled_budget.enabled:
        if not _is_default(levers, "pooled_share"):
            block.setdefault("pooled_budget", {})["contribution_share"] = float(levers.pooled_share)
    if spec.shared_registry is not None and spec.shared_registry.enabled:
        if not _is_default(levers, "registry_consultation"):
            block.setdefault("shared_registry", {})["consultation_rate"] = float(
                levers.registry_consultation)
    return scenario_from_dict(data, source)


def settings_in_use(scenario: Scenario) -> list[str]:
    """Plain-language lines describing what a built scenario actually runs."""
    spec = scenario.coordination
    lines = [f"{scenario.city.families:,} families in {scenario.city.neighbourhoods} neighbourhoods "
             f"({scenario.city.informal_neighbourhoods} informal); seed {scenario.seed}",
             f"budget level x{scenario.funding.budget_scale:g}; "
             f"{len(scenario.organisations)} organisations; {scenario.time.years:g} years, "
             f"first {scenario.time.warmup_weeks} weeks warm-up"]
    running = [b.kind for b in spec.mechanisms()]
    lines.append("mechanisms: " + (", ".join(running) if running else "none (silos)"))
    if spec.council is not None and spec.council.enabled:
        members = _members_list(scenario, spec.council.members)
        lines.append(f"council: {len(members)} members, {spec.council.meetings_per_year:g} "
                     "meetings a year")
    if spec.integrated_platform is not None and spec.integrated_platform.enabled:
        hubs = spec.integrated_platform.hubs
        lines.append(f"family hubs: {hubs if isinstance(hubs, int) else len(hubs)}")
    if spec.pooled_budget is not None and spec.pooled_budget.enabled:
        lines.append(f"pooled budget: {spec.pooled_budget.contribution_share:.0%} of departments' "
                     "funding")
    if spec.shared_registry is not None and spec.shared_registry.enabled:
        lines.append(f"shared registry consulted at {spec.shared_registry.consultation_rate:.0%} "
                     "of intakes")
    return lines


# ------------------------------------------------------------------------------ the model
@dataclass
class Run:
    """One coordination model running on the page."""

    label: str
    model: CoordinationModel
    settings: list[str]


class WorkshopModel(Model):
    """The page's Mesa model: the chosen city under one coordination model, or two side by side.

    A ``case`` of the library (``scenarios/cases/``) sets both the city and the way of working:
    its own file, as written (the second way of working, when comparing, runs on the case's city).

    Both runs use the same scenario file, levers and seed, so the city, the families and every
    random draw not caused by coordination are the same (common random numbers); only the way
    of working differs. The warm-up weeks (not counted in any metric) and the first quarter
    after them (``head_start`` weeks) run when the model is built, so the page opens on numbers
    that mean something; stepping goes on from there.
    """

    def __init__(self, city: str = DEFAULT_CITY, coordination: str = AS_WRITTEN,
                 families: int = DEFAULT_LEVERS.families_percent,
                 budget_level: float = DEFAULT_LEVERS.budget_level,
                 council_meetings: float = DEFAULT_LEVERS.council_meetings,
                 council_size: int = DEFAULT_LEVERS.council_size,
                 hubs: int = DEFAULT_LEVERS.hubs,
                 pooled_share: float = DEFAULT_LEVERS.pooled_share,
                 registry_consultation: float = DEFAULT_LEVERS.registry_consultation,
                 outreach: float = DEFAULT_LEVERS.outreach,
                 compare: bool = False, compare_with: str = DEFAULT_COMPARISON,
                 seed: int = 0, case: str = NO_CASE, warm_up: bool = True):
        v = {name: SLIDERS[name].clamp(value) for name, value in (
            ("families", families), ("budget_level", budget_level),
            ("council_meetings", council_meetings), ("council_size", council_size), ("hubs", hubs),
            ("pooled_share", pooled_share), ("registry_consultation", registry_consultation),
            ("outreach", outreach), ("seed", seed))}
        super().__init__(rng=v["seed"])
        MODELS.add(self)
        self.warnings: list[str] = []
        if case != NO_CASE and case_info(case) is None:
            self.warnings.append(f"unknown case {case!r} - using the city and way of working chosen")
            case = NO_CASE
        self.case = case_info(case) if case != NO_CASE else None  # the case chosen, if any
        city, coordination = page_choice(city, coordination, case)
        self.city_name = city
        levers = Levers(families_percent=v["families"], budget_level=v["budget_level"],
                        council_meetings=float(v["council_meetings"]), council_size=v["council_size"],
                        hubs=v["hubs"], pooled_share=v["pooled_share"],
                        registry_consultation=v["registry_consultation"], outreach=v["outreach"])
        choices = [coordination, compare_with] if bool(compare) else [coordination]
        self.runs = [self._run(city, choice, levers, v["seed"]) for choice in choices]
        if warm_up:
            for run in self.runs:
                t = run.model.params.time
                run.model.run(min(t.warmup_weeks + head_start_weeks(run.model), t.steps - 1))
        self.running = all(run.model.running for run in self.runs)

    def _run(self, city: str, coordination: str, levers: Levers, seed: int) -> Run:
        try:
            scenario = build_scenario(city, coordination, levers, seed)
        except ConfigError as exc:
            self.warnings.append(f"{exc} - using the scenario as written instead")
            try:
                scenario = build_scenario(city, coordination)
            except ConfigError as exc2:
                self.warnings.append(f"{exc2} - showing the {DEFAULT_CITY} city instead")
                city, coordination = DEFAULT_CITY, AS_WRITTEN
                scenario = build_scenario(DEFAULT_CITY)
        self.city_name = city
        label = (scenario.coordination.model if coordination != AS_WRITTEN
                 else f"{scenario.coordination.model} (as in {city}.yaml)")
        return Run(label=label, model=CoordinationModel(scenario), settings=settings_in_use(scenario))

    @property
    def main(self) -> CoordinationModel:
        return self.runs[0].model

    @property
    def comparing(self) -> bool:
        return len(self.runs) > 1

    @property
    def week(self) -> int:
        return self.main.week

    def step(self) -> None:
        for run in self.runs:
            if run.model.running:
                run.model.step()
        self.running = all(run.model.running for run in self.runs)

    @property
    def measured_week(self) -> int:
        """Measured weeks run so far (0 during the warm-up)."""
        return max(0, self.week - self.main.params.time.warmup_weeks)

    def status(self) -> str:
        """Measured time only (the warm-up is not counted), e.g. 'measured week 80 of 156 (year
        2 of 3), after 104 weeks of warm-up not counted'."""
        p = self.main.params.time
        years = math.ceil(p.measured_weeks / WEEKS_PER_YEAR)
        if self.week < p.warmup_weeks:
            return f"warm-up week {self.week + 1} of {p.warmup_weeks} (not counted)"
        week = self.measured_week
        year = min(max(week - 1, 0) // WEEKS_PER_YEAR + 1, years)
        return (f"measured week {week} of {p.measured_weeks} (year {year} of {years}), "
                f"after {p.warmup_weeks} weeks of warm-up not counted")


# ------------------------------------------------------------------------------- playing
DEFAULT_PACE = 12  # weeks a second when Play is pressed: a measured year in about 4 seconds
MAX_WEEKS_PER_FRAME = 6  # weeks one frame may skip when drawing falls behind the pace
FRAME_SECONDS = 1 / 6  # at most 6 frames a second: the browser draws each one (map, chart, cards)


def play(model: WorkshopModel, playing: Callable[[], bool], pace: Callable[[], float],
         redraw: Callable[[], None], clock: Callable[[], float] = time.monotonic,
         sleep: Callable[[float], None] = time.sleep) -> int:
    """Step ``model`` at ``pace()`` weeks a second while ``playing()`` and the model runs,
    calling ``redraw()`` after each frame; returns the weeks stepped.

    A frame runs every week the clock says is due since the last one, and frames come at most
    every ``FRAME_SECONDS``; so when drawing a frame (on the server or in the browser) takes
    longer than a week at this pace, a frame skips the weeks in between rather than slowing the
    run down (at most ``MAX_WEEKS_PER_FRAME``: a longer hold-up is not caught up in one jump).
    A new pace counts from the moment it is chosen.
    """
    stepped, done, rate, start, frame = 0, 0, None, 0.0, -math.inf
    while playing() and model.running:
        if pace() != rate:
            rate, start, done = max(float(pace()), 0.1), clock(), 0
        now = clock()
        due = int((now - start) * rate) + 1 - done  # the first week at once
        wait = max(start + done / rate - now if due <= 0 else 0.0, frame + FRAME_SECONDS - now)
        if wait > 0:
            sleep(min(0.05, wait))
            continue
        frame = now
        for _ in range(min(due, MAX_WEEKS_PER_FRAME)):
            model.step()
            stepped += 1
            if not model.running:
                break
        done += due
        redraw()
    return stepped


# ------------------------------------------------------------------ read-only map accessors
def neighbourhood_coverage(model: CoordinationModel) -> np.ndarray:
    """Coverage per neighbourhood since warm-up (``sim.core.metrics.by_neighbourhood``)."""
    return by_neighbourhood(model.ledger)["coverage"]


def needs_waiting_now(model: CoordinationModel) -> np.ndarray:
    """A snapshot, not a metric: open needs nobody is serving right now, per 100 families,
    by neighbourhood."""
    pop = model.pop
    unserved = (pop.active & (model.book.serving == 0)).sum(axis=1)
    size = model.city.size
    waiting = np.bincount(pop.neighbourhood, weights=unserved, minlength=size)
    families = np.bincount(pop.neighbourhood, minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(families > 0, 100.0 * waiting / families, np.nan)


def hub_neighbourhoods(model: CoordinationModel) -> np.ndarray:
    """Neighbourhoods with a family hub (integrated platform), empty without one."""
    hubs = [m.hubs for m in model.all_mechanisms if m.name == "integrated_platform"]
    return np.unique(np.concatenate(hubs)) if hubs else np.zeros(0, dtype=np.int64)


# ------------------------------------------------------------------- plain-language texts
@dataclass(frozen=True)
class Headline:
    """A headline card: the metric it shows and whether it is a share (in %) or money. Its title,
    direction and explanation are the metric's own (``sim.core.metrics.METRICS``)."""

    metric: str
    kind: str  # "share" (shown in %) or "money"

    @property
    def title(self) -> str:
        return METRIC_INFO[self.metric].label

    @property
    def better(self) -> str:
        return METRIC_INFO[self.metric].better

    @property
    def explain(self) -> str:
        return METRIC_INFO[self.metric].explain


HEADLINES: tuple[Headline, ...] = (
    Headline("full_package_share", "share"), Headline("full_package_share_marginalised", "share"),
    Headline("coverage", "share"),
    Headline("duplication_rate", "share"), Headline("cost_per_need_met", "money"),
    Headline("coordination_cost", "money"),
)

def _weeks(first: int, last: int) -> str:
    return f"measured week {first}" if first == last else f"measured weeks {first}-{last}"


def card_period(model: CoordinationModel, metric: str) -> str:
    """What a card's number covers, in measured time (weeks and years after the warm-up)."""
    ledger, time = model.ledger, model.params.time
    measured = int(ledger.weeks)
    if metric.startswith("full_package_share"):
        judged = ledger.package.windows
        if judged == 0:
            return "no year judged yet (a year counts half a year after it ends)"
        years = "year 1" if judged == 1 else f"years 1-{judged}"
        return f"over measured {years} (each judged half a year after its end)"
    if metric.startswith("coverage"):
        closed = measured - time.follow_up_weeks
        if closed <= 0:
            return f"not yet: a need counts {time.follow_up_weeks} weeks after it arises"
        return f"needs that arose in {_weeks(1, closed)}"
    if measured == 0:
        return "not yet: counting starts after the warm-up"
    return f"over {_weeks(1, measured)}"


MECHANISMS: dict[str, str] = SUMMARIES  # each mechanism in plain words (sim/scenario/mechanisms.py)

PRESET_TEXT: dict[str, str] = {name: DESCRIPTIONS.get(name, "") for name in PRESETS}


def format_value(value: float, kind: str) -> str:
    """A headline number as shown on a card (:func:`sim.core.metrics.format_value`, card style)."""
    return metric_format(value, kind, style="card")


def _amount(value: float) -> str:
    return f"{abs(value):.0f}" if round(abs(value), 1) >= 10 else f"{abs(value):.1f}"


def _signed(value: float, suffix: str) -> str:
    sign = "+" if value > 0 else "-" if value < 0 else "±"
    return f"{sign}{_amount(value)}{suffix}"


def _relative(a: float, b: float) -> float | None:
    if not (math.isfinite(a) and math.isfinite(b)) or a == 0:
        return None
    return 100.0 * (b / a - 1.0)


@dataclass(frozen=True)
class Phrase:
    """One difference in words; ``good`` is True (better), False (worse) or None (no change)."""

    text: str
    good: bool | None


def _verdict(change: float, better: str) -> bool | None:
    if abs(change) < 0.05:
        return None
    return (change > 0) == (better == "higher")


def compare_phrases(a: dict[str, float], b: dict[str, float]) -> list[Phrase]:
    """How run b differs from run a, in plain words, from the two runs' ``metrics`` dicts:
    coverage in points, duplication and costs in per cent, coordination spending in money."""
    out = []
    for metric, what in (("full_package_share", "points of children fully served"),
                         ("coverage_marginalised", "points of coverage for marginalised families"),
                         ("coverage", "points of coverage overall")):
        if math.isfinite(a[metric]) and math.isfinite(b[metric]):
            points = 100.0 * (b[metric] - a[metric])
            out.append(Phrase(_signed(points, f" {what}"), _verdict(points, "higher")))
    for metric, what in (("duplication_rate", "duplication (repeat assessments and services)"),
                         ("total_cost", "total cost"),
                         ("cost_per_need_met", "cost per need met")):
        change = _relative(a[metric], b[metric])
        if change is not None:
            out.append(Phrase(_signed(change, f"% {what}"), _verdict(change, "lower")))
        elif metric == "duplication_rate" and math.isfinite(b[metric]):
            points = 100.0 * b[metric]
            out.append(Phrase(_signed(points, " points of duplication"), _verdict(points, "lower")))
    if math.isfinite(a["coordination_cost"]) and math.isfinite(b["coordination_cost"]):
        diff = b["coordination_cost"] - a["coordination_cost"]
        out.append(Phrase(f"{'+' if diff >= 0 else '-'}{abs(diff):,.0f} spent on coordination",
                          _verdict(diff, "lower")))
    return out


def lever_names() -> list[str]:
    """Names of the Levers fields (for tests)."""
    return [f.name for f in fields(Levers)]
