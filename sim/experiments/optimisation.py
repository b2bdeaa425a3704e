"""`sim optimise`: the best mix of coordination mechanisms for a budget, with honest intervals.

The search (deterministic whatever the executor, the number of workers or an interruption):

- candidates (settings of the levers) are asked in fixed-size batches from an Optuna study with
  the NSGA-II sampler, one batch per generation; before each batch the sampler is seeded from
  (``seed``, batch number) (:func:`sim.experiments.search.sampler_seed`). The first batch starts
  from the presets the levers can express exactly (``Optimisation.preset_values``);
- a candidate is a **design**: the levers that apply (a mechanism's parameters only when it is
  on). Each design runs ``replications`` times on the search seeds of
  :func:`sim.experiments.plan.replication_seeds`, the same for every design (common random
  numbers); a design asked again is not run again. The runs of a batch go to the executor of
  `sim sweep` and stream into an :class:`OptimisationStore`; the batch's candidates are then told
  back in trial order with their objectives' means and their constraints' violations
  (constrained domination: a design that breaks a constraint ranks behind every one that does
  not). Running the same command again resumes: recorded runs are not run again.

The honesty about noise: a search's front is the designs that looked best on a few seeds, so
some are merely lucky. After the search, the front's designs (at most
``reevaluation.candidates``, spread along the primary objective) and the presets run again on
**fresh seeds**, disjoint from the search's (:func:`fresh_seeds`), with more replications. The
reported front is chosen among these re-evaluated designs (the search's front, and the presets
the levers express: designs too, which the search's few seeds may have passed over): those that
respect every constraint (on their re-evaluated means) and that no other such design dominates.
The report shows the search's estimate beside the re-evaluated one, with 95% intervals.

This module holds the optimisation, its designs and the search; the classification after the
re-evaluation is :mod:`sim.experiments.optimisation_front`, the outputs
:mod:`sim.experiments.optimisation_report`.
"""

from __future__ import annotations

import hashlib
import json
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import ConfigError
from sim.experiments.optimisation_spec import (
    MECHANISM_KEY,
    OptimisationSpec,
    load_spec,
    mechanism_of,
)
from sim.experiments.pareto import non_dominated
from sim.experiments.plan import replication_seeds
from sim.experiments.search import (
    distributions,
    record_search,
    run_tasks,
    sampler_seed,
    search_manifest,
)
from sim.experiments.stats import mean_ci
from sim.experiments.store import ResultStore
from sim.experiments.targets import lookup, override_text
from sim.scenario.loading import apply_overrides, scaled_count, scenario_from_dict, select_coordination
from sim.scenario.presets import PAYERS

RECORD = "optimisation.json"
FRESH_STREAM = 1 << 32  # re-evaluation seeds: SeedSequence(seed, spawn_key=(FRESH_STREAM + k,))
SEARCH, FRESH = "s", "e"  # the run id's phase letter: search seeds, fresh (re-evaluation) seeds
PRESET = "preset-"  # the design name of a preset the levers cannot express


class OptimisationStore(ResultStore):
    """The store of one optimisation: ``optimisation.json`` and the runs' Parquet parts."""

    RECORD = RECORD


def fresh_seeds(seed: int, count: int, search: list[int]) -> list[int]:
    """``count`` re-evaluation seeds: children of ``seed``'s seed sequence far from the search's
    replication seeds (those are its first children), checked apart from ``search``."""
    out = []
    for k in range(count):
        child = np.random.SeedSequence(seed, spawn_key=(FRESH_STREAM + k,))
        out.append(int(child.generate_state(2, dtype=np.uint64)[0] >> np.uint64(1)))
    if set(out) & set(search) or len(set(out)) != count:  # never in practice: 63-bit seeds
        raise ConfigError(f"seed {seed}: a re-evaluation seed equals a search seed; choose another")
    return out


