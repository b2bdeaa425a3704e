"""Waiting lists and caseloads as column tables: one row per (family, sector, organisation).

Rows are appended and filtered with NumPy (helpers in :mod:`sim.core.arrays`); nothing loops over
families.
"""

from __future__ import annotations

import numpy as np

from sim.core.arrays import add_counts, pair_key, select


class Table:
    """A growable table of equal-length NumPy columns with fixed dtypes.

    With ``counts`` (a flat (N*S,) array), the table also keeps a ``pair`` column (the flat
    (family, sector) index of each row) and keeps ``counts[pair]`` equal to its number of rows of
    each pair as rows are appended and removed.
    """

    def __init__(self, counts: np.ndarray | None = None, n_sectors: int = 1, **dtypes: np.dtype):
        self.dtypes = dtypes
        self.cols = {name: np.empty(0, dtype=dt) for name, dt in dtypes.items()}
        if counts is not None:
            self.cols["pair"] = np.empty(0, dtype=np.int64)
        self.version = 0  # bumped by every append and keep (rows changed)
        self.counts, self.n_sectors = counts, n_sectors

    def __len__(self) -> int:
        return len(next(iter(self.cols.values())))

    def __getattr__(self, name: str) -> np.ndarray:
        cols = self.__dict__.get("cols")
        if cols is not None and name in cols:
            return cols[name]
        raise AttributeError(name)

    def append(self, **values: np.ndarray) -> None:
        """Add rows; every column must be given (``pair`` is derived)."""
        for name, dt in self.dtypes.items():
            self.cols[name] = np.concatenate([self.cols[name], np.asarray(values[name], dtype=dt)])
        self.version += 1
        if self.counts is not None:
            pairs = pair_key(np.asarray(values["family"]), np.asarray(values["sector"]), self.n_sectors)
            self.cols["pair"] = np.concatenate([self.cols["pair"], pairs])
            add_counts(self.counts, pairs)

    def keep(self, mask: np.ndarray) -> None:
        """Keep only the rows where ``mask`` is True."""
        if mask.all():
            return  # nothing to drop: no copy
        if self.counts is not None:
            add_counts(self.counts, self.cols["pair"][~mask], -1)
        self.cols = dict(zip(self.cols, select(mask, *self.cols.values()), strict=True))
        self.version += 1


def waiting_list(counts: np.ndarray, n_sectors: int) -> Table:
    """Families waiting for an organisation after intake (one row per family-sector-org)."""
    return Table(counts, n_sectors, family=np.int32, sector=np.int8, org=np.int16, since=np.int32,
                 fast_track=np.bool_, referred=np.bool_)


def caseload(counts: np.ndarray, n_sectors: int) -> Table:
    """Families being served (one row per enrolment); ``via_quota``: the place was one reserved by
    a quota (service pass 1), the only places a quota subsidy pays for."""
    return Table(counts, n_sectors, family=np.int32, sector=np.int8, org=np.int16,
                 weeks_left=np.int16, weekly_cost=np.float64, duplicate=np.bool_,
                 via_quota=np.bool_)
