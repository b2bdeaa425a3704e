"""The model: city and families, organisations, case records, phases, mechanisms, metrics."""
