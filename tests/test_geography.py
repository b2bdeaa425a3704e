"""A city from its own tables (sim/scenario/geography/): the example city Lowmarsh runs from its
files, its polygons are drawn, `sim city check` summarises a table, and broken tables are refused
with one line naming the file, the row and the column (exit 2, nothing written)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from sim.cli import main
from sim.core.model import CoordinationModel
from sim.core.world import city_from_table
from sim.experiments.city_map import outline_cells
from sim.experiments.provenance import config_hash
from sim.scenario.loading import load_scenario, scenario_from_dict
from tests.conftest import ROOT

EXAMPLE = ROOT / "scenarios" / "example_city.yaml"
TABLES = ROOT / "scenarios" / "example_city"
SMALL = ["city.families=300", "time.warmup_weeks=4", "time.years=0.2"]
CSV_HEAD = "id,name,families,informal_share,marginalised_share,x_km,y_km\n"
GOOD_ROWS = ["A,Alpha,100,0.8,0.6,0,0", "B,Beta,200,0,0.1,3,0", "C,Gamma,50,0.5,,0,4"]


def test_the_example_city_is_read_from_its_map_and_sites():
    scenario = load_scenario(EXAMPLE, SMALL)
    city, geo = scenario.city, scenario.city.geography
    assert (city.neighbourhoods, city.informal_neighbourhoods) == (16, 5)
    assert geo.crs == "EPSG:32631" and len(geo.sha256) == 64  # lon/lat projected to UTM 31N
    assert city.informal_family_share == pytest.approx(0.35775)
    assert scenario.organisations["health_department"].sites == [1, 4, 6, 9, 11, 14]  # N02, ...
    assert scenario.organisations["private_clinic"].sites == 3  # not in the table: by rule
    # the CSV of centroids in km and the polygons in lon/lat give the same distances
    from_map = city_from_table(city).distance_km
    csv = load_scenario(EXAMPLE, [*SMALL, f"city.neighbourhoods_file={TABLES / 'neighbourhoods.csv'}",
                                  "city.sites_file=null"])
    assert csv.city.geography.crs == "km"
    assert np.abs(city_from_table(csv.city).distance_km - from_map).max() < 0.02


def test_the_example_city_runs_and_travels_without_its_files(tmp_path):
    folder = tmp_path / "town"
    shutil.copytree(TABLES, folder / "example_city")
    shutil.copy(EXAMPLE, folder / "example_city.yaml")
    scenario = load_scenario(folder / "example_city.yaml", SMALL)
    config = scenario.model_dump(mode="json")
    shutil.rmtree(folder / "example_city")  # a worker elsewhere: the table is in the scenario
    again = scenario_from_dict(config)
    assert again == scenario
    model = CoordinationModel(again, seed=3, check=True)
    model.run()
    share = np.bincount(model.pop.neighbourhood, weights=model.pop.informal, minlength=16)
    count = np.bincount(model.pop.neighbourhood, minlength=16)
    expected = np.array([row.informal_share for row in again.city.geography.neighbourhoods])
    assert np.all(np.abs(share - np.rint(expected * count)) == 0)  # exact quota, no draw
    assert model.city.informal.sum() == 5
    assert model.orgs.site[model.orgs.index("child_rights_ngo")].nonzero()[0].tolist() == [1, 7]


def test_a_city_hashes_the_same_in_any_folder(tmp_path):
    """The run's config hash counts the tables by content and file name, not by their folder."""
    folder = tmp_path / "town"
    shutil.copytree(TABLES, folder / "example_city")
    shutil.copy(EXAMPLE, folder / "example_city.yaml")
    here, there = (load_scenario(path, SMALL).model_dump(mode="json")
                   for path in (EXAMPLE, folder / "example_city.yaml"))
    assert here["city"]["neighbourhoods_file"] != there["city"]["neighbourhoods_file"]
    assert config_hash(here) == config_hash(there)
    (folder / "example_city" / "sites.csv").write_text(
        (TABLES / "sites.csv").read_text().replace("N05", "N06", 1))
    changed = load_scenario(folder / "example_city.yaml", SMALL).model_dump(mode="json")
    assert config_hash(changed) != config_hash(there)


def test_table_paths_are_relative_to_the_file_that_names_them(tmp_path):
    child = tmp_path / "elsewhere" / "my_town.yaml"
    child.parent.mkdir()
    child.write_text(f"extends: {EXAMPLE}\nname: my_town\n")
    scenario = load_scenario(child, SMALL)
    assert scenario.city.neighbourhoods_file == str(TABLES / "neighbourhoods.geojson")


