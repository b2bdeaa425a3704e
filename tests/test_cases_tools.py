"""The case library's tools: `sim cases`, the comparison of every case with silos in its own
city (experiments/compare_cases.yaml and its ranking), and the cases on the workshop page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sim.cli.main import main
from sim.experiments.plan import load_experiment
from sim.scenario.cases import case_files, read_cases

CASE = """extends: base.yaml
name: {name}
case:
  country: {country}
  arrangement: {arrangement}
  source: C1
  summary: {summary}
{extra}coordination:
  model: {model}
"""

CASES = {
    "alpha_council": dict(country="Finland", arrangement="Cross-sectoral coordination group",
                          summary="A group of departments and NGOs meets four times a year.",
                          model="council", extra=""),
    # a case that changes its city (a smaller budget): its silos must be the same smaller city
    "beta_registry": dict(country="Brazil", arrangement="Single registry",
                          summary="Every service looks families up in one registry.",
                          model="shared_registry", extra="funding:\n  budget_scale: 0.8\n"),
}

COMPARISON = """name: tiny_cases
description: two cases against silos in their own cities
scenario: cases/*.yaml
years: 0.6                  # 31 measured weeks: the follow-up (26) and 5 weeks of cohort
replications: 2
seed: 7
set:
  city.families: 400
  time.warmup_weeks: 6
factors:
  coordination: [as_written, silos]
reference: silos
"""


def write_cases(folder):
    folder.mkdir(parents=True, exist_ok=True)
    for stem, fields in CASES.items():
        (folder / f"{stem}.yaml").write_text(CASE.format(name=stem, **fields))
    return folder


def test_sim_cases_lists_every_case_with_its_fields(tmp_path, capsys):
    folder = write_cases(tmp_path / "cases")
    assert main(["cases", "--folder", str(folder), "--long"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["file", "country", "arrangement", "mechanisms"]
    alpha = next(line for line in out if line.startswith("alpha_council"))
    assert "Finland" in alpha and "Cross-sectoral coordination group" in alpha and "council" in alpha
    beta = next(line for line in out if line.startswith("beta_registry"))
    assert beta.endswith("shared registry")
    assert any(CASES["alpha_council"]["summary"] in line for line in out)  # --long


def test_sim_cases_json_parses(tmp_path, capsys):
    folder = write_cases(tmp_path / "cases")
    assert main(["cases", "--folder", str(folder), "--json"]) == 0
    cases = json.loads(capsys.readouterr().out)
    assert [c["file"] for c in cases] == sorted(CASES)
    assert cases[0]["country"] == "Finland" and cases[0]["mechanisms"] == ["council"]
    assert cases[1]["coordination"] == "shared_registry" and cases[1]["source"] == "C1"


@pytest.mark.parametrize(("text", "key"), [
    ("extends: base.yaml\nname: x\n", "case: missing"),
    ("extends: base.yaml\nname: x\ncase:\n  country: X\n  arrangement: Y\n  source: C1\n",
     "case.summary"),
    ("extends: base.yaml\nname: x\ncase:\n  country: X\n  arrangement: Y\n  source: C1\n"
     "  summary: S\n  colour: red\n", "case.colour"),
])
def test_a_bad_case_file_is_one_line_naming_file_and_key(tmp_path, capsys, text, key):
    folder = write_cases(tmp_path / "cases")
    (folder / "bad.yaml").write_text(text)
    assert main(["cases", "--folder", str(folder)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "bad.yaml" in err and key in err, err


def test_a_missing_case_folder_is_an_error(tmp_path, capsys):
    assert main(["cases", "--folder", str(tmp_path / "nowhere")]) == 2
    assert "--folder: no folder" in capsys.readouterr().err


def test_the_project_cases_all_have_a_case_block():
    cases = read_cases()
    assert [c.path for c in cases] == case_files() and cases


def test_every_case_is_compared_with_silos_in_its_own_city(tmp_path):
    write_cases(tmp_path / "cases")
    (tmp_path / "exp.yaml").write_text(COMPARISON)
    plan = load_experiment(tmp_path / "exp.yaml")
    assert plan.spec.scenarios == ["cases/alpha_council.yaml", "cases/beta_registry.yaml"]
    arms = {(a.scenario, a.values["coordination"]): a for a in plan.arms}
    assert len(arms) == 4
    beta = arms[("cases/beta_registry.yaml", "as_written")].config
    beta_silos = arms[("cases/beta_registry.yaml", "silos")].config
    assert beta["coordination"]["shared_registry"]["enabled"]
    assert beta_silos["coordination"]["model"] == "silos"
    assert beta_silos["funding"]["budget_scale"] == 0.8  # its own city, not the base city
    assert {r.seed for r in plan.runs if r.replication == 0} == {plan.seeds[0]}


@pytest.mark.parametrize(("scenario", "message"), [
    ("nothing/*.yaml", "no scenario file matches 'nothing/*.yaml'"),
    ("*/alpha.yaml", "a pattern may match file names, not folders"),
])
def test_a_scenario_pattern_matching_nothing_is_refused(tmp_path, capsys, scenario, message):
    write_cases(tmp_path / "cases")
    path = tmp_path / "exp.yaml"
    path.write_text(COMPARISON.replace("cases/*.yaml", json.dumps(scenario)))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"{path}: scenario:" in err and message in err, err


