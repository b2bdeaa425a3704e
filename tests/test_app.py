"""The workshop page without a browser: levers, texts, figures, the page for every scenario, `sim app`.

The browser test (real Chromium, offline) is tests/test_app_browser.py.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from sim.app.workshop import (
    AS_WRITTEN,
    DEFAULT_LEVERS,
    HEADLINES,
    Levers,
    WorkshopModel,
    build_scenario,
    compare_phrases,
    format_value,
    list_scenarios,
    needs_waiting_now,
    neighbourhood_coverage,
    scenario_path,
)
from sim.core.metrics import by_neighbourhood
from sim.errors import ConfigError
from sim.scenario.loading import load_scenario
from tests.tally import tally


@pytest.mark.slow
def test_sim_does_not_import_the_page_machinery():
    code = ("import sys, sim, sim.cli, sim.experiments.single_run, sim.app.server; "
            "bad = [m for m in sys.modules if m.startswith(('solara', 'mesa.visualization'))]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_app_command_defaults_to_this_computer():
    from sim.app.server import is_loopback, server_command, server_env
    from sim.cli import build_parser

    args = build_parser().parse_args(["app"])
    assert (args.host, args.port) == ("127.0.0.1", 8765)
    args = build_parser().parse_args(["app", "--port", "9000", "--host", "0.0.0.0"])
    assert (args.host, args.port) == ("0.0.0.0", 9000)
    command = server_command("127.0.0.1", 8765)
    assert command[1:5] == ["-m", "solara", "run", "sim.app.page"]
    assert "--production" in command and "--no-open" in command
    assert command[command.index("--host") + 1] == "127.0.0.1"
    assert server_env({})["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "false"
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and not is_loopback("0.0.0.0")


@pytest.mark.parametrize("port", ["0", "70000", "http"])
def test_app_command_refuses_bad_ports(port, capsys):
    from sim.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["app", "--port", port])
    assert exc.value.code == 2
    assert "--port" in capsys.readouterr().err


def test_scenario_names_are_only_the_listed_files():
    assert list_scenarios()[0] == "base"
    for bad in ("../pyproject", "/etc/passwd", "base.yaml", "nope"):
        with pytest.raises(ConfigError):
            scenario_path(bad)


def test_default_levers_leave_the_scenario_as_written():
    for name in list_scenarios():
        path = scenario_path(name)
        assert build_scenario(name) == load_scenario(path)
        assert build_scenario(name, "council") == load_scenario(path, coordination="council")


def test_each_lever_sets_its_parameter():
    moved = Levers(families_percent=50, budget_level=1.5, council_meetings=8, council_size=3, hubs=5,
                   pooled_share=0.3, registry_consultation=0.9, outreach=2.0)
    s = build_scenario("base", "full_integration", moved, seed=7)
    plain = build_scenario("base", "full_integration")
    assert s.seed == 7
    assert s.city.families == plain.city.families // 2
    assert s.funding.budget_scale == 1.5
    c = s.coordination
    assert c.council.meetings_per_year == 8
    assert c.council.members == ["health_department", "nutrition_department", "education_department"]
    assert c.integrated_platform.hubs == 5
    assert c.pooled_budget.contribution_share == 0.3
    assert c.shared_registry.consultation_rate == 0.9
    for name, org in s.organisations.items():
        assert org.outreach == pytest.approx(min(1.0, 2 * plain.organisations[name].outreach))
    bigger = build_scenario("base", "council", Levers(council_size=10))
    assert len(bigger.coordination.council.members) == 10  # private providers join last
    assert bigger.coordination.council.members[-2:] == ["private_day_care", "private_clinic"]


def test_mechanism_levers_do_not_switch_mechanisms_on():
    s = build_scenario("base", "silos", Levers(council_meetings=8, council_size=3, hubs=5,
                                               pooled_share=0.3, registry_consultation=0.9))
    assert s.coordination.mechanisms() == []


def test_a_named_model_replaces_the_files_coordination():
    own = build_scenario("election_year2")
    assert own.coordination.focal_point is not None
    council = build_scenario("election_year2", "council")
    assert council.coordination.focal_point is None
    assert council.coordination.council.members == "public_and_ngos"


def test_comparison_shares_the_city_and_the_chance_events():
    solo = WorkshopModel(coordination="council")
    pair = WorkshopModel(coordination="council", compare=True, compare_with="full_integration")
    for _ in range(3):
        solo.step()
        pair.step()
    assert pair.comparing and not solo.comparing
    assert solo.main.metrics == pytest.approx(pair.main.metrics, nan_ok=True)
    a, b = (run.model for run in pair.runs)
    assert (a.pop.neighbourhood == b.pop.neighbourhood).all()
    assert [run.label for run in pair.runs] == ["council", "full_integration"]
    assert a.week == b.week == pair.week


def test_numbers_shown_are_the_models_metrics():
    m = WorkshopModel(compare=True)
    m.step()
    a, b = (run.model.metrics for run in m.runs)
    for h in HEADLINES:
        assert format_value(a[h.metric], h.kind) != ""
    phrases = {p.text.split(" ", 1)[1]: p for p in compare_phrases(a, b)}
    points = phrases["points of coverage for marginalised families"].text.split(" ")[0]
    expected = 100 * (b["coverage_marginalised"] - a["coverage_marginalised"])
    assert float(points) == pytest.approx(expected, abs=0.051 if abs(expected) < 10 else 0.51)
    coverage = neighbourhood_coverage(m.main)
    assert coverage == pytest.approx(by_neighbourhood(m.main.ledger)["coverage"], nan_ok=True)
    waiting = needs_waiting_now(m.main)
    assert waiting.shape == (m.main.city.size,) and (waiting[~(waiting != waiting)] >= 0).all()


def test_phrases_read_plainly():
    a = {"full_package_share": 0.30, "coverage": 0.5, "coverage_marginalised": 0.40,
         "duplication_rate": 0.10, "total_cost": 100.0, "cost_per_need_met": 10.0,
         "coordination_cost": 0.0}
    b = {"full_package_share": 0.33, "coverage": 0.55, "coverage_marginalised": 0.52,
         "duplication_rate": 0.06, "total_cost": 108.0, "cost_per_need_met": 9.0,
         "coordination_cost": 1234.0}
    texts = [(p.text, p.good) for p in compare_phrases(a, b)]
    assert texts == [("+3.0 points of children fully served", True),
                     ("+12 points of coverage for marginalised families", True),
                     ("+5.0 points of coverage overall", True),
                     ("-40% duplication (repeat assessments and services)", True),
                     ("+8.0% total cost", False),
                     ("-10% cost per need met", True),
                     ("+1,234 spent on coordination", False)]
    nan = dict.fromkeys(a, math.nan)
    assert compare_phrases(nan, nan) == []
    assert format_value(math.nan, "share") == "n/a"
    assert format_value(0.1234, "share") == "12.3%"
    assert format_value(12345.6, "money") == "12,346"


def test_bad_settings_fall_back_with_a_warning():
    m = WorkshopModel(city="no_such_city")
    assert m.city_name == "base" and m.warnings
    assert m.main.params.name == "base"


@pytest.mark.slow
@pytest.mark.parametrize("name", list_scenarios())
def test_page_renders_for_every_scenario(name):
    """Smoke test: the page's model, figures and main area for every scenario file."""
    import ipyvuetify as v
    import solara

    from sim.app import page as app
    from sim.app.charts import city_map, figure_png, timeseries_option

    m = WorkshopModel(city=name, compare=True, compare_with="full_integration")
    assert m.warnings == []
    before = [run.model.week for run in m.runs]
    m.step()
    assert [run.model.week for run in m.runs] == [w + 1 for w in before]
    for figure in (city_map(m.runs, "coverage"), city_map(m.runs[:1], "waiting")):
        assert figure_png(figure).startswith(b"\x89PNG")
    option = timeseries_option(m.runs)
    json.dumps(option, allow_nan=False)  # what the browser receives
    assert len(option["series"]) == 2 * 4
    assert option["series"][0]["data"][-1] == [m.measured_week, round(100 * m.main.metrics["coverage"], 2)]
    assert option["series"][0]["data"][0][0] == 1  # measured weeks, as the header counts them
    _, rc = solara.render(app.Dashboard(m), handle_error=False)
    cards = app.headline_cards_html(m)
    assert cards.count('class="headline-value"') == 2 * len(HEADLINES)
    assert cards.count('class="headline-period"') == len(HEADLINES)
    assert rc.find(v.Html, class_="comparison-phrase").widgets
    status = rc.find(v.Html, class_="status-line").widget.children[0]
    assert f"measured week {m.measured_week} of" in status


