"""The experiment commands of `sim`: sweep, sensitivity, report, reproduce, patterns, calibrate,
robustness."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from sim.errors import ConfigError
from sim.scenario import limits
from sim.scenario.loading import scaled_count

DEFAULT_ROOT = Path("results")


def _runner_options(parser, positive_int) -> None:
    parser.add_argument("experiment", help="experiment YAML file")
    parser.add_argument("--out", help="results folder (default: results/<experiment name>)")
    parser.add_argument("--workers", type=positive_int, default=os.cpu_count() or 1,
                        help="parallel workers (default: all cores)")
    _executor_options(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    limits.add_options(parser, runs=True)


def _executor_options(parser) -> None:
    parser.add_argument("--executor", choices=["local", "dask"], default="local",
                        help="where runs execute: local processes, or a Dask cluster")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="Dask scheduler address (default: a LocalCluster on this computer)")


def add_parsers(sub, positive_int, add_set_option) -> None:
    """Register `sweep`, `sensitivity`, `report` and `reproduce` on the `sim` sub-command parser."""
    sweep = sub.add_parser("sweep", help="run an experiment into a results folder (resumable)")
    _runner_options(sweep, positive_int)
    sweep.add_argument("--report", action="store_true", help="write the report when done")

    sens = sub.add_parser("sensitivity", help="rank parameters' influence (Morris, Sobol)",
                          description="Run an experiment's sensitivity design (SALib) like a "
                          "sweep and rank the parameters' influence on each metric.")
    _runner_options(sens, positive_int)

    report = sub.add_parser("report", help="write report.md and figures for a sweep")
    report.add_argument("folder", help="results folder of a sweep")
    report.add_argument("--reference", help="reference arm's coordination model (default: the "
                        "experiment's reference, silos unless it says otherwise)")
    report.add_argument("--quiet", action="store_true", help="no progress output")
    report.add_argument("--html", action="store_true",
                        help="also write report.html: the report in one self-contained file, "
                             "figures included, to e-mail or open offline (default: off)")

    repro = sub.add_parser("reproduce", help="re-run a sweep's runs and check every number")
    repro.add_argument("folder", help="results folder of a sweep")
    repro.add_argument("--sample", type=positive_int, metavar="K",
                       help="re-run only K runs chosen at random (default: every run)")
    repro.add_argument("--workers", type=positive_int, default=1, help="parallel workers")
    repro.add_argument("--quiet", action="store_true", help="no progress output")

    cal = sub.add_parser("calibrate", help="fit parameters to observed figures (Optuna)",
                         description="Fit a scenario's parameters to observed figures (Optuna, "
                         "resumable) and write calibrated.yaml and calibration.md.")
    cal.add_argument("scenario", help="scenario YAML file")
    cal.add_argument("targets", help="targets YAML file (figures, parameters with bounds)")
    cal.add_argument("--trials", type=positive_int, default=100, help="trials (default: 100)")
    cal.add_argument("--replications", type=positive_int, default=3,
                     help="replications per trial, the same seeds in every trial (default: 3)")
    cal.add_argument("--workers", type=positive_int, default=os.cpu_count() or 1,
                     help="parallel workers (default: all cores)")
    _executor_options(cal)
    cal.add_argument("--out", help="results folder (default: results/<targets name>)")
    cal.add_argument("--seed", type=int, help="seed of the sampler and the replications "
                     "(default: the targets file's)")
    cal.add_argument("--quiet", action="store_true", help="no progress output")
    limits.add_options(cal)

    pat = sub.add_parser("patterns", help="check the evidence's patterns against a scenario",
                         description="Check the patterns from the evidence (docs/model.md "
                         "section 1) against a scenario: one row per pattern, holds or not.")
    pat.add_argument("scenario", help="scenario YAML file")
    pat.add_argument("--replications", type=positive_int, default=10,
                     help="replications per run (at least 2; default: 10)")
    pat.add_argument("--workers", type=positive_int, default=os.cpu_count() or 1,
                     help="parallel workers (default: all cores)")
    pat.add_argument("--years", type=float, help="simulated years (default: the scenario's)")
    pat.add_argument("--seed", type=int, help="base seed of the replication seeds "
                     "(default: the scenario's seed)")
    add_set_option(pat)
    pat.add_argument("--json", action="store_true", help="print the rows as a JSON list")
    pat.add_argument("--quiet", action="store_true", help="no progress output")
    limits.add_options(pat)

    _add_robustness(sub, positive_int)


def _add_robustness(sub, positive_int) -> None:
    from sim.experiments.robustness import BISECTION_STEPS, DEFAULT_METRIC

    rob = sub.add_parser(
        "robustness", help="find the assumed values at which a ranking of ways of working changes",
        description="Vary each assumed (or calibrated) parameter over its plausible range, one at "
        "a time (low end, the scenario's value, high end; bisection where the ranking changes), "
        "rank the experiment's ways of working on a metric with paired replications, and write "
        "robustness.md, robustness.json and robustness.png (resumable).")
    rob.add_argument("experiment", help="a comparison experiment YAML file (factors, e.g. "
                     "coordination: [silos, council])")
    rob.add_argument("--parameters", metavar="K1,K2",
                     help="dotted keys to vary (default: the assumed parameters of the families "
                     "and of the mechanisms the compared ways of working run)")
    rob.add_argument("--replications", type=positive_int, metavar="N",
                     help="replications at every value, the same seeds everywhere (default: the "
                     "experiment's; at least 2)")
    rob.add_argument("--metric", metavar="M", help=f"metric to rank on (default: the experiment's first "
                     f"metrics: entry, else {DEFAULT_METRIC})")
    rob.add_argument("--steps", type=int, default=BISECTION_STEPS, metavar="N",
                     help="bisection steps where the ranking changes")
    rob.add_argument("--out", metavar="DIR",
                     help="results folder (default: results/<experiment name>-robustness)")
    rob.add_argument("--workers", type=positive_int, default=os.cpu_count() or 1, metavar="N",
                     help="parallel workers (default: all cores)")
    _executor_options(rob)
    rob.add_argument("--quiet", action="store_true", help="no progress output")
    limits.add_options(rob)


def experiment_folder(plan, out: str | None) -> Path:
    """The sweep's folder: --out as given, else results/<name> (a checked safe name)."""
    if out:
        return Path(out)
    return DEFAULT_ROOT / plan.spec.name


