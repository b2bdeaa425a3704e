"""Mechanisms use the model only through the written interface (``ModelView``), so a mechanism's
author reads that, not the model."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import sim.coordination
from sim.coordination.base import ModelView
from sim.model import CoordinationModel
from tests.conftest import small_base

FOLDER = Path(sim.coordination.__file__).parent
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
