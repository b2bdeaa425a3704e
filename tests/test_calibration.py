"""`sim calibrate`: parameter recovery, determinism (workers, interruption), targets-file errors,
and sweeps that draw parameter sets from a calibration's accepted set (``posterior:``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from sim.cli import main
from sim.experiments.calibration import (
    CalibrationStore,
    load_calibration,
    run_calibration,
    write_outputs,
)
from sim.experiments.plan import replication_seeds
from sim.experiments.report_text import metric_label
from sim.experiments.runner import SerialExecutor, make_executor, simulate
from sim.scenario.loading import load_scenario

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "scenarios" / "base.yaml"
SMALL = {"city.families": 400, "time.years": 0.7, "time.warmup_weeks": 6}
TRUTH = {"families.seek_probability": 0.42, "funding.budget_scale": 1.3}
BOUNDS = {"families.seek_probability": {"low": 0.2, "high": 0.6},
          "funding.budget_scale": {"low": 0.6, "high": 2.0, "log": True}}
METRICS = ("needs_met", "coverage.health", "unspent_budget_share", "total_cost")
SEED = 5
REPLICATIONS = 2
TOLERANCE = 0.2  # of each parameter's searched range


def model_targets(replications: int = REPLICATIONS, seed: int = SEED) -> list[dict]:
    """Targets made by the model itself at TRUTH, on the calibration's own seeds (a 5% se)."""
    sets = [f"{k}={v}" for k, v in {**SMALL, **TRUTH}.items()]
    config = load_scenario(BASE, sets).model_dump(mode="json")
    runs = [simulate(config, s, []) for s in replication_seeds(seed, replications)]
    out = []
    for metric in METRICS:
        value = sum(r[metric] for r in runs) / len(runs)
        out.append({"metric": metric, "value": value, "se": 0.05 * abs(value),
                    "source": "the model at known parameters"})
    return out


def write_targets(folder: Path, targets: list[dict], **more) -> Path:
    data = {"name": "recovery", "seed": SEED, "batch": 6, "targets": targets,
            "parameters": BOUNDS, "fixed": SMALL, **more}
    path = folder / "targets.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def calibrate(targets: Path, out: Path, trials: int, workers: int = 1, executor=None):
    cal = load_calibration(str(BASE), str(targets), trials, REPLICATIONS)
    executor = executor or make_executor("local", workers)
    try:
        run_calibration(cal, CalibrationStore(out), executor)
    finally:
        executor.close()
    return cal, write_outputs(cal, out)


@pytest.fixture(scope="module")
def recovery(tmp_path_factory):
    """A 30-trial calibration to targets the model made at TRUTH, on 2 workers."""
    folder = tmp_path_factory.mktemp("calibration")
    targets = write_targets(folder, model_targets())
    cal, outcome = calibrate(targets, folder / "out", trials=30, workers=2)
    return folder, targets, cal, outcome


def test_parameters_are_recovered_within_tolerance(recovery):
    _, _, cal, outcome = recovery
    for key, truth in TRUTH.items():
        width = BOUNDS[key]["high"] - BOUNDS[key]["low"]
        assert abs(outcome.best[key] - truth) <= TOLERANCE * width, (key, outcome.best[key])
        near = TOLERANCE * width  # the accepted set reaches the truth, within the tolerance
        assert outcome.accepted[key].min() - near <= truth <= outcome.accepted[key].max() + near
    assert len(outcome.accepted) >= 1
    files = {p.name for p in outcome.files}
    assert {"trials.parquet", "posterior.parquet", "calibrated.yaml", "calibration.md",
            "fit.png", "trial_history.png", "parameters.png"} <= files


def test_calibrated_yaml_extends_the_scenario_with_the_fitted_keys(recovery):
    _, _, cal, outcome = recovery
    path = outcome.folder / "calibrated.yaml"
    text = path.read_text()
    assert text.startswith("# Calibrated from") and "targets.yaml" in text and "distance" in text
    data = yaml.safe_load(text)
    assert set(data) == {"extends", "families", "funding", "city", "time"}
    scenario = load_scenario(path)
    assert scenario.families.seek_probability == pytest.approx(outcome.best["families.seek_probability"])
    assert scenario.city.families == SMALL["city.families"]


