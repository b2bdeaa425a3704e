"""Which organisations take part in a mechanism, as a scenario says it: a group name or a list of
names (the schema side; ``sim.core.coordination.members.member_mask`` resolves it in a model)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.scenario.schema import OrgKind

if TYPE_CHECKING:
    from sim.scenario.params import Scenario

GROUPS = {
    "all": lambda kind: True,
    "departments": lambda kind: kind == OrgKind.DEPARTMENT,
    "ngos": lambda kind: kind == OrgKind.NGO,
    "private": lambda kind: kind == OrgKind.PRIVATE,
    "public_and_ngos": lambda kind: kind != OrgKind.PRIVATE,
}

Members = str | list[str]


def check_members(scenario: Scenario, members: Members, where: str) -> None:
    """Raise ValueError naming ``where`` if a group or organisation name is unknown."""
    if isinstance(members, str):
        if members not in GROUPS:
            raise ValueError(f"{where}: unknown group {members!r} (groups: {', '.join(GROUPS)}, "
                             "or a list of organisation names)")
        return
    unknown = [m for m in members if m not in scenario.organisations]
    if unknown:
        raise ValueError(f"{where}: unknown organisation {unknown[0]!r} "
                         f"(known: {', '.join(scenario.organisations)})")
