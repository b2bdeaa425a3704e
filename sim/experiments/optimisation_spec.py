"""Optimisation files of `sim optimise`: the levers a city can pull, what it wants, what it can
afford.

An optimisation file is YAML validated like an experiment (unknown keys refused, one-line errors
naming the file and key)::

    name: optimise_budget            # default folder results/<name> (default: the file's name)
    scenario: ../scenarios/base.yaml # the city (a calibrated.yaml works too); relative to the file
    seed: 2026                       # sampler and replication seeds
    trials: 96                       # candidates evaluated in the search (--trials overrides)
    batch: 16                        # candidates per generation (NSGA-II's population)
    replications: 3                  # runs per candidate, the same seeds for every candidate
    fixed:                           # overrides held during the search (size, years)
      city.families: 5000
    levers:
      mechanisms: [council, integrated_platform]   # each switched on or off
      parameters:                                  # numbers searched within bounds
        coordination.integrated_platform.hubs: {low: 1, high: 6, integer: true}
        coordination.council.meetings_per_year: declared   # the key's declared range
      choices:                                     # one of a list
        coordination.shared_registry.eligibility: [all, marginalised]
    objectives:                      # the first is the primary one; 2 to 4 of them
      - {metric: coverage_marginalised, direction: maximise}
      - {metric: total_cost, direction: minimise, per_year: true}
    constraints:                     # optional; per_year: the metric over the run / years
      - {metric: coordination_cost, at_most: 300000, per_year: true}
    reevaluation:                    # the front's candidates, run again on fresh seeds
      replications: 10
      candidates: 12                 # at most this many, spread along the front
    presets: [silos, council]        # shown beside the front (default: every preset)

A mechanism's parameters apply when the mechanism is on (a lever switched on, or on in the
scenario); a parameter of a mechanism that is neither is refused. A mechanism switched on that
the scenario does not have gets the presets' payer (``sim/scenario/presets.py``, ``PAYERS``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from sim.core.metrics import units
from sim.errors import ConfigError
from sim.experiments.plan import SAFE_NAME, Scalar, _resolve_scenario_path
from sim.experiments.targets import Bounds, _check_key, _overridden, declared_bounds, override_text
from sim.scenario.coordination import MECHANISM_ORDER
from sim.scenario.loading import apply_preset, check_kind, read_with_extends, validate
from sim.scenario.params import Scenario
from sim.scenario.presets import PRESETS
from sim.scenario.schema import Strict

MECHANISM_KEY = "coordination.{}.enabled"  # the lever of a mechanism switched on or off


class Objective(Strict):
    """A metric of the run summary to maximise or minimise (``per_year``: over the run / years)."""

    metric: str = Field(min_length=1)
    direction: Literal["maximise", "minimise"]
    per_year: bool = False


class Constraint(Strict):
    """A metric that must stay at most or at least a value (``per_year`` as for objectives)."""

    metric: str = Field(min_length=1)
    at_most: float | None = None
    at_least: float | None = None
    per_year: bool = False

    @model_validator(mode="after")
    def _one_bound(self) -> Constraint:
        if (self.at_most is None) == (self.at_least is None):
            raise ValueError("expected one of at_most or at_least")
        bound = self.bound
        if not math.isfinite(bound):
            raise ValueError(f"expected a finite number, got {bound}")
        return self

    @property
    def bound(self) -> float:
        return float(self.at_most if self.at_most is not None else self.at_least)

    def violation(self, value: float) -> float:
        """How far ``value`` is past the bound, relative to it (<= 0: respected)."""
        over = value - self.bound if self.at_most is not None else self.bound - value
        return over / max(abs(self.bound), 1e-9)

    def text(self) -> str:
        sign = "<=" if self.at_most is not None else ">="
        bound = f"{self.bound:,.0f}" if abs(self.bound) >= 1000 else f"{self.bound:g}"
        return f"{self.metric} {sign} {bound}{' a year' if self.per_year else ''}"


class Levers(Strict):
    """The decisions searched: mechanisms on or off, numbers within bounds, one of a list."""

    mechanisms: list[str] = []
    parameters: dict[str, Bounds] = {}
    choices: dict[str, Annotated[list[Scalar], Field(min_length=2)]] = {}

    @model_validator(mode="before")
    @classmethod
    def _declared(cls, data):
        return declared_bounds(data)

    @field_validator("mechanisms")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        for name in value:
            if name not in MECHANISM_ORDER:
                raise ValueError(f"unknown mechanism {name!r} (known: {', '.join(MECHANISM_ORDER)})")
        if len(set(value)) != len(value):
            raise ValueError("a mechanism is listed twice")
        return value

    @field_validator("choices")
    @classmethod
    def _distinct(cls, value: dict[str, list]) -> dict[str, list]:
        for key, options in value.items():
            if len({json.dumps(v) for v in options}) != len(options):
                raise ValueError(f"{key}: a choice is listed twice")
        return value

    @model_validator(mode="after")
    def _some(self) -> Levers:
        keys = [*self.parameters, *self.choices]
        if not (self.mechanisms or keys):
            raise ValueError("expected at least one lever (mechanisms, parameters or choices)")
        for key in keys:
            if key in self.parameters and key in self.choices:
                raise ValueError(f"{key}: both a parameter and a choice")
            if key.startswith("time.") or key in ("seed", "coordination.model") or key.endswith(
                    (".enabled", ".paid_by")) and key.startswith("coordination."):
                raise ValueError(f"{key}: not a lever (switch mechanisms with levers.mechanisms)")
        return self

    def names(self) -> list[str]:
        """Every lever's name, as searched and written in the results: mechanisms first."""
        return [*(MECHANISM_KEY.format(m) for m in self.mechanisms), *self.parameters, *self.choices]


