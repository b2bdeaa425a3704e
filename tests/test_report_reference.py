"""The report's comparison never vanishes without a word (issue 'Analysts' and trainers'
experience', item 2)."""

import pytest

from sim.errors import ConfigError
from sim.experiments.plan import load_experiment
from sim.experiments.report import write_report
from sim.experiments.runner import SerialExecutor
from tests.test_sweep import EXPERIMENT, sweep


def swept(tmp_path, arms: str = "[silos, council, shared_registry]", extra: str = ""):
    path = tmp_path / "exp.yaml"
    path.write_text(EXPERIMENT.format(replications=2).replace(
        "[silos, council, shared_registry]", arms) + extra)
    folder = tmp_path / "out"
    sweep(load_experiment(path), folder, SerialExecutor())
    return folder


def test_a_reference_no_arm_runs_is_an_error_naming_the_arms(tmp_path):
    folder = swept(tmp_path)
    with pytest.raises(ConfigError, match=r"'council_x' is not .* \(arms: silos, council, "
                                          r"shared_registry\)"):
        write_report(folder, reference="council_x")
    text = write_report(folder, reference="council").read_text()
    assert "paired differences against `council`" in text


def test_without_a_silos_arm_the_first_arm_is_the_reference_and_the_report_says_so(tmp_path):
    folder = swept(tmp_path, "[council, shared_registry]")
    text = write_report(folder).read_text()
    assert "no silos arm in this sweep: the differences are against council" in text
    assert "## Paired differences against the reference arm" in text
    assert (folder / "figures" / "differences.png").exists()


def test_a_rewritten_report_removes_the_figures_it_no_longer_draws(tmp_path):
    folder = swept(tmp_path, extra="timeseries: []\n")
    write_report(folder)
    stale = folder / "figures" / "timeseries.png"  # this sweep records no time series
    stale.write_bytes(b"an earlier report's figure")
    write_report(folder)
    assert not stale.exists()
    assert (folder / "figures" / "metric_by_arm.png").exists()
