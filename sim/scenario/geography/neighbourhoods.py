"""Reading a neighbourhoods table: a CSV (x_km/y_km or lon/lat) or a map (GeoJSON, GeoPackage).

Longitude/latitude is projected to its UTM zone (``estimate_utm_crs``), a projected CRS is used
as it is; centroids, outlines and distances are in km. geopandas is imported only here, when a
table is read.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

from sim.errors import ConfigError
from sim.scenario.geography.cells import (
    Where,
    check_ids,
    csv_rows,
    nearest,
    number,
    read_bytes,
    row_attributes,
    text_of,
)
from sim.scenario.geography.model import MAX_NEIGHBOURHOODS, Geography, NeighbourhoodRow, outline_rings

OUTLINE_POINTS = 64  # most vertices kept per ring of an outline (drawing only)
MAP_SUFFIXES = (".geojson", ".json", ".gpkg")


def read_neighbourhoods(path: Path) -> Geography:
    """Read and check a neighbourhoods table (CSV, GeoJSON or GeoPackage)."""
    raw = read_bytes(path, "city.neighbourhoods_file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        records, crs = _csv_neighbourhoods(path, raw)
    elif suffix in MAP_SUFFIXES:
        records, crs = _map_neighbourhoods(path)
    else:
        raise ConfigError(f"{path}: expected a .csv, .geojson, .json or .gpkg file "
                          f"(city.neighbourhoods_file), got {suffix or 'no extension'}")
    if not records:
        raise ConfigError(f"{path}: no neighbourhoods (expected at least one row)")
    if len(records) > MAX_NEIGHBOURHOODS:
        raise ConfigError(f"{path}: {len(records)} neighbourhoods (expected at most "
                          f"{MAX_NEIGHBOURHOODS})")
    if sum(r["families"] for r in records) <= 0:
        raise ConfigError(f"{path}: column families: every row is 0 (expected families in at "
                          "least one neighbourhood)")
    origin = _shift_to_origin(records)
    return Geography(source=str(path), sha256=hashlib.sha256(raw).hexdigest(), crs=crs,
                     origin_km=list(origin), neighbourhoods=[NeighbourhoodRow(**r) for r in records])


def _csv_neighbourhoods(path: Path, raw: bytes) -> tuple[list[dict], str]:
    header, rows = csv_rows(path, raw, required=("id", "families"))
    if {"x_km", "y_km"} <= set(header):
        crs, axes = "km", ("x_km", "y_km")
    elif {"lon", "lat"} <= set(header):
        crs, axes = "lonlat", ("lon", "lat")
    else:
        raise ConfigError(f"{path}: row 1: missing columns x_km and y_km, or lon and lat (where "
                          f"each neighbourhood is; found: {', '.join(header)})")
    where = Where(path, "row")
    records = [row_attributes(where(line), row) for line, row in rows]
    for (line, row), record in zip(rows, records, strict=True):
        record["x_km"], record["y_km"] = (number(where(line), a, row.get(a, "")) for a in axes)
    check_ids(records, [where(line) for line, _ in rows])
    if crs == "lonlat":
        return _project_points(path, records, [where(line) for line, _ in rows])
    return records, crs


def _map_neighbourhoods(path: Path) -> tuple[list[dict], str]:
    """Features of a GeoJSON/GeoPackage: attributes checked, outlines and centroids in km."""
    import geopandas
    import shapely

    try:
        frame = geopandas.read_file(path)
    except Exception as exc:  # noqa: BLE001 - any reader failure is the file's problem
        first = str(exc).strip().splitlines()[0].split("; ")[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"{path}: could not read the file as a map ({first})") from None
    if len(frame) == 0:
        raise ConfigError(f"{path}: no neighbourhoods (expected at least one feature)")
    frame.columns = [c if c == frame.geometry.name else str(c).strip().lower() for c in frame.columns]
    for column in ("id", "families"):
        if column not in frame.columns:
            found = [c for c in frame.columns if c != frame.geometry.name]
            raise ConfigError(f"{path}: missing column {column}{nearest(column, found)} (found: "
                              f"{', '.join(found)})")
    where = Where(path, "feature")
    places = [where(i) for i in range(1, len(frame) + 1)]
    records = [row_attributes(place, {c: text_of(v) for c, v in row.items()
                                      if c != frame.geometry.name})
               for place, (_, row) in zip(places, frame.iterrows(), strict=True)]
    check_ids(records, places)
    for place, shape in zip(places, frame.geometry, strict=True):
        if shape is None or shape.is_empty:
            raise ConfigError(f"{place}, column geometry: empty geometry (expected a polygon or "
                              "a point)")
        if shape.geom_type not in ("Polygon", "MultiPolygon", "Point"):
            raise ConfigError(f"{place}, column geometry: expected a polygon or a point, got "
                              f"{shape.geom_type}")
    projected, crs = _to_km(path, frame, places)
    for place, record, shape in zip(places, records, projected, strict=True):
        if not shapely.is_valid(shape):
            shape = shapely.make_valid(shape)
        if shape.geom_type != "Point" and not shape.area > 0:
            raise ConfigError(f"{place}, column geometry: a polygon with no area (expected a "
                              "polygon or a point)")
        centre = shape.centroid
        if not (math.isfinite(centre.x) and math.isfinite(centre.y)):
            raise ConfigError(f"{place}, column geometry: its coordinates cannot be projected "
                              f"to km ({crs})")
        record["x_km"], record["y_km"] = centre.x, centre.y
        record["outline"] = _outline(shape)
    return records, crs


def _to_km(path: Path, frame, places: list[str]) -> tuple[list, str]:
    """The geometries in km of a projected CRS (lon/lat projected to its UTM zone)."""
    import shapely

    crs = frame.crs
    if crs is None:
        raise ConfigError(f"{path}: no coordinate reference system (give the file one, e.g. "
                          "EPSG:4326 for longitude/latitude)")
    if crs.is_geographic:
        bounds = frame.geometry.bounds.to_numpy()
        for place, (x0, y0, x1, y1) in zip(places, bounds, strict=True):
            if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
                raise ConfigError(
                    f"{place}, column geometry: coordinates ({x0:.6g}, {y0:.6g}) are not longitude"
                    f"/latitude, but the file's CRS ({crs.to_string()}) is; it cannot be projected "
                    "(give the file the CRS its coordinates are in)")
        try:
            target = frame.estimate_utm_crs()
            frame = frame.to_crs(target)
        except Exception as exc:  # noqa: BLE001 - pyproj's failures, one line
            raise ConfigError(f"{path}: column geometry: cannot be projected to km "
                              f"({str(exc).splitlines()[0]})") from None
        crs = target
    if not crs.is_projected:
        raise ConfigError(f"{path}: its CRS ({crs.to_string()}) is neither longitude/latitude "
                          "nor projected; it cannot be projected to km")
    metres = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
    scale = metres / 1000.0
    shapes = [shapely.transform(shape, lambda xy: xy * scale) for shape in frame.geometry]
    name = crs.to_string() if crs.to_epsg() is None else f"EPSG:{crs.to_epsg()}"
    return shapes, name


def _project_points(path: Path, records: list[dict], places: list[str]) -> tuple[list[dict], str]:
    """A CSV's lon/lat columns as km in the UTM zone of the table."""
    import geopandas

    for place, record in zip(places, records, strict=True):
        for axis, low, high in (("x_km", -180, 180), ("y_km", -90, 90)):
            if not low <= record[axis] <= high:
                column = "lon" if axis == "x_km" else "lat"
                raise ConfigError(f"{place}, column {column}: expected a number from {low} to "
                                  f"{high} (degrees), got {record[axis]:g}")
    frame = geopandas.GeoDataFrame(geometry=geopandas.points_from_xy(
        [r["x_km"] for r in records], [r["y_km"] for r in records]), crs="EPSG:4326")
    shapes, crs = _to_km(path, frame, places)
    for record, point in zip(records, shapes, strict=True):
        record["x_km"], record["y_km"] = point.x, point.y
    return records, crs


