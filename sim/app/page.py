"""The workshop page: a Mesa page (Solara) trainers drive live in front of a room.

Start it with ``sim app`` (or ``make app``); it serves http://127.0.0.1:8765 by default and works
offline (the front-end comes from the ``solara-assets`` package installed by ``make setup``).

The sidebar: Reset / Play / Step and the play speed in weeks a second (:func:`Controls`), and the
page's settings (city, way of working, levers, comparison, seed; they take effect on Reset): a
lever of a mechanism the chosen way of working does not have is switched off and says why
(:func:`Settings`). It replaces Mesa's SolaraViz sidebar, whose play loop sleeps a fixed interval
and draws every week however long drawing takes: here Play keeps a pace and skips frames when
drawing falls behind (``sim.app.workshop.play``). Mesa's ``update_counter`` still tells the
page that the model moved. The main area is :func:`Dashboard`: headline cards, the comparison
in words, the city map, the time series, a small table of the organisations (the Mesa agents'
reporters, latest week) and plain-language explanations. Each browser session builds its own
model. The model and the texts are in ``sim/app/workshop.py``, the figures in
``sim/app/charts.py`` (the map is drawn by matplotlib on the server, its static parts once; the
time series by ECharts in the browser).
"""

from __future__ import annotations

import ctypes
import html
import math
import os
import traceback

import solara
from mesa.visualization.utils import force_update, update_counter

from sim.app.charts import MAP_COLOURINGS, CityMap, timeseries_option
from sim.app.workshop import (
    AS_WRITTEN,
    DEFAULT_CITY,
    DEFAULT_COMPARISON,
    DEFAULT_PACE,
    HEADLINES,
    LEVER_MECHANISM,
    MECHANISMS,
    MODELS,
    NO_CASE,
    PRESET_TEXT,
    SLIDERS,
    WorkshopModel,
    card_period,
    case_summary,
    compare_phrases,
    describe_case,
    format_value,
    lever_scope,
    list_cases,
    list_scenarios,
    page_choice,
    play,
)
from sim.core.model import CoordinationModel
from sim.scenario.presets import PRESETS

TITLE = "Coordination lab - workshop page"
# browser sessions the server keeps at once (each holds its own model)
MAX_SESSIONS = int(os.environ.get("SIM_APP_MAX_SESSIONS", "40"))
FULL = (f"The workshop page is already open in {MAX_SESSIONS} browsers, the most this server runs "
        "at once. Close it in a browser that no longer needs it, then reload this page.")
RUN_COLOURS = ("#1f5fa8", "#d9541e")
PACE = {"min": 1, "max": 26, "step": 1}  # the speed slider, weeks a second
# sliders show their value in their label, not in a bubble that would cover the next label
CSS = """
.v-navigation-drawer .v-input__slot { margin-bottom: 0 !important; }
.v-navigation-drawer .v-messages { min-height: 0 !important; }
.lever-label { font-size: 13px; margin-top: 6px; }
.lever-note { font-size: 11px; color: #8a5a00; margin: -4px 0 2px 0; }
"""


