"""Figures of the workshop page (matplotlib, no pyplot, no Solara): the city map and the time series.

Each function takes the page's runs and returns a :class:`matplotlib.figure.Figure`; the page
shows it with ``solara.FigureMatplotlib``. Values come from the models' DataCollector (every
metric, every week) and from ``sim.app.workshop``'s read-only map accessors.
"""

from __future__ import annotations

import io
from functools import lru_cache

import numpy as np
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.app.workshop import Run, hub_neighbourhoods, needs_waiting_now, neighbourhood_coverage
from sim.core.metrics import METRIC_INFO
from sim.experiments.city_map import outline_cells
from sim.scenario.schema import OrgKind

MAP_COLOURINGS = {
    "coverage": ("Needs served in time, since warm-up (%)", "RdYlGn"),
    "waiting": ("Needs waiting now, per 100 families", "OrRd"),
}
RUN_COLOURS = ("#1f5fa8", "#d9541e")
SITE_MARKERS = {OrgKind.DEPARTMENT: ("s", "department"), OrgKind.NGO: ("^", "NGO"),
                OrgKind.PRIVATE: ("o", "private provider")}
# sites of the three kinds sit side by side in a neighbourhood (share of the city's extent)
SITE_OFFSETS = {OrgKind.DEPARTMENT: (-0.025, 0.0), OrgKind.NGO: (0.025, 0.0), OrgKind.PRIVATE: (0.0, -0.03)}
RASTER = 120
DPI = 90


