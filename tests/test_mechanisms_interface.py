"""Mechanisms use the model only through the written interface (``ModelView``), so a mechanism's
author reads that, not the model."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import sim.core.coordination
from sim.core.coordination.base import ModelView
from sim.core.model import CoordinationModel
from tests.conftest import small_base

FOLDER = Path(sim.core.coordination.__file__).parent
DECLARED = set(ModelView.__annotations__) | {"refresh_access"}


def used_attributes(source: str) -> set[str]:
    """Names read or written as ``model.<name>`` in a module."""
    return {node.attr for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            and node.value.id == "model"}


@pytest.mark.parametrize("module", sorted(p.name for p in FOLDER.glob("*.py")))
def test_mechanisms_use_only_the_declared_interface(module):
    extra = used_attributes((FOLDER / module).read_text()) - DECLARED
    assert not extra, f"{module} uses model.{sorted(extra)}: declare them in ModelView or don't"


def test_the_model_has_everything_the_interface_declares():
    model = CoordinationModel(small_base(families=200, years=0.3))
    missing = [name for name in DECLARED if not hasattr(model, name)]
    assert not missing


def test_the_check_fails_on_an_undeclared_attribute():
    assert used_attributes("def on_finding(self, model):\n    model.secret = 1\n") - DECLARED == {"secret"}


def test_the_schema_loads_no_behaviour():
    """Validating a scenario imports the parameter blocks only, never a mechanism or the model."""
    code = ("import sys, sim.scenario.params; print(' '.join(m for m in sys.modules if m.startswith('sim')))")
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True).stdout.split())
    behaviour = {f"sim.core.coordination.{p.stem}" for p in FOLDER.glob("*.py")} - {
        "sim.scenario.mechanisms", "sim.scenario.coordination", "sim.scenario.presets",
        "sim.core.coordination.members", "sim.core.coordination.__init__"}
    assert "sim.scenario.mechanisms" in loaded
    assert not loaded & (behaviour | {"sim.core.model", "sim.core.phases"})


def test_every_block_names_its_mechanism():
    """Each parameter block's ``behaviour`` is a Mechanism whose name is the block's kind."""
    from sim.core.coordination.base import Mechanism
    from sim.core.coordination.registry import mechanism_class
    from sim.scenario.mechanisms import KINDS

    for kind in KINDS:
        cls = mechanism_class(kind)
        assert issubclass(cls, Mechanism) and cls.name == kind
