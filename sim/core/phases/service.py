"""Phase 5: service limited by capacity and budget; waiting lists are served by a priority rule.

Each organisation first keeps its current cases, then fills free places from its waiting list:
places reserved by a quota go to marginalised families first, the rest to warm referrals first,
then by first come (or most vulnerable first). Every case costs its weekly unit cost; a case the
budget cannot pay this week is paused (and a new one is not started). A case that completes its
weeks meets the need, and the family leaves every other waiting list and caseload for that need.
A lasting service (a place, a benefit) has no end of its own; a family offered a second one of
the same need keeps the first and leaves the second after its first week (still a duplicate).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.core.arrays import (
    add_counts,
    cumsum_in_groups,
    first_of_each,
    pair_key,
    rank_in_groups,
    select,
    sorted_unique,
)
from sim.core.ledger import MET
from sim.core.phases.needs import end_episodes
from sim.scenario.schema import PRIORITY_CODES, Priority

if TYPE_CHECKING:
    from sim.core.model import CoordinationModel

MOST_VULNERABLE = PRIORITY_CODES[Priority.MOST_VULNERABLE]


def drop_seen_duplicates(model: CoordinationModel) -> None:
    """Waiting families that an organisation sees are already served elsewhere leave its list."""
    w = model.book.waiting
    if len(w) == 0:
        return
    draw = model.streams["service_visibility"].random(len(w))  # one draw per row, as always
    (served,) = np.nonzero(model.book.serving.ravel()[w.pair] > 0)  # only these can leave
    sees = draw[served] < model.visibility(w.family[served].astype(np.int64),
                                           w.org[served].astype(np.int64))
    keep = np.ones(len(w), dtype=bool)
    keep[served[sees]] = False
    w.keep(keep)


def choose_new_cases(model: CoordinationModel, with_quota: bool = False):
    """Indices of waiting rows offered a place this week (capacity and priority rule); with
    ``with_quota``, also the number of them (the first ones) offered a place a quota reserves.

    Rows are appended in week order and filtering keeps their order, so within a priority class
    row order is waiting-time order (first come) and each pass is one stable sort by a small key.
    """
    w, orgs, pop = model.book.waiting, model.orgs, model.pop
    free = np.maximum(orgs.capacity - np.bincount(model.book.cases.org, minlength=orgs.size), 0)
    # only the rows of organisations with a free place can be offered one (the others' rows,
    # long lists for places that are all held, are not sorted)
    org_all = w.org.astype(np.int64)
    (rows,) = np.nonzero(free[org_all] > 0)
    if len(rows) == 0:
        none = np.zeros(0, dtype=np.int64)
        return (none, 0) if with_quota else none
    org = org_all[rows]
    marg = pop.marginalised[w.family[rows]]
    reserved = np.minimum(np.floor(orgs.quota_share * free + 0.5).astype(np.int64), free)
    # pass 1: reserved places, marginalised families by waiting time
    order = _stable_order(org, ~marg)
    rank = rank_in_groups(org[order])
    first = order[marg[order] & (rank < reserved[org[order]])]
    taken = np.zeros(len(rows), dtype=bool)
    taken[first] = True
    left = free - np.bincount(org[first], minlength=orgs.size)
    # pass 2: remaining places: fast-tracked referrals, then the organisation's priority rule
    vulnerable_first = (orgs.priority[org] == MOST_VULNERABLE) & marg
    rest = np.flatnonzero(~taken)
    order = rest[_stable_order(org[rest], ~w.fast_track[rows[rest]], ~vulnerable_first[rest])]
    rank = rank_in_groups(org[order])
    second = order[rank < left[org[order]]]
    offered = rows[np.concatenate([first, second])]
    return (offered, len(first)) if with_quota else offered


def _stable_order(org: np.ndarray, *later: np.ndarray) -> np.ndarray:
    """Order by organisation, then by the boolean keys ``later`` (False first), ties in row
    order: a stable sort of the small flags, then a stable (radix) sort of the 16-bit codes."""
    order = np.arange(len(org))
    if later:
        flags = np.zeros(len(org), dtype=np.uint8)
        for key in later:
            flags = (flags << 1) | key.astype(np.uint8)
        order = np.argsort(flags, kind="stable")
    return order[np.argsort(org[order].astype(np.uint16), kind="stable")]


def serve(model: CoordinationModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run one week of service; return (family, sector, org) of the cases started this week."""
    drop_seen_duplicates(model)
    offered, n_reserved = choose_new_cases(model, with_quota=True)
    pop, orgs, cases, w = model.pop, model.orgs, model.book.cases, model.book.waiting
    n_old = len(cases)
    fam, sec, org = w.family[offered], w.sector[offered].astype(np.int64), w.org[offered]
    esc = pop.escalated[fam, sec]
    weekly = orgs.unit_cost[org] * np.where(esc, model.sectors.escalation_cost_multiplier[sec], 1.0)
    # current cases first, then the offers, in order: the budget pays as far as it goes
    paid = _within_budget(orgs, np.concatenate([cases.org, org]),
                          np.concatenate([cases.weekly_cost, weekly]))
    starts = paid[n_old:]
    via_quota = np.arange(len(offered)) < n_reserved  # offered a place a quota reserves (pass 1)
    cases.append(family=fam[starts], sector=sec[starts], org=org[starts],
                 weeks_left=model.sectors.service_weeks[sec[starts]], weekly_cost=weekly[starts],
                 duplicate=np.zeros(np.count_nonzero(starts), dtype=bool),
                 via_quota=via_quota[starts])
    taken = offered[starts]
    _record_referral_waits(model, w.family[taken], w.since[taken], w.referred[taken])
    keep_waiting = np.ones(len(w), dtype=bool)
    keep_waiting[taken] = False
    w.keep(keep_waiting)
    paid = np.concatenate([paid[:n_old], np.ones(len(taken), dtype=bool)])
    rows = np.arange(n_old, len(cases))
    _start_cases(model, rows)
    new_cases = (cases.family[rows].astype(np.int64), cases.sector[rows].astype(np.int64),
                 cases.org[rows].astype(np.int64))
    _charge_week(model, paid)
    return new_cases


