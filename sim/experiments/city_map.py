"""Pictures of a city read from its own map: which neighbourhood each pixel lies in, and a figure.

The workshop page's map (``sim.app.charts``) colours the pixels of :func:`outline_cells`;
``sim city check --plot`` saves :func:`city_figure`. A city without outlines (the generated city,
or a CSV table of centroids) is drawn from its centroids instead.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.path import Path

from sim.core.world import City
from sim.scenario.geography import outline_rings


def outline_cells(outlines: tuple[str, ...], extent: float, raster: int) -> np.ndarray | None:
    """(raster, raster) index of the neighbourhood whose outline holds each pixel's centre
    (-1: outside every outline; row 0 at the bottom), or None when there are no outlines."""
    if not any(outlines):
        return None
    axis = (np.arange(raster) + 0.5) * extent / raster
    gx, gy = np.meshgrid(axis, axis)
    points = np.column_stack([gx.ravel(), gy.ravel()])
    cells = np.full(len(points), -1, dtype=np.int64)
    for h, text in enumerate(outlines):
        inside = np.zeros(len(points), dtype=bool)
        for ring in outline_rings(text):
            corners = np.asarray(ring)
            (x0, y0), (x1, y1) = corners.min(axis=0), corners.max(axis=0)
            near = np.flatnonzero((points[:, 0] >= x0) & (points[:, 0] <= x1)
                                  & (points[:, 1] >= y0) & (points[:, 1] <= y1))
            inside[near] ^= Path(corners).contains_points(points[near])  # holes: even-odd
        cells[inside & (cells < 0)] = h
    return cells.reshape(raster, raster)


def city_figure(city: City, extent: float, title: str) -> Figure:
    """The neighbourhoods coloured by their share of families in informal settlements, with
    their ids (outlines when the table has them, else centroids sized by families)."""
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.patches import PathPatch

    share = city.informal_share if city.informal_share is not None else city.informal.astype(float)
    norm, cmap = Normalize(0.0, 1.0), "YlOrBr"
    colours = ScalarMappable(norm=norm, cmap=cmap)
    fig = Figure(figsize=(6.4, 5.6), dpi=100)
    ax = fig.subplots()
    if any(city.outlines):
        for h, text in enumerate(city.outlines):
            rings = [np.asarray(ring) for ring in outline_rings(text)]
            if rings:
                path = Path.make_compound_path(*(Path(ring, closed=False) for ring in rings))
                ax.add_patch(PathPatch(path, facecolor=colours.to_rgba(share[h]),
                                       edgecolor="black", linewidth=0.8))
    else:
        size = 40 + 2000 * city.family_weight / city.family_weight.max()
        ax.scatter(city.xy[:, 0], city.xy[:, 1], s=size, c=colours.to_rgba(share),
                   edgecolors="black", linewidths=0.8)
    labels = city.ids or tuple(str(h) for h in range(city.size))
    for (x, y), label in zip(city.xy, labels, strict=True):
        ax.annotate(label, (x, y), ha="center", va="center", fontsize=7)
    ax.set_xlim(0, extent)
    ax.set_ylim(0, extent)
    ax.set_aspect("equal")
    ax.set_xlabel("km")
    ax.set_ylabel("km")
    ax.set_title(title, fontsize=10)
    fig.colorbar(colours, ax=ax, label="share of families in informal settlements")
    return fig