@pytest.mark.slow
def test_each_session_builds_its_own_model(monkeypatch):
    import solara

    from sim.app import page as app

    built = []

    class Recording(WorkshopModel):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            built.append(self)

    monkeypatch.setattr(app, "WorkshopModel", Recording)
    solara.render(app.Page(), handle_error=False)
    solara.render(app.Page(), handle_error=False)
    assert len(built) == 2 and built[0] is not built[1]


def test_sidebar_settings_match_the_model():
    import inspect

    from sim.app.page import model_params

    params = model_params()
    signature = inspect.signature(WorkshopModel.__init__).parameters
    for name, spec in params.items():
        assert name in signature
        default = signature[name].default
        assert spec["value"] == default, name
        if spec["type"].startswith("Slider"):
            assert spec["min"] <= spec["value"] <= spec["max"]
    assert params["coordination"]["value"] == AS_WRITTEN
    assert params["city"]["values"] == list_scenarios()
    assert DEFAULT_LEVERS.council_size == 0


TAMPERED = {"families": 10**9, "budget_level": 1e300, "council_meetings": float("nan"),
            "council_size": -5, "hubs": 10**6, "pooled_share": 7, "registry_consultation": -1.0,
            "outreach": float("inf"), "seed": 10**12}


def test_tampered_slider_values_are_clamped_to_the_sliders():
    """Values no slider can send (a tampered page) are clamped to the slider's range before the
    model is built; the ranges are the sidebar's own (sim.app.workshop.SLIDERS)."""
    from sim.app.page import model_params
    from sim.app.workshop import SLIDERS

    params = model_params()
    for name, slider in SLIDERS.items():
        assert params[name]["min"] == slider.min and params[name]["max"] == slider.max
        assert slider.clamp(slider.max * 10 + 1) == slider.max
        assert slider.clamp(slider.min - 1e9) == slider.min
        assert slider.clamp("a lot") == slider.clamp(None) == slider.value
        assert slider.clamp(slider.value) == slider.value
    m = WorkshopModel(coordination="full_integration", warm_up=False, **TAMPERED)
    plain = build_scenario("base", "full_integration")
    s = m.main.params
    assert s.city.families == 2 * plain.city.families  # 200%, the slider's maximum
    assert s.seed == 50 and s.funding.budget_scale == 2.0
    c = s.coordination
    assert c.council.meetings_per_year == plain.coordination.council.meetings_per_year  # NaN: default
    assert c.council.members == plain.coordination.council.members  # 0: as the model sets
    assert c.integrated_platform.hubs == 10 and c.pooled_budget.contribution_share == 0.5
    assert c.shared_registry.consultation_rate == 0.0
    assert m.warnings == []
    tally("tampered slider values clamped", len(TAMPERED))


