"""Regression: the canonical scenarios' summaries at fixed seeds stay what they were.

An intended change of the model's behaviour is recorded with `make baseline` (review the diff).
"""

import json
import math
from pathlib import Path

import pytest

from sim.experiments.baseline import BASELINES, baseline_summary

REFERENCE = Path(__file__).resolve().parent.parent / "results" / "reference"


@pytest.mark.parametrize("name", list(BASELINES))
def test_summary_matches_baseline(name):
    expected = json.loads((REFERENCE / f"{name}.json").read_text())
    actual = baseline_summary(name)
    assert set(actual) == set(expected)
    for key, value in expected.items():
        if value is None:
            assert math.isnan(actual[key]), key
        else:
            assert actual[key] == pytest.approx(value, rel=1e-9, abs=1e-9), (
                f"{key} moved from the baseline; if intended, run `make baseline`")
