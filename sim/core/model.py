"""CoordinationModel: the Mesa model. Thin: it holds state and runs the phases in order."""

from __future__ import annotations

import numpy as np
import pandas as pd
from mesa import DataCollector, Model

from sim.core.agents import REPORTERS, Family, make_organisation_agents
from sim.core.casebook import CaseBook
from sim.core.coordination.members import payer_shares
from sim.core.coordination.registry import build_mechanisms
from sim.core.funders import Funders
from sim.core.invariants import check_invariants
from sim.core.ledger import Ledger
from sim.core.levers import Levers
from sim.core.metrics import summarise, weekly
from sim.core.organisations import OrgTable
from sim.core.outcomes import FullPackage, Indicators
from sim.core.phases import budgets, finding, intake, needs, referral, service
from sim.core.politics import Politics
from sim.core.population import Population
from sim.core.sectors import SectorTable
from sim.core.shocks import Shocks
from sim.core.streams import Streams
from sim.core.world import build_city
from sim.scenario.params import Scenario
from sim.scenario.schema import WEEKS_PER_YEAR


class CoordinationModel(Model):
    """A city of families and service providers under a coordination model.

    One step is one week and runs the phases of docs/model.md (section 3) in this order:

    0. events       elections and funders' terms (only in scenarios with ``politics:`` or
                    ``funders:``); then mechanisms start and stop
    1. budgets      funding arrives on each cycle; fiscal year ends lapse unspent money
    2. needs        children age and are born; needs arise, escalate, lapse
    3. finding      families seek help; outreach finds families; mechanisms raise awareness
    4. intake       providers assess new applicants (unless a shared record is seen)
    5. service      capacity- and budget-limited service by a priority rule; needs are met
    6. referral     providers spot other needs and refer; hand-offs complete or are lost
    7. coordination mechanisms meet, reconcile, train; their weekly cost is booked
    8. accounting   unmet need-weeks, then the DataCollector records every metric (and each
                    organisation agent's reporters, :data:`sim.core.agents.REPORTERS`)

    Before phase 1, dated mechanisms start or stop and the scenario's shocks act
    (:mod:`sim.core.shocks`).

    Randomness: every draw goes through the named streams (``self.streams``,
    :mod:`sim.core.streams`); Mesa's ``rng`` and ``random`` are seeded but never used.

    Args:
        scenario: a validated :class:`~sim.scenario.params.Scenario`.
        seed: run seed (defaults to ``scenario.seed``); every random stream derives from it.
        check: verify the model's invariants after every step (raises ``InvariantError``).
        organisation_reporters: collect the organisation agents' reporters every week (``sim run``,
            ``sim.run``, the workshop page); sweep workers and benchmarks turn it off (a sweep keeps
            one row of scalars per run; the collection costs 0.5-2% of a step).
    """

    def __init__(self, scenario: Scenario, *, seed: int | None = None, check: bool = False,
                 organisation_reporters: bool = True):
        seed = int(scenario.seed if seed is None else seed)
        # Mesa's rng/random are seeded for completeness only: the model owns all of its
        # randomness through the named streams below (tests/test_organisations.py checks it)
        super().__init__(rng=seed)
        self.params = scenario
        self.seed = seed
        self.check = check
        self.week = 0
        self.streams = Streams(seed)
        self.sector_names = scenario.sector_names
        self.sectors = SectorTable(scenario)
        self.city = build_city(scenario, self.streams["world.city"])
        self.shocks = Shocks(scenario, self.city, self.streams)  # dated events; arriving families
        self.pop = Population(scenario, self.city, self.sectors.age_band_weeks,
                              self.streams["world.families"], self.streams["world.groups"],
                              extra=self.shocks.families)
        self.orgs = OrgTable(scenario, self.city, self.streams["world.sites"])
        self.levers = Levers(self.orgs)  # outreach, capacity, fees: mechanisms' adjustments composed
        self.org_service_weeks = np.array(
            [self.sectors.expected_service_weeks[self.orgs.serves[o]].mean() for o in range(self.orgs.size)])
        self.hazard_group = self.pop.marginalised.astype(np.int64) * 2 + self.pop.informal
        self.coordination_support = 0.0  # 0..1, raised by a focal point
        self.planning_support = 0.0  # >= 0, raised by an expert pool
        self.refresh_access()
        self.book = CaseBook(self.pop, self.orgs.size)  # waiting lists, caseloads, applications
        self.ledger = Ledger(len(self.sector_names), scenario.time.warmup_weeks, self.city.size,
                             self.orgs.size, follow_up=scenario.time.follow_up_weeks,
                             group_names=tuple(self.pop.groups.names))
        self.ledger.package = FullPackage(self.pop.n, scenario.time.warmup_weeks,
                                          scenario.time.follow_up_weeks, self.pop.groups.n_classes)
        self.ledger.indicators = Indicators(self.sectors.indicator, self.sectors.indicator_age_weeks,
                                            scenario.time.warmup_weeks)
        self.last_need_events = np.zeros(0, dtype=np.int64)
        needs.schedule_needs(self, np.flatnonzero(self.pop.eligible), first_week=0)
        self.organisations = make_organisation_agents(self)
        self.all_mechanisms = build_mechanisms(scenario.coordination, scenario.time.warmup_weeks)
        for mechanism in self.all_mechanisms:
            mechanism.setup(self)
        self.payers = {m.name: payer_shares(self, m.params) for m in self.all_mechanisms}
        self.mechanisms: list = []  # those running this week, in step order
        self.events = scheduled_events(self)  # elections, funders' terms: only if the scenario has them
        self.metrics: dict[str, float] = summarise(self.ledger, self.sector_names)
        self.metrics_weekly: dict[str, float] = weekly(self.ledger)  # time series only
        running = {f"strength.{m.name}": _strength_reporter(m) for m in self.all_mechanisms}
        events = {k: v for event in (*self.events, self.shocks) for k, v in event.reporters().items()}
        self.datacollector = DataCollector(
            model_reporters={**{name: _reporter(name) for name in ("week", *self.metrics)},
                             **{name: _weekly_reporter(name) for name in self.metrics_weekly},
                             **running, **events},
            agent_reporters={name: name for name in REPORTERS} if organisation_reporters else None)
        self.running = True

    # ----------------------------------------------------------------- the step
    def step(self) -> None:
        """Advance one week (the phase order is in the class docstring)."""
        for event in self.events:  # an election or a funder's exit may end mechanisms this week
            event.step(self)
        self._start_and_stop_mechanisms()
        self.shocks.weekly(self)  # this week's shocks start or end (sim/core/shocks.py)
        budgets.fund(self)
        for m in self.mechanisms:
            m.on_budgets(self)
        needs.age_and_birth(self)
        needs.arise(self)
        needs.escalate_and_lapse(self)
        for m in self.mechanisms:
            m.on_finding(self)
        finding.seek_help(self)
        finding.outreach(self)
        intake.take_in(self)
        started = service.serve(self)
        referral.refer(self, started)
        for m in self.mechanisms:
            m.on_coordination(self)
        self._account()
        if self.check:
            check_invariants(self)
        self.week += 1
        if self.week >= self.params.time.steps:
            self.running = False

    def run(self, steps: int | None = None, progress=None) -> None:
        """Run ``steps`` weeks (default: to the scenario's horizon); ``progress(week)`` per step."""
        end = self.params.time.steps if steps is None else self.week + steps
        while self.week < end:
            self.step()
            if progress is not None:
                progress(self.week)

    def _start_and_stop_mechanisms(self) -> None:
        """Start the mechanisms whose start week this is, stop those whose end week it is."""
        for m in self.all_mechanisms:
            if self.week == m.start_at and m.running(self.week):  # not if ended before it began
                m.start(self)
            if m.end_at is not None and self.week == m.end_at and m.start_at < self.week:
                m.stop(self)
        self.mechanisms = [m for m in self.all_mechanisms if m.running(self.week)]

    def _account(self) -> None:
        led = self.ledger
        counted = led.counts(self.week)
        if counted:
            led.unmet_need_weeks += float(len(self.book.unserved_pairs()))
            led.child_weeks += float(self.pop.children.count)
            led.weeks += 1
            led.close_follow_up(self.week)
            led.package.judge(self.week, self.pop.family_class, self.pop.children.birth_week)
            led.indicators.survey(self.week, self.pop, self.book.cases)
            if led.weeks % WEEKS_PER_YEAR == 0:  # a new measured year: children reached afresh
                self.pop.children.reached[:] = 0
        for m in self.mechanisms:
            # set-up money is booked in the first week its costs count (set-up work done before
            # measured time is included), and paid by the payers in that week too
            first_booked = self.week == max(m.start_at, led.warmup)
            cost = m.weekly_cost(self) + (m.setup_cost(self) if first_booked else 0.0)
            shares = self.payers[m.name]
            if shares is not None:
                self.orgs.coordination_due += cost * shares
            if counted:
                led.add_coordination(m.name, cost, from_budgets=shares is not None)
                revenue = m.paid_to(self)  # the part of this week's cost paid to organisations
                if revenue is not None:
                    led.org_subsidy_revenue += revenue
        self.metrics = summarise(led, self.sector_names)
        self.metrics_weekly = weekly(led)
        self.datacollector.collect(self)

    # ---------------------------------------------------------- mechanisms' adjustments
    def visibility(self, family: np.ndarray, org: np.ndarray) -> np.ndarray:
        """Chance each ``org`` sees other providers' records of ``family`` (mechanisms add)."""
        p = self.orgs.visibility[org]
        for m in self.mechanisms:
            p = m.visibility(self, family, org, p)
        return p

    def identify_probability(self, family: np.ndarray, org: np.ndarray) -> np.ndarray:
        """Chance each ``org`` spots a family's need in another sector, after mechanisms."""
        p = self.orgs.identify_probability[org]
        for m in self.mechanisms:
            p = m.identify_probability(self, family, org, p)
        return np.clip(p, 0.0, 1.0)

    def fast_track(self, family, source, target) -> np.ndarray:
        """Referrals any mechanism makes warm (front of the receiving waiting list)."""
        fast = np.zeros(len(family), dtype=bool)
        for m in self.mechanisms:
            fast |= m.fast_track(self, family, source, target)
        return fast

    def referral_completion(self, family, source, target, probability) -> np.ndarray:
        """Completion chance of each referral after every mechanism's adjustment."""
        for m in self.mechanisms:
            probability = m.referral_completion(self, family, source, target, probability)
        return np.clip(probability, 0.0, 1.0)

    def family(self, index: int) -> Family:
        """A read-only view of one family, for inspection (not used in the step)."""
        return Family(self, index)

    def summary(self) -> dict[str, float]:
        """The run summary: every metric over the measurement window so far."""
        return dict(self.metrics)

    def timeseries(self):
        """One row per step: the week and every metric (a pandas DataFrame)."""
        return self.datacollector.get_model_vars_dataframe()

    def organisation_table(self) -> pd.DataFrame:
        """One row per organisation per step: week, organisation, kind and the agents' reporters
        (empty without ``organisation_reporters``)."""
        columns = ["week", "organisation", "kind", *REPORTERS[1:]]
        if not self.datacollector.agent_reporters:
            return pd.DataFrame(columns=columns)
        frame = self.datacollector.get_agent_vars_dataframe().reset_index()
        frame["organisation"] = frame["AgentID"].map({a.unique_id: a.name for a in self.organisations})
        frame["kind"] = frame["AgentID"].map({a.unique_id: a.kind for a in self.organisations})
        return frame[columns]

    @property
    def years_elapsed(self) -> float:
        return self.week / WEEKS_PER_YEAR

    # ---------------------------------------------------------------- set-up
    def refresh_access(self) -> None:
        """Recompute ``access`` (H, 2, O): each provider's weight for a family by neighbourhood
        and vulnerability (distance decay x fee take-up x eligibility); call after changing fees."""
        fp, orgs = self.params.families, self.orgs
        distance = np.exp(-orgs.distance_km / fp.travel_km_scale)  # (H, O)
        take_up = np.stack([1.0 - orgs.fee * fp.fee_sensitivity,
                            1.0 - orgs.fee_marginalised * fp.fee_sensitivity_marginalised])
        eligible = np.stack([~orgs.marginalised_only, np.ones(orgs.size, dtype=bool)])
        self.access = distance[:, None, :] * (take_up * eligible)[None, :, :]


def scheduled_events(model: CoordinationModel) -> list:
    """The dated events of the scenario, stepped at the start of each week: elections
    (:mod:`sim.core.politics`) and funders' terms (:mod:`sim.core.funders`)."""
    events: list = []
    time = model.params.time
    if model.params.politics is not None:
        events.append(Politics(model.params.politics, time.warmup_weeks, time.steps))
    if model.params.funders:
        events.append(Funders(model))
    return events


def _strength_reporter(mechanism):
    return lambda model: mechanism.strength(model) if mechanism.running(model.week) else 0.0


def _weekly_reporter(name: str):
    return lambda model: model.metrics_weekly[name]


def _reporter(name: str):
    if name == "week":
        return lambda model: model.week
    return lambda model: model.metrics[name]
