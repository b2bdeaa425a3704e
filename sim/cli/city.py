"""`sim city check FILE`: a neighbourhoods table (or a scenario using one) as the model reads it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sim.errors import ConfigError
from sim.scenario.geography import MAP_SUFFIXES, read_neighbourhoods
from sim.scenario.params import CityParams

TABLE_SUFFIXES = (".csv", *MAP_SUFFIXES)


def add_parser(sub, add_set_option) -> None:
    """Register `city check` on the `sim` sub-command parser."""
    city = sub.add_parser(
        "city", help="check a city's own neighbourhoods table before running it",
        description="Tables of a city's own neighbourhoods (docs/guide-analysts.md, 'Bring your "
                    "own neighbourhoods').")
    actions = city.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = actions.add_parser(
        "check", help="summarise a neighbourhoods table the way the model reads it",
        description="Read a neighbourhoods table (CSV, GeoJSON, GeoPackage) or a scenario that "
                    "names one (city.neighbourhoods_file), check every row, and print what the "
                    "model will use: families, informal and marginalised shares, distances "
                    "between neighbourhoods, and the scenario's sites. Nothing is run.")
    check.add_argument("file", help="a neighbourhoods table (.csv, .geojson, .json, .gpkg) or a "
                       "scenario YAML file")
    add_set_option(check)
    check.add_argument("--plot", metavar="PNG", type=Path,
                       help="also save a map of the neighbourhoods (coloured by informal share) "
                            "to this PNG file (a new file)")


def cmd_city(args) -> int:
    path = Path(args.file)
    if args.plot is not None:
        _check_plot_path(args.plot)
    if path.suffix.lower() in (".yaml", ".yml"):
        from sim.scenario.loading import load_scenario

        scenario = load_scenario(path, args.overrides)
        params, organisations = scenario.city, scenario.organisations
        if params.geography is None:
            raise ConfigError(f"{path}: no city.neighbourhoods_file (a generated city; add one to "
                              "read the city's own neighbourhoods)")
    elif path.suffix.lower() in TABLE_SUFFIXES:
        if args.overrides:
            raise ConfigError("--set applies to a scenario file, not to a table")
        geography = read_neighbourhoods(path)
        params = CityParams(neighbourhoods_file=str(path), geography=geography,
                            **geography.derived_city())
        organisations = {}
    else:
        raise ConfigError(f"{path}: expected a neighbourhoods table ({', '.join(TABLE_SUFFIXES)}) "
                          f"or a scenario (.yaml), got {path.suffix or 'no extension'}")
    from sim.core.world import city_from_table

    city = city_from_table(params)
    print(summary(path, params, city, organisations))
    if args.plot is not None:
        from sim.experiments.city_map import city_figure

        city_figure(city, params.extent_km, f"{path.name}: {city.size} neighbourhoods").savefig(args.plot)
        print(f"\nmap written to {args.plot}")
    return 0


def _check_plot_path(plot: Path) -> None:
    if plot.suffix.lower() != ".png":
        raise ConfigError(f"--plot {plot}: expected a .png file name")
    if plot.exists():
        raise ConfigError(f"--plot {plot}: the file exists (give a new file name)")
    if not plot.parent.is_dir():
        raise ConfigError(f"--plot {plot}: no folder {plot.parent}")


def summary(path: Path, params: CityParams, city, organisations: dict) -> str:
    """What the model reads from the table: totals, shares, distances, one line a neighbourhood."""
    rows = params.geography.neighbourhoods
    families = np.array([row.families for row in rows])
    distance = city.distance_km.copy()
    np.fill_diagonal(distance, np.inf)
    nearest = distance.min(axis=1) if city.size > 1 else np.full(1, np.nan)
    pairs = city.distance_km[np.triu_indices(city.size, 1)]
    marginalised = float(city.family_weight @ city.marginalised_share)
    given = sum(row.marginalised_share is not None for row in rows)
    crs = "the table's own x_km, y_km" if params.geography.crs == "km" else params.geography.crs
    lines = [
        f"{path}: {city.size} neighbourhoods, {families.sum():,.0f} families in the table; "
        f"coordinates in km ({crs}), a map {params.extent_km:g} km across",
        f"informal settlements: {params.informal_family_share:.1%} of families; "
        f"{params.informal_neighbourhoods} neighbourhoods with half or more of their families "
        "informal (the model's informal neighbourhoods)",
        f"marginalised: {marginalised:.1%} of families ({given} of {city.size} rows give "
        "marginalised_share; the others: city.marginalised_share_informal/_formal weighted by "
        "their informal share)",
    ]
    if len(pairs):
        lines.append(f"distances between centroids: nearest neighbour {np.median(nearest):.1f} km "
                     f"(median; {nearest.min():.1f}-{nearest.max():.1f}), any two "
                     f"{np.median(pairs):.1f} km (median; at most {pairs.max():.1f}); within a "
                     f"neighbourhood {np.diag(city.distance_km)[0]:g} km")
    if organisations:
        lines.append(f"the model: city.families = {params.families:,} "
                     f"(one model family for {families.sum() / params.families:.3g} of the table's)")
    lines += ["", f"{'id':<10} {'name':<20} {'families':>9} {'share':>6} {'informal':>8} "
              f"{'marginalised':>12} {'nearest km':>10}"]
    for h, row in enumerate(rows):
        lines.append(f"{row.id[:10]:<10} {row.name[:20]:<20} {row.families:>9,.0f} "
                     f"{city.family_weight[h]:>6.1%} {city.informal_share[h]:>8.2f} "
                     f"{city.marginalised_share[h]:>12.2f} {nearest[h]:>10.1f}")
    if organisations:
        lines += ["", "sites:"]
        for name, org in organisations.items():
            where = (", ".join(city.ids[h] for h in org.sites) if isinstance(org.sites, list)
                     else f"{org.sites} placed by rule ({org.site_placement}) when the model is built")
            lines.append(f"  {name}: {where}")
    return "\n".join(lines)