@dataclass
class Optimisation:
    """An optimisation to run: the file, the scenario it starts from and the search's size."""

    spec: OptimisationSpec
    source: str
    scenario_path: str
    base: dict  # the scenario's raw mapping with the fixed overrides
    trials: int
    replications: int
    fresh_replications: int
    command: str = ""
    seeds: list[int] = field(init=False)
    fresh: list[int] = field(init=False)
    base_config: dict = field(init=False)
    years: float = field(init=False)  # measured years: per_year metrics are over the run / this

    def __post_init__(self):
        self.seeds = replication_seeds(self.spec.seed, self.replications)
        self.fresh = fresh_seeds(self.spec.seed, self.fresh_replications, self.seeds)
        scenario = scenario_from_dict(self.base, self.source)
        self.base_config = scenario.model_dump(mode="json")
        self.years = scenario.time.measured_weeks / 52

    @property
    def name(self) -> str:
        return self.spec.name or Path(self.source).stem

    @property
    def levers(self) -> list[str]:
        return self.spec.levers.names()

    def record(self) -> dict:
        """The optimisation as run (optimisation.json): file, scenario, seeds."""
        return {"optimisation": self.spec.model_dump(mode="json"), "source": self.source,
                "scenario": self.scenario_path, "base": self.base_config, "seeds": self.seeds,
                "fresh_seeds": self.fresh, "trials": self.trials}

    def fingerprint(self) -> str:
        """What determines the search's designs and runs (the presets too: the search starts
        from them); not the number of trials nor the re-evaluation's size: runs are named by
        design and seed, so more trials or fresh replications add runs to a folder and keep the
        earlier ones."""
        spec = self.spec.model_dump(mode="json", exclude={"trials", "reevaluation", "name",
                                                          "description"})
        body = {"spec": spec, "base": self.base_config, "seeds": self.seeds}
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()

    # ------------------------------------------------------------------ designs
    def distributions(self) -> dict:
        from optuna.distributions import CategoricalDistribution

        levers = self.spec.levers
        out = {MECHANISM_KEY.format(m): CategoricalDistribution([False, True])
               for m in levers.mechanisms}
        out.update(distributions(levers.parameters))
        out.update({k: CategoricalDistribution(v) for k, v in levers.choices.items()})
        return out

    def effective(self, values: dict) -> dict:
        """The levers that apply to ``values``: a mechanism's parameters are None when it is off."""
        coordination = self.base_config["coordination"]
        on = {m for m in coordination if isinstance(coordination[m], dict)
              and coordination[m].get("enabled")}
        for m in self.spec.levers.mechanisms:
            (on.add if values[MECHANISM_KEY.format(m)] else on.discard)(m)
        out = {}
        for key in self.levers:
            mechanism = mechanism_of(key)
            applies = key.endswith(".enabled") or mechanism is None or mechanism in on
            value = values[key] if applies else None
            out[key] = value.item() if hasattr(value, "item") else value
        return out

    def overrides(self, values: dict) -> dict:
        """The dotted keys a design sets on the base scenario (in order)."""
        coordination = self.base_config["coordination"]
        out: dict = {}
        for key, value in self.effective(values).items():
            mechanism = mechanism_of(key)
            if key.endswith(".enabled"):
                present = coordination.get(mechanism) is not None
                if value and not present:  # switched on as the presets pay for it
                    out[f"coordination.{mechanism}.paid_by"] = PAYERS[mechanism]
                if value or present:
                    out[key] = bool(value)
            elif value is not None:
                out[key] = value
        return out

    def config(self, values: dict) -> dict:
        """The resolved configuration of a design (ConfigError if the scenario refuses it)."""
        data = apply_overrides(self.base, [override_text(k, v) for k, v in
                                           self.overrides(values).items()])
        return scenario_from_dict(data, "design").model_dump(mode="json")

    def design_id(self, values: dict) -> str:
        text = json.dumps(self.effective(values), sort_keys=True)
        return "d" + hashlib.sha256(text.encode()).hexdigest()[:10]

    def preset_config(self, name: str) -> dict:
        return scenario_from_dict(select_coordination(self.base, name), name).model_dump(mode="json")

    def preset_values(self, name: str) -> dict | None:
        """Lever values whose design is exactly the preset ``name`` (None if the levers cannot
        express it: a mechanism or a value they do not reach)."""
        preset = self.preset_config(name)
        blocks = preset["coordination"]
        values: dict = {MECHANISM_KEY.format(m): bool(blocks.get(m) and blocks[m]["enabled"])
                        for m in self.spec.levers.mechanisms}
        for key, bounds in self.spec.levers.parameters.items():
            low, high = bounds.ends()
            value = lookup(preset, key)
            if value is None:  # its mechanism is off in the preset: any value, it does not apply
                value = low
            if isinstance(value, bool) or not low <= value <= high or (
                    bounds.integer and value != int(value)):
                return None
            values[key] = int(value) if bounds.integer else float(value)
        for key, options in self.spec.levers.choices.items():
            value = lookup(preset, key)
            value = options[0] if value is None else value
            if value not in options:
                return None
            values[key] = value
        try:
            same = _comparable(self.config(values)) == _comparable(preset)
        except ConfigError:
            return None
        return values if same else None

    def preset_design(self, name: str) -> tuple[str, dict | None]:
        """The design (and lever values) whose runs are the preset ``name``'s: the design the
        levers express it as (the same configuration, so the same runs), else its own."""
        values = self.preset_values(name)
        return (PRESET + name, None) if values is None else (self.design_id(values), values)

    def tasks(self, design: str, values: dict | None, phase: str, skip: set[str],
              index: int) -> list[dict]:
        """The runs of a design (or a preset: ``values`` None, ``design`` its name) on the search
        or the fresh seeds, less those in ``skip``."""
        seeds = self.seeds if phase == SEARCH else self.fresh
        error = None
        try:
            config = (self.preset_config(design.removeprefix(PRESET)) if values is None
                      else self.config(values))
        except ConfigError as exc:  # a combination the scenario refuses: the design fails
            config, error = None, str(exc)
        out = []
        for k, seed in enumerate(seeds):
            run_id = f"{design}-{phase}{k:03d}"
            if run_id in skip:
                continue
            task = {"run_id": run_id, "index": index * len(seeds) + k, "arm_id": design,
                    "arm": design, "scenario": self.base_config["name"], "replication": k,
                    "seed": seed, "values": {"design": design, "phase": phase}, "config": config,
                    "timeseries": []}
            if error is not None:
                task["error"] = error
            out.append(task)
        return out

    # ------------------------------------------------------------------ measures
    def measures(self) -> list[tuple[str, str, bool]]:
        """(column, metric, per_year) of every objective, then of every constraint not already
        an objective's column."""
        out = [(_column(o), o.metric, o.per_year) for o in self.spec.objectives]
        for c in self.spec.constraints:
            if _column(c) not in [m[0] for m in out]:
                out.append((_column(c), c.metric, c.per_year))
        return out

    def evaluate(self, rows: list[dict | None]) -> dict:
        """A design's means and 95% intervals over its runs (``rows``: one per seed, None if not
        run), the constraints' violations, and whether it is complete and feasible."""
        ok = [r for r in rows if r is not None and r.get("status") == "ok"]
        out: dict = {"runs": len(ok)}
        finite = True
        for column, metric, per_year in self.measures():
            values = [float(r.get(metric, np.nan)) / (self.years if per_year else 1) for r in ok]
            mean, low, high, _ = mean_ci(values)
            out[column], out[f"{column}.low"], out[f"{column}.high"] = mean, low, high
            finite = finite and bool(np.isfinite(mean))
        out["complete"] = len(ok) == len(rows) and finite
        out["violations"] = [c.violation(out[_column(c)]) for c in self.spec.constraints]
        out["feasible"] = out["complete"] and all(v <= 0 for v in out["violations"])
        return out

    def senses(self) -> np.ndarray:
        """+1 for an objective to maximise, -1 to minimise (oriented values: larger is better)."""
        return np.array([1.0 if o.direction == "maximise" else -1.0 for o in self.spec.objectives])

    def objective_columns(self) -> list[str]:
        return [_column(o) for o in self.spec.objectives]


