"""Writing result folders safely: inside the results root, all-or-nothing."""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from sim.config import ConfigError


def safe_subdir(root: Path, name: str) -> Path:
    """``root / name``, refusing names that would leave ``root`` (absolute, ``..``)."""
    candidate = Path(name)
    if candidate.is_absolute() or ".." in candidate.parts:
        raise ConfigError(f"output name {name!r}: must be a relative path inside {root}")
    return root / candidate


def json_number(value: float) -> float | None:
    """JSON has no NaN: undefined ratios are written as null."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


def write_json(path: Path, data: dict) -> None:
    clean = {k: json_number(v) if isinstance(v, float) else v for k, v in data.items()}
    path.write_text(json.dumps(clean, indent=2, allow_nan=False) + "\n")


def write_folder(target: Path, fill: Callable[[Path], None]) -> Path:
    """Build a result folder in a temporary sibling, then move it into place in one rename.

    A failure while writing leaves any earlier folder at ``target`` untouched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        fill(tmp)
        old = None
        if target.exists():
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            target.rename(old)
        tmp.rename(target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target
