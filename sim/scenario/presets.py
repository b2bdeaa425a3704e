"""Named coordination models: each preset is a set of mechanism blocks (parameters default,
except who pays, which every preset names: see :data:`PAYERS`)."""

# who pays each mechanism in the presets, and why (docs/model.md, "Who pays")
PAYERS: dict[str, str] = {
    "focal_point": "departments",  # officials on the city's payroll, shared by its departments
    "community_network": "funder",  # a project grant (Flanders' networks were a funded project)
    "shared_registry": "funder",  # national or donor money builds and runs single registries
    "cross_sector_training": "departments",  # departments release and pay for their staff
    "ppp_quota": "departments",  # the public subsidy for quota places comes from the city
    "integrated_platform": "funder",  # hub programmes are funded by national grants
    "pooled_budget": "members",  # the pool's administration comes out of the members' money
    "case_conference": "members",  # members' staff sit in the meetings; they share the convenor
    "council": "members",  # members' staff time and a secretariat they share
}


def _blocks(*kinds: str) -> dict:
    return {kind: {"paid_by": PAYERS[kind]} for kind in kinds}


PRESETS: dict[str, dict] = {
    "silos": {},
    "case_conference": _blocks("case_conference"),
    "council": _blocks("council"),
    "integrated_platform": _blocks("integrated_platform"),
    "pooled_budget": _blocks("pooled_budget"),
    "shared_registry": _blocks("shared_registry"),
    "ppp_quota": _blocks("ppp_quota"),
    "community_network": _blocks("community_network"),
    "council+pooled_budget": _blocks("council", "pooled_budget"),
    "council+focal_point": _blocks("council", "focal_point"),
    "full_integration": _blocks(*PAYERS),
}

DESCRIPTIONS: dict[str, str] = {
    "silos": "no coordination: each organisation works alone",
    "case_conference": "staff of departments and NGOs meet monthly to reconcile the families "
                       "they share, one by one (operational)",
    "council": "a steering group of departments and NGOs meeting 4 times a year; its yearly action "
               "plan moves places, budget and outreach (strategic: no case-by-case reconciliation)",
    "integrated_platform": "3 family hubs in informal settlements: one assessment, warm referrals",
    "pooled_budget": "departments pool 15% of their funding, allocated by unmet need",
    "shared_registry": "a single registry every provider consults 60% of the time",
    "ppp_quota": "private providers reserve 30% of free places for marginalised families, subsidised",
    "community_network": "volunteers in informal settlements and a 3-person expert pool",
    "council+pooled_budget": "a council plus a pooled budget",
    "council+focal_point": "a council kept working by a two-person coordination team (a "
                           "strategic commission, as Brazil's: no case conference)",
    "full_integration": "every mechanism: council, case conference, focal point, hubs, pool, "
                        "registry, training, quotas, community network",
}
