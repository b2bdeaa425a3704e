"""Property-based tests of the loaders and the CLI: generated bad input is refused with one line
and exit code 2 (never a traceback, never a hang, never an output folder); generated valid
scenarios run with every invariant checked; sweeps do not depend on workers or finishing order.

`make test` runs a modest number of examples; `make fuzz` (HYPOTHESIS_PROFILE=fuzz) runs many more.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sim.cli import main
from sim.scenario.loading import read_with_extends
from sim.scenario.presets import PRESETS
from tests.conftest import BASE
from tests.tally import tally

pytestmark = pytest.mark.slow

# the profiles ("ci" for make test, "fuzz" for make fuzz) are registered in tests/conftest.py
FEW = settings(max_examples=max(3, settings().max_examples // 10))
HALF = settings(max_examples=max(5, settings().max_examples // 2))

BASE_DATA = read_with_extends(BASE)


def leaves(node, path=()):
    """Every (path, value) leaf of a nested mapping (lists are leaves)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, (*path, key))
    else:
        yield path, node


def sections(node, path=()):
    """Every path to a mapping (where an unknown key can be inserted)."""
    if isinstance(node, dict):
        yield path
        for key, value in node.items():
            yield from sections(value, (*path, key))


NUMERIC = [p for p, v in leaves(BASE_DATA) if isinstance(v, int | float) and not isinstance(v, bool)]
SECTIONS = list(sections(BASE_DATA))
OPTIONAL = {"reference_families", "escalation_after_weeks", "need_complexity_shape", "budget_per_year"}
WRONG = st.sampled_from(["abc", ["x"], {"k": 1}, None, True, -1e9, math.nan, math.inf, -math.inf])


def put(data: dict, path: tuple, value) -> dict:
    data = copy.deepcopy(data)
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


def refused(capsys, args: list[str], name: str) -> str:
    """Run the CLI; assert exit 2, one line on stderr naming ``name``, nothing on stdout."""
    code = main(args)
    out, err = capsys.readouterr()
    assert code == 2, (args, out, err)
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert name in err, err
    assert out == ""
    tally("bad inputs refused")
    return err


def write(tmp_path, data, name="s.yaml") -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return str(path)


@given(path=st.sampled_from(NUMERIC), value=WRONG)
def test_wrong_values_anywhere_are_refused(tmp_path, capsys, path, value):
    if value is None and path[-1] in OPTIONAL:
        return  # null is a valid value of an optional key
    out = tmp_path / f"never-{abs(hash((path, repr(value))))}"
    file = write(tmp_path, put(BASE_DATA, path, value))
    err = refused(capsys, ["run", file, "--out", str(out)], "s.yaml")
    assert ".".join(map(str, path[:1])) in err
    assert not out.exists()


@given(path=st.sampled_from(SECTIONS), key=st.text(min_size=1, max_size=12).filter(
    lambda k: k.strip() and not k.startswith(("extends", "<<"))))
def test_unknown_keys_at_every_level_are_refused(tmp_path, capsys, path, key):
    node = BASE_DATA
    for part in path:
        node = node[part]
    assume(key not in node)
    refused(capsys, ["validate", write(tmp_path, put(BASE_DATA, (*path, key), 1))], "s.yaml")


@given(path=st.sampled_from(NUMERIC),
       value=st.one_of(st.integers(min_value=-10**30, max_value=10**30),
                       st.floats(allow_nan=True, allow_infinity=True),
                       st.text(max_size=8)))
def test_set_values_never_crash(capsys, path, value):
    """Any --set value is accepted (valid) or refused in one line: never a traceback."""
    text = f"{'.'.join(map(str, path))}={value}"
    code = main(["validate", str(BASE), "--set", text])
    out, err = capsys.readouterr()
    assert code in (0, 2)
    assert "Traceback" not in err
    if code == 2:
        assert len(err.strip().splitlines()) == 1
        tally("bad inputs refused")


@FEW
@given(path=st.sampled_from([p for p in NUMERIC if p[0] not in ("time", "city")]),
       value=st.one_of(st.integers(min_value=0, max_value=10**13),
                       st.floats(min_value=0, max_value=1e13)))
