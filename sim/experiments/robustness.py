"""`sim robustness EXPERIMENT`: does the ranking of the compared ways of working rest on assumptions?

For each assumed (or calibrated) parameter with a plausible range (:data:`sim.scenario.ranges.ASSUMED`),
one at a time, the experiment's arms are run at the range's low end, the scenario's value and the
high end, every arm and value with the same replication seeds (common random numbers). Where the
ranking changes between two values, the interval is bisected a fixed number of times to find where.

The rule (:func:`order`): two ways of working are **tied** at a value when the 95% t-interval of
their paired difference on the metric (replication by replication) includes 0. The ranking
**changes** between two values when some pair is ordered one way at one value and the other way at
the other, both outside noise; a pair that goes from ordered to tied is not a change. Bisection
then finds where the pair's mean paired difference changes sign (with several pairs changing
between the same two values, where the first of them does).

Runs are named by what determines them (the resolved configuration and the seed), so an arm that
a parameter does not apply to (a mechanism it does not run) reuses the scenario's runs, runs
already recorded in the results folder are not run again (an interrupted study resumes), and the
same inputs give the same report.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim.errors import ConfigError
from sim.experiments.plan import Arm, Plan, load_experiment, replication_seeds
from sim.experiments.report_text import arm_names, better, metric_label
from sim.experiments.stats import mean_ci
from sim.experiments.store import ResultStore
from sim.scenario.loading import apply_overrides, apply_preset, scale_for_tests, validate
from sim.scenario.params import Scenario
from sim.scenario.ranges import ASSUMED, DECLARED, Declared

DEFAULT_METRIC = "full_package_share"  # the report's headline for children
BISECTION_STEPS = 4
RECORD = "robustness-plan.json"
RULE = ("Two ways of working are tied at a value when the 95% interval of their paired "
        "difference (replication by replication, the same seeds) includes 0. The ranking changes "
        "between two values when a pair is ordered one way at one value and the other way at the "
        "other, both outside noise; a pair going from ordered to tied is not a change. Between "
        "two such values the interval is halved {steps} times, keeping the half where the "
        "pair's mean paired difference changes sign: the value given is the middle of the last "
        "interval.")


class RobustnessStore(ResultStore):
    """The folder of a robustness study: its inputs (robustness-plan.json) and its runs' rows."""

    RECORD = RECORD


# ------------------------------------------------------------------ the study
@dataclass
class Study:
    """What to examine: the experiment's arms, the metric, the parameters and the seeds."""

    plan: Plan
    metric: str
    higher_better: bool
    parameters: dict[str, Declared]
    seeds: list[int]
    steps: int = BISECTION_STEPS
    names: dict[str, str] = field(default_factory=dict)  # arm label -> as people read it

    @property
    def arms(self) -> list[Arm]:
        return self.plan.arms

    def applies(self, arm: Arm, key: str) -> bool:
        """Whether ``key`` changes ``arm``: a mechanism's key only if the arm runs the mechanism."""
        parts = key.split(".")
        if parts[0] != "coordination":
            return True
        block = arm.config["coordination"].get(parts[1])
        return block is not None and block.get("enabled", True) is not False

    def users(self, key: str) -> list[Arm]:
        return [arm for arm in self.arms if self.applies(arm, key)]

    def base_value(self, key: str):
        """The scenario's value of ``key`` (in the first arm it applies to), None if none."""
        for arm in self.users(key):
            value = arm.config
            for part in key.split("."):
                value = value[part]
            return value
        return None

    def runs_bound(self) -> tuple[int, int]:
        """(runs of the three points, most runs bisection may add) over every parameter."""
        r = len(self.seeds)
        pairs = len(self.arms) * (len(self.arms) - 1) // 2
        points = len(self.arms) * r + sum(2 * len(self.users(k)) * r for k in self.parameters)
        bisection = sum(min(3, pairs) * self.steps * len(self.users(k)) * r for k in self.parameters)
        return points, bisection


