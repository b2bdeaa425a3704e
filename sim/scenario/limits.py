"""Memory a run needs, estimated from its sizes before anything is built, and the limit it must fit.

The estimate is the peak resident memory of one run's process: the interpreter with its libraries,
the per-family arrays (state per sector and per child slot, and the weekly candidate rows of
every provider), and the neighbourhood matrices (distances, then the nearest-site search over
every organisation). The constants were measured as peak RSS of runs of the base city from
10,000 to 1,000,000 families, 1 to 12 child slots, 5 to 20 sectors, 15 to 2,000 neighbourhoods
and 10 to 413 organisations; ``tests/test_limits.py`` checks the estimate against the measured
peak within a factor of 2.

The limit is ``--max-memory`` when given, else the memory available to the process: the smallest
of the system's available memory, the address-space limit (``ulimit -v``) and the cgroup's.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import resource
from pathlib import Path

from sim.errors import ConfigError

PROCESS_BYTES = 170e6  # Python with NumPy, pandas, Mesa and the model imported
FAMILY_BYTES = 24  # per family, plus:
FAMILY_SECTOR_BYTES = 64  # per family and sector (episode state, caseload flags, calendars)
CHILD_SLOT_BYTES = 20  # per family and child slot (birth weeks, ages while building)
SLOT_SECTOR_BYTES = 1  # per family, child slot and sector (age bands while building)
FAMILY_PROVIDER_BYTES = 0.5  # per family and organisation (weekly candidate rows)
CITY_PAIR_BYTES = 40  # per pair of neighbourhoods while their distances are computed
SITE_SEARCH_BYTES = 8  # per (neighbourhood, organisation or distance row, neighbourhood)
ACCESS_BYTES = 24  # per neighbourhood and organisation (access weights, sites)
UNITS = {"": 1, "b": 1, "k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12,
         "tb": 1e12, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def estimate(config: dict) -> dict[str, float]:
    """Bytes a run of the resolved scenario ``config`` needs at its peak, by the key that drives
    each part: ``{"": process, "city.families": ..., "city.neighbourhoods": ...}``."""
    city = config["city"]
    n, h, k = city["families"], city["neighbourhoods"], city["max_children"]
    s, o = len(config["sectors"]), len(config["organisations"])
    per_family = (FAMILY_BYTES + FAMILY_SECTOR_BYTES * s + CHILD_SLOT_BYTES * k
                  + SLOT_SECTOR_BYTES * k * s + FAMILY_PROVIDER_BYTES * o)
    pairs = h * h * max(CITY_PAIR_BYTES, SITE_SEARCH_BYTES * (o + 1)) + ACCESS_BYTES * h * o
    return {"": PROCESS_BYTES, "city.families": n * per_family, "city.neighbourhoods": pairs}


def parse_size(text: str) -> float:
    """A size such as ``2GB``, ``512MB``, ``1.5GiB`` or a number of bytes (argparse type)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d*)?)\s*([A-Za-z]*)\s*", text)
    unit = UNITS.get(match.group(2).lower()) if match else None
    value = float(match.group(1)) * unit if unit else 0.0
    if not math.isfinite(value) or value < 1:
        raise argparse.ArgumentTypeError(f"expected a size such as 2GB or 512MB, got {text!r}")
    return value


def add_options(parser, runs: bool = False) -> None:
    """Add ``--max-memory`` (and, for experiments, ``--max-runs``) to a sub-command's parser."""
    parser.add_argument("--max-memory", type=parse_size, metavar="SIZE",
                        help="refuse runs estimated to need more memory, e.g. 2GB (default: the "
                             "memory available to this process)")
    if runs:
        parser.add_argument("--max-runs", type=_count, metavar="N",
                            help="refuse experiments of more runs (default: the file's max_runs, "
                                 "else 200,000)")


def _count(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return int(text)


def available_memory() -> float | None:
    """Bytes this process may still come to hold (None where the system does not say)."""
    rss = _read_number("/proc/self/statm", field=1)
    rss = rss * os.sysconf("SC_PAGE_SIZE") if rss is not None else 0.0
    found = []
    meminfo = _meminfo().get("MemAvailable")
    if meminfo is not None:
        found.append(meminfo + rss)
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        found.append(float(soft))
    for folder in _cgroup_folders():  # v2 names, else v1's; "max" or a huge number is no limit
        limit = _first_number(folder, "memory.max", "memory.limit_in_bytes")
        used = _first_number(folder, "memory.current", "memory.usage_in_bytes") or 0.0
        if limit is not None and limit < 2**60:
            found.append(limit - used + rss)
    return min(found) if found else None


def check(needs: dict[str, float], source: str, max_memory: float | None, workers: int = 1,
          local: bool = True, what: str = "") -> None:
    """Refuse (ConfigError naming ``source`` and the driving key) when ``workers`` runs of the
    estimate ``needs`` exceed ``max_memory`` or, if it is None and ``local``, the memory available."""
    limit = max_memory if max_memory is not None else available_memory() if local else None
    total = sum(needs.values()) * workers
    if limit is None or total <= limit:
        return
    key = max((k for k in needs if k), key=needs.__getitem__)
    runs = f" per run x {workers} workers = {_size(total)}" if workers > 1 else ""
    allowed = "allowed by --max-memory" if max_memory is not None else "available"
    raise ConfigError(f"{source}: {key}: about {_size(sum(needs.values()))} of memory needed{runs}"
                      f"{what}, more than the {_size(limit)} {allowed} (lower {key}"
                      f"{', or --workers' if workers > 1 else ''})")


def check_scenario(scenario, source: str, max_memory: float | None) -> None:
    """Refuse a validated scenario whose run would not fit in memory (see :func:`check`)."""
    check(estimate(scenario.model_dump(mode="json")), source, max_memory)


def check_plan(plan, max_memory: float | None, workers: int = 1, local: bool = True) -> None:
    """Refuse a plan whose largest arm, run on ``workers`` processes at once, would not fit."""
    worst = max(plan.arms, key=lambda arm: sum(estimate(arm.resolved()).values()))
    check(estimate(worst.resolved()), plan.source, max_memory, min(workers, len(plan.runs)), local,
          f" (arm {worst.label})" if len(plan.arms) > 1 else "")


def _size(n: float) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


def _meminfo() -> dict[str, float]:
    try:
        lines = Path("/proc/meminfo").read_text().splitlines()
    except OSError:
        return {}
    out = {}
    for line in lines:
        name, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            out[name] = float(parts[0]) * (1024 if parts[1:] == ["kB"] else 1)
    return out


def _cgroup_folders() -> list[Path]:
    """This process's cgroup folders (v2 and v1 memory controller), where they exist."""
    root = Path("/sys/fs/cgroup")
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return []
    folders = []
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":
            folders.append(root / path.lstrip("/"))
        elif "memory" in controllers.split(","):
            folders.append(root / "memory" / path.lstrip("/"))
    return [f for f in folders if f.is_dir()]


def _first_number(folder: Path, *names: str) -> float | None:
    for name in names:
        value = _read_number(folder / name)
        if value is not None:
            return value
    return None


def _read_number(path, field: int = 0) -> float | None:
    try:
        words = Path(path).read_text().split()
        return float(words[field])
    except (OSError, ValueError, IndexError):
        return None
