"""Pareto dominance over objective values oriented so that larger is better."""

from __future__ import annotations

import numpy as np


def dominates(a: np.ndarray, b: np.ndarray) -> bool:
    """``a`` dominates ``b`` (oriented values: larger is better): no worse anywhere, better
    somewhere."""
    return bool(np.all(a >= b) and np.any(a > b))


def non_dominated(points: np.ndarray) -> np.ndarray:
    """Mask of the rows of ``points`` (oriented) that no other row dominates."""
    return np.array([not any(dominates(q, p) for j, q in enumerate(points) if j != i)
                     for i, p in enumerate(points)], dtype=bool)
