"""The workshop page: a Mesa SolaraViz page trainers drive live in front of a room.

Start it with ``sim app`` (or ``make app``); it serves http://127.0.0.1:8765 by default and works
offline (the front-end comes from the ``solara-assets`` package installed by ``make setup``).

The sidebar is Mesa's SolaraViz: Reset / Play / Step, the play speed, and the page's settings
(city, way of working, levers, comparison, seed; they take effect on Reset). The main area is
this module's :func:`Dashboard`: headline cards, the comparison in words, the city map, the
time series, a small table of the organisations (the Mesa agents' reporters, latest week) and
plain-language explanations. Each browser session builds its own model.
The model and the texts are in ``sim/app/workshop.py``, the figures in ``sim/app/charts.py`` (the map
is drawn by matplotlib on the server, the time series by ECharts in the browser).
"""

from __future__ import annotations

import ctypes
import html
import math
import os

import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from sim.app.charts import MAP_COLOURINGS, city_map, figure_png, timeseries_option
from sim.app.workshop import (
    AS_WRITTEN,
    DEFAULT_CITY,
    DEFAULT_COMPARISON,
    HEADLINES,
    MECHANISMS,
    MODELS,
    PRESET_TEXT,
    SLIDERS,
    WorkshopModel,
    compare_phrases,
    format_value,
    list_scenarios,
)
from sim.core.model import CoordinationModel
from sim.scenario.presets import PRESETS

TITLE = "Coordination lab - workshop page"
# browser sessions the server keeps at once (each holds its own model)
MAX_SESSIONS = int(os.environ.get("SIM_APP_MAX_SESSIONS", "40"))
FULL = (f"The workshop page is already open in {MAX_SESSIONS} browsers, the most this server runs "
        "at once. Close it in a browser that no longer needs it, then reload this page.")
RUN_COLOURS = ("#1f5fa8", "#d9541e")
# show every slider's value all the time (Mesa's sliders show it only while dragging)
CSS = """
.v-slider__thumb-label-container { display: block !important; }
.v-slider__thumb-label { transform: translate(-50%, 30px) !important; border-radius: 4px !important;
  width: auto !important; min-width: 24px; height: 16px !important; padding: 0 3px; font-size: 10px; }
.v-slider__thumb-label > * { transform: none !important; }
"""


def model_params() -> dict:
    """The sidebar's settings (Mesa SolaraViz ``model_params``): names of WorkshopModel's
    keyword arguments; every starting value is the model's default; the sliders are
    ``sim.app.workshop.SLIDERS`` (whose ranges the model also clamps to)."""
    return {
        "city": {"type": "Select", "value": DEFAULT_CITY, "values": list_scenarios(),
                 "label": "City (scenario file)"},
        "coordination": {"type": "Select", "value": AS_WRITTEN, "values": [AS_WRITTEN, *PRESETS],
                         "label": "Way of working (coordination model)"},
        "compare": {"type": "Checkbox", "value": False,
                    "label": "Compare with a second way of working"},
        "compare_with": {"type": "Select", "value": DEFAULT_COMPARISON, "values": list(PRESETS),
                         "label": "Second way of working"},
        **{name: slider.param() for name, slider in SLIDERS.items()},
    }


def _text(tag: str, text: str, style: str = "", classes: str = ""):
    return solara.v.Html(tag=tag, children=[text], style_=style, class_=classes)


@solara.component
def HeadlineCards(model: WorkshopModel, tick: int):
    """Five cards; ``tick`` (Mesa's update counter) makes them redraw after every step."""
    if model.comparing:
        with solara.Row(style={"gap": "18px"}):
            for i, run in enumerate(model.runs):
                _text("span", f"\u25a0 {run.label}", f"color: {RUN_COLOURS[i]}; font-weight: 600;",
                      "run-legend")
    with solara.Row(style={"flex-wrap": "wrap", "gap": "8px"}):
        for h in HEADLINES:
            with solara.Card(style={"min-width": "160px", "flex": "1 1 160px", "margin": "0"}):
                _text("div", h.title, "font-weight: 600; font-size: 15px;", "headline-title")
                for i, run in enumerate(model.runs):
                    value = format_value(run.model.metrics[h.metric], h.kind)
                    if h.kind == "money" and value != "n/a":  # in the scenario's currency
                        value = f"{value} {run.model.params.currency}"
                    _text("div", value, f"font-size: 28px; font-weight: 700; line-height: 1.2; "
                          f"color: {RUN_COLOURS[i]};", "headline-value")
                _text("div", f"{h.explain} {'Higher' if h.better == 'higher' else 'Lower'} is better.",
                      "font-size: 11px; line-height: 1.3; color: #444; margin-top: 4px;")


