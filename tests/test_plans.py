"""Experiment plans: runs counted (and huge plans refused) before anything is built; sampled
integers and resolved duplicate arms refused in one line."""

import time

import pytest
import yaml

from sim.cli import main
from sim.errors import ConfigError
from sim.experiments.plan import DEFAULT_MAX_RUNS, count_runs, load_experiment
from tests.conftest import BASE

LEVELS = [round(0.1 + i / 2000, 6) for i in range(1000)]


def write(tmp_path, data, name="e.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def experiment(**changes):
    return {"name": "e", "scenario": str(BASE), "replications": 2,
            "factors": {"coordination": ["silos", "council"]}} | changes


@pytest.mark.parametrize(("changes", "runs"), [
    ({"replications": 10_000, "factors": {"families.seek_probability": LEVELS}}, 10_000_000),
    ({"sample": {"n": 1_000_000, "parameters": {"families.trust_mean": {"low": 0.1, "high": 0.9}}}},
     4_000_000),
    ({"sensitivity": {"method": "morris", "n": 100_000, "parameters": {
        "families.trust_mean": {"low": 0.1, "high": 0.9},
        "families.seek_probability": {"low": 0.1, "high": 0.9}}}}, 1_200_000),
    ({"scenario": [str(BASE)] * 3, "replications": 40_000}, 240_000),
])
def test_huge_plans_are_refused_with_their_count_at_once(tmp_path, capsys, changes, runs):
    path = write(tmp_path, experiment(**changes))
    for command in (["validate", str(path)], ["sweep", str(path), "--out", str(tmp_path / "o")]):
        started = time.perf_counter()
        assert main(command) == 2
        assert time.perf_counter() - started < 5
        out, err = capsys.readouterr()
        assert err.startswith(f"sim {command[0]}: error: {path}: max_runs: {runs:,} runs planned (")
        assert err.endswith(f"expected at most {DEFAULT_MAX_RUNS:,} (raise max_runs in the file, "
                            "or --max-runs, to run more)\n")
        assert len(err.splitlines()) == 1
        assert out == ""
    assert not (tmp_path / "o").exists()


def test_the_run_limit_is_set_in_the_file_or_by_the_caller(tmp_path):
    path = write(tmp_path, experiment(max_runs=3))
    with pytest.raises(ConfigError, match="4 runs planned"):
        load_experiment(path)
    assert len(load_experiment(path, max_runs=4).runs) == 4
    assert len(load_experiment(write(tmp_path, experiment(max_runs=4))).runs) == 4
    assert "max_runs" not in load_experiment(path, max_runs=4).to_json()["experiment"]


def test_the_count_is_the_plans_length(tmp_path):
    from sim.experiments.plan import ExperimentSpec

    data = experiment(scenario=[str(BASE), str(BASE.parent / "high_income_city.yaml")],
                      factors={"coordination": ["silos", "council"], "city.families": [300, 400]},
                      sample={"n": 3, "parameters": {"families.trust_mean": {"low": 0.1, "high": 0.9}}})
    assert count_runs(ExperimentSpec.model_validate(data)) == len(load_experiment(write(tmp_path, data)).runs)


@pytest.mark.parametrize(("design", "expected"), [
    ({"sample": {"n": 4, "parameters": {"city.families": {"low": -1e308, "high": 1e308}},
                 "integer": ["city.families"]}}, "sample.parameters.city.families"),
    ({"sample": {"n": 4, "parameters": {"city.families": {"low": 1e200, "high": 1e300}},
                 "integer": ["city.families"]}}, "integer parameters need bounds within"),
    ({"sample": {"n": 4, "parameters": {"families.trust_mean": {"low": 0.1, "high": 0.9}},
                 "integer": ["city.families"]}}, "integer names 'city.families', which is not in parameters"),
    ({"sensitivity": {"method": "morris", "n": 4, "integer": ["city.families"], "parameters": {
        "families.trust_mean": {"low": 0.1, "high": 0.9},
        "families.seek_probability": {"low": 0.1, "high": 0.9}}}},
     "integer names 'city.families', which is not in parameters"),
])
def test_bad_integer_designs_are_refused_in_one_line(tmp_path, capsys, design, expected):
    path = write(tmp_path, experiment(**design))
    assert main(["validate", str(path)]) == 2
    _, err = capsys.readouterr()
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert expected in err and str(path) in err


def test_arms_equal_once_resolved_are_refused_naming_the_factor(tmp_path):
    path = write(tmp_path, experiment(factors={"coordination": ["silos"],
                                               "families.seek_probability": [1, 1.0]}))
    with pytest.raises(ConfigError) as err:
        load_experiment(path)
    assert str(err.value) == (f"{path}: factors.families.seek_probability: values 1 and 1.0 give the "
                              "same configuration")