def test_the_page_map_draws_the_polygons():
    scenario = load_scenario(EXAMPLE, SMALL)
    city = city_from_table(scenario.city)
    cells = outline_cells(city.outlines, scenario.city.extent_km, 120)
    assert set(np.unique(cells)) == {-1, *range(16)}  # every neighbourhood, and outside
    pixel = np.clip((city.xy / scenario.city.extent_km * 120).astype(int), 0, 119)
    assert (cells[pixel[:, 1], pixel[:, 0]] == np.arange(16)).all()  # each centroid in its own
    from sim.app.charts import _layers

    drawn, overlay = _layers(np.ascontiguousarray(city.xy).tobytes(), city.informal.tobytes(),
                             scenario.city.extent_km, city.outlines)
    assert (drawn == cells).all() and overlay.shape == (120, 120, 4)


def test_city_check_summarises_a_table_and_plots_it(capsys, tmp_path):
    assert main(["city", "check", str(TABLES / "neighbourhoods.geojson"),
                 "--plot", str(tmp_path / "map.png")]) == 0
    out = capsys.readouterr().out
    assert "16 neighbourhoods, 10,000 families in the table" in out and "EPSG:32631" in out
    assert "35.8% of families" in out and "Quayside" in out
    assert (tmp_path / "map.png").read_bytes().startswith(b"\x89PNG")
    assert main(["city", "check", str(EXAMPLE), "--set", "city.families=2000"]) == 0
    out = capsys.readouterr().out
    assert "health_department: N02, N05, N07, N10, N12, N15" in out
    assert "private_clinic: 3 placed by rule (formal)" in out


# ------------------------------------------------------------------------------ broken tables
def geojson(features) -> str:
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": geometry} for props, geometry in features]})


def square(x: float, y: float, d: float = 0.01) -> dict:
    return {"type": "Polygon", "coordinates": [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]}


PROPS = {"id": "A", "families": 10, "informal_share": 0.2}
BROKEN = {  # name: (table file, its text, sites text or None, what the line says)
    "missing column": ("n.csv", "id,name,x_km,y_km\nA,a,0,0\n", None, "row 1: missing column families"),
    "negative families": ("n.csv", CSV_HEAD + "A,a,10,0,0,0,0\nB,b,-3,0,0,1,1\n", None,
                          "row 3, column families: expected a number of families >= 0, got '-3'"),
    "share above 1": ("n.csv", CSV_HEAD + "A,a,10,1.4,0,0,0\n", None,
                      "row 2, column informal_share: expected a share from 0 to 1, got 1.4"),
    "not a number": ("n.csv", CSV_HEAD + "A,a,10,0,lots,0,0\n", None,
                     "row 2, column marginalised_share: expected a share from 0 to 1, got 'lots'"),
    "duplicate id": ("n.csv", CSV_HEAD + "\n".join([*GOOD_ROWS, "B,Beta2,5,0,0,9,9"]) + "\n", None,
                     "row 5, column id: duplicate id 'B' (also row 3)"),
    "bad flag": ("n.csv", "id,families,informal,x_km,y_km\nA,10,maybe,0,0\n", None,
                 "row 2, column informal: expected 0 or 1"),
    "longitude": ("n.csv", "id,families,lon,lat\nA,10,0.1,0.1\nB,10,200,0.1\n", None,
                  "row 3, column lon: expected a number from -180 to 180 (degrees), got 200"),
    "no families": ("n.csv", CSV_HEAD + "A,a,0,0,0,0,0\n", None, "column families: every row is 0"),
    "unknown neighbourhood": ("n.csv", CSV_HEAD + "\n".join(GOOD_ROWS) + "\n",
                              "organisation,neighbourhood\nhealth_department,A\nhealth_department,Z\n",
                              "sites.csv: row 3, column neighbourhood: unknown neighbourhood id 'Z'"),
    "unknown organisation": ("n.csv", CSV_HEAD + "\n".join(GOOD_ROWS) + "\n",
                             "organisation,neighbourhood\nhealth_departmnt,A\n",
                             "sites.csv: row 2, column organisation: unknown organisation "
                             "'health_departmnt' (did you mean health_department?)"),
    "empty geometry": ("n.geojson", geojson([(PROPS, square(0.1, 0.1)),
                                             ({**PROPS, "id": "B"}, None)]), None,
                       "feature 2, column geometry: empty geometry"),
    "not a polygon": ("n.geojson", geojson([(PROPS, {"type": "LineString",
                                                     "coordinates": [[0.1, 0.1], [0.2, 0.2]]})]), None,
                      "feature 1, column geometry: expected a polygon or a point, got LineString"),
    "cannot be projected": ("n.geojson", geojson([(PROPS, square(0.1, 0.1)),
                                                  ({**PROPS, "id": "B"}, square(523000, 6.7e6, 500))]),
                            None, "feature 2, column geometry: coordinates (523000, 6.7e+06) are not "
                                  "longitude/latitude"),
    "polygon with no area": ("n.geojson", geojson([(PROPS, {"type": "Polygon", "coordinates": [
        [[0.1, 0.1], [0.2, 0.2], [0.1, 0.1]]]})]), None,
                             "feature 1, column geometry: a polygon with no area"),
    "missing file": (None, None, None, "missing.csv: file not found"),
}


