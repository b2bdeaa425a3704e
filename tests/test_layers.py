"""The package's layers: a module never imports from a higher layer (see sim/__init__.py)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "sim"
LAYERS = {  # top-level part of the module name -> layer, lowest first
    "errors": 0, "scenario": 1, "core": 2, "experiments": 3,
    "cli": 4, "app": 4, "api": 4, "ema": 4, "__init__": 4,
}


def layer(module: str) -> int:
    """Layer of ``sim.<part>...`` (KeyError for a module outside every layer)."""
    return LAYERS[module.split(".")[1]]


def imported(source: str) -> set[str]:
    """Every ``sim.*`` module a source imports, at the top or inside functions."""
    out = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("sim.")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "sim":
                out |= {f"sim.{a.name}" for a in node.names}
            elif node.module.startswith("sim."):
                out.add(node.module)
    return out


def violations(module: str, source: str) -> list[str]:
    return sorted(m for m in imported(source) if layer(m) > layer(module))


MODULES = {"sim." + ".".join(p.relative_to(PACKAGE).with_suffix("").parts): p
           for p in PACKAGE.rglob("*.py")}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_imports_a_higher_layer(module):
    assert not violations(module, MODULES[module].read_text())


def test_every_module_is_in_a_layer():
    assert all(layer(m) >= 0 for m in MODULES)


@pytest.mark.parametrize(("module", "source", "bad"), [
    ("sim.core.model", "from sim.experiments.runner import execute\n", ["sim.experiments.runner"]),
    ("sim.scenario.params", "def f():\n    import sim.core.model\n", ["sim.core.model"]),
    ("sim.experiments.store", "from sim import api\n", ["sim.api"]),
    ("sim.core.model", "from sim.scenario.params import Scenario\n", []),
])
def test_the_check_fails_when_a_lower_layer_imports_a_higher_one(module, source, bad):
    assert violations(module, source) == bad


def test_no_merge_conflict_markers_are_left_in_the_project():
    """A merge left half resolved shows as a line of markers: none in code, docs or scenarios."""
    root = Path(__file__).resolve().parent.parent
    files = [p for folder in ("sim", "docs", "tests", "scenarios", "experiments", "benchmarks", "tools")
             for p in (root / folder).rglob("*") if p.suffix in {".py", ".md", ".yaml", ".sh"}]
    files.append(root / "README.md")
    marker = re.compile(r"^(<{7}|>{7}|={7})( |$)", flags=re.M)
    assert [str(p.relative_to(root)) for p in files if marker.search(p.read_text(errors="replace"))] == []
