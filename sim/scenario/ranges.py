"""The declared range of every tunable scenario key: one table for sweeps, the EMA adapter and the
workshop page.

- :data:`UNCERTAINTIES`: what is not known well about families (ranges around the base city's
  assumed values; see docs/model.md, "Parameters");
- :data:`LEVERS`: what a city chooses: money (kept apart from coordination) and the main setting
  of each coordination mechanism.

An experiment's ``sample:`` or ``sensitivity:`` design may name a key with ``declared`` instead of
bounds (``families.seek_probability: declared``); ``sim.ema`` samples these ranges; the workshop
page's sliders for these keys take their bounds and labels from here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Declared:
    """A declared range of a dotted scenario key: bounds, whole numbers or not, and in words."""

    low: float
    high: float
    integer: bool = False
    label: str = ""
    why: str = ""


UNCERTAINTIES: dict[str, Declared] = {
    "families.seek_probability": Declared(0.2, 0.5, why="help-seeking (assumption 0.35)"),
    "families.awareness_mean": Declared(0.4, 0.8, why="awareness of services (assumption 0.6)"),
    "families.patience_weeks": Declared(3, 12, integer=True, why="re-seeking delay (assumption 6)"),
    "families.travel_km_scale": Declared(2.0, 8.0, why="distance decay (assumption 4 km)"),
    "families.referral_wait_scale_weeks": Declared(
        12.0, 72.0, why="waits deter referrals (36, calibrated to pattern handoff_loss)"),
    "families.need_complexity_shape": Declared(0.5, 2.0, why="concentration of needs (1)"),
}

LEVERS: dict[str, Declared] = {
    "funding.budget_scale": Declared(0.5, 2.0, label="Budget level (x the scenario's funding)",
                                     why="more or less money, apart from coordination"),
    "coordination.council.meetings_per_year": Declared(0, 12, integer=True,
                                                       label="Council meetings a year"),
    "coordination.integrated_platform.hubs": Declared(0, 10, integer=True, label="Family hubs"),
    "coordination.pooled_budget.contribution_share": Declared(0.0, 0.5,
                                                              label="Pooled budget share"),
    "coordination.shared_registry.consultation_rate": Declared(
        0.0, 1.0, label="Registry consulted (share of intakes)"),
}

DECLARED: dict[str, Declared] = UNCERTAINTIES | LEVERS
DECLARED_WORD = "declared"  # written instead of bounds in an experiment's design


def expand_declared(design: dict) -> dict:
    """An experiment design mapping with each ``key: declared`` replaced by the key's bounds (and
    the key added to ``integer`` when it is declared whole); ValueError for an undeclared key."""
    parameters = design.get("parameters")
    if not isinstance(parameters, dict) or DECLARED_WORD not in parameters.values():
        return design
    expanded, integer = {}, list(design.get("integer", []))
    for key, bounds in parameters.items():
        if bounds == DECLARED_WORD:
            if key not in DECLARED:
                raise ValueError(f"parameters.{key}: no declared range: give low and high "
                                 f"(keys with a declared range: {', '.join(DECLARED)})")
            found = DECLARED[key]
            bounds = {"low": found.low, "high": found.high}
            if found.integer and key not in integer:
                integer.append(key)
        expanded[key] = bounds
    return {**design, "parameters": expanded, "integer": integer}
