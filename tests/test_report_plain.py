"""The report for people who do not read code (issue 'Analysts' and trainers' experience'):
a plain-language summary that agrees with the numbers, words instead of column names, the equity
gap's changes in points, counts without decimals, readable figures and a self-contained HTML file.
"""

from __future__ import annotations

import base64
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text

from sim.cli import main
from sim.core.metrics import COUNT_UNITS, METRIC_INFO, metric_columns, units
from sim.experiments import plots
from sim.experiments.plan import load_experiment
from sim.experiments.report_text import (
    SUMMARY_GROUPS,
    metric_label,
    plain_arm,
    summary_sentences,
)
from sim.experiments.runner import SerialExecutor
from sim.experiments.stats import arm_summary, paired_differences
from sim.experiments.store import ResultStore
from tests.test_sweep import EXPERIMENT, sweep

ARMS = ["silos", "council", "full_integration"]


def reported_sweep(tmp) -> Path:
    """A small sweep long enough to judge a year of children fully served (a measured year and
    a short follow-up), reported with `sim report --html`; its results folder."""
    path = tmp / "exp.yaml"
    path.write_text(EXPERIMENT.format(replications=2)
                    .replace("[silos, council, shared_registry]", f"[{', '.join(ARMS)}]")
                    .replace("years: 0.6", "years: 1.2")
                    .replace("city.families: 400", "city.families: 300\n  time.follow_up_weeks: 8"))
    out = tmp / "out"
    sweep(load_experiment(path), out, SerialExecutor())
    assert main(["report", str(out), "--html"]) == 0
    return out


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return reported_sweep(tmp_path_factory.mktemp("plain"))


@pytest.fixture(scope="module")
def text(folder) -> str:
    return (folder / "report.md").read_text()


def _runs(folder) -> pd.DataFrame:
    runs = ResultStore(folder).read()
    return runs.assign(arm=runs["arm"].map(plain_arm))


def _section(text: str, title: str) -> str:
    return text.split(f"## {title}\n")[1].split("\n## ")[0].strip()


def _sentences(paragraph: str) -> list[str]:
    return re.split(r"(?<=\.)\s+(?=[A-Z])", paragraph)