def figure_png(fig: Figure) -> bytes:
    """The figure as PNG bytes, as the page shows it."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", pil_kwargs={"compress_level": 1})  # fast over small
    return buffer.getvalue()


@lru_cache(maxsize=32)
def _layers(xy_bytes: bytes, informal_bytes: bytes, extent: float,
            outlines: tuple[str, ...] = ()) -> tuple[np.ndarray, np.ndarray]:
    """The static layers of a city's map: (RASTER, RASTER) index of each pixel's neighbourhood
    (the city's own outlines when it has them, -1 outside every one; else the nearest
    neighbourhood: a Voronoi map), and an RGBA overlay with borders and informal hatching."""
    xy = np.frombuffer(xy_bytes, dtype=float).reshape(-1, 2)
    informal = np.append(np.frombuffer(informal_bytes, dtype=bool), False)  # [-1]: outside
    cells = outline_cells(outlines, extent, RASTER)
    if cells is None:
        axis = (np.arange(RASTER) + 0.5) * extent / RASTER
        gx, gy = np.meshgrid(axis, axis)
        d = (gx[..., None] - xy[:, 0]) ** 2 + (gy[..., None] - xy[:, 1]) ** 2
        cells = d.argmin(axis=2)
    border = np.zeros(cells.shape, dtype=bool)
    border[1:, :] |= cells[1:, :] != cells[:-1, :]
    border[:, 1:] |= cells[:, 1:] != cells[:, :-1]
    row, col = np.indices(cells.shape)
    hatch = informal[cells] & ((row + col) % 7 < 2)
    overlay = np.zeros((*cells.shape, 4))
    overlay[hatch] = (0.15, 0.15, 0.15, 0.75)
    overlay[border] = (1.0, 1.0, 1.0, 1.0)
    return cells, overlay


def map_values(run: Run, colour_by: str) -> np.ndarray:
    """Per-neighbourhood values the map shows (coverage in %, or needs waiting per 100 families)."""
    if colour_by == "coverage":
        return 100.0 * neighbourhood_coverage(run.model)
    return needs_waiting_now(run.model)


def _scale_top(values: list[np.ndarray], colour_by: str) -> float:
    """The top of the colour scale shared by every map shown: just above the highest value."""
    top = max([np.nanmax(v) if np.isfinite(v).any() else 0.0 for v in values] + [1.0])
    if colour_by == "coverage":
        return min(100.0, float(np.ceil(top / 10) * 10))
    return float(np.ceil(top / 5) * 5)


class CityMap:
    """One map per run: neighbourhoods coloured, informal settlements hatched, sites and hubs.

    Drawn in full once (and again only when the colour scale's top moves); each later
    :meth:`png` recolours the neighbourhoods of every map and draws only them and the symbols on
    top back onto the saved background (matplotlib's blitting), then encodes the pixels: a few
    milliseconds instead of a whole figure's drawing.
    """

    def __init__(self, runs: list[Run], colour_by: str = "coverage"):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.runs, self.colour_by = runs, colour_by
        title, cmap = MAP_COLOURINGS[colour_by]
        self.fig = fig = Figure(figsize=(4.2 * len(runs) + 0.9, 4.8), dpi=DPI)
        self.canvas = FigureCanvasAgg(fig)
        right = 1.0 - 0.9 / (4.2 * len(runs) + 0.9)
        fig.subplots_adjust(left=0.01, right=right, bottom=0.12, top=0.94, wspace=0.04)
        axes = fig.subplots(1, len(runs), squeeze=False)[0]
        self.norm = Normalize(0.0, 100.0)
        self.cells, self.images, self.on_top = [], [], []
        for ax, run in zip(axes, runs, strict=True):
            model = run.model
            city, extent = model.city, float(model.params.city.extent_km)
            cells, overlay = _layers(np.ascontiguousarray(city.xy, dtype=float).tobytes(),
                                     np.ascontiguousarray(city.informal, dtype=bool).tobytes(), extent,
                                     city.outlines)
            box = (0, extent, 0, extent)
            self.cells.append(cells)
            self.images.append(ax.imshow(np.ma.masked_all(cells.shape), origin="lower", extent=box,
                                         cmap=cmap, norm=self.norm, interpolation="nearest"))
            artists = [ax.imshow(overlay, origin="lower", extent=box, interpolation="nearest")]
            for kind, (marker, _) in SITE_MARKERS.items():
                rows = [i for i, k in enumerate(model.orgs.kind) if k == kind]
                if not rows:
                    continue
                where = np.flatnonzero(model.orgs.site[rows].any(axis=0))
                dx, dy = SITE_OFFSETS[kind]
                artists.append(ax.scatter(city.xy[where, 0] + dx * extent,
                                          city.xy[where, 1] + dy * extent, marker=marker, s=30,
                                          c="white", edgecolors="black", linewidths=0.8, zorder=3))
            hubs = hub_neighbourhoods(model)
            if len(hubs):
                artists.append(ax.scatter(city.xy[hubs, 0], city.xy[hubs, 1] + 0.03 * extent,
                                          marker="*", s=260, c="#ffd23f", edgecolors="black",
                                          linewidths=0.8, zorder=4))
            self.on_top.append(artists)
            ax.set_title(run.label, fontsize=10)
            ax.set_xticks([])
            ax.set_yticks([])
        self.cbar = fig.colorbar(self.images[0], cax=fig.add_axes(
            (right + 0.015, 0.2, 0.2 / fig.get_figwidth(), 0.66)))
        self.cbar.set_label(title, fontsize=9)
        handles = [Line2D([], [], marker=m, ls="", mfc="white", mec="black", label=label)
                   for m, label in SITE_MARKERS.values()]
        handles.append(Line2D([], [], marker="*", ls="", mfc="#ffd23f", mec="black", ms=12,
                              label="family hub"))
        handles.append(Patch(facecolor="white", edgecolor="grey", hatch="///",
                             label="informal settlement"))
        fig.legend(handles=handles, loc="lower center", ncol=5 if len(runs) > 1 else 3, fontsize=8,
                   frameon=False)
        self.top: float | None = None
        self.frame: np.ndarray | None = None  # the static picture, RGB
        self.full_draws = 0

    def _draw_static(self) -> None:
        """Draw the whole figure without the neighbourhoods' colours (the static picture), then
        the symbols alone on a clear canvas (the layer laid over the colours each week), and
        which neighbourhood each pixel of each map shows."""
        self.full_draws += 1
        for image in self.images:
            image.set_visible(False)
        self.canvas.draw()
        buffer = np.asarray(self.canvas.buffer_rgba())
        self.frame = buffer[..., :3].copy()
        renderer = self.canvas.get_renderer()
        renderer.clear()
        height = buffer.shape[0]
        self.boxes, self.pixels, self.layers = [], [], []
        for image, cells, artists in zip(self.images, self.cells, self.on_top, strict=True):
            for artist in artists:
                artist.draw(renderer)
            x0, y0, x1, y1 = np.round(image.axes.get_window_extent().extents).astype(int)
            rows, cols = slice(height - y1, height - y0), slice(x0, x1)
            h, w = rows.stop - rows.start, cols.stop - cols.start
            # pixel row 0 is the top of the map; the raster's row 0 its bottom (origin="lower")
            ri = (RASTER - 1 - (np.arange(h) + 0.5) * RASTER // h).astype(int)
            ci = ((np.arange(w) + 0.5) * RASTER // w).astype(int)
            self.boxes.append((rows, cols))
            self.pixels.append(cells[ri][:, ci])
            layer = np.asarray(self.canvas.buffer_rgba())[rows, cols]
            where = layer[..., 3] > 0
            alpha = layer[where][:, 3:4] / 255.0
            self.layers.append((where, layer[where][:, :3] * alpha, 1.0 - alpha))
            renderer.clear()
        for image in self.images:
            image.set_visible(True)

    def png(self) -> bytes:
        """The maps with this week's values, as PNG bytes."""
        values = [map_values(run, self.colour_by) for run in self.runs]
        top = _scale_top(values, self.colour_by)
        if top != self.top or self.frame is None:
            self.top = top
            self.norm.vmax = top
            self._draw_static()
        frame = self.frame.copy()
        cmap = self.images[0].get_cmap()
        for vals, (rows, cols), pixels, (where, fg, keep) in zip(
                values, self.boxes, self.pixels, self.layers, strict=True):
            # not measured yet, and (the last row, pixel -1) outside the city's outlines: white
            colours = np.full((len(vals) + 1, 3), 255, dtype=np.uint8)
            known = np.append(np.isfinite(vals), False)
            colours[known] = cmap(self.norm(vals[known[:-1]]), bytes=True)[:, :3]
            box = colours[pixels]
            box[where] = (fg + box[where] * keep).astype(np.uint8)
            frame[rows, cols][1:-1, 1:-1] = box[1:-1, 1:-1]  # the axes' frame stays
        return _encode(frame)


def _encode(rgb: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def city_map(runs: list[Run], colour_by: str = "coverage") -> Figure:
    """The maps as a whole matplotlib figure (for a one-off picture; the page uses CityMap)."""
    chart = CityMap(runs, colour_by)
    values = [map_values(run, colour_by) for run in runs]
    chart.norm.vmax = _scale_top(values, colour_by)
    for image, cells, vals in zip(chart.images, chart.cells, values, strict=True):
        image.set_data(np.ma.masked_invalid(np.append(vals, np.nan)[cells]))  # -1: outside
    return chart.fig


TIMESERIES_PANELS = ("coverage", "coverage_marginalised", "duplication_rate", "cost_per_need_met")
# panel positions (per cent of the chart) in a 2 x 2 layout
_GRIDS = [{"left": "9%", "top": "14%", "width": "37%", "height": "30%"},
          {"left": "59%", "top": "14%", "width": "37%", "height": "30%"},
          {"left": "9%", "top": "60%", "width": "37%", "height": "30%"},
          {"left": "59%", "top": "60%", "width": "37%", "height": "30%"}]


def _series_values(values: np.ndarray, percent: bool) -> list:
    """JSON-ready numbers (NaN becomes null, a gap in the line)."""
    scaled = 100.0 * values if percent else values
    return [round(float(v), 2) if np.isfinite(v) else None for v in scaled]


def timeseries_option(runs: list[Run]) -> dict:
    """An ECharts option (drawn in the browser, so nothing to render on the server): four panels
    (needs met, for marginalised families, duplication, cost per need met), one line per run,
    over measured weeks (1 is the first week after the warm-up, as the page's header counts),
    from each model's DataCollector, and a dotted line at the start of each mechanism that
    starts after the first measured week."""
    titles = {name: METRIC_INFO[name].label for name in
              ("coverage", "coverage_marginalised", "duplication_rate", "cost_per_need_met")}
    option: dict = {
        "animation": False,
        "color": list(RUN_COLOURS),
        "legend": {"top": 0, "data": [run.label for run in runs]},
        "tooltip": {"trigger": "axis"},
        "grid": _GRIDS,
        "title": [], "xAxis": [], "yAxis": [], "series": [],
    }
    for i, metric in enumerate(TIMESERIES_PANELS):
        grid = _GRIDS[i]
        top = f"{int(grid['top'][:-1]) - 7}%"
        unit = "" if metric == "cost_per_need_met" else " (%)"
        option["title"].append({"text": titles[metric] + unit, "left": grid["left"], "top": top,
                                "textStyle": {"fontSize": 12, "fontWeight": "normal"}})
        option["xAxis"].append({"type": "value", "gridIndex": i, "min": "dataMin", "max": "dataMax",
                                "minInterval": 1, "name": "measured week" if i >= 2 else "",
                                "nameLocation": "middle",
                                "nameGap": 22})
        option["yAxis"].append({"type": "value", "gridIndex": i, "scale": metric != "coverage"
                                and metric != "coverage_marginalised", "splitNumber": 3})
    for r, run in enumerate(runs):
        frame = run.model.timeseries()
        warmup = run.model.params.time.warmup_weeks
        frame = frame[frame["week"] >= warmup]
        weeks = (frame["week"].astype(int) - warmup + 1).tolist()  # measured weeks, as the header
        starts = [(name, week - warmup + 1) for name, week in mechanism_starts(run.model)]
        for i, metric in enumerate(TIMESERIES_PANELS):
            values = _series_values(frame[metric].to_numpy(dtype=float), metric != "cost_per_need_met")
            series = {
                "name": run.label, "type": "line", "xAxisIndex": i, "yAxisIndex": i,
                "showSymbol": False, "data": [list(p) for p in zip(weeks, values, strict=True)],
                "lineStyle": {"width": 2, "type": "solid" if r == 0 else "dashed"},
                "itemStyle": {"color": RUN_COLOURS[r % 2]}}
            if starts:
                series["markLine"] = {
                    "symbol": "none", "silent": True, "animation": False,
                    "lineStyle": {"color": RUN_COLOURS[r % 2], "type": "dotted"},
                    "label": {"formatter": "{b}", "fontSize": 9, "position": "insideEndTop"},
                    "data": [{"xAxis": week, "name": f"{name} starts"} for name, week in starts]}
            option["series"].append(series)
    return option


def mechanism_starts(model) -> list[tuple[str, int]]:
    """(mechanism, model week) of every mechanism that starts after the first measured week."""
    warmup = model.params.time.warmup_weeks
    return [(m.name.replace("_", " "), m.start_at) for m in model.all_mechanisms
            if m.start_at > warmup]
