"""Events a fixed number of times a year (meetings, training rounds), spread over the weeks."""

from sim.scenario.schema import WEEKS_PER_YEAR


def due(week: int, per_year: float) -> bool:
    """Whether one of ``per_year`` evenly spread yearly events falls in ``week`` (week 0 has one)."""
    if per_year <= 0:
        return False
    return int(week * per_year // WEEKS_PER_YEAR) != int((week - 1) * per_year // WEEKS_PER_YEAR)


def first_in_run(week: int, period: int) -> int:
    """The first of the dates ``week + k x period`` (k = 0, 1, ...; ``period`` >= 1) that falls at
    or after model week 0: a dated cycle that began before the run keeps its calendar."""
    return week if week >= 0 else week + -(week // period) * period
