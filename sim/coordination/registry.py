"""Build the enabled mechanisms of a coordination spec, in their fixed step order."""

from __future__ import annotations

from sim.coordination.base import Mechanism
from sim.coordination.spec import CoordinationSpec


def build_mechanisms(spec: CoordinationSpec) -> list[Mechanism]:
    """One mechanism object per enabled block of ``spec``."""
    return [params.mechanism() for params in spec.mechanisms()]