def load_study(experiment: str | Path, parameters: list[str] | None = None,
               replications: int | None = None, metric: str | None = None,
               steps: int = BISECTION_STEPS) -> Study:
    """Read the experiment and check the study's inputs (ConfigError, one line, on bad input)."""
    from sim.core.metrics import METRIC_NAMES, is_metric

    plan = load_experiment(experiment)
    spec, source = plan.spec, plan.source
    for name, present in (("sample", spec.sample), ("sensitivity", spec.sensitivity),
                          ("posterior", spec.posterior), ("portfolio", spec.portfolio)):
        if present:
            raise ConfigError(f"{source}: {name}: sim robustness ranks the arms of a comparison "
                              f"experiment (factors, e.g. coordination); drop the {name} design")
    if len(plan.arms) < 2:
        raise ConfigError(f"{source}: factors: one arm only; sim robustness ranks two or more "
                          "ways of working (e.g. factors: {coordination: [silos, council]})")
    where = "--metric" if metric else f"{source}: metrics"
    metric = metric or (spec.metrics[0] if spec.metrics else DEFAULT_METRIC)
    if not is_metric(metric) or better(metric) is None:
        raise ConfigError(f"{where}: {metric!r} is not a metric with a better direction "
                          f"(e.g. {', '.join(METRIC_NAMES[:6])})")
    if replications is None:
        replications = max(spec.replications, 2) if scale_for_tests() else spec.replications
    if replications < 2:
        raise ConfigError(f"--replications: expected at least 2 (ties are judged on paired "
                          f"intervals), got {replications}; the experiment has "
                          f"{spec.replications}")
    if steps < 0:
        raise ConfigError(f"--steps: expected 0 or more bisection steps, got {steps}")
    seeds = replication_seeds(spec.seed, replications)  # as the experiment's sweep's
    study = Study(plan, metric, better(metric) == "higher", {}, seeds, steps,
                  arm_names([a.label for a in plan.arms]))
    study.parameters = _chosen(study, parameters, source)
    return study


def _chosen(study: Study, keys: list[str] | None, source: str) -> dict[str, Declared]:
    """The parameters asked for (each checked), or by default every assumed parameter of the
    families and of the mechanisms the compared ways of working run."""
    spec = study.plan.spec
    if keys is None:  # a factor is compared, not varied; an unset value has no point to start at
        return {k: d for k, d in ASSUMED.items() if study.users(k) and k not in spec.factors
                and study.base_value(k) is not None}
    if not keys:
        raise ConfigError("--parameters: expected one or more dotted keys, e.g. "
                          "--parameters coordination.council.active_share")
    chosen: dict[str, Declared] = {}
    for key in keys:
        if key in chosen:
            raise ConfigError(f"--parameters: {key} is named twice")
        if key not in ASSUMED:
            grade = DECLARED[key].grade if key in DECLARED else None
            near = difflib.get_close_matches(key, list(ASSUMED), n=1)
            why = (f"graded {grade}, not an assumption" if grade else
                   "not an assumed parameter with a plausible range"
                   + (f" (did you mean {near[0]}?)" if near else ""))
            raise ConfigError(f"--parameters: {key}: {why} (see ASSUMED_MECHANISM_PARAMETERS and "
                              "UNCERTAINTIES in sim/scenario/ranges.py, or docs/model.md, "
                              "column evidence)")
        if key in spec.factors:
            raise ConfigError(f"--parameters: {key} is a factor of {source}; robustness varies "
                              "a parameter the arms share")
        if study.users(key) and study.base_value(key) is None:
            raise ConfigError(f"--parameters: {key}: the experiment's scenario has no value for "
                              "it (unset); set it in the experiment's set: to examine it")
        chosen[key] = ASSUMED[key]
    return chosen


# ------------------------------------------------------------------ running
def _digest(data) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:20]


def _value(declared: Declared, value: float):
    return int(round(value)) if declared.integer else float(value)


