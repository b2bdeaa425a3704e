"""Shocks: the scenario's dated events (``shocks:``, :mod:`sim.scenario.shocks`) acting on the city.

:class:`Shocks` is built with the model and called once at the start of every step, before the
budgets phase (``CoordinationModel.step``). Each shock starts in model week ``warmup + week`` and,
if it has ``weeks``, ends ``weeks`` later; a shock dated at or after the horizon is dropped when
the model is built, so it changes nothing (no draws, no families). Without shocks a step costs one
dictionary look-up.

- ``budget_cut``: a factor ``1 - share`` on the yearly budgets (lever ``budget_per_year``, under
  the name ``shock.<i>``) of the organisations it names, so the tranches that arrive while it
  lasts are smaller; money already in a budget is not touched. Withdrawn when it ends. Two cuts
  at once multiply.
- ``site_closure``: the organisation's sites in the named neighbourhoods close. Its places shrink
  by the share of its sites closed (a factor on the ``capacity`` lever, ``shocks.site_closure``;
  places are taken to be spread evenly over its sites), and families' distance to it is to its
  nearest open site (none open: it cannot be chosen, and its outreach stops there). Cases already
  running continue (as when a council moves places): new ones start as the caseload falls
  under the smaller capacity. Sites reopen when it ends.
- ``need_surge``: for ``weeks``, each eligible (family, sector) pair of the sector (in the named
  neighbourhoods) has an extra need event each week with chance ``1 - (1 - p)^(size - 1)``
  (p: its usual weekly chance), so needs arise ``size`` times as often. The event is put on the
  need calendar for this week (stream ``shocks.surge``); as waits are geometric (memoryless),
  the usual next event is drawn afresh after it.
- ``family_arrival``: the arriving families (``families`` x the city's ``service_scale``) are
  drawn when the model is built (stream ``shocks.arrivals``, the city's rules with the shock's
  ``marginalised_share``, ``neighbourhoods`` and ``mean_children``) and placed in the
  population's arrays by neighbourhood, with no children and no birth before their week: they
  have no needs, seek no help and count in no metric (every count of children and needs goes
  through the children's slots). In their week their children (aged as drawn) move in, their
  needs are scheduled as for children entering an age band, and their births follow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.core.phases import needs
from sim.core.population import NEVER, draw_families
from sim.scenario.shocks import BudgetCut, FamilyArrival, NeedSurge, SiteClosure, shock_end

if TYPE_CHECKING:
    from sim.core.model import CoordinationModel
    from sim.core.streams import Streams
    from sim.core.world import City
    from sim.scenario.params import Scenario

CLOSURE = "shocks.site_closure"  # the capacity lever's factor of every closure


class Shocks:
    """The scenario's shocks inside the horizon, by the model week they start and end."""

    def __init__(self, scenario: Scenario, city: City, streams: Streams):
        warmup, steps = scenario.time.warmup_weeks, scenario.time.steps
        self.shocks = {i: s for i, s in enumerate(scenario.shocks) if warmup + s.week < steps}
        self.events: dict[int, list[tuple[str, int]]] = {}  # model week -> (start/end, shock)
        for i, shock in self.shocks.items():
            self.events.setdefault(warmup + shock.week, []).append(("start", i))
            end = shock_end(shock)
            if end is not None and warmup + end < steps:
                self.events.setdefault(warmup + end, []).append(("end", i))
        self.surging: list[int] = []  # need surges under way
        self.closed: dict[int, np.ndarray] = {}  # closures under way: shock -> (H,) closed sites
        self.open_sites: np.ndarray | None = None  # organisations' sites before any closure
        self.families, self._arrivals = _arriving_families(scenario, city, streams, self.shocks)
        self.in_effect = 0  # shocks started and not ended (an arrival does not end)

    def reporters(self) -> dict:
        """Time-series columns of a scenario with shocks: how many are in effect, and the
        organisations' yearly budgets after every lever (a cut shows as a drop); none without."""
        if not self.shocks:
            return {}
        return {"shocks.in_effect": lambda model: self.in_effect,
                "shocks.yearly_budgets": lambda model: float(model.orgs.budget_per_year.sum())}

    def weekly(self, model: CoordinationModel) -> None:
        """Start and end this week's shocks, then add this week's surges of need."""
        for what, i in self.events.get(model.week, ()):
            getattr(self, f"_{what}")(model, i)
        for i in self.surging:
            _surge(model, self.shocks[i])

    # ------------------------------------------------------------------ start and end
    def _start(self, model: CoordinationModel, i: int) -> None:
        shock = self.shocks[i]
        self.in_effect += 1
        if isinstance(shock, BudgetCut):
            cut = _organisations(model, shock)
            model.levers.budget_per_year.scale(f"shock.{i}", np.where(cut, 1.0 - shock.share, 1.0))
        elif isinstance(shock, SiteClosure):
            sites = np.ones(model.city.size, dtype=bool)
            if shock.sites != "all":
                sites = np.isin(np.arange(model.city.size), shock.sites)
            self.closed[i] = sites
            self._place_sites(model, model.orgs.index(shock.organisation))
        elif isinstance(shock, NeedSurge):
            self.surging.append(i)
        elif isinstance(shock, FamilyArrival):
            families, ages = self._arrivals[i]
            became = model.pop.children.arrive(model.pop.extra_index[families], ages, model.week)
            needs.schedule_needs(model, became, first_week=model.week)

    def _end(self, model: CoordinationModel, i: int) -> None:
        shock = self.shocks[i]
        self.in_effect -= 1
        if isinstance(shock, BudgetCut):
            model.levers.budget_per_year.withdraw(f"shock.{i}")
        elif isinstance(shock, SiteClosure):
            del self.closed[i]
            self._place_sites(model, model.orgs.index(shock.organisation))
        elif isinstance(shock, NeedSurge):
            self.surging.remove(i)

    def _place_sites(self, model: CoordinationModel, org: int) -> None:
        """An organisation's open sites after this week's closures and reopenings: its sites,
        distances, places (the capacity factor) and families' access."""
        orgs = model.orgs
        if self.open_sites is None:
            self.open_sites = orgs.site.copy()
        closed = np.zeros(model.city.size, dtype=bool)
        for i, sites in self.closed.items():
            if self.shocks[i].organisation == orgs.names[org]:
                closed |= sites
        orgs.site[org] = self.open_sites[org] & ~closed
        far = np.where(orgs.site[org][None, :], model.city.distance_km, np.inf)
        orgs.distance_km[:, org] = far.min(axis=1)
        factor = orgs.site.sum(axis=1) / np.maximum(self.open_sites.sum(axis=1), 1)
        if (factor == 1.0).all():
            model.levers.capacity.withdraw(CLOSURE)
        else:
            model.levers.capacity.scale(CLOSURE, factor)
        model.refresh_access()