def cmd_sweep(args) -> int:
    from sim.experiments.plan import load_experiment

    store = _run(load_experiment(args.experiment, args.max_runs), args)
    if args.report:
        from sim.experiments.report import write_report

        print(f"report: {write_report(store.folder)}")
    return 0


def cmd_sensitivity(args) -> int:
    """Run the sensitivity design like a sweep (resumable), then analyse it with SALib."""
    from sim.experiments.plan import load_experiment

    plan = load_experiment(args.experiment, args.max_runs)
    if plan.spec.sensitivity is None:
        raise ConfigError(f"{args.experiment}: no sensitivity: block (method, n, parameters); "
                          "use sim sweep for other experiments")
    store = _run(plan, args)
    from sim.experiments.sensitivity import write_sensitivity

    path = write_sensitivity(store.folder)
    print(f"sensitivity: {path} (table: {store.folder / 'sensitivity.csv'}, "
          f"figure: {store.folder / 'figures' / 'sensitivity.png'})")
    return 0


def _run(plan, args):
    """Run ``plan`` into its results folder with the executor chosen on the command line."""
    from sim.experiments.runner import run_plan
    from sim.experiments.store import ResultStore

    limits.check_plan(plan, args.max_memory, args.workers, local=args.scheduler is None)
    store = ResultStore(experiment_folder(plan, args.out))
    manifest, executor = _locked_run(args, store, len(plan.runs), "sweep",
                                     lambda executor, progress: run_plan(plan, store, executor, progress))
    rate = manifest["runs_per_second"]
    print(f"{plan.spec.name}: {manifest['runs_ok']} runs ok, {manifest['runs_error']} errors, "
          f"{manifest['runs_this_invocation']} run now in {manifest['seconds_this_invocation']:.1f} s"
          + (f" ({rate:.2f} runs/s on {executor.workers} {executor.name} workers)" if rate else "")
          + f" -> {store.folder}/")
    return store


