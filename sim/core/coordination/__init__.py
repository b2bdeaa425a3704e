"""Coordination mechanisms (one module each) and the named coordination models (presets)."""
