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

from sim.scenario.geography.attach import attach_geography, resolve_paths
from sim.scenario.geography.model import Geography, NeighbourhoodRow, outline_rings
from sim.scenario.geography.neighbourhoods import MAP_SUFFIXES, read_neighbourhoods

__all__ = ["MAP_SUFFIXES", "Geography", "NeighbourhoodRow", "attach_geography", "outline_rings",
           "read_neighbourhoods", "resolve_paths"]
