"""Build the enabled mechanisms of a coordination spec, in their fixed step order.

Each parameter block names its mechanism class (``behaviour = "module:Class"`` in
``sim/scenario/mechanisms.py``); the class is imported here, when a model is built, so the schema
never imports behaviour and nothing registers itself by being imported.
"""

from __future__ import annotations

import importlib
from functools import cache

from sim.core.coordination.base import Mechanism
from sim.scenario.coordination import CoordinationSpec
from sim.scenario.mechanisms import KINDS


@cache
def mechanism_class(kind: str) -> type[Mechanism]:
    """The mechanism class the block of ``kind`` names."""
    module, name = KINDS[kind].behaviour.split(":")
    return getattr(importlib.import_module(module), name)


def build_mechanisms(spec: CoordinationSpec, warmup_weeks: int) -> list[Mechanism]:
    """One mechanism object per enabled block of ``spec``, in step order (their dates count from
    the end of the ``warmup_weeks``)."""
    return [mechanism_class(params.kind)(params, warmup_weeks) for params in spec.mechanisms()]
