"""The kinds of disadvantage beyond the marginalised flag: schema only, no behaviour.

A scenario's ``groups:`` block names family attributes such as disability, migrant or
undocumented status, or a language other than the services'. Each is drawn per family (with its
own share among marginalised and other families, so groups overlap as they do in a city) and
carries its own need multipliers, eligibility rules and access barriers. What they do is in
``sim/core/groups.py``; docs/model.md, "More than one kind of disadvantage".
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator

from sim.scenario.schema import Positive, Share, Strict

MAX_GROUPS = 6  # families carry their groups as bits; the ledger counts 2 x 2**groups classes


class GroupParams(Strict):
    """One kind of disadvantage and what it changes for the families who have it."""

    label: str = ""  # in words, for reports ("families with a disabled child")
    # the share of marginalised families and of other families who have it (overlap with the
    # marginalised flag is set by the two shares)
    share_marginalised: Share
    share_other: Share
    # the hazard of each named sector's need events is multiplied by this (1 for sectors not named)
    need_multiplier: dict[str, Positive] = Field(default_factory=dict)
    # the chance to seek help is multiplied by this (fear of authorities, unfamiliar services)
    seek_factor: Annotated[float, Field(ge=0.0, le=1.0)] = 1.0
    # the chance an application is refused at intake for want of documents or a shared language
    # (the family is turned away and loses trust, as when a budget is exhausted)
    intake_barrier: Share = 0.0
    # sectors whose services these families are not entitled to: every application is refused
    not_eligible: list[str] = Field(default_factory=list)

    @field_validator("label")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if "\n" in value:
            raise ValueError("must be one line")
        return value


def check_groups(groups: dict[str, GroupParams], sectors: list[str]) -> None:
    """Refuse too many groups and sector names that are not the scenario's (one line each)."""
    if len(groups) > MAX_GROUPS:
        raise ValueError(f"groups: at most {MAX_GROUPS} kinds of disadvantage, got {len(groups)}")
    for name, group in groups.items():
        if name == "marginalised":
            raise ValueError("groups.marginalised: the marginalised flag is built in (city."
                             "marginalised_share_*); give the group another name")
        for key, named in (("need_multiplier", list(group.need_multiplier)),
                           ("not_eligible", group.not_eligible)):
            unknown = [s for s in named if s not in sectors]
            if unknown:
                raise ValueError(f"groups.{name}.{key}: {unknown[0]!r} is not a sector "
                                 f"(known: {', '.join(sectors)})")