def model_params() -> dict:
    """The sidebar's settings (in Mesa SolaraViz's ``model_params`` form): names of
    WorkshopModel's keyword arguments; every starting value is the model's default; the sliders
    are ``sim.app.workshop.SLIDERS`` (whose ranges the model also clamps to)."""
    return {
        "case": {"type": "Select", "value": NO_CASE, "values": [NO_CASE, *list_cases()],
                 "label": "Case from the library (sets the city and how services work)"},
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


def _text(tag: str, text: str, style: str = "", classes: str = "", title: str = ""):
    attributes = {"title": title} if title else {}
    return solara.v.Html(tag=tag, children=[text], style_=style, class_=classes, attributes=attributes)


def _number(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def lever_note(name: str, settings: dict) -> str:
    """Under a mechanism's lever: which of the ways of working chosen it acts on ("" when it acts
    on every one)."""
    mechanism = LEVER_MECHANISM.get(name)
    if mechanism is None:
        return ""
    city, way = page_choice(settings["city"], settings["coordination"], settings.get("case", NO_CASE))
    ways = [way] + ([settings["compare_with"]] if settings["compare"] else [])
    acting = lever_scope(name, city, ways)
    what = mechanism.replace("_", " ")
    if not acting:
        return f"No effect: {' or '.join(ways)} has no {what}."
    if len(acting) < len(ways):
        return f"Acts on {acting[0]} only (the other has no {what})."
    return ""


@solara.component
def Settings(settings: solara.Reactive[dict]):
    """The page's settings: a lever whose mechanism no chosen way of working has is switched off,
    with a line saying so; the second way of working shows only in comparison mode. A case
    chosen sets the city and the way of working (their choices are hidden) and its one-line
    summary shows under it."""
    values = settings.value

    def setter(name):
        return lambda value: settings.set({**settings.value, name: value})

    _text("div", "Settings take effect when you press Reset.", "font-size: 12px; color: #444;")
    for name, spec in model_params().items():
        if name == "compare_with" and not values["compare"]:
            continue
        if name in ("city", "coordination") and values["case"] != NO_CASE:
            continue  # the case sets them
        if spec["type"] == "Select":
            solara.Select(spec["label"], values=spec["values"], value=values[name],
                          on_value=setter(name))
            if name == "case" and values["case"] != NO_CASE:
                _text("div", case_summary(values["case"]), "font-size: 12px; color: #333;",
                      "case-summary")
        elif spec["type"] == "Checkbox":
            solara.Checkbox(label=spec["label"], value=values[name], on_value=setter(name))
        else:
            note = lever_note(name, values)
            off = note.startswith("No effect")
            _text("div", f"{spec['label']}: {_number(values[name])}", "color: #999;" if off else "",
                  "lever-label")
            slider = solara.SliderInt if spec["type"] == "SliderInt" else solara.SliderFloat
            slider("", value=values[name], min=spec["min"], max=spec["max"], step=spec["step"],
                   on_value=setter(name), thumb_label=False, disabled=off)
            if note:
                _text("div", note, classes="lever-note")


@solara.component
def Controls(model: solara.Reactive[WorkshopModel], settings: solara.Reactive[dict]):
    """Reset, Play / pause and Step, and the speed of Play in weeks a second."""
    playing = solara.use_reactive(False)
    pace = solara.use_reactive(DEFAULT_PACE)
    error = solara.use_reactive(None)

    def run_play():
        if not playing.value:
            return
        try:
            play(model.value, lambda: playing.value, lambda: pace.value, force_update)
        except Exception as exc:  # shown on the page, not lost in the server's log
            error.set(f"error in step: {exc}")
            traceback.print_exc()
        playing.set(False)

    solara.lab.use_task(run_play, dependencies=[playing.value], prefer_threaded=True)

    def reset():
        playing.set(False)
        error.set(None)
        model.set(WorkshopModel(**settings.value))

    def step():
        model.value.step()
        force_update()

    running = model.value.running
    with solara.Row(justify="space-between"):
        solara.Button(label="Reset", color="primary", on_click=reset)
        solara.Button(label="❚❚" if playing.value else "▶", color="primary",
                      on_click=lambda: playing.set(not playing.value), disabled=not running)
        solara.Button(label="Step", color="primary", on_click=step,
                      disabled=playing.value or not running)
    _text("div", f"Speed of Play: {pace.value} weeks a second", classes="lever-label")
    solara.SliderInt("", value=pace, min=PACE["min"], max=PACE["max"], step=PACE["step"],
                     thumb_label=False)
    if error.value:
        solara.Error(error.value)


@solara.component
def Status(model: WorkshopModel, tick: int):
    main = model.main.params
    ways = " versus ".join(run.label for run in model.runs)
    _text("div", f"City: {model.city_name} ({main.city.families:,} families). Way of working: {ways}. "
          f"Now at {model.status()}.", "font-size: 14px; color: #333;", "status-line")
    if model.case is not None:
        _text("div", f"Case: {describe_case(model.case)}", "font-size: 14px; color: #333;",
              "case-line", title=model.case.not_represented)


CARD_STYLE = ("flex: 1 1 0; min-width: 118px; padding: 6px 8px; background: #fff; border-radius: 4px; "
              "box-shadow: 0 1px 3px rgba(0,0,0,.25);")


def headline_cards_html(model: WorkshopModel) -> str:
    """The six headline cards (and, when comparing, which colour is which way of working) as one
    piece of HTML: one widget to redraw each week, not some fifty. Each card says what period
    its number covers; hovering over its title shows what it means."""
    def div(cls: str, text: str, style: str = "", title: str = "") -> str:
        hint = f' title="{html.escape(title)}"' if title else ""
        return f'<div class="{cls}" style="{style}"{hint}>{html.escape(text)}</div>'

    parts = []
    if model.comparing:
        parts.append('<div style="display: flex; gap: 18px; margin-bottom: 6px;">' + "".join(
            f'<span class="run-legend" style="color: {RUN_COLOURS[i]}; font-weight: 600;">'
            f"\u25a0 {html.escape(run.label)}</span>" for i, run in enumerate(model.runs)) + "</div>")
    cards = []
    for h in HEADLINES:
        values = []
        for i, run in enumerate(model.runs):
            value = html.escape(format_value(run.model.metrics[h.metric], h.kind))
            if h.kind == "money" and value != "n/a":  # in the scenario's currency, smaller
                value += (f' <span style="font-size: 12px;">'
                          f"{html.escape(run.model.params.currency)}</span>")
            values.append(f'<div class="headline-value" style="font-size: 24px; font-weight: 700; '
                          f'line-height: 1.2; color: {RUN_COLOURS[i]}; white-space: nowrap;">'
                          f"{value}</div>")
        cards.append(
            f'<div class="headline-card" style="{CARD_STYLE}">'
            + div("headline-title", h.title, "font-weight: 600; font-size: 13px; line-height: 1.2; "
                  "cursor: help;", h.explain)
            + "".join(values)
            + div("headline-period", card_period(model.main, h.metric),
                  "font-size: 11px; line-height: 1.25; color: #333;")
            + div("headline-better", f"{'Higher' if h.better == 'higher' else 'Lower'} is better.",
                  "font-size: 11px; color: #666;")
            + "</div>")
    parts.append('<div class="headline-row" style="display: flex; flex-wrap: wrap; gap: 8px;">'
                 + "".join(cards) + "</div>")
    return "".join(parts)


@solara.component
def HeadlineCards(model: WorkshopModel, tick: int):
    """The cards, redrawn after every step (``tick``)."""
    solara.HTML(tag="div", unsafe_innerHTML=headline_cards_html(model), classes=["headlines"])


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
    """Each organisation now: one compact table per run (redrawn after every step)."""
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
    with solara.Card("What the cards mean"):
        for h in HEADLINES:
            _text("div", f"{h.title}: {h.explain}", "font-size: 13px; margin-bottom: 2px;")
    with solara.Card("The ways of working"):
        for name, text in PRESET_TEXT.items():
            _text("div", f"{name}: {text}", "font-size: 13px;")
        _text("div", "What each piece does:", "font-weight: 600; margin-top: 8px;")
        for name, text in MECHANISMS.items():
            _text("div", f"{name.replace('_', ' ')} - {text}", "font-size: 13px; margin-bottom: 2px;")
    time = model.main.params.time
    with solara.Card("How to read the page"):
        for line in (
            f"Each step is one week. The first {time.warmup_weeks} weeks are a warm-up, not "
            f"counted; then {time.measured_weeks} weeks are measured, and the header counts "
            "those. A year and a half of them has already run when the page opens: each need is "
            f"followed for {time.follow_up_weeks} weeks, and a family's needs for a whole year, "
            "before they count. Each card says which weeks or years its number covers; a number "
            "reacts to a change about half a year later.",
            "The map: each patch is a neighbourhood; hatched patches are informal settlements. "
            "Squares are government offices, triangles NGOs, circles private providers, stars "
            "family hubs. Colour shows needs served in time since warm-up, or needs waiting right now.",
            "Money is in the scenario's currency, shown beside each amount (USD in the base city).",
            "Settings in the sidebar take effect when you press Reset. A slider left where it "
            "started keeps the scenario's own value; a lever greyed out does nothing under the "
            "way of working chosen; 'Settings in use' below shows what runs.",
        ):
            _text("p", line, "font-size: 13px; margin-bottom: 4px;")
    with solara.Card("Settings in use"):
        for run in model.runs:
            _text("div", run.label, "font-weight: 600;")
            for line in run.settings:
                _text("div", line, "font-size: 13px;")


@solara.component
def MapImage(model: WorkshopModel, colour_by: str, tick: int):
    """The map: its static parts drawn once per model and colouring, the colours every step."""
    painter = solara.use_memo(lambda: CityMap(model.runs, colour_by), [model, colour_by])
    png = solara.use_memo(painter.png, [painter, tick])
    solara.Image(png, width="100%", classes=["city-map"])


@solara.component
def CityCard(model: WorkshopModel, flex: str, tick: int):
    colour_by, set_colour_by = solara.use_state("coverage")
    with solara.Card("The city", style={"margin": "0", "flex": flex, "max-width": "980px"}):
        solara.ToggleButtonsSingle(value=colour_by, on_value=set_colour_by, values=list(MAP_COLOURINGS))
        _text("div", MAP_COLOURINGS[colour_by][0], "font-size: 12px; color: #444;")
        MapImage(model, colour_by, tick)


@solara.component
def TimeSeries(model: WorkshopModel, flex: str, tick: int):
    option = solara.use_memo(lambda: timeseries_option(model.runs), [model, tick])
    with solara.Card("Week by week", style={"margin": "0", "flex": flex, "max-width": "820px"}):
        solara.FigureEcharts(option=option, responsive=True,
                             attributes={"style": "height: 430px; width: 100%;", "class": "timeseries"})


@solara.component
def Dashboard(model: WorkshopModel):
    """The main area, redrawn after every step (Mesa's ``update_counter``); the parts that do
    not change with the week (the explanations) are skipped, as their arguments stay the same."""
    tick = update_counter.get()
    # side by side for one run; one under the other (full width) when comparing
    basis = ("1 1 100%", "1 1 100%") if model.comparing else ("1 1 300px", "1.4 1 420px")
    with solara.Column(style={"padding": "4px 12px", "gap": "10px"}):
        _text("h2", "Same city, same families: what changes when services work together?",
              "margin: 4px 0; font-size: 22px;")
        Status(model, tick)
        for warning in model.warnings:
            solara.Warning(warning)
        HeadlineCards(model, tick)
        if model.comparing:
            Differences(model, tick)
        with solara.Row(style={"flex-wrap": "wrap", "gap": "10px", "align-items": "flex-start"}):
            CityCard(model, basis[0], tick)
            TimeSeries(model, basis[1], tick)
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
    """The session's model and page: the sidebar's controls and settings, and the main area."""
    initial = solara.use_memo(WorkshopModel, [])
    model = solara.use_reactive(initial)
    settings = solara.use_reactive({name: spec["value"] for name, spec in model_params().items()})
    solara.Style(CSS)
    solara.Title(TITLE)
    with solara.AppBar():
        solara.AppBarTitle(TITLE)
    with solara.Sidebar():
        with solara.Card("Controls", style={"margin": "0 0 8px 0"}):
            Controls(model, settings)
        with solara.Card("Settings", style={"margin": "0"}):
            Settings(settings)
    Dashboard(model.value)