def test_extreme_valid_numbers_run_or_are_refused(tmp_path, capsys, path, value):
    """Huge but schema-valid numbers run a small city to the end (or are refused): no crash."""
    sets = [f"{'.'.join(map(str, path))}={value!r}", "city.families=60", "time.warmup_weeks=4"]
    args = ["run", str(BASE), "--steps", "12", "--check", "--quiet", "--out", str(tmp_path / "o")]
    for text in sets:
        args += ["--set", text]
    code = main(args)
    _, err = capsys.readouterr()
    assert code in (0, 2), err
    assert "Traceback" not in err
    tally("extreme values tried")


@given(junk=st.binary(min_size=0, max_size=300))
def test_binary_junk_is_refused(tmp_path, capsys, junk):
    path = tmp_path / "junk.yaml"
    path.write_bytes(junk)
    try:
        data = yaml.safe_load(junk.decode("utf-8"))
        assume(not isinstance(data, dict))  # a junk file that happens to be a mapping is rare
    except (UnicodeDecodeError, yaml.YAMLError):
        pass
    refused(capsys, ["validate", str(path)], "junk.yaml")


@pytest.mark.parametrize(("name", "content"), [
    ("empty.yaml", b""),
    ("spaces.yaml", b"   \n\n"),
    ("list.yaml", b"- 1\n- 2\n"),
    ("scalar.yaml", b"42\n"),
    ("utf16.yaml", "name: base\n".encode("utf-16")),
    ("latin1.yaml", "name: caf\xe9\n".encode("latin-1")),
    ("deep.yaml", ("a:\n" + "".join("  " * i + "b:\n" for i in range(1, 200))).encode()),
    ("brackets.yaml", b"x: " + b"[" * 5000 + b"]" * 5000 + b"\n"),
    ("recursive.yaml", b"a: &x [*x]\n"),
    ("bomb.yaml", b"a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                  b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                  b"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                  b"g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
                  b"i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]\n"),
    ("tagged.yaml", b"a: !!python/object/apply:os.system ['echo hi']\n"),
    ("huge_number.yaml", b"extends: base.yaml\ncity:\n  families: 1e400\n"),
])
@pytest.mark.timeout(20)
def test_hostile_files_are_refused_quickly(tmp_path, capsys, name, content):
    (tmp_path / "base.yaml").write_text(BASE.read_text())
    path = tmp_path / name
    path.write_bytes(content)
    refused(capsys, ["validate", str(path)], name)


def test_directories_and_missing_files_are_refused(tmp_path, capsys):
    refused(capsys, ["validate", str(tmp_path)], str(tmp_path))
    refused(capsys, ["run", str(tmp_path / "missing.yaml")], "missing.yaml")
    refused(capsys, ["sweep", str(tmp_path / "missing.yaml")], "missing.yaml")


EXPERIMENT = {"name": "fz", "scenario": str(BASE), "years": 0.5, "replications": 2, "seed": 1,
              "set": {"city.families": 200}, "factors": {"coordination": ["silos", "council"]}}


@given(key=st.sampled_from(["name", "years", "replications", "seed", "set", "factors", "sample",
                            "scenario", "reference"]),
       value=st.one_of(WRONG, st.just("../../etc"), st.just("/abs/path"), st.just([]),
                       st.just({"nope": [1]})))
def test_bad_experiments_are_refused(tmp_path, capsys, key, value):
    data = {**EXPERIMENT, key: value}
    if (key == "reference" and isinstance(value, str)) or (key in ("years", "sample")
                                                          and value is None):
        return  # any name is a valid reference label; years and sample are optional
    if key == "name" and value == "abc":
        return  # a plain name is a valid name (the experiment itself runs: see the next test)
    refused(capsys, ["sweep", write(tmp_path, data, "e.yaml"), "--out", str(tmp_path / "o")],
            "e.yaml")
    assert not (tmp_path / "o").exists()


def test_the_fuzzed_experiment_is_valid_before_it_is_broken(tmp_path, capsys):
    """The refusals above come from the key changed, not from the experiment itself."""
    assert main(["sweep", write(tmp_path, EXPERIMENT, "e.yaml"), "--out", str(tmp_path / "o")]) == 0


# -- generated valid scenarios run and keep every invariant -----------------------------------
VALID = st.fixed_dictionaries({
    "city.families": st.integers(20, 400),
    "families.seek_probability": st.floats(0, 1),
    "families.need_complexity_shape": st.floats(0.2, 5),
    "organisations.health_department.capacity": st.integers(0, 300),
    "organisations.community_nutrition_ngo.funding.budget_per_year": st.floats(0, 1e6),
    "organisations.education_department.priority": st.sampled_from(
        ["first_come", "most_vulnerable", "quota"]),
    "sectors.child_protection.need_rate_per_year": st.floats(0, 1),
    "funding.budget_scale": st.floats(0, 3),
})


