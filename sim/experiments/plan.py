"""Experiment files -> a plan: arms (scenario + factor values) x replications, with seeds.

An experiment is a YAML file validated like a scenario. The factor ``coordination`` names a preset
and replaces the scenario's own coordination block; other factors are dotted scenario keys. Its
arms are the full grid of ``factors`` (optionally crossed with a sampled design over
``sample.parameters``); every arm runs ``replications`` times, and replication k uses the same
seed in every arm (common random numbers). Seeds are spawned from the experiment's base seed and
recorded in the plan.

``scenario:`` may list several files, and a name may be a pattern over file names
(``../scenarios/cases/*.yaml``: every file it matches, sorted; the plan records the files). The
coordination value ``as_written`` keeps each scenario file's own coordination block, so
``coordination: [as_written, silos]`` runs every file as written and in silos on the file's own
city, and the report pairs each with the silos of its own file.

A ``sensitivity:`` block (Morris elementary effects or Sobol indices, analysed by
:mod:`sim.experiments.sensitivity`) replaces the sampled design by SALib's sample: each sample point becomes
an arm (crossed with the grid of ``factors``), run ``replications`` times like any other arm.
SALib is needed only for such experiments (``pip install .[analysis]``).

A ``portfolio:`` block names a table of municipalities: every municipality x way of working is
an arm, derived from the one base scenario (:mod:`sim.experiments.portfolio`).
"""

from __future__ import annotations

import glob
import hashlib
import itertools
import json
import math
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, field_validator, model_serializer, model_validator

from sim.errors import ConfigError
from sim.experiments.municipalities import PortfolioSpec
from sim.scenario.loading import (
    apply_overrides,
    apply_preset,
    check_kind,
    read_with_extends,
    scale_for_tests,
    scaled_count,
    select_coordination,
    set_keys,
    validate,
)
from sim.scenario.params import Scenario
from sim.scenario.ranges import expand_declared
from sim.scenario.schema import Strict

Scalar = bool | int | float | str
SAFE_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$"
DEFAULT_MAX_RUNS = 200_000  # runs an experiment may plan unless its max_runs says more
AS_WRITTEN = "as_written"  # the coordination factor's value that keeps the file's own block
EXACT_INTEGERS = 2**53  # sampled integer parameters stay where floats hold every whole number


class Range(Strict):
    """A continuous range sampled by the design."""

    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not self.low < self.high:
            raise ValueError(f"expected low < high, got low={self.low}, high={self.high}")
        if not math.isfinite(self.high - self.low):
            raise ValueError(f"expected high - low to be a finite number, got low={self.low}, "
                             f"high={self.high}")
        return self


class _Design(Strict):
    """Checks shared by sampled designs: ``key: declared`` takes the key's declared range
    (:mod:`sim.scenario.ranges`); ``integer`` names sampled parameters with exact bounds."""

    @model_validator(mode="before")
    @classmethod
    def _declared(cls, data):
        return expand_declared(data) if isinstance(data, dict) else data

    @model_validator(mode="after")
    def _integers(self):
        for key in self.integer:
            bounds = self.parameters.get(key)
            if bounds is None:
                raise ValueError(f"integer names {key!r}, which is not in parameters")
            if max(abs(bounds.low), abs(bounds.high)) > EXACT_INTEGERS:
                raise ValueError(f"integer parameters need bounds within +-2^53 ({EXACT_INTEGERS:,}); "
                                 f"{key} has low={bounds.low}, high={bounds.high}")
        return self


class SampleSpec(_Design):
    """A sampled design (Latin hypercube or scrambled Sobol) over parameter ranges."""

    method: Literal["latin_hypercube", "sobol"] = "latin_hypercube"
    n: Annotated[int, Field(ge=1, le=1_000_000)]
    parameters: dict[str, Range] = Field(min_length=1)
    integer: list[str] = []


DEFAULT_SENSITIVITY_METRICS = ["coverage", "coverage_marginalised", "duplication_rate", "total_cost"]


