"""Council / steering group / observatory: a yearly action plan, with youth and family seats.

Seen in: CFCI steering groups of 6-25 people (Finland, Germany), Brazil's inter-sectoral
commission, national ECD councils, Sion's youth observatory meeting 2-4 times a year.

A strategic body: it does not go through families one by one (that is the case conference's work,
``case_conference.py``). At its first meeting of each year (counted from its start) it makes an
action plan from the unmet need by sector and by neighbourhood; ``plan_lag_weeks`` later (budgets
and staff move with a lag) the plan takes effect through the levers only: a share of members'
spare places moves, at equal cost, to members with waiting lists; a share of members' yearly
budgets moves to the members serving the sectors with the most unmet need; members' outreach
rises with their sectors' unmet need, and all outreach in neighbourhoods with more unmet need per
family than the city's is multiplied up; with ``advocacy``, members' yearly budgets are likelier
to grow. How much moves is E, the council's effectiveness, which falls with size (a
Universal-Scalability-Law curve) and with inactive members; a focal point reduces the friction,
an expert pool strengthens the planning.

Participation: ``youth_seats`` + ``family_seats`` participants, each from a neighbourhood drawn
once at the start (stream ``council.participants``, weighted by the families living there).
With ``participation_quality`` q > 0, before each plan each consults q x
``families_consulted_per_seat_per_year`` families of their neighbourhood and reports its hidden
need (open needs of families who have not asked for help): the plan counts q x that need once
more per participant from the neighbourhood. At q = 0 seats change nothing but their cost.

Optional (all off by default): a yearly ``focus_theme`` (a sector, or the sectors in turn) whose
unmet need the plan counts ``focus_weight`` times; ``working_groups`` that do the work between
plenaries, so the size penalty is that of one working group, at the cost of their meetings;
``reviews_per_year`` progress reviews with a monitoring partner, each revising the plan within
the year, at ``monitoring_cost_per_year``.

The group's size is the number of people: member organisations x representatives per member
(participants are not counted). Cost per meeting: people x staff hours per meeting x hourly
cost; plus a secretariat each week that grows with the number of member organisations, and the
seats' yearly cost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.core.coordination import calendar
from sim.core.coordination.base import Mechanism
from sim.core.coordination.meetings import MeetingCalendar, friction, group_efficiency
from sim.core.coordination.members import member_mask
from sim.scenario.mechanisms import ROTATE
from sim.scenario.schema import WEEKS_PER_YEAR

if TYPE_CHECKING:
    from sim.core.coordination.base import ModelView


@dataclass
class Plan:
    """One action plan: the council's adjustments to the levers from week ``due`` on."""

    due: int  # model week it takes effect
    capacity: np.ndarray  # (O,) places moved so far, this plan's moves included
    budget: np.ndarray  # (O,) yearly budget moved to (+) or from (-) each member
    outreach: np.ndarray  # (O,) members' outreach boost
    area: np.ndarray  # (H,) factor on all outreach in each neighbourhood
    advocacy: np.ndarray  # (O,) chance added to a yearly budget increase