@pytest.mark.parametrize("kind", list(BROKEN))
def test_a_broken_table_is_one_line_exit_2_and_nothing_written(kind, tmp_path, capsys):
    name, text, sites, expected = BROKEN[kind]
    table = tmp_path / (name or "missing.csv")
    if text is not None:
        table.write_text(text)
    city = f"  neighbourhoods_file: {table.name}\n"
    if sites is not None:
        (tmp_path / "sites.csv").write_text(sites)
        city += "  sites_file: sites.csv\n"
    scenario = tmp_path / "town.yaml"
    scenario.write_text(f"extends: base\nname: town\ncity:\n  families: 200\n{city}")
    out = tmp_path / "out"
    for argv in (["validate", scenario], ["run", scenario, "--out", out, "--quiet"]):
        code = main([str(a) for a in argv])
        stdout, err = capsys.readouterr()
        lines = err.strip().splitlines()
        assert code == 2 and stdout == "" and len(lines) == 1, (kind, err)
        assert "Traceback" not in err and expected in lines[0], (kind, lines[0])
        assert str(tmp_path) in lines[0]  # the file is named
    assert not out.exists()


def test_a_sites_table_needs_a_neighbourhoods_table(tmp_path, capsys):
    scenario = tmp_path / "town.yaml"
    scenario.write_text("extends: base\ncity:\n  sites_file: sites.csv\n")
    assert main(["validate", str(scenario)]) == 2
    assert "city.sites_file: needs city.neighbourhoods_file" in capsys.readouterr().err


def test_city_check_refuses_what_it_cannot_read(tmp_path, capsys):
    (tmp_path / "n.txt").write_text("x")
    assert main(["city", "check", str(tmp_path / "n.txt")]) == 2
    assert "expected a neighbourhoods table" in capsys.readouterr().err
    assert main(["city", "check", str(ROOT / "scenarios" / "base.yaml")]) == 2
    assert "no city.neighbourhoods_file" in capsys.readouterr().err
    existing = tmp_path / "map.png"
    existing.write_bytes(b"x")
    assert main(["city", "check", str(TABLES / "neighbourhoods.csv"), "--plot", str(existing)]) == 2
    assert "the file exists" in capsys.readouterr().err


def test_the_guide_section_runs_as_written(tmp_path, monkeypatch):
    """docs/guide-analysts.md, "Bring your own neighbourhoods": every command, as written (at the
    guides' test scale, in a copy of the project's files; tests/test_guides.py runs the rest)."""
    import re
    import shlex

    from tests.test_guides import Runner

    text = (ROOT / "docs" / "guide-analysts.md").read_text()
    section = text.split("### Bring your own neighbourhoods", 1)[1].split("\n## ", 1)[0]
    bodies = re.findall(r"^```sh\n(.*?)^```", section, flags=re.S | re.M)
    lines = [words for body in bodies for line in body.splitlines()
             if (words := shlex.split(line, comments=True))]
    assert [words[1:3] for words in lines[:2]] == [["city", "check"]] * 2
    runner = Runner(tmp_path, monkeypatch)
    for words in lines:
        runner(words)
    assert (tmp_path / "lowmarsh.png").read_bytes().startswith(b"\x89PNG")
    assert list((tmp_path / "results").glob("example_city-silos-s*/config.yaml"))


