"""Named random streams, all derived from the run seed (common random numbers).

Each decision draws from its own stream, so switching a coordination mechanism on or off does not
shift the draws for needs, births or ages. Streams are created on first use and cached.
"""

from __future__ import annotations

import zlib

import numpy as np


class Streams:
    """One ``numpy.random.Generator`` per decision name, derived from ``seed`` and the name."""

    def __init__(self, seed: int):
        self.seed = int(seed)
        self._cache: dict[str, np.random.Generator] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        rng = self._cache.get(name)
        if rng is None:
            key = zlib.crc32(name.encode("utf-8"))
            rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(key,)))
            self._cache[name] = rng
        return rng
