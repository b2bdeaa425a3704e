"""The `coordination:` block of a scenario: a named preset plus per-mechanism overrides."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import field_validator

from sim.coordination.presets import PRESETS
from sim.schema import Strict

if TYPE_CHECKING:
    from sim.params import Scenario


class CoordinationSpec(Strict):
    """Which coordination model runs; mechanism blocks are filled from the preset by the loader."""

    model: str = "silos"

    @field_validator("model")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in PRESETS:
            raise ValueError(f"unknown coordination model {value!r} (known: {', '.join(PRESETS)})")
        return value

    def mechanisms(self) -> list:
        """The enabled mechanisms' parameter blocks, in step order."""
        return []

    def check_against(self, scenario: Scenario) -> None:
        """Check references to organisations and neighbourhoods once the scenario is known."""
