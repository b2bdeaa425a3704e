"""`sim optimise`: search the levers of an optimisation file for the best mix for a budget."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

from sim.cli.experiments import DEFAULT_ROOT, _executor_options, _locked_run
from sim.scenario import limits


def add_parser(sub, positive_int) -> None:
    """Register `optimise` on the `sim` sub-command parser."""
    opt = sub.add_parser(
        "optimise", help="search mechanisms and settings for the best mix for a budget (NSGA-II)",
        description="Search the levers of an optimisation file (mechanisms on or off, their "
        "settings) for the designs that trade its objectives best within its constraints "
        "(Optuna's NSGA-II, seeded batches, resumable), re-evaluate the front on fresh seeds with "
        "the presets beside it, and write optimisation.md, front.parquet, designs/*.yaml and "
        "figures.")
    opt.add_argument("optimisation", help="optimisation YAML file (levers, objectives, constraints)")
    opt.add_argument("--trials", type=positive_int,
                     help="designs asked in the search (default: the file's trials)")
    opt.add_argument("--workers", type=positive_int, default=os.cpu_count() or 1,
                     help="parallel workers (default: all cores)")
    _executor_options(opt)
    opt.add_argument("--out", help="results folder (default: results/<optimisation name>)")
    opt.add_argument("--quiet", action="store_true", help="no progress output")
    limits.add_options(opt)


def cmd_optimise(args) -> int:
    """Run (or resume) an optimisation into its folder, then write its outputs."""
    from sim.experiments.optimisation import OptimisationStore, load_optimisation, run_optimisation
    from sim.experiments.optimisation_report import write_outputs

    command = "sim " + shlex.join(sys.argv[1:] if sys.argv[1:2] == ["optimise"] else
                                  ["optimise", args.optimisation])
    opt = load_optimisation(args.optimisation, args.trials, command)
    limits.check(limits.estimate(opt.base_config), opt.scenario_path, args.max_memory,
                 args.workers, args.scheduler is None)
    store = OptimisationStore(Path(args.out) if args.out else DEFAULT_ROOT / opt.name)
    runs = (opt.trials * len(opt.seeds) + (opt.spec.reevaluation.candidates
                                           + len(opt.spec.preset_names)) * len(opt.fresh))
    manifest, _ = _locked_run(args, store, runs, "optimise", lambda executor, progress:
                              run_optimisation(opt, store, executor, progress))
    found, _ = write_outputs(opt, store.folder)
    first = opt.objective_columns()[0]
    best = ("; no design respects every constraint" if not len(found.front) else
            f"; {first} {found.front[first].iloc[0]:.4g} to {found.front[first].iloc[-1]:.4g}")
    print(f"{opt.name}: {len(found.trials)} trials, {len(found.candidates)} designs re-evaluated, "
          f"{len(found.front)} on the front{best}; {manifest['runs_this_invocation']} runs now in "
          f"{manifest['seconds_this_invocation']:.1f} s -> {store.folder}/ (optimisation.md, "
          "front.parquet, designs/)")
    return 0
