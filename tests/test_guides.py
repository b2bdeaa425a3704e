"""Every command shown in the guides is exercised, in order, in a copy of the project's files.

Each ``sh`` block line of docs/guide-*.md is classified and checked; nothing is skipped silently:

- every ``sim`` command line must parse with the real ``sim`` parser;
- ``sim validate``, ``sim report``, ``sim reproduce`` and ``sim run --list-coordination`` run as
  shown;
- ``sim calibrate`` first checks the targets file as shown against its scenario, then runs a
  shrunk copy (the small city for 0.6 years, every target's uncertainty widened a hundredfold so
  that a short fit accepts trials; 4 trials of 2 replications) on one worker into the folder the
  command names;
- ``sim run`` runs as shown plus a small-city override (300 families, 6 warm-up weeks, at most
  0.6 years); ``sim patterns`` likewise (0.6 years, one worker);
- ``sim sweep`` and ``sim sensitivity`` first validate the experiment file as shown, then run a
  shrunk copy of it (2 replications, the small city; Morris with 2 trajectories) on one worker
  into the folder the command names, so later ``report`` and ``reproduce`` lines have results;
- lines with ``--executor dask`` are parsed and their experiment validated, not run (the Dask
  executor itself is tested in tests/test_sweep.py);
- ``cp`` and ``cmp`` run; ``make``, ``pytest``, ``ruff`` and ``python`` lines are checked for
  the targets and files they name, not run (they are the test suite and the examples, tested
  elsewhere).

Each guide runs in its own temporary copy of scenarios/, experiments/ and docs/examples/, so
nothing is written into the repository.
"""

from __future__ import annotations

import filecmp
import re
import shlex
import shutil
from pathlib import Path

import pytest
import yaml

from sim.cli import build_parser, main
from sim.experiments.plan import load_experiment
from sim.scenario.loading import read_with_extends

ROOT = Path(__file__).resolve().parent.parent
GUIDES = sorted((ROOT / "docs").glob("guide-*.md"))
SMALL = ["--set", "city.families=300", "--set", "time.warmup_weeks=6"]
SHRINK = {"city.families": 300, "time.warmup_weeks": 6}


def blocks(text: str, language: str) -> list[tuple[str, str]]:
    """(line before the block, block body) of every fenced block in ``language``."""
    out = []
    for match in re.finditer(rf"^```{language}\n(.*?)^```", text, flags=re.S | re.M):
        before = text[: match.start()].rstrip("\n").splitlines()
        out.append((before[-1] if before else "", match.group(1)))
    return out


def commands(guide: Path) -> list[list[str]]:
    lines = []
    for _, body in blocks(guide.read_text(), "sh"):
        for line in body.splitlines():
            words = shlex.split(line, comments=True)
            if words:
                lines.append(words)
    return lines


def test_readme_links_every_guide():
    readme = (ROOT / "README.md").read_text()
    assert GUIDES, "no guides found"
    for guide in [*GUIDES, ROOT / "docs" / "scenario-discovery.md",
                  ROOT / "docs" / "analyst-walkthrough.ipynb"]:
        assert f"(docs/{guide.name})" in readme, guide.name


@pytest.mark.parametrize("guide", GUIDES, ids=lambda p: p.name)
def test_yaml_shown_in_the_guides_is_the_shipped_file(guide):
    for before, body in blocks(guide.read_text(), "yaml"):
        named = re.findall(r"`(docs/examples/[\w./-]+\.yaml)`", before)
        assert named, f"a yaml block in {guide.name} does not name its file: {before!r}"
        assert (ROOT / named[0]).read_text() == body, f"{named[0]} differs from {guide.name}"