class Evaluator:
    """The metric of every (arm, parameter value, replication), run on demand and remembered."""

    def __init__(self, study: Study, store: ResultStore, executor, progress: Callable | None,
                 total: int):
        self.study, self.store, self.executor = study, store, executor
        self.progress, self.total, self.done = progress, total, 0
        self.values: dict[str, float] = {}
        self.used: set[str] = set()
        self._configs: dict[tuple, dict] = {}
        table = store.read(["status", study.metric])
        if len(table) and study.metric in table:
            ok = table[table["status"] == "ok"]
            self.values = dict(zip(ok["run_id"], ok[study.metric].astype(float), strict=True))

    def config(self, arm: Arm, key: str | None, value) -> dict:
        """``arm``'s resolved configuration with ``key`` at ``value`` (its own if it does not
        apply)."""
        if key is None or not self.study.applies(arm, key):
            return arm.config
        cache = (arm.arm_id, key, value)
        if cache not in self._configs:
            data = apply_overrides(arm.config, [f"{key}={json.dumps(value)}"])
            where = f"{self.study.plan.source} ({arm.label}, {key}={value})"
            self._configs[cache] = validate(Scenario, apply_preset(data), where).model_dump(mode="json")
        return self._configs[cache]

    def run_id(self, arm: Arm, key: str | None, value, seed: int) -> str:
        return f"{_digest([self.config(arm, key, value), seed])}-s{seed % 10**6:06d}"

    def ensure(self, points: Iterable[tuple[Arm, str | None, object]]) -> None:
        """Run, in one batch, every replication of the (arm, key, value) points not yet known."""
        tasks, seen = [], set()
        for arm, key, value in points:
            for k, seed in enumerate(self.study.seeds):
                run_id = self.run_id(arm, key, value, seed)
                self.used.add(run_id)
                if run_id in self.values or run_id in seen:
                    continue
                seen.add(run_id)
                tasks.append({"run_id": run_id, "index": len(self.values) + len(tasks),
                              "arm_id": arm.arm_id, "arm": arm.label,
                              "scenario": arm.config["name"], "replication": k, "seed": seed,
                              "values": {}, "config": self.config(arm, key, value), "draw": None,
                              "params": None, "timeseries": []})
        if not tasks:
            return
        from sim.experiments.runner import stream

        def progress(done: int, todo: int, row: dict) -> None:
            self.done += 1
            if self.progress is not None:
                self.progress(self.done, self.total, row)

        for row in stream(self.executor, tasks, self.store, progress):
            if row.get("status") != "ok":
                raise ConfigError(f"run {row['run_id']} ({row['arm']}, seed {row['seed']}) "
                                  f"failed: {row.get('error')}")
            self.values[row["run_id"]] = float(row[self.study.metric])

    def outcome(self, arm: Arm, key: str | None, value) -> np.ndarray:
        """The metric of ``arm`` at ``key = value``, one entry per replication."""
        return np.array([self.values[self.run_id(arm, key, value, seed)]
                         for seed in self.study.seeds])


# ------------------------------------------------------------------ the rule
def order(a: np.ndarray, b: np.ndarray, higher_better: bool) -> int:
    """+1 if ``a`` is better than ``b`` outside noise, -1 if worse, 0 if tied (see module doc)."""
    _, low, high, _ = mean_ci((a - b) if higher_better else (b - a))
    if low > 0:
        return 1
    if high < 0:
        return -1
    return 0


@dataclass
class Point:
    """One value of a parameter: each arm's metric (per replication) and each pair's order."""

    value: object
    label: str
    outcomes: dict[str, np.ndarray]


def _leads(study: Study, a: np.ndarray, b: np.ndarray) -> int:
    """The sign of the mean paired difference: +1 if ``a`` is ahead of ``b`` on average."""
    mean = float(np.nanmean((a - b) if study.higher_better else (b - a)))
    return int(np.sign(mean)) if np.isfinite(mean) else 0


