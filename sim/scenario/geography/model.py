"""What the model keeps of a city's neighbourhoods table (``city.geography``): rows in km, no I/O."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from sim.scenario.schema import NonNeg, Share, Strict

MAX_NEIGHBOURHOODS = 2000  # rows of a neighbourhoods table (its outlines travel in config.yaml)


class NeighbourhoodRow(Strict):
    """One neighbourhood as the model reads it (coordinates in km, from the table's origin)."""

    id: Annotated[str, Field(min_length=1, max_length=200)]
    name: Annotated[str, Field(max_length=200)]
    x_km: float
    y_km: float
    families: NonNeg  # a weight: the city's families are spread in these proportions
    informal_share: Share  # share of the neighbourhood's families in informal settlements
    marginalised_share: Share | None = None  # None: from city.marginalised_share_informal/_formal
    outline: str = ""  # rings in km, "x y,x y,...;x y,..." (drawing only); empty: no polygon


class Geography(Strict):
    """A neighbourhoods table read from ``source`` (and the sites of ``sites_source``)."""

    source: str
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    crs: str  # "km" (the table's own x_km/y_km) or the projected CRS the km are measured in
    # the point (km of the table's grid or CRS) that is the model's 0, 0: coordinates were moved
    # by it so the map starts near 0 (distances unchanged)
    origin_km: Annotated[list[float], Field(min_length=2, max_length=2)] = [0.0, 0.0]
    neighbourhoods: list[NeighbourhoodRow] = Field(min_length=1, max_length=MAX_NEIGHBOURHOODS)
    sites_source: str | None = None
    sites_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = None

    @property
    def ids(self) -> list[str]:
        return [row.id for row in self.neighbourhoods]

    def files(self) -> dict[str, str]:
        """The tables read, each with its SHA-256 (a run's provenance)."""
        return {path: digest for path, digest in ((self.source, self.sha256),
                                                  (self.sites_source, self.sites_sha256)) if path}

    def derived_city(self) -> dict[str, Any]:
        """The ``city`` keys a table sets: how many neighbourhoods, which are informal (half or
        more of their families), the informal share of families and the map's extent."""
        rows = self.neighbourhoods
        total = sum(row.families for row in rows)
        informal = sum(row.informal_share >= 0.5 for row in rows)
        share = sum(row.families * row.informal_share for row in rows) / total
        return {"neighbourhoods": len(rows), "informal_neighbourhoods": informal,
                "informal_family_share": min(1.0, share), "extent_km": extent_km(rows)}


def extent_km(rows: list[NeighbourhoodRow]) -> float:
    """The side of the square map that holds every centroid and outline (from the origin)."""
    top = max(max(row.x_km, row.y_km) for row in rows)
    for row in rows:
        for ring in outline_rings(row.outline):
            top = max(top, *(max(x, y) for x, y in ring))
    return round(max(top * 1.03, 1.0), 3)


def outline_rings(text: str) -> list[list[tuple[float, float]]]:
    """The rings of an outline string (``"x y,x y;x y,..."``), as lists of (x, y) in km."""
    return [[tuple(map(float, point.split())) for point in ring.split(",")]
            for ring in text.split(";") if ring]
