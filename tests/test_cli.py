"""The `sim` command: outputs, determinism, and one-line errors with exit code 2."""

import json
import subprocess
import sys

import pytest

from sim.cli import main
from sim.core.metrics import METRIC_NAMES
from tests.conftest import BASE

SMALL = ["--set", "city.families=800", "--steps", "40", "--set", "time.warmup_weeks=8", "--quiet"]


def sim(*args, check=True):
    return subprocess.run([sys.executable, "-m", "sim.cli", *map(str, args)],
                          capture_output=True, text=True, check=check)


def test_run_writes_the_four_files(tmp_path):
    out = tmp_path / "r"
    assert main(["run", str(BASE), *SMALL, "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    for name in METRIC_NAMES:
        assert name in summary
    assert "coverage.child_protection" in summary
    manifest = json.loads((out / "manifest.json").read_text())
    assert {"seed", "packages", "git_commit", "config_hash", "wall_seconds"} <= set(manifest)
    lines = (out / "timeseries.csv").read_text().splitlines()
    assert len(lines) == 1 + 8 + 40  # header, warm-up weeks, measured weeks
    assert "families: 800" in (out / "config.yaml").read_text()


def test_same_seed_gives_identical_summary_and_other_seed_differs(tmp_path):
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        assert main(["run", str(BASE), *SMALL, "--seed", str(seed), "--out", str(tmp_path / name)]) == 0
    a, b, c = ((tmp_path / n / "summary.json").read_bytes() for n in "abc")
    assert a == b
    assert a != c
    s = json.loads(a)
    assert s["total_cost"] == pytest.approx(s["service_cost"] + s["assessment_cost"] + s["coordination_cost"])


def test_resolved_config_reproduces_the_run(tmp_path):
    assert main(["run", str(BASE), *SMALL, "--out", str(tmp_path / "a")]) == 0
    assert main(["run", str(tmp_path / "a" / "config.yaml"), "--quiet", "--out", str(tmp_path / "b")]) == 0
    assert (tmp_path / "a" / "summary.json").read_bytes() == (tmp_path / "b" / "summary.json").read_bytes()


SLOW = pytest.mark.slow  # each case is a fresh process (~2 s); one stays in the quick loop


@pytest.mark.parametrize("args", [
    ["run", "missing.yaml"],
    pytest.param(["run", BASE, "--set", "city.families=-1"], marks=SLOW),
    pytest.param(["run", BASE, "--set", "city.nope=1"], marks=SLOW),
    pytest.param(["run", BASE, "--set", "junk"], marks=SLOW),
    pytest.param(["run", BASE, "--coordination", "anarchy"], marks=SLOW),
    pytest.param(["run", BASE, "--steps", "0"], marks=SLOW),
    pytest.param(["run", BASE, "--seed", "x"], marks=SLOW),
    pytest.param(["validate", "missing.yaml"], marks=SLOW),
    pytest.param(["frobnicate"], marks=SLOW),
])
def test_bad_input_is_one_line_and_exit_2(args):
    done = sim(*args, check=False)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert done.stdout == ""


@pytest.mark.slow
def test_bad_input_does_not_touch_earlier_results(tmp_path):
    out = tmp_path / "r"
    assert main(["run", str(BASE), *SMALL, "--out", str(out)]) == 0
    before = (out / "summary.json").read_bytes()
    assert sim("run", BASE, "--set", "city.families=-1", "--out", out, check=False).returncode == 2
    assert (out / "summary.json").read_bytes() == before


@pytest.mark.slow
def test_list_coordination_names_every_preset():
    from sim.scenario.mechanisms import SUMMARIES
    from sim.scenario.presets import PRESETS

    out = sim("run", "--list-coordination").stdout
    for name in PRESETS:
        assert name in out
    for name, text in SUMMARIES.items():  # each mechanism's one description
        assert name in out and text.split()[0] in out


@pytest.mark.parametrize("preset", ["silos", "council", "full_integration"])
def test_run_with_a_preset(tmp_path, preset):
    assert main(["run", str(BASE), *SMALL, "--coordination", preset, "--out", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert (summary["coordination_cost"] > 0) == (preset != "silos")
    assert "coordination: {}" not in (tmp_path / "config.yaml").read_text()


def test_validate_reports_a_valid_file():
    done = sim("validate", BASE)
    assert "valid scenario" in done.stdout