@solara.component
def Differences(model: WorkshopModel, tick: int):
    a, b = model.runs
    phrases = compare_phrases(a.model.metrics, b.model.metrics)
    with solara.Card(f"With {b.label} instead of {a.label}"):
        _text("div", "Same city, same families, same chance events: only the way of working differs.",
              "font-size: 13px; color: #444; margin-bottom: 6px;")
        if not phrases:
            _text("div", "Not measurable yet: press Step a few times.", "font-size: 16px;")
        with solara.Row(style={"flex-wrap": "wrap", "gap": "10px"}):
            for phrase in phrases:
                background = {True: "#dff3e4", False: "#fbe3dc", None: "#f1f1f1"}[phrase.good]
                _text("div", phrase.text, "font-size: 20px; font-weight: 600; padding: 4px 10px; "
                      f"background: {background}; border-radius: 6px;", "comparison-phrase")
        _text("div", "Green: better for families or for the budget; red: worse.",
              "font-size: 12px; color: #555; margin-top: 6px;")


ORG_COLUMNS = ("Organisation", "Cases open", "Waiting", "Budget left", "Spent", "Duplicates")


def organisation_rows(model: CoordinationModel) -> list[tuple[str, ...]]:
    """The organisations table's rows (ORG_COLUMNS): each organisation agent's reporters
    (``sim.core.agents.REPORTERS``) now, i.e. the DataCollector's latest row, read off the agents
    rather than by rebuilding its whole table every step; spending and duplicates count since
    warm-up."""
    return [(a.name.replace("_", " "), f"{a.caseload:,}", f"{a.waiting:,}",
             "fees" if math.isnan(a.budget_left) else f"{a.budget_left:,.0f}",
             f"{a.spending:,.0f}", f"{a.duplicates:,}") for a in model.organisations]


def organisation_table_html(rows: list[tuple[str, ...]]) -> str:
    """The rows as one small HTML table (one widget, not one per cell: cheap to redraw)."""
    def row(tag: str, values) -> str:
        return "<tr>" + "".join(f'<{tag} style="padding: 1px 8px; text-align: {"right" if j else "left"}">'
                                f"{html.escape(v)}</{tag}>" for j, v in enumerate(values)) + "</tr>"
    return ('<table style="font-size: 12px; border-collapse: collapse;">' + row("th", ORG_COLUMNS)
            + "".join(row("td", r) for r in rows) + "</table>")


@solara.component
def Organisations(model: WorkshopModel, tick: int):
    """Each organisation now: one compact table per run (``tick`` redraws it after a step)."""
    tables = solara.use_memo(lambda: [organisation_table_html(organisation_rows(run.model))
                                      for run in model.runs], [model, tick])
    with solara.Card("The organisations this week", style={"margin": "0"}):
        _text("div", "Cases open and families waiting now; budget not yet spent (private "
              "providers live on fees); money spent and duplicate contacts since warm-up.",
              "font-size: 12px; color: #444; margin-bottom: 4px;")
        with solara.Row(style={"flex-wrap": "wrap", "gap": "16px", "align-items": "flex-start"}):
            for i, run in enumerate(model.runs):
                with solara.Column(style={"gap": "2px"}):
                    if model.comparing:
                        _text("div", f"\u25a0 {run.label}", f"color: {RUN_COLOURS[i]}; font-weight: 600;")
                    solara.HTML(tag="div", unsafe_innerHTML=tables[i], classes=["organisations"])


@solara.component
def Explanations(model: WorkshopModel):
    with solara.Card("The ways of working"):
        for name, text in PRESET_TEXT.items():
            _text("div", f"{name}: {text}", "font-size: 13px;")
        _text("div", "What each piece does:", "font-weight: 600; margin-top: 8px;")
        for name, text in MECHANISMS.items():
            _text("div", f"{name.replace('_', ' ')} - {text}", "font-size: 13px; margin-bottom: 2px;")
    with solara.Card("How to read the page"):
        for line in (
            "Each step is one week. Two years of warm-up (not counted) and then a year and a half "
            "have already run when the page opens: each need is followed for half a year, and a "
            "family's needs for a whole year, before they count. Every number counts from the end "
            "of the warm-up, and reacts to a change about half a year later.",
            "The map: each patch is a neighbourhood; hatched patches are informal settlements. "
            "Squares are government offices, triangles NGOs, circles private providers, stars "
            "family hubs. Colour shows needs served in time since warm-up, or needs waiting right now.",
            "Money is in the scenario's currency, shown beside each amount (USD in the base city).",
            "Settings in the sidebar take effect when you press Reset. A slider left where it "
            "started keeps the scenario's own value; 'Settings in use' below shows what runs.",
        ):
            _text("p", line, "font-size: 13px; margin-bottom: 4px;")
    with solara.Card("Settings in use"):
        for run in model.runs:
            _text("div", run.label, "font-weight: 600;")
            for line in run.settings:
                _text("div", line, "font-size: 13px;")


