"""Targets files of `sim calibrate`: the observed figures a scenario is fitted to, and what to fit.

A targets file is YAML validated like an experiment (unknown keys refused, one-line errors naming
the file and key)::

    name: calibrate_base              # default folder results/<name> (default: the file's name)
    seed: 1                           # sampler and replication seeds (--seed overrides)
    batch: 8                          # trials asked, run and told back together
    targets:
      - metric: coverage              # any key of the run summary
        sector: social_protection     # optional: the metric in one sector (coverage.<sector>)
        group: marginalised           # optional: marginalised or other families (<metric>_<group>)
        years: [1, 3]                 # optional: over measured years 1 to 3 (else the scenario's)
        range: [0.23, 0.33]           # the figure's 95% range, or: value: 0.28 with se: 0.025
        source: "..."                 # where the figure comes from
    parameters:                       # dotted scenario keys, as for --set
      families.seek_probability: {low: 0.2, high: 0.5}
      families.awareness_mean: declared        # the key's declared range (sim/scenario/ranges.py)
      sectors.health.need_rate_per_year: {low: 0.2, high: 1.0, log: true}
    fixed:                            # optional overrides held during the fit
      city.families: 5000

A target with ``years: [a, b]`` is measured by runs of their own: the scenario's warm-up grows by
``a`` years and ``b - a`` years are measured (years counted from the end of the warm-up).

A target given as ``range: [low, high]`` is read as a 95% interval: its value is the midpoint and
its standard error ``(high - low) / (2 x 1.96)``; one given as ``value`` and ``se`` has the
interval ``value +- 1.96 se``. Each parameter bound must lie within the key's own limits (the
scenario schema is checked at both bounds).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from sim.core.metrics import units
from sim.errors import ConfigError
from sim.experiments.plan import SAFE_NAME
from sim.scenario.loading import apply_overrides, apply_preset, read_with_extends, validate
from sim.scenario.params import Scenario
from sim.scenario.ranges import DECLARED, DECLARED_WORD
from sim.scenario.schema import Strict

Z95 = 1.959963984540054  # a 95% interval is value +- Z95 standard errors
DEFAULT_BATCH = 8


class Target(Strict):
    """One observed figure: a summary metric (by sector or group), its value and uncertainty."""

    metric: str = Field(min_length=1)
    sector: str | None = None
    group: Literal["marginalised", "other"] | None = None
    years: Annotated[list[Annotated[float, Field(ge=0, le=100)]], Field(min_length=2,
                                                                         max_length=2)] | None = None
    value: float | None = None
    se: Annotated[float, Field(gt=0)] | None = None
    range: Annotated[list[float], Field(min_length=2, max_length=2)] | None = None
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _uncertainty(self) -> Target:
        if self.sector is not None and self.group is not None:
            raise ValueError("give sector or group, not both")
        if self.range is not None:
            if self.value is not None or self.se is not None:
                raise ValueError("give range, or value with se, not both")
            low, high = self.range
            if not (math.isfinite(low) and math.isfinite(high) and low < high):
                raise ValueError(f"range: expected [low, high] with low < high, got {self.range}")
        elif self.value is None or self.se is None:
            raise ValueError("expected range: [low, high], or value with se (a standard error)")
        elif not (math.isfinite(self.value) and math.isfinite(self.se)):
            raise ValueError("value and se must be finite numbers")
        if self.years is not None and not self.years[0] < self.years[1]:
            raise ValueError(f"years: expected [start, end] with start < end, got {self.years}")
        return self

    @property
    def key(self) -> str:
        """The run-summary key this target reads (``coverage.health``, ``coverage_marginalised``)."""
        if self.sector is not None:
            return f"{self.metric}.{self.sector}"
        if self.group is not None:
            return f"{self.metric}_{self.group}"
        return self.metric

    @property
    def centre(self) -> float:
        return (self.range[0] + self.range[1]) / 2 if self.range is not None else float(self.value)

    @property
    def sigma(self) -> float:
        """Standard error of the figure (a range is a 95% interval)."""
        return (self.range[1] - self.range[0]) / (2 * Z95) if self.range is not None else float(self.se)

    @property
    def interval(self) -> tuple[float, float]:
        if self.range is not None:
            return (float(self.range[0]), float(self.range[1]))
        return (self.centre - Z95 * self.sigma, self.centre + Z95 * self.sigma)

    @property
    def label(self) -> str:
        return self.key + (f" (years {self.years[0]:g}-{self.years[1]:g})" if self.years else "")

    @property
    def window(self) -> tuple[float, float] | None:
        return tuple(self.years) if self.years is not None else None


class Bounds(Strict):
    """The range searched for one parameter (``log``: searched on a log scale, for rates)."""

    low: float
    high: float
    log: bool = False
    integer: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> Bounds:
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ValueError("low and high must be finite numbers")
        if not self.low < self.high:
            raise ValueError(f"empty bounds: expected low < high, got low={self.low}, high={self.high}")
        if self.log and self.low <= 0:
            raise ValueError(f"log: true needs low > 0, got low={self.low}")
        if self.integer and math.ceil(self.low) > math.floor(self.high):
            raise ValueError(f"integer: no whole number between low={self.low} and high={self.high}")
        return self

    def ends(self) -> tuple[float, float]:
        """The lowest and highest values searched (whole numbers inside the bounds if integer)."""
        if self.integer:
            return (math.ceil(self.low), math.floor(self.high))
        return (float(self.low), float(self.high))


def declared_bounds(data):
    """A mapping whose ``parameters`` may say ``key: declared``, with each such key's declared
    range (:mod:`sim.scenario.ranges`) as its bounds; ValueError for an undeclared key."""
    if not isinstance(data, dict) or not isinstance(data.get("parameters"), dict):
        return data
    parameters = {}
    for key, bounds in data["parameters"].items():
        if bounds == DECLARED_WORD:
            if key not in DECLARED:
                raise ValueError(f"parameters.{key}: no declared range: give low and high "
                                 f"(keys with a declared range: {', '.join(DECLARED)})")
            found = DECLARED[key]
            bounds = {"low": found.low, "high": found.high, "integer": found.integer}
        parameters[key] = bounds
    return {**data, "parameters": parameters}


class TargetsSpec(Strict):
    """A targets file (see the module docstring)."""

    name: str | None = Field(None, pattern=SAFE_NAME, max_length=100)
    description: str = ""
    seed: Annotated[int, Field(ge=0, lt=2**63)] = 0
    batch: Annotated[int, Field(ge=1, le=1000)] = DEFAULT_BATCH
    targets: list[Target] = Field(min_length=1)
    parameters: dict[str, Bounds] = Field(min_length=1)
    fixed: dict[str, bool | int | float | str] = {}

    @model_validator(mode="before")
    @classmethod
    def _declared(cls, data):
        return declared_bounds(data)

    @model_validator(mode="after")
    def _apart(self) -> TargetsSpec:
        for key in self.parameters:
            if key in self.fixed:
                raise ValueError(f"parameters.{key}: also in fixed (fit it or fix it)")
            if key == "coordination" or key.startswith("time.") or key == "seed":
                raise ValueError(f"parameters.{key}: not a parameter that can be fitted")
        labels = [t.label for t in self.targets]
        for label in labels:
            if labels.count(label) > 1:
                raise ValueError(f"targets: {label} is given twice")
        return self

    @property
    def windows(self) -> list[tuple[float, float] | None]:
        """The distinct measurement windows of the targets, in order of first use."""
        return list(dict.fromkeys(t.window for t in self.targets))


def load_targets(path: str | Path, scenario_path: str | Path) -> tuple[TargetsSpec, dict]:
    """Read and check a targets file against its scenario; return the spec and the scenario's
    raw mapping with the fixed overrides applied (validated).

    Every check happens here, before anything runs: unknown metric or sector, a key the
    scenario does not have, a bound outside the key's own limits, a window past the run.
    """
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such targets file")
    if not Path(scenario_path).is_file():
        raise ConfigError(f"{scenario_path}: no such scenario file")
    raw = read_with_extends(path)
    if "scenario" in raw and "targets" not in raw:
        raise ConfigError(f"{path}: an experiment file, not a targets file (targets: is missing)")
    spec: TargetsSpec = validate(TargetsSpec, raw, source)
    base = read_with_extends(scenario_path)
    fixed = [override_text(k, v) for k, v in spec.fixed.items()]
    for key in spec.fixed:
        _check_key(base, key, f"{source}: fixed.{key}")
    data = _overridden(base, fixed, f"{source}: fixed")
    scenario = validate(Scenario, apply_preset(data), f"{source}: fixed")
    known = units(scenario.sector_names, groups=list(scenario.groups))
    for i, target in enumerate(spec.targets):
        where = f"{source}: targets.{i}"
        if target.sector is not None and target.sector not in scenario.sectors:
            raise ConfigError(f"{where}.sector: unknown sector {target.sector!r} (known: "
                              f"{', '.join(scenario.sector_names)})")
        if target.key not in known:
            bare = sorted(k for k in known if "." not in k)
            raise ConfigError(f"{where}.metric: unknown metric {target.key!r} (known: "
                              f"{', '.join(bare)}; by sector: coverage with sector:)")
    for key, bounds in spec.parameters.items():
        where = f"{source}: parameters.{key}"
        _check_key(base, key, where)
        for side, value in zip(("low", "high"), bounds.ends(), strict=True):
            trial = _overridden(data, [override_text(key, value)], where)
            try:
                validate(Scenario, apply_preset(trial), where)
            except ConfigError as exc:
                raise ConfigError(f"{where}: {side} {value} is outside the key's own limits "
                                  f"({str(exc).removeprefix(where + ': ')})") from None
    return spec, data


def override_text(key: str, value) -> str:
    """``key=value`` as `--set` reads it."""
    import json

    return f"{key}={json.dumps(value)}"


def _overridden(data: dict, overrides: list[str], where: str) -> dict:
    try:
        return apply_overrides(data, overrides)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {str(exc).removeprefix('--set ')}") from None


def _check_key(base: dict, key: str, where: str) -> None:
    """The dotted ``key`` must name a value of the scenario schema (not a section)."""
    node: object = Scenario
    prefix: list[str] = []
    for part in key.split("."):
        fields = getattr(node, "model_fields", None)
        if fields is not None:
            if part not in fields:
                raise ConfigError(f"{where}: unknown key (no {part!r} in the scenario)")
            node = _inner(fields[part].annotation)
            prefix.append(part)
            continue
        if getattr(node, "__origin__", None) is dict:
            names = lookup(base, prefix)
            if isinstance(names, dict) and part not in names:
                raise ConfigError(f"{where}: unknown key (no {part!r} in {'.'.join(prefix)}; known: "
                                  f"{', '.join(map(str, names))})")
            node = _inner(node.__args__[1])
            prefix.append(part)
            continue
        raise ConfigError(f"{where}: unknown key ({part!r} is below a value)")
    if getattr(node, "model_fields", None) is not None:
        raise ConfigError(f"{where}: names a section, not a value")


def lookup(data: dict, key: str | list[str]):
    """The value at a dotted key (or list of parts) of a mapping; None where there is none."""
    node = data
    for part in key.split(".") if isinstance(key, str) else key:
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _inner(annotation):
    """The model or dict type inside an annotation (Optional, Annotated), else the annotation."""
    import typing

    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _inner(args[0])
    if origin is dict:
        return annotation
    if args and origin is not list:
        for arg in args:
            inner = _inner(arg)
            if getattr(inner, "model_fields", None) is not None or typing.get_origin(inner) is dict:
                return inner
    return annotation
