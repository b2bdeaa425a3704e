"""More than one kind of disadvantage: each family's groups and what they change, as arrays.

A family carries its groups (``scenario.groups``: disability, migrant status, language...) as
bits. What they change is tabulated once per combination of groups, so a phase looks a family's
factor up by its bits: need hazards (``need_factor``), the chance to seek help
(``seek_factor``) and the chance an application is refused at intake (``barrier``: documents,
language, or no entitlement at all). The ledger counts episodes by **family class** =
marginalised + 2 x bits, so coverage can be read for each group and for overlapping groups
(e.g. marginalised and migrant). Without groups every family's class is its marginalised flag,
nothing is drawn and nothing changes.
"""

from __future__ import annotations

import numpy as np

from sim.scenario.params import Scenario


class FamilyGroups:
    """The groups of each family, and per combination of groups what they change.

    Attributes:
        names: the groups, in the scenario's order (bit i is group i).
        bits: (N,) uint8, bit i set when the family belongs to group i.
        family_class: (N,) marginalised + 2 x bits (the ledger's group axis).
        n_classes: 2 x 2**groups.
        need_factor: (2**G, S) multiplier of need hazards, or None when every factor is 1.
        seek_factor: (2**G,) multiplier of the chance to seek help, or None when all are 1.
        barrier: (2**G, S) chance an application is refused at intake, or None when all are 0.
    """

    def __init__(self, scenario: Scenario, marginalised: np.ndarray, rng: np.random.Generator):
        specs = list(scenario.groups.values())
        self.names = list(scenario.groups)
        n, g, sectors = len(marginalised), len(specs), scenario.sector_names
        self.bits = np.zeros(n, dtype=np.uint8)
        for i, spec in enumerate(specs):  # drawn only when the scenario has groups
            share = np.where(marginalised, spec.share_marginalised, spec.share_other)
            self.bits |= (rng.random(n) < share).astype(np.uint8) << np.uint8(i)
        self.family_class = marginalised.astype(np.int64) + 2 * self.bits.astype(np.int64)
        self.n_classes = 2 * 2**g
        has = ((np.arange(2**g)[:, None] >> np.arange(g)) & 1).astype(bool)  # (2**G, G)
        need = np.array([[spec.need_multiplier.get(s, 1.0) for s in sectors] for spec in specs])
        refused = np.array([[1.0 if s in spec.not_eligible else spec.intake_barrier
                             for s in sectors] for spec in specs])
        seek = np.array([spec.seek_factor for spec in specs])
        # per combination: factors multiply; refusals are independent (refused by any)
        need_factor = _combine(has, need.reshape(g, len(sectors)), 1.0)
        self.need_factor = None if (need_factor == 1.0).all() else need_factor
        seek_factor = _combine(has, seek[:, None], 1.0)[:, 0]
        self.seek_factor = None if (seek_factor == 1.0).all() else seek_factor
        barrier = 1.0 - _combine(has, 1.0 - refused.reshape(g, len(sectors)), 1.0)
        self.barrier = barrier if barrier.any() else None


def _combine(has: np.ndarray, per_group: np.ndarray, absent: float) -> np.ndarray:
    """(2**G, K) product over the groups of each combination of ``per_group`` (G, K) factors
    (``absent`` for the groups a combination does not have)."""
    values = np.where(has[:, :, None], per_group[None, :, :], absent)  # (2**G, G, K)
    return np.prod(values, axis=1)
