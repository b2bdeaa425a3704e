"""The NumPy limit: the cheapest pass that reads and writes every family's state once.

For every per-family array the model holds (found by walking the model's attributes and the
``sim`` objects it holds: population, children, schedules, mechanisms; see ``family_arrays``:
need_start, escalated, assessed, enrolled, last_sought, next_need, awareness, trust, complexity,
neighbourhood, marginalised, informal, next_birth, children.birth_week, children.reached,
children.band_count, serving, waiting_count, hazard_group, ... whatever the model holds today),
one in-place read and write: ``np.add(a, 0, out=a)``, or ``np.logical_or(a, False, out=a)`` for
booleans. No step of any model that keeps this state can be cheaper than this pass; the model's
time per step divided by it says how far the model is from that floor (target: within 10x).

    .venv/bin/python benchmarks/numpy_limit.py [--families 100000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from benchlib import emit, load, step_stats, time_steps, worker, years_for

LIMIT_REPEATS = 30


def family_arrays(model) -> list[tuple[str, np.ndarray]]:
    """(path, array) of every distinct per-family array the model holds.

    Walks the attributes of the model and of the ``sim`` objects it holds (population, children,
    schedules, mechanisms, ...; up to 3 levels down) and keeps every NumPy array indexed by
    family: first dimension N, N x sectors or N x child slots (flat per-pair arrays). An array
    that is a view of one already kept is skipped.
    """
    n, s = model.pop.n, model.pop.n_sectors
    k = getattr(model.pop.children, "k", 1)
    sizes = {n, n * s, n * k}
    found: list[tuple[str, np.ndarray]] = []
    seen: set[int] = set()
    todo = [("model", model, 0)]
    while todo:
        path, obj, depth = todo.pop(0)
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        items = list(enumerate(obj)) if isinstance(obj, list | tuple) else sorted(vars(obj).items())
        for name, value in items:
            where = f"{path}[{name}]" if isinstance(name, int) else f"{path}.{name}"
            if isinstance(value, np.ndarray):
                private = str(name).startswith("_")  # scratch space, not state
                if (value.ndim >= 1 and not private and value.shape[0] in sizes and value.size >= n
                        and not any(np.shares_memory(value, other) for _, other in found)):
                    found.append((where, value))
            elif depth < 3 and _is_sim_object(value):
                todo.append((where, value, depth + 1))
    return found


def _is_sim_object(value) -> bool:
    if isinstance(value, list | tuple):
        return bool(value) and all(_is_sim_object(v) for v in value)
    return type(value).__module__.startswith("sim.") and hasattr(value, "__dict__")


def limit_pass(arrays: list[np.ndarray]) -> None:
    """Read and write every element of every array once, in place."""
    for a in arrays:
        if a.dtype == np.bool_:
            np.logical_or(a, False, out=a)
        else:
            np.add(a, 0, out=a)


def measure_limit(model, repeats: int = LIMIT_REPEATS) -> dict:
    """Seconds per limit pass over the model's family arrays (mean of ``repeats`` after 3 warm-ups)."""
    named = family_arrays(model)
    arrays = [a for _, a in named]
    for _ in range(3):
        limit_pass(arrays)
    seconds = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        limit_pass(arrays)
        seconds.append(time.perf_counter() - t0)
    n = model.pop.n
    return {"arrays": [name for name, _ in named],
            "bytes_per_family": sum(a.nbytes for a in arrays) / n,
            "seconds_per_pass": sum(seconds) / len(seconds),
            "min_seconds_per_pass": min(seconds)}


def measure(families: int) -> dict:
    """Build the model, time its steps, then time the limit pass on the same arrays."""
    from sim.core.model import CoordinationModel

    model = CoordinationModel(load(families, years_for(40)), organisation_reporters=False)
    out = {"families": families, **step_stats(time_steps(model.step), families)}
    out["limit"] = measure_limit(model)
    out["ratio"] = out["seconds_per_step"] / out["limit"]["seconds_per_pass"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", default="report", choices=["report", "worker"])
    parser.add_argument("--families", type=int, default=100_000)
    args = parser.parse_args()
    if args.mode == "worker":
        emit(measure(args.families))
        return
    r = worker("numpy_limit.py", "worker", "--families", str(args.families))
    lim = r["limit"]
    print(f"{args.families:,} families: model {1000 * r['seconds_per_step']:.2f} ms/step, limit "
          f"{1000 * lim['seconds_per_pass']:.3f} ms/pass over {len(lim['arrays'])} arrays "
          f"({lim['bytes_per_family']:.0f} B/family); model / limit = {r['ratio']:.1f}x (target <= 10)")
    print("arrays:", ", ".join(lim["arrays"]))


if __name__ == "__main__":
    main()
