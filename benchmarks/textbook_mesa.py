"""Reference: the model's core rules written the textbook Mesa way, one agent per family.

Each family is a ``mesa.Agent`` with its own ``step``, activated in random order with
``model.agents_by_type[Family].shuffle_do("step")``; each organisation is a ``mesa.Agent`` with
an inbox of applications, a waiting list (``collections.deque``), a caseload (a list), a
capacity and a budget. Everything is per-agent Python, as in a Mesa tutorial: no NumPy inside.
It reads the same scenario (``sim.scenario.loading.load_scenario``) and builds its own city from it.

The core rules reproduced (from sim/core/phases/*.py, sim/core/population.py, sim/core/children.py):

- budgets: tranches on each organisation's fiscal cycle, unspent money lapses at year end,
  grants renew with their probability; private providers charge fees and have no budget limit;
- families: children age, age out at 13 and are born (up to the maximum per family);
- per sector, a need arises with the sector's weekly hazard (age band; marginalised and informal
  multipliers; the family's complexity); an unmet need may escalate (after some weeks) and lapses
  (or ends when no child is left in the age band);
- a family seeks help with probability seek_probability x awareness x trust (x (1 - stigma) if
  marginalised, x 2 if escalated), at most once per patience period, and picks a provider it is
  not already on the books of, weighted by distance decay x fee take-up x eligibility; outreach
  finds families that neither are served nor wait;
- providers assess applicants (assessment cost, or turn them away when the budget is short: trust
  falls), then serve up to capacity and budget, most vulnerable first where that is the rule, for
  the sector's service weeks (escalated needs cost more); a need is met when its service completes;
- a provider starting a case spots other open needs with its identify probability and refers;
  the hand-off completes with its completion probability lowered by the receiving wait.

Not included: the coordination mechanisms (council, platform, pooled budget, registry, focal
point, training, quotas, community network). The reference is therefore *lighter* than the model
it is compared with (``full_integration``, every mechanism on), so the ratio reference/model
understates the model's advantage.

    .venv/bin/python benchmarks/textbook_mesa.py [--sizes 10000 100000]
"""

from __future__ import annotations

import argparse
import math
import time
from collections import deque

import mesa
from benchlib import TIMED_STEPS, WARMUP_STEPS, emit, load, step_stats, time_steps, worker, years_for

WEEKS = 52
AGE_OUT = 13 * WEEKS
INTRA_KM = 0.7  # a trip inside one's own neighbourhood (as sim/core/world.py)
MET, LAPSED = 0, 1
COVERAGE_SEEDS = (1, 2, 3)


class Sector:
    """One sector's rules (plain attributes)."""

    def __init__(self, index: int, spec, rate_by_group: list[float]):
        self.index = index
        self.lo, self.hi = round(spec.ages[0] * WEEKS), round(spec.ages[1] * WEEKS)
        self.rate_by_group = rate_by_group  # weekly hazard rate by 2 * marginalised + informal
        # a lasting service (a place, a benefit) ends when no child is left in the band; an
        # entitlement (need_arises: entering_band) opens whenever an eligible family has none open
        self.lasting = spec.service_weeks == "while_eligible"
        self.service_weeks = 10**9 if self.lasting else spec.service_weeks
        self.lapse_probability = 0.0 if spec.lapse_weeks == "never" else 1.0 / spec.lapse_weeks
        self.escalation_after = spec.escalation_after_weeks or 10**9
        self.escalation_probability = spec.escalation_probability
        self.escalation_cost_multiplier = spec.escalation_cost_multiplier


