"""docs/model.md stays in step with the code: every parameter, default and metric is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic_core import PydanticUndefined

from sim.core.metrics import METRICS
from sim.scenario import params
from sim.scenario.coordination import MECHANISM_ORDER, CoordinationSpec
from sim.scenario.groups import GroupParams

DOC = (Path(__file__).resolve().parent.parent / "docs" / "model.md").read_text()
SKIP = {"enabled", "kind", "start_week", "end_week", "paid_by",
        "institutionalisation"}  # common keys: own table


def section(title_start: str) -> str:
    """The text from the heading that starts with ``title_start`` to the next heading."""
    match = re.search(rf"^#+ {re.escape(title_start)}.*?$(.*?)(?=^#+ )", DOC, flags=re.S | re.M)
    assert match, f"no section {title_start!r} in model.md"
    return match.group(1)


def rows(text: str) -> dict[str, dict[str, str]]:
    """Table rows keyed by the backticked name in their first cell, as {column: cell}."""
    out: dict[str, dict[str, str]] = {}
    header: list[str] = []
    for line in text.splitlines():
        if not line.startswith("|"):
            header = []
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not header:
            header = cells
            continue
        if set(cells[0]) <= {"-", ":"}:
            continue
        name = re.match(r"`([^`]+)`", cells[0])
        if name:
            out[name.group(1)] = dict(zip(header, cells, strict=False))
    return out


def default_matches(cell: str, value) -> bool:
    cell = cell.strip("`")
    if value is PydanticUndefined:
        return cell == "required"
    if value is None:
        return cell.startswith("unset")
    if value in ("", [], {}):
        return cell.startswith("empty")
    if isinstance(value, bool):
        return cell == str(value).lower()
    if isinstance(value, int | float):
        try:
            return float(cell.replace(",", "")) == float(value)
        except ValueError:
            return False
    return cell == str(getattr(value, "value", value))


BLOCKS = {"time": params.TimeParams, "city": params.CityParams, "families": params.FamilyParams}


@pytest.mark.parametrize("prefix", list(BLOCKS))
def test_scenario_blocks_are_in_the_parameter_table(prefix):
    table = rows(section("Scenario, time, city, families"))
    for name, field in BLOCKS[prefix].model_fields.items():
        key = f"{prefix}.{name}"
        assert key in table, f"{key} is not in model.md's parameter table"
        assert default_matches(table[key]["default"], field.default), \
            f"{key}: model.md says {table[key]['default']!r}, the code {field.default!r}"
        assert table[key]["source"], f"{key} has no source"


@pytest.mark.parametrize(("title", "model", "prefix"), [
    ("Sectors (`sectors.<name>`", params.SectorParams, ""),
    ("Organisations (`organisations.<name>`)", params.OrganisationParams, ""),
    ("Organisations (`organisations.<name>`)", params.FundingParams, "funding."),
    ("Scenario-wide levers", params.FundingLevers, "funding."),
    ("Scenario-wide levers", params.OutputParams, "outputs."),
    ("Parameters (`groups.<name>`)", GroupParams, ""),
])
def test_block_parameters_are_in_their_tables(title, model, prefix):
    table = rows(section(title))
    for name, field in model.model_fields.items():
        if name == "funding" and model is params.OrganisationParams:
            continue  # its keys are listed as funding.*
        key = prefix + name
        assert key in table, f"{key} is not in model.md's {title!r} table"
        default = (field.default if field.default_factory is None
                   else field.get_default(call_default_factory=True))
        assert default_matches(table[key]["default"], default), \
            f"{key}: model.md says {table[key]['default']!r}, the code {default!r}"


@pytest.mark.parametrize("mechanism", MECHANISM_ORDER)
def test_mechanism_parameters_are_in_their_section(mechanism):
    block = CoordinationSpec.model_fields[mechanism].annotation.__args__[0]
    match = re.search(rf"^### [^\n]*\(`{mechanism}`, `sim/core/coordination/[a-z_]+\.py`\)$(.*?)(?=^##)",
                      DOC, flags=re.S | re.M)
    assert match, f"no section for {mechanism} under Coordination mechanisms"
    table = {re.sub(r"\s*\(.*\)$", "", k): v for k, v in rows(match.group(1)).items()}
    for name, field in block.model_fields.items():
        if name in SKIP:
            continue
        assert name in table, f"{mechanism}.{name} is not in its model.md table"
        assert default_matches(table[name]["default"], field.default), \
            f"{mechanism}.{name}: model.md says {table[name]['default']!r}, the code {field.default!r}"
        assert table[name]["source"], f"{mechanism}.{name} has no source"


def test_metrics_table_matches_metrics():
    table = rows(section("Metrics"))
    names = [m.name for m in METRICS]
    assert set(names) <= set(table), f"undocumented: {sorted(set(names) - set(table))}"
    per_sector = {"coverage.<sector>", "children_reached.<sector>", "group_coverage.<group>",
                  "group_coverage.<group>.marginalised", "group_full_package.<group>"}
    assert set(table) - set(names) <= per_sector, sorted(set(table) - set(names))
    for metric in METRICS:
        assert table[metric.name]["unit"] == metric.unit, metric.name


def test_limits_section_is_kept():
    assert "## Limits of this model" in DOC
    assert len(section("Limits of this model").split("\n- ")) > 10


def test_common_mechanism_keys_are_in_their_table():
    from sim.scenario.mechanisms import MechanismParams

    table = rows(section("Every mechanism: start, end and who pays"))
    for name in SKIP - {"enabled", "kind"}:
        field = MechanismParams.model_fields[name]
        assert name in table, f"{name} is not in model.md's table of keys every mechanism takes"
        assert default_matches(table[name]["default"], field.default), name


def test_presets_payers_are_documented():
    from sim.scenario.presets import PAYERS

    text = section("Coordination models (presets)")
    for kind, payer in PAYERS.items():
        assert f"| `{kind}` | `{payer}` |" in text, f"{kind}'s payer is not in the presets' payer table"


def _evidence_tables() -> dict[str, dict[str, str]]:
    """Dotted key -> evidence cell of every row of the parameter tables (section "Parameters" and
    the mechanisms' tables); a mechanism's keys as ``coordination.<kind>.<key>``."""
    found: dict[str, str] = {}
    for title in ("Scenario, time, city, families", "Sectors (`sectors.<name>`",
                  "Organisations (`organisations.<name>`)", "Scenario-wide levers",
                  "Every mechanism: start, end and who pays"):
        for name, row in rows(section(title)).items():
            if {"parameter", "name", "value"} & set(row):  # not the tables of base values
                found[name] = row.get("evidence", "")
    for kind in MECHANISM_ORDER:
        text = re.search(rf"^### [^\n]*\(`{kind}`, `sim/core/coordination/[a-z_]+\.py`\)$(.*?)(?=^##)",
                         DOC, flags=re.S | re.M).group(1)
        for name, row in rows(text).items():
            found[f"coordination.{kind}.{re.sub(r'\s*\(.*\)$', '', name)}"] = row.get("evidence", "")
    return found


def test_every_parameter_has_an_evidence_grade():
    from sim.scenario.ranges import GRADES

    for key, cell in _evidence_tables().items():
        assert cell.split(" ")[0] in GRADES, f"{key}: evidence {cell!r} is not one of {list(GRADES)}"


def test_the_evidence_grades_in_the_doc_and_the_code_agree():
    """An assumed or calibrated mechanism value has a plausible range in the code, and only those;
    the code's grades of the families' and levers' ranges are the doc's."""
    from sim.scenario.ranges import (
        ASSUMED_MECHANISM_PARAMETERS,
        LEVERS,
        UNCERTAIN_GRADES,
        UNCERTAINTIES,
    )

    doc = _evidence_tables()
    uncertain = {k for k, cell in doc.items() if k.startswith("coordination.")
                 and cell in UNCERTAIN_GRADES}
    assert uncertain == set(ASSUMED_MECHANISM_PARAMETERS), (
        f"graded assumption or calibrated in model.md but no range in ranges.py: "
        f"{sorted(uncertain - set(ASSUMED_MECHANISM_PARAMETERS))}; a range but another grade: "
        f"{sorted(set(ASSUMED_MECHANISM_PARAMETERS) - uncertain)}")
    for key, declared in (ASSUMED_MECHANISM_PARAMETERS | UNCERTAINTIES | LEVERS).items():
        assert doc[key] == declared.grade, f"{key}: model.md says {doc[key]!r}, ranges.py {declared.grade!r}"


def test_plausible_ranges_hold_the_defaults():
    from sim.scenario.ranges import ASSUMED_MECHANISM_PARAMETERS

    for key, declared in ASSUMED_MECHANISM_PARAMETERS.items():
        _, kind, name = key.split(".")
        block = CoordinationSpec.model_fields[kind].annotation.__args__[0]
        default = block.model_fields[name].default
        assert declared.low <= default <= declared.high, f"{key}: default {default} outside range"
        assert declared.low < declared.high and declared.why, key
