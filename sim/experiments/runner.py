"""Execute an experiment plan on an executor (in-process, local processes, Dask), never losing a run.

Each run depends only on its arm's resolved configuration and its seed, so results are the same
on every executor and in any completion order. Rows are written to the store in small parts as
runs finish; a second invocation on the same folder runs only what is missing.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime

from sim.errors import ConfigError
from sim.experiments.lifeline import watch_driver
from sim.experiments.plan import Plan, growth_problem
from sim.experiments.provenance import git_commit, package_versions
from sim.experiments.store import ResultStore
from sim.scenario.loading import apply_overrides

FLUSH_SECONDS = 2.0
DASK_MALLOC_TRIM = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"
# a LocalCluster's workers are forked from a preloaded forkserver (see _preload_forkserver) and
# share this machine's cores with their own monitors: the event-loop health check (every 20 ms),
# memory (100 ms) and system (500 ms) monitors each take the GIL from the run, so they poll less
# often here (both changes: Dask / local pool 0.773 -> 0.896 on the default city, `make bench`,
# BENCHMARKS.md run H)
LOCAL_CLUSTER_CONFIG = {"distributed.worker.multiprocessing-method": "forkserver",
                        "distributed.admin.tick.interval": "1s",
                        "distributed.worker.memory.monitor-interval": "2s",
                        "distributed.admin.system-monitor.interval": "5s"}
# what a forkserver imports once before it forks worker processes (the model and its Mesa)
FORKSERVER_PRELOAD = ["sim.experiments.runner", "sim.experiments.single_run", "sim.core.model"]


# ------------------------------------------------------------------------- one run
def simulate(config: dict, seed: int, timeseries: list[str]) -> dict:
    """Run one resolved scenario with ``seed``; return its metrics and chosen time series."""
    from sim.experiments.single_run import run_model, run_summary
    from sim.scenario.loading import scenario_from_dict

    # a sweep keeps one row of scalars per run: no per-organisation table
    model = run_model(scenario_from_dict(config, "plan"), seed=seed, organisation_reporters=False)
    out: dict = run_summary(model)
    frame = model.timeseries()
    for name in timeseries:
        out[f"ts.{name}"] = frame[name].astype(float).tolist()
    return out


def _row_head(task: dict) -> dict:
    row = {k: task[k] for k in ("run_id", "index", "arm_id", "arm", "scenario", "replication",
                                "seed")}
    row.update(task["values"])
    if task.get("draw") is not None:  # a posterior draw: its number and parameter set
        row["draw"] = task["draw"]
        row.update(task["params"])
    return row


def _error_row(task: dict, message: str) -> dict:
    return {**_row_head(task), "status": "error", "error": message, "wall_seconds": float("nan")}


def execute(task: dict) -> dict:
    """Run one task (a run of the plan) and return its row; an exception becomes an error row."""
    row = _row_head(task)
    clock = time.perf_counter()
    try:
        row.update(simulate(task["config"], task["seed"], task["timeseries"]))
        row["status"], row["error"] = "ok", ""
    except Exception as exc:  # a failing run is recorded, the sweep goes on
        last = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        where = f" ({os.path.basename(last.filename)}:{last.lineno})" if last else ""
        row["status"], row["error"] = "error", f"{type(exc).__name__}: {exc}{where}"
    row["wall_seconds"] = time.perf_counter() - clock
    return row


# ------------------------------------------------------------------------- executors
class SerialExecutor:
    """Runs tasks one after another in this process."""

    name = "serial"
    workers = 1

    def map_unordered(self, fn: Callable, tasks: Iterable[dict]) -> Iterator[dict]:
        for task in tasks:
            yield fn(task)

    def close(self) -> None:
        """Nothing to release."""


class LocalExecutor:
    """A pool of local worker processes (forkserver start method, model preloaded).

    If a worker process dies (killed, out of memory), the pool is rebuilt and the runs that were
    in flight are submitted again; a run that kills its worker ``MAX_ATTEMPTS`` times becomes an
    error row. If the driver dies (any signal), its workers end too (``sim.experiments.lifeline``).
    """

    name = "local"
    MAX_ATTEMPTS = 3

    def __init__(self, workers: int):
        self.workers = workers
        self.context = multiprocessing.get_context("forkserver")
        self.context.set_forkserver_preload(FORKSERVER_PRELOAD)
        self.pool = self._new_pool()
        self.restarts = 0

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=self.context,
                                   initializer=_start_worker, initargs=(os.getpid(),))

    def map_unordered(self, fn: Callable, tasks: Iterable[dict]) -> Iterator[dict]:
        tasks = iter(tasks)
        inflight: dict = {}  # future -> (task, attempts)

        def submit(task: dict, attempts: int = 1) -> None:
            inflight[self.pool.submit(fn, task)] = (task, attempts)

        for task in _take(tasks, self.workers * 3):
            submit(task)
        while inflight:
            done, _ = wait(set(inflight), return_when=FIRST_COMPLETED)
            broken = []
            for future in done:
                task, attempts = inflight.pop(future)
                if isinstance(future.exception(), BrokenProcessPool):
                    broken.append((task, attempts))
                    continue
                yield future.result()
                nxt = next(tasks, None)
                if nxt is not None:
                    submit(nxt)
            if broken:
                # every run still in flight on the broken pool must be run again
                broken += [inflight.pop(f) for f in list(inflight)]
                self.pool.shutdown(wait=False, cancel_futures=True)
                self.pool, self.restarts = self._new_pool(), self.restarts + 1
                for task, attempts in broken:
                    if attempts >= self.MAX_ATTEMPTS:
                        yield _error_row(task, f"worker process died {attempts} times")
                    else:
                        submit(task, attempts + 1)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def _start_worker(driver_pid: int) -> None:
    """A local worker: Ctrl-C (SIGINT to the terminal's whole process group) is the driver's to
    handle (it keeps the finished runs and says how to resume), not a traceback from each worker;
    the worker ends with the driver."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    watch_driver(driver_pid)


class DaskExecutor:
    """A Dask distributed cluster at ``address``, or a LocalCluster when no address is given."""

    name = "dask"

    def __init__(self, workers: int, address: str | None = None):
        import dask
        from dask.distributed import Client, LocalCluster

        # the nanny's default MALLOC_TRIM_THRESHOLD_ slows NumPy-heavy runs 1.7x (BENCHMARKS.md,
        # "Planning measurements")
        # and its statistical profiler samples every worker's stack: costly for short runs
        dask.config.set({DASK_MALLOC_TRIM: 2**30, "distributed.worker.profile.enabled": False})
        self.cluster = None
        if address:
            self.client = Client(address)
        else:
            dask.config.set(LOCAL_CLUSTER_CONFIG)
            _preload_forkserver()
            self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                        dashboard_address=None, host="127.0.0.1")
            self.client = Client(self.cluster)
        self.workers = len(self.client.scheduler_info().get("workers", {})) or workers

    BATCH = 2  # runs per Dask task: halves the scheduler's per-task work

    def map_unordered(self, fn: Callable, tasks: Iterable[dict]) -> Iterator[dict]:
        from dask.distributed import as_completed

        tasks = iter(tasks)

        def submit_next():
            batch = _take(tasks, self.BATCH)
            return self.client.submit(_run_batch, fn, batch, pure=False) if batch else None

        first = [f for f in (submit_next() for _ in range(max(self.workers, 1) * 2)) if f]
        queue = as_completed(first)
        for future in queue:
            yield from future.result()
            future.release()
            nxt = submit_next()
            if nxt is not None:
                queue.add(nxt)

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _preload_forkserver() -> None:
    """Have the forkserver that a LocalCluster's nannies fork their workers from import Dask and
    the model once, as the local pool does, instead of each worker being a fresh interpreter
    that imports them again (about 1.5 s of a sweep)."""
    from distributed.utils import get_mp_context

    get_mp_context().set_forkserver_preload(["distributed", *FORKSERVER_PRELOAD])


