"""Coordination lab: an agent-based model of multisectoral services for children and families.

``import sim`` stays light (no Mesa, no NumPy model code); the notebook API is loaded on first use:

- ``sim.run(scenario, **overrides)``: one run, see :func:`sim.api.run` (``sim.run`` is also the
  module ``sim/run.py``; calling it calls the API);
- ``sim.sweep(scenario, factors=..., replications=...)``: a sweep's runs table, see
  :func:`sim.api.sweep`; ``sim.compare(runs)``: paired differences, see :func:`sim.api.compare`.
"""

from __future__ import annotations

import importlib

_API = ("sweep", "compare", "summarise")


def __getattr__(name: str):
    if name == "run":
        return importlib.import_module("sim.run")  # a callable module: sim.run(...) -> api.run
    if name in _API:
        return getattr(importlib.import_module("sim.api"), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), "run", *_API])
