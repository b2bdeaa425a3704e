"""What a scenario is: schema, parameters, loading (files, extends, --set, presets), limits."""
