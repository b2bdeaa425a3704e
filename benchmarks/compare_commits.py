"""Is a change faster? Step the model of two versions of ``sim/`` side by side in one process.

On a shared, noisy machine two separate runs minutes apart can differ by 30% or more whatever the
code. This script removes most of that noise: it copies ``sim/`` as it is at ``--base`` (a git
revision) and as it is in the working tree into a temporary folder as two packages (``sim_base``,
``sim_work``; their imports rewritten), builds the same scenario with each (the base city, as
each version's own ``scenarios/base.yaml`` says, with every mechanism on, ``--families``
families; as a sweep worker runs it, without the per-organisation table), runs ``--warmup``
steps, then steps the two models alternately, ``--steps`` steps per turn, for ``--rounds`` rounds
(which goes first alternates), so both see the same machine state. It prints each version's
median and best seconds per step, the per-round ratio work / base (median: the figure to quote)
and whether the two models' run summaries are identical (a pure speed-up must leave them so).

    .venv/bin/python benchmarks/compare_commits.py --base HEAD~3 [--families 100000] [--rounds 16]
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import io
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from benchlib import BASE, COORDINATION, ROOT, overrides

IMPORTS = re.compile(r"\b(from|import) sim\b")
DOTTED = re.compile(r"\bsim\.(?=[a-z_])")


def _as_package(source: Path, folder: Path, name: str) -> None:
    """Copy the ``sim`` package at ``source`` to ``folder/name`` with its imports renamed."""
    target = folder / name
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
    for path in target.rglob("*.py"):
        text = path.read_text()
        path.write_text(DOTTED.sub(f"{name}.", IMPORTS.sub(rf"\1 {name}", text)))


def _checkout(revision: str, folder: Path) -> Path:
    """``sim/`` and ``scenarios/`` as they are at ``revision`` (``git archive``), unpacked under
    ``folder``; returns the folder holding them."""
    done = subprocess.run(["git", "archive", "--format=tar", revision, "sim", "scenarios"],
                          cwd=ROOT, capture_output=True)
    if done.returncode != 0:
        sys.exit(f"compare_commits: git archive {revision}: {done.stderr.decode().strip()}")
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as tar:
        tar.extractall(folder / "base-tree", filter="data")
    return folder / "base-tree"


def _model(package: str, families: int, years: float, city: Path):
    config = importlib.import_module(f"{package}.scenario.loading")
    model = importlib.import_module(f"{package}.core.model")
    scenario = config.load_scenario(city, overrides(families, years), coordination=COORDINATION)
    # the step as a sweep worker runs it: no per-organisation table (where the version has one)
    quiet = "organisation_reporters" in inspect.signature(model.CoordinationModel).parameters
    return model.CoordinationModel(scenario, **({"organisation_reporters": False} if quiet else {}))


def _same(a: dict, b: dict) -> bool:
    """Whether two run summaries are identical (NaN equal to NaN: a metric not yet defined)."""
    return a.keys() == b.keys() and all(a[k] == b[k] or (a[k] != a[k] and b[k] != b[k]) for k in a)


def compare(base: str, families: int, rounds: int, steps: int, warmup: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        tree = _checkout(base, folder)
        _as_package(tree / "sim", folder, "sim_base")
        _as_package(ROOT / "sim", folder, "sim_work")
        sys.path.insert(0, str(folder))
        years = (warmup + rounds * steps + 2) / 52
        cities = {"base": tree / "scenarios" / BASE.name, "work": BASE}
        models = {v: _model(f"sim_{v}", families, years, cities[v]) for v in ("base", "work")}
        for m in models.values():
            for _ in range(warmup):
                m.step()
        seconds: dict[str, list[float]] = {"base": [], "work": []}
        for r in range(rounds):
            for v in ("base", "work") if r % 2 == 0 else ("work", "base"):
                t0 = time.perf_counter()
                for _ in range(steps):
                    models[v].step()
                seconds[v].append((time.perf_counter() - t0) / steps)
        same = _same(models["base"].summary(), models["work"].summary())
    ratios = [w / b for b, w in zip(seconds["base"], seconds["work"], strict=True)]
    return {"base": base, "families": families, "rounds": rounds, "steps_per_round": steps,
            "seconds": seconds, "ratio_median": statistics.median(ratios), "ratios": ratios,
            "identical_summaries": same}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="git revision to compare the working tree with")
    parser.add_argument("--families", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=16)
    parser.add_argument("--steps", type=int, default=5, help="steps per turn")
    parser.add_argument("--warmup", type=int, default=30)
    args = parser.parse_args()
    r = compare(args.base, args.families, args.rounds, args.steps, args.warmup)
    for v in ("base", "work"):
        s = r["seconds"][v]
        print(f"{v:>4}: median {1000 * statistics.median(s):.2f} ms/step, best {1000 * min(s):.2f} ms/step")
    print(f"work / base per step, median of {args.rounds} paired rounds at {args.families:,} families: "
          f"{r['ratio_median']:.3f}  (rounds: {' '.join(f'{x:.2f}' for x in r['ratios'])})")
    print("run summaries identical" if r["identical_summaries"] else "run summaries DIFFER")


if __name__ == "__main__":
    main()