def _run_batch(fn: Callable, batch: list[dict]) -> list[dict]:
    return [fn(task) for task in batch]


def _take(iterator: Iterator, n: int) -> list:
    out = []
    for item in iterator:
        out.append(item)
        if len(out) >= n:
            break
    return out


def make_executor(kind: str, workers: int, scheduler: str | None = None):
    """Build the executor named ``kind`` ("local" or "dask")."""
    if kind == "dask":
        return DaskExecutor(workers, scheduler)
    if scheduler:
        raise ConfigError("--scheduler needs --executor dask")
    return SerialExecutor() if workers <= 1 else LocalExecutor(workers)


# ------------------------------------------------------------------------- the sweep
def tasks_for(plan: Plan, skip: set[str]) -> Iterator[dict]:
    """Task dicts (plain data, picklable) for the runs not in ``skip``, in plan order."""
    arms = plan.arm
    for run in plan.runs:
        if run.run_id in skip:
            continue
        arm = arms[run.arm_id]
        config = arm.resolved()  # a portfolio's municipality: the base with its row's keys
        if run.params:  # a posterior draw, validated with every arm when the plan was built
            config = apply_overrides(config, [f"{k}={json.dumps(v)}" for k, v in run.params.items()])
        yield {"run_id": run.run_id, "index": run.index, "arm_id": arm.arm_id, "arm": arm.label,
               "scenario": arm.config["name"], "replication": run.replication, "seed": run.seed,
               "values": arm.values, "config": config, "draw": run.draw, "params": run.params,
               "timeseries": list(plan.spec.timeseries)}