def test_the_comparison_ranks_the_cases_with_intervals(tmp_path):
    from sim.experiments.report import write_report
    from sim.experiments.runner import SerialExecutor, run_plan
    from sim.experiments.store import ResultStore

    write_cases(tmp_path / "cases")
    (tmp_path / "exp.yaml").write_text(COMPARISON)
    plan = load_experiment(tmp_path / "exp.yaml")
    folder = tmp_path / "out"
    run_plan(plan, ResultStore(folder), SerialExecutor())
    text = write_report(folder).read_text()
    assert "## Ranking of the cases" in text
    section = text.split("## Ranking of the cases")[1].split("\n## ")[0]
    rows = [line for line in section.splitlines() if line.startswith("| alpha") or
            line.startswith("| beta")]
    assert len(rows) == 2
    header = next(line for line in section.splitlines() if line.startswith("| case |"))
    for words in ("Needs served in time", "marginalised", "Duplication", "Total cost",
                  "compared with"):
        assert words in header, header
    beta = next(row for row in rows if row.startswith("| beta"))
    assert "Brazil: Single registry" in beta and "beta_registry: silos" in beta
    cells = beta.strip("|").split("|")[3:]
    assert len(cells) == 4 and all("[" in c and "#" in c for c in cells), cells


def test_the_project_comparison_covers_every_case():
    plan = load_experiment("experiments/compare_cases.yaml")
    stems = sorted({a.scenario.rsplit("/", 1)[-1].removesuffix(".yaml") for a in plan.arms})
    assert stems == [p.stem for p in case_files()]
    assert {a.values["coordination"] for a in plan.arms} == {"as_written", "silos"}


def test_the_ranking_puts_the_best_for_families_or_the_budget_first():
    import pandas as pd

    from sim.experiments.case_ranking import ranking_table

    rows = []
    for arm, values in {"a: as written": (0.05, 0.02, 0.01, 900.0),
                        "b: as written": (0.01, 0.04, -0.02, 100.0)}.items():
        for metric, value in zip(("coverage", "coverage_marginalised", "duplication_rate",
                                  "total_cost"), values, strict=True):
            rows.append({"arm": arm, "reference": arm.replace("as written", "silos"),
                         "metric": metric, "difference": value, "low": value - 0.001,
                         "high": value + 0.001})
    cases = {"a: as written": {"country": "A", "arrangement": "x"},
             "b: as written": {"country": "B", "arrangement": "y"}}
    unit = {"coverage": "share", "coverage_marginalised": "share", "duplication_rate": "share",
            "total_cost": "USD"}
    table = ranking_table(pd.DataFrame(rows), cases, unit)
    a, b = table[2], table[3]  # sorted by coverage: a first
    assert a.startswith("| a: as written | A: x | a: silos |")
    cells = {name: [c.strip() for c in row.strip("|").split("|")[3:]] for name, row in (("a", a), ("b", b))}
    assert cells["a"][0].startswith("+5.0 [+4.9, +5.1] #1")
    assert "#2" in cells["a"][1] and "#1" in cells["b"][1]  # marginalised: b gains more
    assert "#1" in cells["b"][2]  # duplication: lower first
    assert "#1" in cells["b"][3] and "#2" in cells["a"][3]  # cost: the cheaper first


# ------------------------------------------------------------------------ the workshop page
@pytest.fixture
def page_cases(tmp_path, monkeypatch):
    """The workshop page's scenarios folder: the base city and two cases of its own."""
    import shutil

    from sim.app import workshop
    from tests.conftest import BASE

    folder = tmp_path / "scenarios"
    write_cases(folder / "cases")
    shutil.copy(BASE, folder / "base.yaml")
    monkeypatch.setattr(workshop, "scenario_dir", lambda: folder)
    workshop.case_info.cache_clear()
    workshop.mechanisms_of.cache_clear()
    yield folder
    workshop.case_info.cache_clear()
    workshop.mechanisms_of.cache_clear()