class SensitivitySpec(_Design):
    """A global sensitivity design (SALib): Morris trajectories or a Saltelli/Sobol sample.

    ``n`` is the number of Morris trajectories (design points: n x (d + 1)) or Sobol's base sample
    size, a power of two (design points: n x (d + 2), or n x (2d + 2) with ``second_order``).
    """

    method: Literal["morris", "sobol"]
    n: Annotated[int, Field(ge=2, le=100_000)]
    parameters: dict[str, Range] = Field(min_length=2)
    metrics: list[str] = Field(default=DEFAULT_SENSITIVITY_METRICS, min_length=1)
    levels: Annotated[int, Field(ge=2, le=20)] = 4
    second_order: bool = False
    integer: list[str] = []

    @model_validator(mode="after")
    def _consistent(self) -> SensitivitySpec:
        from sim.core.metrics import METRIC_NAMES, is_metric

        if self.method == "sobol" and self.n & (self.n - 1):
            raise ValueError(f"sobol needs n a power of two (e.g. 8, 16, 32), got {self.n}")
        if "coordination" in self.parameters:
            raise ValueError("coordination is not a numeric parameter; make it a factor")
        for metric in self.metrics:
            if not is_metric(metric):
                raise ValueError(f"unknown metric {metric!r} (known: {', '.join(METRIC_NAMES)})")
        return self

    @property
    def points(self) -> int:
        """Number of design points SALib's sampler returns."""
        d = len(self.parameters)
        if self.method == "morris":
            return self.n * (d + 1)
        return self.n * (2 * d + 2 if self.second_order else d + 2)

    def problem(self) -> dict:
        """The SALib problem: names and bounds, in the order of ``parameters``."""
        return {"num_vars": len(self.parameters), "names": list(self.parameters),
                "bounds": [[r.low, r.high] for r in self.parameters.values()]}

    def sample(self, seed: int) -> np.ndarray:
        """SALib's design matrix (points x parameters), deterministic for ``seed``."""
        try:
            from SALib.sample import morris, sobol
        except ImportError:  # an optional extra
            raise ConfigError("sensitivity designs need SALib: pip install '.[analysis]'") from None
        if self.method == "morris":
            return morris.sample(self.problem(), self.n, num_levels=self.levels, seed=seed)
        return sobol.sample(self.problem(), self.n, calc_second_order=self.second_order, seed=seed)


class ExperimentSpec(Strict):
    """A sweep: which scenarios, which factors, how many replications, which seed."""

    name: str = Field(pattern=SAFE_NAME, max_length=100)
    description: str = ""
    scenario: str | Annotated[list[str], Field(min_length=1)]
    years: Annotated[float, Field(gt=0, le=100)] | None = None
    replications: Annotated[int, Field(ge=1, le=100_000)] = 1
    seed: Annotated[int, Field(ge=0, lt=2**63)] = 0
    set: dict[str, Scalar | list[Scalar]] = {}
    factors: dict[str, list[Scalar]] = {}
    sample: SampleSpec | None = None
    sensitivity: SensitivitySpec | None = None
    reference: str = "silos"
    timeseries: list[str] = ["coverage", "coverage_marginalised", "duplication_rate",
                             "total_cost", "coordination_cost"]
    metrics: list[str] = []
    posterior: str | None = None  # a calibration folder: parameter sets drawn per replication
    portfolio: PortfolioSpec | None = None  # a table of municipalities (sim.experiments.portfolio)
    # a guard, not part of the design: left out of plan.json so plans do not change
    max_runs: Annotated[int, Field(ge=1, exclude=True)] = DEFAULT_MAX_RUNS

    @field_validator("factors")
    @classmethod
    def _non_empty(cls, value: dict[str, list]) -> dict[str, list]:
        for key, levels in value.items():
            if not levels:
                raise ValueError(f"factor {key!r} has no values")
            if len({json.dumps(v) for v in levels}) != len(levels):
                raise ValueError(f"factor {key!r} repeats a value")
        return value

    @field_validator("portfolio", mode="before")
    @classmethod
    def _table_alone(cls, value):
        return {"table": value} if isinstance(value, str) else value  # portfolio: FILE

    @model_serializer(mode="wrap")
    def _without_portfolio(self, handler):
        data = handler(self)
        if data.get("portfolio", 0) is None:  # experiments without one record what they did
            del data["portfolio"]
        return data

    @model_validator(mode="after")
    def _one_design(self) -> ExperimentSpec:
        if self.portfolio is not None:
            if self.sample or self.sensitivity or self.posterior:
                raise ValueError("portfolio cannot be combined with sample, sensitivity or posterior")
            if isinstance(self.scenario, list) and len(self.scenario) != 1:
                raise ValueError("a portfolio has one base scenario (each municipality is derived "
                                 "from it)")
            other = [key for key in self.factors if key != "coordination"]
            if other:
                raise ValueError(f"factors.{other[0]}: a portfolio compares ways of working (factor "
                                 "coordination) only; set other keys in set: or as a column of "
                                 "the table")
        if self.sensitivity is not None:
            if self.sample is not None:
                raise ValueError("sample and sensitivity cannot be combined (sensitivity is the design)")
            both = sorted(set(self.factors) & set(self.sensitivity.parameters))
            if both:
                raise ValueError(f"{both[0]} is both a factor and a sensitivity parameter")
        return self

    @property
    def scenarios(self) -> list[str]:
        return [self.scenario] if isinstance(self.scenario, str) else list(self.scenario)


