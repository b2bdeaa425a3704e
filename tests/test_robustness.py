"""`sim robustness`: the ranking of ways of working over each assumed parameter's plausible range.

One tiny study (300 families, a few weeks, a council against a case conference, 4 replications)
is run once and read by several tests; a second run into another folder checks determinism.
"""

from __future__ import annotations

import io
import json
import re
import sys

import pytest
import yaml

from sim.cli import main
from sim.experiments.robustness import load_study
from sim.experiments.store import ResultStore
from sim.scenario.ranges import ASSUMED
from tests.conftest import BASE

# the council's staff time is deterministic; at 2 an hour it costs less than a case conference,
# at 43 more: this assumed parameter must flip the ranking on coordination cost
FLIPS = "coordination.council.staff_hour_cost"
UNUSED = "coordination.integrated_platform.warm_referral_completion"  # no arm runs a platform
ARGS = ["--parameters", f"{FLIPS},{UNUSED}", "--metric", "coordination_cost",
        "--replications", "4", "--steps", "3", "--workers", "1", "--quiet"]


def experiment(folder, **changes) -> str:
    path = folder / "tiny.yaml"
    data = {"name": "tiny", "scenario": str(BASE), "years": 0.3, "replications": 2, "seed": 1,
            "set": {"city.families": 300, "time.warmup_weeks": 2},
            "factors": {"coordination": ["council", "case_conference"]}} | changes
    path.write_text(yaml.safe_dump(data))
    return str(path)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """The tiny study run once: (folder, stderr, summary, experiment file)."""
    folder = tmp_path_factory.mktemp("robustness")
    path = experiment(folder)
    capture = pytest.MonkeyPatch()
    err = io.StringIO()
    capture.setattr(sys, "stderr", err)
    try:
        assert main(["robustness", path, *ARGS, "--out", str(folder / "out")]) == 0
    finally:
        capture.undo()
    return folder / "out", err.getvalue(), json.loads((folder / "out" / "robustness.json")
                                                      .read_text()), path


def test_the_run_count_is_announced_and_bounds_the_runs_done(study):
    out, err, summary, _ = study
    announced = int(re.search(r"at most ([\d,]+) runs", err).group(1).replace(",", ""))
    done = len(ResultStore(out).read(["status"]))
    assert announced == summary["runs"]["announced_at_most"]
    assert 0 < done == summary["runs"]["used"] <= announced


def test_a_parameter_no_way_of_working_uses_holds_without_runs(study):
    _, _, summary, _ = study
    (found,) = [p for p in summary["parameters"] if p["key"] == UNUSED]
    assert found["holds"] and found["applies_to"] == [] and found["flips"] == []
    assert "holds for all plausible values" in found["sentence"]


def test_a_parameter_that_must_flip_the_ranking_is_found_flipping(study):
    out, _, summary, _ = study
    (found,) = [p for p in summary["parameters"] if p["key"] == FLIPS]
    assert not found["holds"] and found["applies_to"] == ["council"]
    (flip,) = found["flips"]
    low, high = ASSUMED[FLIPS].low, ASSUMED[FLIPS].high
    assert low < flip["between"][0] <= flip["value"] <= flip["between"][1] < high
    assert flip["moves"] == [{"above": "case conference", "below": "council"}]
    text = (out / "robustness.md").read_text()
    assert f"flips when {FLIPS} exceeds" in text and "case conference moves above council" in text
    assert summary["keep_their_rank"] == []
    assert (out / "robustness.png").stat().st_size > 0


def test_the_same_inputs_give_the_same_report(study, tmp_path):
    out, _, summary, path = study
    assert main(["robustness", path, *ARGS, "--out", str(tmp_path / "again")]) == 0
    assert json.loads((tmp_path / "again" / "robustness.json").read_text()) == summary
    first, second = ((folder / "robustness.md").read_text().splitlines()[:-1]
                     for folder in (out, tmp_path / "again"))
    assert first == second  # all but the last line, which names the command (and its --out)


def test_a_second_run_into_the_folder_reuses_its_runs(study, capsys):
    out, _, summary, path = study
    before = len(ResultStore(out).read(["status"]))
    assert main(["robustness", path, *ARGS, "--out", str(out)]) == 0
    assert len(ResultStore(out).read(["status"])) == before
    assert json.loads((out / "robustness.json").read_text()) == summary


def test_the_default_parameters_are_those_of_the_mechanisms_compared(tmp_path):
    found = load_study(experiment(tmp_path)).parameters
    assert "coordination.council.active_share" in found
    assert "coordination.case_conference.attendance" in found
    assert "families.seek_probability" in found
    assert not any(k.startswith("coordination.integrated_platform.") for k in found)
    assert all(ASSUMED[k].grade in ("assumption", "calibrated") for k in found)


@pytest.mark.parametrize(("extra", "changes", "expected"), [
    (["--parameters", "families.no_such_key"], {}, "families.no_such_key: not an assumed"),
    (["--parameters", "funding.budget_scale"], {}, "graded design, not an assumption"),
    (["--parameters", f"{FLIPS},{FLIPS}"], {}, "named twice"),
    (["--parameters", "families.seek_probability"],
     {"factors": {"coordination": ["silos", "council"], "families.seek_probability": [0.3, 0.4]}},
     "is a factor"),
    (["--replications", "1"], {"replications": 1}, "--replications: expected at least 2"),
    (["--metric", "no_such_metric"], {}, "--metric: 'no_such_metric' is not a metric"),
    ([], {"factors": {"coordination": ["council"]}}, "one arm only"),
])
def test_bad_input_gets_a_one_line_error(tmp_path, capsys, extra, changes, expected):
    path = experiment(tmp_path, **changes)
    code = main(["robustness", path, *extra, "--out", str(tmp_path / "o"), "--quiet"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    (line,) = err.strip().splitlines()
    assert line.startswith("sim robustness: error:") and expected in line, line
    assert not (tmp_path / "o").exists()


def test_the_report_says_which_results_rest_on_assumptions(tmp_path):
    from sim.experiments.plan import load_experiment
    from sim.experiments.report import _assumptions

    path = experiment(tmp_path)
    text = "\n".join(_assumptions(load_experiment(path)))
    assert "## What rests on assumptions" in text and f"`sim robustness {path}`" in text
    assert "council: " in text and "active share" in text and "case conference: " in text
    assert "integrated platform" not in text  # no arm runs a platform
    assert "referral wait scale weeks (calibrated)" in text


def test_every_plausible_range_is_a_valid_scenario_value():
    """Both ends of every range pass the scenario's validation (every mechanism switched on)."""
    from sim.scenario.loading import load_scenario

    for key, declared in ASSUMED.items():
        for end in (declared.low, declared.high):
            value = int(end) if declared.integer else end
            load_scenario(BASE, ["coordination.model=full_integration", f"{key}={value}"])
