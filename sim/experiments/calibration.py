"""`sim calibrate`: fit a scenario's parameters to observed figures with Optuna, resumably.

The search (deterministic whatever the executor, the number of workers or an interruption):

- trials are asked in fixed-size batches (the targets file's ``batch``) from an Optuna study with
  a TPE sampler; before each ask the sampler is seeded from (``seed``, trial number), so each
  trial has its own seed and its parameters depend only on that seed and the trials before it;
- every trial runs ``replications`` times with the replication seeds of
  :func:`sim.experiments.plan.replication_seeds` (the same in every trial: common random numbers,
  so trials differ by their parameters, not by chance), once per measurement window of the
  targets; the runs of a batch go to the executor of `sim sweep` (serial, local processes, Dask)
  and stream into a :class:`~sim.experiments.store.ResultStore` in DIR as they finish;
- when the batch's runs are in, its trials are told back in trial order. Running the same command
  again resumes: recorded runs are not run again, and the trials are the same ones.

The fit of a trial (documented in docs/guide-analysts.md, "Fit the model to your city"): each
target j has a figure ``y_j`` with standard error ``s_j`` (a range is a 95% interval); the model
gives ``m_j``, the mean over the trial's replications. The **distance** is the sum of squared
standardised errors ``sum_j ((m_j - y_j) / s_j)^2``, minimised by the search. A trial is
**accepted** when every ``m_j`` lies inside its target's 95% interval (``|m_j - y_j| <= 1.96
s_j``, the range itself for a range); the accepted trials are the posterior (``posterior.parquet``)
that `sim sweep` draws parameter sets from (``posterior: DIR``). It is the search's trials that
fit, not a Bayesian posterior sample: TPE spends more trials where fits are good.

Before the trials, the scenario as given (with the file's ``fixed`` overrides) runs on the same
seeds: the "before" of the report.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from sim.errors import ConfigError
from sim.experiments.plan import replication_seeds
from sim.experiments.search import (
    distributions,
    put,
    record_search,
    run_tasks,
    sampler_seed,
    search_manifest,
)
from sim.experiments.stats import mean_ci
from sim.experiments.store import ResultStore, _atomic_write
from sim.experiments.targets import Z95, TargetsSpec, load_targets, lookup, override_text
from sim.scenario.loading import apply_overrides, scenario_from_dict

RECORD = "calibration.json"
BEFORE = -1  # the trial number of the scenario as given
N_STARTUP = 10  # TPE's first trials are drawn at random (Optuna's default)


class CalibrationStore(ResultStore):
    """The store of one calibration: ``calibration.json`` and the runs' Parquet parts."""

    RECORD = RECORD


@dataclass
class Calibration:
    """A calibration to run: the targets, the scenario and the search's settings."""

    spec: TargetsSpec
    source: str
    scenario_path: str
    base: dict  # the scenario's raw mapping with the fixed overrides
    trials: int
    replications: int
    seed: int
    command: str = ""
    seeds: list[int] = field(init=False)
    windows: list = field(init=False)
    configs: list[dict] = field(init=False)  # the base config of each window

    def __post_init__(self):
        self.seeds = replication_seeds(self.seed, self.replications)
        self.windows = self.spec.windows
        self.configs = [_window(self.base, w) for w in self.windows]

    @property
    def name(self) -> str:
        return self.spec.name or Path(self.source).stem

    @property
    def parameters(self) -> list[str]:
        return list(self.spec.parameters)

    def record(self) -> dict:
        """What determines the trials (not their number): recorded in calibration.json."""
        return {"targets": self.spec.model_dump(mode="json"), "source": self.source,
                "scenario": self.scenario_path, "configs": self.configs,
                "replications": self.replications, "seed": self.seed, "seeds": self.seeds,
                "parameters": self.parameters}

    def fingerprint(self) -> str:
        body = {k: v for k, v in self.record().items() if k not in ("source", "scenario")}
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()

    def config(self, window: int, params: dict) -> dict:
        """The resolved configuration of a trial in one window (ConfigError if invalid)."""
        data = apply_overrides(self.configs[window], [override_text(k, v) for k, v in params.items()])
        return scenario_from_dict(data, "trial").model_dump(mode="json")

    def run_id(self, trial: int, window: int, replication: int) -> str:
        head = "before" if trial == BEFORE else f"t{trial:05d}"
        return f"{head}-w{window}-r{replication:03d}"

    def index(self, trial: int, window: int, replication: int) -> int:
        return ((trial + 1) * len(self.windows) + window) * self.replications + replication

    def run_ids(self, trial: int) -> list[str]:
        return [self.run_id(trial, w, k) for w in range(len(self.windows))
                for k in range(self.replications)]