def _settings(**changes) -> dict:
    from sim.app.page import model_params

    return {**{name: spec["value"] for name, spec in model_params().items()}, **changes}


def test_the_page_offers_the_cases_as_a_choice_of_their_own(page_cases):
    from sim.app.page import model_params
    from sim.app.workshop import NO_CASE, WorkshopModel

    params = model_params()
    assert params["case"]["values"] == [NO_CASE, "alpha_council", "beta_registry"]
    assert params["case"]["value"] == NO_CASE
    assert params["city"]["values"] == ["base"]  # the cases are not cities of their own
    plain = WorkshopModel(families=10, warm_up=False)
    assert plain.case is None and plain.main.params.name == "base"


def test_a_case_sets_the_city_and_the_way_of_working(page_cases):
    from sim.app.workshop import WorkshopModel

    m = WorkshopModel(case="beta_registry", coordination="council", families=10, warm_up=False,
                      compare=True, compare_with="silos")
    assert m.warnings == []
    main, second = (run.model.params for run in m.runs)
    assert main.name == "beta_registry" and main.funding.budget_scale == 0.8
    assert [b.kind for b in main.coordination.mechanisms()] == ["shared_registry"]  # not council
    assert second.coordination.model == "silos" and second.funding.budget_scale == 0.8
    assert m.case.country == "Brazil"


def test_selecting_a_case_shows_its_summary_and_hides_the_city(page_cases):
    import ipyvuetify as v
    import solara

    from sim.app import page as app

    def sidebar(settings):
        _, rc = solara.render(app.Settings(solara.reactive(settings)), handle_error=False)
        labels = [w.label for w in rc.find(v.Select).widgets]
        summary = rc.find(v.Html, class_="case-summary").widgets
        return labels, [w.children[0] for w in summary]

    labels, summary = sidebar(_settings())
    assert "City (scenario file)" in labels and summary == []
    labels, summary = sidebar(_settings(case="alpha_council"))
    assert "City (scenario file)" not in labels
    assert "Way of working (coordination model)" not in labels
    assert summary == ["Finland: Cross-sectoral coordination group. "
                       + CASES["alpha_council"]["summary"]]
    # the levers follow the case's way of working (a council), not the one chosen before
    assert app.lever_note("council_meetings", _settings(case="alpha_council")) == ""
    assert app.lever_note("hubs", _settings(case="alpha_council")).startswith("No effect")


def test_the_dashboard_names_the_case(page_cases):
    import ipyvuetify as v
    import solara

    from sim.app import page as app
    from sim.app.workshop import WorkshopModel

    m = WorkshopModel(case="alpha_council", families=10, warm_up=False)
    _, rc = solara.render(app.Status(m, 0), handle_error=False)
    line = rc.find(v.Html, class_="case-line").widget.children[0]
    assert line == "Case: Finland: Cross-sectoral coordination group. " + CASES["alpha_council"]["summary"]


@pytest.mark.parametrize("case", [p.stem for p in case_files()])
def test_every_project_case_runs_on_the_page(case):
    """Each case of the library builds on the page, beside silos on its city, and steps."""
    from sim.app.workshop import WorkshopModel, case_summary

    m = WorkshopModel(case=case, families=10, compare=True, compare_with="silos", warm_up=False)
    assert m.warnings == [] and case_summary(case)
    assert m.city_name == f"cases/{case}"
    m.step()
    assert [run.model.week for run in m.runs] == [1, 1]


@pytest.mark.slow
def test_the_project_comparison_runs_at_a_small_size(tmp_path, monkeypatch, capsys):
    """experiments/compare_cases.yaml itself, every case against its silos, shrunk by the
    test-only scale (200 families, the fewest replications) and written with its ranking."""
    monkeypatch.setenv("SIM_TEST_SCALE", "0.02")
    out = tmp_path / "cases"
    experiment = Path(__file__).resolve().parent.parent / "experiments" / "compare_cases.yaml"
    assert main(["sweep", str(experiment), "--out", str(out), "--workers", "2", "--quiet",
                 "--report"]) == 0
    text = (out / "report.md").read_text()
    section = text.split("## Ranking of the cases")[1].split("\n## ")[0]
    ranked = [line for line in section.splitlines() if ": as written |" in line]
    assert len(ranked) == len(case_files())
