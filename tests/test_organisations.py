"""The organisation agents' reporters (Mesa DataCollector), organisations.csv, the page's table,
and Mesa's own random generators left unused."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.core.agents import REPORTERS
from sim.core.model import CoordinationModel
from sim.scenario.loading import load_scenario
from tests.conftest import BASE, small_base

SMALL = ["--set", "city.families=800", "--steps", "40", "--set", "time.warmup_weeks=8", "--quiet"]


def full(**overrides):
    return load_scenario(BASE, [f"{k}={v}" for k, v in {
        "city.families": 1200, "time.years": 1.0, "time.warmup_weeks": 10, **overrides}.items()],
        coordination="full_integration")


def test_reporters_equal_the_case_book_every_week():
    model = CoordinationModel(full())
    orgs = model.orgs
    spend, dups = np.zeros(orgs.size), np.zeros(orgs.size, dtype=np.int64)
    for _ in range(model.params.time.steps):
        model.step()
        book = model.book
        for agent in model.organisations:
            i = agent.index
            assert agent.caseload == np.count_nonzero(book.cases.org == i)
            assert agent.waiting == np.count_nonzero(book.waiting.org == i)
            assert agent.budget_left == orgs.budget[i] or not orgs.funded[i]
            assert math.isnan(agent.budget_left) == (not orgs.funded[i])
        assert (model.ledger.org_spend >= spend).all() and (model.ledger.org_duplicates >= dups).all()
        if not model.ledger.counts(model.week - 1):
            assert not model.ledger.org_spend.any() and not model.ledger.org_duplicates.any()
        spend, dups = model.ledger.org_spend.copy(), model.ledger.org_duplicates.copy()
    led = model.ledger
    assert spend.sum() == pytest.approx(led.service_spend + led.assessment_spend, rel=1e-9)
    assert dups.sum() == led.assessments_duplicate + led.service_weeks_duplicate
    assert dups.sum() > 0 and spend.sum() > 0


def test_the_table_has_one_row_per_organisation_per_week():
    model = CoordinationModel(full())
    model.run()
    table = model.organisation_table()
    steps, n = model.params.time.steps, model.orgs.size
    assert list(table.columns) == ["week", "organisation", "kind", *REPORTERS[1:]]
    assert len(table) == steps * n
    assert (table.groupby("week")["organisation"].apply(list) == [model.orgs.names] * steps).all()
    assert set(table["kind"]) == {"department", "ngo", "private"}
    last = table[table["week"] == steps - 1]
    assert last["caseload"].sum() == len(model.book.cases)
    assert last["waiting"].sum() == len(model.book.waiting)
    m = model.metrics
    assert last["spending"].sum() == pytest.approx(m["service_cost"] + m["assessment_cost"], abs=1e-6)


def test_sim_run_writes_organisations_csv(tmp_path):
    out = tmp_path / "r"
    assert main(["run", str(BASE), *SMALL, "--out", str(out)]) == 0
    table = pd.read_csv(out / "organisations.csv")
    summary = pd.read_json(out / "summary.json", typ="series")
    n = len(load_scenario(BASE).organisations)
    assert len(table) == (8 + 40) * n and table["week"].tolist() == sorted(table["week"])
    assert list(table.columns) == ["week", "organisation", "kind", *REPORTERS[1:]]
    last = table[table["week"] == 8 + 39]
    assert last["spending"].sum() == pytest.approx(
        summary["service_cost"] + summary["assessment_cost"], abs=1e-6)
    assert last.loc[last["kind"] == "private", "budget_left"].isna().all()
    # the folder is still recognised as a run folder: --overwrite replaces it
    assert main(["run", str(BASE), *SMALL, "--out", str(out), "--overwrite"]) == 0


def test_no_timeseries_no_tables(tmp_path):
    out = tmp_path / "r"
    assert main(["run", str(BASE), *SMALL, "--set", "outputs.timeseries=false", "--out", str(out)]) == 0
    assert not (out / "organisations.csv").exists() and not (out / "timeseries.csv").exists()


def test_sweep_workers_collect_no_table_and_the_summary_is_the_same():
    on = CoordinationModel(small_base(600, 0.6))
    off = CoordinationModel(small_base(600, 0.6), organisation_reporters=False)
    on.run()
    off.run()
    assert on.summary() == pytest.approx(off.summary(), nan_ok=True, rel=0, abs=0)
    assert off.organisation_table().empty and not off.datacollector._agent_records


def test_api_run_returns_the_table():
    import sim

    out = sim.run("base", city__families=500, years=0.5, time__warmup_weeks=4)
    assert len(out.organisations) == (4 + 26) * len(load_scenario(BASE).organisations)


class Refuses:
    """Mesa's generators replaced: any draw from them fails the test."""

    def __getattr__(self, name):
        raise AssertionError(f"Mesa's random generator used: {name}")


def test_every_draw_goes_through_the_named_streams():
    plain = CoordinationModel(full())
    guarded = CoordinationModel(full())
    guarded.rng = guarded.random = Refuses()
    plain.run()
    guarded.run()
    assert guarded.summary() == pytest.approx(plain.summary(), nan_ok=True, rel=0, abs=0)


def test_the_page_shows_each_organisation():
    import solara

    from sim.app import page as app
    from sim.app.workshop import WorkshopModel

    m = WorkshopModel(compare=True)
    m.step()
    model = m.main
    rows = app.organisation_rows(model)
    assert len(rows) == model.orgs.size and all(len(r) == len(app.ORG_COLUMNS) for r in rows)
    table = model.organisation_table()
    last = table[table["week"] == model.week - 1]  # the DataCollector's latest row
    for (_, org), row in zip(last.iterrows(), rows, strict=True):
        assert row[0] == org["organisation"].replace("_", " ")
        assert row[1:3] == (f"{org['caseload']:,}", f"{org['waiting']:,}")
        budget = org["budget_left"]
        assert row[3] == ("fees" if math.isnan(budget) else f"{budget:,.0f}")
        assert row[4:] == (f"{org['spending']:,.0f}", f"{org['duplicates']:,}")
    _, rc = solara.render(app.Organisations(m, 0), handle_error=False)
    tables = [w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML).widgets
              if w.attributes.get("class") == "organisations"]
    assert len(tables) == 2
    assert tables[0].count("<tr>") == 1 + model.orgs.size and rows[0][0] in tables[0]
    assert "&lt;b&gt;" in app.organisation_table_html([("<b>", "1", "2", "3", "4", "5")])