def _column(measure) -> str:
    """A measure's column in the results: the metric, per year when it says so."""
    return measure.metric + ("_per_year" if measure.per_year else "")


def _comparable(config: dict) -> dict:
    """A configuration without what does not change a run: the coordination model's name (a
    label once its blocks are filled) and blocks switched off."""
    blocks = {k: (v if not isinstance(v, dict) or v.get("enabled") else None)
              for k, v in config["coordination"].items() if k != "model"}
    return {**config, "coordination": blocks, "name": None, "description": None}


def load_optimisation(path: str | Path, trials: int | None = None,
                      command: str = "") -> Optimisation:
    """Read and check an optimisation file (ConfigError naming the file and key); every lever at
    its bounds, each mechanism on, must make a valid scenario. Under the test-only scale
    setting, trials and replications are cut (:func:`sim.scenario.loading.scaled_count`)."""
    spec, scenario_path, base = load_spec(path)
    count = spec.trials if trials is None else trials
    opt = Optimisation(spec, str(path), str(scenario_path), base,
                       scaled_count(count, least=min(count, spec.batch)),
                       scaled_count(spec.replications),
                       scaled_count(spec.reevaluation.replications, least=2), command)
    levers = spec.levers
    ends = [({k: b.ends()[end] for k, b in levers.parameters.items()}, f"at its {side} bound")
            for end, side in enumerate(("low", "high"))]
    ends += [({**ends[0][0], key: value}, f"at its low bound, and {key} = {value!r}")
             for key, options in levers.choices.items() for value in options]
    for values, where in ends:
        values = {MECHANISM_KEY.format(m): True for m in levers.mechanisms} | values
        values.update({k: v[0] for k, v in levers.choices.items() if k not in values})
        try:
            opt.config(values)
        except ConfigError as exc:
            raise ConfigError(f"{path}: levers: every mechanism on and every parameter {where}: "
                              f"{str(exc).removeprefix('design: ')}") from None
    return opt


