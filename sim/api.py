"""The Python API for notebooks and scripts: run a scenario, sweep an experiment, compare arms.

::

    import sim

    out = sim.run("base", city__families=2000, years=2, coordination="council")
    out.summary["coverage"], out.timeseries["coverage"].plot()

    runs = sim.sweep("base", factors={"coordination": ["silos", "council"]}, replications=5,
                     set={"city.families": 2000}, years=2)
    sim.api.compare(runs)                       # paired differences against silos
    sim.experiments.plots.plot_comparison(runs, by="coordination")

Keyword overrides use ``__`` for the dots of a scenario key (``city__families=2000`` is
``--set city.families=2000``); ``set={"city.families": 2000}`` takes dotted keys as they are.
Everything goes through the same code as the ``sim`` command: :func:`sim.scenario.loading.load_scenario`
and :func:`sim.experiments.single_run.run_scenario` for one run, the experiment planner and the sweep runner
(common random numbers, parallel workers, resumable results folder) for a sweep.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.core import metrics
from sim.errors import ConfigError
from sim.experiments.plan import _override_text, plan_from_dict
from sim.experiments.plots import (  # noqa: F401 - re-exported for notebooks
    HEADLINE,
    plot_comparison,
    plot_cost_coverage,
    plot_differences,
    plot_equity,
    plot_timeseries,
)
from sim.experiments.stats import arm_summary, paired_differences
from sim.scenario.loading import load_scenario

ROOT = Path(__file__).resolve().parent.parent
RUN_COLUMNS = {"run_id", "index", "arm_id", "arm", "scenario", "replication", "seed", "status",
               "error", "wall_seconds"}


@dataclass
class RunOutput:
    """One run: ``summary`` (metric -> value), ``timeseries`` (one row per week), provenance,
    ``organisations`` (one row per organisation per week: caseload, waiting, budget left,
    spending, duplicates)."""

    summary: pd.Series
    timeseries: pd.DataFrame
    config: dict = field(repr=False)
    manifest: dict = field(repr=False)
    organisations: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def __repr__(self) -> str:
        m = self.manifest
        return (f"RunOutput({m['scenario']}, coordination={m['coordination']}, seed={m['seed']}, "
                f"{m['families']} families, {m['steps']} weeks; coverage="
                f"{self.summary.get('coverage', float('nan')):.3f})")


def scenario_path(scenario: str | Path) -> Path:
    """A scenario file: the path itself if it exists, else ``scenarios/<name>.yaml``.

    Names are looked up in ``./scenarios`` and in the project's ``scenarios/`` folder.
    """
    path = Path(scenario)
    if path.is_file():
        return path.resolve()
    name = path.name if path.suffix in (".yaml", ".yml") else f"{path.name}.yaml"
    for folder in (Path.cwd() / "scenarios", ROOT / "scenarios"):
        if (folder / name).is_file():
            return (folder / name).resolve()
    known = sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))
    raise ConfigError(f"{scenario}: no such scenario file or name (names: {', '.join(known)})")


def _dotted(key: str) -> str:
    return key.replace("__", ".")


def overrides_from(set: dict[str, Any] | None = None, **keywords: Any) -> list[str]:
    """``--set`` strings from a mapping of dotted keys and from ``a__b=value`` keywords."""
    pairs = dict(set or {}) | {_dotted(k): v for k, v in keywords.items()}
    return [_override_text(k, v) for k, v in pairs.items()]


def run(scenario: str | Path = "base", *, coordination: str | None = None, seed: int | None = None,
        years: float | None = None, set: dict[str, Any] | None = None, **overrides: Any) -> RunOutput:
    """Run one scenario and return its summary (a Series) and weekly time series (a DataFrame).

    Args:
        scenario: a scenario file, or a name in ``scenarios/`` (e.g. ``"base"``).
        coordination: a coordination model (preset) replacing the scenario's own.
        seed: the run seed (default: the scenario's).
        years: simulated years (default: the scenario's).
        set: overrides with dotted keys, e.g. ``{"city.families": 2000}``.
        **overrides: overrides with ``__`` for dots, e.g. ``city__families=2000``.
    """
    from sim.experiments.single_run import run_scenario
    from sim.scenario.limits import check_scenario

    sets = overrides_from(set, **overrides)
    if years is not None:
        sets.append(_override_text("time.years", float(years)))
    path = scenario_path(scenario)
    loaded = load_scenario(path, sets, coordination=coordination,
                           seed=None if seed is None else int(seed))
    check_scenario(loaded, str(path), None)  # refused (ConfigError) if it cannot fit in memory
    result = run_scenario(loaded)
    summary = pd.Series(result.summary, name=loaded.name, dtype=float)
    return RunOutput(summary, result.timeseries, result.config, result.manifest, result.organisations)


def sweep(scenario: str | Path | list[str | Path] = "base", *, factors: dict[str, list] | None = None,
          replications: int = 1, seed: int = 0, set: dict[str, Any] | None = None,
          years: float | None = None, workers: int = 1, out: str | Path | None = None,
          sample: dict | None = None, sensitivity: dict | None = None, name: str = "sweep",
          reference: str = "silos", timeseries: list[str] | None = None,
          executor: str = "local") -> pd.DataFrame:
    """Run an experiment built in memory and return its runs table (one row per run).

    The experiment is the same as an experiment file with these keys (see ``experiments/``):
    every combination of ``factors`` (``coordination`` for the preset, dotted or ``__`` keys for
    parameters) is an arm, run ``replications`` times; replication k uses the same seed in every
    arm (common random numbers).

    Args:
        out: results folder (resumable; ``sim report OUT`` works on it). Default: a temporary
            folder, removed afterwards.
        workers: parallel worker processes (1: in this process).
        executor: ``local`` or ``dask`` (a local Dask cluster).
    """
    scenarios = scenario if isinstance(scenario, list) else [scenario]
    raw: dict[str, Any] = {
        "name": name,
        "scenario": [str(scenario_path(s)) for s in scenarios],
        "replications": int(replications),
        "seed": int(seed),
        "set": {_dotted(k): v for k, v in (set or {}).items()},
        "factors": {_dotted(k): list(v) for k, v in (factors or {}).items()},
        "reference": reference,
    }
    if len(scenarios) == 1:
        raw["scenario"] = raw["scenario"][0]
    if years is not None:
        raw["years"] = float(years)
    for key, value in (("sample", sample), ("sensitivity", sensitivity), ("timeseries", timeseries)):
        if value is not None:
            raw[key] = value
    plan = plan_from_dict(raw, Path.cwd() / f"{name}.yaml", source=f"sim.sweep({name!r})")
    if out is not None:
        return _execute(plan, Path(out), workers, executor)
    with tempfile.TemporaryDirectory(prefix=f"sim-{name}-") as folder:
        return _execute(plan, Path(folder), workers, executor)


def _execute(plan, folder: Path, workers: int, executor: str) -> pd.DataFrame:
    from sim.experiments.runner import make_executor, run_plan
    from sim.experiments.store import ResultStore
    from sim.scenario.limits import check_plan

    check_plan(plan, None, int(workers), executor != "dask")
    store = ResultStore(folder)
    pool = make_executor(executor, int(workers))
    try:
        run_plan(plan, store, pool)
    finally:
        pool.close()
    return store.read()


def metric_columns(runs: pd.DataFrame) -> list[str]:
    """The metric columns of a runs table, in the canonical order."""
    return metrics.metric_columns(runs.columns)


def factor_columns(runs: pd.DataFrame) -> list[str]:
    """The factor columns of a runs table (everything that is neither bookkeeping nor a metric)."""
    skip = RUN_COLUMNS | set(metric_columns(runs))
    return [c for c in runs.columns if c not in skip and not c.startswith("ts.")]


def summarise(runs: pd.DataFrame, metrics: list[str] | None = None, by: str = "arm") -> pd.DataFrame:
    """Mean and 95% interval of each metric by arm: one row per arm, columns (metric, statistic)."""
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    table = arm_summary(ok, list(metrics or HEADLINE), by=by)
    wide = table.pivot(index=by, columns="metric", values=["mean", "low", "high"])
    wide = wide.swaplevel(axis=1).sort_index(axis=1, level=0, sort_remaining=False)
    order = list(dict.fromkeys(table[by]))
    return wide.reindex(order)[[m for m in (metrics or HEADLINE) if m in set(table["metric"])]]


def compare(runs: pd.DataFrame, reference: str = "silos", metrics: list[str] | None = None,
            factor: str = "coordination") -> pd.DataFrame:
    """Paired differences of every arm against its reference arm, replication by replication.

    An arm's reference has the same scenario and other factor values, with ``factor`` (by
    default the coordination model) at ``reference``. Common random numbers make these paired
    differences much tighter than differences of means. When ``factor`` is the only thing that
    varies, arms are named by its value (``council`` rather than ``coordination=council``).
    """
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    if factor not in ok.columns:
        raise ConfigError(f"the runs have no {factor!r} column to compare on")
    if reference not in set(ok[factor]):
        raise ConfigError(f"no arm has {factor}={reference!r} (values: {sorted(set(ok[factor]))})")
    others = [c for c in ["scenario", *factor_columns(ok)] if c != factor]
    arms = ok.drop_duplicates("arm").set_index("arm")
    key = {arm: tuple(str(row[c]) for c in others) for arm, row in arms.iterrows()}
    refs = {key[arm]: arm for arm, row in arms.iterrows() if row[factor] == reference}
    pairs = {arm: refs[key[arm]] for arm in arms.index if key[arm] in refs}
    chosen = [m for m in (metrics or metric_columns(ok)) if m in ok.columns]
    diffs = paired_differences(ok, chosen, pairs)
    if len(set(key.values())) == 1:  # only the factor varies: name arms by its value
        name = {arm: str(row[factor]) for arm, row in arms.iterrows()}
        diffs["arm"] = diffs["arm"].map(name)
        diffs["reference"] = diffs["reference"].map(name)
    return diffs
