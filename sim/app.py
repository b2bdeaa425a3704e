"""The workshop page: a Mesa SolaraViz page trainers drive live in front of a room.

Start it with ``sim app`` (or ``make app``); it serves http://127.0.0.1:8765 by default and works
offline (the front-end comes from the ``solara-assets`` package installed by ``make setup``).

The sidebar is Mesa's SolaraViz: Reset / Play / Step, the play speed, and the page's settings
(city, way of working, levers, comparison, seed; they take effect on Reset). The main area is
this module's :func:`Dashboard`: headline cards, the comparison in words, the city map, the
time series and plain-language explanations. Each browser session builds its own model.
The model and the texts are in ``sim/app_model.py``, the figures in ``sim/app_charts.py`` (the map
is drawn by matplotlib on the server, the time series by ECharts in the browser).
"""

from __future__ import annotations

import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from sim.app_charts import MAP_COLOURINGS, city_map, figure_png, timeseries_option
from sim.app_model import (
    AS_WRITTEN,
    DEFAULT_CITY,
    DEFAULT_COMPARISON,
    DEFAULT_LEVERS,
    HEADLINES,
    MECHANISMS,
    PRESET_TEXT,
    WorkshopModel,
    compare_phrases,
    format_value,
    list_scenarios,
)
from sim.coordination.presets import PRESETS

TITLE = "Coordination lab - workshop page"
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
    keyword arguments; every starting value is the model's default."""
    d = DEFAULT_LEVERS
    return {
        "city": {"type": "Select", "value": DEFAULT_CITY, "values": list_scenarios(),
                 "label": "City (scenario file)"},
        "coordination": {"type": "Select", "value": AS_WRITTEN, "values": [AS_WRITTEN, *PRESETS],
                         "label": "Way of working (coordination model)"},
        "compare": {"type": "Checkbox", "value": False,
                    "label": "Compare with a second way of working"},
        "compare_with": {"type": "Select", "value": DEFAULT_COMPARISON, "values": list(PRESETS),
                         "label": "Second way of working"},
        "families": {"type": "SliderInt", "value": d.families_percent, "min": 10, "max": 200,
                     "step": 10, "label": "Families (% of the scenario's)"},
        "budget_level": {"type": "SliderFloat", "value": d.budget_level, "min": 0.5, "max": 2.0,
                         "step": 0.1, "label": "Budget level (x the scenario's funding)"},
        "council_meetings": {"type": "SliderInt", "value": int(d.council_meetings), "min": 0,
                             "max": 12, "step": 1, "label": "Council meetings a year"},
        "council_size": {"type": "SliderInt", "value": d.council_size, "min": 0, "max": 12,
                         "step": 1, "label": "Council members (0 = as the model sets)"},
        "hubs": {"type": "SliderInt", "value": d.hubs, "min": 0, "max": 10, "step": 1,
                 "label": "Family hubs"},
        "pooled_share": {"type": "SliderFloat", "value": d.pooled_share, "min": 0.0, "max": 0.5,
                         "step": 0.05, "label": "Pooled budget share"},
        "registry_consultation": {"type": "SliderFloat", "value": d.registry_consultation,
                                  "min": 0.0, "max": 1.0, "step": 0.1,
                                  "label": "Registry consulted (share of intakes)"},
        "outreach": {"type": "SliderFloat", "value": d.outreach, "min": 0.0, "max": 4.0,
                     "step": 0.5, "label": "Outreach effort (x the scenario's)"},
        "seed": {"type": "SliderInt", "value": 0, "min": 0, "max": 50, "step": 1,
                 "label": "Seed (0 = the scenario's)"},
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
            "Each step is one week. The first year (warm-up, not counted) and one quarter have "
            "already run when the page opens; every number counts from the end of the warm-up, "
            "so the numbers settle as the weeks pass.",
            "The map: each patch is a neighbourhood; hatched patches are informal settlements. "
            "Squares are government offices, triangles NGOs, circles private providers, stars "
            "family hubs. Colour shows needs met since warm-up, or needs waiting right now.",
            "Money is in the scenario's currency (US dollars in the base city).",
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
        Explanations(model)


@solara.component
def Page():
    """One model per browser session; Mesa's SolaraViz gives the sidebar and the controls."""
    params = solara.use_memo(model_params, [])
    initial = solara.use_memo(WorkshopModel, [])
    model = solara.use_reactive(initial)
    solara.Style(CSS)
    SolaraViz(model, components=[], model_params=params, name=TITLE, play_interval=100)
    Dashboard(model.value)
