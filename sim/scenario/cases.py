"""The case library: scenarios that place a documented coordination arrangement in a city.

A case is a scenario file in ``scenarios/cases/`` with a ``case:`` block saying where the
arrangement comes from (country, the arrangement in a few words, the source in docs/model.md
"Sources", one line for people) and what it cannot represent. ``sim cases`` lists them, the
workshop page offers them, and ``experiments/compare_cases.yaml`` compares them with silos.
"""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class Case:
    """A case file as people read it: its file stem, its ``case:`` block and the mechanisms its
    coordination block switches on (in step order)."""

    stem: str
    path: Path
    info: CaseInfo
    mechanisms: tuple[str, ...]
    coordination: str  # the coordination label, e.g. "council+focal_point"

    def to_json(self) -> dict:
        return {"file": self.stem, **self.info.model_dump(), "mechanisms": list(self.mechanisms),
                "coordination": self.coordination, "path": str(self.path)}


def read_case(path: Path) -> Case:
    """Load and validate a case file (ConfigError naming the file and key when it is invalid or
    has no ``case:`` block)."""
    from sim.errors import ConfigError
    from sim.scenario.loading import load_scenario

    scenario = load_scenario(path)
    if scenario.case is None:
        raise ConfigError(f"{path}: case: missing; a case file needs a case: block (country, "
                          "arrangement, source, summary)")
    coordination = scenario.coordination
    return Case(Path(path).stem, Path(path), scenario.case,
                tuple(block.kind for block in coordination.mechanisms()), coordination.label)


def read_cases(folder: Path = CASES_DIR) -> list[Case]:
    """Every case of ``folder``, sorted by file name (the first invalid one raises)."""
    return [read_case(path) for path in case_files(folder)]
