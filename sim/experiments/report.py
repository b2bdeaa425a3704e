"""`sim report DIR`: report.md with tables (means, 95% intervals, paired differences) and figures.

Reads only what the sweep wrote (plan.json and the Parquet parts); never runs the model.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from sim.core.metrics import METRIC_INFO, SECTOR_COVERAGE_PREFIX, group_of, sector_of, units_for
from sim.core.metrics import metric_columns as all_metric_columns
from sim.errors import ConfigError
from sim.experiments import plots
from sim.experiments.case_ranking import ranking_section
from sim.experiments.plan import Plan
from sim.experiments.report_portfolio import portfolio_markdown
from sim.experiments.report_text import (
    arm_names,
    better,
    change,
    change_unit,
    metric_label,
    number,
    relative,
    summary_sentences,
    unit_words,
    verdict,
)
from sim.experiments.runner import recorded_plan
from sim.experiments.stats import (
    arm_summary,
    by_draw,
    difference_shares,
    paired_differences,
    parameter_shares,
)
from sim.experiments.store import ResultStore, _atomic_write

DIFFERENCE_METRICS = ["full_package_share", "full_package_share_marginalised", "coverage",
                      "coverage_marginalised", "equity_gap", "duplication_rate",
                      "duplicated_spend", "total_cost", "coordination_cost", "cost_per_need_met",
                      "mean_wait_weeks", "referral_completion", "unmet_need_weeks", "escalations"]


def load_results(folder: Path) -> tuple[Plan, pd.DataFrame]:
    """The plan and the runs table of a sweep folder (ConfigError if it is not one)."""
    store = ResultStore(folder)
    plan = recorded_plan(store)
    if plan is None:
        raise ConfigError(f"{folder}: not a sweep results folder (no plan.json)")
    store.planned = {r.run_id for r in plan.runs}
    return plan, store.read()


def metric_columns(runs: pd.DataFrame) -> list[str]:
    """Summary metric columns present in the runs table, in the canonical order."""
    return all_metric_columns(runs.columns)


def reference_pairs(plan: Plan, reference: str) -> dict[str, str]:
    """Each arm's reference: same factor values but ``coordination`` = reference (else arm 1)."""
    labels = {a.arm_id: a.label for a in plan.arms}
    by_values = {_freeze(a.scenario, a.values): a.arm_id for a in plan.arms}
    pairs = {}
    for arm in plan.arms:
        if "coordination" in arm.values:
            key = _freeze(arm.scenario, {**arm.values, "coordination": reference})
            ref = by_values.get(key)
        else:
            ref = plan.arms[0].arm_id
        if ref is not None:
            pairs[labels[arm.arm_id]] = labels[ref]
    return pairs


def _freeze(scenario: str, values: dict) -> tuple:
    return (scenario, tuple(sorted((k, str(v)) for k, v in values.items())))


# what a report draws; one not drawn this time is removed
REPORT_FIGURES = ("metric_by_arm.png", "cost_vs_coverage.png", "what_each_buys.png", "equity.png",
                  "differences.png", "timeseries.png")


def choose_reference(plan: Plan, asked: str | None = None) -> tuple[str, str]:
    """The reference coordination model of the paired differences, and a sentence when it is
    not the one asked for. A reference chosen (``--reference``, or an experiment's
    ``reference:`` other than the default ``silos``) that no arm runs is an error listing the
    arms'; the default falls back to the first arm's, and the report says so."""
    models = list(dict.fromkeys(str(a.values["coordination"]) for a in plan.arms
                                if "coordination" in a.values))
    wanted = asked or plan.spec.reference
    if not models or wanted in models:
        return wanted, ""
    if asked is not None or wanted != "silos":  # a reference someone chose, not the default
        raise ConfigError(f"reference: {wanted!r} is not a coordination model of this sweep's "
                          f"arms (arms: {', '.join(models)})")
    return models[0], (f"no {wanted} arm in this sweep: the differences are against "
                       f"{models[0]}, the first arm")