def _window(base: dict, window) -> dict:
    """The scenario measured over ``window`` = (a, b): measured years a to b, counted from the end
    of its warm-up (the warm-up grows by a years; b - a years are measured)."""
    scenario = scenario_from_dict(base, "scenario")
    if window is None:
        return scenario.model_dump(mode="json")
    start, end = window
    warmup = scenario.time.warmup_weeks + round(start * 52)
    where = f"targets window years {start:g}-{end:g}"
    probe = scenario_from_dict(apply_overrides(base, [f"time.warmup_weeks={warmup}", "time.years=1"]),
                               where)
    # time.years is measured time after the warm-up (before 2026-12: the whole run)
    years = end - start if probe.time.steps == warmup + 52 else (warmup + round((end - start) * 52)) / 52
    data = apply_overrides(base, [f"time.warmup_weeks={warmup}", f"time.years={years!r}"])
    return scenario_from_dict(data, where).model_dump(mode="json")


def load_calibration(scenario: str, targets: str, trials: int, replications: int,
                     seed: int | None = None, command: str = "") -> Calibration:
    """Read and check the targets file against the scenario (ConfigError naming file and key)."""
    spec, base = load_targets(targets, scenario)
    cal = Calibration(spec, str(targets), str(scenario), base, trials, replications,
                      spec.seed if seed is None else seed, command)
    for end, bounds_side in enumerate(("low", "high")):  # every window's run at every bound is valid
        params = {k: b.ends()[end] for k, b in spec.parameters.items()}
        for w in range(len(cal.windows)):
            try:
                cal.config(w, params)
            except ConfigError as exc:
                raise ConfigError(f"{targets}: parameters: all at their {bounds_side} bounds: "
                                  f"{str(exc).removeprefix('trial: ')}") from None
    return cal


def _value(bounds, value: float):
    return int(round(value)) if bounds.integer else float(value)


# ------------------------------------------------------------------ the search
def _study():
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.create_study(direction="minimize")


def _sampler(seed: int, trial: int):
    import optuna

    with warnings.catch_warnings():  # multivariate TPE is marked experimental
        warnings.simplefilter("ignore")
        return optuna.samplers.TPESampler(seed=sampler_seed(seed, trial), multivariate=True,
                                          constant_liar=True, n_startup_trials=N_STARTUP)


def trial_fit(cal: Calibration, runs: pd.DataFrame) -> dict:
    """One trial's fit from its runs: per target the mean, its interval and the standardised
    error; the distance; whether every target is inside its interval."""
    out: dict = {}
    distance, accepted = 0.0, True
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    ok = ok.sort_values("index", kind="stable")  # the same sums whatever order runs finished in
    for target in cal.spec.targets:
        window = cal.windows.index(target.window)
        values = ok.loc[ok["window"] == window, target.key] if target.key in ok else []
        mean, low, high, n = mean_ci(values)
        z = (mean - target.centre) / target.sigma
        out[f"model.{column(target)}"] = mean
        out[f"low.{column(target)}"] = low
        out[f"high.{column(target)}"] = high
        distance += z * z
        accepted = accepted and bool(abs(z) <= Z95 + 1e-12)
    complete = len(ok) == len(cal.windows) * cal.replications
    out["distance"] = float(distance) if complete and math.isfinite(distance) else math.nan
    out["accepted"] = bool(accepted and math.isfinite(out["distance"]))
    return out


def column(target) -> str:
    """The column name of a target in trials.parquet: its summary key, with its window."""
    return target.key + (f"@{target.years[0]:g}-{target.years[1]:g}" if target.years else "")


def _tasks(cal: Calibration, trial: int, params: dict, skip: set[str]) -> list[dict]:
    tasks = []
    values = params if trial != BEFORE else {k: lookup(cal.configs[0], k) for k in cal.parameters}
    for w in range(len(cal.windows)):
        try:
            config = cal.configs[w] if trial == BEFORE else cal.config(w, params)
        except ConfigError as exc:  # a combination the scenario refuses: the trial fails
            config, error = None, str(exc)
        for k, seed in enumerate(cal.seeds):
            run_id = cal.run_id(trial, w, k)
            if run_id in skip:
                continue
            task = {"run_id": run_id, "index": cal.index(trial, w, k), "arm_id": run_id[:6],
                    "arm": "before" if trial == BEFORE else f"trial {trial}",
                    "scenario": cal.configs[w]["name"], "replication": k, "seed": seed,
                    "values": {"trial": trial, "window": w, **values}, "config": config,
                    "timeseries": []}
            if config is None:
                task["error"] = error
            tasks.append(task)
    return tasks


