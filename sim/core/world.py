"""City generator: neighbourhoods, informal settlements, travel distances and organisations' sites."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.scenario.params import CityParams, OrganisationParams, Scenario

INTRA_NEIGHBOURHOOD_KM = 0.7  # assumption: typical trip inside one's own neighbourhood


@dataclass
class City:
    """Neighbourhoods on a plane: coordinates (km), informal flag, pairwise distances (km).

    A city read from its own tables (``city.geography``) also has, per neighbourhood, the share
    of families in informal settlements, the share marginalised, ids and outlines (for drawing);
    the generated city has none (None: every family of an informal neighbourhood is informal,
    and the marginalised share follows the neighbourhood's flag).
    """

    xy: np.ndarray  # (H, 2) float
    informal: np.ndarray  # (H,) bool
    distance_km: np.ndarray  # (H, H) float
    family_weight: np.ndarray  # (H,) share of families living in each neighbourhood
    informal_share: np.ndarray | None = None  # (H,) share of families in informal settlements
    marginalised_share: np.ndarray | None = None  # (H,) chance a family is marginalised
    ids: tuple[str, ...] = ()  # the table's neighbourhood ids
    outlines: tuple[str, ...] = ()  # the table's outlines in km ("x y,x y;..."), for drawing

    @property
    def size(self) -> int:
        return len(self.informal)


def build_city(scenario: Scenario, rng: np.random.Generator) -> City:
    """Place neighbourhoods on a jittered grid; informal ones are the peripheral cells (a city
    read from its own tables: :func:`city_from_table`, drawing nothing from ``rng``)."""
    p = scenario.city
    if p.geography is not None:
        return city_from_table(p)
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


def city_from_table(p: CityParams) -> City:
    """The city of a neighbourhoods table: centroids, families' shares and informal shares as
    the table gives them; a neighbourhood is informal when half or more of its families are; the
    marginalised share is the table's, else the city's shares weighted by the informal share."""
    rows = p.geography.neighbourhoods
    xy = np.array([(row.x_km, row.y_km) for row in rows], dtype=float)
    informal_share = np.array([row.informal_share for row in rows], dtype=float)
    blend = (informal_share * p.marginalised_share_informal
             + (1 - informal_share) * p.marginalised_share_formal)
    marginalised = np.array([blend[i] if row.marginalised_share is None else row.marginalised_share
                             for i, row in enumerate(rows)], dtype=float)
    families = np.array([row.families for row in rows], dtype=float)
    distance = np.linalg.norm(xy[:, None, :] - xy[None, :, :], axis=2)
    np.fill_diagonal(distance, INTRA_NEIGHBOURHOOD_KM)
    return City(xy=xy, informal=informal_share >= 0.5, distance_km=distance,
                family_weight=families / families.sum(), informal_share=informal_share,
                marginalised_share=marginalised, ids=tuple(row.id for row in rows),
                outlines=tuple(row.outline for row in rows))


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