def _within_budget(orgs, org: np.ndarray, weekly_cost: np.ndarray) -> np.ndarray:
    """Mask of the cases (``org``, ``weekly_cost``, in priority order) each organisation's budget
    pays this week: its running total of their costs stays within its budget."""
    order = np.argsort(org, kind="stable")  # a radix sort of the 16-bit codes
    by_org = org[order].astype(np.int64)
    paid = np.empty(len(org), dtype=bool)
    paid[order] = cumsum_in_groups(by_org, weekly_cost[order]) <= orgs.budget[by_org] + 1e-9
    return paid


def _record_referral_waits(model: CoordinationModel, family, since, referred) -> None:
    """Weeks that referred families waited on the receiving list, by neighbourhood."""
    if not model.ledger.counts(model.week):
        return
    waits = (model.week - since[referred]).astype(float)
    model.ledger.referral_wait_weeks_total += float(waits.sum())
    model.ledger.referrals_started += float(len(waits))
    area = model.pop.neighbourhood[family[referred]]
    model.ledger.add_by_area("referral_wait_weeks_total", area, waits)
    model.ledger.add_by_area("referrals_started", area)


def _start_cases(model: CoordinationModel, rows: np.ndarray) -> None:
    """Mark duplicates, record the first service's wait and the children reached."""
    pop, cases, sectors, week = model.pop, model.book.cases, model.sectors, model.week
    fam, sec = cases.family[rows].astype(np.int64), cases.sector[rows].astype(np.int64)
    model.orgs.started_this_week = np.bincount(cases.org[rows], minlength=model.orgs.size)
    pairs = pair_key(fam, sec, pop.n_sectors)
    first_now = first_of_each(pairs)
    cases.duplicate[rows] = (pop.enrolled.ravel()[pairs] > 0) | ~first_now
    second_place = rows[cases.duplicate[rows] & sectors.lasting[sec]]
    cases.weeks_left[second_place] = 1  # the family keeps its first place (see _charge_week)
    add_counts(pop.enrolled.reshape(-1), pairs)
    fresh = ~cases.duplicate[rows]
    fam, sec, pairs = select(fresh, fam, sec, pairs)  # first enrolments of their episodes
    pop.trust[fam] += model.params.families.trust_gain_when_served * (1 - pop.trust[fam])
    if not model.ledger.counts(week):
        return
    start = pop.need_start.ravel()[pairs]
    counted = start >= model.ledger.warmup
    waits = (week - start[counted]).astype(float)
    model.ledger.wait_weeks_total += float(waits.sum())
    model.ledger.first_services += float(counted.sum())
    area = pop.neighbourhood[fam[counted]]
    model.ledger.served_first(week, start[counted], sec[counted],
                              pop.family_class[fam[counted]], area)
    model.ledger.add_by_area("wait_weeks_total", area, waits)
    model.ledger.add_by_area("first_services", area)
    band = sectors.age_band_weeks[sec]
    kids = pop.children.in_band(fam, week, band[:, 0], band[:, 1])
    before = pop.children.reached[fam]  # (n, K) bits of the sectors that served each child
    bit = (np.uint32(1) << sec.astype(np.uint32))[:, None]
    model.ledger.children_reached += float((kids & (before == 0)).sum())
    new = kids & ((before & bit) == 0)
    model.ledger.children_reached_by_sector += np.bincount(sec, weights=new.sum(axis=1),
                                                           minlength=pop.n_sectors)
    np.bitwise_or.at(pop.children.reached, fam, np.where(kids, bit, np.uint32(0)))


