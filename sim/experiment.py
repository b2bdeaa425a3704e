"""Experiment files -> a plan: arms (scenario + factor values) x replications, with seeds.

An experiment is a YAML file validated like a scenario. The factor ``coordination`` names a preset
and replaces the scenario's own coordination block; other factors are dotted scenario keys. Its
arms are the full grid of ``factors`` (optionally crossed with a sampled design over
``sample.parameters``); every arm runs ``replications`` times, and replication k uses the same
seed in every arm (common random numbers). Seeds are spawned from the experiment's base seed and
recorded in the plan.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from sim.config import (
    ConfigError,
    apply_overrides,
    apply_preset,
    read_with_extends,
    select_coordination,
    validate,
)
from sim.params import Scenario
from sim.schema import Strict

Scalar = bool | int | float | str
SAFE_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$"


class Range(Strict):
    """A continuous range sampled by the design."""

    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not self.low < self.high:
            raise ValueError(f"expected low < high, got low={self.low}, high={self.high}")
        return self


class SampleSpec(Strict):
    """A sampled design (Latin hypercube or scrambled Sobol) over parameter ranges."""

    method: Literal["latin_hypercube", "sobol"] = "latin_hypercube"
    n: Annotated[int, Field(ge=1, le=1_000_000)]
    parameters: dict[str, Range] = Field(min_length=1)
    integer: list[str] = []


class ExperimentSpec(Strict):
    """A sweep: which scenarios, which factors, how many replications, which seed."""

    name: str = Field(pattern=SAFE_NAME, max_length=100)
    description: str = ""
    scenario: str | list[str]
    years: Annotated[float, Field(gt=0, le=100)] | None = None
    replications: Annotated[int, Field(ge=1, le=100_000)] = 1
    seed: Annotated[int, Field(ge=0, lt=2**63)] = 0
    set: dict[str, Scalar | list[Scalar]] = {}
    factors: dict[str, list[Scalar]] = {}
    sample: SampleSpec | None = None
    reference: str = "silos"
    timeseries: list[str] = ["coverage", "coverage_marginalised", "duplication_rate",
                             "total_cost", "coordination_cost"]
    metrics: list[str] = []

    @field_validator("factors")
    @classmethod
    def _non_empty(cls, value: dict[str, list]) -> dict[str, list]:
        for key, levels in value.items():
            if not levels:
                raise ValueError(f"factor {key!r} has no values")
            if len({json.dumps(v) for v in levels}) != len(levels):
                raise ValueError(f"factor {key!r} repeats a value")
        return value

    @property
    def scenarios(self) -> list[str]:
        return [self.scenario] if isinstance(self.scenario, str) else list(self.scenario)


@dataclass(frozen=True)
class Arm:
    """One combination of scenario and factor values."""

    arm_id: str
    label: str
    scenario: str
    values: dict[str, Any]
    config: dict


@dataclass(frozen=True)
class Run:
    """One replication of one arm."""

    run_id: str
    index: int
    arm_id: str
    replication: int
    seed: int


@dataclass
class Plan:
    """Everything needed to execute (and later reproduce) an experiment."""

    spec: ExperimentSpec
    source: str
    arms: list[Arm]
    runs: list[Run]
    seeds: list[int]

    @property
    def arm(self) -> dict[str, Arm]:
        return {a.arm_id: a for a in self.arms}

    def factor_names(self) -> list[str]:
        names: list[str] = []
        for a in self.arms:
            names += [k for k in a.values if k not in names]
        return names

    def to_json(self) -> dict:
        return {
            "experiment": self.spec.model_dump(mode="json"),
            "source": self.source,
            "seeds": self.seeds,
            "arms": [asdict(a) for a in self.arms],
            "runs": [asdict(r) for r in self.runs],
        }

    @classmethod
    def from_json(cls, data: dict) -> Plan:
        spec = ExperimentSpec.model_validate(data["experiment"])
        return cls(spec=spec, source=data["source"], seeds=list(data["seeds"]),
                   arms=[Arm(**a) for a in data["arms"]], runs=[Run(**r) for r in data["runs"]])

    def fingerprint(self) -> str:
        """Hash of what determines the results (arms' configs, runs and seeds)."""
        body = {"arms": [(a.arm_id, a.config) for a in self.arms],
                "runs": [(r.run_id, r.arm_id, r.seed) for r in self.runs]}
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def replication_seeds(seed: int, replications: int) -> list[int]:
    """One seed per replication, spawned from the base seed (the same in every arm)."""
    children = np.random.SeedSequence(seed).spawn(replications)
    return [int(c.generate_state(2, dtype=np.uint64)[0] >> np.uint64(1)) for c in children]


def _digest(data: Any, length: int = 12) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:length]


