"""A calendar of future events: which items (family or pair indices) are due in which week.

The due week of every item lives in an array (``due``); the calendar indexes items by blocks of
``BLOCK`` weeks so that finding this week's events does not scan every family (and adding items
does not split them into hundreds of single-week pieces). An item rescheduled later keeps a stale
entry under its old block, which is ignored because ``due`` no longer says that week.

Items due at or after the run's ``horizon`` are set aside unsorted (most waits of rare events
end after the run): they are indexed only if a week past the horizon is ever asked for, and the
set-aside entries are compacted (stale ones dropped) whenever they outnumber the items.

Each page keeps copies of its slices, not views: a view would keep the whole array of one ``add``
alive until the last of its pages came due, so memory would grow with every event of the run.
"""

from __future__ import annotations

import numpy as np

from sim.core.arrays import sorted_unique

BLOCK = 16  # weeks per calendar page


class Schedule:
    """Items by due week, over a flat ``due`` array that the caller keeps up to date."""

    def __init__(self, due: np.ndarray, never: int, horizon: int | None = None):
        self.due = due
        self.never = never
        self.horizon = never if horizon is None else min(horizon, never)
        self._pages: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}  # page -> (items, weeks)
        self._later: list[np.ndarray] = []  # items due at or after the horizon

    def add(self, items: np.ndarray) -> None:
        """Index ``items`` under their (already set) due weeks."""
        items = np.asarray(items, dtype=np.int64)
        weeks = self.due[items].astype(np.int64)
        soon = weeks < self.horizon
        if self.horizon < self.never and not soon.all():
            self._set_aside(items[~soon & (weeks < self.never)])
            items, weeks = items[soon], weeks[soon]
        else:
            keep = weeks < self.never
            items, weeks = items[keep], weeks[keep]
        if len(items) == 0:
            return
        order = np.argsort(weeks // BLOCK, kind="stable")
        items, weeks = items[order], weeks[order]
        pages = weeks // BLOCK
        starts = np.flatnonzero(np.concatenate([[True], pages[1:] != pages[:-1]]))
        ends = np.append(starts[1:], len(items))
        weeks = weeks.astype(np.int32)
        for page, a, b in zip(pages[starts].tolist(), starts.tolist(), ends.tolist(), strict=True):
            self._pages.setdefault(page, []).append((items[a:b].copy(), weeks[a:b].copy()))

    def _set_aside(self, items: np.ndarray) -> None:
        """Keep ``items`` (due at or after the horizon) for later; drop stale entries once they
        outnumber the items."""
        self._later.append(items)
        if sum(len(chunk) for chunk in self._later) > len(self.due):
            later = np.unique(np.concatenate(self._later))
            self._later = [later[self.due[later] >= self.horizon]]

    def due_in(self, week: int) -> np.ndarray:
        """The items due in ``week`` (sorted, each once); a page is dropped after its last week."""
        if week >= self.horizon:  # past the run's horizon: index what was set aside
            later, self._later, self.horizon = self._later, [], self.never
            if later:
                self.add(np.concatenate(later))
        page = week // BLOCK
        chunks = self._pages.get(page)
        if week % BLOCK == BLOCK - 1:
            self._pages.pop(page, None)
        if not chunks:
            return np.zeros(0, dtype=np.int64)
        if len(chunks) > 1:
            chunks[:] = [(np.concatenate([c[0] for c in chunks]),
                          np.concatenate([c[1] for c in chunks]))]
        items, weeks = chunks[0]
        items = items[weeks == week]  # as scheduled; then drop entries rescheduled since
        return sorted_unique(items[self.due[items] == week])
