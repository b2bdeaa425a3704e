"""The ranking of the case library's cases (experiments/compare_cases.yaml) for report.md.

Each case (an arm whose scenario has a ``case:`` block, run under its own coordination) is
ranked on coverage, coverage of marginalised families, duplication and total cost by its paired
difference from its reference arm: the same case file in silos (same city, same seeds). Plain
markdown, for readers who do not read code.
"""

from __future__ import annotations

import pandas as pd

from sim.experiments.plan import Plan
from sim.experiments.report_text import change, change_unit, metric_label, verdict

# the ranked metrics and which way ranks first (total cost: the cheapest, though the metrics
# table calls no cost better in itself)
RANKED = {"coverage": "higher", "coverage_marginalised": "higher", "duplication_rate": "lower",
          "total_cost": "lower"}


def case_arms(plan: Plan, names: dict[str, str], reference: str) -> dict[str, dict]:
    """Plain arm name -> its ``case:`` block, for the arms that run a case's own coordination
    (not the reference arms)."""
    return {names[a.label]: a.config["case"] for a in plan.arms
            if a.config.get("case") and str(a.values.get("coordination")) != reference}


def ranking_table(diffs: pd.DataFrame, cases: dict[str, dict], unit: dict[str, str]) -> list[str]:
    """The markdown table: one row per case, sorted by its coverage difference; each metric's
    cell is the paired difference [95% interval] and the case's rank on it (1 = the best for
    families or the budget)."""
    rows = diffs[diffs["arm"].isin(cases) & diffs["metric"].isin(RANKED)]
    metrics = [m for m in RANKED if m in set(rows["metric"])]
    if rows.empty or not metrics:
        return []
    wide = rows.pivot(index="arm", columns="metric", values="difference")
    ranks = pd.DataFrame({m: wide[m].rank(ascending=RANKED[m] == "lower", method="min")
                          for m in metrics})
    order = ranks.sort_values(metrics[0], na_position="last").index
    cell = {(r["arm"], r["metric"]): r for _, r in rows.iterrows()}
    heading = [f"{metric_label(m)} ({change_unit(unit[m])})" for m in metrics]
    lines = ["| case | country: arrangement | compared with | " + " | ".join(heading) + " |",
             "|---|---|---|" + "---|" * len(metrics)]
    for arm in order:
        info, reference = cases[arm], cell[(arm, metrics[0])]["reference"]
        cells = []
        for m in metrics:
            r, u = cell[(arm, m)], unit[m]
            rank = ranks.at[arm, m]
            place = f"#{int(rank)}" if pd.notna(rank) else "#-"
            cells.append(f"{change(r['difference'], u)} [{change(r['low'], u)}, "
                         f"{change(r['high'], u)}] {place}, {verdict(r, m)}")
        lines.append(f"| {arm} | {info['country']}: {info['arrangement']} | {reference} | "
                     + " | ".join(cells) + " |")
    return lines


def ranking_section(plan: Plan, diffs: pd.DataFrame, names: dict[str, str], unit: dict[str, str],
                    reference: str) -> list[str]:
    """The report's section ranking the cases ([] when the sweep compares no case)."""
    cases = case_arms(plan, names, reference)
    table = ranking_table(diffs, cases, unit) if cases and not diffs.empty else []
    if not table:
        return []
    return ["## Ranking of the cases", "",
            f"Each case runs as written and in {reference}: the same case file with its "
            f"coordination block replaced by {reference}, so each is compared with {reference} in "
            "its own city (column \"compared with\"), on the same seeds. A cell is the paired "
            "difference, case minus its reference, replication by replication, with its 95% "
            "interval; changes of shares are in points. #n is the case's rank on that metric, #1 "
            "the best for families or the budget (more needs served in time, less duplication, "
            "lower cost); then whether the interval excludes zero (better, worse) or not (no clear "
            "difference). Ranks whose intervals overlap are no clear ordering. Rows are sorted by "
            f"the first column. What each case is: `sim cases --long`.", "",
            *table, ""]
