"""`sim optimise`: the reported front against the presets, constraints on the reported designs,
resume after an interruption (and on another executor) equal to one uninterrupted search, a
front design runnable with `sim run`, and bad files as one-line errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.cli import main
from sim.experiments.optimisation import (
    FRESH,
    OptimisationStore,
    load_optimisation,
    run_optimisation,
)
from sim.experiments.optimisation_report import write_outputs
from sim.experiments.runner import SerialExecutor, make_executor

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "scenarios" / "base.yaml"
SPEC = {
    "name": "small",
    "scenario": str(BASE),
    "seed": 3,
    "trials": 10,
    "batch": 5,
    "replications": 2,
    "fixed": {"city.families": 200, "time.years": 0.75, "time.warmup_weeks": 8,
              "time.follow_up_weeks": 13},
    "levers": {"mechanisms": ["council", "integrated_platform", "shared_registry"],
               "parameters": {"coordination.integrated_platform.hubs":
                              {"low": 1, "high": 4, "integer": True},
                              "coordination.council.meetings_per_year": {"low": 2, "high": 8}}},
    "objectives": [{"metric": "coverage_marginalised", "direction": "maximise"},
                   {"metric": "total_cost", "direction": "minimise", "per_year": True}],
    "constraints": [{"metric": "coordination_cost", "at_most": 20_000, "per_year": True}],
    "reevaluation": {"replications": 3, "candidates": 4},
    "presets": ["silos", "council", "integrated_platform", "full_integration"],
}


def write_spec(folder: Path, **changes) -> Path:
    path = folder / "optimise.yaml"
    path.write_text(yaml.safe_dump({**SPEC, **changes}, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    """One uninterrupted search on one worker, with its outputs."""
    folder = tmp_path_factory.mktemp("optimise")
    opt = load_optimisation(write_spec(folder))
    run_optimisation(opt, OptimisationStore(folder / "out"), SerialExecutor())
    found, _ = write_outputs(opt, folder / "out")
    return folder, opt, found


def _oriented(opt, row) -> np.ndarray:
    return np.array([row[c] for c in opt.objective_columns()], dtype=float) * opt.senses()


@pytest.mark.slow
def test_every_preset_within_the_constraints_is_dominated_by_or_within_the_front(searched):
    _, opt, found = searched
    assert len(found.front) >= 2
    feasible = found.presets[found.presets["feasible"]]
    assert len(feasible) >= 3  # silos, council and the hubs respect the budget
    assert not found.presets["feasible"].all()  # a preset beyond the budget is not counted
    for _, preset in feasible.iterrows():
        mine = _oriented(opt, preset)
        dominated = any(np.all(_oriented(opt, d) >= mine) for _, d in found.front.iterrows())
        within = any(np.all(mine <= np.array(
            [d[f"{c}.high"] if s > 0 else d[f"{c}.low"] for c, s in
             zip(opt.objective_columns(), opt.senses(), strict=True)]) * opt.senses())
            for _, d in found.front.iterrows())
        assert dominated or within, preset["preset"]
        assert preset["verdict"].startswith(("dominated by F", "within the intervals of F",
                                             "the same as F")), preset["verdict"]


@pytest.mark.slow
def test_every_reported_design_respects_the_constraints_on_its_reevaluation(searched):
    folder, opt, found = searched
    front = pd.read_parquet(folder / "out" / "front.parquet")
    reported = front[front["on_front"]]
    assert len(reported) == len(found.front) and len(reported) >= 2
    for constraint in opt.spec.constraints:
        assert (reported["coordination_cost_per_year"] <= constraint.at_most).all()
    assert (reported["runs"] == len(opt.fresh)).all()  # the re-evaluation, not the search
    # every design on the search's front was re-evaluated, and the report shows both estimates
    assert {"search.coverage_marginalised", "coverage_marginalised.low"} <= set(front.columns)
    text = (folder / "out" / "optimisation.md").read_text()
    assert "## The front, re-evaluated" in text and "## The presets, evaluated the same way" in text
    assert sorted(p.name for p in (folder / "out" / "designs").iterdir()) == [
        f"F{i + 1}.yaml" for i in range(len(reported))]


def test_fresh_seeds_are_not_the_search_seeds(searched):
    _, opt, _ = searched
    assert len(set(opt.fresh)) == len(opt.fresh) and not set(opt.fresh) & set(opt.seeds)


@pytest.mark.slow
def test_a_front_design_runs_with_sim_run_and_gives_its_reevaluated_runs(searched, tmp_path):
    folder, opt, found = searched
    row = found.front.iloc[-1]
    design = folder / "out" / "designs" / f"{row['label']}.yaml"
    out = tmp_path / "run"
    assert main(["run", str(design), "--seed", str(opt.fresh[0]), "--out", str(out),
                 "--quiet"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    runs = OptimisationStore(folder / "out").read()
    first = runs[runs["run_id"] == f"{row['design']}-{FRESH}000"].iloc[0]
    for metric in ("coverage_marginalised", "total_cost", "coordination_cost"):
        assert summary[metric] == pytest.approx(first[metric], rel=1e-12), metric


class Interrupt:
    """A progress callback that stops the search (as Ctrl-C would) after ``runs`` runs."""

    def __init__(self, runs: int):
        self.runs = runs

    def __call__(self, done, todo, row):
        if done >= self.runs:
            raise KeyboardInterrupt


@pytest.mark.slow
def test_resume_after_interruptions_on_two_workers_gives_the_same_front(searched, tmp_path):
    folder, opt, found = searched
    store = OptimisationStore(tmp_path / "out")
    run_optimisation(opt, store, SerialExecutor(), stop_after_batches=1)  # a limit on batches
    executor = make_executor("local", 2)
    try:
        with pytest.raises(KeyboardInterrupt):  # then Ctrl-C in the middle of the second batch
            run_optimisation(opt, store, executor, Interrupt(5))
        run_optimisation(opt, store, executor)  # the same command again
    finally:
        executor.close()
    resumed, _ = write_outputs(opt, tmp_path / "out")
    for name in ("front", "presets", "trials"):
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "out" / f"{name}.parquet"),
                                      pd.read_parquet(folder / "out" / f"{name}.parquet"))
    assert (tmp_path / "out" / "designs" / "F1.yaml").read_text().splitlines()[2:] == (
        folder / "out" / "designs" / "F1.yaml").read_text().splitlines()[2:]


@pytest.mark.slow
def test_more_fresh_replications_add_runs_to_the_folder_and_keep_the_search(searched, tmp_path):
    folder, opt, found = searched
    shutil.copytree(folder / "out", tmp_path / "out")
    more = load_optimisation(write_spec(tmp_path, reevaluation={"replications": 4, "candidates": 4}))
    manifest = run_optimisation(more, OptimisationStore(tmp_path / "out"), SerialExecutor())
    designs = set(found.candidates["design"]) | set(found.presets["design"])
    assert manifest["runs_this_invocation"] == len(designs)  # one more fresh run each, no search
    grown, _ = write_outputs(more, tmp_path / "out")
    pd.testing.assert_frame_equal(grown.trials, found.trials)
    assert (grown.front["runs"] == 4).all()


BAD_FILES = {
    "objectives.0.metric: unknown metric 'coverge'":
        lambda d: d["objectives"][0].update(metric="coverge"),
    "levers.mechanisms: unknown mechanism 'councl'":
        lambda d: d["levers"].update(mechanisms=["councl"]),
    "constraints.0: expected one of at_most or at_least":
        lambda d: d["constraints"][0].update(at_least=1),
    "levers.parameters.coordination.council.meetngs_per_year: unknown key":
        lambda d: d["levers"]["parameters"].update(
            {"coordination.council.meetngs_per_year": {"low": 1, "high": 2}}),
    "levers.parameters.coordination.pooled_budget.contribution_share: the pooled_budget is off":
        lambda d: d["levers"]["parameters"].update(
            {"coordination.pooled_budget.contribution_share": {"low": 0.1, "high": 0.2}}),
    "levers: every mechanism on and every parameter at its high bound":
        lambda d: d["levers"]["parameters"].update(
            {"coordination.council.meetings_per_year": {"low": 2, "high": 60}}),
    "levers: every mechanism on and every parameter at its low bound, and "
    "coordination.shared_registry.eligibility = 'everyone'": lambda d: d["levers"].update(
        choices={"coordination.shared_registry.eligibility": ["all", "everyone"]}),
    "objectives: List should have at least 2 items": lambda d: d.update(objectives=d[
        "objectives"][:1]),
    "objetives: unknown key (did you mean objectives?)": lambda d: d.update(objetives=[]),
    "fixed.coordination.council.staff_hour_cost: the coordination block is what is searched":
        lambda d: d["fixed"].update({"coordination.council.staff_hour_cost": 20}),
}


@pytest.mark.parametrize("expected", list(BAD_FILES))
def test_a_bad_optimisation_file_is_one_line_naming_the_key_exit_2(expected, tmp_path, capsys):
    data = {**SPEC, "levers": json.loads(json.dumps(SPEC["levers"])),
            "objectives": [dict(o) for o in SPEC["objectives"]],
            "constraints": [dict(c) for c in SPEC["constraints"]], "fixed": dict(SPEC["fixed"])}
    BAD_FILES[expected](data)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    code = main(["optimise", str(path), "--workers", "1", "--quiet", "--out",
                 str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"sim optimise: error: {path}: {expected}"), err
    assert not (tmp_path / "out").exists()  # refused before anything ran


def test_validate_recognises_an_optimisation_file(tmp_path, capsys):
    path = write_spec(tmp_path)
    assert main(["validate", str(path)]) == 0
    assert "valid optimisation file (5 levers, 2 objectives, 1 constraints" in capsys.readouterr().out
    assert main(["sweep", str(path), "--workers", "1", "--quiet"]) == 2
    assert f"an optimisation file, not an experiment (it runs with sim optimise {path})" in (
        capsys.readouterr().err)