@dataclass(frozen=True, slots=True)
class Arm:
    """One combination of scenario and factor values.

    A portfolio's arm shares ``config`` (the base under its way of working) with the other
    municipalities' and gives its own scenario keys in ``changes``; :meth:`resolved` is the
    configuration a run uses.
    """

    arm_id: str
    label: str
    scenario: str
    values: dict[str, Any]
    config: dict
    point: int | None = None  # row of the sensitivity design (None outside sensitivity designs)
    changes: dict[str, Any] | None = None  # a municipality's scenario keys (portfolios only)

    def resolved(self) -> dict:
        """The configuration a run of this arm uses (``config`` with ``changes`` set)."""
        if not self.changes:
            return self.config
        return set_keys(self.config, [(k.split("."), v) for k, v in self.changes.items()])

    def to_json(self) -> dict:
        """The arm as plan.json records it (its values shared with the arm, not copied)."""
        data = _fields(self)
        if self.changes is None:  # the plan.json of experiments without a portfolio is unchanged
            del data["changes"]
        return data


@dataclass(frozen=True, slots=True)
class Run:
    """One replication of one arm."""

    run_id: str
    index: int
    arm_id: str
    replication: int
    seed: int
    draw: int | None = None  # the posterior draw (None without posterior:)
    params: dict[str, Any] | None = None  # the drawn parameter set


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
        arms = [a.to_json() for a in self.arms]
        shared = self._shared_configs()
        if shared:  # a portfolio: each way of working's configuration once, arms name theirs
            for arm, data in zip(self.arms, arms, strict=True):
                data["config"] = shared[id(arm.config)][0]
        return {
            "experiment": self.spec.model_dump(mode="json"),
            "source": self.source,
            "seeds": self.seeds,
            **({"configs": [config for _, config in shared.values()]} if shared else {}),
            "arms": arms,
            "runs": [_fields(r) for r in self.runs],
        }

    def _shared_configs(self) -> dict[int, tuple[int, dict]]:
        """id(config) -> (its number, the config) when arms share configurations (a portfolio's
        arms: ``changes``), else {}."""
        if not any(a.changes is not None for a in self.arms):
            return {}
        shared: dict[int, tuple[int, dict]] = {}
        for arm in self.arms:
            shared.setdefault(id(arm.config), (len(shared), arm.config))
        return shared

    @classmethod
    def from_json(cls, data: dict) -> Plan:
        spec = ExperimentSpec.model_validate(data["experiment"])
        configs = data.get("configs")
        arms = [Arm(**({**a, "config": configs[a["config"]]} if configs is not None else a))
                for a in data["arms"]]
        return cls(spec=spec, source=data["source"], seeds=list(data["seeds"]), arms=arms,
                   runs=[Run(**r) for r in data["runs"]])

    def fingerprint(self) -> str:
        """Hash of what determines the results (arms' configs, runs and seeds)."""
        shared = self._shared_configs()
        if shared:  # each shared configuration hashed once, then each arm's changes
            digests = {key: _digest(config, 64) for key, (_, config) in shared.items()}
            arms = [(a.arm_id, digests[id(a.config)], a.changes) for a in self.arms]
        else:
            arms = [(a.arm_id, a.config) for a in self.arms]
        body = {"arms": arms,
                "runs": [(r.run_id, r.arm_id, r.seed, *((r.params,) if r.params else ()))
                         for r in self.runs]}
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _fields(record) -> dict:
    """A dataclass's fields as a dict (values shared, not copied as ``asdict`` would)."""
    return {field.name: getattr(record, field.name) for field in fields(record)}