class Runner:
    """Runs or checks one guide's commands in a scratch copy of the project."""

    def __init__(self, folder: Path, monkeypatch):
        for name in ("scenarios", "experiments", "docs/examples"):
            shutil.copytree(ROOT / name, folder / name)
        monkeypatch.chdir(folder)
        self.folder = folder
        self.log: list[tuple[str, str]] = []

    def __call__(self, words: list[str]) -> None:
        program = words[0].removeprefix(".venv/bin/")
        handler = getattr(self, f"do_{program}", None)
        assert handler is not None, f"no check for command {' '.join(words)!r}: add one"
        self.log.append((handler(words[1:]), " ".join(words)))

    def do_sim(self, argv: list[str]) -> str:
        args = build_parser().parse_args(argv)  # every line parses
        command = args.command
        if command in ("sweep", "sensitivity"):
            load_experiment(args.experiment)  # the file as shown is valid
            if args.executor == "dask":
                return "parsed, experiment validated"
            small = self.shrink(Path(args.experiment))
            out = args.out or f"results/{load_experiment(args.experiment).spec.name}"
            argv = [command, str(small), "--out", out, "--workers", "1", "--quiet"]
            assert main(argv) == 0, argv
            return "ran a shrunk copy"
        if command == "run" and not args.list_coordination:
            years = ["--years", str(min(args.years or 0.6, 0.6))] if args.steps is None else []
            drop = {"--years"}
            cleaned, skip = [], False
            for word in argv:
                if skip:
                    skip = False
                    continue
                if word in drop:
                    skip = True
                    continue
                cleaned.append(word)
            assert main([*cleaned, *SMALL, *years, "--quiet"]) == 0, argv
            return "ran (small city)"
        if command == "calibrate":
            from sim.experiments.calibration import load_calibration

            cal = load_calibration(args.scenario, args.targets, args.trials, args.replications)
            out = args.out or f"results/{cal.name}"
            small = self.shrink_targets(Path(args.targets))
            argv = ["calibrate", args.scenario, str(small), "--trials", "4", "--replications", "2",
                    "--workers", "1", "--quiet", "--out", out]
            assert main(argv) == 0, argv
            return "ran a shrunk copy"
        if command == "patterns":
            assert main([*argv, *SMALL, "--years", "0.6", "--workers", "1", "--quiet"]) == 0, argv
            return "ran (small city)"
        if command == "app":
            return "parsed"
        assert main(argv) == 0, argv
        return "ran as shown"

    def shrink(self, path: Path) -> Path:
        data = read_with_extends(path)
        scenario = data["scenario"]
        names = scenario if isinstance(scenario, list) else [scenario]
        data["scenario"] = [str((path.parent / s).resolve()) for s in names]
        data["replications"] = min(int(data.get("replications", 1)), 2)
        data["years"] = 0.6
        data["set"] = {**data.get("set", {}), **SHRINK}
        if "sensitivity" in data:
            data["sensitivity"]["n"] = 2
        if "posterior" in data:
            data["posterior"] = str((path.parent / data["posterior"]).resolve())
        small = self.folder / f"small-{path.name}"
        small.write_text(yaml.safe_dump(data, sort_keys=False))
        return small

    def shrink_targets(self, path: Path) -> Path:
        data = read_with_extends(path)
        data["fixed"] = {**data.get("fixed", {}), **SHRINK, "time.years": 0.6}
        data["batch"] = 2
        for target in data["targets"]:
            low, high = target.pop("range", (None, None))
            if low is not None:
                target["value"], target["se"] = (low + high) / 2, (high - low) / 3.92
            target["se"] = 100 * target["se"]
        small = self.folder / f"small-{path.name}"
        small.write_text(yaml.safe_dump(data, sort_keys=False))
        return small

    def do_cp(self, argv: list[str]) -> str:
        source, target = argv
        assert source.startswith("docs/examples/"), "the guides copy only shipped examples"
        shutil.copy(source, target)
        return "ran"

    def do_cmp(self, argv: list[str]) -> str:
        first, second = argv
        assert filecmp.cmp(first, second, shallow=False), f"{first} and {second} differ"
        return "ran"

    def do_make(self, argv: list[str]) -> str:
        targets = re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), flags=re.M)
        assert set(argv) <= set(targets), argv
        return "target exists (not run)"

    def do_pytest(self, argv: list[str]) -> str:
        for word in argv:
            if not word.startswith("-"):
                assert (ROOT / word.split("::")[0]).exists(), word
        return "files exist (not run)"

    def do_ruff(self, argv: list[str]) -> str:
        assert argv[0] == "check"
        return "not run (make test runs it)"

    def do_python(self, argv: list[str]) -> str:
        assert (ROOT / argv[0]).is_file(), argv[0]
        return "file exists (not run here)"


@pytest.mark.slow
@pytest.mark.parametrize("guide", GUIDES, ids=lambda p: p.name)
def test_every_command_in_the_guide_is_exercised(guide, tmp_path, monkeypatch):
    lines = commands(guide)
    assert lines, f"{guide.name} shows no commands"
    runner = Runner(tmp_path, monkeypatch)
    for words in lines:
        runner(words)
    assert len(runner.log) == len(lines)  # runner.log says how each line was exercised
