"""Run one scenario to the end and package its summary, time series and provenance."""

from __future__ import annotations

import sys
import time
import types
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import yaml

from sim.model import CoordinationModel
from sim.outputs import check_target, is_written_by, write_folder, write_json
from sim.params import Scenario
from sim.provenance import config_hash, git_commit, package_versions


@dataclass
class RunResult:
    """What one run produced: the summary metrics, one row per step, and provenance."""

    summary: dict[str, float]
    timeseries: pd.DataFrame
    config: dict
    manifest: dict = field(default_factory=dict)

    def write(self, folder: str | Path, overwrite: bool = False) -> Path:
        """Write summary.json, timeseries.csv, config.yaml and manifest.json (all or nothing).

        ``folder`` must be new or empty, or (with ``overwrite``) hold an earlier run and nothing
        else; anything else raises ConfigError before a file is touched.
        """

        def fill(tmp: Path) -> None:
            write_json(tmp / "summary.json", self.summary)
            if self.config["outputs"]["timeseries"]:
                self.timeseries.to_csv(tmp / "timeseries.csv", index_label="step")
            (tmp / "config.yaml").write_text(
                yaml.safe_dump(self.config, sort_keys=False, allow_unicode=True))
            write_json(tmp / "manifest.json", self.manifest)

        return write_folder(Path(folder), fill, is_run_folder, overwrite)


RUN_FILES = ("summary.json", "timeseries.csv", "config.yaml", "manifest.json")
MANIFEST_KEYS = ("scenario", "coordination", "seed", "config_hash")


def is_run_folder(folder: Path) -> bool:
    """Whether ``folder`` is a folder :meth:`RunResult.write` wrote, with nothing added."""
    return is_written_by(folder, RUN_FILES, "manifest.json", MANIFEST_KEYS)


def check_run_folder(folder: Path, overwrite: bool = False) -> None:
    """Refuse, before running, a result folder that :meth:`RunResult.write` would refuse."""
    check_target(Path(folder), is_run_folder, overwrite)


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
    model = CoordinationModel(scenario, check=check)
    model.run(progress=progress)
    wall = time.perf_counter() - clock
    config = scenario.model_dump(mode="json")
    manifest = {
        "scenario": scenario.name,
        "coordination": scenario.coordination.label,
        "seed": scenario.seed,
        "families": scenario.city.families,
        "steps": scenario.time.steps,
        "warmup_weeks": scenario.time.warmup_weeks,
        "config_hash": config_hash(config),
        "git_commit": git_commit(),
        "packages": package_versions(),
        "started_utc": started.isoformat(timespec="seconds"),
        "wall_seconds": round(wall, 3),
    }
    return RunResult(model.summary(), model.timeseries(), config, manifest)


class _CallableModule(types.ModuleType):
    """Lets ``sim.run(...)`` call the notebook API (:func:`sim.api.run`) while ``sim.run`` stays
    this module (``from sim.run import run_scenario`` is unchanged)."""

    def __call__(self, *args, **kwargs):
        from sim.api import run

        return run(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
