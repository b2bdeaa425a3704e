"""Named coordination models: each preset is a set of enabled mechanism blocks."""

PRESETS: dict[str, dict] = {
    "silos": {},
}

DESCRIPTIONS: dict[str, str] = {
    "silos": "no coordination: each organisation works alone",
}