def write_report(folder: Path, reference: str | None = None, html: bool = False) -> Path:
    """Write ``folder/report.md`` and ``folder/figures/*.png`` (with ``html``, also
    ``folder/report.html``: the same report in one self-contained file); return the report's
    path."""
    folder = Path(folder)
    plan, runs = load_results(folder)
    if plan.spec.portfolio is not None:
        return _write(folder, portfolio_markdown(plan, runs, folder, reference or plan.spec.reference),
                      html)
    reference, reference_note = choose_reference(plan, reference)
    names = arm_names([a.label for a in plan.arms])  # arms as people read them
    runs = runs.assign(arm=runs["arm"].map(lambda label: names.get(label, label)))
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    if ok.empty:
        raise ConfigError(f"{folder}: no successful runs to report on")
    metrics = metric_columns(ok)
    posterior = plan.spec.posterior is not None and "draw" in ok
    # with a posterior, intervals and differences are over parameter draws (each its runs' mean)
    units_of = by_draw(ok, metrics) if posterior else ok
    summary = arm_summary(units_of, metrics)
    if posterior:
        summary = summary.merge(parameter_shares(ok, metrics), on=["arm", "metric"], how="left")
    present = set(ok["arm"])  # a half-finished sweep compares only the arms it has
    pairs = {names[arm]: names[ref] for arm, ref in reference_pairs(plan, reference).items()
             if names[arm] in present and names[ref] in present}
    compared = [m for m in DIFFERENCE_METRICS if m in metrics]
    with warnings.catch_warnings():  # a metric no run measured (too short) is n/a, not a warning
        warnings.simplefilter("ignore", RuntimeWarning)
        diffs = paired_differences(units_of, compared, pairs)
    if posterior and not diffs.empty:
        diffs = diffs.merge(difference_shares(ok, compared, pairs), on=["arm", "metric"], how="left")
    figures = folder / "figures"
    figures.mkdir(exist_ok=True)
    money = _currency(plan)
    made = [  # the same helpers as the Python API's (sim.experiments.plots.plot_*)
        plots.save(plots.plot_comparison(ok, plots.HEADLINE, currency=money),
                   figures / "metric_by_arm.png"),
        plots.save(plots.plot_cost_coverage(ok, currency=money), figures / "cost_vs_coverage.png"),
        plots.save(plots.plot_equity(ok), figures / "equity.png"),
    ]
    if not diffs.empty:
        made.append(plots.save(plots.plot_differences(diffs, currency=money),
                               figures / "differences.png"))
        if plots.buys_metric(diffs) is not None:
            made.insert(2, plots.save(plots.plot_what_each_buys(diffs, currency=money),
                                      figures / "what_each_buys.png"))
    if any(f"ts.{m}" in ok for m in plan.spec.timeseries):
        warmup = plan.arms[0].config["time"]["warmup_weeks"]
        made.append(plots.save(plots.plot_timeseries(ok, list(plan.spec.timeseries), warmup=warmup,
                                                   currency=money),
                               figures / "timeseries.png"))
    for stale in set(REPORT_FIGURES) - {path.name for path in made}:
        (figures / stale).unlink(missing_ok=True)  # from an earlier report of this folder
    text = _markdown(plan, runs, ok, summary, diffs, metrics, made, folder, reference,
                     f"paired differences against `{reference}`"
                     + (f" ({reference_note})" if reference_note else ""), names)
    return _write(folder, text, html)


def _write(folder: Path, text: str, html: bool) -> Path:
    """Write report.md (and with ``html`` report.html) into ``folder``; return report.md's path."""
    path = folder / "report.md"
    _atomic_write(path, text.encode())
    if html:
        from sim.experiments.report_html import write_html

        write_html(path)
    return path