# ------------------------------------------------------------------ the search
def _study(opt: Optimisation):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    directions = ["maximize" if o.direction == "maximise" else "minimize" for o in opt.spec.objectives]
    return optuna.create_study(directions=directions)


def _violations(trial) -> list[float]:
    return list(trial.user_attrs["violations"])


def _sampler(opt: Optimisation, batch: int):
    import optuna

    with warnings.catch_warnings():  # constraints_func is deprecated in Optuna 5, kept for 4
        warnings.simplefilter("ignore")
        return optuna.samplers.NSGAIISampler(
            population_size=opt.spec.batch, seed=sampler_seed(opt.spec.seed, batch),
            constraints_func=_violations if opt.spec.constraints else None)


def runs_by_id(store_runs: pd.DataFrame) -> dict[str, dict]:
    """The store's runs as rows by run id."""
    return {} if not len(store_runs) else {r["run_id"]: r for r in store_runs.to_dict("records")}


def runs_of(rows: dict[str, dict], design: str, phase: str, count: int) -> list[dict | None]:
    """A design's rows on the search's or the fresh seeds, in seed order (None: not run)."""
    return [rows.get(f"{design}-{phase}{k:03d}") for k in range(count)]


def search_study(opt: Optimisation, rows: dict[str, dict], run_batch=None,
                 stop_after_batches: int | None = None):
    """The study, asked batch by batch and told from the search runs in ``rows``; before each
    batch is told, ``run_batch(designs)`` (if given) runs its designs' missing runs into
    ``rows``. Without it the study is rebuilt from recorded runs alone."""
    import optuna

    study = _study(opt)
    for name in opt.spec.preset_names:  # the first batch starts from the presets
        values = opt.preset_values(name)
        if values is not None:
            study.enqueue_trial(values, skip_if_exists=True)
    space = opt.distributions()
    for batch, first in enumerate(range(0, opt.trials, opt.spec.batch)):
        if stop_after_batches is not None and batch >= stop_after_batches:
            break
        study.sampler = _sampler(opt, batch)
        asked = [study.ask(space) for _ in range(min(opt.spec.batch, opt.trials - first))]
        if run_batch is not None:
            designs: dict[str, dict] = {}
            for trial in asked:
                designs.setdefault(opt.design_id(trial.params), trial.params)
            run_batch(designs, first)
        for trial in asked:  # told back in trial order
            result = opt.evaluate(runs_of(rows, opt.design_id(trial.params), SEARCH, len(opt.seeds)))
            if not result["complete"]:
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
                continue
            trial.set_user_attr("violations", result["violations"])
            study.tell(trial, [result[c] for c in opt.objective_columns()])
    return study


