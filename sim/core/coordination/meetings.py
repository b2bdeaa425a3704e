"""What every coordination group that meets has in common: friction grows with its size.

Used by the council (joint planning) and the case conference (reconciling shared cases).
"""

from __future__ import annotations


def group_efficiency(n: int, contention: float, coherence: float) -> float:
    """Per-person efficiency C(n)/n = 1 / (1 + a(n-1) + b n(n-1)) of a group of ``n`` people
    (Universal Scalability Law: ``contention`` a, ``coherence`` b); 0 for an empty group."""
    return 1.0 / (1.0 + contention * (n - 1) + coherence * n * (n - 1)) if n > 0 else 0.0


def friction(coordination_support: float) -> float:
    """Factor on a group's contention and coherence: a focal point (``coordination_support``
    0..1) halves the friction at most."""
    return 1.0 - 0.5 * coordination_support
