"""The scenario's hook: table paths resolved per file, tables read while the scenario validates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.errors import ConfigError
from sim.scenario.geography.model import Geography
from sim.scenario.geography.neighbourhoods import read_neighbourhoods
from sim.scenario.geography.sites import read_sites


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
            raise ConfigError("city.sites_file: needs city.neighbourhoods_file (the sites lie in "
                              "its neighbourhoods)")
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
