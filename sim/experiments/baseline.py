"""Canonical runs whose summaries are kept in results/reference/ as a regression baseline."""

from __future__ import annotations

from pathlib import Path

from sim.experiments.single_run import run_scenario
from sim.scenario.loading import load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"

# name -> (scenario file, --set overrides); seeds are the scenario's own
BASELINES: dict[str, tuple[str, list[str]]] = {
    "base_silos": ("base.yaml", []),
    "base_full_integration": ("base.yaml", ["coordination.model=full_integration"]),
}


def baseline_summary(name: str) -> dict[str, float]:
    """Run the named canonical scenario and return its summary."""
    file, overrides = BASELINES[name]
    return run_scenario(load_scenario(SCENARIOS / file, overrides)).summary
