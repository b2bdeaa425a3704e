"""City generator: neighbourhoods, informal settlements, travel distances and organisations' sites."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.scenario.params import OrganisationParams, Scenario

INTRA_NEIGHBOURHOOD_KM = 0.7  # assumption: typical trip inside one's own neighbourhood


@dataclass
class City:
    """Neighbourhoods on a plane: coordinates (km), informal flag, pairwise distances (km)."""

    xy: np.ndarray  # (H, 2) float
    informal: np.ndarray  # (H,) bool
    distance_km: np.ndarray  # (H, H) float
    family_weight: np.ndarray  # (H,) share of families living in each neighbourhood

    @property
    def size(self) -> int:
        return len(self.informal)


def build_city(scenario: Scenario, rng: np.random.Generator) -> City:
    """Place neighbourhoods on a jittered grid; informal ones are the peripheral cells."""
    p = scenario.city
    h = p.neighbourhoods
    side = int(np.ceil(np.sqrt(h)))
    cell = p.extent_km / side
    grid = np.array([(i % side, i // side) for i in range(h)], dtype=float)
    xy = (grid + 0.5 + rng.uniform(-0.3, 0.3, size=(h, 2))) * cell
    centre = np.full(2, p.extent_km / 2)
    periphery = np.argsort(-np.linalg.norm(xy - centre, axis=1), kind="stable")
    informal = np.zeros(h, dtype=bool)
    informal[periphery[: p.informal_neighbourhoods]] = True
    distance = np.linalg.norm(xy[:, None, :] - xy[None, :, :], axis=2)
    np.fill_diagonal(distance, INTRA_NEIGHBOURHOOD_KM)
    weight = rng.gamma(4.0, size=h)
    for mask, share in ((informal, p.informal_family_share), (~informal, 1 - p.informal_family_share)):
        if mask.any():
            weight[mask] = weight[mask] / weight[mask].sum() * share
    return City(xy=xy, informal=informal, distance_km=distance, family_weight=weight / weight.sum())


def place_sites(org: OrganisationParams, city: City, rng: np.random.Generator) -> np.ndarray:
    """Neighbourhoods where an organisation has a site (explicit list, or a count placed by rule)."""
    if isinstance(org.sites, list):
        return np.unique(np.asarray(org.sites, dtype=np.int64))
    pool = {
        "spread": np.arange(city.size),
        "informal": np.flatnonzero(city.informal),
        "formal": np.flatnonzero(~city.informal),
    }[org.site_placement]
    if len(pool) == 0:
        pool = np.arange(city.size)
    count = min(org.sites, len(pool))
    return np.sort(rng.choice(pool, size=count, replace=False))
