"""The case library (issue 21): every file in scenarios/cases/ is a cited, valid, runnable case.

Each case file has a ``case:`` block (sim/scenario/cases.py), a header that names its seed
source (C1-C4, docs/model.md "Sources") and marks the numbers it assumes, passes ``sim validate``
and runs briefly with the model's invariants checked.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.cli import main
from sim.core.model import CoordinationModel
from sim.scenario.cases import CASES_DIR, case_files
from sim.scenario.loading import load_scenario
from tests.test_scenarios import SMALL as SHRUNK  # 1,500 families, 39 weeks after 8 of warm-up

CASES = case_files()
MOVED = ("intersectoral_commission", "private_daycare_quota", "community_network_flanders")
ROOT = Path(__file__).resolve().parent.parent


def header(path: Path) -> str:
    """The comment block at the top of a scenario file."""
    lines = path.read_text().splitlines()
    return "\n".join(line for line in lines[:next(i for i, line in enumerate(lines)
                                                    if not line.startswith("#"))])


def test_the_library_holds_every_seed_case():
    names = {path.stem for path in CASES}
    assert len(names) >= 12
    sources = {load_scenario(path).case.source for path in CASES}
    assert sources == {"C1", "C2", "C3", "C4"}


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_a_case_is_cited_and_marks_its_assumptions(path):
    scenario = load_scenario(path)
    assert scenario.case is not None, f"{path.name} has no case: block"
    assert scenario.name == path.stem
    text = header(path)
    cited = set(re.findall(r"Sources (C[1-4])", text))
    assert scenario.case.source in cited, f"{path.name}: its header does not quote its source"
    assert "assumption" in text.lower()
    assert '"' in text, f"{path.name}: its header quotes no seed sentence"
    assert "/work/shared" not in path.read_text() and "seeds/" not in path.read_text()


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_a_case_passes_sim_validate(path, capsys):
    assert main(["validate", str(path)]) == 0
    assert "valid scenario" in capsys.readouterr().out


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_a_case_runs_briefly_with_its_invariants_checked(path):
    scenario = load_scenario(path, SHRUNK)
    model = CoordinationModel(scenario, check=True)
    model.run()
    assert model.week == scenario.time.steps
    summary = model.summary()
    assert 0.0 <= summary["coverage"] <= 1.0 and summary["total_cost"] > 0
    assert {m.name for m in model.all_mechanisms} == {
        block.kind for block in scenario.coordination.mechanisms()}


def test_moved_scenarios_are_named_nowhere_by_their_old_paths():
    assert CASES_DIR == ROOT / "scenarios" / "cases"
    for name in MOVED:
        assert not (ROOT / "scenarios" / f"{name}.yaml").exists()
    texts = [p.read_text() for folder in ("docs", "tests", "experiments", "sim")
             for p in (ROOT / folder).rglob("*") if p.suffix in (".md", ".py", ".yaml")
             and p.name != "test_cases.py"]
    texts += [(ROOT / "README.md").read_text()]
    for name in MOVED:
        assert not any(f"{name}.yaml" in text for text in texts), name