def _locked_run(args, store, runs: int, label: str, work):
    """Hold ``store``'s folder (refused before any worker starts if another run holds it), start
    the executor and the progress bar, and return ``work(executor, progress)`` and the executor."""
    from sim.experiments.runner import make_executor

    store.check_new_or_own()
    with store.lock():
        progress = None if args.quiet else Progress(runs, label)
        executor = make_executor(args.executor, args.workers, args.scheduler)
        try:
            return work(executor, progress), executor
        finally:
            executor.close()
            if progress is not None:
                progress.close()


def cmd_patterns(args) -> int:
    """Run the scenario (and the presets some patterns compare with silos) and print the rows.

    Exit 0 whether or not patterns hold: it is a diagnosis, not a validation.
    """
    import json
    import math

    from sim.experiments.patterns import format_table, run_patterns

    if not Path(args.scenario).is_file():
        raise ConfigError(f"{args.scenario}: no such scenario file")
    overrides = list(args.overrides)
    if args.years is not None:
        if not math.isfinite(args.years) or args.years <= 0:
            raise ConfigError(f"--years: expected a positive number of years, got {args.years}")
        overrides.append(f"time.years={args.years!r}")
    if args.seed is not None and not 0 <= args.seed < 2**63:
        raise ConfigError(f"--seed: expected 0 <= seed < 2^63, got {args.seed}")
    progress = None if args.quiet else Progress(0, "patterns")
    replications = scaled_count(args.replications, least=2)
    try:
        record = run_patterns(args.scenario, overrides, replications, args.workers,
                              args.seed, progress, args.max_memory)
    finally:
        if progress is not None:
            progress.close()
    if args.json:
        print(json.dumps(record.rows, indent=2))
    else:
        print(format_table(record))
    return 0


def cmd_calibrate(args) -> int:
    """Run (or resume) a calibration into its folder, then write its outputs."""
    import shlex

    from sim.experiments.calibration import (
        CalibrationStore,
        load_calibration,
        run_calibration,
        write_outputs,
    )
    if args.seed is not None and not 0 <= args.seed < 2**63:
        raise ConfigError(f"--seed: expected 0 <= seed < 2^63, got {args.seed}")
    command = "sim " + shlex.join(sys.argv[1:] if sys.argv[1:2] == ["calibrate"] else
                                  ["calibrate", args.scenario, args.targets])
    cal = load_calibration(args.scenario, args.targets, scaled_count(args.trials, least=16),
                           scaled_count(args.replications), args.seed, command)
    worst = max(cal.configs, key=lambda config: sum(limits.estimate(config).values()))
    limits.check(limits.estimate(worst), args.scenario, args.max_memory, args.workers,
                 args.scheduler is None)
    store = CalibrationStore(Path(args.out) if args.out else DEFAULT_ROOT / cal.name)
    runs = (cal.trials + 1) * cal.replications * len(cal.windows)
    manifest, _ = _locked_run(args, store, runs, "calibrate", lambda executor, progress:
                              run_calibration(cal, store, executor, progress))
    outcome = write_outputs(cal, store.folder)
    best = outcome.best
    print(f"{cal.name}: {len(outcome.trials)} trials, {len(outcome.accepted)} accepted; best trial "
          f"{int(best['trial'])} (distance {best['distance']:.4g}): "
          + ", ".join(f"{k}={best[k]:.4g}" for k in cal.parameters)
          + f"; {manifest['runs_this_invocation']} runs now in "
          f"{manifest['seconds_this_invocation']:.1f} s -> {store.folder}/ (calibration.md, "
          "calibrated.yaml)")
    return 0


