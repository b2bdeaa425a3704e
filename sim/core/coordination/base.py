"""The interface between the model and a coordination mechanism.

A mechanism is set up once, then called at fixed points of the step. It changes the city only
through these hooks, through the composed levers (``model.levers``: ``outreach``, ``capacity``,
``fee_marginalised``, ``budget_per_year``, ``budget_increase_probability``, ``outreach_area``; it
states its own addition or factor, see :mod:`sim.core.levers`), and through
the documented state it may change (organisations' ``quota_share``, ``priority``, ``budget``;
families' ``awareness`` and ``trust``; the model's ``coordination_support`` and
``planning_support``); it reports what it costs each week through :meth:`Mechanism.weekly_cost`
(and, if that cost is paid to organisations, to whom through :meth:`Mechanism.paid_to`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Protocol

import numpy as np

if TYPE_CHECKING:
    from sim.core.casebook import CaseBook
    from sim.core.ledger import Ledger
    from sim.core.levers import Levers
    from sim.core.organisations import OrgTable
    from sim.core.population import Population
    from sim.core.streams import Streams
    from sim.core.world import City
    from sim.scenario.params import Scenario


class ModelView(Protocol):
    """What a mechanism's hooks may use of the model: everything else is the model's own.

    ``tests/test_mechanisms_interface.py`` checks that mechanisms use nothing else.
    """

    params: Scenario  # read only
    week: int  # read only: the current week
    streams: Streams  # draw only from the mechanism's own named stream (e.g. "case_conference")
    city: City  # read only: neighbourhoods
    pop: Population  # read; a mechanism may change families' ``awareness`` and ``trust``
    # (and a hub that assesses a family on a provider's behalf records it: ``assessed`` and
    # ``last_sought`` of the pairs it puts forward, as intake and seeking would)
    orgs: OrgTable  # read; may change ``quota_share``, ``priority`` and ``budget``
    org_service_weeks: np.ndarray  # read only: mean service weeks of each organisation
    book: CaseBook  # read; may drop duplicate rows (``keep``) and queue applications (``apply``)
    levers: Levers  # outreach, capacity, fees, budgets: state an addition or a factor, never write arrays
    ledger: Ledger  # read; a council books its participants' consultations (``add_consultation``)
    coordination_support: float  # 0..1, set by a focal point, read by others
    planning_support: float  # >= 0, raised by an expert pool, read by a council

    def refresh_access(self) -> None:
        """Recompute families' access to providers (after a change of fees)."""


class Mechanism:
    """Base class: every hook does nothing, so a mechanism overrides only what it changes.

    The life cycle (the model drives it): :meth:`setup` when the model is built (work out who
    and where; change nothing), :meth:`start` in the week ``start_at`` (change state: quotas,
    supports), the hooks every week while running, :meth:`stop` in the week ``end_at`` (withdraw
    what it changed). ``start_at`` and ``end_at`` are model weeks: the warm-up's length plus the
    block's ``start_week`` / ``end_week`` (the one time origin, the start of measured time);
    without a ``start_week``, week 0 (in place from the run's start).
    """

    name: ClassVar[str] = "mechanism"

    def __init__(self, params, warmup_weeks: int = 0):
        self.params = params
        start = getattr(params, "start_week", None)
        self.start_at = 0 if start is None else warmup_weeks + start  # None: from the run's start
        end = getattr(params, "end_week", None)
        self.end_at = None if end is None else warmup_weeks + end

    def running(self, week: int) -> bool:
        """Whether the mechanism acts in model week ``week``."""
        return self.start_at <= week and (self.end_at is None or week < self.end_at)

    def end_early(self, week: int) -> None:
        """End the programme in model week ``week`` (a change of administration, a funder's exit):
        the model stops it that week as at its ``end_week``; one not yet started never starts."""
        if self.end_at is None or week < self.end_at:
            self.end_at = week

    def weeks_running(self, model: ModelView) -> int:
        """Whole weeks since the mechanism started (0 in its first week)."""
        return model.week - self.start_at

    def strength(self, model: ModelView) -> float:
        """How far the running mechanism has ramped up (0..1; 1 unless it has a ramp-up); the
        time series' ``strength.<name>`` column (0 before its start and after its end)."""
        return 1.0

    def setup(self, model: ModelView) -> None:
        """Called once after the city and organisations exist: compute, change nothing."""

    def start(self, model: ModelView) -> None:
        """Called in the week the mechanism starts, before its hooks run that week."""

    def stop(self, model: ModelView) -> None:
        """Called in the week the mechanism ends: withdraw its adjustments to the levers (a
        mechanism that changed other state undoes that too)."""
        model.levers.withdraw(self.name)

    def on_budgets(self, model: ModelView) -> None:
        """Phase 1, after funding has arrived."""

    def on_finding(self, model: ModelView) -> None:
        """Phase 3, before families seek help."""

    def visibility(self, model: ModelView, family: np.ndarray, org: np.ndarray,
                   probability: np.ndarray) -> np.ndarray:
        """Chance that ``org`` sees other providers' records of ``family`` (phases 4 and 5)."""
        return probability

    def identify_probability(self, model: ModelView, family: np.ndarray, org: np.ndarray,
                             probability: np.ndarray) -> np.ndarray:
        """Chance that ``org``, taking ``family`` on, spots a need in another sector (phase 6)."""
        return probability

    def fast_track(self, model: ModelView, family: np.ndarray, source: np.ndarray,
                   target: np.ndarray) -> np.ndarray:
        """Referrals that arrive warm and go to the front of the receiving waiting list."""
        return np.zeros(len(family), dtype=bool)

    def referral_completion(self, model: ModelView, family: np.ndarray,
                            source: np.ndarray, target: np.ndarray,
                            probability: np.ndarray) -> np.ndarray:
        """Chance a referral from ``source`` to ``target`` completes (phase 6)."""
        return probability

    def on_coordination(self, model: ModelView) -> None:
        """Phase 7: meetings, reconciliation, training, turnover."""

    def weekly_cost(self, model: ModelView) -> float:
        """Money this mechanism costs in the current week (booked after warm-up)."""
        return 0.0

    def paid_to(self, model: ModelView) -> np.ndarray | None:
        """The part of this week's :meth:`weekly_cost` paid to organisations as revenue (O,),
        e.g. a quota's subsidy (called after ``weekly_cost`` in the same week); None: none."""
        return None

    def setup_cost(self, model: ModelView) -> float:
        """One-off set-up money (including set-up work done during warm-up), booked once, in the
        first week after warm-up."""
        return 0.0