def replication_seeds(seed: int | list[int], replications: int) -> list[int]:
    """One seed per replication, spawned from the base seed (the same in every arm); ``seed``
    may be a list of numbers (a seed sequence's entropy)."""
    children = np.random.SeedSequence(seed).spawn(replications)
    return [int(c.generate_state(2, dtype=np.uint64)[0] >> np.uint64(1)) for c in children]


def _digest(data: Any, length: int = 12) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:length]


def _candidates(name: str, experiment_file: Path) -> list[Path]:
    """Where a relative name in an experiment file may be: beside it, one folder up, here."""
    path = Path(name)
    return [path] if path.is_absolute() else [
        base / path for base in (experiment_file.parent, experiment_file.parent.parent, Path.cwd())]


def _resolve_scenario_path(name: str, experiment_file: Path) -> Path:
    for candidate in _candidates(name, experiment_file):
        if candidate.is_file():
            return candidate
    raise ConfigError(f"{experiment_file}: scenario: no scenario file {name!r}")


def _expand_scenarios(spec: ExperimentSpec, experiment_file: Path, source: str) -> ExperimentSpec:
    """``spec`` with each pattern among its scenario names (``cases/*.yaml``) replaced by the
    files it matches, sorted by name (a pattern may match file names, not folders)."""
    if not any(glob.has_magic(name) for name in spec.scenarios):
        return spec
    names: list[str] = []
    for name in spec.scenarios:
        if not glob.has_magic(name):
            names.append(name)
            continue
        head, pattern = Path(name).parent, Path(name).name
        if glob.has_magic(str(head)):
            raise ConfigError(f"{source}: scenario: {name!r}: a pattern may match file names, "
                              "not folders (e.g. ../scenarios/cases/*.yaml)")
        folder = next((c for c in _candidates(str(head), experiment_file) if c.is_dir()), None)
        found = sorted(p.name for p in folder.glob(pattern) if p.is_file()) if folder else []
        if not found:
            raise ConfigError(f"{source}: scenario: no scenario file matches {name!r}")
        names += [str(head / found_name) for found_name in found]
    return spec.model_copy(update={"scenario": names})


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


def _sensitivity_points(spec: ExperimentSpec) -> list[dict[str, Any]]:
    s = spec.sensitivity
    out = []
    for row in s.sample(spec.seed):
        out.append({key: int(round(value)) if key in s.integer else float(value)
                    for key, value in zip(s.parameters, row, strict=True)})
    return out


def _override_text(key: str, value: Any) -> str:
    return f"{key}={json.dumps(value)}"


def load_experiment(path: str | Path, max_runs: int | None = None) -> Plan:
    """Read and validate an experiment file, resolve its scenarios, and build the plan.

    Every arm's scenario is validated here, before anything runs. ``max_runs`` overrides the
    file's limit on the number of runs.
    """
    path = Path(path)
    return plan_from_dict(read_with_extends(path), path, max_runs=max_runs)


def count_runs(spec: ExperimentSpec, municipalities: int = 0) -> int:
    """Runs the plan of ``spec`` holds: scenarios x factor grid x design points x replications
    (x ``municipalities``, a portfolio's)."""
    return math.prod(_run_factors(spec, municipalities).values())


