"""A city from its own tables: neighbourhoods (CSV, GeoJSON, GeoPackage) and where services are.

``city.neighbourhoods_file`` names a table of neighbourhoods and ``city.sites_file`` a table of
organisations' sites. Both are read while the scenario is validated (:func:`attach_geography`),
so a bad table stops the command before anything is built, with one line naming the file, the
row (a CSV's line, the header being row 1; a map's feature, from 1) and the column.

The parsed table travels inside the validated scenario as ``city.geography`` (a
:class:`Geography`: coordinates in km, families, shares, outlines for drawing, and the file's
SHA-256), so a sweep's workers, the Python API and a run's recorded ``config.yaml`` need no
file: a scenario whose ``geography`` was read from the file it names is not read again.

Coordinates: a CSV gives ``x_km``/``y_km`` or ``lon``/``lat``; a GeoJSON or GeoPackage gives
polygons (or points) in any coordinate reference system. Longitude/latitude is projected to
its UTM zone (``estimate_utm_crs``); centroids and distances are in km in that projection.
geopandas is imported only when a map file is read.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import math
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from sim.errors import ConfigError
from sim.scenario.schema import NonNeg, Share, Strict

MAX_NEIGHBOURHOODS = 2000  # rows of a neighbourhoods table (its outlines travel in config.yaml)
MAX_TABLE_BYTES = 50_000_000
OUTLINE_POINTS = 64  # most vertices kept per ring of an outline (drawing only)
MAP_SUFFIXES = (".geojson", ".json", ".gpkg")
FLAGS = {"0": 0.0, "1": 1.0, "false": 0.0, "true": 1.0, "no": 0.0, "yes": 1.0}


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


# ------------------------------------------------------------------------- the scenario hook
def resolve_paths(data: dict, folder: Path) -> dict:
    """A scenario file's mapping with its ``city`` table paths made absolute, relative to the
    file's ``folder`` (called for each file of an ``extends:`` chain before merging)."""
    city = data.get("city")
    if not isinstance(city, dict):
        return data
    paths = {key: str((folder / city[key]).resolve()) for key in ("neighbourhoods_file", "sites_file")
             if isinstance(city.get(key), str) and city[key] and not Path(city[key]).is_absolute()}
    return {**data, "city": {**city, **paths}} if paths else data


def attach_geography(data: Any) -> Any:
    """A raw scenario mapping with its tables read: ``city.geography`` (and the ``city`` keys it
    derives) from ``city.neighbourhoods_file``, each listed organisation's ``sites`` from
    ``city.sites_file``. A mapping whose ``geography`` came from the same files is left as is."""
    city = data.get("city") if isinstance(data, dict) else None
    if not isinstance(city, dict):
        return data
    table, sites = city.get("neighbourhoods_file"), city.get("sites_file")
    if not isinstance(table, str) or not table:
        if sites is not None:
            raise ConfigError("city.sites_file: needs city.neighbourhoods_file (the sites are "
                              "given by neighbourhood id)")
        return data
    known = city.get("geography")
    same = isinstance(known, dict) and known.get("source") == table
    if same and (sites is None or known.get("sites_source") == sites):
        return data
    geography = Geography.model_validate(known) if same else read_neighbourhoods(Path(table))
    city = {**city, **geography.derived_city()}
    organisations = data.get("organisations")
    if isinstance(sites, str) and sites:
        listed, digest = read_sites(Path(sites), geography, organisations)
        geography = geography.model_copy(update={"sites_source": sites, "sites_sha256": digest})
        organisations = {**organisations, **{name: {**organisations[name], "sites": where}
                                             for name, where in listed.items()
                                             if isinstance(organisations[name], dict)}}
    city["geography"] = geography.model_dump(mode="json")
    return {**data, "city": city, "organisations": organisations}


# ------------------------------------------------------------------------------- reading
def read_neighbourhoods(path: Path) -> Geography:
    """Read and check a neighbourhoods table (CSV, GeoJSON or GeoPackage)."""
    raw = _read_bytes(path, "city.neighbourhoods_file")
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


def read_sites(path: Path, geography: Geography,
               organisations: Any) -> tuple[dict[str, list[int]], str]:
    """Each listed organisation's sites (neighbourhood indices) from a CSV with a column
    ``organisation`` and where each site is: ``neighbourhood`` (an id of the neighbourhoods
    table), or a point, ``x_km``/``y_km`` (the grid of a table given in km) or ``lon``/``lat``
    (a table with a CRS), in the neighbourhood whose outline holds it (the nearest centroid for
    a table without outlines)."""
    raw = _read_bytes(path, "city.sites_file")
    if path.suffix.lower() != ".csv":
        raise ConfigError(f"{path}: expected a .csv file (city.sites_file), got "
                          f"{path.suffix or 'no extension'}")
    names = list(organisations) if isinstance(organisations, dict) else []
    header, rows = _csv_rows(path, raw, required=("organisation",))
    locate = _SiteLocator(path, header, geography)
    listed: dict[str, set[int]] = {}
    for line, row in rows:
        org = _cell(path, line, "organisation", row)
        if org not in names:
            raise ConfigError(f"{path}: row {line}, column organisation: unknown organisation "
                              f"{org!r}{_nearest(org, names)} (known: {', '.join(names)})")
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
            nid = _cell(self.path, line, "neighbourhood", row)
            if nid not in self.index:
                raise ConfigError(f"{place}, column neighbourhood: unknown neighbourhood id "
                                  f"{nid!r}{_nearest(nid, self.geography.ids)} (not in "
                                  "city.neighbourhoods_file)")
            return self.index[nid]
        x, y = (_number(place, axis, row.get(axis, "")) for axis in self.axes)
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