def run_optimisation(opt: Optimisation, store: OptimisationStore, executor, progress=None,
                     stop_after_batches: int | None = None) -> dict:
    """Run the search and the re-evaluation runs not yet recorded in ``store`` (holding its
    lock); return the manifest. ``stop_after_batches`` stops after that many batches (as an
    interruption would), before the re-evaluation."""
    store.check_new_or_own()
    with store.lock():
        store.clean_temporary()
        record_search(store, opt.record(), opt.fingerprint(),
                      "optimisation (levers, objectives, scenario, replications or seed differ)")
        store.write_json(RECORD, {**opt.record(), "fingerprint": opt.fingerprint()})
        rows = runs_by_id(store.read())
        started, clock = time.time(), time.perf_counter()
        todo = max(opt.trials * len(opt.seeds) + (opt.spec.reevaluation.candidates + len(
            opt.spec.preset_names)) * len(opt.fresh) - len(rows), 0)
        finished = [0]

        def run(tasks: list[dict]) -> None:
            new = run_tasks(executor, tasks, store, progress, done=finished[0], todo=todo)
            finished[0] += len(new)
            rows.update({r["run_id"]: r for r in new})

        def run_batch(designs: dict[str, dict], first: int) -> None:
            run([task for design, values in designs.items()
                 for task in opt.tasks(design, values, SEARCH, set(rows), first)])

        study = search_study(opt, rows, run_batch, stop_after_batches)
        if stop_after_batches is None:
            run(reevaluation_tasks(opt, search_designs(opt, study, rows), set(rows)))
        manifest = search_manifest("optimisation", opt.name, opt.command, opt.trials,
                                   finished[0], time.perf_counter() - clock, executor, started)
        store.write_json("manifest.json", manifest)
        return manifest


def search_designs(opt: Optimisation, study, rows: dict[str, dict]) -> pd.DataFrame:
    """One row per trial: its design, the levers that apply, the lever values as asked
    (``params``, JSON) and the search's estimates."""
    import optuna

    out = []
    for trial in study.get_trials(deepcopy=False):
        if trial.state not in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.FAIL):
            continue
        design = opt.design_id(trial.params)
        result = opt.evaluate(runs_of(rows, design, SEARCH, len(opt.seeds)))
        out.append({"trial": trial.number, "batch": trial.number // opt.spec.batch,
                    "design": design, **opt.effective(trial.params),
                    "params": json.dumps(trial.params, sort_keys=True),
                    **{k: v for k, v in result.items() if k != "violations"}})
    return pd.DataFrame(out)


def search_front(opt: Optimisation, trials: pd.DataFrame) -> pd.DataFrame:
    """The search's front: the feasible designs no other feasible design dominates (on the search
    estimates), at most ``reevaluation.candidates`` of them spread along the primary objective."""
    if not len(trials):
        return trials
    designs = trials.drop_duplicates("design").reset_index(drop=True)
    feasible = designs[designs["feasible"].astype(bool)].reset_index(drop=True)
    if not len(feasible):
        return feasible
    points = feasible[opt.objective_columns()].to_numpy(dtype=float) * opt.senses()
    front = feasible[non_dominated(points)]
    front = front.sort_values([opt.objective_columns()[0], "trial"]).reset_index(drop=True)
    cap = opt.spec.reevaluation.candidates
    if len(front) > cap:
        front = front.iloc[np.unique(np.round(np.linspace(0, len(front) - 1, cap)).astype(int))]
    return front.reset_index(drop=True)


def reevaluation_tasks(opt: Optimisation, trials: pd.DataFrame, skip: set[str]) -> list[dict]:
    """The fresh-seed runs of the search front's designs and of the presets."""
    designs = {row["design"]: json.loads(row["params"]) for _, row in
               search_front(opt, trials).iterrows()}
    for name in opt.spec.preset_names:  # a preset on the front is run once, as its design
        design, values = opt.preset_design(name)
        designs.setdefault(design, values)
    return [task for i, (design, values) in enumerate(designs.items())
            for task in opt.tasks(design, values, FRESH, skip, (1 << 30) + i)]