@FEW
@given(overrides=VALID, preset=st.sampled_from(sorted(PRESETS)), seed=st.integers(0, 2**32))
def test_generated_valid_scenarios_keep_the_invariants(overrides, preset, seed):
    from sim.core.model import CoordinationModel
    from sim.scenario.loading import load_scenario

    sets = [f"{k}={v}" for k, v in overrides.items()] + ["time.years=0.4", "time.warmup_weeks=4"]
    model = CoordinationModel(load_scenario(BASE, sets, coordination=preset), seed=seed, check=True)
    model.run()
    summary = model.summary()
    assert summary["total_cost"] == pytest.approx(
        summary["service_cost"] + summary["assessment_cost"] + summary["coordination_cost"])
    assert (model.orgs.budget >= -1e-6).all()
    tally("valid generated scenarios run with invariants checked")


# -- determinism: workers, executor, finishing order ------------------------------------------
class ShuffledExecutor:
    """Runs tasks in this process, in a shuffled order (runs finish out of plan order)."""

    name, workers = "shuffled", 1

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)

    def map_unordered(self, fn, tasks):
        tasks = list(tasks)
        for i in self.rng.permutation(len(tasks)):
            yield fn(tasks[i])

    def close(self):
        """Nothing to release."""


@FEW
@given(presets=st.lists(st.sampled_from(sorted(PRESETS)), min_size=1, max_size=3, unique=True),
       seek=st.lists(st.sampled_from([0.2, 0.35, 0.5]), min_size=1, max_size=2, unique=True),
       replications=st.integers(1, 2), seed=st.integers(0, 10**6), order=st.integers(0, 100))
def test_results_do_not_depend_on_workers_executor_or_order(tmp_path_factory, presets, seek,
                                                            replications, seed, order):
    from sim.experiments.plan import load_experiment
    from sim.experiments.runner import LocalExecutor, SerialExecutor, execute, run_plan, tasks_for
    from sim.experiments.store import ResultStore

    folder = tmp_path_factory.mktemp("det")
    data = {**EXPERIMENT, "replications": replications, "seed": seed, "years": 0.3,
            "set": {"city.families": 120, "time.warmup_weeks": 3},
            "factors": {"coordination": presets, "families.seek_probability": seek}}
    plan = load_experiment(write(folder, data, "e.yaml"))
    tables = []
    for name, executor in (("serial", SerialExecutor()), ("shuffled", ShuffledExecutor(order)),
                           ("two", LocalExecutor(2))):
        try:
            run_plan(plan, ResultStore(folder / name), executor)
        finally:
            executor.close()
        tables.append(ResultStore(folder / name).read().drop(columns=["wall_seconds"]))
    for other in tables[1:]:
        pd.testing.assert_frame_equal(tables[0], other)
    # any single run id, re-run alone, reproduces its row
    run = plan.runs[order % len(plan.runs)]
    task = next(tasks_for(plan, {r.run_id for r in plan.runs} - {run.run_id}))
    again = execute(task)
    row = tables[0].set_index("run_id").loc[run.run_id]
    for metric in ("coverage", "total_cost", "duplication_rate", "referrals_made"):
        assert again[metric] == row[metric] or (np.isnan(again[metric]) and np.isnan(row[metric]))
    tally("generated experiments checked for determinism")


# -- sizes near the limits: memory estimated before building, runs counted before planning ------
@HALF
@given(families=st.integers(1, 20_000_001), neighbourhoods=st.integers(1, 10_001),
       max_memory=st.integers(200, 50_000).map(lambda mb: f"{mb}MB"))
def test_sizes_near_the_limits_fit_or_are_refused_from_the_estimate(capsys, families, neighbourhoods,
                                                                     max_memory):
    from sim.scenario.limits import estimate, parse_size
    from sim.scenario.loading import load_scenario

    sets = [f"city.families={families}", f"city.neighbourhoods={neighbourhoods}",
            f"city.informal_neighbourhoods={min(5, neighbourhoods - 1)}"]
    sets += [] if neighbourhoods > 1 else ["city.informal_family_share=0"]
    args = ["validate", str(BASE), "--max-memory", max_memory] + [a for s in sets for a in ("--set", s)]
    if families > 20_000_000 or neighbourhoods > 10_000:
        refused(capsys, args, "city.")  # the schema's maxima
        return
    needs = estimate(load_scenario(BASE, sets).model_dump(mode="json"))
    if sum(needs.values()) <= parse_size(max_memory):
        assert main(args) == 0
        capsys.readouterr()
    else:
        key = max((k for k in needs if k), key=needs.__getitem__)
        refused(capsys, args, f"{BASE}: {key}: about ")