class Family(mesa.Agent):
    """A family: its children's ages and, per sector, the state of its current need."""

    def __init__(self, model: TextbookModel, home: int, marginalised: bool, awareness: float,
                 trust: float, complexity: float, ages: list[int]):
        super().__init__(model)
        self.home = home
        self.marginalised = marginalised
        self.awareness = awareness
        self.trust = trust
        self.ages = ages  # children's ages in weeks
        group = 2 * marginalised + model.informal[home]
        self.need_probability = [1.0 - math.exp(-s.rate_by_group[group] * complexity)
                                 for s in model.sectors]
        n = len(model.sectors)
        self.need_start = [-1] * n  # week the open need began; -1: no need
        self.episode = [0] * n  # current episode number: list entries of older episodes are stale
        self.escalated = [False] * n
        self.last_sought = [-1] * n
        self.assessed = [0] * n
        self.enrolled = [0] * n
        self.serving = [0] * n  # open cases for the current need
        self.holders = [{} for _ in range(n)]  # organisation -> True if serving, False if waiting

    def step(self) -> None:
        m = self.model
        week = m.week
        ages = [a + 1 for a in self.ages if a + 1 < AGE_OUT]
        if self.random.random() < m.birth_probability and len(ages) < m.max_children:
            ages.append(0)
        self.ages = ages
        for sector in m.sectors:
            s = sector.index
            eligible = any(sector.lo <= a < sector.hi for a in ages)
            if self.need_start[s] < 0:
                if not eligible or self.random.random() >= self.need_probability[s]:
                    continue
                self.start_need(s)
            if self.serving[s]:
                if sector.lasting and not eligible:
                    self.end_need(s, MET)
                continue
            if (not self.escalated[s] and week - self.need_start[s] >= sector.escalation_after
                    and self.random.random() < sector.escalation_probability):
                self.escalated[s] = True
            if not eligible or self.random.random() < sector.lapse_probability:
                self.end_need(s, LAPSED)
                continue
            last = self.last_sought[s]
            if (last < 0 or week - last >= m.patience) and self.seek(s):
                continue
            if not self.holders[s]:
                self.maybe_found_by_outreach(s)

    def start_need(self, s: int) -> None:
        m = self.model
        self.need_start[s] = m.week
        self.episode[s] += 1
        self.escalated[s] = False
        self.assessed[s] = self.enrolled[s] = 0
        self.last_sought[s] = -1
        if m.week >= m.warmup:
            m.started[self.marginalised] += 1

    def end_need(self, s: int, outcome: int) -> None:
        m = self.model
        if self.need_start[s] >= m.warmup:
            m.ended[outcome][self.marginalised] += 1
        for org, serving in self.holders[s].items():
            if not serving:
                org.n_waiting -= 1
        self.holders[s] = {}
        self.need_start[s] = -1
        self.episode[s] += 1
        self.escalated[s] = False
        self.serving[s] = 0

    def choose(self, s: int, options: list) -> tuple:
        """A provider from ``options`` [(org, weight)] in proportion to weight, skipping holders."""
        held = self.holders[s]
        choices = [(org, w) for org, w in options if org not in held]
        total = sum(w for _, w in choices)
        if total <= 0:
            return None, 0.0
        r = self.random.random() * total
        for org, w in choices:
            r -= w
            if r < 0:
                return org, total
        return choices[-1][0], total

    def seek(self, s: int) -> bool:
        m = self.model
        willing = m.seek_probability * self.awareness * self.trust
        if self.marginalised:
            willing *= 1.0 - m.stigma
        if self.escalated[s]:
            willing *= 2.0
        draw = self.random.random()
        if draw >= willing:
            return False
        org, total = self.choose(s, m.access[self.home][self.marginalised][s])
        if org is None or draw >= willing * min(total, 1.0):
            return False
        self.last_sought[s] = m.week
        org.inbox.append((self, s, self.episode[s], False))
        return True

    def maybe_found_by_outreach(self, s: int) -> None:
        m = self.model
        options, chance = m.outreach[self.home][self.marginalised][s]
        if chance > 0 and self.random.random() < chance:
            org, _ = self.choose(s, options)
            if org is not None:
                org.inbox.append((self, s, self.episode[s], False))


