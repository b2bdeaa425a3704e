"""What every coordination group that meets has in common: a calendar of meetings, which a
change of administration can pause, and friction that grows with its size.

Used by the council (joint planning) and the case conference (reconciling shared cases).
"""

from __future__ import annotations

from sim.core.coordination import calendar


class MeetingCalendar:
    """Mixin of a mechanism that meets ``params.meetings_per_year`` times a year from its start,
    except while paused (:meth:`pause`: a change of administration)."""

    paused_until = -1  # model week from which it meets again

    def meets(self, model) -> bool:
        """Whether a meeting falls this week (the first in the week the body starts), unless paused."""
        return model.week >= self.paused_until and calendar.due(
            self.weeks_running(model), self.params.meetings_per_year)

    def pause(self, until_week: int) -> None:
        """Hold no meeting before model week ``until_week`` (the meetings due meanwhile are lost)."""
        self.paused_until = max(self.paused_until, until_week)


def group_efficiency(n: int, contention: float, coherence: float) -> float:
    """Per-person efficiency C(n)/n = 1 / (1 + a(n-1) + b n(n-1)) of a group of ``n`` people
    (Universal Scalability Law: ``contention`` a, ``coherence`` b); 0 for an empty group."""
    return 1.0 / (1.0 + contention * (n - 1) + coherence * n * (n - 1)) if n > 0 else 0.0


def friction(coordination_support: float) -> float:
    """Factor on a group's contention and coherence: a focal point (``coordination_support``
    0..1) halves the friction at most."""
    return 1.0 - 0.5 * coordination_support