@FEW
@given(organisations=st.integers(3900, 4100), max_memory=st.integers(150, 400).map(lambda mb: mb * 1e6))
def test_many_organisations_fit_or_are_refused(organisations, max_memory):
    """Up to the schema's 4,096 organisations (given in memory: parsing 4,000 in YAML takes 10 s)."""
    from sim.scenario.limits import check_scenario, estimate
    from sim.scenario.loading import ConfigError, load_scenario

    org = {"kind": "private", "sectors": ["health"], "capacity": 5, "unit_cost": 1, "assessment_cost": 1}
    orgs = {f"o{i}": copy.deepcopy(org) for i in range(organisations)}
    try:
        scenario = load_scenario(BASE, organisations=orgs)
        check_scenario(scenario, str(BASE), max_memory)
    except ConfigError as exc:
        assert len(str(exc).splitlines()) == 1 and str(exc).startswith(str(BASE))
        too_many = organisations + len(BASE_DATA["organisations"]) > 4096
        assert too_many or sum(estimate(scenario.model_dump(mode="json")).values()) > max_memory
        tally("bad inputs refused")


@HALF
@given(scenarios=st.integers(1, 3), levels=st.lists(st.integers(1, 400), max_size=3),
       design=st.sampled_from(["none", "sample", "morris"]), n=st.integers(2, 1_000_001),
       replications=st.integers(1, 100_001), slack=st.integers(-2, 2))
def test_plans_near_the_run_limit_are_counted_before_building(tmp_path, capsys, scenarios, levels,
                                                              design, n, replications, slack):
    from sim.experiments.plan import ExperimentSpec, check_run_count, count_runs, load_experiment

    names = ["base.yaml", "high_income_city.yaml", "informal_megacity.yaml"][:scenarios]
    keys = ("seek_probability", "trust_mean", "awareness_mean")[: len(levels)]
    factors = {f"families.{key}": [round(0.01 + i / 1000, 4) for i in range(count)]
               for key, count in zip(keys, levels, strict=True)}
    ranges = {"families.stigma_marginalised": {"low": 0.1, "high": 0.2},
              "families.fee_sensitivity": {"low": 0.1, "high": 0.2}}
    data = {"name": "near", "scenario": [str(BASE.parent / s) for s in names], "years": 2,
            "replications": replications, "factors": factors}
    if design == "sample":
        data["sample"] = {"n": n, "parameters": ranges}
    elif design == "morris":
        data["sensitivity"] = {"method": "morris", "n": min(n, 100_001), "parameters": ranges}
    if replications > 100_000 or (design == "sample" and n > 1_000_000) or (
            design == "morris" and n > 100_000):
        # schema maxima: `sim sweep` stops at the first problem, one line (`sim validate` lists each)
        refused(capsys, ["sweep", write(tmp_path, data, "e.yaml"), "--out", str(tmp_path / "o")],
                "e.yaml")
        assert not (tmp_path / "o").exists()
        return
    runs = count_runs(ExperimentSpec.model_validate(data))
    data["max_runs"] = max(runs + slack, 1)
    if runs > data["max_runs"]:
        refused(capsys, ["validate", write(tmp_path, data, "e.yaml")],
                f"max_runs: {runs:,} runs planned")
    elif runs <= 12 and design != "morris":
        assert len(load_experiment(write(tmp_path, data, "e.yaml")).runs) == runs
    else:  # too big to plan here: the count alone passes
        check_run_count(ExperimentSpec.model_validate(data), "e.yaml")


# -- duplicate keys, huge numbers and long extends chains in any file ---------------------------
def yaml_with_duplicate(data: dict, path: tuple, index: int, value) -> tuple[str, str]:
    """YAML text of ``data`` where the mapping at ``path`` repeats its key number ``index``."""
    from yaml.representer import SafeRepresenter

    root = SafeRepresenter(sort_keys=False).represent_data(data)
    node = root
    for key in path:
        node = next(v for k, v in node.value if k.value == key)
    key_node, _ = node.value[index % len(node.value)]
    extra = SafeRepresenter(sort_keys=False).represent_data(value)
    twin = yaml.ScalarNode(key_node.tag, key_node.value)  # not the same node: no alias
    node.value.insert(len(node.value) if index % 2 else 0, (twin, extra))
    return yaml.serialize(root), ".".join(map(str, (*path, key_node.value)))