class Organisation(mesa.Agent):
    """A department, NGO or private provider: inbox, waiting list, caseload, capacity, budget."""

    def __init__(self, model: TextbookModel, name: str, spec, sectors: list[int], sites: list[int],
                 scale: float, money: float):
        super().__init__(model)
        self.name = name
        self.sectors = sectors
        self.sites = sites
        self.capacity = round(spec.capacity * scale)
        self.unit_cost = spec.unit_cost
        self.assessment_cost = spec.assessment_cost
        self.fee = spec.fee
        self.outreach = spec.outreach
        self.identify_probability = spec.identify_probability
        self.referral_completion = spec.referral_completion
        self.vulnerable_first = spec.priority.value == "most_vulnerable"
        self.marginalised_only = spec.eligibility.value == "marginalised"
        self.funded = spec.kind.value != "private"
        f = spec.funding
        self.budget_per_year = (f.budget_per_year or 0.0) * money
        self.tranches, self.fiscal_start = f.tranches_per_year, f.fiscal_year_start_week
        self.lapse_at_year_end, self.renewal_probability = f.lapse_at_year_end, f.renewal_probability
        self.budget = 0.0 if self.funded else math.inf
        weeks = [(model.sectors[s].hi - model.sectors[s].lo) / 2 if model.sectors[s].lasting
                 else model.sectors[s].service_weeks for s in sectors]
        self.throughput = max(self.capacity / (sum(weeks) / len(weeks)), 1e-9)
        self.inbox: list = []  # (family, sector, episode, referred)
        self.waiting: deque = deque()  # (family, sector, episode, since, referred)
        self.waiting_first: deque = deque()  # marginalised families, when most vulnerable go first
        self.n_waiting = 0  # live entries (stale ones are skipped when reached)
        self.cases: list = []  # [family, sector, episode, weeks_left, weekly_cost]

    def fund(self) -> None:
        if not self.funded:
            return
        week = self.model.week
        rel = (week - self.fiscal_start) % WEEKS
        if self.lapse_at_year_end and rel == 0 and week > 0:
            self.budget = 0.0
        renewed = self.random.random() < self.renewal_probability
        if renewed and (rel * self.tranches) // WEEKS != ((rel - 1) * self.tranches) // WEEKS:
            self.budget += self.budget_per_year / self.tranches

    def take_in(self) -> None:
        """Assess this week's applicants and put them on the waiting list."""
        m = self.model
        applications, self.inbox = self.inbox, []
        self.random.shuffle(applications)
        for family, s, episode, referred in applications:
            if family.episode[s] != episode or family.need_start[s] < 0 or self in family.holders[s]:
                continue
            if self.budget + 1e-9 < self.assessment_cost:
                family.trust *= 1.0 - m.trust_loss
                continue
            self.budget -= self.assessment_cost
            family.assessed[s] += 1
            family.holders[s][self] = False
            self.n_waiting += 1
            entry = (family, s, episode, m.week, referred)
            if self.vulnerable_first and family.marginalised:
                self.waiting_first.append(entry)
            else:
                self.waiting.append(entry)

    def next_waiting(self):
        """The next live waiting-list entry (most vulnerable first where that is the rule)."""
        for queue in (self.waiting_first, self.waiting):
            while queue:
                entry = queue.popleft()
                family, s, episode = entry[0], entry[1], entry[2]
                if family.episode[s] == episode:
                    return entry
        return None

    def serve(self) -> None:
        """Pay this week's cases, start new ones up to capacity and budget, meet completed needs."""
        m = self.model
        cases = []
        for case in self.cases:
            family, s, episode = case[0], case[1], case[2]
            if family.episode[s] != episode:
                continue  # the need ended elsewhere
            if self.budget + 1e-9 >= case[4]:
                self.budget -= case[4]
                case[3] -= 1
                if case[3] <= 0:
                    family.end_need(s, MET)
                    continue
            cases.append(case)
        free = self.capacity - len(cases)
        while free > 0:
            entry = self.next_waiting()
            if entry is None:
                break
            family, s, episode = entry[0], entry[1], entry[2]
            cost = self.unit_cost
            if family.escalated[s]:
                cost *= m.sectors[s].escalation_cost_multiplier
            if self.budget + 1e-9 < cost:  # cannot pay the first week: stays at the front
                (self.waiting_first if self.vulnerable_first and family.marginalised
                 else self.waiting).appendleft(entry)
                break
            self.budget -= cost
            free -= 1
            self.n_waiting -= 1
            family.holders[s][self] = True
            family.serving[s] += 1
            if family.enrolled[s] == 0:
                family.trust += m.trust_gain * (1.0 - family.trust)
            family.enrolled[s] += 1
            self.refer(family, s)
            weeks_left = m.sectors[s].service_weeks - 1
            if weeks_left <= 0:
                family.end_need(s, MET)
            else:
                cases.append([family, s, episode, weeks_left, cost])
        self.cases = cases

    def refer(self, family: Family, own: int) -> None:
        """Spot the family's other open needs (neither served nor waiting) and refer."""
        m = self.model
        for sector in m.sectors:
            s = sector.index
            if s == own or family.need_start[s] < 0 or family.holders[s]:
                continue
            if self.random.random() >= self.identify_probability:
                continue
            target, _ = family.choose(s, m.access[family.home][family.marginalised][s])
            if target is None:
                continue
            wait = target.n_waiting / target.throughput
            p = self.referral_completion / (1.0 + wait / m.referral_wait_scale)
            if self.random.random() < p:
                target.inbox.append((family, s, family.episode[s], True))


