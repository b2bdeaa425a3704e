"""Every scenario file in scenarios/ loads, runs (shrunk) with invariants checked, and says what it is."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from sim.core.model import CoordinationModel
from sim.scenario.loading import load_scenario

FOLDER = Path(__file__).resolve().parent.parent / "scenarios"
# the workshop's cities and the large ones kept out of its list (scenarios/large/)
SCENARIOS = sorted(FOLDER.glob("*.yaml")) + sorted((FOLDER / "large").glob("*.yaml"))
SMALL = ["city.families=1500", "time.years=0.75", "time.warmup_weeks=8"]


def test_scenarios_found():
    names = {p.stem for p in SCENARIOS}
    assert "base" in names
    assert len(SCENARIOS) >= 6


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario_runs(path: Path):
    scenario = load_scenario(path, SMALL)
    assert scenario.city.families == 1500
    model = CoordinationModel(scenario, check=True)
    model.run()
    assert model.week == scenario.time.steps
    summary = model.summary()
    coverage = summary["coverage"]
    assert math.isfinite(coverage) and 0.0 <= coverage <= 1.0
    assert summary["total_cost"] > 0


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario_starts_with_comment_block(path: Path):
    lines = path.read_text(encoding="utf-8").splitlines()
    block = 0
    for line in lines:
        if not line.startswith("#"):
            break
        block += 1
    assert block >= 3, f"{path.name} must start with a comment block of at least 3 lines (has {block})"
