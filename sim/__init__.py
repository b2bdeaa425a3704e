"""Coordination lab: an agent-based model of multisectoral services for children and families.

The package's layers, lowest first (a layer never imports a higher one; tests/test_layers.py):

- ``sim.errors``: the error classes;
- ``sim.scenario``: what a scenario is (schema, parameters, loading, presets, memory limits);
- ``sim.core``: the model (state, phases, coordination mechanisms, metrics);
- ``sim.experiments``: running scenarios and plans, storing, reporting and reproducing results;
- the doors people come in by: ``sim.cli`` (the ``sim`` command), ``sim.app`` (the workshop
  page), ``sim.api`` (Python), ``sim.ema`` (the EMA Workbench).

``import sim`` stays light (no Mesa, no NumPy model code); the notebook API is loaded on first use:
``sim.run(scenario, **overrides)`` (one run, :func:`sim.api.run`), ``sim.sweep(scenario,
factors=..., replications=...)`` (a sweep's runs table, :func:`sim.api.sweep`),
``sim.compare(runs)`` and ``sim.summarise(runs)``.
"""

from __future__ import annotations

import importlib

_API = ("run", "sweep", "compare", "summarise")


def __getattr__(name: str):
    if name in _API:
        return getattr(importlib.import_module("sim.api"), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_API])