def test_in_range_slider_values_build_the_same_model():
    moved = dict(families=50, budget_level=1.5, council_meetings=8, council_size=3, hubs=5,
                 pooled_share=0.3, registry_consultation=0.9, outreach=2.0, seed=7)
    m = WorkshopModel(coordination="full_integration", warm_up=False, **moved)
    levers = Levers(families_percent=50, budget_level=1.5, council_meetings=8, council_size=3,
                    hubs=5, pooled_share=0.3, registry_consultation=0.9, outreach=2.0)
    assert m.main.params == build_scenario("base", "full_integration", levers, seed=7)


def test_a_session_beyond_the_bound_closes_an_idle_one_or_is_refused(monkeypatch):
    from solara.server import kernel_context as kc

    from sim.app import page as app

    closed = []

    class Context:
        def __init__(self, status):
            self.page_status = {"page": status}
            self.closed_event = type("Event", (), {"is_set": lambda self: False})()

        def close(self, reason):
            closed.append((self, reason))

    class Loop:
        def call_soon_threadsafe(self, fn, *args):
            fn(*args)

    busy, idle = Context(kc.PageStatus.CONNECTED), Context(kc.PageStatus.DISCONNECTED)
    monkeypatch.setattr(kc, "keep_alive_event_loop", Loop())
    monkeypatch.setattr(kc, "has_current_context", lambda: False)
    monkeypatch.setattr(app, "MAX_SESSIONS", 3)
    monkeypatch.setattr(kc, "contexts", {"a": busy, "b": idle})
    assert app.admit_session() and closed == []
    monkeypatch.setattr(kc, "contexts", {"a": busy, "b": idle, "c": Context(kc.PageStatus.CONNECTED)})
    assert app.admit_session() and closed == [(idle, "evicted")]
    monkeypatch.setattr(kc, "contexts", {k: Context(kc.PageStatus.CONNECTED) for k in "abc"})
    assert not app.admit_session()


