"""CoordinationModel: the Mesa model. Thin: it holds state and runs the phases in order."""

from __future__ import annotations

import numpy as np
from mesa import DataCollector, Model

from sim.agents import Family, make_organisation_agents
from sim.caseload import (
    Table,
    caseload,
    contains,
    merge_sorted,
    pair_key,
    remove_sorted,
    select,
    waiting_list,
)
from sim.coordination.registry import build_mechanisms
from sim.invariants import check_invariants
from sim.ledger import Ledger
from sim.metrics import summarise
from sim.organisations import OrgTable
from sim.params import Scenario
from sim.phases import budgets, finding, intake, needs, referral, service
from sim.population import Population
from sim.schema import WEEKS_PER_YEAR
from sim.sectors import SectorTable
from sim.streams import Streams
from sim.world import build_city


class CoordinationModel(Model):
    """A city of families and service providers under a coordination model.

    One step is one week and runs the phases of docs/model.md (section 3) in this order:

    1. budgets      funding arrives on each cycle; fiscal year ends lapse unspent money
    2. needs        children age and are born; needs arise, escalate, lapse
    3. finding      families seek help; outreach finds families; mechanisms raise awareness
    4. intake       providers assess new applicants (unless a shared record is seen)
    5. service      capacity- and budget-limited service by a priority rule; needs are met
    6. referral     providers spot other needs and refer; hand-offs complete or are lost
    7. coordination mechanisms meet, reconcile, train; their weekly cost is booked
    8. accounting   unmet need-weeks, then the DataCollector records every metric

    Args:
        scenario: a validated :class:`~sim.params.Scenario`.
        seed: run seed (defaults to ``scenario.seed``); every random stream derives from it.
        check: verify the model's invariants after every step (raises ``InvariantError``).
    """

    def __init__(self, scenario: Scenario, *, seed: int | None = None, check: bool = False):
        seed = int(scenario.seed if seed is None else seed)
        super().__init__(rng=seed)
        self.params = scenario
        self.seed = seed
        self.check = check
        self.week = 0
        self.streams = Streams(seed)
        self.sector_names = scenario.sector_names
        self.sectors = SectorTable(scenario)
        self.city = build_city(scenario, self.streams["world.city"])
        self.pop = Population(scenario, self.city, self.sectors.age_band_weeks,
                              self.streams["world.families"])
        self.orgs = OrgTable(scenario, self.city, self.streams["world.sites"])
        self.org_service_weeks = np.array(
            [self.sectors.service_weeks[self.orgs.serves[o]].mean() for o in range(self.orgs.size)])
        self.hazard_group = self.pop.marginalised.astype(np.int64) * 2 + self.pop.informal
        self.coordination_support = 0.0  # 0..1, raised by a focal point
        self.planning_support = 0.0  # >= 0, raised by an expert pool
        self.refresh_access()
        self._unserved: dict = {}
        pairs, s = self.pop.n * self.pop.n_sectors, self.pop.n_sectors
        # per (family, sector): cases open and waiting-list rows, kept by the tables themselves
        self.serving = np.zeros(pairs, dtype=np.int32).reshape(self.pop.n, s)
        self._pair_flag = np.zeros(pairs, dtype=bool)  # scratch for held(): all False between calls
        self.waiting_count = np.zeros(pairs, dtype=np.int32).reshape(self.pop.n, s)
        self.waiting: Table = waiting_list(self.waiting_count.reshape(-1), s)
        self.cases: Table = caseload(self.serving.reshape(-1), s)
        self.applications: Table = self._empty_applications()
        self.ledger = Ledger(len(self.sector_names), scenario.time.warmup_weeks, self.city.size)
        self.last_need_events = np.zeros(0, dtype=np.int64)
        needs.schedule_needs(self, np.flatnonzero(self.pop.eligible), first_week=0)
        self.organisations = make_organisation_agents(self)
        self.mechanisms = build_mechanisms(scenario.coordination)
        for mechanism in self.mechanisms:
            mechanism.setup(self)
        self.metrics: dict[str, float] = summarise(self.ledger, self.sector_names)
        self.datacollector = DataCollector(model_reporters={
            name: _reporter(name) for name in ("week", *self.metrics)})
        self.running = True

    # ----------------------------------------------------------------- the step
    def step(self) -> None:
        """Advance one week (the phase order is in the class docstring)."""
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

    def _account(self) -> None:
        led = self.ledger
        if led.counts(self.week):
            led.unmet_need_weeks += float(len(self.unserved_pairs()))
            led.child_weeks += float(self.pop.children.count)
            led.weeks += 1
            first_week = self.week == led.warmup
            for m in self.mechanisms:
                setup = m.setup_cost(self) if first_week else 0.0
                led.add_coordination(m.name, m.weekly_cost(self) + setup)
        self.metrics = summarise(led, self.sector_names)
        self.datacollector.collect(self)

    # ---------------------------------------------------------- shared helpers
    def unserved_pairs(self, not_waiting: bool = False) -> np.ndarray:
        """Sorted flat (family, sector) pairs with an open episode and no case (nor waiting row)."""
        version = self._unserved_version()
        cached = self._unserved.get(not_waiting)
        if cached is not None and cached[0] == version:
            return cached[1]
        if not_waiting:  # a subset of the unserved pairs
            unserved = self.unserved_pairs()
            (unserved,) = select(self.waiting_count.reshape(-1)[unserved] == 0, unserved)
        else:
            pairs = self.pop.open_pairs
            (unserved,) = select(self.serving.reshape(-1)[pairs] == 0, pairs)
        self._unserved[not_waiting] = (version, unserved)
        return unserved

    def _unserved_version(self) -> tuple[int, int, int, int]:
        return (self.pop.opened_version, self.pop.closed_version, self.cases.version,
                self.waiting.version)

    def open_episodes(self, pairs: np.ndarray) -> None:
        """Open need-episodes at the sorted flat ``pairs`` this week (they are unserved)."""
        current = self._current_unserved()
        self.pop.open_episodes(pairs, self.week)
        self._restamp_unserved(current, lambda unserved: merge_sorted(unserved, pairs))

    def close_episodes(self, pairs: np.ndarray) -> None:
        """Close the episodes at flat ``pairs`` and drop their waiting rows, cases and applications."""
        current = self._current_unserved()
        self.pop.close_episodes(pairs)
        self.drop_closed(pairs)  # rows of closed episodes only: no open pair changes status
        self._restamp_unserved(current, lambda unserved: remove_sorted(unserved, pairs))

    def _current_unserved(self) -> dict:
        version = self._unserved_version()
        return {key: arr for key, (v, arr) in self._unserved.items() if v == version}

    def _restamp_unserved(self, current: dict, update) -> None:
        """Carry the unserved lists that were current across an opening or closing of episodes."""
        version = self._unserved_version()
        self._unserved = {key: (version, update(arr)) for key, arr in current.items()}

    def held(self, pairs: np.ndarray, orgs: np.ndarray) -> np.ndarray:
        """Mask (shape of ``orgs``): the flat (family, sector) ``pairs`` (broadcast against
        ``orgs``) already have a waiting-list row or a case at ``orgs``.

        Only the rows of the asked pairs are looked at (found through a scratch flag per pair),
        so the cost follows the tables' length once, not a sort of every row.
        """
        pairs, orgs = np.broadcast_arrays(pairs, orgs)
        n_orgs, flag = self.orgs.size, self._pair_flag
        flag[pairs] = True
        asked = [(t, flag[t.pair]) for t in (self.waiting, self.cases)]
        rows = [(t.pair[m], t.org[m]) for t, m in asked]
        flag[pairs] = False
        keys = np.sort(np.concatenate([p * n_orgs + o for p, o in rows]))
        return contains(keys, pairs * n_orgs + orgs)

    def apply(self, family, sector, org, source: int, fast_track=None) -> None:
        """Queue applications (seeking, outreach or referral) for the next intake."""
        fast = np.zeros(len(family), dtype=bool) if fast_track is None else fast_track
        self.applications.append(family=family, sector=sector, org=org,
                                 source=np.full(len(family), source), fast_track=fast)

    def clear_applications(self) -> None:
        self.applications = self._empty_applications()

    def drop_closed(self, pairs: np.ndarray) -> None:
        """Remove every waiting-list row, case and application of the closed episodes ``pairs``."""
        start = self.pop.need_start.reshape(-1)
        for table in (self.waiting, self.cases, self.applications):
            # a table that counts its rows per pair is scanned only if it holds a closed pair
            if len(table) and (table.counts is None or table.counts[pairs].any()):
                rows = (table.pair if table.counts is not None
                        else pair_key(table.family, table.sector, self.pop.n_sectors))
                table.keep(start[rows] >= 0)

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

    @staticmethod
    def _empty_applications() -> Table:
        return Table(family=np.int32, sector=np.int8, org=np.int16, source=np.int8,
                     fast_track=np.bool_)


def _reporter(name: str):
    if name == "week":
        return lambda model: model.week
    return lambda model: model.metrics[name]
