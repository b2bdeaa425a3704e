"""Which mechanism class each kind of coordination block builds, and building them in step order.

Adding a mechanism: its parameter block in ``sim/scenario/mechanisms.py``, its field in
``sim/scenario/coordination.py``, its behaviour module, and one line here.
"""

from __future__ import annotations

from sim.core.coordination.base import Mechanism
from sim.core.coordination.community_network import CommunityNetwork
from sim.core.coordination.council import Council
from sim.core.coordination.focal_point import FocalPoint
from sim.core.coordination.platform import IntegratedPlatform
from sim.core.coordination.pooled_budget import PooledBudget
from sim.core.coordination.ppp_quota import PppQuota
from sim.core.coordination.shared_registry import SharedRegistry
from sim.core.coordination.training import CrossSectorTraining
from sim.scenario.coordination import CoordinationSpec

MECHANISMS: dict[str, type[Mechanism]] = {cls.name: cls for cls in (
    FocalPoint, CommunityNetwork, SharedRegistry, CrossSectorTraining, PppQuota, IntegratedPlatform,
    PooledBudget, Council)}


def build_mechanisms(spec: CoordinationSpec) -> list[Mechanism]:
    """One mechanism object per enabled block of ``spec``, in step order."""
    return [MECHANISMS[params.kind](params) for params in spec.mechanisms()]