def test_one_format_for_every_number_people_read():
    from sim.core.metrics import format_value as table_format

    assert table_format(0.12345, "share") == "0.123"
    assert table_format(241.0, "assessments") == "241"
    assert table_format(306.1353, "money per need") == "306.14"
    assert table_format(7_247_448.0, "money") == "7,247,448"
    assert table_format(float("nan"), "money") == "n/a"
    assert table_format(0.042, "share points", style="card") == "+4.2"
    assert format_value(0.042, "share points") == "+4.2"  # the cards use the same function


# ------------------------------------------------------------------- issue 19: the workshop page
def _slider_states(settings: dict) -> dict[str, tuple[bool, str]]:
    """(disabled, note) of each lever's slider in the sidebar for these settings."""
    import ipyvuetify as v
    import solara

    from sim.app import page as app

    _, rc = solara.render(app.Settings(solara.reactive(settings)), handle_error=False)
    labels = [w.children[0] for w in rc.find(v.Html, class_="lever-label").widgets]
    sliders = rc.find(v.Slider).widgets
    names = [name for name, spec in app.model_params().items() if spec["type"].startswith("Slider")]
    assert len(labels) == len(sliders) == len(names)
    notes = {name: app.lever_note(name, settings) for name in names}
    return {name: (slider.disabled, notes[name]) for name, slider in zip(names, sliders, strict=True)}


def _settings(**changes) -> dict:
    from sim.app.page import model_params

    return {**{name: spec["value"] for name, spec in model_params().items()}, **changes}


def test_levers_that_do_not_apply_are_switched_off_and_say_why():
    """Item 3: under silos (the base city as written) no mechanism lever acts: each is disabled
    with a line saying so; the levers every way of working has stay on."""
    silos = _slider_states(_settings())
    for name in ("council_meetings", "council_size", "hubs", "pooled_share", "registry_consultation"):
        disabled, note = silos[name]
        assert disabled and note.startswith("No effect"), name
    assert silos["hubs"] == (True, "No effect: as in the scenario file has no integrated platform.")
    for name in ("families", "budget_level", "outreach", "seed"):
        assert silos[name] == (False, ""), name
    council = _slider_states(_settings(coordination="council"))
    assert council["council_size"] == (False, "") and council["hubs"][0]
    full = _slider_states(_settings(coordination="full_integration"))
    assert not any(disabled for disabled, _ in full.values())


def test_in_comparison_a_lever_says_which_way_of_working_it_acts_on():
    both = _slider_states(_settings(coordination="silos", compare=True, compare_with="council"))
    assert both["council_meetings"] == (False, "Acts on council only (the other has no council).")
    assert both["hubs"] == (True, "No effect: silos or council has no integrated platform.")


def test_the_second_way_of_working_shows_only_in_comparison_mode():
    import ipyvuetify as v
    import solara

    from sim.app import page as app

    def selects(settings):
        _, rc = solara.render(app.Settings(solara.reactive(settings)), handle_error=False)
        return [w.label for w in rc.find(v.Select).widgets]

    assert "Second way of working" not in selects(_settings())
    assert "Second way of working" in selects(_settings(compare=True))


def test_a_lever_moved_under_a_way_of_working_without_it_changes_nothing():
    from sim.app.workshop import LEVER_MECHANISM, lever_scope, mechanisms_of

    assert mechanisms_of("base", AS_WRITTEN) == frozenset()
    assert "integrated_platform" in mechanisms_of("base", "full_integration")
    for lever, mechanism in LEVER_MECHANISM.items():
        assert lever_scope(lever, "base", ["silos"]) == []
        assert lever_scope(lever, "base", ["full_integration"]) == ["full_integration"], mechanism
    assert lever_scope("families", "base", ["silos", "council"]) == ["silos", "council"]


