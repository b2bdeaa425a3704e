"""Write a synthetic table of municipalities for a portfolio experiment (clearly made up).

Assumptions (a country like France, whose ~35,000 communes have a median of about 450 and a mean
of about 1,900 inhabitants: 35,000 x 1,900 is about its 68 million people; INSEE, "Populations
légales"; the same distribution as benchmarks/sweep_sizing.py):

- inhabitants: log-normal with median 450 and mean 1,900; with ``--capital P`` the largest
  municipalities follow Zipf's rank-size rule where it gives more, ``P / rank`` (France: Paris,
  about 2.1 million; Zipf's law for cities: Gabaix, QJE 1999);
- families with children 0-12: 0.11 per inhabitant (assumption), at least 1;
- informal settlements: a municipality has some with chance ``0.1 + 0.15 x log10(inhabitants /
  100)`` (between 0.05 and 0.95: larger towns more often), and then a share of families in them
  drawn from Beta(2, 5) (mean 0.29) (assumptions, for a middle-income country);
- marginalised share: the base scenario's 12% outside and 70% inside informal settlements
  (``0.12 + 0.58 x informal share``), times a log-normal factor (sd 0.3), between 0.02 and 0.95;
- yearly public budget per family: the base scenario's (its departments' and NGOs' yearly budgets
  / its reference families) times a log-normal factor (sd 0.25) (assumption);
- ``city.neighbourhoods``: one per 700 families (the base city has about 670), 2 to 60;
  ``city.extent_km``: the side of an area of ``10 x (inhabitants / 450)^0.4`` km2 (a median
  commune covers about 10 km2; assumption), 1.5 to 40 km.

The same seed gives the same table. The shipped tables were made with::

    .venv/bin/python tools/make_portfolio.py --municipalities 36000 --seed 36000 \\
        --capital 2100000 --out experiments/portfolios/municipalities_36000.csv
    .venv/bin/python tools/make_portfolio.py --municipalities 200 --seed 200 \\
        --out experiments/portfolios/municipalities_200.csv
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "scenarios" / "base.yaml"
MEDIAN_INHABITANTS, MEAN_INHABITANTS = 450.0, 1_900.0
FAMILIES_PER_INHABITANT = 0.11
FAMILIES_PER_NEIGHBOURHOOD = 700


def base_budget_per_family() -> float:
    """The base scenario's yearly public budget per family (departments' and NGOs')."""
    from sim.scenario.loading import load_scenario

    scenario = load_scenario(BASE)
    total = sum(o.funding.budget_per_year or 0.0 for o in scenario.organisations.values())
    return total / (scenario.city.reference_families or scenario.city.families)


def inhabitants(rng: np.random.Generator, n: int, capital: float) -> np.ndarray:
    """Municipal populations, largest first: log-normal, with a Zipf tail from ``capital``."""
    sigma = np.sqrt(2 * np.log(MEAN_INHABITANTS / MEDIAN_INHABITANTS))
    people = np.sort(rng.lognormal(np.log(MEDIAN_INHABITANTS), sigma, size=n))[::-1]
    if capital > 0:
        people = np.maximum(people, capital / np.arange(1, n + 1))
    return np.maximum(np.round(people), 1)


def make_table(n: int, seed: int, capital: float, budget: float) -> pd.DataFrame:
    """A table of ``n`` municipalities (columns as sim.experiments.municipalities reads them)."""
    rng = np.random.default_rng(seed)
    people = rng.permutation(inhabitants(rng, n, capital))
    families = np.maximum(np.round(people * FAMILIES_PER_INHABITANT), 1).astype(int)
    has_informal = rng.random(n) < np.clip(0.1 + 0.15 * np.log10(people / 100), 0.05, 0.95)
    informal = np.where(has_informal, rng.beta(2, 5, size=n), 0.0)
    marginalised = np.clip((0.12 + 0.58 * informal) * rng.lognormal(0, 0.3, size=n), 0.02, 0.95)
    area = 10 * (people / MEDIAN_INHABITANTS) ** 0.4
    return pd.DataFrame({
        "id": [f"m{i:05d}" for i in range(1, n + 1)],
        "families": families,
        "informal_share": informal.round(3),
        "marginalised_share": marginalised.round(3),
        "budget_per_family": (budget * rng.lognormal(0, 0.25, size=n)).round(0).astype(int),
        "city.neighbourhoods": np.clip(np.ceil(families / FAMILIES_PER_NEIGHBOURHOOD), 2, 60).astype(int),
        "city.extent_km": np.clip(np.sqrt(area), 1.5, 40).round(1),
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--municipalities", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--capital", type=float, default=0.0,
                        help="inhabitants of the largest municipality under Zipf's rule (0: none)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    table = make_table(args.municipalities, args.seed, args.capital, base_budget_per_family())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False)
    people = table["families"].sum() / FAMILIES_PER_INHABITANT
    print(f"{args.out}: {len(table):,} municipalities, {table['families'].sum():,} families "
          f"(about {people / 1e6:.1f} million inhabitants), median {table['families'].median():.0f}"
          f" and largest {table['families'].max():,} families")


if __name__ == "__main__":
    main()
