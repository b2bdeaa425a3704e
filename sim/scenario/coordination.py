"""The `coordination:` block of a scenario: a named preset plus per-mechanism overrides.

A mechanism is on when its block is present (and ``enabled`` is not false). The loader fills
the blocks of the chosen preset first; keys written in the scenario or given with ``--set``
override them, e.g. ``--set coordination.council.meetings_per_year=2``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import field_validator

from sim.scenario.mechanisms import (
    CommunityNetworkParams,
    CouncilParams,
    FocalPointParams,
    PlatformParams,
    PooledBudgetParams,
    PppQuotaParams,
    SharedRegistryParams,
    TrainingParams,
)
from sim.scenario.presets import PRESETS
from sim.scenario.schema import Strict

if TYPE_CHECKING:
    from sim.scenario.params import Scenario

# the order mechanisms act in within each phase: supporters before those they support
MECHANISM_ORDER = ("focal_point", "community_network", "shared_registry", "cross_sector_training",
                   "ppp_quota", "integrated_platform", "pooled_budget", "council")


class CoordinationSpec(Strict):
    """Which coordination model runs, and the parameters of each enabled mechanism."""

    model: str = "silos"
    focal_point: FocalPointParams | None = None
    community_network: CommunityNetworkParams | None = None
    shared_registry: SharedRegistryParams | None = None
    cross_sector_training: TrainingParams | None = None
    ppp_quota: PppQuotaParams | None = None
    integrated_platform: PlatformParams | None = None
    pooled_budget: PooledBudgetParams | None = None
    council: CouncilParams | None = None

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

    def mechanisms(self) -> list:
        """The enabled mechanisms' parameter blocks, in step order."""
        blocks = (getattr(self, name) for name in MECHANISM_ORDER)
        return [b for b in blocks if b is not None and b.enabled]

    def check_against(self, scenario: Scenario) -> None:
        """Check references to organisations and neighbourhoods once the scenario is known."""
        for block in self.mechanisms():
            block.check(scenario)
