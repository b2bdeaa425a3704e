"""Memory: a run's need is estimated from its sizes before anything is built, and a run (or a
sweep's workers together) that would not fit is refused in one line."""

import json
import resource
import subprocess
import sys
import time

import pytest
import yaml

from sim.cli import main
from sim.scenario.limits import available_memory, estimate, parse_size
from sim.scenario.loading import load_scenario
from tests.conftest import BASE, ROOT

# the peak resident memory of the run's own process image: /proc's VmHWM (``ru_maxrss`` would
# also count the parent's memory at the fork, which Linux keeps across exec: the same run read
# 251 MB alone and 544 MB from a test process that had grown)
MEASURE = """
import json, sys
from sim.scenario.loading import load_scenario
from sim.core.model import CoordinationModel
model = CoordinationModel(load_scenario(sys.argv[1], sys.argv[2:]))
model.run(6)
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
print(json.dumps(int(status["VmHWM"].split()[0]) * 1024))
"""


def one_line_refusal(capsys, args, *expected):
    started = time.perf_counter()
    assert main(args) == 2
    assert time.perf_counter() - started < 10  # refused from the sizes, nothing built
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    for text in expected:
        assert text in err, err
    return err


@pytest.mark.parametrize(("sets", "key"), [
    (["city.families=20000000"], "city.families"),
    (["city.neighbourhoods=10000"], "city.neighbourhoods"),
])
def test_runs_too_big_for_the_memory_are_refused_before_building(tmp_path, capsys, sets, key):
    args = [a for s in sets for a in ("--set", s)] + ["--max-memory", "2GB"]
    err = one_line_refusal(capsys, ["run", str(BASE), *args, "--out", str(tmp_path / "o")],
                           f"sim run: error: {BASE}: {key}: about ",
                           "of memory needed, more than the 2.0 GB allowed by --max-memory")
    assert not (tmp_path / "o").exists()
    assert one_line_refusal(capsys, ["validate", str(BASE), *args]) == err.replace("run", "validate", 1)


def test_a_sweep_counts_every_worker(tmp_path, capsys):
    path = tmp_path / "e.yaml"
    path.write_text(yaml.safe_dump({"name": "e", "scenario": str(BASE), "years": 2,
                                    "factors": {"city.families": [1000, 2_000_000]}}))
    one_line_refusal(capsys, ["sweep", str(path), "--workers", "4", "--max-memory", "1.5GB",
                              "--out", str(tmp_path / "o")],
                     f"{path}: city.families: about 1.1 GB of memory needed per run x 2 workers",
                     "(arm city.families=2000000), more than the 1.5 GB allowed by --max-memory")
    assert not (tmp_path / "o").exists()
    assert main(["validate", str(path), "--max-memory", "1.5GB"]) == 0  # one run at a time fits


def test_the_memory_available_is_the_default_limit(tmp_path):
    """Under `ulimit -v 3GB`, 20 million families are refused without --max-memory."""

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (3 * 10**9, 3 * 10**9))

    done = subprocess.run([sys.executable, "-m", "sim.cli", "validate", str(BASE), "--set",
                           "city.families=20000000"], capture_output=True, text=True,
                          preexec_fn=limit, cwd=ROOT)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().endswith("GB available (lower city.families)")  # at most 3.0 GB
    assert 0 < available_memory() < float("inf")


@pytest.mark.slow
@pytest.mark.parametrize(("sets", "steps"), [
    (["city.families=300000", "time.warmup_weeks=2"], 6),
    (["city.families=2000", "city.neighbourhoods=1200"], 6),
    (["city.families=150000", "city.max_children=12", "city.mean_children=5"], 6),
])
def test_the_estimate_is_within_a_factor_of_two_of_the_measured_peak(sets, steps):
    done = subprocess.run([sys.executable, "-c", MEASURE, str(BASE), *sets], capture_output=True,
                          text=True, check=True, cwd=ROOT)
    peak = json.loads(done.stdout)
    guess = sum(estimate(load_scenario(BASE, sets).model_dump(mode="json")).values())
    assert peak / 2 <= guess <= peak * 2, (peak, guess)


@pytest.mark.parametrize(("text", "size"), [("2GB", 2e9), ("512mb", 512e6), ("1.5GiB", 1.5 * 2**30),
                                            ("1000", 1000.0), (" 3 G ", 3e9)])
def test_sizes_are_read(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "abc", "0", "-1GB", "inf", "nan", "2XB", "1e9", "0.1"])
def test_bad_sizes_are_refused_in_one_line(capsys, text):
    with pytest.raises(SystemExit) as exit_:
        main(["validate", str(BASE), f"--max-memory={text}"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--max-memory" in err and "expected a size" in err


def test_the_python_api_refuses_runs_that_cannot_fit(monkeypatch):
    """sim.run and sim.sweep check the estimate too (ConfigError, nothing built)."""
    import sim.api
    import sim.scenario.limits
    from sim.scenario.loading import ConfigError

    monkeypatch.setattr(sim.scenario.limits, "available_memory", lambda: 1e9)
    with pytest.raises(ConfigError, match="city.families"):
        sim.api.run("base", city__families=5_000_000)
    with pytest.raises(ConfigError, match="city.families"):
        sim.api.sweep("base", set={"city.families": 5_000_000}, factors={"coordination": ["silos"]})