def test_a_run_records_its_tables_and_the_page_map_is_quick(tmp_path):
    """The manifest names each table with its SHA-256; the page's quick map (recolouring only)
    is the picture a full drawing gives, outside the outlines included."""
    import hashlib
    import io

    from PIL import Image

    from sim.app.charts import CityMap, city_map, figure_png
    from sim.app.workshop import WorkshopModel
    from sim.experiments.single_run import run_scenario

    result = run_scenario(load_scenario(EXAMPLE, SMALL))
    tables = result.manifest["city_tables"]
    for name in ("neighbourhoods.geojson", "sites.csv"):
        path = TABLES / name
        assert tables[str(path)] == hashlib.sha256(path.read_bytes()).hexdigest()
    m = WorkshopModel(city="example_city", families=10, warm_up=False)
    for _ in range(3):
        m.step()
    quick = np.asarray(Image.open(io.BytesIO(CityMap(m.runs).png())).convert("RGB"), dtype=float)
    full = np.asarray(Image.open(io.BytesIO(figure_png(city_map(m.runs)))).convert("RGB"), dtype=float)
    assert quick.shape == full.shape and np.abs(quick - full).mean() < 2.0


def town(tmp_path, table: str, sites: str | None = None) -> str:
    """A scenario file in ``tmp_path`` extending the base city with these tables."""
    city = f"  neighbourhoods_file: {table}\n" + (f"  sites_file: {sites}\n" if sites else "")
    path = tmp_path / "town.yaml"
    path.write_text(f"extends: base\nname: town\ncity:\n  families: 200\n{city}")
    return str(path)


def test_sites_can_be_points_in_the_neighbourhoods(tmp_path, capsys):
    features = json.loads((TABLES / "neighbourhoods.geojson").read_text())["features"]
    lon, lat = np.array(features[6]["geometry"]["coordinates"][0][:4]).mean(axis=0)  # inside N07
    shutil.copy(TABLES / "neighbourhoods.geojson", tmp_path / "n.geojson")
    (tmp_path / "sites.csv").write_text(f"organisation,lon,lat\nprivate_clinic,{lon},{lat}\n")
    scenario = load_scenario(town(tmp_path, "n.geojson", "sites.csv"))
    assert scenario.organisations["private_clinic"].sites == [6]
    (tmp_path / "sites.csv").write_text(f"organisation,lon,lat\nprivate_clinic,{lat + 5},{lon}\n")
    assert main(["validate", town(tmp_path, "n.geojson", "sites.csv")]) == 2
    assert "row 2: the site lies outside every neighbourhood" in capsys.readouterr().err
    # a table in km: a point goes to the nearest centroid
    (tmp_path / "n.csv").write_text(CSV_HEAD + "\n".join(GOOD_ROWS) + "\n")
    (tmp_path / "sites.csv").write_text("organisation,x_km,y_km\nprivate_clinic,2.6,0.4\n")
    assert load_scenario(town(tmp_path, "n.csv", "sites.csv")).organisations["private_clinic"].sites == [1]


def test_a_geopackage_in_a_projected_crs_reads_as_the_geojson(tmp_path, capsys):
    import geopandas

    frame = geopandas.read_file(TABLES / "neighbourhoods.geojson")
    feet = "+proj=utm +zone=31 +datum=WGS84 +units=us-ft +no_defs"  # projected, in US feet
    frame.to_crs(feet).to_file(tmp_path / "n.gpkg")
    scenario = load_scenario(town(tmp_path, "n.gpkg"))
    assert "us-ft" in scenario.city.geography.crs or "foot" in scenario.city.geography.crs.lower()
    example = load_scenario(EXAMPLE)
    near = np.abs(city_from_table(scenario.city).distance_km - city_from_table(example.city).distance_km)
    assert near.max() < 0.002  # the same km: feet converted
    with pytest.warns(UserWarning, match="crs"):  # pyogrio warns of a file without a CRS
        frame.set_crs(None, allow_override=True).to_file(tmp_path / "bare.gpkg")
    assert main(["validate", town(tmp_path, "bare.gpkg")]) == 2
    assert "bare.gpkg: no coordinate reference system" in capsys.readouterr().err


def test_a_recorded_config_reruns_the_same_city_without_its_tables(tmp_path):
    folder = tmp_path / "town"
    shutil.copytree(TABLES, folder / "example_city")
    shutil.copy(EXAMPLE, folder / "example_city.yaml")
    sets = [word for key in SMALL for word in ("--set", key)]
    assert main(["run", str(folder / "example_city.yaml"), *sets, "--out", str(tmp_path / "a"),
                 "--quiet"]) == 0
    shutil.rmtree(folder / "example_city")
    assert main(["run", str(tmp_path / "a" / "config.yaml"), "--out", str(tmp_path / "b"),
                 "--quiet"]) == 0
    first, again = ((tmp_path / run / "summary.json").read_text() for run in ("a", "b"))
    assert first == again
