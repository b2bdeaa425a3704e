"""Run one scenario to the end and package its summary, time series and provenance."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import yaml

from sim.core.model import CoordinationModel
from sim.experiments.outputs import check_target, is_written_by, write_folder, write_json
from sim.experiments.provenance import config_hash, git_commit, package_versions
from sim.scenario.params import Scenario


@dataclass
class RunResult:
    """What one run produced: the summary metrics, one row per step, provenance, and one row per
    organisation per step (the organisation agents' reporters)."""

    summary: dict[str, float]
    timeseries: pd.DataFrame
    config: dict
    manifest: dict = field(default_factory=dict)
    organisations: pd.DataFrame = field(default_factory=pd.DataFrame)

    def write(self, folder: str | Path, overwrite: bool = False) -> Path:
        """Write summary.json, timeseries.csv, organisations.csv, config.yaml and manifest.json
        (all or nothing; the two tables only when ``outputs.timeseries`` is on and, for
        organisations.csv, when the run collected it).

        ``folder`` must be new or empty, or (with ``overwrite``) hold an earlier run and nothing
        else; anything else raises ConfigError before a file is touched.
        """

        def fill(tmp: Path) -> None:
            write_json(tmp / "summary.json", self.summary)
            if self.config["outputs"]["timeseries"]:
                self.timeseries.to_csv(tmp / "timeseries.csv", index_label="step")
                if len(self.organisations):
                    self.organisations.to_csv(tmp / "organisations.csv", index=False)
            (tmp / "config.yaml").write_text(
                yaml.safe_dump(self.config, sort_keys=False, allow_unicode=True))
            write_json(tmp / "manifest.json", self.manifest)

        return write_folder(Path(folder), fill, is_run_folder, overwrite)


RUN_FILES = ("summary.json", "timeseries.csv", "organisations.csv", "config.yaml", "manifest.json")
MANIFEST_KEYS = ("scenario", "coordination", "seed", "config_hash")


def is_run_folder(folder: Path) -> bool:
    """Whether ``folder`` is a folder :meth:`RunResult.write` wrote, with nothing added."""
    return is_written_by(folder, RUN_FILES, "manifest.json", MANIFEST_KEYS)


def check_run_folder(folder: Path, overwrite: bool = False) -> None:
    """Refuse, before running, a result folder that :meth:`RunResult.write` would refuse."""
    check_target(Path(folder), is_run_folder, overwrite)


def run_model(scenario: Scenario, *, seed: int | None = None, check: bool = False,
              progress=None, organisation_reporters: bool = True) -> CoordinationModel:
    """Build the model of ``scenario`` and run it to its horizon: the one place a scenario is run
    (by ``sim run`` and ``sim.run`` through :func:`run_scenario`, by sweeps and the EMA adapter
    through :func:`sim.experiments.runner.simulate`).

    Args:
        scenario: a validated scenario.
        seed: run seed (default: ``scenario.seed``).
        check: check invariants every step.
        progress: optional callable ``progress(week)`` called after every step.
        organisation_reporters: collect the per-organisation table (off in sweep workers).
    """
    model = CoordinationModel(scenario, seed=seed, check=check,
                              organisation_reporters=organisation_reporters)
    model.run(progress=progress)
    return model


def run_summary(model: CoordinationModel) -> dict[str, float]:
    """A finished run's summary: every metric and, when its scenario has shocks, the
    ``resilience.*`` measures read from its time series (:mod:`sim.experiments.resilience`)."""
    if not model.params.shocks:
        return model.summary()
    from sim.experiments.resilience import measure

    return {**model.summary(), **measure(model.params, model.timeseries())}


def run_scenario(scenario: Scenario, *, seed: int | None = None, check: bool = False,
                 progress=None) -> RunResult:
    """Build the model, run it to the scenario's horizon and return its :class:`RunResult`.

    Args:
        scenario: a validated scenario.
        seed: overrides ``scenario.seed``.
        check: check invariants every step.
        progress: optional callable ``progress(week)`` called after every step.
    """
    if seed is not None:
        scenario = scenario.model_copy(update={"seed": int(seed)})
    started = datetime.now(UTC)
    clock = time.perf_counter()
    model = run_model(scenario, check=check, progress=progress)
    wall = time.perf_counter() - clock
    config = scenario.model_dump(mode="json")
    manifest = {
        "scenario": scenario.name,
        "coordination": scenario.coordination.label,
        "seed": scenario.seed,
        "families": scenario.city.families,
        "steps": scenario.time.steps,
        "warmup_weeks": scenario.time.warmup_weeks,
        "follow_up_weeks": scenario.time.follow_up_weeks,
        "currency": scenario.currency,
        "config_hash": config_hash(config),
        "git_commit": git_commit(),
        "packages": package_versions(),
        "started_utc": started.isoformat(timespec="seconds"),
        "wall_seconds": round(wall, 3),
    }
    if scenario.city.geography is not None:  # the city's own tables, each with its SHA-256
        manifest["city_tables"] = scenario.city.geography.files()
    return RunResult(run_summary(model), model.timeseries(), config, manifest,
                     model.organisation_table())