def _run_factors(spec: ExperimentSpec, municipalities: int = 0) -> dict[str, int]:
    design = spec.sensitivity.points if spec.sensitivity else spec.sample.n if spec.sample else 1
    towns = {"municipalit": municipalities} if municipalities else {}
    return {"scenario": len(spec.scenarios), **towns,
            "factor combination": math.prod(len(v) for v in spec.factors.values()),
            "design point": design, "replication": spec.replications}


def check_run_count(spec: ExperimentSpec, source: str, max_runs: int | None = None,
                    municipalities: int = 0) -> None:
    """Refuse a plan of more runs than ``max_runs`` (default: the spec's) before building it."""
    limit = spec.max_runs if max_runs is None else max_runs
    runs = count_runs(spec, municipalities)
    if runs > limit:
        parts = " x ".join(f"{n:,} {name}{_plural(name, n)}"
                           for name, n in _run_factors(spec, municipalities).items())
        raise ConfigError(f"{source}: max_runs: {runs:,} runs planned ({parts}), expected at most "
                          f"{limit:,} (raise max_runs in the file, "
                          "or --max-runs, to run more)")


def _plural(name: str, n: int) -> str:
    if name == "municipalit":
        return "ies" if n != 1 else "y"
    return "s" if n != 1 else ""


def plan_from_dict(raw: dict, path: Path, source: str | None = None,
                   max_runs: int | None = None) -> Plan:
    """Build the plan of an experiment given as a mapping (read from ``path``, or built in memory).

    Relative scenario names are resolved against ``path``'s folder, its parent and the current
    folder, as for a file. Runs are counted first: a plan of more than ``max_runs`` (default: the
    experiment's ``max_runs``) is refused before anything is built.
    """
    path = Path(path)
    source = str(path) if source is None else source
    check_kind(raw, source, "experiment")
    spec: ExperimentSpec = _scaled_for_tests(validate(ExperimentSpec, raw, source))
    spec = _expand_scenarios(spec, path, source)
    fixed = [_override_text(k, v) for k, v in spec.set.items()]
    if spec.years is not None:
        fixed.append(_override_text("time.years", spec.years))
    if spec.portfolio is not None:
        from sim.experiments.portfolio import portfolio_plan

        if len(spec.scenarios) != 1:  # a pattern that matched several files
            raise ConfigError(f"{source}: scenario: a portfolio has one base scenario, "
                              f"{len(spec.scenarios)} files given")
        return portfolio_plan(spec, path, source, fixed, max_runs)
    check_run_count(spec, source, max_runs)
    seeds = replication_seeds(spec.seed, spec.replications)
    grid_keys = list(spec.factors)
    grid = list(itertools.product(*(spec.factors[k] for k in grid_keys))) or [()]
    sensitive = spec.sensitivity is not None
    points = _sensitivity_points(spec) if sensitive else _design_points(spec)
    arms: list[Arm] = []
    resolved: dict[tuple, Arm] = {}  # (scenario, point, config) -> the first arm that gave it
    for scenario_name in spec.scenarios:
        scenario_path = _resolve_scenario_path(scenario_name, path)
        base = read_with_extends(scenario_path)
        for combo in grid:
            for index, point in enumerate(points):
                values = dict(zip(grid_keys, combo, strict=True)) | point
                chosen = values.get("coordination")
                chosen = None if chosen == AS_WRITTEN else chosen
                overrides = fixed + [_override_text(k, v) for k, v in values.items()
                                     if k != "coordination"]
                data = apply_overrides(select_coordination(base, chosen), overrides)
                where = f"{source} (scenario {scenario_name}, {_label(values) or 'no factors'})"
                scenario = validate(Scenario, apply_preset(data), where)
                config = scenario.model_dump(mode="json")
                label = _label(values) or scenario.name
                key = {"scenario": scenario_name, "values": values, "config": config}
                if sensitive:  # design points may coincide: the point number keeps arms apart
                    grid_label = _label(dict(zip(grid_keys, combo, strict=True)))
                    label = f"{grid_label}, point {index}" if grid_label else f"point {index}"
                    key["point"] = index
                if len(spec.scenarios) > 1:
                    label = f"{scenario.name}: {label}"
                arm = Arm(_digest(key), label, scenario_name, values, config,
                          index if sensitive else None)
                same = (scenario_name, arm.point, _digest(config, 64))
                if same in resolved:
                    raise ConfigError(_same_configuration(spec, source, resolved[same], arm))
                resolved[same] = arm
                arms.append(arm)
    draws = posterior_draws(spec, path, source, arms) if spec.posterior else {}
    runs = [Run(run_id=f"{arm.arm_id}-r{k:04d}", index=i * len(seeds) + k, arm_id=arm.arm_id,
                replication=k, seed=seed, **draws.get(k, {}))
            for i, arm in enumerate(arms) for k, seed in enumerate(seeds)]
    return Plan(spec=spec, source=source, arms=arms, runs=runs, seeds=seeds)