def _resolve_scenario_path(name: str, experiment_file: Path) -> Path:
    path = Path(name)
    if path.is_absolute():
        return path
    for base in (experiment_file.parent, experiment_file.parent.parent, Path.cwd()):
        if (base / path).exists():
            return base / path
    raise ConfigError(f"{experiment_file}: scenario: file not found: {name}")


def _design_points(spec: ExperimentSpec) -> list[dict[str, Any]]:
    if spec.sample is None:
        return [{}]
    from scipy.stats import qmc

    s = spec.sample
    keys = list(s.parameters)
    if s.method == "sobol":
        engine = qmc.Sobol(d=len(keys), scramble=True, rng=np.random.default_rng(spec.seed))
        unit = engine.random(s.n)
    else:
        unit = qmc.LatinHypercube(d=len(keys), rng=np.random.default_rng(spec.seed)).random(s.n)
    low = np.array([s.parameters[k].low for k in keys])
    high = np.array([s.parameters[k].high for k in keys])
    points = qmc.scale(unit, low, high)
    out = []
    for row in points:
        point = {}
        for key, value in zip(keys, row, strict=True):
            point[key] = int(round(value)) if key in s.integer else float(value)
        out.append(point)
    return out


def _override_text(key: str, value: Any) -> str:
    return f"{key}={json.dumps(value)}"


def load_experiment(path: str | Path) -> Plan:
    """Read and validate an experiment file, resolve its scenarios, and build the plan.

    Every arm's scenario is validated here, before anything runs.
    """
    path = Path(path)
    raw = read_with_extends(path)
    spec: ExperimentSpec = validate(ExperimentSpec, raw, str(path))
    seeds = replication_seeds(spec.seed, spec.replications)
    grid_keys = list(spec.factors)
    grid = list(itertools.product(*(spec.factors[k] for k in grid_keys))) or [()]
    fixed = [_override_text(k, v) for k, v in spec.set.items()]
    if spec.years is not None:
        fixed.append(_override_text("time.years", spec.years))
    arms: list[Arm] = []
    for scenario_name in spec.scenarios:
        scenario_path = _resolve_scenario_path(scenario_name, path)
        base = read_with_extends(scenario_path)
        for combo in grid:
            for point in _design_points(spec):
                values = dict(zip(grid_keys, combo, strict=True)) | point
                chosen = values.get("coordination")
                overrides = fixed + [_override_text(k, v) for k, v in values.items()
                                     if k != "coordination"]
                data = apply_overrides(select_coordination(base, chosen), overrides)
                where = f"{path} (scenario {scenario_name}, {_label(values) or 'no factors'})"
                scenario = validate(Scenario, apply_preset(data), where)
                config = scenario.model_dump(mode="json")
                label = _label(values) or scenario.name
                if len(spec.scenarios) > 1:
                    label = f"{scenario.name}: {label}"
                arm_id = _digest({"scenario": scenario_name, "values": values, "config": config})
                arms.append(Arm(arm_id, label, scenario_name, values, config))
    if len({a.arm_id for a in arms}) != len(arms):
        raise ConfigError(f"{path}: two arms resolve to the same configuration")
    runs = [Run(run_id=f"{arm.arm_id}-r{k:04d}", index=i * len(seeds) + k, arm_id=arm.arm_id,
                replication=k, seed=seed)
            for i, arm in enumerate(arms) for k, seed in enumerate(seeds)]
    return Plan(spec=spec, source=str(path), arms=arms, runs=runs, seeds=seeds)


def _label(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_short(v)}" for k, v in values.items())


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