class TextbookModel(mesa.Model):
    """The city, its families and organisations as Mesa agents; one step is one week."""

    def __init__(self, scenario, seed: int | None = None):
        super().__init__(rng=int(scenario.seed if seed is None else seed))
        self.week = 0
        c, f = scenario.city, scenario.families
        self.warmup = scenario.time.warmup_weeks
        self.max_children = c.max_children
        self.birth_probability = 1.0 - (1.0 - min(c.births_per_family_per_year, 1.0)) ** (1 / WEEKS)
        self.patience, self.seek_probability, self.stigma = (
            f.patience_weeks, f.seek_probability, f.stigma_marginalised)
        self.trust_loss, self.trust_gain = f.trust_loss_when_turned_away, f.trust_gain_when_served
        self.referral_wait_scale = f.referral_wait_scale_weeks
        self.started = [0, 0]  # need episodes started since warm-up, by marginalised
        self.ended = [[0, 0], [0, 0]]  # [outcome][marginalised]
        self.sectors = []
        for i, spec in enumerate(scenario.sectors.values()):
            groups = (1.0, spec.informal_multiplier, spec.marginalised_multiplier,
                      spec.marginalised_multiplier * spec.informal_multiplier)
            rate = 1.0 if spec.need_arises == "entering_band" else spec.need_rate_per_year
            annual = [min(rate * g, 1.0) for g in groups]
            rates = [math.inf if a >= 1 else -math.log1p(-a) / WEEKS for a in annual]
            self.sectors.append(Sector(i, spec, rates))
        self.build_city(c)
        sector_index = {name: i for i, name in enumerate(scenario.sectors)}
        scale = scenario.service_scale
        for name, spec in scenario.organisations.items():
            Organisation(self, name, spec, [sector_index[s] for s in spec.sectors],
                         self.place_sites(spec), scale, scale * scenario.funding.budget_scale)
        self.build_choice_tables(f)
        self.add_families(c, f)

    # ---------------------------------------------------------------- the step
    def step(self) -> None:
        orgs = self.agents_by_type[Organisation]
        orgs.do("fund")
        self.agents_by_type[Family].shuffle_do("step")
        orgs.shuffle_do("take_in")
        orgs.shuffle_do("serve")
        self.week += 1

    def coverage(self) -> float:
        started = sum(self.started)
        return sum(self.ended[MET]) / started if started else float("nan")

    # ---------------------------------------------------------------- set-up
    def build_city(self, c) -> None:
        """Neighbourhoods on a jittered grid; the peripheral ones are informal settlements."""
        h = c.neighbourhoods
        side = math.ceil(math.sqrt(h))
        cell = c.extent_km / side
        self.xy = [((i % side + 0.5 + self.random.uniform(-0.3, 0.3)) * cell,
                    (i // side + 0.5 + self.random.uniform(-0.3, 0.3)) * cell) for i in range(h)]
        centre = c.extent_km / 2
        periphery = sorted(range(h), key=lambda i: -math.hypot(self.xy[i][0] - centre,
                                                               self.xy[i][1] - centre))
        informal = set(periphery[:c.informal_neighbourhoods])
        self.informal = [int(i in informal) for i in range(h)]
        weight = [self.random.gammavariate(4.0, 1.0) for _ in range(h)]
        for flag, share in ((1, c.informal_family_share), (0, 1 - c.informal_family_share)):
            total = sum(w for w, i in zip(weight, self.informal, strict=True) if i == flag)
            for k in range(h):
                if self.informal[k] == flag:
                    weight[k] = weight[k] / total * share
        self.family_weight = weight

    def distance(self, a: int, b: int) -> float:
        if a == b:
            return INTRA_KM
        return math.hypot(self.xy[a][0] - self.xy[b][0], self.xy[a][1] - self.xy[b][1])

    def place_sites(self, spec) -> list[int]:
        h = len(self.informal)
        if isinstance(spec.sites, list):
            return sorted(set(spec.sites))
        pool = {"spread": list(range(h)),
                "informal": [i for i in range(h) if self.informal[i]],
                "formal": [i for i in range(h) if not self.informal[i]]}[spec.site_placement]
        pool = pool or list(range(h))
        return sorted(self.random.sample(pool, min(spec.sites, len(pool))))

    def build_choice_tables(self, f) -> None:
        """Per (neighbourhood, marginalised, sector): providers with their access weight
        (distance decay x fee take-up x eligibility), and the outreach that reaches a family."""
        orgs = list(self.agents_by_type[Organisation])
        h = len(self.informal)
        self.access, self.outreach = [], []
        for home in range(h):
            access_h, outreach_h = [], []
            for marg in (0, 1):
                sens = f.fee_sensitivity_marginalised if marg else f.fee_sensitivity
                access_m, outreach_m = [], []
                for s in range(len(self.sectors)):
                    options, reach = [], []
                    for org in orgs:
                        if s not in org.sectors or (org.marginalised_only and not marg):
                            continue
                        near = min(self.distance(home, site) for site in org.sites)
                        w = math.exp(-near / f.travel_km_scale) * (1.0 - org.fee * sens)
                        if w > 0:
                            options.append((org, w))
                        if home in org.sites and org.outreach > 0:
                            reach.append((org, org.outreach))
                    access_m.append(options)
                    outreach_m.append((reach, -math.expm1(-sum(w for _, w in reach))))
                access_h.append(access_m)
                outreach_h.append(outreach_m)
            self.access.append(access_h)
            self.outreach.append(outreach_h)

    def add_families(self, c, f) -> None:
        h = len(self.informal)
        homes = self.random.choices(range(h), weights=self.family_weight, k=c.families)
        shape = f.need_complexity_shape
        for home in homes:
            share = c.marginalised_share_informal if self.informal[home] else c.marginalised_share_formal
            marg = self.random.random() < share
            aware = f.awareness_mean * (f.marginalised_awareness_factor if marg else 1.0)
            n_children = min(1 + self._poisson(max(c.mean_children - 1, 0.0)), c.max_children)
            Family(self, home, marg, self._beta_around(aware), self._beta_around(f.trust_mean),
                   1.0 if shape is None else self.random.gammavariate(shape, 1.0 / shape),
                   [self.random.randrange(AGE_OUT) for _ in range(n_children)])

    def _beta_around(self, mean: float, concentration: float = 8.0) -> float:
        mean = min(max(mean, 0.02), 0.98)
        return self.random.betavariate(mean * concentration, (1 - mean) * concentration)

    def _poisson(self, lam: float) -> int:
        limit, k, p = math.exp(-lam), 0, self.random.random()
        while p > limit:
            k += 1
            p *= self.random.random()
        return k


# -------------------------------------------------------------------- measurements
def measure_reference(families: int) -> dict:
    """Time/step of the reference at ``families`` (20 warm-up steps, 20 timed), like the model's."""
    scenario = load(families, years_for(WARMUP_STEPS + TIMED_STEPS), coordination="silos")
    t0 = time.perf_counter()
    model = TextbookModel(scenario)
    build = time.perf_counter() - t0
    return {"families": families, "build_seconds": build,
            **step_stats(time_steps(model.step), families), "coverage": model.coverage()}


def coverage_check(families: int, years: float, seeds: tuple[int, ...] = COVERAGE_SEEDS) -> dict:
    """Mean coverage over ``seeds`` after ``years`` (52-week warm-up): reference and model.

    The two build different random cities (site placement drives access), so one seed says
    little; the mean over a few seeds is the sanity check.
    """
    from sim.core.model import CoordinationModel

    out: dict = {"families": families, "years": years, "seeds": list(seeds)}
    runs: dict[str, list[float]] = {"reference": [], "model_silos": [], "model_full_integration": []}
    for seed in seeds:
        ref = TextbookModel(load(families, years, coordination="silos", ledger_warmup=52), seed=seed)
        for _ in range(round(years * WEEKS)):
            ref.step()
        runs["reference"].append(ref.coverage())
        for preset in ("silos", "full_integration"):
            model = CoordinationModel(load(families, years, coordination=preset, ledger_warmup=52),
                                      seed=seed)
            model.run()
            runs[f"model_{preset}"].append(model.summary()["coverage"])
    for key, values in runs.items():
        out[key] = sum(values) / len(values)
        out[f"{key}_by_seed"] = values
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", default="report", choices=["report", "reference", "coverage"])
    parser.add_argument("--families", type=int, default=10_000, help="(worker modes)")
    parser.add_argument("--years", type=float, default=2.0, help="(coverage mode)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    if args.mode == "reference":
        emit(measure_reference(args.families))
        return
    if args.mode == "coverage":
        emit(coverage_check(args.families, args.years))
        return
    print("reference: core rules only, no coordination mechanisms (lighter than the model with "
          "every mechanism on): the ratio understates the model's advantage")
    for n in args.sizes:
        model = worker("throughput.py", "model", "--families", str(n))
        ref = worker("textbook_mesa.py", "reference", "--families", str(n))
        ratio = ref["seconds_per_step"] / model["seconds_per_step"]
        print(f"{n:>9,} families: textbook Mesa {1000 * ref['seconds_per_step']:8.1f} ms/step, model "
              f"{1000 * model['seconds_per_step']:7.2f} ms/step: {ratio:5.1f}x")
    cov = worker("textbook_mesa.py", "coverage", "--families", "10000", "--years", str(args.years))
    print(f"coverage after {cov['years']:g} years, 10,000 families, mean of seeds {cov['seeds']}: "
          f"textbook Mesa {cov['reference']:.3f}, "
          f"model silos {cov['model_silos']:.3f}, model full_integration {cov['model_full_integration']:.3f}")


if __name__ == "__main__":
    main()