def _read_bytes(path: Path, key: str) -> bytes:
    try:
        if not path.is_file():
            raise ConfigError(f"{path}: file not found ({key}; a relative path is read from the "
                              "scenario file's folder)")
        with path.open("rb") as file:
            raw = file.read(MAX_TABLE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{path}: could not read the file ({exc.strerror or exc})") from None
    if len(raw) > MAX_TABLE_BYTES:
        raise ConfigError(f"{path}: file larger than {MAX_TABLE_BYTES} bytes")
    return raw


def _csv_rows(path: Path, raw: bytes, required: tuple[str, ...]) -> tuple[list[str], list]:
    """The header (lower case) and (line, {column: cell}) of every non-empty row of a CSV."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    try:
        table = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise ConfigError(f"{path}: not a readable CSV table ({exc})") from None
    if not table:
        raise ConfigError(f"{path}: the file is empty (expected a header row)")
    header = [cell.strip().lower() for cell in table[0]]
    for column in required:
        if column not in header:
            raise ConfigError(f"{path}: row 1: missing column {column}{_nearest(column, header)} "
                              f"(found: {', '.join(header)})")
    duplicated = sorted({c for c in header if c and header.count(c) > 1})
    if duplicated:
        raise ConfigError(f"{path}: row 1: column {duplicated[0]} appears twice")
    rows = []
    for line, cells in enumerate(table[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            raise ConfigError(f"{path}: row {line}: {len(cells)} cells (expected {len(header)}, "
                              "as in the header)")
        rows.append((line, {c: cell.strip() for c, cell in zip(header, cells, strict=True)}))
    return header, rows


def _cell(path: Path, line: int, column: str, row: dict) -> str:
    value = row.get(column, "")
    if not value:
        raise ConfigError(f"{path}: row {line}, column {column}: empty cell")
    return value


def _csv_neighbourhoods(path: Path, raw: bytes) -> tuple[list[dict], str]:
    header, rows = _csv_rows(path, raw, required=("id", "families"))
    if {"x_km", "y_km"} <= set(header):
        crs, axes = "km", ("x_km", "y_km")
    elif {"lon", "lat"} <= set(header):
        crs, axes = "lonlat", ("lon", "lat")
    else:
        raise ConfigError(f"{path}: row 1: missing columns x_km and y_km, or lon and lat (where "
                          f"each neighbourhood is; found: {', '.join(header)})")
    where = _Where(path, "row")
    records = [_record(where(line), row) for line, row in rows]
    for (line, row), record in zip(rows, records, strict=True):
        record["x_km"], record["y_km"] = (_number(where(line), a, row.get(a, "")) for a in axes)
    _check_ids(records, [where(line) for line, _ in rows])
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
            raise ConfigError(f"{path}: missing column {column}{_nearest(column, found)} (found: "
                              f"{', '.join(found)})")
    where = _Where(path, "feature")
    places = [where(i) for i in range(1, len(frame) + 1)]
    records = [_record(place, {c: _text(v) for c, v in row.items() if c != frame.geometry.name})
               for place, (_, row) in zip(places, frame.iterrows(), strict=True)]
    _check_ids(records, places)
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


# --------------------------------------------------------------------------- one row
class _Where:
    """Names a row of a file in messages: ``path: row 7`` (CSV) or ``path: feature 3``."""

    def __init__(self, path: Path, unit: str):
        self.path, self.unit = path, unit

    def __call__(self, number: int) -> str:
        return f"{self.path}: {self.unit} {number}"


def _record(place: str, row: dict[str, str]) -> dict:
    """One neighbourhood's attributes, each checked (``place`` names the row in messages)."""
    nid = row.get("id", "")
    if not nid:
        raise ConfigError(f"{place}, column id: empty cell (expected the neighbourhood's id)")
    if "informal" in row and "informal_share" in row:
        raise ConfigError(f"{place}, column informal_share: give either informal (a flag) or "
                          "informal_share (a share), not both")
    record = {"id": nid, "name": row.get("name") or nid,
              "families": _number(place, "families", row.get("families", ""), low=0.0,
                                  expected="a number of families >= 0")}
    if "informal" in row:
        flag = FLAGS.get(row["informal"].lower())
        if flag is None:
            raise ConfigError(f"{place}, column informal: expected 0 or 1 (or true/false, "
                              f"yes/no), got {row['informal']!r}")
        record["informal_share"] = flag
    else:
        record["informal_share"] = _share(place, "informal_share", row.get("informal_share", "0"))
    if row.get("marginalised_share"):
        record["marginalised_share"] = _share(place, "marginalised_share", row["marginalised_share"])
    return record


def _text(value: Any) -> str:
    """A map attribute as the text a CSV cell would hold ("" for a missing value)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _number(place: str, column: str, text: str, low: float = -math.inf,
            expected: str = "a number") -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= low):
        shown = repr(text) if text else "an empty cell"
        raise ConfigError(f"{place}, column {column}: expected {expected}, got {shown}")
    return value


def _share(place: str, column: str, text: str) -> float:
    value = _number(place, column, text, expected="a share from 0 to 1")
    if not 0.0 <= value <= 1.0:
        raise ConfigError(f"{place}, column {column}: expected a share from 0 to 1, got {text}")
    return value


def _check_ids(records: list[dict], places: list[str]) -> None:
    first: dict[str, str] = {}
    for place, record in zip(places, records, strict=True):
        nid = record["id"]
        if nid in first:
            raise ConfigError(f"{place}, column id: duplicate id {nid!r} (also "
                              f"{first[nid].rsplit(': ', 1)[-1]})")
        first[nid] = place


def _nearest(word: str, known: list[str]) -> str:
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""
