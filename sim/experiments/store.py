"""Append-only, resumable result store: a folder of Parquet parts plus the plan and manifest.

Layout of an experiment folder::

    plan.json            the resolved experiment: arms (full configs), runs, seeds
    manifest.json        provenance: versions, git commit, times, runs per second
    parts/part-*.parquet one file per flush; each row is one run

A sweep that grew (more replications or factor values, see ``sim.experiments.runner``) keeps
its rows; their ``index`` (the run's place in the plan) is read from the grown plan.

A part is written to a temporary name, flushed to disk and renamed, so a crash never leaves a
half-written part under its real name. A part that cannot be read (damaged on disk), or that
holds a row whose run id is not in the plan (made up or from another experiment), is moved to
``parts/damaged/`` and its runs are simply run again. One sweep at a time writes into a folder
(:meth:`ResultStore.lock`).
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.errors import ConfigError
from sim.experiments.outputs import json_number, protected

PARTS = "parts"
ROW_KEY = "run_id"
LOCK = ".lock"
TEMPORARY = ".*.tmp"


class ResultStore:
    """The results folder of one experiment.

    With ``planned`` (the plan's run ids), a part holding any other run id is quarantined when
    read, so a made-up or foreign row is never counted.
    """

    RECORD = "plan.json"  # the file that marks a folder as this kind of store's

    def __init__(self, folder: str | Path, planned: set[str] | None = None):
        self.folder = Path(folder)
        self.parts = self.folder / PARTS
        self.planned = planned
        self._locked = False
        self._order: tuple = (None, None)  # (plan.json's version, run id -> index) once read

    # ------------------------------------------------------------------ the folder
    def check_new_or_own(self) -> None:
        """Refuse (ConfigError) a folder that is not a sweep's: the current, home or root folder,
        a file, or a folder holding anything but an earlier sweep of the same kind."""
        reason = protected(self.folder)
        if reason:
            raise ConfigError(f"--out {self.folder}: {reason}; a sweep writes into its own folder, "
                              "e.g. --out results/my-sweep")
        if not self.folder.exists():
            return
        if not self.folder.is_dir():
            raise ConfigError(f"--out {self.folder}: is a file, not a folder")
        if (self.folder / self.RECORD).exists():
            return
        leftovers = [p for p in self.folder.iterdir() if p.name != LOCK and not p.match(TEMPORARY)]
        if leftovers:
            raise ConfigError(f"--out {self.folder}: holds files that are not a sweep's (e.g. "
                              f"{leftovers[0].name}); a sweep writes into a new folder")

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the folder for one sweep: a second one is refused with the holder's PID and host.

        The lock is an advisory ``flock`` on ``.lock``, which records its holder; the kernel
        releases it when the holder dies however it dies, so a lock left by a dead process is
        taken over (and said so). Re-entrant for the same store.
        """
        if self._locked:
            yield
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.folder / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _holder(fd)
                raise ConfigError(f"{self.folder}: in use by another sweep ({holder}); wait for it "
                                  "to finish or stop it, then run this command again") from None
            stale = _holder(fd)
            if stale:
                print(f"sim: taking over the lock of {self.folder} left by {stale}, which has ended",
                      file=sys.stderr)
            me = {"pid": os.getpid(), "host": socket.gethostname(),
                  "since": datetime.now(UTC).isoformat(timespec="seconds")}
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(me).encode(), 0)
            self._locked = True
            try:
                yield
            finally:
                self._locked = False
                os.ftruncate(fd, 0)
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    # ------------------------------------------------------------------ files
    def write_json(self, name: str, data: dict, indent: int | None = 1) -> None:
        """Write a JSON file atomically (temporary file, fsync, rename)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        clean = _clean(data)
        _atomic_write(self.folder / name, (json.dumps(clean, indent=indent) + "\n").encode())

    def read_json(self, name: str) -> dict | None:
        path = self.folder / name
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_bytes())
        except (ValueError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: damaged (not JSON: {exc})") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: damaged (expected a JSON object)")
        return data

    # ------------------------------------------------------------------ parts
    def append(self, rows: list[dict]) -> Path | None:
        """Write ``rows`` as one new part; return its path."""
        if not rows:
            return None
        self.parts.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pylist(rows)
        name = f"part-{len(self._part_files()):06d}-{uuid.uuid4().hex[:8]}.parquet"
        tmp = self.parts / f".{name}.tmp"
        try:
            pq.write_table(table, tmp)
            _fsync(tmp)
            os.replace(tmp, self.parts / name)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_dir(self.parts)
        return self.parts / name

    def _part_files(self) -> list[Path]:
        if not self.parts.exists():
            return []
        return sorted(p for p in self.parts.glob("part-*.parquet"))

    def clean_temporary(self) -> None:
        """Remove temporary files left by a crash during a write (of a part, the plan or the
        manifest); call it only while holding :meth:`lock`."""
        for folder in (self.folder, self.parts):
            if folder.exists():
                for tmp in folder.glob(TEMPORARY):
                    tmp.unlink(missing_ok=True)

    def read_parts(self, columns: list[str] | None = None) -> tuple[list[pd.DataFrame], list[Path]]:
        """Every readable part as a DataFrame (only ``columns`` if given, though every part is
        read whole to check it); damaged parts are moved aside and listed."""
        frames, damaged = [], []
        for path in self._part_files():
            try:
                table = pq.read_table(path)
                if ROW_KEY not in table.column_names:
                    raise ValueError("no run_id column")
                if self.planned is not None and not set(table[ROW_KEY].to_pylist()) <= self.planned:
                    raise ValueError("a run id that is not in the plan")
            except (OSError, ValueError, pa.ArrowException):
                damaged.append(self._quarantine(path))
                continue
            if columns is not None:
                table = table.select([c for c in columns if c in table.column_names])
            frames.append(table.to_pandas())
        return frames, damaged

    def _quarantine(self, path: Path) -> Path:
        target = self.parts / "damaged"
        target.mkdir(exist_ok=True)
        moved = target / path.name
        os.replace(path, moved)
        return moved

    def read(self, columns: list[str] | None = None) -> pd.DataFrame:
        """All runs recorded so far, one row per run id (first record wins), in plan order.

        With ``columns``, only those (plus the run id and index) are loaded.
        """
        if columns is not None:
            columns = list(dict.fromkeys([ROW_KEY, "index", *columns]))
        frames, _ = self.read_parts(columns)
        if not frames:
            return pd.DataFrame(columns=[ROW_KEY])
        table = pd.concat(frames, ignore_index=True)
        table = table.drop_duplicates(subset=ROW_KEY, keep="first")
        order = self._grown_order()
        if order is not None and "index" in table.columns:  # rows written before it grew
            table["index"] = table[ROW_KEY].map(order).fillna(table["index"]).astype("int64")
        if "index" in table.columns:
            table = table.sort_values("index", kind="stable")
        return table.reset_index(drop=True)

    def _grown_order(self) -> dict[str, int] | None:
        """Run id -> its index in the plan, for a sweep that grew (more replications or factor
        values renumber the runs; a row keeps the index it was written with), else None."""
        path = self.folder / self.RECORD
        if self.RECORD != "plan.json" or not path.exists():
            return None
        stat = path.stat()
        key = (stat.st_mtime_ns, stat.st_size)
        if self._order[0] != key:  # read once per version of plan.json
            data = self.read_json(self.RECORD) or {}
            order = None
            if data.get("grown_from"):
                order = {run["run_id"]: run["index"] for run in data["runs"]}
            self._order = (key, order)
        return self._order[1]

    def done_ids(self) -> set[str]:
        """Run ids already recorded (ok or error)."""
        return set(self.read([ROW_KEY])[ROW_KEY])


def _clean(value):
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return json_number(value) if isinstance(value, float) else value


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _holder(fd: int) -> str:
    """Who the lock file says holds it ("pid 12 on host h since ..."), or "" if nobody."""
    try:
        data = json.loads(os.pread(fd, 4096, 0) or b"null")
        return f"pid {int(data['pid'])} on {data['host']} since {data['since']}"
    except (ValueError, TypeError, KeyError):
        return ""


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
