"""Integrated service-delivery platform: family hubs, one-stop shops, community-focused networks.

Seen in: ECD integrated platforms, Flanders' community-focused networks, family hubs; co-location
cut median waits from 48 to 11 days and raised use 2.4-fold (paediatric integrated care, 2023).

A hub is a site in a neighbourhood with its own staff: ``assessment_slots_per_week`` families
assessed a week (its capacity) and ``outreach_visits_per_week`` home visits. Each week, families
with an open need that are neither served nor waiting come to their nearest hub like they would
seek any provider (distance decay, awareness, trust, stigma), and the hub's outreach workers visit
families in its neighbourhood (they come too, with an appointment); the hub sees as many as its
slots allow (the rest are not seen this week: a hub can be crowded). Each family seen gets ONE
multi-sector assessment covering every sector with an open need (it replaces the assessments the
sectors' providers would make: partners reuse its record), becomes a **hub user** (for
``user_lapse_weeks`` after the hub last saw it), and is put forward (fast track) to a partner
provider for each of those sectors.

For hub users, with effect growing linearly over the ramp-up period, the partner organisations:
- share one caseload and the hub's record (a partner sees the others' records);
- spot needs in other sectors more often (the multi-sector assessment);
- refer warmly: a referral between partners completes with ``warm_referral_completion``, does
  not suffer the receiving wait, and goes to the front of the receiving list.
Families living where a hub is open grow more aware of services (toward ``awareness_target``).
Cost, every week from the start: each hub's running cost (staff, premises), the outreach visits
made and the hub's assessments.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sim.core.arrays import rank_in_groups, run_lengths, run_starts, select, sorted_unique, split_pairs
from sim.core.coordination.base import Mechanism
from sim.core.coordination.members import member_mask
from sim.core.phases.choice import access_weights, pick
from sim.core.phases.finding import SOURCE_HUB
from sim.scenario.schema import WEEKS_PER_YEAR

NOT_SEEN = -(2**40)  # last_seen of a family no hub has seen

if TYPE_CHECKING:
    from sim.core.coordination.base import ModelView


class IntegratedPlatform(Mechanism):
    """Family hubs with their own slots and outreach, and partner organisations serving hub users."""

    name = "integrated_platform"

    def setup(self, model: ModelView) -> None:
        p, city = self.params, model.city
        if isinstance(p.hubs, list):
            hubs = sorted_unique(np.asarray(p.hubs, dtype=np.int64))
        else:
            count = (p.hubs if p.families_per_hub is None
                     else math.ceil(model.params.city.families / p.families_per_hub))
            pool = np.flatnonzero(city.informal) if p.placement == "informal" else np.arange(city.size)
            pool = pool if len(pool) else np.arange(city.size)
            # the neediest first: informal neighbourhoods with the most families
            order = pool[np.argsort(-city.family_weight[pool], kind="stable")]
            extra = np.setdiff1d(np.arange(city.size), order)
            order = np.concatenate([order, extra[np.argsort(-city.family_weight[extra], kind="stable")]])
            # more hubs than neighbourhoods: a second hub in the first ones of the order, and so on
            hubs = np.sort(order[np.arange(count) % city.size])
        self.hubs = hubs  # neighbourhood of each hub (the map draws them)
        # one quantity carries the city's size: the number of hubs when given per population,
        # otherwise each hub's staff (slots, visits, running cost), like organisations' capacities
        self.per_hub_scale = 1.0 if p.families_per_hub is not None else model.params.service_scale
        per_area = np.bincount(hubs, minlength=city.size)
        self.slots = per_area * round(p.assessment_slots_per_week * self.per_hub_scale)  # (H,)
        self.visits = per_area * round(p.outreach_visits_per_week * self.per_hub_scale)  # (H,)
        self.catchment = per_area > 0
        self.open = self.slots > 0  # neighbourhoods with a hub that can see families
        self.areas = model.pop.area_slices(self.open)
        # each neighbourhood's nearest open hub and the distance decay of the trip to it
        where = np.flatnonzero(self.open)
        self.nearest = np.zeros(city.size, dtype=np.int64)
        self.reach = np.zeros(city.size)
        if len(where):
            km = city.distance_km[:, where]
            closest = np.argmin(km, axis=1)
            self.nearest = where[closest]
            self.nearest[where] = where  # a hub's own neighbourhood uses it
            trip = km[np.arange(city.size), closest]
            trip[where] = city.distance_km[where, where]
            self.reach = np.exp(-trip / model.params.families.travel_km_scale)
        self.partners = member_mask(model, p.partners)
        self.sectors = (model.orgs.serves & self.partners[:, None]).any(axis=0)  # what hubs assess
        self.last_seen = np.full(model.pop.n, NOT_SEEN, dtype=np.int64)  # week a hub last saw it
        self._week = 0
        self.assessed_this_week = self.visits_this_week = 0
        self.families_assessed = self.outreach_visits = 0  # in measured weeks

    def strength(self, model: ModelView) -> float:
        """How far the platform has ramped up (0..1), faster with a focal point."""
        weeks = self.params.ramp_up_weeks
        if weeks == 0:
            return 1.0
        return min(1.0, (self.weeks_running(model) + 1) * (1.0 + model.coordination_support) / weeks)

    @property
    def users(self) -> np.ndarray:
        """(N,) hub users: families a hub saw in the last ``user_lapse_weeks`` weeks."""
        return self._week - self.last_seen < self.params.user_lapse_weeks

    def _covered(self, model, family, *orgs) -> np.ndarray:
        inside = model.week - self.last_seen[family] < self.params.user_lapse_weeks
        for org in orgs:
            inside = inside & self.partners[org]
        return inside

    def on_finding(self, model: ModelView) -> None:
        self.assessed_this_week = self.visits_this_week = 0
        self._week = model.week
        if not self.open.any():
            return
        aware = model.pop.awareness
        rate = self.params.awareness_gain_per_week * self.strength(model)
        for area in self.areas:
            aware[area] += rate * (self.params.awareness_target - aware[area])
        self._see_families(model)

    def _see_families(self, model: ModelView) -> None:
        """This week's families at the hubs: walk-ins and outreach, up to the slots; one
        multi-sector assessment each, then fast-tracked applications to partners."""
        pop, week = model.pop, model.week
        pairs = model.book.unserved_pairs(not_waiting=True)
        if not self.sectors.all():
            (pairs,) = select(self.sectors[pairs % pop.n_sectors], pairs)
        if not len(pairs):
            return
        fam, sec = split_pairs(pairs, pop.n_sectors)
        starts = run_starts(fam)  # pairs are sorted, so each family's pairs are one run
        lengths = run_lengths(starts, len(pairs))
        family = fam[starts]
        home = pop.neighbourhood[family]
        rng = model.streams["platform"]
        # walk-ins: as seeking a provider (7.3), the trip to the nearest hub instead of a provider's
        draw = rng.random(len(family))
        comes = self._walk_ins(model, pairs, starts, lengths, family, home, draw)
        # outreach: the hub's workers visit families in need in its own neighbourhood, at random
        # (families are sorted by neighbourhood, so a random key within it orders each one)
        visited = np.zeros(len(family), dtype=bool)
        (near,) = np.nonzero(self.visits[home] > 0)
        if len(near):
            order = near[np.argsort(home[near] + rng.random(len(near)))]
            visited[order] = rank_in_groups(home[order]) < self.visits[home[order]]
        (arrive,) = np.nonzero(comes | visited)
        hub = self.nearest[home[arrive]]
        # crowding: by hub, visited families (with an appointment) first, the rest at random
        order = np.argsort(2.0 * hub + ~visited[arrive] + rng.random(len(arrive)))
        seen = np.zeros(len(family), dtype=bool)
        seen[arrive[order]] = rank_in_groups(hub[order]) < self.slots[hub[order]]
        hub_pairs, fam, sec = select(np.repeat(seen, lengths), pairs, fam, sec)
        # one assessment covers every open need the hub's partners serve; partners reuse it
        pop.assessed.reshape(-1)[hub_pairs] += 1
        pop.last_sought.reshape(-1)[hub_pairs] = week
        self.last_seen[family[seen]] = week
        org, _ = pick(model, fam, sec, self._partner_access, rng.random(len(fam)))
        fam, sec, org = select(org >= 0, fam, sec, org)
        model.book.apply(fam, sec, org, SOURCE_HUB, fast_track=np.ones(len(fam), dtype=bool))
        self.assessed_this_week, self.visits_this_week = int(seen.sum()), int(visited.sum())
        if model.ledger.counts(week):
            self.families_assessed += self.assessed_this_week
            self.outreach_visits += self.visits_this_week

    def _walk_ins(self, model, pairs, first, lengths, family, home, draw) -> np.ndarray:
        """Mask of the families (one per run of ``pairs``, starting at ``first``, ``lengths``
        long) that walk in this week: ready (past
        their patience), and ``draw`` below willingness x the trip's decay. Only families whose
        draw is below the highest possible chance are looked at (the same result, less work)."""
        pop, week, fp = model.pop, model.week, model.params.families
        comes = np.zeros(len(family), dtype=bool)
        most = 2.0 * fp.seek_probability * self.reach[home]  # escalated, fully aware and trusting
        (maybe,) = np.nonzero(draw < most)
        (keep,) = np.nonzero(draw[maybe] < most[maybe] * pop.awareness[family[maybe]]
                             * pop.trust[family[maybe]])
        maybe = maybe[keep]
        if not len(maybe):
            return comes
        # the candidates' pairs: each family's run of ``pairs`` starts at ``first``
        n = lengths[maybe]
        starts = np.r_[0, np.cumsum(n)[:-1]]
        rows = pairs[np.repeat(first[maybe] - starts, n) + np.arange(int(n.sum()))]
        sought = pop.last_sought.reshape(-1)[rows]
        ready = np.logical_or.reduceat((sought < 0) | (week - sought >= fp.patience_weeks), starts)
        escalated = np.logical_or.reduceat(pop.escalated.reshape(-1)[rows], starts)
        f = family[maybe]
        willing = fp.seek_probability * pop.awareness[f] * pop.trust[f]
        willing *= np.where(pop.marginalised[f], 1.0 - fp.stigma_marginalised, 1.0)
        willing *= np.where(escalated, 2.0, 1.0)
        comes[maybe] = ready & (draw[maybe] < np.minimum(willing, 1.0) * self.reach[home[maybe]])
        return comes

    def _partner_access(self, model, family, orgs):
        return access_weights(model, family, orgs) * self.partners[orgs]

    def visibility(self, model, family, org, probability):
        shared = self.params.shared_record_probability * self.strength(model)
        return np.where(self._covered(model, family, org), np.maximum(probability, shared), probability)

    def identify_probability(self, model, family, org, probability):
        hub = self.params.hub_identify_probability * self.strength(model)
        return np.where(self._covered(model, family, org), np.maximum(probability, hub), probability)

    def fast_track(self, model, family, source, target):
        return self._covered(model, family, source, target)

    def referral_completion(self, model, family, source, target, probability):
        s = self.strength(model)
        warm = s * self.params.warm_referral_completion + (1 - s) * probability
        return np.where(self._covered(model, family, source, target),
                        np.maximum(probability, warm), probability)

    def weekly_cost(self, model: ModelView) -> float:
        p = self.params
        running = len(self.hubs) * p.running_cost_per_hub_per_year * self.per_hub_scale / WEEKS_PER_YEAR
        return (running + self.visits_this_week * p.cost_per_outreach_visit
                + self.assessed_this_week * p.assessment_cost)
