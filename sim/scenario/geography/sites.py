"""Reading a sites table: each organisation's sites, by neighbourhood id or by a point."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import Any

from sim.errors import ConfigError
from sim.scenario.geography.cells import cell, csv_rows, nearest, number, read_bytes
from sim.scenario.geography.model import Geography, outline_rings


def read_sites(path: Path, geography: Geography,
               organisations: Any) -> tuple[dict[str, list[int]], str]:
    """Each listed organisation's sites (neighbourhood indices) from a CSV with a column
    ``organisation`` and where each site is: ``neighbourhood`` (an id of the neighbourhoods
    table), or a point, ``x_km``/``y_km`` (the grid of a table given in km) or ``lon``/``lat``
    (a table with a CRS), in the neighbourhood whose outline holds it (the nearest centroid for
    a table without outlines)."""
    raw = read_bytes(path, "city.sites_file")
    if path.suffix.lower() != ".csv":
        raise ConfigError(f"{path}: expected a .csv file (city.sites_file), got "
                          f"{path.suffix or 'no extension'}")
    names = list(organisations) if isinstance(organisations, dict) else []
    header, rows = csv_rows(path, raw, required=("organisation",))
    locate = _SiteLocator(path, header, geography)
    listed: dict[str, set[int]] = {}
    for line, row in rows:
        org = cell(path, line, "organisation", row)
        if org not in names:
            raise ConfigError(f"{path}: row {line}, column organisation: unknown organisation "
                              f"{org!r}{nearest(org, names)} (known: {', '.join(names)})")
        if isinstance(organisations[org], dict) and isinstance(organisations[org].get("sites"), list):
            raise ConfigError(f"{path}: row {line}, column organisation: organisations.{org}.sites "
                              "already lists its neighbourhoods in the scenario; keep one of the two")
        listed.setdefault(org, set()).add(locate(line, row))
    if not listed:
        raise ConfigError(f"{path}: no sites (expected at least one row)")
    return {org: sorted(where) for org, where in listed.items()}, hashlib.sha256(raw).hexdigest()


class _SiteLocator:
    """The neighbourhood (index) of a row of a sites table: by id, or by a point."""

    def __init__(self, path: Path, header: list[str], geography: Geography):
        self.path, self.geography = path, geography
        self.index = {nid: i for i, nid in enumerate(geography.ids)}
        if "neighbourhood" in header:
            self.axes = None
        elif {"x_km", "y_km"} <= set(header):
            self.axes = ("x_km", "y_km")
            if geography.crs != "km":
                raise ConfigError(f"{path}: row 1: x_km and y_km need a neighbourhoods table "
                                  "given in km; give lon and lat (the table has a CRS)")
        elif {"lon", "lat"} <= set(header):
            self.axes = ("lon", "lat")
            if geography.crs == "km":
                raise ConfigError(f"{path}: row 1: lon and lat need a neighbourhoods table with a "
                                  "CRS; give x_km and y_km (the table is in km)")
        else:
            raise ConfigError(f"{path}: row 1: missing column neighbourhood (an id), or x_km and "
                              f"y_km, or lon and lat (found: {', '.join(header)})")

    def __call__(self, line: int, row: dict[str, str]) -> int:
        place = f"{self.path}: row {line}"
        if self.axes is None:
            nid = cell(self.path, line, "neighbourhood", row)
            if nid not in self.index:
                raise ConfigError(f"{place}, column neighbourhood: unknown neighbourhood id "
                                  f"{nid!r}{nearest(nid, self.geography.ids)} (not in "
                                  "city.neighbourhoods_file)")
            return self.index[nid]
        x, y = (number(place, axis, row.get(axis, "")) for axis in self.axes)
        if self.axes == ("lon", "lat"):
            x, y = self._project(place, x, y)
        x0, y0 = self.geography.origin_km
        return self._neighbourhood(place, x - x0, y - y0)

    def _project(self, place: str, lon: float, lat: float) -> tuple[float, float]:
        from pyproj import CRS, Transformer

        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ConfigError(f"{place}, column lon: expected longitude from -180 to 180 and "
                              f"latitude from -90 to 90, got {lon:g}, {lat:g}")
        crs = CRS.from_user_input(self.geography.crs)
        metres = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
        x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)
        return x * metres / 1000.0, y * metres / 1000.0

    def _neighbourhood(self, place: str, x: float, y: float) -> int:
        """The neighbourhood whose outline holds (x, y) km, or the nearest centroid."""
        import shapely

        rows = self.geography.neighbourhoods
        if not any(row.outline for row in rows):
            return min(range(len(rows)), key=lambda h: math.hypot(rows[h].x_km - x, rows[h].y_km - y))
        if not hasattr(self, "rings"):
            self.rings = [[shapely.Polygon(ring) for ring in outline_rings(row.outline) if len(ring) >= 3]
                          for row in rows]
        for h, rings in enumerate(self.rings):
            if sum(bool(shapely.contains_xy(ring, x, y)) for ring in rings) % 2:  # holes: even-odd
                return h
        raise ConfigError(f"{place}: the site lies outside every neighbourhood of "
                          "city.neighbourhoods_file (longitude and latitude swapped?)")
