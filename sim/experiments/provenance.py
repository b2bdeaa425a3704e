"""Provenance of a result: package versions, git commit, config hash, times."""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
from importlib import metadata
from pathlib import Path

PACKAGES = ("sim", "mesa", "numpy", "scipy", "pandas", "pyarrow", "pydantic", "pyyaml")


def package_versions() -> dict[str, str]:
    """Installed versions of Python and the packages results depend on."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_commit() -> str | None:
    """The project's git commit (with ``-dirty`` when the tree has changes), or None."""
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                                text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return commit + ("-dirty" if dirty else "") if commit else None


TABLE_PATHS = (("neighbourhoods_file",), ("sites_file",), ("geography", "source"),
               ("geography", "sites_source"))  # where a city's tables were read (the content is kept)


def config_hash(config: dict) -> str:
    """SHA-256 of the canonical JSON of a resolved configuration. A city's tables count by their
    content (kept in ``city.geography`` with their SHA-256) and file names, not by the folder
    they were read from, so the same scenario hashes the same on any machine."""
    config = _without_folders(config)
    canonical = json.dumps(config, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _without_folders(config: dict) -> dict:
    """``config`` with its city tables' paths cut to their file names."""
    city = config.get("city")
    if not isinstance(city, dict) or not city.get("neighbourhoods_file"):
        return config
    city = {**city, "geography": dict(city.get("geography") or {})}
    for path in TABLE_PATHS:
        holder = city if len(path) == 1 else city["geography"]
        if isinstance(holder.get(path[-1]), str):
            holder[path[-1]] = Path(holder[path[-1]]).name
    return {**config, "city": city}