def test_one_and_two_workers_and_an_interruption_give_the_same_trials(recovery, tmp_path):
    folder, targets, _, outcome = recovery
    cal = load_calibration(str(BASE), str(targets), 12, REPLICATIONS)

    out = tmp_path / "serial"
    with pytest.raises(KeyboardInterrupt):  # 12 trials asked, cut in the middle of batch 2
        run_calibration(cal, CalibrationStore(out), _Cut(18))
    run_calibration(cal, CalibrationStore(out), SerialExecutor())  # the same command again
    again = write_outputs(cal, out)
    # 2 workers, 30 trials (the fixture) and 1 worker, 12 trials, interrupted: the same 12 first
    # trials (a trial depends only on the seed and the trials before it)
    pd.testing.assert_frame_equal(again.trials, outcome.trials.head(12))
    recorded = CalibrationStore(out).read()
    assert len(recorded) == (12 + 1) * REPLICATIONS  # every run once


class _Cut(SerialExecutor):
    """A serial executor that is interrupted after ``after`` runs."""

    def __init__(self, after: int):
        self.after = after

    def map_unordered(self, fn, tasks):
        for row in super().map_unordered(fn, tasks):
            if self.after == 0:
                raise KeyboardInterrupt
            self.after -= 1
            yield row


BAD_TARGETS = {
    "targets.0.metric: unknown metric 'coverge'": lambda d: d["targets"][0].update(metric="coverge"),
    "targets.0.sector: unknown sector 'helth'": lambda d: d["targets"][0].update(sector="helth"),
    "parameters.families.seek_probabilty: unknown key": lambda d: d["parameters"].update(
        {"families.seek_probabilty": {"low": 0.1, "high": 0.2}}),
    "parameters.sectors.helth.need_rate_per_year: unknown key": lambda d: d["parameters"].update(
        {"sectors.helth.need_rate_per_year": {"low": 0.1, "high": 0.2}}),
    "parameters.families: names a section": lambda d: d["parameters"].update(
        {"families": {"low": 0.1, "high": 0.2}}),
    "parameters.families.seek_probability: empty bounds": lambda d: d["parameters"].update(
        {"families.seek_probability": {"low": 0.3, "high": 0.3}}),
    "parameters.families.seek_probability: high 1.5 is outside the key's own limits":
        lambda d: d["parameters"].update({"families.seek_probability": {"low": 0.3, "high": 1.5}}),
    "parameters.funding.budget_scale: log: true needs low > 0": lambda d: d["parameters"].update(
        {"funding.budget_scale": {"low": 0, "high": 2, "log": True}}),
    "targts: unknown key": lambda d: d.update(targts=[]),
    "parameters.city.neighbourhoods: integer: no whole number between": lambda d: d[
        "parameters"].update({"city.neighbourhoods": {"low": 10.2, "high": 10.8, "integer": True}}),
    "targets.0: expected range: [low, high], or value with se": lambda d: d["targets"][0].pop("se"),
    "fixed.city.familes: unknown key": lambda d: d["fixed"].update({"city.familes": 3}),
    "parameters: Dictionary should have at least 1 item": lambda d: d.update(parameters={}),
}


