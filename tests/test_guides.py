"""Every command shown in the guides is run, in order, as written, in a copy of the project's files.

Each ``sh`` block line of docs/guide-*.md is classified and checked; nothing is skipped silently:

- every ``sim`` command line runs with its flags exactly as written (and must succeed), under the
  one test-only scale setting ``SIM_TEST_SCALE`` (docs/guide-researchers.md, "Testing the
  guides"): cities of at most 300 families, replications, calibration trials and design points
  cut to 3% (at least 1 replication, 4 trials, 2 trajectories); years, flags and files are as the guide has
  them; the ``sim`` command says on stderr that the setting is on;
- lines with ``--executor dask`` are parsed and their experiment validated, not run (the Dask
  executor itself is tested in tests/test_sweep.py); ``sim app`` is parsed (the page is tested
  in tests/test_app*.py);
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

from sim.cli import build_parser, main
from sim.experiments.plan import load_experiment

ROOT = Path(__file__).resolve().parent.parent
GUIDES = sorted((ROOT / "docs").glob("guide-*.md"))
SCALE = "0.03"  # SIM_TEST_SCALE: 300 families, replications and trials cut to 3%


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
        monkeypatch.setenv("SIM_TEST_SCALE", SCALE)
        self.folder = folder
        self.log: list[tuple[str, str]] = []

    def __call__(self, words: list[str]) -> None:
        program = words[0].removeprefix(".venv/bin/")
        handler = getattr(self, f"do_{program}", None)
        assert handler is not None, f"no check for command {' '.join(words)!r}: add one"
        self.log.append((handler(words[1:]), " ".join(words)))

    def do_sim(self, argv: list[str]) -> str:
        args = build_parser().parse_args(argv)  # every line parses
        if getattr(args, "executor", None) == "dask":
            load_experiment(args.experiment)  # the file as shown is valid
            return "parsed, experiment validated"
        if args.command == "app":
            return "parsed"
        assert main(argv) == 0, argv
        return "ran as written"

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