class _Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class _Counting:
    def __init__(self, weeks: int = 10_000):
        self.week, self.left, self.running = 0, weeks, True

    def step(self):
        self.week += 1
        self.left -= 1
        self.running = self.left > 0


@pytest.mark.parametrize("pace, draw_seconds, weeks_per_frame", [(6, 0.01, 1), (12, 0.01, 3),
                                                                  (12, 0.3, 4)])
def test_play_keeps_its_pace_by_skipping_frames_when_drawing_is_slow(pace, draw_seconds,
                                                                     weeks_per_frame):
    """Play for 10 seconds of the clock: at 6 weeks a second with quick frames every week is
    drawn; at 12 (more than the 6 frames a second the page draws) or with frames that take
    0.3 s, each frame steps the weeks that came due meanwhile, so the run keeps its pace (12
    weeks a second, not 3)."""
    from sim.app.workshop import FRAME_SECONDS, play

    clock, model, frames = _Clock(), _Counting(), []

    def redraw():
        frames.append(model.week)
        clock.now += draw_seconds

    stepped = play(model, lambda: clock.now < 10.0, lambda: pace, redraw, clock=clock,
                   sleep=clock.sleep)
    assert stepped == model.week
    assert pace - 1 <= stepped / 10.0 <= pace + 1
    gaps = [b - a for a, b in zip(frames, frames[1:], strict=False)]
    assert max(gaps) <= weeks_per_frame
    assert len(frames) <= 10.0 / max(FRAME_SECONDS, draw_seconds) + 1


def test_play_stops_at_the_end_of_the_run_and_when_paused():
    from sim.app.workshop import play

    clock, model = _Clock(), _Counting(weeks=5)
    assert play(model, lambda: True, lambda: 12, lambda: None, clock=clock, sleep=clock.sleep) == 5
    assert not model.running
    clock, model = _Clock(), _Counting()
    assert play(model, lambda: False, lambda: 12, lambda: None, clock=clock, sleep=clock.sleep) == 0


def test_cards_and_status_line_count_measured_time():
    """The header counts measured weeks and years (not the warm-up); each card says which
    weeks or years its number covers."""
    from sim.app.workshop import card_period

    m = WorkshopModel()
    t = m.main.params.time
    measured = m.week - t.warmup_weeks
    assert m.measured_week == measured
    assert m.status().startswith(f"measured week {measured} of {t.measured_weeks} (year 2 of 3)")
    assert "warm-up" in m.status()
    periods = {h.metric: card_period(m.main, h.metric) for h in HEADLINES}
    assert periods["full_package_share"] == "over measured year 1 (each judged half a year after its end)"
    assert periods["coverage"] == f"needs that arose in measured weeks 1-{measured - t.follow_up_weeks}"
    assert periods["duplication_rate"] == f"over measured weeks 1-{measured}"
    early = WorkshopModel(warm_up=False)
    assert early.status().startswith("warm-up week 1 of")
    assert card_period(early.main, "coverage").startswith("not yet")


def test_the_map_draws_its_static_parts_once():
    """The map's frame, legend, scale and symbols are drawn once; each step recolours the
    neighbourhoods only, and the picture is the one a full drawing gives."""
    import io

    from PIL import Image

    from sim.app.charts import CityMap, city_map, figure_png

    m = WorkshopModel(coordination="full_integration")
    chart = CityMap(m.runs)
    for _ in range(3):
        m.step()
        png = chart.png()
    assert chart.full_draws == 1
    quick = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)
    full = np.asarray(Image.open(io.BytesIO(figure_png(city_map(m.runs)))).convert("RGB"), dtype=float)
    assert quick.shape == full.shape
    assert np.abs(quick - full).mean() < 2.0  # the same picture, give or take edge pixels


def test_the_server_hides_the_solara_banner():
    from sim.app.server import server_env

    assert server_env({})["SOLARA_THEME_SHOW_BANNER"] == "false"