def _charge_week(model: CoordinationModel, paid: np.ndarray) -> None:
    """Pay this week's service, count contacts, and meet the needs whose service is complete."""
    orgs, cases = model.orgs, model.book.cases
    spend = np.bincount(cases.org[paid], weights=cases.weekly_cost[paid], minlength=orgs.size)
    orgs.budget -= spend
    cases.weeks_left[paid] -= 1
    if model.ledger.counts(model.week):
        led, dup = model.ledger, cases.duplicate[paid]
        led.service_weeks += float(paid.sum())
        led.service_weeks_duplicate += float(dup.sum())
        led.service_spend += float(spend.sum())
        led.service_spend_duplicate += float(cases.weekly_cost[paid][dup].sum())
        led.add_by_org(spend, cases.org[paid][dup])
        led.org_fee_revenue += _fee_revenue(model, paid)
    done = cases.weeks_left <= 0
    if done.any():
        left = done & model.sectors.lasting[cases.sector]  # second places of a lasting service
        if left.any():
            cases.keep(~left)
            done = done[~left]
        pairs = sorted_unique(cases.pair[done])
        end_episodes(model, pairs, MET)


def _fee_revenue(model: CoordinationModel, paid: np.ndarray) -> np.ndarray:
    """(O,) fees private providers charge for this week's paid cases: ``fee x unit_cost`` per
    paid service week, ``fee_marginalised x unit_cost`` for a marginalised family (a quota's
    waiver); departments and NGOs charge none."""
    orgs, cases = model.orgs, model.book.cases
    private = ~orgs.funded
    if not private.any():
        return np.zeros(orgs.size)
    (rows,) = np.nonzero(paid & private[cases.org])  # only private providers' cases are looked at
    group = cases.org[rows].astype(np.int64) * 2 + model.pop.marginalised[cases.family[rows]]
    weeks = np.bincount(group, minlength=2 * orgs.size).reshape(orgs.size, 2)
    fee = weeks[:, 0] * orgs.fee + weeks[:, 1] * orgs.fee_marginalised
    return np.where(private, fee * orgs.unit_cost, 0.0)
