"""A calendar of future events: which items (family or pair indices) are due in which week.

The due week of every item lives in an array (``due``); the calendar indexes items by blocks of
``BLOCK`` weeks so that finding this week's events does not scan every family (and adding items
does not split them into hundreds of single-week pieces). An item rescheduled later keeps a stale
entry under its old block, which is ignored because ``due`` no longer says that week.
"""

from __future__ import annotations

import numpy as np

BLOCK = 16  # weeks per calendar page


class Schedule:
    """Items by due week, over a flat ``due`` array that the caller keeps up to date."""

    def __init__(self, due: np.ndarray, never: int):
        self.due = due
        self.never = never
        self._pages: dict[int, list[np.ndarray]] = {}

    def add(self, items: np.ndarray) -> None:
        """Index ``items`` under their (already set) due weeks."""
        items = np.asarray(items, dtype=np.int64)
        pages = self.due[items] // BLOCK
        keep = pages < self.never // BLOCK
        items, pages = items[keep], pages[keep]
        if len(items) == 0:
            return
        order = np.argsort(pages, kind="stable")
        items, pages = items[order], pages[order]
        starts = np.flatnonzero(np.concatenate([[True], pages[1:] != pages[:-1]]))
        for page, chunk in zip(pages[starts].tolist(), np.split(items, starts[1:]), strict=True):
            self._pages.setdefault(page, []).append(chunk)

    def due_in(self, week: int) -> np.ndarray:
        """The items due in ``week`` (sorted, each once); a page is dropped after its last week."""
        page = week // BLOCK
        chunks = self._pages.get(page)
        if week % BLOCK == BLOCK - 1:
            self._pages.pop(page, None)
        if not chunks:
            return np.zeros(0, dtype=np.int64)
        if len(chunks) > 1:
            chunks[:] = [np.concatenate(chunks)]
        items = chunks[0]
        return np.unique(items[self.due[items] == week])
