"""How concentrated needs are: the share of the base city's families served in two or more
sectors over two measured years, by ``families.need_complexity_shape`` (docs/model.md, 7.2).

    .venv/bin/python tools/needs_concentration.py [--seeds 3]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from sim.core.model import CoordinationModel
from sim.scenario.loading import load_scenario

BASE = Path(__file__).resolve().parent.parent / "scenarios" / "base.yaml"


def served_in_two_or_more(shape: str, seed: int) -> float:
    """Share of all families with a case in two or more sectors during two measured years."""
    scenario = load_scenario(BASE, [f"families.need_complexity_shape={shape}", "time.years=2",
                                    f"seed={seed}"])
    model = CoordinationModel(scenario, organisation_reporters=False)
    model.run(scenario.time.warmup_weeks)
    served = np.zeros((model.pop.n, model.pop.n_sectors), dtype=bool)
    while model.running:
        model.step()
        served[model.book.cases.family, model.book.cases.sector] = True
    return float(np.mean(served.sum(axis=1) >= 2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    for shape in ("0.5", "1.0", "null"):
        shares = [served_in_two_or_more(shape, seed) for seed in range(1, args.seeds + 1)]
        print(f"need_complexity_shape {shape}: {100 * np.mean(shares):.1f}% of families served "
              f"in two or more sectors (seeds 1-{args.seeds}: "
              f"{', '.join(f'{100 * s:.1f}%' for s in shares)})")


if __name__ == "__main__":
    main()