@solara.component
def Dashboard(model: WorkshopModel):
    """The main area: redrawn after every step (Mesa's ``update_counter``)."""
    tick = update_counter.get()
    colour_by, set_colour_by = solara.use_state("coverage")
    map_png = solara.use_memo(lambda: figure_png(city_map(model.runs, colour_by)), [model, tick, colour_by])
    ts_option = solara.use_memo(lambda: timeseries_option(model.runs), [model, tick])
    # side by side for one run; one under the other (full width) when comparing
    basis = ("1 1 100%", "1 1 100%") if model.comparing else ("1 1 360px", "1.3 1 460px")
    main = model.main.params
    with solara.Column(style={"padding": "4px 12px", "gap": "10px"}):
        _text("h2", "Same city, same families: what changes when services work together?",
              "margin: 4px 0;")
        ways = " versus ".join(run.label for run in model.runs)
        _text("div", f"City: {model.city_name} ({main.city.families:,} families). Way of working: {ways}. "
              f"Now at {model.status()}.", "font-size: 14px; color: #333;", "status-line")
        for warning in model.warnings:
            solara.Warning(warning)
        HeadlineCards(model, tick)
        if model.comparing:
            Differences(model, tick)
        with solara.Row(style={"flex-wrap": "wrap", "gap": "10px", "align-items": "flex-start"}):
            with solara.Card("The city", style={"margin": "0", "flex": basis[0], "max-width": "980px"}):
                solara.ToggleButtonsSingle(value=colour_by, on_value=set_colour_by,
                                           values=list(MAP_COLOURINGS))
                _text("div", MAP_COLOURINGS[colour_by][0], "font-size: 12px; color: #444;")
                solara.Image(map_png, width="100%", classes=["city-map"])
            with solara.Card("Week by week", style={"margin": "0", "flex": basis[1], "max-width": "820px"}):
                solara.FigureEcharts(option=ts_option, responsive=True,
                                     attributes={"style": "height: 430px; width: 100%;",
                                                 "class": "timeseries"})
        Organisations(model, tick)
        Explanations(model)


def trim_heap() -> None:
    """Give the heap pages a freed session model used back to the system (glibc keeps them)."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


MODELS.on_free.append(trim_heap)


def admit_session() -> bool:
    """Whether this browser session may have a model: at most MAX_SESSIONS live at once. To
    make room, sessions whose page is no longer connected (gone without closing, waiting for
    Solara's cull) are closed, oldest first, as Solara's cull would."""
    from solara.server import kernel_context as kc

    current = kc.get_current_context() if kc.has_current_context() else None
    others = [c for c in list(kc.contexts.values()) if c is not current and not c.closed_event.is_set()]
    excess = len(others) + 1 - MAX_SESSIONS
    if excess <= 0:
        return True
    idle = [c for c in others if kc.PageStatus.CONNECTED not in c.page_status.values()][:excess]
    for context in idle:  # on Solara's keep-alive loop, where its cull closes contexts
        kc.keep_alive_event_loop.call_soon_threadsafe(context.close, "evicted")
    return len(idle) == excess


@solara.component
def Page():
    """One model per browser session (at most MAX_SESSIONS sessions at once)."""
    if solara.use_memo(admit_session, []):
        Workshop()
    else:
        solara.Error(FULL)


@solara.component
def Workshop():
    """The session's model and page; Mesa's SolaraViz gives the sidebar and the controls."""
    params = solara.use_memo(model_params, [])
    initial = solara.use_memo(WorkshopModel, [])
    model = solara.use_reactive(initial)
    solara.Style(CSS)
    SolaraViz(model, components=[], model_params=params, name=TITLE, play_interval=100)
    Dashboard(model.value)
