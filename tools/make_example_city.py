"""Make the example city's tables: Lowmarsh, an invented town of 16 neighbourhoods (synthetic data).

    .venv/bin/python tools/make_example_city.py

Writes scenarios/example_city/neighbourhoods.geojson (polygons in longitude/latitude),
neighbourhoods.csv (the same table with centroids in km, for a city without a map) and
sites.csv (where the departments and NGOs of scenarios/base.yaml have their sites). Every
number is invented: a 4 x 4 grid of 3 km cells with corners moved at random (seed 7), placed
in the Gulf of Guinea near longitude 0.2, latitude 0.1 (open sea: no real town is meant). The
river side (south) and the far east are informal settlements; about 10,000 families in all.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
from pyproj import Transformer

OUT = Path(__file__).resolve().parent.parent / "scenarios" / "example_city"
SIDE, CELL_KM = 4, 3.0
UTM = "EPSG:32631"  # UTM zone 31N: the zone of longitude 0-6 E
ORIGIN_M = (190_000.0, 11_000.0)  # the town's south-west corner in that zone (about 0.2 E, 0.1 N)
NAMES = ["Quayside", "Saltmeadow", "Reedbank", "Ferry Lane", "Old Market", "Chapel Hill",
         "Tannery Row", "Brickfields", "Northgate", "Orchard Rise", "Linden Park", "Millstream",
         "Upper Heath", "Beacon Hill", "Windmill End", "Eastmoor"]
# per neighbourhood, row by row from the south-west: families, informal share, marginalised share
FAMILIES = [980, 1120, 860, 700, 640, 590, 520, 760, 450, 480, 430, 690, 380, 420, 400, 580]
INFORMAL = [0.9, 0.85, 0.75, 0.6, 0.2, 0.0, 0.0, 0.55, 0.0, 0.0, 0.0, 0.15, 0.0, 0.0, 0.0, 0.05]
MARGINALISED = [0.72, 0.7, 0.66, 0.58, 0.25, 0.12, 0.1, 0.52, 0.1, 0.08, 0.09, 0.2, 0.07, 0.06,
                0.08, 0.14]
# where the departments and NGOs work (neighbourhood ids); private providers are placed by rule
SITES = {
    "health_department": ["N02", "N05", "N07", "N10", "N12", "N15"],
    "nutrition_department": ["N01", "N06", "N11", "N14"],
    "education_department": ["N01", "N03", "N06", "N08", "N09", "N11", "N13", "N16"],
    "child_protection_department": ["N06", "N10"],
    "social_protection_department": ["N05", "N07", "N14"],
    "community_nutrition_ngo": ["N01", "N02", "N04"],
    "child_rights_ngo": ["N02", "N08"],
    "community_preschool_ngo": ["N03", "N04"],
}


def corners(rng: np.random.Generator) -> np.ndarray:
    """(SIDE + 1, SIDE + 1, 2) grid corners in km, inner ones moved up to 0.8 km."""
    grid = np.stack(np.meshgrid(np.arange(SIDE + 1), np.arange(SIDE + 1), indexing="xy"), axis=-1)
    points = grid * CELL_KM + rng.uniform(-0.8, 0.8, size=grid.shape)
    points[0, :, 1], points[-1, :, 1] = 0.0, SIDE * CELL_KM  # straight outer edges
    points[:, 0, 0], points[:, -1, 0] = 0.0, SIDE * CELL_KM
    return points


def main() -> None:
    rng = np.random.default_rng(7)
    grid = corners(rng)
    to_lonlat = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
    features, rows = [], []
    for k in range(SIDE * SIDE):
        i, j = divmod(k, SIDE)  # row (south to north), column (west to east)
        ring = [grid[i, j], grid[i, j + 1], grid[i + 1, j + 1], grid[i + 1, j], grid[i, j]]
        km = np.array(ring)
        x, y = km[:-1, 0], km[:-1, 1]
        area = 0.5 * np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y)
        cx = np.sum((x + np.roll(x, -1)) * (x * np.roll(y, -1) - np.roll(x, -1) * y)) / (6 * area)
        cy = np.sum((y + np.roll(y, -1)) * (x * np.roll(y, -1) - np.roll(x, -1) * y)) / (6 * area)
        lon, lat = to_lonlat.transform(km[:, 0] * 1000 + ORIGIN_M[0], km[:, 1] * 1000 + ORIGIN_M[1])
        nid = f"N{k + 1:02d}"
        attributes = {"id": nid, "name": NAMES[k], "families": FAMILIES[k],
                      "informal_share": INFORMAL[k], "marginalised_share": MARGINALISED[k]}
        features.append({"type": "Feature", "properties": attributes, "geometry": {
            "type": "Polygon",
            "coordinates": [[[round(a, 6), round(b, 6)] for a, b in zip(lon, lat, strict=True)]]}})
        rows.append({**attributes, "x_km": round(cx, 3), "y_km": round(cy, 3)})
    OUT.mkdir(parents=True, exist_ok=True)
    lines = ",\n".join(json.dumps(feature) for feature in features)  # a feature a line
    (OUT / "neighbourhoods.geojson").write_text(
        '{"type": "FeatureCollection", "name": "lowmarsh_neighbourhoods", "features": [\n'
        f"{lines}\n]}}\n")
    with (OUT / "neighbourhoods.csv").open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    with (OUT / "sites.csv").open("w", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(["organisation", "neighbourhood"])
        writer.writerows([org, nid] for org, ids in SITES.items() for nid in ids)
    print(f"wrote {OUT}/neighbourhoods.geojson, neighbourhoods.csv, sites.csv "
          f"({len(rows)} neighbourhoods, {sum(FAMILIES):,} families)")


if __name__ == "__main__":
    main()
