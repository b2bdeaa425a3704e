"""Writing result folders safely: inside the results root, all-or-nothing, never over a user's files."""

from __future__ import annotations

import json
import math
import shutil
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

from sim.errors import ConfigError


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


def protected(folder: Path) -> str | None:
    """Why ``folder`` can never be a result folder (root, home, the current folder or one of
    its parents), or None."""
    resolved = folder.resolve()
    cwd = Path.cwd().resolve()
    if resolved == Path(resolved.anchor):
        return "is the root folder"
    if resolved == Path.home().resolve():
        return "is the home folder"
    if resolved == cwd:
        return "is the current folder"
    if resolved in cwd.parents:
        return "holds the current folder"
    return None


def is_written_by(folder: Path, files: Iterable[str], marker: str, keys: Iterable[str]) -> bool:
    """Whether ``folder`` holds only ``files`` and its ``marker`` JSON has ``keys``: a folder this
    program wrote, which nothing else has been added to."""
    allowed = set(files)
    try:
        names = {entry.name for entry in folder.iterdir()}
        data = json.loads((folder / marker).read_text())
    except (OSError, ValueError):
        return False
    return names <= allowed and isinstance(data, dict) and set(keys) <= set(data)


def check_target(target: Path, replaceable: Callable[[Path], bool], overwrite: bool,
                 option: str = "--out") -> None:
    """Refuse (ConfigError) a result folder whose writing would lose anything a user owns.

    A new folder or an empty one is fine; a folder that ``replaceable`` recognises (an earlier
    result of the same kind, nothing added) only with ``overwrite``; anything else never.
    """
    where = f"{option} {target}"
    reason = protected(target)
    if reason:
        raise ConfigError(f"{where}: {reason}; results go to a new folder, e.g. {option} results/my-run")
    for parent in target.parents:
        if parent.exists() or parent.is_symlink():
            if not parent.is_dir():
                raise ConfigError(f"{where}: {parent} is a file, not a folder")
            break
    if target.is_symlink():
        raise ConfigError(f"{where}: is a symbolic link; give the folder it points to, or a new one")
    if not target.exists():
        return
    if not target.is_dir():
        raise ConfigError(f"{where}: is a file, not a folder; results go to a new folder "
                          "(nothing was written)")
    if not any(target.iterdir()):
        return
    if not replaceable(target):
        raise ConfigError(f"{where}: holds files that this program did not write; results go to "
                          "a new folder (nothing was written or deleted)")
    if not overwrite:
        raise ConfigError(f"{where}: holds an earlier run; add --overwrite to replace it, or "
                          "choose another folder")


def free_folder(folder: Path) -> Path:
    """``folder`` if it does not exist yet, else the first free ``folder-2``, ``folder-3``..."""
    candidate, n = folder, 1
    while candidate.exists() or candidate.is_symlink():
        n += 1
        candidate = folder.with_name(f"{folder.name}-{n}")
    return candidate


def write_folder(target: Path, fill: Callable[[Path], None],
                 replaceable: Callable[[Path], bool], overwrite: bool = False) -> Path:
    """Build a result folder in a temporary sibling, then move it into place in one rename.

    ``target`` is checked again (:func:`check_target`) just before the move, so a folder that
    appeared while the run was computing is never replaced unless it may be. A failure while
    writing leaves any earlier folder at ``target`` untouched. Folders get the umask's
    permissions, like any folder the user makes.
    """
    target = Path(target)
    check_target(target, replaceable, overwrite)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.mkdir()
    try:
        fill(tmp)
        check_target(target, replaceable, overwrite)
        old = None
        if target.exists():
            if any(target.iterdir()):
                old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
                target.rename(old)
            else:
                target.rmdir()
        tmp.rename(target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target
