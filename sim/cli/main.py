"""The `sim` command: run a scenario, sweep an experiment, report, reproduce and calibrate.

Bad input of any kind ends with one line on stderr naming the file and key, and exit code 2
(``sim validate`` lists every problem of a file, a line each).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from sim.cli import cases as cli_cases
from sim.cli import city as cli_city
from sim.cli import experiments as cli_experiments
from sim.cli import optimise as cli_optimise
from sim.core.metrics import format_value, sector_metric_name, units_for
from sim.errors import ConfigError, InvariantError
from sim.scenario import limits
from sim.scenario.loading import (
    TEST_SCALE,
    ValidationProblems,
    families_cap,
    file_kind,
    load_scenario,
    read_yaml,
    scale_for_tests,
)
from sim.scenario.presets import DESCRIPTIONS

EXIT_BAD_INPUT = 2


class _Help(argparse.HelpFormatter):
    """Help that shows every option's default (those whose help does not already say it)."""

    def __init__(self, prog: str):
        super().__init__(prog, max_help_position=26)

    def add_argument(self, action: argparse.Action) -> None:
        super().add_argument(action)
        if isinstance(action, argparse._SubParsersAction):  # commands are indented one step more
            longest = max(map(len, action.choices)) + self._current_indent + 2 * self._indent_increment
            self._action_max_length = max(self._action_max_length, longest)

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        shown = action.default not in (None, False, [], argparse.SUPPRESS)
        if action.option_strings and shown and "default" not in text:
            text += " (default: %(default)s)"
        return text


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit code 2, and help shows defaults."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _Help)
        super().__init__(*args, **kwargs)

    def error(self, message: str):
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def override(text: str) -> str:
    """A ``--set`` value: KEY=VALUE (refused here when the ``=`` is missing, e.g. a space)."""
    key, sep, _ = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(
            f"expected the form --set key=value with no spaces around '=', e.g. --set "
            f"{key.strip() or 'city.families'}=2000; got {text!r}")
    return text


def add_set_option(parser) -> None:
    """The repeatable ``--set KEY=VALUE`` option."""
    parser.add_argument("--set", dest="overrides", action="append", default=[], type=override,
                        metavar="KEY=VALUE", help="override any parameter, e.g. "
                        "city.families=2000 (repeatable; default: none)")