def _markdown(plan, runs, ok, summary, diffs, metrics, figures, folder, model, reference,
              names) -> str:
    spec = plan.spec
    unit = units_for(metrics, _currency(plan))
    errors = runs[runs["status"] == "error"] if "status" in runs else runs.iloc[:0]
    drawn = {f.name for f in figures}
    lines = [f"# Report: {spec.name}", ""]
    if not diffs.empty:
        lines += ["## Summary", "",
                  " ".join(summary_sentences(diffs, unit, model, spec.replications)), ""]
    lines += [
        *([spec.description, ""] if spec.description else []),
        f"- experiment file: `{plan.source}`; scenario(s): {', '.join(spec.scenarios)}",
        f"- {len(plan.arms)} arms x {spec.replications} replications = {len(plan.runs)} runs; "
        f"{len(ok)} succeeded, {len(errors)} failed, {len(plan.runs) - len(runs)} not run yet",
        *_incomplete(plan, ok),
        f"- replication k uses the same seed in every arm (common random numbers); base seed "
        f"{spec.seed}",
        f"- {reference}",
        *(_posterior_lines(plan) if "parameter_share" in summary else
          ["- intervals are 95% t-intervals over replications; differences are paired by replication"]),
        "",
        *ranking_section(plan, diffs, names, unit, model),
        "## Headline metrics by arm",
        "",
        "Mean over the replications [95% interval]; shares in %. Which way is better is in "
        "\"What the metrics mean\" below.",
        "",
    ]
    lines += _arm_table(summary, [m for m in plots.HEADLINE if m in metrics], unit)
    by_sector = sorted((m for m in metrics if sector_of(m) is not None),
                       key=lambda m: (not m.startswith(SECTOR_COVERAGE_PREFIX), m))
    if by_sector:
        lines += ["", "## By sector", "",
                  "Needs served in time and children reached a year, sector by sector.", ""]
        lines += _arm_table(summary, by_sector, unit)
    by_group = [m for m in metrics if group_of(m) is not None]
    if by_group:
        lines += ["", "## By group of families", "",
                  "Needs served in time and children fully served for each kind of disadvantage "
                  "the scenario names (`groups:`), and for families who are also marginalised.", ""]
        lines += _arm_table(summary, by_group, unit)
    lines += ["", "![Each headline metric by arm](figures/metric_by_arm.png)", ""]
    if "what_each_buys.png" in drawn:
        lines += ["## What each way of working buys, at what cost", "",
                  "Each point is a way of working: across, what it changes for families against "
                  "the reference; up, what it changes in the total cost (both paired by "
                  "replication, with 95% intervals). The reference sits at the crossing of the "
                  "two grey lines.", "",
                  "![What each way of working buys, at what cost](figures/what_each_buys.png)", ""]
    lines += ["![Total cost against needs served in time](figures/cost_vs_coverage.png)", "",
              "![Needs served in time, marginalised and other families](figures/equity.png)", ""]
    if "timeseries.png" in drawn:
        lines += ["![Week by week, by arm](figures/timeseries.png)", ""]
    if not diffs.empty:
        shares = "parameter_share" in diffs
        lines += ["## Paired differences against the reference arm", "",
                  "Arm minus its reference, replication by replication, with the 95% interval; "
                  "changes of shares are in points (percentage points); relative = difference / "
                  "reference mean (n/a for the equity gap, itself a difference: its change is "
                  "the points). \"Better\" or \"worse\": the interval excludes zero.", "",
                  "![Paired differences](figures/differences.png)", "",
                  "| arm | reference | metric | verdict | difference [95% CI] | relative |"
                  + (" from parameters |" if shares else ""),
                  "|---|---|---|---|---|---|" + ("---|" if shares else "")]
        for _, r in diffs.iterrows():
            u = unit[r["metric"]]
            share = f" {_share(r['parameter_share'])} |" if shares else ""
            lines.append(f"| {r['arm']} | {r['reference']} | {metric_label(r['metric'])} "
                         f"({change_unit(u)}) | {verdict(r, r['metric'])} | "
                         f"{change(r['difference'], u)} [{change(r['low'], u)}, "
                         f"{change(r['high'], u)}] | {relative(r['relative'], u)} |{share}")
        lines.append("")
    lines += _resilience(ok)
    shares = "parameter_share" in summary
    lines += _assumptions(plan)
    lines += ["## What the metrics mean", "", *_meanings(metrics, unit), ""]
    lines += ["## Every metric, arm by arm", ""]
    for arm, group in summary.groupby("arm", sort=False):
        extra = (" from parameters |", "---|") if shares else ("", "")
        lines += [f"### {arm}", "", f"| metric | mean | 95% CI | unit | n |{extra[0]}",
                  f"|---|---|---|---|---|{extra[1]}"]
        for _, r in group.iterrows():
            u = unit[r["metric"]]
            share = f" {_share(r['parameter_share'])} |" if shares else ""
            lines.append(f"| {metric_label(r['metric'])} | {number(r['mean'], u)} | "
                         f"[{number(r['low'], u)}, {number(r['high'], u)}] | {unit_words(u)} | "
                         f"{r['n']} |{share}")
        lines.append("")
    if len(errors):
        lines += ["## Runs that failed", "", "| run | arm | error |", "|---|---|---|"]
        lines += [f"| {r['run_id']} | {r['arm']} | {r['error']} |" for _, r in errors.iterrows()]
        lines.append("")
    lines += [f"Generated by `sim report {folder}` from the runs recorded in `{folder}/parts/`.", ""]
    return "\n".join(lines)


def _resilience(ok: pd.DataFrame) -> list[str]:
    """The section on how each arm holds up under the scenario's shocks ([] without shocks)."""
    from sim.experiments.resilience import report_section

    return report_section(ok)


