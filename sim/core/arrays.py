"""Array helpers of the step: keys, group ranks, sorted membership and filters, in NumPy.

They replace slower NumPy idioms on the step's arrays (``np.unique``, ``np.isin``, ``np.add.at``,
boolean subscripts on mixed masks); ``tests/test_arrays.py`` checks each against plain NumPy.
"""

from __future__ import annotations

import numpy as np


def add_counts(target: np.ndarray, keys: np.ndarray, amount: int = 1) -> None:
    """``target[k] += amount`` for every occurrence of k in ``keys`` (repeats add up).

    Same result as ``np.add.at``, many times faster: repeated keys are counted first.
    """
    if len(keys) == 0:
        return
    keys = np.sort(keys)
    starts = run_starts(keys)
    if len(starts) == len(keys):
        target[keys] += amount  # no repeats: a plain fancy add
        return
    times = run_lengths(starts, len(keys))
    target[keys[starts]] += (amount * times).astype(target.dtype)


def run_starts(sorted_keys: np.ndarray) -> np.ndarray:
    """Indices where a new value begins in a sorted (non-empty) array."""
    flags = np.empty(len(sorted_keys), dtype=bool)
    flags[0] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=flags[1:])
    return flags.nonzero()[0]


def run_lengths(starts: np.ndarray, n: int) -> np.ndarray:
    """Lengths of the runs beginning at ``starts`` (from ``run_starts``) in an array of ``n``."""
    lengths = np.empty(len(starts), dtype=np.int64)
    lengths[:-1] = starts[1:] - starts[:-1]
    lengths[-1] = n - starts[-1]
    return lengths


def sorted_unique(keys: np.ndarray) -> np.ndarray:
    """The distinct keys, sorted (``np.unique`` by sorting: several times faster on int arrays
    of thousands, where NumPy 2 picks a hash table)."""
    keys = np.sort(keys)
    return keys[run_starts(keys)] if len(keys) else keys


def pair_key(family: np.ndarray, sector: np.ndarray, n_sectors: int) -> np.ndarray:
    """Flat index of (family, sector) into an (N, S) array."""
    return family.astype(np.int64) * n_sectors + sector


MOSTLY_KEPT = 0.75  # above this share of rows kept, a boolean subscript is the faster filter


def select(mask: np.ndarray, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """``a[mask]`` for each of ``arrays`` (same length as the boolean ``mask``).

    Unless most rows are kept, the mask is turned into row indices once and each array is
    gathered: a boolean subscript per array costs several times more where the mask is mixed
    (its branches mispredict).
    """
    rows = np.flatnonzero(mask)
    if len(rows) > MOSTLY_KEPT * len(mask):
        return tuple(a[mask] for a in arrays)
    return tuple(a[rows] for a in arrays)


def split_pairs(pairs: np.ndarray, n_sectors: int) -> tuple[np.ndarray, np.ndarray]:
    """(family, sector) of flat non-negative pair indices: ``np.divmod``, about 3x faster
    (NumPy's divmod of int64 arrays takes the slow path of Python's floor semantics)."""
    family = pairs // n_sectors
    sector = family * -n_sectors
    sector += pairs
    return family, sector


def row_key(family: np.ndarray, sector: np.ndarray, org: np.ndarray,
            n_sectors: int, n_orgs: int) -> np.ndarray:
    """Unique integer per (family, sector, organisation)."""
    return pair_key(family, sector, n_sectors) * n_orgs + org


def rank_in_groups(groups: np.ndarray) -> np.ndarray:
    """0, 1, 2... within each run of equal values of an already-sorted ``groups`` array."""
    n = len(groups)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    starts = run_starts(groups)
    return np.arange(n) - np.repeat(starts, run_lengths(starts, n))


def cumsum_in_groups(groups: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Running total of ``values`` within each run of equal ``groups`` (already sorted)."""
    total = np.cumsum(values)
    if len(total) == 0:
        return total
    starts = run_starts(groups)
    before = np.where(starts > 0, total[starts - 1], 0.0)  # the running total before each group
    return total - np.repeat(before, run_lengths(starts, len(groups)))


def first_of_each(keys: np.ndarray) -> np.ndarray:
    """Mask of the first occurrence of each key, in the given order."""
    mask = np.zeros(len(keys), dtype=bool)
    if len(keys):
        order = np.argsort(keys, kind="stable")
        mask[order[run_starts(keys[order])]] = True
    return mask


def contains(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Membership of ``keys`` in an already-sorted key array (faster than ``np.isin``)."""
    if len(sorted_keys) == 0:
        return np.zeros(np.shape(keys), dtype=bool)
    pos = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    return sorted_keys[pos] == keys


def merge_sorted(sorted_keys: np.ndarray, new: np.ndarray) -> np.ndarray:
    """The sorted union of a sorted key array and ``new`` keys (not already in it)."""
    if len(new) == 0:
        return sorted_keys
    # a stable sort of two sorted runs is a single linear merge
    return np.sort(np.concatenate([sorted_keys, np.sort(new)]), kind="stable")


def remove_sorted(sorted_keys: np.ndarray, gone: np.ndarray) -> np.ndarray:
    """A sorted key array without the ``gone`` keys (keys not in it are ignored)."""
    if len(gone) == 0 or len(sorted_keys) == 0:
        return sorted_keys
    pos = np.minimum(np.searchsorted(sorted_keys, gone), len(sorted_keys) - 1)
    keep = np.ones(len(sorted_keys), dtype=bool)
    keep[pos[sorted_keys[pos] == gone]] = False
    return sorted_keys[keep]
