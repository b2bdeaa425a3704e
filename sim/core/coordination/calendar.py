"""Events a fixed number of times a year (meetings, training rounds), spread over the weeks."""

from sim.scenario.schema import WEEKS_PER_YEAR


def due(week: int, per_year: float) -> bool:
    """Whether one of ``per_year`` evenly spread yearly events falls in ``week`` (week 0 has one)."""
    if per_year <= 0:
        return False
    return int(week * per_year // WEEKS_PER_YEAR) != int((week - 1) * per_year // WEEKS_PER_YEAR)