def _assumptions(plan: Plan) -> list[str]:
    """A section naming what the comparison rests on: the assumed (and calibrated) parameters of
    the mechanisms the arms run, and the command that tests whether the ranking depends on them."""
    from sim.scenario.ranges import ASSUMED

    used: dict[str, list[str]] = {}
    for key, declared in ASSUMED.items():
        block, name = key.rsplit(".", 1)
        kind = block.removeprefix("coordination.")
        if block == "families" or any((arm.config["coordination"].get(kind) or {}).get("enabled")
                                      for arm in plan.arms):
            grade = "" if declared.grade == "assumption" else f" ({declared.grade})"
            used.setdefault(kind, []).append(name.replace("_", " ") + grade)
    families = used.pop("families")
    mechanisms = "; ".join(f"{kind.replace('_', ' ')}: {', '.join(names)}"
                           for kind, names in used.items())
    return ["## What rests on assumptions", "",
            "These results rest on values without a figure behind them (docs/model.md, column "
            "\"evidence\" of the parameter tables; named here in words): "
            + (f"the mechanisms' assumed parameters ({mechanisms}), and " if used else "")
            + f"how families behave ({', '.join(families)}). "
            f"`sim robustness {plan.source}` varies each over its plausible range and says "
            "whether the ranking of the ways of working holds or at which value it flips.", ""]


def _share(value: float) -> str:
    return "n/a" if not np.isfinite(value) else f"{value:.0%}"


def _posterior_lines(plan) -> list[str]:
    return [f"- parameters drawn from the calibration `{plan.spec.posterior}` (its accepted set): "
            "replications 2d and 2d+1 share draw d, the same draws in every arm",
            "- intervals are 95% t-intervals over draws (each the mean of its replications), so "
            "they include parameter uncertainty as well as chance; differences are paired by draw",
            "- \"parameters\": the share of the variance between runs due to the parameter draws "
            "(one-way analysis of variance: draws against replications within a draw)"]


def _incomplete(plan, ok) -> list[str]:
    """A line naming the arms without any successful run (left out of every table), if any."""
    names = arm_names([a.label for a in plan.arms])
    present = set(ok["arm"])
    missing = [names[a.label] for a in plan.arms if names[a.label] not in present]
    if not missing:
        return []
    return [f"- **incomplete**: {len(missing)} of {len(plan.arms)} arms have no successful run yet "
            f"and are left out of the tables and comparisons ({', '.join(missing)}); run the same "
            "`sim sweep` command again to finish them"]


def _currency(plan: Plan) -> str | None:
    """The arms' currency when they share one (money columns then name it), else None."""
    found = {arm.config.get("currency") for arm in plan.arms}
    return found.pop() if len(found) == 1 else None


def _meanings(metrics: list[str], unit: dict[str, str]) -> list[str]:
    """One line per metric: its label and unit, what it means and which way is better."""
    lines = []
    for name in metrics:
        info = METRIC_INFO.get(name)
        sector = (sector_of(name) or "").replace("_", " ")
        if info is None and group_of(name) is not None:
            explain = f"The same as {metric_label(name)[0].lower()}{metric_label(name)[1:]}."
        elif info is None and name.startswith(SECTOR_COVERAGE_PREFIX):
            explain = f"The same as needs served in time, for {sector} needs only."
        elif info is None and sector:
            explain = f"Different children the {sector} services served in a year."
        elif info is None:
            continue
        else:
            explain = info.explain or _named(info.compute.__doc__ or "")
        way = better(name)
        text = " ".join(explain.split())
        lines.append(f"- **{metric_label(name)}** ({unit_words(unit.get(name, 'share'))}): {text}"
                     + (f" {way.capitalize()} is better." if way else ""))
    return lines


def _named(text: str) -> str:
    """A metric's docstring with the metric names in it written as their labels."""
    return re.sub(r"\b[a-z]+(?:_[a-z]+)+\b",
                  lambda m: metric_label(m.group()).lower() if m.group() in METRIC_INFO
                  else m.group().replace("_", " "), text)


def _arm_table(summary: pd.DataFrame, metrics: list[str], unit: dict[str, str]) -> list[str]:
    """A markdown table: one row per arm, one column per metric (mean [95% interval], with the
    parameters' share of the variance when a posterior was used)."""
    lines = ["| arm | " + " | ".join(f"{metric_label(m)} ({unit_words(unit[m])})" for m in metrics)
             + " |", "|---|" + "---|" * len(metrics)]
    table = summary[summary["metric"].isin(metrics)]
    for arm, group in table.groupby("arm", sort=False):
        cells = group.set_index("metric").loc[metrics]
        lines.append(f"| {arm} | " + " | ".join(
            f"{number(r['mean'], unit[m])} [{number(r['low'], unit[m])}, "
            f"{number(r['high'], unit[m])}]"
            + (f" ({_share(r['parameter_share'])} parameters)" if "parameter_share" in r else "")
            for m, r in cells.iterrows()) + " |")
    return lines
