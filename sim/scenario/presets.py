"""Named coordination models: each preset is a set of mechanism blocks (parameters default)."""

PRESETS: dict[str, dict] = {
    "silos": {},
    "council": {"council": {}},
    "integrated_platform": {"integrated_platform": {}},
    "pooled_budget": {"pooled_budget": {}},
    "shared_registry": {"shared_registry": {}},
    "ppp_quota": {"ppp_quota": {}},
    "community_network": {"community_network": {}},
    "council+pooled_budget": {"council": {}, "pooled_budget": {}},
    "council+focal_point": {"council": {}, "focal_point": {}},
    "full_integration": {
        "focal_point": {}, "community_network": {}, "shared_registry": {},
        "cross_sector_training": {}, "ppp_quota": {}, "integrated_platform": {},
        "pooled_budget": {}, "council": {},
    },
}

DESCRIPTIONS: dict[str, str] = {
    "silos": "no coordination: each organisation works alone",
    "council": "a steering group of departments and NGOs meeting 4 times a year",
    "integrated_platform": "3 family hubs in informal settlements: one assessment, warm referrals",
    "pooled_budget": "departments pool 15% of their funding, allocated by unmet need",
    "shared_registry": "a single registry every provider consults 60% of the time",
    "ppp_quota": "private providers reserve 30% of free places for marginalised families, subsidised",
    "community_network": "volunteers in informal settlements and a 3-person expert pool",
    "council+pooled_budget": "a council plus a pooled budget",
    "council+focal_point": "a council kept working by a two-person coordination team",
    "full_integration": "every mechanism: council, focal point, hubs, pool, registry, training, "
                        "quotas, community network",
}