@pytest.mark.parametrize("expected", list(BAD_TARGETS))
def test_a_bad_targets_file_is_one_line_naming_the_key_exit_2(expected, tmp_path, capsys):
    targets = [{"metric": "coverage", "value": 0.3, "se": 0.05, "source": "s"}]
    data = yaml.safe_load(write_targets(tmp_path, targets).read_text())
    BAD_TARGETS[expected](data)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    code = main(["calibrate", str(BASE), str(path), "--trials", "1", "--workers", "1", "--quiet",
                 "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"sim calibrate: error: {path}: {expected}"), err
    assert not (tmp_path / "out").exists()  # refused before anything ran


def test_an_empty_accepted_set_is_an_error_saying_how_to_widen_it(tmp_path, capsys):
    targets = [{"metric": "needs_met", "value": 1e6, "se": 1.0, "source": "impossible"}]
    path = write_targets(tmp_path, targets, batch=2)
    code = main(["calibrate", str(BASE), str(path), "--trials", "2", "--replications", "1",
                 "--workers", "1", "--quiet", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "no trial lies within every target's 95% interval" in err
    assert "more --trials, wider bounds" in err
    assert (tmp_path / "out" / "calibration.md").exists()
    assert not (tmp_path / "out" / "posterior.parquet").exists()
    # the same folder with other targets is refused
    other = write_targets(tmp_path, [{**targets[0], "value": 5.0}], batch=2)
    assert main(["calibrate", str(BASE), str(other), "--trials", "2", "--replications", "1",
                 "--workers", "1", "--quiet", "--out", str(tmp_path / "out")]) == 2
    assert "holds a different calibration" in capsys.readouterr().err


def test_a_sweep_draws_parameters_from_the_posterior_and_reports_their_share(recovery, tmp_path):
    folder, _, cal, outcome = recovery
    experiment = {"name": "with_posterior", "scenario": str(BASE), "replications": 6,
                  "years": SMALL["time.years"], "seed": 3, "posterior": str(outcome.folder),
                  "set": {"city.families": SMALL["city.families"],
                          "time.warmup_weeks": SMALL["time.warmup_weeks"]},
                  "factors": {"coordination": ["silos", "council"]}}
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(experiment))
    out = tmp_path / "sweep"
    assert main(["sweep", str(path), "--workers", "2", "--quiet", "--out", str(out),
                 "--report"]) == 0
    runs = CalibrationStore(out).read()
    accepted = {tuple(r) for r in outcome.accepted[list(TRUTH)].itertuples(index=False)}
    for _, group in runs.groupby("replication"):  # one parameter set per replication, every arm
        assert group[list(TRUTH)].drop_duplicates().shape[0] == 1
        assert tuple(group.iloc[0][list(TRUTH)]) in accepted
    assert (runs.groupby("draw")["replication"].nunique() == 2).all()
    report = (out / "report.md").read_text()
    assert "from parameters" in report and "parameters drawn from the calibration" in report
    assert "| difference [95% CI] | relative | from parameters |" in report
    shares = [float(cell.strip().rstrip("%")) for line in report.splitlines()
              if line.startswith(f"| {metric_label('total_cost')} |") for cell in [line.split("|")[-2]]]
    assert shares and max(shares) > 0
    assert main(["reproduce", str(out), "--sample", "2"]) == 0  # the draws are in the plan


@pytest.mark.parametrize("change, expected", [
    ({"factors": {"families.seek_probability": [0.3, 0.4]}},
     "posterior: families.seek_probability is fitted by the calibration and also set or varied"),
    ({"posterior": "no_such_folder"}, "posterior: no_such_folder is not a finished calibration"),
])
def test_a_bad_posterior_is_one_line(recovery, tmp_path, change, expected):
    from sim.errors import ConfigError
    from sim.experiments.plan import load_experiment

    _, _, _, outcome = recovery
    experiment = {"name": "bad", "scenario": str(BASE), "replications": 2,
                  "years": SMALL["time.years"], "posterior": str(outcome.folder),
                  "set": {"city.families": 300, "time.warmup_weeks": 6}, **change}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(experiment))
    with pytest.raises(ConfigError, match=expected):
        load_experiment(path)


def test_a_target_over_a_window_of_years_is_measured_by_runs_of_its_own(tmp_path):
    targets = [{"metric": "needs_met", "value": 50.0, "se": 5.0, "source": "s"},
               {"metric": "needs_met", "years": [0.5, 1.5], "value": 60.0, "se": 5.0, "source": "s"}]
    cal = load_calibration(str(BASE), str(write_targets(tmp_path, targets)), 1, 1)
    assert cal.windows == [None, (0.5, 1.5)]
    plain, window = (load_scenario_dict(c) for c in cal.configs)
    assert window.time.warmup_weeks == plain.time.warmup_weeks + 26
    assert window.time.steps - window.time.warmup_weeks == 52


def load_scenario_dict(config: dict):
    from sim.scenario.loading import scenario_from_dict

    return scenario_from_dict(config, "test")


def test_validate_recognises_a_targets_file(capsys):
    assert main(["validate", str(ROOT / "experiments" / "targets" / "calibrate_base.yaml")]) == 0
    assert "valid targets file (3 targets, 3 parameters)" in capsys.readouterr().out