def _scaled_for_tests(spec: ExperimentSpec) -> ExperimentSpec:
    """``spec`` with fewer replications and design points under the test-only scale setting
    (:func:`sim.scenario.loading.scale_for_tests`); ``spec`` itself without it."""
    if scale_for_tests() is None:
        return spec
    changes: dict[str, Any] = {"replications": scaled_count(spec.replications)}
    if spec.sample is not None:
        changes["sample"] = spec.sample.model_copy(update={"n": scaled_count(spec.sample.n)})
    if spec.sensitivity is not None:
        n = scaled_count(spec.sensitivity.n, least=2)
        if spec.sensitivity.method == "sobol":  # Sobol's base sample stays a power of two
            n = 1 << (n - 1).bit_length()
        changes["sensitivity"] = spec.sensitivity.model_copy(update={"n": n})
    return spec.model_copy(update=changes)


POSTERIOR_STREAM = 0x706F7374  # "post": the draws' own seed sequence, apart from the runs' seeds
REPLICATIONS_PER_DRAW = 2  # replications 2d and 2d+1 share draw d: chance measured within draws


def posterior_draws(spec: ExperimentSpec, path: Path, source: str, arms: list[Arm]) -> dict:
    """Replication k -> its parameter set drawn from a calibration's accepted set.

    Draw d (with replacement, uniform, from ``SeedSequence([seed, POSTERIOR_STREAM])``) serves
    replications ``2d`` and ``2d + 1`` in every arm, so arms stay paired, and the report can
    tell the variance between draws (parameters) from that within them (chance). Every arm is
    validated with every drawn set here.
    """
    from sim.experiments.calibration import read_posterior

    folder = _resolve_folder(spec.posterior, path)
    names, frame = read_posterior(folder, source)
    varied = {**spec.set, **spec.factors, **(spec.sample.parameters if spec.sample else {}),
              **(spec.sensitivity.parameters if spec.sensitivity else {})}
    for key in names:
        if key in varied or key == "time.years" and spec.years is not None:
            raise ConfigError(f"{source}: posterior: {key} is fitted by the calibration and also "
                              "set or varied by the experiment; drop one of them")
    count = math.ceil(spec.replications / REPLICATIONS_PER_DRAW)
    rng = np.random.default_rng(np.random.SeedSequence([spec.seed, POSTERIOR_STREAM]))
    rows = rng.integers(len(frame), size=count)
    sets = [{k: frame.at[int(r), k] for k in names} for r in rows]
    sets = [{k: v.item() if hasattr(v, "item") else v for k, v in s.items()} for s in sets]
    for d, params in enumerate(sets):
        overrides = [_override_text(k, v) for k, v in params.items()]
        trial = int(frame.at[int(rows[d]), "trial"])
        for arm in arms:
            where = f"{source} (posterior draw {d}, trial {trial}, {arm.label})"
            validate(Scenario, apply_preset(apply_overrides(arm.config, overrides)), where)
    return {k: {"draw": k // REPLICATIONS_PER_DRAW, "params": sets[k // REPLICATIONS_PER_DRAW]}
            for k in range(spec.replications)}


def _resolve_folder(name: str, experiment_file: Path) -> Path:
    return next((c for c in _candidates(name, experiment_file) if c.is_dir()), Path(name))


def _same_configuration(spec: ExperimentSpec, source: str, first: Arm, second: Arm) -> str:
    """The one-line error for two arms whose resolved configurations are equal."""
    for key, value in first.values.items():
        other = second.values[key]
        if json.dumps(value) != json.dumps(other):
            where = f"factors.{key}" if key in spec.factors else f"sample.parameters.{key}"
            return f"{source}: {where}: values {value!r} and {other!r} give the same configuration"
    return f"{source}: scenario: {first.scenario} is listed twice"


def _label(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_short(v)}" for k, v in values.items())


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


# what may differ between a sweep folder's plan and the experiment file run into it: more
# replications or more factor values only add runs (the old runs keep their ids and seeds)
GROWABLE = ("replications", "factors", "description")


def growth_problem(old: Plan, new: Plan) -> str | None:
    """Why ``new`` cannot continue the sweep whose plan is ``old``, in a few words; None when it
    can: the same experiment with as many or more replications and factor values, every run of
    ``old`` in ``new`` with the same arm, configuration, seed (and posterior draw) and label."""
    was, now = old.spec.model_dump(mode="json"), new.spec.model_dump(mode="json")
    changed = [key for key in was if key not in GROWABLE and was[key] != now.get(key)]
    if changed:
        return "; ".join(f"{key}: {_brief(was[key])} in the folder, {_brief(now.get(key))} in "
                         "the file" for key in changed)
    if now["replications"] < was["replications"]:
        return (f"replications: {was['replications']} in the folder, {now['replications']} in the "
                "file (a sweep can grow, not shrink)")
    if list(now["factors"]) != list(was["factors"]):
        return (f"factors: {', '.join(was['factors']) or 'none'} in the folder, "
                f"{', '.join(now['factors']) or 'none'} in the file")
    for key, levels in was["factors"].items():
        gone = [v for v in levels if v not in now["factors"][key]]
        if gone:
            return f"factors.{key}: {_brief(gone[0])} is in the folder's sweep but not in the file"
    arms = new.arm
    compared: dict[tuple[int, int], bool] = {}  # a portfolio's arms share their configurations
    for arm in old.arms:
        twin = arms.get(arm.arm_id)
        if twin is not None:
            pair = (id(arm.config), id(twin.config))
            if pair not in compared:
                compared[pair] = twin.config == arm.config
        if twin is None or not compared[pair] or twin.changes != arm.changes:
            return f"{arm.label}: {_config_change(arm, new)}"
        if twin.label != arm.label:
            return f"arm {arm.label!r} is called {twin.label!r} in the file"
    runs = {r.run_id: r for r in new.runs}
    for run in old.runs:
        same = runs.get(run.run_id)
        if same is None or (same.arm_id, same.seed, same.draw, same.params) != (
                run.arm_id, run.seed, run.draw, run.params):
            return f"run {run.run_id}: its seed or posterior draw differs"
    return None


def _config_change(arm: Arm, new: Plan) -> str:
    """What changed in ``arm``'s resolved configuration (the scenario file was edited)."""
    twin = next((a for a in new.arms if a.scenario == arm.scenario and a.values == arm.values), None)
    if twin is None:
        return "not in the file's plan"
    key, was, now = _first_difference(arm.resolved(), twin.resolved())
    return (f"the scenario's configuration changed since the sweep ({key}: {_brief(was)} in the "
            f"folder, {_brief(now)} now; was {arm.scenario} edited?)")


def _first_difference(a: Any, b: Any, path: str = "") -> tuple[str, Any, Any]:
    """The first dotted key at which ``a`` and ``b`` differ, and the two values there."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in [*a, *(k for k in b if k not in a)]:
            if a.get(key) != b.get(key):
                return _first_difference(a.get(key), b.get(key), f"{path}.{key}" if path else key)
    return path or "(whole)", a, b


def _brief(value: Any, limit: int = 60) -> str:
    text = json.dumps(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