# ------------------------------------------------------------------ the summary
def test_the_report_opens_with_a_plain_summary_that_agrees_with_the_numbers(folder, text):
    assert text.split("\n## ")[1].startswith("Summary\n")  # the first section
    summary = _section(text, "Summary").replace("**", "")  # verdicts are in bold
    sentences = _sentences(summary)
    assert 3 <= len(sentences) <= 5, sentences
    labels = [metric_label(m) for group in SUMMARY_GROUPS for m in group]
    found = [summary.lower().find(label.lower() + ":") for label in labels]
    found[0] = summary.find(labels[0] + " (the headline for children):")
    assert all(i >= 0 for i in found), list(zip(labels, found, strict=True))
    assert found == sorted(found), "the headline first, then coverage, equity, duplication, cost"

    runs = _runs(folder)
    pairs = {"council": "silos", "full integration": "silos"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        diffs = paired_differences(runs, list(METRIC_INFO), pairs)
    clear = 0
    for metric in (m for group in SUMMARY_GROUPS for m in group):
        label = metric_label(metric)
        start = re.search(rf"{re.escape(label)}( \(the headline for children\))?:", summary,
                          re.IGNORECASE).start()
        clause = summary[start:].split("; ")[0] if metric != "total_cost" else summary[start:]
        for _, r in diffs[diffs["metric"] == metric].iterrows():
            arm, low, high, d = r["arm"], r["low"], r["high"], r["difference"]
            if not (np.isfinite(low) and np.isfinite(high)):
                continue
            size = (f"{100 * d:+.1f} points" if METRIC_INFO[metric].unit.startswith("share")
                    else f"{d:+,.0f} USD")
            if low <= 0 <= high:
                assert re.search(rf"no clear difference from silos with [^;]*\b{arm} "
                                 rf"\({re.escape(size)}", clause), (metric, arm, size, clause)
                continue
            clear += 1
            way = "higher" if low > 0 else "lower"
            good = METRIC_INFO[metric].better
            word = way if good is None else ("better" if way == good else "worse")
            assert re.search(rf"{word} than silos with [^;]*\b{arm} \({re.escape(size)}", clause), \
                (metric, arm, word, size, clause)
    assert clear > 0  # the coordination mechanisms' cost at least is clearly higher


def test_summary_words_follow_the_metrics_table():
    diffs = pd.DataFrame([
        # duplication lower is better: a fall is "better"; the equity gap in points
        {"arm": "council", "reference": "silos", "metric": "duplication_rate", "difference": -0.02,
         "low": -0.03, "high": -0.01, "relative": -0.5},
        {"arm": "council", "reference": "silos", "metric": "equity_gap", "difference": 0.031,
         "low": 0.011, "high": 0.052, "relative": -7.2},
        {"arm": "council", "reference": "silos", "metric": "coverage", "difference": 0.01,
         "low": -0.02, "high": 0.04, "relative": 0.02},
        {"arm": "council", "reference": "silos", "metric": "total_cost", "difference": 1234.4,
         "low": 1000.0, "high": 1500.0, "relative": 0.25},
        {"arm": "council", "reference": "silos", "metric": "full_package_share",
         "difference": np.nan, "low": np.nan, "high": np.nan, "relative": np.nan},
    ])
    text = " ".join(summary_sentences(diffs, units([], "GBP"), "silos", 4)).replace("**", "")
    assert "Duplication: better than silos with council (-2.0 points" in text
    assert "equity gap: worse than silos with council (+3.1 points, 95% interval +1.1 to +5.2)" \
        in text.lower()  # points, never "-720%"
    assert "%" not in text.split("Equity gap:")[1].split("95%")[0]
    assert "total cost: higher than silos with council (+1,234 GBP, +25%," in text
    assert "needs served in time: no clear difference" in text.lower()
    assert "not available in these runs" in text
    assert "each run 4 times" in text


# ------------------------------------------------------------------ words, not column names
def test_no_column_names_in_the_report(folder, text):
    runs = ResultStore(folder).read()
    names = [c for c in metric_columns(runs.columns) if "_" in c or "." in c]
    assert len(names) > 20
    for name in names:
        assert not re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", text), name
    assert "coordination=" not in text and "(money" not in text
    for arm in ("silos", "council", "full integration"):
        assert f"\n| {arm} |" in text


def test_equity_gap_changes_are_points_and_counts_whole(folder, text):
    rows = [line for line in _section(text, "Paired differences against the reference arm")
            .splitlines() if line.startswith(f"| council | silos | {metric_label('equity_gap')}")]
    assert len(rows) == 1
    cells = [c.strip() for c in rows[0].split("|")[1:-1]]
    assert cells[2].endswith("(points)") and cells[5] == "n/a"
    assert "%" not in cells[4] and re.fullmatch(r"[+-]?\d+\.\d \[[+-]?\d+\.\d, [+-]?\d+\.\d\]",
                                                 cells[4]), cells[4]
    runs = _runs(folder)
    d = (runs[runs["arm"] == "council"].set_index("replication")["equity_gap"]
         - runs[runs["arm"] == "silos"].set_index("replication")["equity_gap"]).mean()
    assert float(cells[4].split(" ")[0]) == pytest.approx(100 * d, abs=0.051)

    unit = units([])
    counts = [metric_label(m) for m in METRIC_INFO if unit[m] in COUNT_UNITS]
    every = _section(text, "Every metric, arm by arm")
    checked = 0
    for line in every.splitlines():
        cells = [c.strip() for c in line.split("|")[1:-1]]
        if cells and cells[0] in counts:
            assert "." not in cells[1] + cells[2], line  # mean and interval whole
            checked += 1
    assert checked >= 3 * len(ARMS)


# ------------------------------------------------------------------ figures
LONG = ["council + pooled budget, families 2000, seek probability 0.35",
        "council + focal point, families 2000, seek probability 0.35", "silos"]


def _long_named(folder) -> pd.DataFrame:
    runs = _runs(folder)
    return runs.assign(arm=runs["arm"].map(dict(zip(
        ["council", "full integration", "silos"], LONG, strict=True))))


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text()]