def run_calibration(cal: Calibration, store: CalibrationStore, executor, progress=None) -> dict:
    """Run the trials not yet recorded in ``store`` (holding its lock); return the manifest."""
    import optuna

    store.check_new_or_own()
    with store.lock():
        store.clean_temporary()
        record_search(store, cal.record(), cal.fingerprint(),
                      "calibration (targets, scenario, replications or seed differ)")
        runs = store.read()
        done = set(runs["run_id"])
        todo = (cal.trials + 1) * len(cal.seeds) * len(cal.windows) - len(
            done & {i for t in range(BEFORE, cal.trials) for i in cal.run_ids(t)})
        started, clock, finished = time.time(), time.perf_counter(), 0
        parameters = distributions(cal.spec.parameters)
        study = _study()
        for first in range(0, cal.trials, cal.spec.batch):
            numbers = range(first, min(first + cal.spec.batch, cal.trials))
            asked = []
            for number in numbers:
                study.sampler = _sampler(cal.seed, number)
                trial = study.ask(parameters)
                assert trial.number == number
                asked.append(trial)
            tasks = _tasks(cal, BEFORE, {}, done) if first == 0 else []
            for trial in asked:
                params = dict(trial.params)
                _check_recorded(runs, cal, trial.number, params, store)
                tasks += _tasks(cal, trial.number, params, done)
            new = run_tasks(executor, tasks, store, progress, done=finished, todo=todo)
            finished += len(new)
            batch_runs = pd.concat([runs[runs["run_id"].str.startswith(tuple(
                f"t{t.number:05d}-" for t in asked))], pd.DataFrame(new)], ignore_index=True)
            for trial in asked:  # told back in trial order
                mine = batch_runs[batch_runs["run_id"].str.startswith(f"t{trial.number:05d}-")]
                fit = trial_fit(cal, mine)
                if math.isfinite(fit["distance"]):
                    study.tell(trial, fit["distance"])
                else:
                    study.tell(trial, state=optuna.trial.TrialState.FAIL)
        elapsed = time.perf_counter() - clock
        manifest = search_manifest("calibration", cal.name, cal.command, cal.trials, finished,
                                   elapsed, executor, started)
        store.write_json("manifest.json", manifest)
        return manifest


def _check_recorded(runs: pd.DataFrame, cal: Calibration, number: int, params: dict,
                    store: ResultStore) -> None:
    """A trial re-asked on resume must have the parameters its recorded runs have."""
    mine = runs[runs["run_id"].str.startswith(f"t{number:05d}-")] if len(runs) else runs
    if not len(mine):
        return
    row = mine.iloc[0]
    for key, value in params.items():
        if key not in row or float(row[key]) != float(value):
            raise ConfigError(f"{store.folder}: trial {number} was recorded with other parameters "
                              "(the folder holds a different calibration); choose another --out")