def _outline(shape) -> str:
    """A polygon's rings as an outline string in km (simplified to at most OUTLINE_POINTS
    vertices a ring, to 10 m); empty for a point."""
    polygons = {"Polygon": [shape], "MultiPolygon": list(getattr(shape, "geoms", []))}.get(
        shape.geom_type, [])
    if shape.geom_type == "GeometryCollection":
        polygons = [g for g in shape.geoms if g.geom_type == "Polygon"]
    rings = []
    for polygon in polygons:
        for ring in [polygon.exterior, *polygon.interiors]:
            points = list(ring.coords)
            step = max(1, math.ceil(len(points) / OUTLINE_POINTS))
            kept = points[::step]
            rings.append(",".join(f"{x:.2f} {y:.2f}" for x, y, *_ in kept))
    return ";".join(rings)


def _shift_to_origin(records: list[dict]) -> tuple[float, float]:
    """Move every coordinate so the table's lowest x and y (outlines included) sit 3% of its
    span from 0: distances are unchanged, and the map's square starts at the origin. Returns
    the point moved to 0, 0."""
    xs = [r["x_km"] for r in records]
    ys = [r["y_km"] for r in records]
    for r in records:
        for ring in outline_rings(r.get("outline", "")):
            xs += [x for x, _ in ring]
            ys += [y for _, y in ring]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 1.0)
    x0, y0 = min(xs) - 0.03 * span, min(ys) - 0.03 * span
    for r in records:
        r["x_km"], r["y_km"] = round(r["x_km"] - x0, 3), round(r["y_km"] - y0, 3)
        if r.get("outline"):
            r["outline"] = ";".join(
                ",".join(f"{x - x0:.2f} {y - y0:.2f}" for x, y in ring)
                for ring in outline_rings(r["outline"]))
    return x0, y0