class Council(MeetingCalendar, Mechanism):
    """Makes a yearly action plan that moves places, budget and outreach after a lag."""

    name = "council"

    def setup(self, model: ModelView) -> None:
        p = self.params
        self.members = member_mask(model, p.members)
        self.n = int(self.members.sum()) * p.representatives_per_member  # people
        self.meetings = 0
        self.plans = 0  # action plans made
        self.plan_year = -1  # the council's year of its latest plan
        self.plan_period = -1  # the review period (of the council's years) of its latest plan
        self.theme: int | None = None  # index of the sector of this year's focus theme
        self.pending: list[Plan] = []  # plans made, not yet in effect
        self.capacity_shift = np.zeros(model.orgs.size, dtype=np.int64)  # places moved (in effect)
        self.seats = p.youth_seats + p.family_seats
        self.participants = np.zeros(model.city.size, dtype=np.int64)  # (H,) per neighbourhood

    def start(self, model: ModelView) -> None:
        """Draw each participant's neighbourhood, weighted by the families living there."""
        if self.seats:
            families = np.diff(model.pop.area_start).astype(float)
            drawn = model.streams["council.participants"].choice(
                model.city.size, size=self.seats, p=families / families.sum())
            self.participants = np.bincount(drawn, minlength=model.city.size)

    def stop(self, model: ModelView) -> None:
        """Withdraw every plan's adjustments; plans not yet in effect are dropped."""
        super().stop(model)
        self.pending = []
        self.capacity_shift = np.zeros(model.orgs.size, dtype=np.int64)

    def effectiveness(self, model: ModelView) -> float:
        """How well the council plans (0..1): scales every move of its action plan."""
        p = self.params
        f = friction(model.coordination_support)
        eff = group_efficiency(self.group_size, p.contention * f, p.coherence * f)
        return float(np.clip(p.active_share * eff, 0.0, 1.0))

    @property
    def group_size(self) -> int:
        """People in the group whose friction counts: one working group's (its people shared
        out as evenly as possible, the largest group), else the whole council."""
        groups = self.params.working_groups
        return math.ceil(self.n / groups) if groups else self.n

    @property
    def reporting(self) -> bool:
        """Whether participants consult families and report hidden need (seats and q > 0)."""
        return self.seats > 0 and self.params.participation_quality > 0

    def on_budgets(self, model: ModelView) -> None:
        """Plans whose lag is over take effect at the start of the week, before service (a
        member that gave places then starts no case until its caseload is below them)."""
        self.apply_due(model)

    def on_coordination(self, model: ModelView) -> None:
        if not self.meets(model) or not self.members.any():
            return
        self.meetings += 1
        t = self.weeks_running(model)
        year, per_year = t // WEEKS_PER_YEAR, 1 + self.params.reviews_per_year
        period = year * per_year + (t % WEEKS_PER_YEAR) * per_year // WEEKS_PER_YEAR
        if period != self.plan_period:  # the first meeting of the year, or of a review period
            self.plan_period = period
            yearly = year != self.plan_year
            self.plan_year = year
            self.theme = self.focus(model, year)
            self.pending.append(self.plan(model, self.effectiveness(model)))
            self.plans += 1
            if yearly and self.reporting and model.ledger.counts(model.week):
                self.consult(model)  # consultations are yearly, reviews only revise the plan
            self.apply_due(model)  # a plan without lag takes effect at once

    def focus(self, model: ModelView, year: int) -> int | None:
        """The sector (index) of the council's focus theme in its ``year``: the one named, or
        with ``rotate`` the sectors in the scenario's order, one a year; None without a theme."""
        theme = self.params.focus_theme
        if theme is None:
            return None
        names = model.params.sector_names
        return year % len(names) if theme == ROTATE else names.index(theme)

    def apply_due(self, model: ModelView) -> None:
        """Put the plans whose lag is over into effect (each replaces the previous one)."""
        levers = model.levers
        while self.pending and self.pending[0].due <= model.week:
            plan = self.pending.pop(0)
            self.capacity_shift = plan.capacity
            levers.capacity.add(self.name, plan.capacity)
            levers.budget_per_year.add(self.name, plan.budget)
            levers.outreach.add(self.name, plan.outreach)
            levers.outreach_area.scale(self.name, plan.area)
            levers.budget_increase_probability.add(self.name, plan.advocacy)

    def plan(self, model: ModelView, effect: float) -> Plan:
        """This year's action plan, from unmet need by sector and neighbourhood, scaled by the
        plan's strength ``e = min(E x (1 + planning_support), 1)``."""
        p = self.params
        e = min(effect * (1.0 + model.planning_support), 1.0)
        unmet = self.unmet_need(model)  # (H, S)
        if self.theme is not None:  # the year's theme counts focus_weight times
            unmet[:, self.theme] *= p.focus_weight
        by_sector = unmet.sum(axis=0)
        pressure = (model.orgs.serves * by_sector).sum(axis=1).astype(float)
        pressure = pressure / pressure.max() if pressure.max() > 0 else pressure
        funded = self.members & model.orgs.funded
        return Plan(
            due=model.week + p.plan_lag_weeks,
            capacity=self.capacity_plan(model, p.planning_shift * e),
            budget=self.budget_plan(model, p.budget_shift * e, by_sector),
            outreach=np.where(self.members, p.outreach_boost * e * pressure, 0.0),
            area=self.area_plan(model, p.neighbourhood_outreach_boost * e, unmet),
            advocacy=np.where(funded, p.advocacy * e, 0.0))

    def unmet_need(self, model: ModelView) -> np.ndarray:
        """(H, S) open needs without a case (waiting or not) by neighbourhood and sector; with
        participants reporting, plus q x each participant's neighbourhood's hidden need (open
        needs of families neither served nor waiting)."""
        pop, hoods = model.pop, model.city.size
        unmet = _by_area(model.book.unserved_pairs(), pop, hoods)
        if not self.reporting:
            return unmet
        q = self.params.participation_quality
        hidden = _by_area(model.book.unserved_pairs(not_waiting=True), pop, hoods)
        return unmet + q * self.participants[:, None] * hidden

    def consult(self, model: ModelView) -> None:
        """Book this year's consultations: in each neighbourhood, its participants consult
        q x ``families_consulted_per_seat_per_year`` families each, an equal chance for every
        family with children there; children consulted and children in the city, by group."""
        pop, hoods = model.pop, model.city.size
        kids = (pop.children.birth_week <= model.week).sum(axis=1)  # children of each family
        cell = pop.neighbourhood.astype(np.int64) * 2 + pop.marginalised
        children = np.bincount(cell, weights=kids, minlength=hoods * 2).reshape(hoods, 2)
        with_children = np.bincount(pop.neighbourhood, weights=(kids > 0).astype(float),
                                    minlength=hoods)
        asked = (self.participants * self.params.participation_quality
                 * self.params.families_consulted_per_seat_per_year)
        share = np.minimum(asked / np.maximum(with_children, 1.0), 1.0)  # (H,)
        model.ledger.add_consultation(share @ children, children.sum(axis=0))

    def capacity_plan(self, model: ModelView, shift: float) -> np.ndarray:
        """(O,) places moved so far after this plan: members with nobody waiting give ``shift``
        of their spare places, worth their unit costs, to members with waiting lists."""
        orgs = model.orgs
        caseload, waiting = model.book.by_org()
        spare = np.where(self.members & (waiting == 0), np.maximum(orgs.capacity - caseload, 0), 0)
        give = np.floor(spare * min(shift, 1.0)).astype(np.int64)
        money = float((give * orgs.unit_cost).sum())
        need = np.where(self.members, waiting * orgs.unit_cost, 0.0)
        if money <= 0 or need.sum() <= 0:
            return self.capacity_shift
        gain = np.floor(money * need / need.sum() / np.maximum(orgs.unit_cost, 1e-9))
        return self.capacity_shift + gain.astype(np.int64) - give

    def budget_plan(self, model: ModelView, shift: float, by_sector: np.ndarray) -> np.ndarray:
        """(O,) yearly budget moved: funded members give ``shift`` of their yearly budget; the
        sum goes to them by the money their share of each sector's unmet need would cost
        (unmet need / member providers x unit cost x service weeks)."""
        orgs = model.orgs
        funded = self.members & orgs.funded
        give = shift * np.where(funded, model.levers.budget_per_year.base, 0.0)
        providers = np.maximum((orgs.serves & funded[:, None]).sum(axis=0), 1)
        share = (orgs.serves * (by_sector / providers)).sum(axis=1)
        value = np.where(funded, share * orgs.unit_cost * model.org_service_weeks, 0.0)
        if value.sum() <= 0:
            return np.zeros(orgs.size)
        return give.sum() * value / value.sum() - give

    def area_plan(self, model: ModelView, boost: float, unmet: np.ndarray) -> np.ndarray:
        """(H,) outreach factor: ``1 + boost x max(r_h - 1, 0)`` with r_h a neighbourhood's unmet
        need per family over the city's."""
        pop = model.pop
        total = unmet.sum()
        if total <= 0 or boost <= 0:
            return np.ones(model.city.size)
        families = np.maximum(np.diff(pop.area_start), 1)
        ratio = unmet.sum(axis=1) / families / (total / pop.n)
        return 1.0 + boost * np.maximum(ratio - 1.0, 0.0)

    def weekly_cost(self, model: ModelView) -> float:
        p = self.params
        meeting = self.n * p.staff_hours_per_meeting * p.staff_hour_cost if (
            self.meets(model) and self.n) else 0.0
        yearly = p.secretariat_per_member_per_year * int(self.members.sum()) + (
            p.cost_per_seat_per_year * self.seats) + p.monitoring_cost_per_year
        return meeting + self.working_group_cost(model) + yearly / WEEKS_PER_YEAR

    def working_group_cost(self, model: ModelView) -> float:
        """Staff time of the working groups in weeks they meet (every person sits in one group;
        the groups meet in the same weeks, not while the council is paused)."""
        p = self.params
        if not (p.working_groups and self.n) or model.week < self.paused_until:
            return 0.0
        if not calendar.due(self.weeks_running(model), p.working_group_meetings_per_year):
            return 0.0
        return self.n * p.staff_hours_per_meeting * p.staff_hour_cost


def _by_area(pairs: np.ndarray, pop, hoods: int) -> np.ndarray:
    """(H, S) counts of flat (family, sector) ``pairs`` by neighbourhood and sector."""
    s = pop.n_sectors
    cell = pop.neighbourhood[pairs // s].astype(np.int64) * s + pairs % s
    return np.bincount(cell, minlength=hoods * s).reshape(hoods, s).astype(float)