# ------------------------------------------------------------------ results
def trials_table(cal: Calibration, runs: pd.DataFrame) -> pd.DataFrame:
    """One row per trial (the scenario as given is trial -1): parameters, fit, status."""
    rows = []
    for trial in range(BEFORE, cal.trials):
        prefix = "before-" if trial == BEFORE else f"t{trial:05d}-"
        mine = runs[runs["run_id"].str.startswith(prefix)]
        if not len(mine):
            continue
        row = {"trial": trial, "batch": -1 if trial == BEFORE else trial // cal.spec.batch}
        row.update({k: mine.iloc[0][k] for k in cal.parameters})
        row.update(trial_fit(cal, mine))
        errors = mine[mine["status"] == "error"] if "status" in mine else mine.iloc[:0]
        row["status"] = "error" if len(errors) else "ok"
        row["error"] = str(errors.iloc[0]["error"]) if len(errors) else ""
        rows.append(row)
    table = pd.DataFrame(rows)
    if len(table) and cal.parameters[0] in table:
        for key in cal.parameters:
            table[key] = table[key].astype(float)
    return table


@dataclass
class Outcome:
    """What a finished calibration wrote."""

    folder: Path
    trials: pd.DataFrame
    accepted: pd.DataFrame
    best: dict
    files: list[Path]


def write_outputs(cal: Calibration, folder: Path) -> Outcome:
    """Write trials.parquet, posterior.parquet, calibrated.yaml and calibration.md (+ figures).

    An empty accepted set writes trials.parquet and calibration.md, then raises ConfigError
    saying how to widen it.
    """
    from sim.experiments.calibration_report import write_report

    store = CalibrationStore(folder)
    runs = store.read()
    table = trials_table(cal, runs)
    trials = table[table["trial"] != BEFORE].reset_index(drop=True)
    _write_parquet(trials, folder / "trials.parquet")
    accepted = trials[trials["accepted"]].sort_values("trial").reset_index(drop=True)
    ranked = (accepted if len(accepted) else trials).dropna(subset=["distance"])
    best = ranked.sort_values(["distance", "trial"]).iloc[0].to_dict() if len(ranked) else {}
    files = [folder / "trials.parquet"]
    posterior = folder / "posterior.parquet"
    calibrated = folder / "calibrated.yaml"
    if len(accepted):
        _write_parquet(accepted, posterior)
        _atomic_write(calibrated, calibrated_yaml(cal, best, len(accepted), folder).encode())
        files += [posterior, calibrated]
    else:  # an earlier, different set must not stay beside these trials
        posterior.unlink(missing_ok=True)
        calibrated.unlink(missing_ok=True)
    files += write_report(cal, folder, table, accepted, best)
    outcome = Outcome(folder, trials, accepted, best, files)
    if not len(accepted):
        raise ConfigError(_empty_message(cal, best, folder))
    return outcome


def _empty_message(cal: Calibration, best: dict, folder: Path) -> str:
    if not best:
        return (f"{cal.source}: no trial gave a value for every target (its runs failed, or a "
                "target's metric was undefined in a run, e.g. a ratio of nothing: try more "
                f"families or years in fixed:); see {folder}/calibration.md")
    worst = max(cal.spec.targets, key=lambda t: abs(best[f"model.{column(t)}"] - t.centre) / t.sigma)
    low, high = worst.interval
    return (f"{cal.source}: no trial lies within every target's 95% interval (best trial "
            f"{int(best['trial'])}: {worst.label} {best[f'model.{column(worst)}']:.4g} against "
            f"[{low:.4g}, {high:.4g}]); widen the accepted set: more --trials, wider bounds on the "
            "parameters, another parameter that moves that target, or a larger se or range where "
            f"the figure is less certain (trials: {folder}/trials.parquet)")


def _write_parquet(table: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        table.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def calibrated_yaml(cal: Calibration, best: dict, accepted: int, folder: Path) -> str:
    """A scenario that extends the original with the best accepted trial's fitted values (and the
    targets file's fixed overrides, without which the fit does not hold)."""
    data: dict = {}
    for key, bounds in cal.spec.parameters.items():
        put(data, key, _value(bounds, best[key]))
    for key, value in cal.spec.fixed.items():
        put(data, key, value)
    parent = os.path.relpath(Path(cal.scenario_path).resolve(), folder.resolve())
    head = [
        f"# Calibrated from {cal.scenario_path} to the targets of {cal.source}",
        f"# command: {cal.command}" if cal.command else "# command: (Python API)",
        f"# fit: trial {int(best['trial'])} of {cal.trials}, distance {best['distance']:.4g} (sum of "
        f"squared standardised errors over {len(cal.spec.targets)} targets); {accepted} trials "
        "within every target's 95% interval (posterior.parquet)",
        "# fitted: " + ", ".join(cal.parameters)
        + (f"; fixed during the fit: {', '.join(cal.spec.fixed)}" if cal.spec.fixed else ""),
    ]
    body = yaml.safe_dump({"extends": parent, **data}, sort_keys=False)
    return "\n".join(head) + "\n" + body


def read_posterior(folder: Path, source: str) -> tuple[list[str], pd.DataFrame]:
    """The fitted parameter names and the accepted parameter sets of a calibration folder."""
    record = folder / RECORD
    table = folder / "posterior.parquet"
    if not record.is_file() or not table.is_file():
        raise ConfigError(f"{source}: posterior: {folder} is not a finished calibration "
                          "(no calibration.json and posterior.parquet; run sim calibrate first)")
    try:
        data = json.loads(record.read_text())
        names = list(data["parameters"])
        frame = pd.read_parquet(table)[["trial", *names]]
        for key in names:
            if data["targets"]["parameters"][key].get("integer"):
                frame[key] = frame[key].round().astype(int)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{source}: posterior: {table}: damaged ({type(exc).__name__})") from None
    if frame.empty:
        raise ConfigError(f"{source}: posterior: {table} holds no accepted parameter set")
    return names, frame.reset_index(drop=True)