class Reevaluation(Strict):
    """How the search's front is checked: fresh seeds, more replications."""

    replications: Annotated[int, Field(ge=2, le=10_000)] = 10
    candidates: Annotated[int, Field(ge=1, le=1000)] = 12


class OptimisationSpec(Strict):
    """An optimisation file (see the module docstring)."""

    name: str | None = Field(None, pattern=SAFE_NAME, max_length=100)
    description: str = ""
    scenario: str = Field(min_length=1)
    seed: Annotated[int, Field(ge=0, lt=2**63)] = 0
    trials: Annotated[int, Field(ge=1, le=1_000_000)] = 64
    batch: Annotated[int, Field(ge=2, le=1000)] = 16
    replications: Annotated[int, Field(ge=1, le=10_000)] = 3
    fixed: dict[str, Scalar] = {}
    levers: Levers
    objectives: list[Objective] = Field(min_length=2, max_length=4)
    constraints: list[Constraint] = []
    reevaluation: Reevaluation = Reevaluation()
    presets: list[str] | None = None

    @field_validator("presets")
    @classmethod
    def _presets(cls, value: list[str] | None) -> list[str] | None:
        for name in value or []:
            if name not in PRESETS:
                raise ValueError(f"unknown preset {name!r} (known: {', '.join(PRESETS)})")
        return value

    @model_validator(mode="after")
    def _apart(self) -> OptimisationSpec:
        names = [o.metric for o in self.objectives]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"objectives: {name} is given twice")
        for key in self.levers.names():
            if key in self.fixed:
                raise ValueError(f"fixed.{key}: also a lever (search it or fix it)")
        for key in self.fixed:
            if key.startswith("coordination."):
                raise ValueError(f"fixed.{key}: the coordination block is what is searched; hold "
                                 "a mechanism's parameter fixed in the scenario's "
                                 "coordination_defaults")
        return self

    @property
    def preset_names(self) -> list[str]:
        return list(PRESETS) if self.presets is None else list(self.presets)


def mechanism_of(key: str) -> str | None:
    """The mechanism a dotted key belongs to (``coordination.council.x`` -> council), else None."""
    parts = key.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "coordination" else None


def load_spec(path: str | Path) -> tuple[OptimisationSpec, Path, dict]:
    """Read and check an optimisation file against its scenario; return the spec, the scenario's
    path and its raw mapping with the fixed overrides (the base every candidate starts from).

    Every check happens here, before anything runs: unknown metric, mechanism or key, a key of a
    mechanism that is never on, a bound outside the key's own limits.
    """
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such optimisation file")
    raw = read_with_extends(path)
    check_kind(raw, source, "optimisation")
    spec: OptimisationSpec = validate(OptimisationSpec, raw, source)
    scenario_path = _resolve_scenario_path(spec.scenario, path)
    base = read_with_extends(scenario_path)
    if isinstance(base.get("coordination"), str):  # coordination: NAME is short for {model: NAME}
        base = {**base, "coordination": {"model": base["coordination"]}}
    for key in spec.fixed:
        _check_key(base, key, f"{source}: fixed.{key}")
    data = _overridden(base, [override_text(k, v) for k, v in spec.fixed.items()], f"{source}: fixed")
    scenario = validate(Scenario, apply_preset(data), f"{source}: fixed")
    known = units(scenario.sector_names, groups=list(scenario.groups))
    items = [("objectives", i, o.metric) for i, o in enumerate(spec.objectives)]
    items += [("constraints", i, c.metric) for i, c in enumerate(spec.constraints)]
    for section, i, metric in items:
        if metric not in known:
            bare = sorted(k for k in known if "." not in k)
            raise ConfigError(f"{source}: {section}.{i}.metric: unknown metric {metric!r} (known: "
                              f"{', '.join(bare)})")
    on = {b.kind for b in scenario.coordination.mechanisms()}
    for key in [*spec.levers.parameters, *spec.levers.choices]:
        where = f"{source}: levers.{'parameters' if key in spec.levers.parameters else 'choices'}.{key}"
        _check_key(base, key, where)
        mechanism = mechanism_of(key)
        if mechanism is not None and mechanism not in on and mechanism not in spec.levers.mechanisms:
            raise ConfigError(f"{where}: the {mechanism} is off in the scenario and not in "
                              "levers.mechanisms, so this lever would never apply; add "
                              f"{mechanism} to levers.mechanisms")
    return spec, scenario_path, data
