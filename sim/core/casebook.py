"""The case records of a city and the life cycle of need-episodes on them.

:class:`CaseBook` holds who is on whose books: the waiting lists, the caseloads, the applications
waiting for next week's intake, and per (family, sector) pair how many cases and waiting rows it
has. Phases and mechanisms read and change case records only through it, so the invariants that
tie these together (counts equal to the tables' rows, the unserved list equal to open pairs
without a case) are kept in one place.
"""

from __future__ import annotations

import numpy as np

from sim.core.arrays import contains, merge_sorted, pair_key, remove_sorted, select
from sim.core.caseload import Table, caseload, waiting_list
from sim.core.population import Population


class CaseBook:
    """Waiting lists, caseloads and applications of one city, with their per-pair counts.

    Args:
        pop: the city's families (open episodes are read from it and changed through
            :meth:`open_episodes` and :meth:`close_episodes`).
        n_orgs: number of service organisations.
    """

    def __init__(self, pop: Population, n_orgs: int):
        self.pop, self.n_orgs = pop, n_orgs
        n, s = pop.n, pop.n_sectors
        # per (family, sector): cases open and waiting-list rows, kept by the tables themselves
        self.serving = np.zeros(n * s, dtype=np.int32).reshape(n, s)
        self.waiting_count = np.zeros(n * s, dtype=np.int32).reshape(n, s)
        self.waiting: Table = waiting_list(self.waiting_count.reshape(-1), s)
        self.cases: Table = caseload(self.serving.reshape(-1), s)
        self.applications: Table = _empty_applications()
        self._pair_flag = np.zeros(n * s, dtype=bool)  # scratch for held(): all False between calls
        self._unserved: dict = {}
        self._by_org: tuple = ((), None)

    # ------------------------------------------------------------ open needs without a case
    def unserved_pairs(self, not_waiting: bool = False) -> np.ndarray:
        """Sorted flat (family, sector) pairs with an open episode and no case (nor waiting row)."""
        version = self._version()
        cached = self._unserved.get(not_waiting)
        if cached is not None and cached[0] == version:
            return cached[1]
        if not_waiting:  # a subset of the unserved pairs
            unserved = self.unserved_pairs()
            (unserved,) = select(self.waiting_count.reshape(-1)[unserved] == 0, unserved)
        else:
            pairs = self.pop.open_pairs
            (unserved,) = select(self.serving.reshape(-1)[pairs] == 0, pairs)
        self._unserved[not_waiting] = (version, unserved)
        return unserved

    def _version(self) -> tuple[int, int, int, int]:
        return (self.pop.opened_version, self.pop.closed_version, self.cases.version,
                self.waiting.version)

    # ------------------------------------------------------------ per organisation
    def by_org(self) -> tuple[np.ndarray, np.ndarray]:
        """(caseload, waiting): cases open and waiting-list rows per organisation, (O,) each;
        one ``np.bincount`` per table, recomputed only after the tables change."""
        version = (self.cases.version, self.waiting.version)
        if self._by_org[0] != version:
            counts = tuple(np.bincount(t.org, minlength=self.n_orgs) for t in (self.cases, self.waiting))
            self._by_org = (version, counts)
        return self._by_org[1]

    # ------------------------------------------------------------ the episode life cycle
    def open_episodes(self, pairs: np.ndarray, week: int) -> None:
        """Open need-episodes at the sorted flat ``pairs`` in ``week`` (they are unserved)."""
        current = self._current_unserved()
        self.pop.open_episodes(pairs, week)
        self._restamp_unserved(current, lambda unserved: merge_sorted(unserved, pairs))

    def close_episodes(self, pairs: np.ndarray) -> None:
        """Close the episodes at flat ``pairs`` and drop their waiting rows, cases and applications."""
        current = self._current_unserved()
        self.pop.close_episodes(pairs)
        self.drop_closed(pairs)  # rows of closed episodes only: no open pair changes status
        self._restamp_unserved(current, lambda unserved: remove_sorted(unserved, pairs))

    def _current_unserved(self) -> dict:
        version = self._version()
        return {key: arr for key, (v, arr) in self._unserved.items() if v == version}

    def _restamp_unserved(self, current: dict, update) -> None:
        """Carry the unserved lists that were current across an opening or closing of episodes."""
        version = self._version()
        self._unserved = {key: (version, update(arr)) for key, arr in current.items()}

    def drop_closed(self, pairs: np.ndarray) -> None:
        """Remove every waiting-list row, case and application of the closed episodes ``pairs``."""
        start = self.pop.need_start.reshape(-1)
        for table in (self.waiting, self.cases, self.applications):
            # a table that counts its rows per pair is scanned only if it holds a closed pair
            if len(table) and (table.counts is None or table.counts[pairs].any()):
                rows = (table.pair if table.counts is not None
                        else pair_key(table.family, table.sector, self.pop.n_sectors))
                table.keep(start[rows] >= 0)

    # ------------------------------------------------------------ applications and holdings
    def held(self, pairs: np.ndarray, orgs: np.ndarray) -> np.ndarray:
        """Mask (shape of ``orgs``): the flat (family, sector) ``pairs`` (broadcast against
        ``orgs``) already have a waiting-list row or a case at ``orgs``.

        Only the rows of the asked pairs are looked at (found through a scratch flag per pair),
        so the cost follows the tables' length once, not a sort of every row.
        """
        pairs, orgs = np.broadcast_arrays(pairs, orgs)
        n_orgs, flag = self.n_orgs, self._pair_flag
        flag[pairs] = True
        asked = [(t, flag[t.pair]) for t in (self.waiting, self.cases)]
        rows = [(t.pair[m], t.org[m]) for t, m in asked]
        flag[pairs] = False
        keys = np.sort(np.concatenate([p * n_orgs + o for p, o in rows]))
        return contains(keys, pairs * n_orgs + orgs)

    def apply(self, family, sector, org, source: int, fast_track=None) -> None:
        """Queue applications (seeking, outreach or referral) for the next intake."""
        fast = np.zeros(len(family), dtype=bool) if fast_track is None else fast_track
        self.applications.append(family=family, sector=sector, org=org,
                                 source=np.full(len(family), source), fast_track=fast)

    def clear_applications(self) -> None:
        self.applications = _empty_applications()


def _empty_applications() -> Table:
    return Table(family=np.int32, sector=np.int8, org=np.int16, source=np.int8, fast_track=np.bool_)