def _whole_number(text: str, low: int, high: int, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not low <= value < high:
        raise argparse.ArgumentTypeError(f"expected {what}, got {value}")
    return value


def _positive_int(text: str) -> int:
    return _whole_number(text, 1, 2**63, "a number >= 1")


def _seed(text: str) -> int:
    return _whole_number(text, 0, 2**63, "0 <= seed < 2^63")


def _years(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of years, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of years, got {text}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port between 1 and 65535, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="sim", description=__doc__.splitlines()[0],
                     epilog="sim COMMAND --help shows a command's options; the guides are in "
                            "docs/ (guide-analysts.md, guide-researchers.md, guide-trainers.md)")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser,
                                metavar="COMMAND", title="commands")

    run = sub.add_parser("run", help="run one scenario and write its results")
    run.add_argument("scenario", nargs="?", help="scenario YAML file")
    run.add_argument("--seed", type=_seed, help="run seed (default: the scenario's)")
    horizon = run.add_mutually_exclusive_group()
    horizon.add_argument("--years", type=_years,
                         help="measured years, after the warm-up (default: the scenario's)")
    horizon.add_argument("--steps", type=_positive_int,
                         help="measured weeks, after the warm-up (default: the scenario's)")
    run.add_argument("--coordination", metavar="NAME",
                     help="coordination model, a preset (default: the scenario's)")
    add_set_option(run)
    run.add_argument("--out", help="a new result folder (default: results/<scenario>-<model>-s<seed>, "
                     "or the first free <...>-2, -3 if it is taken)")
    run.add_argument("--overwrite", action="store_true",
                     help="replace the folder if an earlier run wrote it (never any other folder)")
    run.add_argument("--check", action="store_true",
                     help="check the model's invariants every week (slower)")
    run.add_argument("--list-coordination", action="store_true",
                     help="list the coordination models and exit")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    limits.add_options(run)

    val = sub.add_parser("validate", help="check a scenario, experiment, targets or optimisation file")
    val.add_argument("file", help="scenario, experiment, targets or optimisation YAML file")
    add_set_option(val)
    limits.add_options(val, runs=True)
    cli_cases.add_parser(sub)
    cli_city.add_parser(sub, add_set_option)
    cli_experiments.add_parsers(sub, _positive_int, add_set_option)
    cli_optimise.add_parser(sub, _positive_int)

    app = sub.add_parser("app", help="start the workshop page on this computer")
    app.add_argument("--host", default="127.0.0.1",
                     help="address to serve on (default: 127.0.0.1, this computer only)")
    app.add_argument("--port", type=_port, default=8765, help="port (default: 8765)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `sim` command."""
    args = build_parser().parse_args(argv)
    try:
        _announce_test_scale(args.command)
        return COMMANDS[args.command](args)
    except ValidationProblems as exc:
        problems = exc.problems if args.command == "validate" else [str(exc)]
        for line in problems:
            print(f"sim {args.command}: error: {line}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ConfigError as exc:
        print(f"sim {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except InvariantError as exc:
        print(f"sim {args.command}: stopped: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # a write failed (disk full, permissions): what is written is kept
        where = f": {exc.filename}" if exc.filename else ""
        print(f"sim {args.command}: error: {exc.strerror or exc}{where} (results already written "
              "are kept; run the same command again once fixed)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        resumable = args.command in RESUMABLE
        print(f"sim {args.command}: interrupted" + ("; the runs finished so far are kept: run the "
              "same command again to resume" if resumable else ""), file=sys.stderr)
        return 130


# commands that keep finished runs in --out
RESUMABLE = {"sweep", "sensitivity", "calibrate", "robustness", "optimise"}


def _announce_test_scale(command: str) -> None:
    """Say so on stderr when the test-only scale setting is on (results are of a shrunk city)."""
    scale = scale_for_tests()
    if scale is not None and command != "app":
        print(f"sim {command}: {TEST_SCALE}={scale:g} is set (a test-only setting): at most "
              f"{families_cap(scale):,} families per city, replications, trials and design "
              "points cut; unset it for real results", file=sys.stderr)


def cmd_validate(args) -> int:
    kind = file_kind(read_yaml(args.file))
    if kind == "targets":  # a targets file of sim calibrate
        from sim.experiments.targets import TargetsSpec
        from sim.scenario.loading import read_with_extends, validate

        spec = validate(TargetsSpec, read_with_extends(args.file), args.file)
        print(f"{args.file}: valid targets file ({len(spec.targets)} targets, "
              f"{len(spec.parameters)} parameters); sim calibrate SCENARIO {args.file} checks its "
              "metrics, keys and bounds against the scenario before anything runs")
        return 0
    if kind == "optimisation":  # an optimisation file of sim optimise
        from sim.experiments.optimisation import load_optimisation

        opt = load_optimisation(args.file)
        print(f"{args.file}: valid optimisation file ({len(opt.levers)} levers, "
              f"{len(opt.spec.objectives)} objectives, {len(opt.spec.constraints)} constraints; "
              f"{opt.trials} trials x {len(opt.seeds)} replications)")
        return 0
    if kind == "experiment":  # an experiment names its scenario(s)
        from sim.experiments.plan import load_experiment

        plan = load_experiment(args.file, args.max_runs)
        limits.check_plan(plan, args.max_memory)
        print(f"{args.file}: valid experiment {plan.spec.name!r} ({len(plan.arms)} arms x "
              f"{plan.spec.replications} replications = {len(plan.runs)} runs)")
        return 0
    scenario = load_scenario(args.file, args.overrides)
    limits.check_scenario(scenario, args.file, args.max_memory)
    tables = scenario.city.geography
    count = scenario.city.neighbourhoods
    where = ("" if tables is None else f" in {count} neighbourhood{'s' * (count != 1)} from "
             f"{Path(tables.source).name}")
    print(f"{args.file}: valid scenario {scenario.name!r} ({scenario.city.families} families{where}, "
          f"{len(scenario.organisations)} organisations, {scenario.time.steps} weeks, "
          f"coordination {scenario.coordination.label})")
    return 0


def cmd_run(args) -> int:
    from sim.experiments.outputs import free_folder, safe_subdir
    from sim.experiments.single_run import check_run_folder, run_scenario

    if args.list_coordination:
        print(list_coordination())
        return 0
    if not args.scenario:
        raise ConfigError("no scenario file given (e.g. sim run scenarios/base.yaml)")
    overrides = list(args.overrides)
    if args.years is not None:
        overrides.append(f"time.years={args.years}")
    if args.steps is not None:
        overrides.append(f"time.years={args.steps / 52!r}")
    scenario = load_scenario(args.scenario, overrides, coordination=args.coordination, seed=args.seed)
    limits.check_scenario(scenario, args.scenario, args.max_memory)
    if args.out:
        folder = Path(args.out)
    else:
        root = Path(scenario.outputs.dir)
        folder = safe_subdir(root, f"{scenario.name}-{scenario.coordination.label}-s{scenario.seed}")
        if not args.overwrite:  # a second run with other settings never replaces the first
            folder = free_folder(folder)
    check_run_folder(folder, args.overwrite)  # before the simulation, not after
    result = run_scenario(scenario, check=args.check, progress=_progress(scenario, args.quiet))
    result.write(folder, overwrite=args.overwrite)
    print(format_summary(result.summary, scenario.sector_names, result.manifest))
    print(f"\nresults written to {folder}/")
    return 0


def list_coordination() -> str:
    """The coordination models (presets), then the mechanisms they combine, in plain words."""
    import textwrap

    from sim.scenario.mechanisms import SUMMARIES

    width = max(map(len, [*DESCRIPTIONS, *SUMMARIES]))
    lines = ["Coordination models (--coordination NAME):"]
    lines += [f"  {name:<{width}}  {text}" for name, text in DESCRIPTIONS.items()]
    lines += ["", "Mechanisms (a scenario's coordination: block switches each on or off):"]
    for name, text in SUMMARIES.items():
        wrapped = textwrap.wrap(text, 100 - width)
        lines.append(f"  {name:<{width}}  {wrapped[0]}")
        lines += [f"  {'':<{width}}  {more}" for more in wrapped[1:]]
    return "\n".join(lines)


def _progress(scenario, quiet: bool):
    if quiet or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    bar = tqdm(total=scenario.time.steps, unit="week", desc=scenario.name, leave=False)

    def update(week: int) -> None:
        bar.update(1)
        if week >= scenario.time.steps:
            bar.close()

    return update


def format_summary(summary: dict[str, float], sectors: list[str], manifest: dict) -> str:
    """A readable table: metric, value, unit (money in the scenario's currency), and why a
    coverage figure is not available when the run was shorter than its follow-up."""
    from sim.experiments.resilience import UNITS
    from sim.experiments.resilience import lines as resilience_lines

    unit = {**units_for([*summary, *map(sector_metric_name, sectors)], manifest.get("currency")),
            **UNITS}
    measured = manifest["steps"] - manifest["warmup_weeks"]
    head = (f"{manifest['scenario']}: coordination={manifest['coordination']}, "
            f"seed={manifest['seed']}, {manifest['families']} families, "
            f"{manifest['steps']} weeks ({manifest['warmup_weeks']} warm-up, {measured} measured), "
            f"{manifest['wall_seconds']:.1f} s")
    width = max(map(len, summary))
    lines = [head, "", f"{'metric':<{width}}  {'value':>14}  unit", "-" * (width + 30)]
    for name, value in summary.items():
        shown = format_value(value, unit[name])
        lines.append(f"{name:<{width}}  {shown:>14}  {unit[name]}")
    if resilience := resilience_lines(summary):
        lines += ["", *resilience]
    follow_up = manifest.get("follow_up_weeks", 0)
    if measured <= follow_up:
        lines += ["", f"n/a coverage: each need is followed {follow_up} weeks "
                      f"(time.follow_up_weeks) and this run measured {measured}; run longer "
                      f"(--years) to see it"]
    return "\n".join(lines)


def cmd_app(args) -> int:
    """Serve the workshop page (sim/app/page.py) until Ctrl-C."""
    from sim.app.server import serve

    return serve(args.host, args.port)


COMMANDS = {"run": cmd_run, "validate": cmd_validate, **cli_experiments.COMMANDS}
COMMANDS["app"] = cmd_app
COMMANDS["cases"] = cli_cases.cmd_cases
COMMANDS["city"] = cli_city.cmd_city
COMMANDS["optimise"] = cli_optimise.cmd_optimise

if __name__ == "__main__":
    sys.exit(main())
