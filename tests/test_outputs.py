"""Result folders never cost a user a file: `sim run --out` writes a new folder, replaces an
earlier run's folder only with --overwrite, and refuses everything else before simulating."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import sim.experiments.single_run as single_run
from sim.cli import main
from tests.conftest import BASE
from tests.tally import tally

SMALL = ["--set", "city.families=300", "--steps", "20", "--set", "time.warmup_weeks=4", "--quiet"]
NAMES = st.text(st.characters(whitelist_categories=("L", "N"), whitelist_characters="._- "),
                min_size=1, max_size=12).filter(lambda n: n not in (".", ".."))


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) -> hash of its bytes."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def no_simulation(monkeypatch):
    """Fail loudly if a refused command would have run the model."""
    def refuse(*args, **kwargs):
        raise AssertionError("the simulation ran before the output folder was checked")

    monkeypatch.setattr(single_run, "run_scenario", refuse)


def refused_before_running(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    tally("bad output paths refused before running")
    return err


@pytest.mark.slow
@given(user_files=st.lists(NAMES, min_size=1, max_size=4, unique=True), as_run=st.booleans(),
       overwrite=st.booleans())
def test_a_folder_holding_user_files_is_never_touched(tmp_path_factory, capsys, no_simulation,
                                                     user_files, as_run, overwrite):
    """Any folder with a file a run did not write is refused, with or without --overwrite, even
    when it also looks like a run folder (a user added notes to it)."""
    folder = tmp_path_factory.mktemp("mine")
    for i, name in enumerate(user_files):
        (folder / name).write_text(f"user file {i}")
    if as_run:
        (folder / "manifest.json").write_text(json.dumps(
            {"scenario": "x", "coordination": "silos", "seed": 0, "config_hash": "0"}))
    before = snapshot(folder)
    argv = ["run", str(BASE), *SMALL, "--out", str(folder)] + (["--overwrite"] if overwrite else [])
    assert "did not write" in refused_before_running(capsys, argv)
    assert snapshot(folder) == before
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}.")]


@pytest.mark.parametrize("kind", ["file", "cwd", "parent", "root", "home", "symlink", "under_file"])
def test_places_that_are_not_new_folders_are_refused(tmp_path, monkeypatch, capsys, no_simulation,
                                                     kind):
    work = tmp_path / "work"
    work.mkdir()
    (work / "keep.txt").write_text("mine")
    monkeypatch.chdir(work)
    target = {"file": work / "keep.txt", "cwd": Path("."), "parent": Path(".."), "root": Path("/"),
              "home": Path.home(), "symlink": work / "link", "under_file": work / "keep.txt" / "r"}[kind]
    if kind == "symlink":
        (work / "real").mkdir()
        (work / "link").symlink_to(work / "real")
    before = snapshot(tmp_path)
    for extra in ([], ["--overwrite"]):
        refused_before_running(capsys, ["run", str(BASE), *SMALL, "--out", str(target), *extra])
    assert snapshot(tmp_path) == before


def test_an_earlier_run_is_replaced_only_with_overwrite(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["run", str(BASE), *SMALL, "--out", str(out)]) == 0
    first = snapshot(out)
    err = refused_before_running(capsys, ["run", str(BASE), *SMALL, "--seed", "5", "--out", str(out)])
    assert "--overwrite" in err and snapshot(out) == first
    assert main(["run", str(BASE), *SMALL, "--seed", "5", "--out", str(out), "--overwrite"]) == 0
    assert json.loads((out / "manifest.json").read_text())["seed"] == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]  # no temporary left behind


def test_the_default_folder_of_a_second_run_is_a_new_one(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(BASE), *SMALL]) == 0
    first = snapshot(tmp_path / "results")
    assert main(["run", str(BASE), *SMALL, "--set", "city.families=400"]) == 0
    first_name, second_name = sorted(p.name for p in (tmp_path / "results").iterdir())
    assert second_name == f"{first_name}-2"
    assert {k: v for k, v in snapshot(tmp_path / "results").items()
            if k.startswith(f"{first_name}/")} == first
    assert f"{second_name}/" in capsys.readouterr().out


def test_a_folder_that_appears_during_the_run_is_not_replaced(tmp_path, monkeypatch, capsys):
    out = tmp_path / "r"
    real = single_run.run_scenario

    def meanwhile(*args, **kwargs):
        result = real(*args, **kwargs)
        out.mkdir()
        (out / "notes.txt").write_text("written while the run computed")
        return result

    monkeypatch.setattr(single_run, "run_scenario", meanwhile)
    assert main(["run", str(BASE), *SMALL, "--out", str(out), "--overwrite"]) == 2
    assert (out / "notes.txt").read_text() == "written while the run computed"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_result_folders_get_the_users_usual_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        assert main(["run", str(BASE), *SMALL, "--out", str(tmp_path / "r")]) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "r").stat().st_mode) == 0o755
