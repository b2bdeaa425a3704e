"""Messages and help of the `sim` command (issue 'Analysts' and trainers' experience', "Messages
and help"): the wrong kind of file is named, --set's form is said, unknown keys get the nearest
known one and are blamed on --set when they came from it, validate lists every problem, report
and reproduce take --quiet, help lists each command on a line and every option's default, Ctrl-C
on a sweep says how to resume; and the test-only scale setting (SIM_TEST_SCALE)."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time

import pytest

from sim.cli import build_parser, main
from sim.errors import ConfigError
from sim.experiments.plan import load_experiment
from sim.scenario.loading import load_scenario, read_with_extends
from tests.conftest import BASE, ROOT

MY_CITY = ROOT / "docs" / "examples" / "my_city.yaml"
MODELS = ROOT / "experiments" / "compare_models.yaml"


def errors(capsys, argv) -> list[str]:
    """Run ``sim argv`` expecting bad input: exit 2, nothing on stdout; the stderr lines."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:  # a usage error from argparse
        code = exc.code
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and "Traceback" not in err
    return err.strip().splitlines()


def test_a_scenario_given_to_sweep_is_named_as_one(capsys, tmp_path):
    (line,) = errors(capsys, ["sweep", MY_CITY, "--out", tmp_path / "o"])
    assert "my_city.yaml: a scenario file, not an experiment" in line
    assert f"sim run {MY_CITY}" in line and "scenario:" in line
    (line,) = errors(capsys, ["run", MODELS, "--quiet"])
    assert "an experiment file, not a scenario" in line and f"sim sweep {MODELS}" in line


def test_set_without_equals_says_the_form(capsys):
    (line,) = errors(capsys, ["run", BASE, "--set", "city.families", "2000"])
    assert "--set key=value" in line and "city.families=2000" in line


def test_an_unknown_key_from_set_names_set_and_the_nearest_key(capsys):
    (line,) = errors(capsys, ["validate", BASE, "--set", "families.awarenes_mean=0.4"])
    assert "--set families.awarenes_mean: unknown key (did you mean awareness_mean?)" in line
    assert str(BASE) not in line
    with pytest.raises(ConfigError, match=r"^--set city.families: .*greater than or equal to 1"):
        load_scenario(BASE, ["city.families=-1"])


def test_an_unknown_key_in_a_file_names_the_file_and_the_nearest_key(tmp_path):
    path = tmp_path / "city.yaml"
    path.write_text(f"extends: {BASE}\nfamilies:\n  awarenes_mean: 0.4\n")
    with pytest.raises(ConfigError) as err:
        load_scenario(path)
    assert str(err.value) == (f"{path}: families.awarenes_mean: unknown key "
                              "(did you mean awareness_mean?)")


def test_validate_lists_every_problem(capsys, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(f"extends: {BASE}\ncity:\n  familes: 3\n  neighbourhods: 4\ntime:\n  years: -1\n")
    lines = errors(capsys, ["validate", path])
    assert len(lines) == 3 and all(str(path) in line for line in lines)
    assert any("city.neighbourhods: unknown key (did you mean neighbourhoods?)" in x for x in lines)
    (line,) = errors(capsys, ["run", path, "--quiet"])  # other commands: the first, and a count
    assert line.endswith("[+2 more; sim validate lists them all]")


@pytest.mark.parametrize("command", ["report", "reproduce"])
def test_report_and_reproduce_take_quiet(capsys, tmp_path, command):
    assert build_parser().parse_args([command, "folder", "--quiet"]).quiet
    (line,) = errors(capsys, [command, tmp_path, "--quiet"])
    assert "not a sweep results folder" in line


def _subparsers(parser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices


def test_help_lists_every_command_on_a_line(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    parser = build_parser()
    lines = parser.format_help().splitlines()
    for name in _subparsers(parser):
        assert any(line.split()[:1] == [name] and len(line.split()) > 2 for line in lines), name


def test_every_option_has_help_and_shows_its_default(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    for name, parser in _subparsers(build_parser()).items():
        formatter = parser._get_formatter()
        for action in parser._actions:
            if not action.option_strings or isinstance(action, argparse._HelpAction):
                continue
            assert action.help, f"sim {name} {action.option_strings[0]}: no help"
            if action.nargs != 0:  # a flag is off unless given
                assert "default" in formatter._get_help_string(action), \
                    f"sim {name} {action.option_strings[0]}: help does not show the default"


@pytest.mark.slow
def test_ctrl_c_on_a_sweep_says_how_to_resume(tmp_path):
    path = tmp_path / "e.yaml"
    path.write_text(f"name: cc\nscenario: {BASE}\nyears: 0.3\nreplications: 4\nseed: 1\nset:\n"
                    "  city.families: 300\n  time.warmup_weeks: 4\n"
                    "factors:\n  coordination: [silos, council]\n")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "sim.cli", "sweep", str(path), "--out", str(out), "--workers", "2",
           "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)  # its own process group, as in a terminal
    deadline = time.monotonic() + 120
    while proc.poll() is None and not list(out.glob("parts/part-*.parquet")):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert proc.poll() is None, "the sweep finished before Ctrl-C"
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the driver and its workers
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert err.strip().endswith("run the same command again to resume")
    assert subprocess.run(cmd, capture_output=True).returncode == 0  # and it does


# ------------------------------------------------------------------ SIM_TEST_SCALE
def test_the_test_scale_cuts_families_and_replications_once(monkeypatch, tmp_path):
    monkeypatch.setenv("SIM_TEST_SCALE", "0.03")
    assert read_with_extends(MY_CITY)["city"]["families"] == 300
    assert load_scenario(BASE, ["city.families=2000"]).city.families == 2000  # --set wins
    plan = load_experiment(MODELS)
    assert plan.spec.replications == 1 and len(plan.runs) == len(plan.arms)
    assert plan.arms[0].config["city"]["families"] == 300
    out = tmp_path / "run"
    assert main(["run", str(BASE), "--years", "0.2", "--quiet", "--out", str(out)]) == 0
    assert load_scenario(out / "config.yaml").city.families == 300  # the rerun: the same city
    monkeypatch.delenv("SIM_TEST_SCALE")
    assert load_experiment(MODELS).spec.replications == 30


@pytest.mark.parametrize("value", ["0", "2", "small"])
def test_a_bad_test_scale_says_so(capsys, monkeypatch, value):
    monkeypatch.setenv("SIM_TEST_SCALE", value)
    (line,) = errors(capsys, ["validate", BASE])
    assert f"SIM_TEST_SCALE={value}: expected a number above 0 and at most 1" in line
