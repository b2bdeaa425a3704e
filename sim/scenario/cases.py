"""The case library: scenarios that place a documented coordination arrangement in a city.

A case is a scenario file in ``scenarios/cases/`` with a ``case:`` block saying where the
arrangement comes from (country, the arrangement in a few words, the source in docs/model.md
"Sources", one line for people) and what it cannot represent. ``sim cases`` lists them, the
workshop page offers them, and ``experiments/compare_cases.yaml`` compares them with silos.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from sim.scenario.schema import Strict

CASES_DIR = Path(__file__).resolve().parent.parent.parent / "scenarios" / "cases"


class CaseInfo(Strict):
    """Where a case's arrangement comes from, in words people read."""

    country: str = Field(min_length=1, max_length=80)  # or city, e.g. "Sion, Switzerland"
    arrangement: str = Field(min_length=1, max_length=200)  # e.g. "Inter-Sectoral Commission"
    source: str = Field(min_length=1, max_length=200)  # e.g. "C1" (docs/model.md, "Sources")
    summary: str = Field(min_length=1, max_length=300)  # one line, shown on the workshop page
    not_represented: str = Field("", max_length=1000)  # what the model leaves out of the case

    @field_validator("country", "arrangement", "source", "summary", "not_represented")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if "\n" in value:
            raise ValueError("must be one line")
        return value


def case_files(folder: Path = CASES_DIR) -> list[Path]:
    """The case scenario files, sorted by name."""
    return sorted(folder.glob("*.yaml"))
