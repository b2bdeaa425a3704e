"""A calendar of future events: which items (family or pair indices) are due in which week.

The due week of every item lives in an array (``due``); the calendar indexes items by week so
that finding this week's events does not scan every family. An item rescheduled later keeps a
stale entry under its old week, which is ignored because ``due`` no longer says that week.
"""

from __future__ import annotations

import numpy as np


class Schedule:
    """Items by due week, over a flat ``due`` array that the caller keeps up to date."""

    def __init__(self, due: np.ndarray, never: int):
        self.due = due
        self.never = never
        self._by_week: dict[int, list[np.ndarray]] = {}

    def add(self, items: np.ndarray) -> None:
        """Index ``items`` under their (already set) due weeks."""
        items = np.asarray(items, dtype=np.int64)
        weeks = self.due[items]
        keep = weeks < self.never
        items, weeks = items[keep], weeks[keep]
        if len(items) == 0:
            return
        order = np.argsort(weeks, kind="stable")
        items, weeks = items[order], weeks[order]
        starts = np.flatnonzero(np.r_[True, weeks[1:] != weeks[:-1]])
        for week, chunk in zip(weeks[starts].tolist(), np.split(items, starts[1:]), strict=True):
            self._by_week.setdefault(week, []).append(chunk)

    def due_in(self, week: int) -> np.ndarray:
        """The items due in ``week`` (sorted, each once), removed from the calendar."""
        chunks = self._by_week.pop(week, None)
        if not chunks:
            return np.zeros(0, dtype=np.int64)
        items = np.unique(np.concatenate(chunks))
        return items[self.due[items] == week]
