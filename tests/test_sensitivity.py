"""Sensitivity designs (SALib): validated blocks, deterministic arms, `sim sensitivity` end to end."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.cli import main
from sim.errors import ConfigError
from sim.experiments.plan import load_experiment
from tests.conftest import BASE

pytest.importorskip("SALib")

EXPERIMENT = f"""
# Question: a tiny sensitivity design for the tests
name: tiny_sensitivity
scenario: {BASE}
years: 0.6
replications: 2
seed: 5
set:
  city.families: 300
  time.warmup_weeks: 6
"""

MORRIS = """
sensitivity:
  method: morris
  n: 3
  parameters:
    families.seek_probability: {low: 0.2, high: 0.5}
    families.patience_weeks: {low: 3, high: 12}
    families.travel_km_scale: {low: 2, high: 8}
  integer: [families.patience_weeks]
  metrics: [coverage, duplication_rate, total_cost]
"""

SOBOL = """
factors:
  coordination: [silos, shared_registry]
sensitivity:
  method: sobol
  n: 4
  parameters:
    families.seek_probability: {low: 0.2, high: 0.5}
    families.travel_km_scale: {low: 2, high: 8}
  metrics: [coverage, coordination_cost]
"""


def write(tmp_path, block: str, name: str = "exp.yaml"):
    path = tmp_path / name
    path.write_text(EXPERIMENT + block)
    return path


def test_morris_design_is_arms_with_deterministic_ids(tmp_path):
    plan = load_experiment(write(tmp_path, MORRIS))
    assert len(plan.arms) == 3 * (3 + 1) and len(plan.runs) == 2 * len(plan.arms)
    assert [a.point for a in plan.arms] == list(range(len(plan.arms)))
    again = load_experiment(write(tmp_path, MORRIS, "again.yaml"))
    assert [a.arm_id for a in plan.arms] == [a.arm_id for a in again.arms]
    patience = {a.values["families.patience_weeks"] for a in plan.arms}
    assert patience <= {3, 6, 9, 12} and all(isinstance(v, int) for v in patience)
    seek = [a.values["families.seek_probability"] for a in plan.arms]
    assert min(seek) >= 0.2 and max(seek) <= 0.5
    assert plan.arms[0].config["families"]["seek_probability"] == seek[0]  # the value is run


def test_sobol_design_size_and_factor_groups(tmp_path):
    plan = load_experiment(write(tmp_path, SOBOL))
    assert len(plan.arms) == 2 * 4 * (2 + 2)  # coordination x n x (d + 2)
    assert {a.values["coordination"] for a in plan.arms} == {"silos", "shared_registry"}


@pytest.mark.parametrize(("block", "message"), [
    (MORRIS.replace("method: morris", "method: sobol"), "power of two"),
    (MORRIS.replace("metrics: [coverage,", "metrics: [happiness,"), "unknown metric 'happiness'"),
    (MORRIS.replace("integer: [families.patience_weeks]", "integer: [x.y]"), "not in parameters"),
    (MORRIS.replace("families.travel_km_scale", "coordination"), "make it a factor"),
    (MORRIS + "sample:\n  n: 4\n  parameters:\n    city.extent_km: {low: 5, high: 9}\n",
     "cannot be combined"),
    (MORRIS.replace("families.travel_km_scale", "families.no_such_key"), "no_such_key: unknown key"),
    (MORRIS.replace("{low: 2, high: 8}", "{low: 8, high: 2}"), "low < high"),
])
def test_bad_sensitivity_blocks_are_refused(tmp_path, block, message):
    with pytest.raises(ConfigError, match=message):
        load_experiment(write(tmp_path, block))


@pytest.mark.slow
def test_sensitivity_command_morris_end_to_end(tmp_path, capsys):
    exp = write(tmp_path, MORRIS)
    out = tmp_path / "out"
    assert main(["sensitivity", str(exp), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    assert "24 runs ok" in capsys.readouterr().out
    table = pd.read_csv(out / "sensitivity.csv")
    assert len(table) == 3 * 3  # metrics x parameters
    assert {"mu_star", "mu_star_conf", "mu", "sigma", "rank"} <= set(table.columns)
    assert (table["mu_star"] >= 0).all() and table["mu_star_conf"].notna().all()
    for _, t in table.groupby("metric"):
        assert list(t["rank"]) == sorted(t["rank"])  # listed by rank
        assert t["mu_star"].is_monotonic_decreasing
    coverage = table[table["metric"] == "coverage"]
    assert coverage["mu_star"].max() > 0  # the parameters do move coverage
    text = (out / "sensitivity.md").read_text()
    assert "| rank | parameter | mu* [95% CI] | mu | sigma |" in text
    assert "## coverage (share)" in text and "`families.seek_probability`" in text
    assert (out / "figures" / "sensitivity.png").stat().st_size > 5000
    # the runs went through the sweep runner: a second call resumes and runs nothing
    assert main(["sensitivity", str(exp), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    assert "0 run now" in capsys.readouterr().out


@pytest.mark.slow
def test_sensitivity_command_sobol_per_coordination_model(tmp_path):
    exp = write(tmp_path, SOBOL)
    out = tmp_path / "out"
    assert main(["sensitivity", str(exp), "--out", str(out), "--workers", "2", "--quiet"]) == 0
    table = pd.read_csv(out / "sensitivity.csv")
    assert {"ST", "ST_conf", "S1", "S1_conf"} <= set(table.columns)
    assert set(table["group"]) == {"coordination=silos", "coordination=shared_registry"}
    # silos has no coordination cost at all: nothing to attribute
    text = (out / "sensitivity.md").read_text()
    assert "coordination_cost — coordination=shared_registry" in text
    assert "coordination=silos, coordination_cost" in text or \
        "coordination_cost — coordination=silos" in text


def test_sweep_folder_without_sensitivity_is_refused(tmp_path, capsys):
    plain = tmp_path / "plain.yaml"
    plain.write_text(EXPERIMENT + "factors:\n  coordination: [silos]\n")
    assert main(["sensitivity", str(plain), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    assert "no sensitivity: block" in capsys.readouterr().err


def test_real_design_validates():
    plan = load_experiment(BASE.parent.parent / "experiments" / "sensitivity_morris.yaml")
    spec = plan.spec.sensitivity
    assert spec.method == "morris" and len(spec.parameters) == 6
    assert len(plan.arms) == spec.n * 7 and plan.spec.replications >= 2
