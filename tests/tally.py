"""Counts of what the robustness tests tried (bad inputs, fault injections), for the record.

`make test` and `make fuzz` print them at the end and write results/reliability-tally.json.
"""

from collections import Counter

COUNTS: Counter = Counter()


def tally(kind: str, n: int = 1) -> None:
    """Add ``n`` to the count of ``kind``."""
    COUNTS[kind] += n