def _orders(study: Study, point: Point, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
    return {(a, b): order(point.outcomes[a], point.outcomes[b], study.higher_better)
            for a, b in pairs if a in point.outcomes and b in point.outcomes}


def _flipping(first: dict, second: dict) -> list[tuple[str, str]]:
    return [p for p, s in first.items() if s and second.get(p) == -s]


@dataclass
class Bracket:
    """Two values of a parameter between which some pairs' order reverses, narrowed by bisection:
    at ``below`` each pair has its first order (``first``), at ``above`` it no longer has."""

    key: str
    below: float
    above: float
    first: dict[tuple[str, str], int]  # pair -> its order at the lower value (+1 or -1)


def _brackets(key: str, points: list[Point], orders: list[dict]) -> list[Bracket]:
    """The brackets of the pairs whose order reverses (both outside noise) between ``points``
    (sorted by value); pairs reversing between the same two points share one."""
    found: dict[tuple[int, int], Bracket] = {}
    for pair in orders[0]:
        signs = [o[pair] for o in orders]
        if 1 not in signs or -1 not in signs:
            continue
        first = next(s for s in signs if s)
        lo = max(i for i, s in enumerate(signs) if s == first and -first in signs[i + 1:])
        hi = next(i for i in range(lo + 1, len(signs)) if signs[i] == -first)
        bracket = found.setdefault((lo, hi), Bracket(key, points[lo].value, points[hi].value, {}))
        bracket.first[pair] = first
    return list(found.values())


def _bisect(study: Study, evaluator: Evaluator, brackets: list[Bracket]) -> None:
    """Halve every bracket ``study.steps`` times (all brackets' middles in one batch of runs),
    keeping the half where a pair's mean paired difference leaves its first sign."""
    by_label = {a.label: a for a in study.arms}
    for _ in range(study.steps):
        live = [(b, _value(study.parameters[b.key], (b.below + b.above) / 2)) for b in brackets]
        live = [(b, mid) for b, mid in live if mid not in (b.below, b.above)]
        if not live:
            return
        evaluator.ensure((by_label[name], b.key, mid) for b, mid in live
                         for pair in b.first for name in pair)
        for b, mid in live:
            holds = all(_leads(study, evaluator.outcome(by_label[x], b.key, mid),
                               evaluator.outcome(by_label[y], b.key, mid)) == sign
                        for (x, y), sign in b.first.items())
            if holds:
                b.below = mid
            else:
                b.above = mid


def examine(study: Study, evaluator: Evaluator) -> tuple[Point, dict]:
    """Evaluate every parameter (three points, then bisection); return the scenario's point and
    the findings by parameter."""
    arms = study.arms
    labels = [a.label for a in arms]
    pairs = [(a, b) for i, a in enumerate(labels) for b in labels[i + 1:]]
    evaluator.ensure((arm, None, None) for arm in arms)
    base = Point(None, "scenario", {a.label: evaluator.outcome(a, None, None) for a in arms})
    ends = {key: (_value(d, d.low), _value(d, d.high)) for key, d in study.parameters.items()}
    evaluator.ensure((arm, key, value) for key in study.parameters for value in ends[key]
                     for arm in study.users(key))
    findings, brackets = {}, []
    for key, declared in study.parameters.items():
        base_value = study.base_value(key)
        low, high = (Point(v, at, {a.label: evaluator.outcome(a, key, v) for a in arms})
                     for v, at in zip(ends[key], ("low", "high"), strict=True))
        points = [low, Point(base_value, "scenario", base.outcomes), high]
        if base_value is not None:  # else no arm uses it, and its values change nothing
            points.sort(key=lambda p: p.value)  # stable: low, scenario, high at equal values
        orders = [_orders(study, p, pairs) for p in points]
        found = _brackets(key, points, orders)
        brackets += found
        findings[key] = {"declared": declared, "base": base_value, "points": points,
                         "brackets": found}
    _bisect(study, evaluator, brackets)
    for finding in findings.values():
        finding["flips"] = [{"below": b.below, "above": b.above, "value": (b.below + b.above) / 2,
                             "pairs": list(b.first.items())} for b in finding.pop("brackets")]
    return base, findings


# ------------------------------------------------------------------ writing
def _num(value) -> str:
    if value is None:
        return "unset"
    if isinstance(value, int) or float(value).is_integer() and abs(value) >= 1:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _ranking(study: Study, point: Point) -> list[str]:
    """Arms, best first by mean (names as people read them)."""
    sign = -1 if study.higher_better else 1
    means = {a: float(np.nanmean(v)) for a, v in point.outcomes.items()}
    return [study.names[a] for a in sorted(means, key=lambda a: (sign * means[a], a))]


def _sentence(study: Study, key: str, finding: dict) -> str:
    d = finding["declared"]
    span = f"{key} ({_num(d.low)}..{_num(d.high)})"
    if not study.users(key):
        return (f"The ranking holds for all plausible values of {span}: no compared way of "
                "working uses it.")
    base = finding["base"]
    outside = (f" The scenario's value, {_num(base)}, lies outside this range: the range "
               "is around the default, the scenario's value was set or calibrated apart."
               if not d.low <= base <= d.high else "")
    if not finding["flips"]:
        return f"The ranking holds for all plausible values of {span}.{outside}"
    parts = []
    for flip in finding["flips"]:
        moves = "; ".join(f"{study.names[b if s > 0 else a]} moves above "
                          f"{study.names[a if s > 0 else b]}" for (a, b), s in flip["pairs"])
        parts.append(f"flips when {key} exceeds {_num(flip['value'])} (between "
                     f"{_num(flip['below'])} and {_num(flip['above'])}): {moves}")
    return "The ranking " + "; it ".join(parts) + "." + outside


def _keep_rank(study: Study, findings: dict) -> list[str]:
    moved = {name for f in findings.values() for flip in f["flips"] for pair, _ in flip["pairs"]
             for name in pair}
    return [study.names[a.label] for a in study.arms if a.label not in moved]


def _ranking_lines(study: Study, point: Point) -> list[str]:
    """The ranking at ``point``, best first, each way of working tied with the one before it
    (within noise) said so."""
    by_name = {study.names[a]: a for a in point.outcomes}
    ranked = _ranking(study, point)
    lines = []
    for i, name in enumerate(ranked):
        tied = i and order(point.outcomes[by_name[ranked[i - 1]]], point.outcomes[by_name[name]],
                           study.higher_better) == 0
        lines.append(name + (f" (tied with {ranked[i - 1]} within noise)" if tied else ""))
    return lines


def summarise(study: Study, base: Point, findings: dict, evaluator: Evaluator,
              announced: int) -> dict:
    """The study's findings as plain data (robustness.json): deterministic for the same inputs."""
    spec = study.plan.spec
    out = {
        "experiment": spec.name, "source": study.plan.source, "metric": study.metric,
        "better": "higher" if study.higher_better else "lower",
        "replications": len(study.seeds), "seeds": study.seeds, "bisection_steps": study.steps,
        "rule": RULE.format(steps=study.steps),
        "arms": [study.names[a.label] for a in study.arms],
        "ranking_at_scenario": _ranking_lines(study, base),
        "mean_at_scenario": {study.names[a]: _clean(float(np.nanmean(v)))
                             for a, v in base.outcomes.items()},
        "runs": {"announced_at_most": announced, "used": len(evaluator.used)},
        "parameters": [],
        "keep_their_rank": _keep_rank(study, findings),
    }
    for key, f in findings.items():
        d = f["declared"]
        out["parameters"].append({
            "key": key, "grade": d.grade, "low": d.low, "high": d.high, "why": d.why,
            "scenario_value": f["base"],
            "applies_to": [study.names[a.label] for a in study.users(key)],
            "holds": not f["flips"],
            "sentence": _sentence(study, key, f),
            "points": [{"at": p.label, "value": p.value,
                        "mean": {study.names[a]: _clean(float(np.nanmean(v)))
                                 for a, v in p.outcomes.items()},
                        "ranking": _ranking(study, p)} for p in f["points"]],
            "flips": [{"value": flip["value"], "between": [flip["below"], flip["above"]],
                       "moves": [{"above": study.names[b if s > 0 else a],
                                  "below": study.names[a if s > 0 else b]}
                                 for (a, b), s in flip["pairs"]]} for flip in f["flips"]],
        })
    return out


def _clean(value: float):
    return value if math.isfinite(value) else None


def markdown(summary: dict, command: str) -> str:
    """robustness.md: readable without Python."""
    label = metric_label(summary["metric"])
    lines = [f"# How sure is the ranking? {summary['experiment']}", "",
             f"- experiment: `{summary['source']}`; ways of working compared: "
             + ", ".join(summary["arms"]),
             f"- metric: {label} (`{summary['metric']}`), {summary['better']} is better",
             f"- {summary['replications']} replications at every value, the same seeds for every "
             "way of working and every value (common random numbers)",
             f"- {summary['runs']['used']} runs used (announced: at most "
             f"{summary['runs']['announced_at_most']})",
             f"- rule: {summary['rule']}", "",
             "## The ranking at the scenario's values", ""]
    lines += [f"{i}. {name}" for i, name in enumerate(summary["ranking_at_scenario"], 1)]
    keep = summary["keep_their_rank"]
    lines += ["", "## Who keeps their rank", "",
              ("Every way of working keeps its rank over every plausible value examined."
               if len(keep) == len(summary["arms"]) else
               (f"Keep their rank over every plausible value examined: {', '.join(keep)}."
                if keep else "No way of working keeps its rank over every plausible value.")
               + ("" if len(keep) == len(summary["arms"]) else
                  " The others change places with another where a parameter flips the ranking "
                  "(below).")), "",
              "## Parameter by parameter", "",
              "Each assumed (or calibrated) value, one at a time over its plausible range, the "
              "others at the scenario's values.", "",
              "| parameter | evidence | plausible range | scenario's value | finding |",
              "|---|---|---|---|---|"]
    for p in summary["parameters"]:
        lines.append(f"| `{p['key']}` | {p['grade']} | {_num(p['low'])}..{_num(p['high'])} | "
                     f"{_num(p['scenario_value'])} | {p['sentence']} |")
    lines += ["", f"![{label} at the low end, the scenario's value and the high end of each "
              "parameter](robustness.png)", "", "## Means at each value", ""]
    for p in summary["parameters"]:
        lines += [f"### `{p['key']}`", "", f"Why this range: {p['why'] or 'half to twice'}.", "",
                  "| value | " + " | ".join(summary["arms"]) + " |",
                  "|---|" + "---|" * len(summary["arms"])]
        for point in p["points"]:
            lines.append(f"| {_num(point['value'])} ({point['at']}) | " + " | ".join(
                _share(point["mean"][a], summary["metric"]) for a in summary["arms"]) + " |")
        lines.append("")
    lines += [f"Generated by `{command}`.", ""]
    return "\n".join(lines)


def _share(value, metric: str) -> str:
    if value is None:
        return "n/a"
    from sim.core.metrics import METRIC_INFO

    info = METRIC_INFO.get(metric)
    if info is not None and info.unit.startswith("share"):
        return f"{value:.1%}"
    return f"{value:,.4g}"


def figure(summary: dict, path: Path) -> Path:
    """The metric of each way of working at the low end, the scenario's value and the high end,
    one panel per parameter."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sim.experiments.plots import save

    params = summary["parameters"] or [{"key": "(none)", "points": []}]
    cols = min(3, len(params))
    rows = math.ceil(len(params) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.0 * rows), squeeze=False)
    for ax, p in zip(axes.flat, params, strict=False):
        points = [pt for pt in p["points"] if pt["value"] is not None] or p["points"]
        xs = [pt["value"] if pt["value"] is not None else i for i, pt in enumerate(points)]
        for arm in summary["arms"]:
            ax.plot(xs, [np.nan if pt["mean"][arm] is None else pt["mean"][arm] for pt in points],
                    marker="o", label=arm)
        for flip in p.get("flips", []):
            ax.axvline(flip["value"], color="grey", linestyle="--", linewidth=1)
        ax.set_xticks(xs, [f"{_num(pt['value'])}\n({pt['at']})" for pt in points], fontsize=7)
        ax.set_title(p["key"].removeprefix("coordination."), fontsize=8)
        ax.tick_params(axis="y", labelsize=7)
    for ax in list(axes.flat)[len(params):]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="lower center", ncol=min(4, len(labels)), fontsize=8)
    fig.suptitle(f"{metric_label(summary['metric'])} by way of working", fontsize=10)
    fig.tight_layout(rect=(0, 0.08, 1, 0.96))
    save(fig, path)
    plt.close(fig)
    return path


def run_study(study: Study, store: RobustnessStore, executor, progress=None,
              command: str = "sim robustness") -> dict:
    """Examine every parameter of ``study`` into ``store``'s folder (locked by the caller); write
    robustness.md, robustness.json and robustness.png; return the summary."""
    points, bisection = study.runs_bound()
    store.write_json(RECORD, {"experiment": study.plan.spec.model_dump(mode="json"),
                              "source": study.plan.source, "metric": study.metric,
                              "parameters": list(study.parameters), "seeds": study.seeds,
                              "bisection_steps": study.steps})
    evaluator = Evaluator(study, store, executor, progress, points + bisection)
    base, findings = examine(study, evaluator)
    summary = summarise(study, base, findings, evaluator, points + bisection)
    folder = store.folder
    store.write_json("robustness.json", summary)
    (folder / "robustness.md").write_text(markdown(summary, command))
    figure(summary, folder / "robustness.png")
    return summary