def _boxes_apart(boxes) -> bool:
    return not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


def test_figures_read_without_offsets_overlaps_or_column_names(folder):
    runs = _long_named(folder)
    pairs = {LONG[0]: "silos", LONG[1]: "silos"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        diffs = paired_differences(runs, ["full_package_share", "coverage", "equity_gap",
                                          "total_cost", "coordination_cost"], pairs)
    figures = {"comparison": plots.plot_comparison(runs, plots.HEADLINE, currency="USD"),
               "cost": plots.plot_cost_coverage(runs, currency="USD"),
               "equity": plots.plot_equity(runs),
               "differences": plots.plot_differences(diffs, currency="USD"),
               "buys": plots.plot_what_each_buys(diffs, currency="USD"),
               "timeseries": plots.plot_timeseries(runs, ["coverage", "total_cost"],
                                                   currency="USD")}
    for name, fig in figures.items():
        renderer = FigureCanvasAgg(fig).get_renderer()
        fig.draw(renderer)
        texts = _texts(fig)
        assert not [t for t in texts if "_" in t or "=" in t or "money" in t], (name, texts)
        axes = [ax for ax in fig.axes if ax.get_visible()]
        for ax in axes:
            for axis in (ax.xaxis, ax.yaxis):
                assert axis.get_offset_text().get_text() == "", (name, "offset on an axis")
                ticks = [t for t in axis.get_ticklabels() if t.get_visible() and t.get_text()]
                assert _boxes_apart([t.get_window_extent(renderer) for t in ticks]), \
                    (name, [t.get_text() for t in ticks])
        for legend in [*fig.legends, *(ax.get_legend() for ax in axes if ax.get_legend())]:
            box = legend.get_window_extent(renderer)
            assert not any(box.overlaps(ax.get_window_extent(renderer)) for ax in axes), \
                (name, "the legend covers a panel")
        y_labels = [t for ax in axes for t in ax.get_yticklabels() if t.get_text()]
        if name in ("comparison", "differences", "equity"):  # arms' names on the side, wrapped
            assert all(len(line) <= 24 for t in y_labels for line in t.get_text().splitlines())
            for ax in axes:
                assert _boxes_apart([t.get_window_extent(renderer) for t in ax.get_yticklabels()
                                     if t.get_text()]), name
    buys = figures["buys"].axes[0]
    assert "Children fully served" in buys.get_xlabel() or \
        metric_label("full_package_share") in buys.get_xlabel()
    assert "USD" in buys.get_ylabel()
    assert len(buys.containers) == 2  # one point (with its two intervals) per compared arm
    cost_ticks = [t.get_text() for t in figures["comparison"].axes[5].get_xticklabels()]
    assert any("," in t for t in cost_ticks), cost_ticks  # thousands written out, no 1e5


def test_the_report_draws_what_each_way_of_working_buys(folder, text):
    assert (folder / "figures" / "what_each_buys.png").stat().st_size > 5000
    assert "## What each way of working buys, at what cost" in text
    summary = arm_summary(_runs(folder), ["total_cost"])
    assert summary["mean"].nunique() == len(ARMS)


# ------------------------------------------------------------------ the HTML file
def test_the_html_report_is_one_self_contained_file(folder, text):
    page = (folder / "report.html").read_text()
    assert not re.search(r"<(link|script)\b", page)
    sources = re.findall(r'<img\b[^>]*\bsrc="([^"]+)"', page)
    assert len(sources) == text.count("![") >= 5
    for source in sources:
        assert source.startswith("data:image/png;base64,")
        assert base64.b64decode(source.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", page)
    assert "<table>" in page and "<h2>Summary</h2>" in page
    assert metric_label("equity_gap") in page


def test_an_html_report_of_a_folder_that_is_not_a_sweep_is_one_line(tmp_path, capsys):
    assert main(["report", str(tmp_path), "--html"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not a sweep results folder" in err
    assert not (tmp_path / "report.html").exists()