def recorded_plan(store: ResultStore) -> Plan | None:
    """The plan recorded in ``store``'s plan.json (None if there is none); a damaged or
    edited-out-of-shape plan.json is a ConfigError naming it."""
    data = store.read_json("plan.json")
    if data is None:
        return None
    try:
        return Plan.from_json(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(f"{store.folder / 'plan.json'}: damaged ({type(exc).__name__}: {exc})") from None


def prepare(plan: Plan, store: ResultStore) -> set[str]:
    """Record the plan (or check it matches the folder's) and return run ids already done.

    Call it holding the folder's lock. Temporaries left by a crash are removed; parts that are
    damaged or hold rows that are not in the plan are moved aside (their runs are redone).
    """
    store.clean_temporary()
    store.planned = {r.run_id for r in plan.runs}
    existing = recorded_plan(store)
    if existing is None:
        _record_plan(store, plan.to_json(), plan)
    else:
        _continue(existing, plan, store)
    _, damaged = store.read_parts()
    for path in damaged:
        print(f"sim sweep: part moved aside (damaged, or rows not in the plan), its runs will be "
              f"redone: {path}", file=sys.stderr)
    return store.done_ids()


def _record_plan(store: ResultStore, data: dict, plan: Plan) -> None:
    """Write plan.json; a portfolio's (tens of thousands of arms) without indentation."""
    store.write_json("plan.json", data, indent=None if plan.spec.portfolio else 1)


def _continue(existing: Plan, plan: Plan, store: ResultStore) -> None:
    """Check that ``plan`` is the folder's experiment, or that experiment grown (more
    replications or factor values, nothing else changed): then plan.json becomes the larger
    plan and only the new runs will run. Anything else is refused, saying what differs."""
    problem = growth_problem(existing, plan)
    if problem:
        raise ConfigError(f"{store.folder}: holds a different experiment ({problem}); a sweep "
                          "folder can only grow (more replications or factor values, the rest "
                          "unchanged): undo that change to add to this sweep, or give another "
                          "--out (or remove the folder) to run the changed experiment")
    if existing.fingerprint() == plan.fingerprint():
        return
    data = store.read_json("plan.json") or {}
    grown = [*data.get("grown_from", []), len(existing.runs)]
    _record_plan(store, {**plan.to_json(), "grown_from": grown}, plan)
    print(f"sim sweep: {store.folder}: the experiment grew from {len(existing.runs)} to "
          f"{len(plan.runs)} runs; the runs already done are kept and only the new ones run",
          file=sys.stderr)


def run_plan(plan: Plan, store: ResultStore, executor, progress=None) -> dict:
    """Run every missing run of ``plan`` into ``store``; return the manifest written.

    The folder is locked for the whole sweep: a second sweep into it is refused (ConfigError).
    """
    store.check_new_or_own()
    with store.lock():
        return _run_locked(plan, store, executor, progress)


def _run_locked(plan: Plan, store: ResultStore, executor, progress) -> dict:
    done = prepare(plan, store)
    todo = len(plan.runs) - len(done)
    started = datetime.now(UTC)
    manifest = _manifest(plan, executor, started)
    store.write_json("manifest.json", manifest)
    clock = time.perf_counter()
    finished = len(stream(executor, tasks_for(plan, done), store, progress, todo=todo, keep=False))
    elapsed = time.perf_counter() - clock
    table = store.read(["status"])  # only what the counts need: memory stays flat
    manifest.update({
        "finished_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "runs_this_invocation": finished,
        "seconds_this_invocation": round(elapsed, 3),
        "runs_per_second": round(finished / elapsed, 4) if elapsed > 0 and finished else None,
        "runs_ok": int((table.get("status") == "ok").sum()) if len(table) else 0,
        "runs_error": int((table.get("status") == "error").sum()) if len(table) else 0,
    })
    store.write_json("manifest.json", manifest)
    return manifest


def stream(executor, tasks: Iterable[dict], store: ResultStore, progress=None, done: int = 0,
           todo: int = 0, keep: bool = True) -> list[dict]:
    """Run ``tasks`` on ``executor`` and append their rows to ``store`` in parts as they finish
    (every ``FLUSH_SECONDS`` or two rows per worker); return the rows (only their run ids
    unless ``keep``). ``progress(done, todo, row)`` is called after each run."""
    buffer: list[dict] = []
    rows: list[dict] = []
    last_flush = time.perf_counter()
    try:
        for row in executor.map_unordered(execute, tasks):
            buffer.append(row)
            rows.append(row if keep else {"run_id": row["run_id"]})
            done += 1
            if progress is not None:
                progress(done, todo, row)
            due = time.perf_counter() - last_flush > FLUSH_SECONDS
            if due or len(buffer) >= max(executor.workers, 1) * 2:
                store.append(buffer)
                buffer, last_flush = [], time.perf_counter()
    finally:
        store.append(buffer)
    return rows


def _manifest(plan: Plan, executor, started: datetime) -> dict:
    return {
        "experiment": plan.spec.model_dump(mode="json"),
        "source": plan.source,
        "plan_fingerprint": plan.fingerprint(),
        "arms": len(plan.arms),
        "runs": len(plan.runs),
        "replication_seeds": plan.seeds,
        "executor": executor.name,
        "workers": executor.workers,
        "packages": package_versions(),
        "git_commit": git_commit(),
        "started_utc": started.isoformat(timespec="seconds"),
        "finished_utc": None,
    }
