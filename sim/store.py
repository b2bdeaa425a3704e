"""Append-only, resumable result store: a folder of Parquet parts plus the plan and manifest.

Layout of an experiment folder::

    plan.json            the resolved experiment: arms (full configs), runs, seeds
    manifest.json        provenance: versions, git commit, times, runs per second
    parts/part-*.parquet one file per flush; each row is one run

A part is written to a temporary name, flushed to disk and renamed, so a crash never leaves a
half-written part under its real name. A part that cannot be read (damaged on disk) is moved to
``parts/damaged/`` and its runs are simply run again.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.outputs import json_number

PARTS = "parts"
ROW_KEY = "run_id"


class ResultStore:
    """The results folder of one experiment."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.parts = self.folder / PARTS

    # ------------------------------------------------------------------ files
    def write_json(self, name: str, data: dict) -> None:
        """Write a JSON file atomically (temporary file, fsync, rename)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        clean = _clean(data)
        _atomic_write(self.folder / name, (json.dumps(clean, indent=1) + "\n").encode())

    def read_json(self, name: str) -> dict | None:
        path = self.folder / name
        if not path.exists():
            return None
        return json.loads(path.read_text())

    # ------------------------------------------------------------------ parts
    def append(self, rows: list[dict]) -> Path | None:
        """Write ``rows`` as one new part; return its path."""
        if not rows:
            return None
        self.parts.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pylist(rows)
        name = f"part-{len(self._part_files()):06d}-{uuid.uuid4().hex[:8]}.parquet"
        tmp = self.parts / f".{name}.tmp"
        pq.write_table(table, tmp)
        _fsync(tmp)
        os.replace(tmp, self.parts / name)
        _fsync_dir(self.parts)
        return self.parts / name

    def _part_files(self) -> list[Path]:
        if not self.parts.exists():
            return []
        return sorted(p for p in self.parts.glob("part-*.parquet"))

    def clean_temporary(self) -> None:
        """Remove temporary files left by a crash during a write."""
        if self.parts.exists():
            for tmp in self.parts.glob(".*.tmp"):
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
        if "index" in table.columns:
            table = table.sort_values("index", kind="stable")
        return table.reset_index(drop=True)

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
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
