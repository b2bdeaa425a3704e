"""The `coordination:` block of a scenario: a named preset plus per-mechanism overrides.

A mechanism is on when its block is present (and ``enabled`` is not false). The loader fills
the blocks of the chosen preset first; keys written in the scenario or given with ``--set``
override them, e.g. ``--set coordination.council.meetings_per_year=2``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import create_model, field_validator

from sim.scenario.mechanisms import KINDS, MechanismParams
from sim.scenario.presets import PRESETS
from sim.scenario.schema import Strict

if TYPE_CHECKING:
    from sim.scenario.params import Scenario

# the order mechanisms act in within each phase (that of sim.scenario.mechanisms.BLOCKS)
MECHANISM_ORDER = tuple(KINDS)


class _Coordination(Strict):
    """Which coordination model runs, and the parameters of each enabled mechanism: one optional
    block per kind of ``sim.scenario.mechanisms.BLOCKS`` (fields added by :data:`CoordinationSpec`)."""

    model: str = "silos"

    @field_validator("model")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in PRESETS:
            raise ValueError(f"unknown coordination model {value!r} (known: {', '.join(PRESETS)})")
        return value

    @property
    def label(self) -> str:
        """The preset's name, plus what the scenario switched on or off beyond it."""
        preset = set(PRESETS[self.model])
        enabled = {b.kind for b in self.mechanisms()}
        extra = [m for m in MECHANISM_ORDER if m in enabled - preset]
        dropped = [m for m in MECHANISM_ORDER if m in preset - enabled]
        return "+".join([self.model, *extra]) + "".join(f"-{m}" for m in dropped)

    def mechanisms(self) -> list[MechanismParams]:
        """The enabled mechanisms' parameter blocks, in step order."""
        blocks = (getattr(self, name) for name in MECHANISM_ORDER)
        return [b for b in blocks if b is not None and b.enabled]

    def check_against(self, scenario: Scenario) -> None:
        """Check references to organisations and neighbourhoods once the scenario is known."""
        for block in self.mechanisms():
            block.check(scenario)


CoordinationSpec = create_model(
    "CoordinationSpec", __base__=_Coordination, __module__=__name__,
    **{kind: (block | None, None) for kind, block in KINDS.items()})
CoordinationSpec.__doc__ = _Coordination.__doc__
