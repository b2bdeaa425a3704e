"""Reading the cells of a city's tables: one located line (file, row, column) for each problem."""

from __future__ import annotations

import csv
import difflib
import io
import math
from pathlib import Path
from typing import Any

from sim.errors import ConfigError

MAX_TABLE_BYTES = 50_000_000
FLAGS = {"0": 0.0, "1": 1.0, "false": 0.0, "true": 1.0, "no": 0.0, "yes": 1.0}


def read_bytes(path: Path, key: str) -> bytes:
    try:
        if not path.is_file():
            raise ConfigError(f"{path}: file not found ({key}; a relative path is read from the "
                              "scenario file's folder)")
        with path.open("rb") as file:
            raw = file.read(MAX_TABLE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{path}: could not read the file ({exc.strerror or exc})") from None
    if len(raw) > MAX_TABLE_BYTES:
        raise ConfigError(f"{path}: file larger than {MAX_TABLE_BYTES} bytes")
    return raw


def csv_rows(path: Path, raw: bytes, required: tuple[str, ...]) -> tuple[list[str], list]:
    """The header (lower case) and (line, {column: cell}) of every non-empty row of a CSV."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    try:
        table = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise ConfigError(f"{path}: not a readable CSV table ({exc})") from None
    if not table:
        raise ConfigError(f"{path}: the file is empty (expected a header row)")
    header = [cell.strip().lower() for cell in table[0]]
    for column in required:
        if column not in header:
            raise ConfigError(f"{path}: row 1: missing column {column}{nearest(column, header)} "
                              f"(found: {', '.join(header)})")
    duplicated = sorted({c for c in header if c and header.count(c) > 1})
    if duplicated:
        raise ConfigError(f"{path}: row 1: column {duplicated[0]} appears twice")
    rows = []
    for line, cells in enumerate(table[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            raise ConfigError(f"{path}: row {line}: {len(cells)} cells (expected {len(header)}, "
                              "as in the header)")
        rows.append((line, {c: cell.strip() for c, cell in zip(header, cells, strict=True)}))
    return header, rows


def cell(path: Path, line: int, column: str, row: dict) -> str:
    value = row.get(column, "")
    if not value:
        raise ConfigError(f"{path}: row {line}, column {column}: empty cell")
    return value


class Where:
    """Names a row of a file in messages: ``path: row 7`` (CSV) or ``path: feature 3``."""

    def __init__(self, path: Path, unit: str):
        self.path, self.unit = path, unit

    def __call__(self, number: int) -> str:
        return f"{self.path}: {self.unit} {number}"


def row_attributes(place: str, row: dict[str, str]) -> dict:
    """One neighbourhood's attributes, each checked (``place`` names the row in messages)."""
    nid = row.get("id", "")
    if not nid:
        raise ConfigError(f"{place}, column id: empty cell (expected the neighbourhood's id)")
    if "informal" in row and "informal_share" in row:
        raise ConfigError(f"{place}, column informal_share: give either informal (a flag) or "
                          "informal_share (a share), not both")
    record = {"id": nid, "name": row.get("name") or nid,
              "families": number(place, "families", row.get("families", ""), low=0.0,
                                  expected="a number of families >= 0")}
    if "informal" in row:
        flag = FLAGS.get(row["informal"].lower())
        if flag is None:
            raise ConfigError(f"{place}, column informal: expected 0 or 1 (or true/false, "
                              f"yes/no), got {row['informal']!r}")
        record["informal_share"] = flag
    else:
        record["informal_share"] = share(place, "informal_share", row.get("informal_share", "0"))
    if row.get("marginalised_share"):
        record["marginalised_share"] = share(place, "marginalised_share", row["marginalised_share"])
    return record


def text_of(value: Any) -> str:
    """A map attribute as the text a CSV cell would hold ("" for a missing value)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def number(place: str, column: str, text: str, low: float = -math.inf,
            expected: str = "a number") -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= low):
        shown = repr(text) if text else "an empty cell"
        raise ConfigError(f"{place}, column {column}: expected {expected}, got {shown}")
    return value


def share(place: str, column: str, text: str) -> float:
    value = number(place, column, text, expected="a share from 0 to 1")
    if not 0.0 <= value <= 1.0:
        raise ConfigError(f"{place}, column {column}: expected a share from 0 to 1, got {text}")
    return value


def check_ids(records: list[dict], places: list[str]) -> None:
    first: dict[str, str] = {}
    for place, record in zip(places, records, strict=True):
        nid = record["id"]
        if nid in first:
            raise ConfigError(f"{place}, column id: duplicate id {nid!r} (also "
                              f"{first[nid].rsplit(': ', 1)[-1]})")
        first[nid] = place


def nearest(word: str, known: list[str]) -> str:
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""
