"""EMA Workbench interoperability: the model as an ``ema_workbench`` ``ReplicatorModel``.

::

    from ema_workbench import SequentialEvaluator
    from sim.ema import ema_model

    model = ema_model("base", years=2, replications=3, city__families=2000)
    with SequentialEvaluator(model) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(scenarios=50, policies=4)

Uncertainties and levers come from declared parameter ranges: :data:`UNCERTAINTIES` (what we do
not know well about families) and :data:`LEVERS` (the coordination model, a categorical lever
over the presets, and the money lever ``funding.budget_scale``); pass your own tables to change
them. EMA names use ``__`` for the dots of a scenario key (``families__seek_probability``).
Outcomes are the run metrics, each the mean over the replications (``ScalarOutcome`` with a
reducing function). Every replication k uses the same seed in every experiment (common random
numbers). Each run goes through sim's own code (:func:`sim.scenario.loading.load_scenario`, then
:func:`sim.experiments.runner.simulate`, as in a sweep).

Needs the ``analysis`` extra (``pip install '.[analysis]'``).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np

from sim.api import overrides_from, scenario_path
from sim.core.metrics import METRIC_NAMES
from sim.experiments.plan import _override_text, replication_seeds
from sim.scenario import ranges
from sim.scenario.presets import PRESETS
from sim.scenario.ranges import Declared

Uncertain = Declared  # a declared range (sim.scenario.ranges); pass your own to change them

# What we do not know well, and what a city chooses (the coordination model, categorical, and the
# money lever kept apart from coordination): the project's declared ranges (sim/scenario/ranges.py).
UNCERTAINTIES: dict[str, Declared] = dict(ranges.UNCERTAINTIES)
LEVERS: dict[str, Declared | list[str]] = {
    "coordination": list(PRESETS),
    "funding.budget_scale": ranges.LEVERS["funding.budget_scale"],
}


def ema_name(key: str) -> str:
    """EMA's name for a dotted scenario key (dots become ``__``)."""
    return key.replace(".", "__")


def mean_over_replications(values) -> float:
    """An outcome's value for one experiment: the mean over replications, ignoring undefined runs."""
    x = np.asarray(values, dtype=float)
    if not np.isfinite(x).any():
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(np.nanmean(x))


def _plain(value: Any) -> Any:
    """NumPy scalars (EMA passes them) as Python numbers; Mesa and JSON refuse NumPy ints."""
    if isinstance(value, np.generic):
        return value.item()
    return value


class SimFunction:
    """The model function EMA calls: ``f(seed=..., coordination=..., families__x=...) -> metrics``.

    A picklable object (not a closure), so EMA's multiprocessing evaluator can ship it.
    """

    def __init__(self, scenario: Path, fixed: list[str], metrics: list[str]):
        self.scenario = scenario
        self.fixed = fixed
        self.metrics = metrics

    def __call__(self, seed: int = 0, coordination: str | None = None, **values: Any) -> dict:
        from sim.experiments.runner import simulate
        from sim.scenario.loading import load_scenario

        sets = self.fixed + [_override_text(k.replace("__", "."), _plain(v)) for k, v in values.items()]
        coordination = None if coordination is None else str(coordination)
        scenario = load_scenario(self.scenario, sets, coordination=coordination)
        out = simulate(scenario.model_dump(mode="json"), int(seed), [])
        return {m: out.get(m, float("nan")) for m in self.metrics}


def _parameter(key: str, spec: Uncertain | list):
    from ema_workbench import CategoricalParameter, IntegerParameter, RealParameter

    name = ema_name(key)
    if isinstance(spec, list | tuple):
        return CategoricalParameter(name, list(spec))
    if spec.integer:
        return IntegerParameter(name, int(spec.low), int(spec.high))
    return RealParameter(name, float(spec.low), float(spec.high))


def ema_model(scenario: str | Path = "base", *, years: float | None = None, replications: int = 3,
              seed: int = 0, uncertainties: dict[str, Uncertain] | None = None,
              levers: dict[str, Uncertain | list[str]] | None = None,
              metrics: list[str] | None = None, name: str = "coordination_lab", **fixed: Any):
    """An ``ema_workbench.ReplicatorModel`` of ``scenario``.

    Args:
        scenario: a scenario file or a name in ``scenarios/``.
        years: simulated years (default: the scenario's).
        replications: runs per experiment; outcomes are their means. Replication k uses the same
            seed (spawned from ``seed``) in every experiment.
        uncertainties: dotted key -> :class:`Uncertain` (default :data:`UNCERTAINTIES`).
        levers: dotted key -> :class:`Uncertain`, or ``coordination`` -> preset names
            (default :data:`LEVERS`).
        metrics: outcomes (default: every metric in ``sim.core.metrics``).
        **fixed: fixed overrides with ``__`` for dots, e.g. ``city__families=2000``.
    """
    from ema_workbench import ReplicatorModel, ScalarOutcome

    uncertainties = UNCERTAINTIES if uncertainties is None else uncertainties
    levers = LEVERS if levers is None else levers
    metrics = list(METRIC_NAMES if metrics is None else metrics)
    sets = overrides_from(**fixed)
    if years is not None:
        sets.append(_override_text("time.years", float(years)))
    function = SimFunction(scenario_path(scenario), sets, metrics)
    model = ReplicatorModel(name, function=function)
    model.uncertainties = [_parameter(k, v) for k, v in uncertainties.items()]
    model.levers = [_parameter(k, v) for k, v in levers.items()]
    model.outcomes = [ScalarOutcome(m, function=mean_over_replications) for m in metrics]
    model.replications = [{"seed": s} for s in replication_seeds(int(seed), int(replications))]
    return model