def cmd_robustness(args) -> int:
    """Announce the run count, run the study (resumable) and write its report."""
    import shlex

    from sim.experiments.robustness import RobustnessStore, load_study, run_study

    keys = None if args.parameters is None else [k.strip() for k in args.parameters.split(",")
                                                  if k.strip()]
    replications = None if args.replications is None else scaled_count(args.replications, least=2)
    study = load_study(args.experiment, keys, replications, args.metric, args.steps)
    limits.check_plan(study.plan, args.max_memory, args.workers, local=args.scheduler is None)
    store = RobustnessStore(Path(args.out) if args.out else
                            DEFAULT_ROOT / f"{study.plan.spec.name}-robustness")
    points, bisection = study.runs_bound()
    n = len(study.parameters)
    print(f"sim robustness: {n} parameter{'s' if n != 1 else ''} x 3 values (low end, scenario's, "
          f"high end) x {len(study.arms)} ways of working x {len(study.seeds)} replications: at "
          f"most {points + bisection:,} runs ({points:,} for the three values, up to "
          f"{bisection:,} more for {study.steps} bisection steps where the ranking changes; a "
          "way of working a parameter does not apply to reuses the scenario's runs)",
          file=sys.stderr, flush=True)
    command = "sim " + shlex.join(sys.argv[1:] if sys.argv[1:2] == ["robustness"] else
                                  ["robustness", args.experiment])
    summary, _ = _locked_run(args, store, points + bisection, "robustness",
                             lambda executor, progress: run_study(study, store, executor,
                                                                  progress, command))
    flips = [p["key"] for p in summary["parameters"] if not p["holds"]]
    print(f"{study.plan.spec.name}: {n} parameter{'s' if n != 1 else ''}, "
          f"{len(flips)} flip{'s' if len(flips) == 1 else ''} the ranking on {summary['metric']}"
          + (f" ({', '.join(flips)})" if flips else "")
          + f"; {summary['runs']['used']} runs -> {store.folder}/robustness.md")
    return 0


def cmd_report(args) -> int:
    from sim.experiments.report import write_report

    path = write_report(Path(args.folder), reference=args.reference, html=args.html)
    print(f"report written to {path}" + (f" and {path.with_suffix('.html')}" if args.html else ""))
    return 0


def cmd_reproduce(args) -> int:
    from sim.experiments.reproduce import reproduce

    result = reproduce(Path(args.folder), sample=args.sample, workers=args.workers)
    print(result.describe())
    return 0 if result.ok else 1


class Progress:
    """A tqdm bar on a terminal; plain log lines (every 10% or 30 s) otherwise."""

    def __init__(self, total: int, label: str = "sweep"):
        self.total = total
        self.label = label
        self.bar = None
        self.last = time.monotonic()
        if sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="run", desc=label)

    def __call__(self, done: int, todo: int, row: dict) -> None:
        if self.bar is not None:
            if self.bar.total != todo:
                self.bar.reset(total=todo)
                self.bar.update(done)
            else:
                self.bar.update(1)
            return
        step = max(todo // 10, 1)
        if done == todo or done % step == 0 or time.monotonic() - self.last > 30:
            self.last = time.monotonic()
            print(f"{self.label}: {done}/{todo} runs done", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


COMMANDS = {"sweep": cmd_sweep, "sensitivity": cmd_sensitivity, "report": cmd_report,
            "reproduce": cmd_reproduce, "patterns": cmd_patterns, "calibrate": cmd_calibrate,
            "robustness": cmd_robustness}
__all__ = ["COMMANDS", "ConfigError", "add_parsers"]
