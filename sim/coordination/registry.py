"""Which mechanism class each kind of coordination block builds, and building them in step order.

Adding a mechanism: its parameter block in ``sim/coordination/parameters.py``, its field in
``sim/coordination/spec.py``, its behaviour module, and one line here.
"""

from __future__ import annotations

from sim.coordination.base import Mechanism
from sim.coordination.community_network import CommunityNetwork
from sim.coordination.council import Council
from sim.coordination.focal_point import FocalPoint
from sim.coordination.platform import IntegratedPlatform
from sim.coordination.pooled_budget import PooledBudget
from sim.coordination.ppp_quota import PppQuota
from sim.coordination.shared_registry import SharedRegistry
from sim.coordination.spec import CoordinationSpec
from sim.coordination.training import CrossSectorTraining

MECHANISMS: dict[str, type[Mechanism]] = {cls.name: cls for cls in (
    FocalPoint, CommunityNetwork, SharedRegistry, CrossSectorTraining, PppQuota, IntegratedPlatform,
    PooledBudget, Council)}


def build_mechanisms(spec: CoordinationSpec) -> list[Mechanism]:
    """One mechanism object per enabled block of ``spec``, in step order."""
    return [MECHANISMS[params.kind](params) for params in spec.mechanisms()]
