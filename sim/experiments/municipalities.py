"""A portfolio's table of municipalities: read, checked, and each row turned into scenario keys.

One row per municipality. Columns (any order; only ``id`` and ``families`` are required):

- ``id``: the municipality's name in the results (letters, digits, ``_ . + -``; unique);
- ``families``: families with children -> ``city.families`` (capacities and budgets follow
  when the base scenario gives ``city.reference_families``, as for any resized city);
- ``informal_share``: share of families in informal settlements -> ``city.informal_family_share``.
  The base's number of informal neighbourhoods is kept when it allows the share (some but not
  all neighbourhoods informal); a share of 0 makes none informal, 1 all of them; otherwise
  ``round(share x neighbourhoods)`` are, at least one and at most all but one;
- ``marginalised_share``: share of families marginalised -> the city's two shares
  ``marginalised_share_informal`` (mi) and ``marginalised_share_formal`` (mf), both multiplied by
  the factor that makes ``s x mi + (1 - s) x mf`` (s: the informal share) equal the row's share,
  keeping the base's ratio between them; mi stops at 1, and mf then takes the rest;
- ``budget_per_family``: yearly public money per family (departments' and NGOs'
  ``funding.budget_per_year`` after the city's resizing) -> ``funding.budget_scale``, set so that
  ``sum(budget_per_year) x service_scale x budget_scale / families`` equals it;
- any dotted scenario key (``city.extent_km``, ``families.seek_probability``): set as written.

An empty cell keeps the base scenario's value. A bad table is a ConfigError of one line naming
the file, the row (1 = the first municipality) and the column.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
from pydantic import Field, TypeAdapter, ValidationError, field_validator, model_validator

from sim.errors import ConfigError
from sim.scenario.loading import families_cap, scale_for_tests, scaled_count
from sim.scenario.schema import NonNeg, Share, Strict

if TYPE_CHECKING:
    import pandas as pd

MUNICIPALITY_ID = r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$"
NAMED = ("id", "families", "informal_share", "marginalised_share", "budget_per_family")
# a named column and the scenario keys it sets: a table may not give both
SETS = {"families": ("city.families",),
        "informal_share": ("city.informal_family_share", "city.informal_neighbourhoods"),
        "marginalised_share": ("city.marginalised_share_informal",
                               "city.marginalised_share_formal"),
        "budget_per_family": ("funding.budget_scale",)}
NOT_A_COLUMN = ("coordination",)  # the ways of working are the factor, not a column


class PortfolioSpec(Strict):
    """The experiment's ``portfolio:`` block: the table, and the classes the report groups by.

    ``size_classes``: family counts at which a new size class starts (``[50, 500, 5000]``:
    under 50 families, 50-499, 500-4,999, 5,000 and more); ``informal_classes``: informal shares
    at which a new class starts among municipalities with informal settlements (those without
    are their own class, "none").
    """

    table: str = Field(min_length=1)
    size_classes: Annotated[list[Annotated[int, Field(ge=1)]], Field(min_length=1)] = [50, 500, 5000]
    informal_classes: list[Annotated[float, Field(gt=0.0, le=1.0)]] = [0.2]

    @field_validator("size_classes", "informal_classes")
    @classmethod
    def _increasing(cls, bounds: list) -> list:
        if any(b <= a for a, b in zip(bounds, bounds[1:], strict=False)):
            raise ValueError(f"expected increasing bounds, got {bounds}")
        return bounds


class Row(Strict):
    """One municipality as the table gives it (the named columns)."""

    id: str = Field(pattern=MUNICIPALITY_ID, max_length=100)
    families: Annotated[int, Field(ge=1, le=20_000_000)]
    informal_share: Share | None = None
    marginalised_share: Share | None = None
    budget_per_family: NonNeg | None = None
    keys: dict[str, Any] = {}  # the dotted columns' values (empty cells left out)

    @model_validator(mode="before")
    @classmethod
    def _whole_families(cls, data):
        # a CSV column with an empty cell is read as floats: 120.0 is 120 families
        value = data.get("families") if isinstance(data, dict) else None
        if isinstance(value, float) and value.is_integer():
            data = {**data, "families": int(value)}
        return data


ROWS = TypeAdapter(list[Row])


@dataclass(frozen=True)
class Municipality:
    """A checked row: its id, families, classes and the scenario keys it sets."""

    id: str
    row: int  # 1 = the table's first municipality
    families: int
    size_class: str
    informal_class: str
    changes: dict[str, Any]


def read_table(path: Path, spec: PortfolioSpec, base: dict) -> list[Municipality]:
    """The municipalities of the table at ``path``, checked, with the scenario keys each sets on
    ``base`` (a validated scenario's configuration). Under the test scale
    (:func:`sim.scenario.loading.scale_for_tests`), evenly spaced rows are kept (their number
    scaled like replications) and families are capped like a scenario's."""
    frame = _read_frame(path)
    _check_columns(frame, path)
    dotted = [c for c in frame.columns if c not in NAMED]
    records = []
    for values in frame.to_dict("records"):
        row = {k: _plain(values[k]) for k in NAMED if k in values and _given(values[k])}
        if isinstance(row.get("id"), int) and not isinstance(row["id"], bool):
            row["id"] = str(row["id"])  # a Parquet table's whole-number ids
        row["keys"] = {k: _plain(values[k]) for k in dotted if _given(values[k])}
        records.append(row)
    try:
        rows = ROWS.validate_python(records)
    except ValidationError as exc:
        raise ConfigError(_row_problem(path, exc, records)) from None
    _check_unique(rows, path)
    numbered = list(enumerate(rows, start=1))
    scale = scale_for_tests()
    if scale is not None:
        kept = scaled_count(len(rows))
        cap = families_cap(scale)
        numbered = [(n, r.model_copy(update={"families": min(r.families, cap)}))
                    for n, r in (numbered[i] for i in
                                 np.linspace(0, len(rows) - 1, kept).round().astype(int))]
    return [Municipality(r.id, n, r.families, size_class(r.families, spec.size_classes),
                         informal_class(_informal(r, base), spec.informal_classes),
                         scenario_changes(r, base, path, n))
            for n, r in numbered]


def _read_frame(path: Path) -> pd.DataFrame:
    import pandas as pd  # only a portfolio's plan reads a table

    if not path.is_file():
        raise ConfigError(f"{path}: no such table (portfolio: names a CSV or Parquet file, "
                          "relative to the experiment file)")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        elif path.suffix.lower() == ".csv":
            frame = pd.read_csv(path, dtype={"id": str}, skipinitialspace=True)
        else:
            raise ConfigError(f"{path}: expected a .csv or .parquet table of municipalities")
    except ConfigError:
        raise
    except Exception as exc:  # pandas and pyarrow raise many kinds for an unreadable file
        raise ConfigError(f"{path}: not a readable table ({type(exc).__name__}: "
                          f"{str(exc).splitlines()[0] if str(exc) else 'empty'})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise ConfigError(f"{path}: no municipalities (expected one row each, with columns "
                          "id and families)")
    return frame


def _check_columns(frame: pd.DataFrame, path: Path) -> None:
    columns = list(frame.columns)
    for required in ("id", "families"):
        if required not in columns:
            raise ConfigError(f"{path}: column {required}: missing (expected columns id, families "
                              "and optionally informal_share, marginalised_share, "
                              "budget_per_family or dotted scenario keys)")
    for name in columns:
        if columns.count(name) > 1:
            raise ConfigError(f"{path}: column {name}: given twice")
        if name in NAMED:
            continue
        if "." not in name or name.split(".")[0] in NOT_A_COLUMN or not all(name.split(".")):
            raise ConfigError(f"{path}: column {name}: unknown (expected id, families, "
                              "informal_share, marginalised_share, budget_per_family or a dotted "
                              "scenario key such as city.extent_km; the ways of working are the "
                              "experiment's coordination factor)")
        clash = next((named for named, keys in SETS.items() if named in columns and name in keys),
                     None)
        if clash:
            raise ConfigError(f"{path}: column {name}: also set by column {clash}; keep one")


def _given(value: Any) -> bool:
    return not (value is None or (isinstance(value, float) and math.isnan(value))
                or (isinstance(value, str) and not value.strip()))


def _plain(value: Any) -> Any:
    """A cell as a plain Python value (NumPy scalars unwrapped, text stripped)."""
    value = value.item() if isinstance(value, np.generic) else value
    return value.strip() if isinstance(value, str) else value


def _row_problem(path: Path, exc: ValidationError, records: list[dict]) -> str:
    err = exc.errors()[0]
    index, *where = err["loc"]
    column = where[0] if where else "?"
    if column == "keys" and len(where) > 1:
        column = where[1]
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "missing":
        msg = "empty (expected a value)"
    got = err.get("input")
    shown = "" if err["type"] == "missing" or isinstance(got, dict) else f" (got {got!r})"
    return f"{path}: row {int(index) + 1}{_named(records[int(index)])}, column {column}: {msg}{shown}"


def _named(record: dict) -> str:
    return f" (id {record['id']})" if isinstance(record.get("id"), str) else ""


def _check_unique(rows: list[Row], path: Path) -> None:
    seen: dict[str, int] = {}
    for n, row in enumerate(rows, start=1):
        if row.id in seen:
            raise ConfigError(f"{path}: row {n}, column id: {row.id!r} is also row {seen[row.id]} "
                              "(expected one row per municipality)")
        seen[row.id] = n


# ------------------------------------------------------------------ row -> scenario keys
def scenario_changes(row: Row, base: dict, path: Path, n: int) -> dict[str, Any]:
    """The dotted scenario keys and values ``row`` sets on the scenario configuration ``base``."""
    changes: dict[str, Any] = {**row.keys, "city.families": row.families}
    city = {**base["city"], **{k.split(".", 1)[1]: v for k, v in changes.items()
                               if k.startswith("city.") and k.count(".") == 1}}
    where = f"{path}: row {n} (id {row.id})"
    if row.informal_share is not None:
        changes["city.informal_family_share"] = row.informal_share
        changes["city.informal_neighbourhoods"] = city["informal_neighbourhoods"] = \
            informal_neighbourhoods(row.informal_share, city, where)
        city["informal_family_share"] = row.informal_share
    if row.marginalised_share is not None:
        mi, mf = marginalised_shares(row.marginalised_share, city)
        changes["city.marginalised_share_informal"] = mi
        changes["city.marginalised_share_formal"] = mf
    if row.budget_per_family is not None:
        changes["funding.budget_scale"] = budget_scale(row.budget_per_family, row.families,
                                                       base, city, where)
    return changes


def _informal(row: Row, base: dict) -> float:
    return base["city"]["informal_family_share"] if row.informal_share is None else row.informal_share


def informal_neighbourhoods(share: float, city: dict, where: str) -> int:
    """How many neighbourhoods are informal for an informal family share of ``share``."""
    count, kept = int(city["neighbourhoods"]), int(city["informal_neighbourhoods"])
    if share == 0:
        return 0
    if share == 1:
        return count
    if 0 < kept < count:
        return kept
    if count < 2:
        raise ConfigError(f"{where}, column informal_share: a share between 0 and 1 needs at least "
                          f"2 neighbourhoods (the city has {count}; set city.neighbourhoods)")
    return min(max(round(share * count), 1), count - 1)


def marginalised_shares(share: float, city: dict) -> tuple[float, float]:
    """The city's (informal, formal) marginalised shares whose families-weighted mean is
    ``share``, in the base's ratio; the informal one stops at 1."""
    s = city["informal_family_share"]
    mi, mf = city["marginalised_share_informal"], city["marginalised_share_formal"]
    mean = s * mi + (1 - s) * mf
    if mean <= 0:  # no ratio to keep: the same share everywhere
        return share, share
    mi = min(1.0, mi * share / mean)
    mf = share if s >= 1 else (share - s * mi) / (1 - s)
    return float(min(1.0, max(0.0, mi))), float(min(1.0, max(0.0, mf)))


def budget_scale(per_family: float, families: int, base: dict, city: dict, where: str) -> float:
    """``funding.budget_scale`` that gives ``per_family`` of yearly public money per family."""
    total = sum((org.get("funding") or {}).get("budget_per_year") or 0.0
                for org in base["organisations"].values())
    reference = city.get("reference_families")
    service_scale = 1.0 if reference is None else families / reference
    per_family_at_one = total * service_scale / families
    if per_family_at_one <= 0:
        if per_family == 0:
            return 0.0
        raise ConfigError(f"{where}, column budget_per_family: the base scenario's organisations "
                          "have no yearly budget to scale")
    return per_family / per_family_at_one


# ------------------------------------------------------------------ classes
def size_class(families: int, bounds: list[int]) -> str:
    """The size class of a municipality of ``families`` families ("50-499 families")."""
    return _band(families, bounds, lambda b: f"{b:,}", "families", whole=True)


def informal_class(share: float, bounds: list[float]) -> str:
    """The informal-share class: "none", then bands of ``bounds`` ("under 20%", "20% and more")."""
    if share == 0:
        return "no informal settlement"
    return _band(share, bounds, lambda b: f"{b:.0%}", "informal", whole=False)


def _band(value: float, bounds: list, show, unit: str, whole: bool) -> str:
    where = int(np.searchsorted(bounds, value, side="right"))
    if where == 0:
        return f"under {show(bounds[0])} {unit}"
    if where == len(bounds):
        return f"{show(bounds[-1])} {unit} and more"
    high = f"{bounds[where] - 1:,}" if whole else show(bounds[where])
    joiner = "-" if whole else " to under "
    return f"{show(bounds[where - 1])}{joiner}{high} {unit}"


def class_order(bounds: list, kind: str) -> list[str]:
    """Every class name of ``kind`` ("size" or "informal") in increasing order."""
    if kind == "size":
        return [size_class(b, bounds) for b in [bounds[0] - 1, *bounds]]
    return ["no informal settlement", *(informal_class(b, bounds) for b in [bounds[0] / 2, *bounds])]

