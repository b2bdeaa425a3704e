"""`sim cases`: the case library (scenarios/cases/), one line per case."""

from __future__ import annotations

import json
from pathlib import Path

from sim.errors import ConfigError
from sim.scenario.cases import CASES_DIR, Case, read_cases


def add_parser(sub) -> None:
    """Register `cases` on the `sim` sub-command parser."""
    cases = sub.add_parser(
        "cases", help="list the case library: country, arrangement, mechanisms",
        description="List the cases of the library (scenario files with a case: block), one line "
                    "each: file, country, arrangement and the mechanisms its coordination runs. "
                    "Run one with sim run scenarios/cases/FILE.yaml; compare them all with silos "
                    "with sim sweep experiments/compare_cases.yaml.")
    cases.add_argument("--long", action="store_true",
                       help="add each case's one-line summary and its source")
    cases.add_argument("--json", action="store_true",
                       help="print the cases as JSON (every field of the case: block)")
    cases.add_argument("--folder", type=Path, default=CASES_DIR,
                       help="folder of case files (default: the project's scenarios/cases)")


def cmd_cases(args) -> int:
    if not args.folder.is_dir():
        raise ConfigError(f"--folder: no folder {args.folder}")
    cases = read_cases(args.folder)
    if args.json:
        print(json.dumps([case.to_json() for case in cases], indent=2))
    else:
        print(format_cases(cases, args.long))
    return 0


def mechanism_words(case: Case) -> str:
    """The mechanisms a case runs, in words ("none (silos)" when it runs none)."""
    return ", ".join(m.replace("_", " ") for m in case.mechanisms) or "none (silos)"


def format_cases(cases: list[Case], long: bool = False) -> str:
    """One aligned line per case (and, with ``long``, its summary and source under it)."""
    if not cases:
        return "no case files (scenarios/cases/*.yaml)"
    rows = [("file", "country", "arrangement", "mechanisms")]
    rows += [(c.stem, c.info.country, c.info.arrangement, mechanism_words(c)) for c in cases]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = []
    for i, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True))
                     + "  " + row[3])
        if long and i:
            case = cases[i - 1]
            lines.append(f"    {case.info.summary} (source: {case.info.source})")
    return "\n".join(lines)
