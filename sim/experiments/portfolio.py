"""A portfolio experiment's plan: every municipality of a table under every way of working.

An experiment with ``portfolio:`` (see :mod:`sim.experiments.municipalities` for the table) has
one base ``scenario:``, the ``coordination`` factor (the ways of working to compare; without it,
the base's own) and ``replications``. Each municipality x way of working is an arm; its
configuration is the base under that way of working (one shared configuration per way, kept
once in plan.json) plus the municipality's scenario keys (``Arm.changes``), applied when a run
is handed to a worker. Every arm is validated here, before anything runs.

Seeds: each municipality has its own replication seeds, spawned from the experiment's seed and
the municipality's id (so adding, removing or reordering rows leaves the others' seeds alone),
and replication k of a municipality uses the same seed under every way of working (common random
numbers: its paired differences). Municipalities do not share seeds, so national and class
figures add up independent runs.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from sim.experiments.municipalities import Municipality, read_table
from sim.experiments.plan import (
    AS_WRITTEN,
    Arm,
    ExperimentSpec,
    Plan,
    Run,
    _candidates,
    _digest,
    _resolve_scenario_path,
    check_run_count,
    replication_seeds,
)
from sim.scenario.loading import (
    apply_overrides,
    apply_preset,
    read_with_extends,
    select_coordination,
    validate,
)
from sim.scenario.params import Scenario

PORTFOLIO_STREAM = 0x706F7274  # "port": the municipalities' seeds, apart from other plans'


def portfolio_plan(spec: ExperimentSpec, path: Path, source: str, fixed: list[str],
                   max_runs: int | None = None) -> Plan:
    """The plan of a portfolio experiment (``fixed``: its ``set:`` and ``years`` as overrides)."""
    scenario_name = spec.scenarios[0]
    base = read_with_extends(_resolve_scenario_path(scenario_name, path))
    ways = spec.factors.get("coordination", [AS_WRITTEN])
    configs = {}
    for way in ways:
        data = apply_overrides(select_coordination(base, None if way == AS_WRITTEN else way), fixed)
        where = f"{source} (scenario {scenario_name}, coordination={way})"
        configs[way] = validate(Scenario, apply_preset(data), where).model_dump(mode="json")
    table = table_path(spec.portfolio.table, path)
    municipalities = read_table(table, spec.portfolio, configs[ways[0]])
    check_run_count(spec, source, max_runs, municipalities=len(municipalities))
    digests = {way: _digest(config, 64) for way, config in configs.items()}
    arms, runs = [], []
    for town in municipalities:
        seeds = municipality_seeds(spec.seed, town.id, spec.replications)
        for way in ways:
            arm = _arm(spec, scenario_name, town, way, configs[way], digests[way])
            where = f"{table}: row {town.row} (id {town.id}, coordination={way})"
            validate(Scenario, arm.resolved(), where)  # its coordination block is filled already
            runs += [Run(run_id=f"{arm.arm_id}-r{k:04d}", index=len(arms) * len(seeds) + k,
                         arm_id=arm.arm_id, replication=k, seed=seed)
                     for k, seed in enumerate(seeds)]
            arms.append(arm)
    return Plan(spec=spec, source=source, arms=arms, runs=runs, seeds=[])


def _arm(spec: ExperimentSpec, scenario: str, town: Municipality, way: str, config: dict,
         digest: str) -> Arm:
    values = {"municipality": town.id, "families": town.families, "size_class": town.size_class,
              "informal_class": town.informal_class}
    if "coordination" in spec.factors:
        values["coordination"] = way
    key = {"scenario": scenario, "values": values, "config": digest, "changes": town.changes}
    return Arm(_digest(key), f"{town.id}, coordination={way}", scenario, values, config,
               changes=town.changes)


def table_path(name: str, experiment_file: Path) -> Path:
    """Where the portfolio's table is: beside the experiment file, one folder up, or here."""
    candidates = _candidates(name, experiment_file)
    return next((c for c in candidates if c.is_file()), candidates[0])


def municipality_seeds(seed: int, municipality: str, replications: int) -> list[int]:
    """A municipality's replication seeds, from the experiment's seed and its id."""
    name = int.from_bytes(hashlib.sha256(municipality.encode()).digest()[:8], "big")
    return replication_seeds([seed, PORTFOLIO_STREAM, name], replications)