def _organisations(model: CoordinationModel, cut: BudgetCut) -> np.ndarray:
    """(O,) the organisations a budget cut names (those serving its sectors; default all)."""
    orgs = model.orgs
    if cut.organisations is not None:
        return np.isin(np.arange(orgs.size), [orgs.index(name) for name in cut.organisations])
    if cut.sectors is None:
        return np.ones(orgs.size, dtype=bool)
    sectors = [model.sector_names.index(s) for s in cut.sectors]
    return orgs.serves[:, sectors].any(axis=1)


def _surge(model: CoordinationModel, surge: NeedSurge) -> None:
    """Extra need events this week for the sector's eligible pairs (in the surge's area)."""
    pop = model.pop
    sector = model.sector_names.index(surge.sector)
    if surge.neighbourhoods is None:
        families = np.flatnonzero(pop.children.band_count[:, sector] > 0)
    else:
        area = np.isin(np.arange(model.city.size), surge.neighbourhoods)
        ranges = [np.arange(r.start, r.stop) for r in pop.area_slices(area)]
        families = np.concatenate(ranges) if ranges else np.zeros(0, dtype=np.int64)
        families = families[pop.children.band_count[families, sector] > 0]
    pairs = families.astype(np.int64) * pop.n_sectors + sector
    usual = needs.weekly_need_probability(model, pairs)
    extra = -np.expm1((surge.size - 1.0) * np.log1p(-usual))
    hit = pairs[model.streams["shocks.surge"].random(len(pairs)) < extra]
    pop.next_need.reshape(-1)[hit] = model.week
    pop.need_calendar.add(hit)


def _arriving_families(scenario: Scenario, city: City, streams: Streams,
                       shocks: dict) -> tuple[dict | None, dict[int, tuple[np.ndarray, np.ndarray]]]:
    """The families of every arrival in the horizon, drawn now (absent: no children, first birth
    after their week), and per arrival its rows of them and its children's ages."""
    warmup, scale = scenario.time.warmup_weeks, scenario.service_scale
    columns, arrivals, start = [], {}, 0
    for i, shock in shocks.items():
        n = int(round(shock.families * scale)) if isinstance(shock, FamilyArrival) else 0
        if n == 0:
            continue
        weight = city.family_weight.copy()
        if shock.neighbourhoods is not None:
            weight[~np.isin(np.arange(city.size), shock.neighbourhoods)] = 0.0
        drawn = draw_families(scenario, city, streams["shocks.arrivals"], n, weight / weight.sum(),
                              np.full(city.size, shock.marginalised_share),
                              shock.mean_children or scenario.city.mean_children)
        arrivals[i] = (np.arange(start, start + n), drawn["ages"])
        drawn["ages"] = np.full_like(drawn["ages"], -1)
        week = warmup + shock.week
        drawn["next_birth"] = np.minimum(drawn["next_birth"].astype(np.int64) + week,
                                         NEVER).astype(np.int32)
        columns.append(drawn)
        start += n
    if not columns:
        return None, arrivals
    return {key: np.concatenate([c[key] for c in columns]) for key in columns[0]}, arrivals