@HALF
@given(where=st.one_of(st.tuples(st.just(BASE_DATA), st.sampled_from(SECTIONS)),
                       st.tuples(st.just(EXPERIMENT), st.sampled_from(list(sections(EXPERIMENT))))),
       index=st.integers(0, 50),
       value=st.one_of(st.integers(), st.text(max_size=5), st.just({"k": 1}), st.none()))
def test_duplicate_keys_at_any_level_are_refused(tmp_path, capsys, where, index, value):
    data, path = where
    text, key = yaml_with_duplicate(data, path, index, value)
    file = tmp_path / "dup.yaml"
    file.write_text(text)
    refused(capsys, ["validate", str(file)], f"{file}: {key}: duplicate key (lines ")


NUMBER_TEXT = st.one_of(
    st.integers(20, 6000).map(lambda n: "9" * n), st.integers(20, 6000).map(lambda n: "-1" + "0" * n),
    st.sampled_from(["1e400", "-1e400", "1.8e308", "-1.8e308", "4.9e-324", "0x" + "f" * 200,
                     "1_000_000_000_000_000_000_000", "1" * 400 + ".5"]))


@given(path=st.sampled_from(NUMERIC), number=NUMBER_TEXT, where=st.sampled_from(["file", "set"]))
def test_huge_numbers_at_any_key_are_refused_or_read(tmp_path, capsys, path, number, where):
    """Numbers Python cannot hold (or the schemas do not allow) are one line, exit 2."""
    key = ".".join(map(str, path))
    if where == "set":
        args = ["validate", str(BASE), "--set", f"{key}={number}"]
    else:
        file = tmp_path / "n.yaml"
        file.write_text(yaml.safe_dump(put(BASE_DATA, path, "NUMBER"), sort_keys=False)
                        .replace("NUMBER", number))
        args = ["validate", str(file)]
    code = main(args)
    out, err = capsys.readouterr()
    assert code in (0, 2) and "Traceback" not in err, err
    if code == 2:
        assert len(err.strip().splitlines()) == 1 and key in err, err
        tally("bad inputs refused")
    else:
        assert number in ("4.9e-324", "1_000_000_000_000_000_000_000")  # tiny, or within bounds


@given(low=st.sampled_from([-1e308, -1e300, -2.0**53 - 2, 0.0]),
       high=st.sampled_from([1e308, 1e300, 2.0**53 + 2, 1.0]),
       integer=st.sampled_from([["city.families"], ["families.trust_mean"], ["nope"], []]),
       design=st.sampled_from(["sample", "sensitivity"]))
def test_huge_sampled_ranges_are_refused(tmp_path, capsys, low, high, integer, design):
    ranges = {"city.families": {"low": low, "high": high},
              "families.seek_probability": {"low": 0.1, "high": 0.2}}
    block = ({"n": 3, "parameters": ranges, "integer": integer} if design == "sample" else
             {"method": "morris", "n": 2, "parameters": ranges, "integer": integer})
    data = {**EXPERIMENT, design: block, "factors": {}}
    refused(capsys, ["validate", write(tmp_path, data, "e.yaml")], "e.yaml")


@given(length=st.integers(1, 60), cycle_at=st.one_of(st.none(), st.integers(0, 59)))
def test_long_extends_chains_are_refused_naming_the_file(tmp_path_factory, capsys, length, cycle_at):
    folder = tmp_path_factory.mktemp("chain")
    for i in range(length):
        parent = str(BASE) if i == length - 1 else f"{i + 1}.yaml"
        if cycle_at is not None and i == length - 1 and cycle_at < length:
            parent = f"{cycle_at}.yaml"  # the last file extends an earlier one
        (folder / f"{i}.yaml").write_text(f"extends: {parent}\n")
    args = ["validate", str(folder / "0.yaml")]
    cycles = cycle_at is not None and cycle_at < length
    if length + (0 if cycles else 1) > 20:
        refused(capsys, args, f"{folder / '19.yaml'}: extends: expected a chain of at most 20 files")
    elif cycles:
        refused(capsys, args, "extends: cycle")
    else:
        assert main(args) == 0
        capsys.readouterr()
