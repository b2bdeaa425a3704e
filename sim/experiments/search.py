"""What `sim calibrate` and `sim optimise` share: Optuna searches asked in fixed-size batches
with seeded samplers, whose runs stream into a resumable store.

A search is deterministic whatever the executor, the number of workers or an interruption:
the sampler of each trial (calibration) or batch (optimisation) is seeded from the search's seed
and that number (:func:`sampler_seed`); a batch's runs are sent to the executor together and
its trials told back in trial order once they are all in. Running the same command again
rebuilds the study from the runs in the store: recorded runs are not run again, and the
trials asked are the same ones.
"""

from __future__ import annotations

import numpy as np

from sim.errors import ConfigError
from sim.experiments.provenance import git_commit, package_versions
from sim.experiments.runner import _error_row, stream
from sim.experiments.store import ResultStore


def sampler_seed(seed: int, number: int) -> int:
    """The seed of the sampler that asks trial or batch ``number`` of a search seeded ``seed``."""
    return int(np.random.SeedSequence([seed, number]).generate_state(1)[0])


def distributions(parameters: dict) -> dict:
    """Optuna distributions of searched parameters given as :class:`~sim.experiments.targets.Bounds`."""
    from optuna.distributions import FloatDistribution, IntDistribution

    out = {}
    for key, b in parameters.items():
        low, high = b.ends()
        out[key] = (IntDistribution(low, high, log=b.log) if b.integer
                    else FloatDistribution(low, high, log=b.log))
    return out


def record_search(store: ResultStore, record: dict, fingerprint: str, what: str) -> None:
    """Write ``record`` (what determines the search) to the store's record file, or check that
    the one there has the same fingerprint (call it holding the store's lock)."""
    recorded = store.read_json(store.RECORD)
    if recorded is not None and recorded.get("fingerprint") != fingerprint:
        raise ConfigError(f"{store.folder}: holds a different {what}; choose another --out or "
                          "remove the folder")
    if recorded is None:
        store.write_json(store.RECORD, {**record, "fingerprint": fingerprint})


def failed_rows(tasks: list[dict]) -> list[dict]:
    """The error rows of tasks that cannot run (their configuration was refused)."""
    return [_error_row(t, t["error"]) for t in tasks]


def run_tasks(executor, tasks: list[dict], store: ResultStore, progress=None, done: int = 0,
              todo: int = 0) -> list[dict]:
    """Run ``tasks`` into ``store``; a task carrying an ``error`` (its configuration was
    refused) is recorded as an error row without running. Returns the new rows."""
    failed = [t for t in tasks if "error" in t]
    if failed:
        store.append(failed_rows(failed))
    good = [t for t in tasks if "error" not in t]
    return stream(executor, good, store, progress, done=done, todo=todo) + failed_rows(failed)


def search_manifest(kind: str, name: str, command: str, trials: int, finished: int,
                    elapsed: float, executor, started: float) -> dict:
    """The manifest.json of one invocation of a search."""
    return {kind: name, "command": command, "trials": trials,
            "runs_this_invocation": finished, "seconds_this_invocation": round(elapsed, 3),
            "executor": executor.name, "workers": executor.workers,
            "started_unix": round(started), "packages": package_versions(),
            "git_commit": git_commit()}


def put(data: dict, key: str, value) -> None:
    """Set the dotted ``key`` of a nested mapping (a scenario file written from overrides)."""
    parts = key.split(".")
    node = data
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
