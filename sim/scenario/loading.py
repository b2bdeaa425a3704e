"""Load scenario files: safe YAML, `extends:`, dotted `--set` overrides, presets, validation.

Every failure becomes a :class:`ConfigError` whose message is one line naming the file, the key
path and what was expected; the CLI prints it and exits with code 2.
"""

from __future__ import annotations

import copy
import difflib
import math
import os
import re
import types
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from sim.errors import ConfigError, one_line  # noqa: F401 - ConfigError re-exported
from sim.scenario.geography import resolve_paths
from sim.scenario.presets import PRESETS
from sim.scenario.shocks import KINDS as SHOCK_KINDS

MAX_FILE_BYTES = 2_000_000
MAX_ALIASES = 200
MAX_DEPTH = 40
MAX_EXPANDED_NODES = 100_000
MAX_DIGITS = 100  # no count or bound in the schemas has more than 20; Python stops at 4,300
MAX_EXTENDS = 20  # files in one chain of `extends:`
PROJECT_SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"  # bare names of extends:


class InputError(yaml.YAMLError):
    """A problem at a key found while reading YAML: a duplicate key, a number too long."""

    def __init__(self, key: tuple, problem: str, line: int | None = None):
        super().__init__(problem)
        self.key, self.problem, self.line = key, problem, line

    def describe(self, located: bool = True) -> str:
        """``key: problem``, with the line (when ``located`` and known) in the problem."""
        where = f" at line {self.line}" if located and self.line else ""
        text = self.problem.format(where=where)
        return f"{dotted(self.key)}: {text}" if self.key else text


def dotted(key: tuple) -> str:
    """A key path as written on the command line: ``organisations.clinic.sites.0``."""
    return ".".join(map(str, key))


class _GuardedLoader(yaml.SafeLoader):
    """SafeLoader that refuses alias bombs (too many aliases), duplicate keys and integers longer
    than ``MAX_DIGITS``, naming the key path of each."""

    def __init__(self, stream):
        super().__init__(stream)
        self._aliases = 0
        self._paths: dict[int, tuple] = {}  # id(node) -> key path, noted by the node's parent

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise yaml.YAMLError(f"more than {MAX_ALIASES} aliases")
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        path = self._paths.get(id(node), ())
        lines: dict[tuple, int] = {}
        for key_node, value_node in node.value:  # the node's own keys: merged ones (<<) may be overridden
            if isinstance(key_node, yaml.ScalarNode):
                key, line = (key_node.tag, key_node.value), key_node.start_mark.line + 1
                if key in lines:
                    both = f"lines {lines[key]} and {line}" if lines[key] < line else f"twice on line {line}"
                    raise InputError((*path, key_node.value), f"duplicate key ({both})")
                lines[key] = line
                self._paths[id(value_node)] = (*path, key_node.value)
        return super().construct_mapping(node, deep)

    def construct_sequence(self, node, deep=False):
        path = self._paths.get(id(node), ())
        for index, child in enumerate(node.value):
            self._paths[id(child)] = (*path, index)
        return super().construct_sequence(node, deep)

    def construct_yaml_int(self, node):
        digits = len(node.value.lstrip("+-").replace("_", ""))
        if digits > MAX_DIGITS:
            raise InputError(self._paths.get(id(node), ()), f"a whole number of {digits} digits{{where}} "
                             f"(expected at most {MAX_DIGITS} digits)", node.start_mark.line + 1)
        return super().construct_yaml_int(node)


_GuardedLoader.add_constructor("tag:yaml.org,2002:int", _GuardedLoader.construct_yaml_int)

# YAML 1.1 reads 1e6 or 1e-09 (no dot) as text; read them as numbers, as YAML 1.2 does
_GuardedLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"))


def safe_parse(text: str):
    """Parse YAML text with the project's safe loader (numbers like 1e6 included)."""
    return yaml.load(text, Loader=_GuardedLoader)  # noqa: S506 - a SafeLoader subclass


def read_yaml(path: str | Path) -> dict:
    """Read one YAML mapping safely; raise ConfigError naming the file on any problem."""
    path = Path(path)
    try:
        raw = _read_bytes(path)
    except OSError as exc:
        raise ConfigError(f"{path}: could not read the file ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    try:
        data = safe_parse(text)
    except InputError as exc:
        raise ConfigError(f"{path}: {exc.describe()}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}: YAML syntax error{where}: {problem}") from None
    except RecursionError:
        raise ConfigError(f"{path}: YAML nested too deeply") from None
    if data is None:
        raise ConfigError(f"{path}: file is empty (expected a mapping of keys)")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys at the top, got {type(data).__name__}")
    _check_depth(data, path)
    return data


def _read_bytes(path: Path) -> bytes:
    """The file's bytes (ConfigError if missing, not a file or too large; OSError if unreadable)."""
    if not path.exists():
        raise ConfigError(f"{path}: file not found")
    if not path.is_file():
        raise ConfigError(f"{path}: not a file")
    with path.open("rb") as file:  # st_size is 0 for /proc files: read one byte past the limit
        raw = file.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise ConfigError(f"{path}: file larger than {MAX_FILE_BYTES} bytes")
    return raw


def _check_depth(node: Any, path: Path, depth: int = 0, sizes: dict | None = None,
                 stack: frozenset = frozenset()) -> int:
    """Refuse deep, recursive or (through aliases) huge structures; return the expanded size."""
    sizes = {} if sizes is None else sizes
    if depth > MAX_DEPTH:
        raise ConfigError(f"{path}: nested deeper than {MAX_DEPTH} levels")
    if not isinstance(node, dict | list):
        return 1
    key = id(node)
    if key in stack:
        raise ConfigError(f"{path}: recursive structure (an alias refers to itself)")
    if key in sizes:
        return sizes[key]
    inner = stack | {key}
    if isinstance(node, dict):
        for name in node:
            if not isinstance(name, str):
                raise ConfigError(f"{path}: key {name!r} is not a string")
        children = node.values()
    else:
        children = node
    size = 1 + sum(_check_depth(child, path, depth + 1, sizes, inner) for child in children)
    if size > MAX_EXPANDED_NODES:
        raise ConfigError(f"{path}: more than {MAX_EXPANDED_NODES} values once aliases are expanded")
    sizes[key] = size
    return size


def deep_merge(base: dict, override: dict) -> dict:
    """Return base updated by override; nested mappings merge, everything else is replaced."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def extends_candidates(path: Path, parent: str) -> list[Path]:
    """Where ``extends: parent`` of the file ``path`` may be: next to the file, and for a bare
    name (``base`` or ``base.yaml``) also in the project's ``scenarios/`` folder."""
    found = [path.parent / parent]
    if "/" not in parent and "\\" not in parent:
        name = parent if parent.endswith((".yaml", ".yml")) else f"{parent}.yaml"
        found += [path.parent / name, PROJECT_SCENARIOS / name]
    return list(dict.fromkeys(found))


def read_with_extends(path: str | Path, _seen: tuple = ()) -> dict:
    """Read a YAML file, resolving `extends:` (relative to the file, or a bare name of the
    project's scenarios) recursively; each file's ``city`` table paths are made absolute,
    relative to that file."""
    path = Path(path)
    chain = (*_seen, path.resolve())
    data = resolve_paths(read_yaml(path), path.parent)  # the city's tables: next to the file
    parent = data.pop("extends", None)
    if parent is not None:
        data = _with_parent(path, parent, data, chain)
    return data if _seen else _scaled_for_tests(data)


def _with_parent(path: Path, parent: Any, data: dict, chain: tuple) -> dict:
    """``data`` merged over the file that its ``extends: parent`` names."""
    if not isinstance(parent, str):
        raise ConfigError(f"{path}: extends: expected a file name, got {parent!r}")
    candidates = extends_candidates(path, parent)
    existing = [c for c in candidates if _is_file(c)]
    # the first file found that is not already in the chain (a local base.yaml may itself
    # extend the project's base), else the first found (a cycle), else the first candidate
    parent_path = next((c for c in existing if c.resolve() not in chain),
                       existing[0] if existing else candidates[0])
    if parent_path.resolve() in chain:
        raise ConfigError(f"{path}: extends: cycle through {parent_path.name}")
    if len(chain) >= MAX_EXTENDS:
        raise ConfigError(f"{path}: extends: expected a chain of at most {MAX_EXTENDS} files "
                          f"(from {chain[0]})")
    try:
        missing = not parent_path.exists()
    except OSError:  # e.g. a name too long: read_yaml names the problem
        missing = False
    if missing:
        looked = ", ".join(str(c) for c in candidates)
        raise ConfigError(f"{path}: extends: file not found: {parent!r} (looked for {looked})")
    return deep_merge(read_with_extends(parent_path, chain), data)


# ------------------------------------------------------------------ the test-only scale
TEST_SCALE = "SIM_TEST_SCALE"
FULL_CITY = 10_000  # families of the base city: SIM_TEST_SCALE=s keeps at most s x this many
LEAST_FAMILIES = 100


def scale_for_tests() -> float | None:
    """The test-only scale setting: ``SIM_TEST_SCALE=s`` (0 < s <= 1) in the environment, or None.

    It exists so that the tests can run every command of the guides exactly as written in
    seconds (tests/test_guides.py; documented in docs/guide-researchers.md). With it, every
    scenario file read keeps at most ``families_cap(s)`` families (capacities and budgets follow
    when the city gives ``reference_families``; an explicit ``--set city.families`` or an
    experiment's ``set:`` still wins), and every count of replications, calibration trials,
    design points and a portfolio's municipalities is multiplied by s, rounded up
    (:func:`scaled_count`). Years are not changed.
    The ``sim`` command says on stderr when it is on. Never set it for real results.
    """
    text = os.environ.get(TEST_SCALE, "").strip()
    if not text:
        return None
    try:
        scale = float(text)
    except ValueError:
        scale = math.nan
    if not 0 < scale <= 1:
        raise ConfigError(f"{TEST_SCALE}={text}: expected a number above 0 and at most 1 (a "
                          f"test-only setting; unset it for real runs: unset {TEST_SCALE})")
    return scale


def families_cap(scale: float) -> int:
    """The most families a city keeps under the test scale ``scale``."""
    return max(LEAST_FAMILIES, math.ceil(scale * FULL_CITY))


def scaled_count(count: int, least: int = 1) -> int:
    """``count`` (replications, trials, design points) under the test scale: ``count x s``
    rounded up, at least ``least`` and at most ``count``; ``count`` itself without the setting."""
    scale = scale_for_tests()
    if scale is None:
        return count
    return min(count, max(least, math.ceil(count * scale)))


def _scaled_for_tests(data: dict) -> dict:
    """A scenario file's mapping with its families capped under the test scale (idempotent, so
    a run's resolved config.yaml reruns the same city)."""
    scale = scale_for_tests()
    city = data.get("city")
    if scale is None or not isinstance(city, dict):
        return data
    families = city.get("families")
    cap = families_cap(scale)
    if isinstance(families, int) and not isinstance(families, bool) and families > cap:
        return {**data, "city": {**city, "families": cap}}
    return data


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:
        return False


def parse_override(text: str) -> tuple[list[str], Any]:
    """Parse one `--set key.path=value` (value read as a YAML scalar or list)."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key or any(not part for part in key.split(".")):
        raise ConfigError(f"--set {text}: expected KEY=VALUE with a dotted key, e.g. city.families=2000")
    try:
        value = safe_parse(raw) if raw.strip() else ""
    except InputError as exc:
        raise ConfigError(f"--set {key}: {exc.describe(located=False)}") from None
    except yaml.YAMLError:
        raise ConfigError(f"--set {key}: could not read value {raw!r}") from None
    if isinstance(value, dict):
        raise ConfigError(f"--set {key}: expected a single value or list, got a mapping")
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"--set {key}: expected a finite number, got {raw}")
    return key.split("."), value


def apply_overrides(data: dict, overrides: list[str]) -> dict:
    """Apply dotted `--set` overrides to a raw scenario mapping (validated later).

    ``data`` is left as it was: the mappings on each override's path are copied, the rest shared.
    """
    return set_keys(data, [parse_override(text) for text in overrides])


def set_keys(data: dict, keys: list[tuple[list[str], Any]]) -> dict:
    """``data`` with each (key path, value) of ``keys`` set (as :func:`apply_overrides` does
    with values already read); ``data`` itself is left as it was."""
    data = dict(data)
    for parts, value in keys:
        node = data
        for i, part in enumerate(parts[:-1]):
            child = node.get(part, {})
            if not isinstance(child, dict):
                where = ".".join(parts[: i + 1])
                raise ConfigError(f"--set {'.'.join(parts)}: {where} is a value, not a section")
            node[part] = dict(child)
            node = node[part]
        node[parts[-1]] = value
    return data


def apply_preset(data: dict) -> dict:
    """Fill the coordination block from its named preset, then the scenario's
    ``coordination_defaults`` for the mechanisms switched on; explicit keys win."""
    block = data.get("coordination")
    if block is None:
        return data
    if isinstance(block, str):
        block = {"model": block}
    if not isinstance(block, dict):
        return data  # let validation report the type
    preset = PRESETS.get(block.get("model", "silos"))
    if preset is None:
        return {**data, "coordination": block}  # validation names the unknown model
    city = data.get("coordination_defaults")
    if isinstance(city, dict):  # the city's own values of the mechanisms switched on
        on = deep_merge(preset, block)
        preset = deep_merge(preset, {kind: values for kind, values in city.items()
                                     if kind in on and isinstance(values, dict)})
    return {**data, "coordination": deep_merge(preset, block)}


class ValidationProblems(ConfigError):
    """A file that does not validate: the message is its first problem (with how many more);
    ``problems`` holds every one, a line each (``sim validate`` prints them all)."""

    def __init__(self, problems: list[str]):
        more = len(problems) - 1
        super().__init__(problems[0] + (f" [+{more} more; sim validate lists them all]"
                                        if more > 0 else ""))
        self.problems = problems


def validation_problems(source: str, exc: ValidationError, model: type[BaseModel] | None = None,
                        overrides: list[str] | tuple = ()) -> list[str]:
    """One line per error: the source (or the ``--set`` that gave the key), the key path and
    what was expected; an unknown key names the nearest known one."""
    keys = [parse_override(text)[0] for text in overrides]
    lines, seen = [], {}
    for err in exc.errors():
        loc = _key_path(err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key" + _nearest(loc, model)
        elif err["type"] == "missing":
            msg = "required key is missing"
        got = err.get("input")
        quiet = isinstance(got, dict | list) or err["type"] in ("missing", "extra_forbidden")
        shown = "" if quiet else f" (got {got!r})"
        given = [key for key in keys if key[: len(loc)] == loc[: len(key)]] if loc else []
        if given:  # the key came from --set: name it, and the key path only if it is deeper
            origin, loc = f"--set {'.'.join(given[-1])}", loc[len(given[-1]):]
        else:
            origin = source
        where = f"{'.'.join(loc)}: " if loc else ""
        head = f"{origin}: {where}"
        if head in seen:  # another form a union accepts at the same key: one line, "or"
            lines[seen[head]] = lines[seen[head]].removesuffix(shown) + f" or {msg}{shown}"
            continue
        seen[head] = len(lines)
        lines.append(f"{head}{msg}{shown}")
    return lines


UNION_TAG = re.compile(r"(int|float|str|bool|none|constrained-\w+|[\w-]+\[.*\])")


def _key_path(loc: tuple) -> list[str]:
    """The key path of an error location: printable, without pydantic's tags for the forms a
    union accepts (``constrained-int``, ``literal['x']``, ``list[...]``)."""
    path = []
    for part in map(str, loc):
        if UNION_TAG.fullmatch(part):
            break
        if path and path[-1].isdigit() and part in SHOCK_KINDS:  # a shock's kind: not a key
            continue
        path.append(part if part.isprintable() else part.encode("unicode_escape").decode("ascii"))
    return path


def format_validation_error(source: str, exc: ValidationError) -> str:
    """One line naming the source, the first error's key path, and what was expected."""
    return str(ValidationProblems(validation_problems(source, exc)))


def _nearest(loc: list[str], model: type[BaseModel] | None) -> str:
    """" (did you mean NAME?)" for the known key nearest the unknown ``loc[-1]``, else ""."""
    known = _known_keys(model, loc[:-1]) if model is not None and loc else []
    close = difflib.get_close_matches(loc[-1], known, n=1, cutoff=0.6) if known else []
    return f" (did you mean {close[0]}?)" if close else ""


def _known_keys(model: Any, path: list[str]) -> list[str]:
    """The keys a schema accepts at ``path`` (a section's fields), or [] if it is not a section."""
    node = _section_type(model)
    for part in path:
        if isinstance(node, type) and issubclass(node, BaseModel):
            field = node.model_fields.get(part)
            node = _section_type(field.annotation) if field is not None else None
        elif typing.get_origin(node) is dict:
            node = _section_type(typing.get_args(node)[1])
        elif typing.get_origin(node) is list and part.isdigit():
            node = _section_type(typing.get_args(node)[0])
        else:
            return []
    return list(node.model_fields) if isinstance(node, type) and issubclass(node, BaseModel) else []


def _section_type(kind: Any) -> Any:
    """``kind`` without Annotated or Optional: the schema, mapping or list it describes."""
    while typing.get_origin(kind) is typing.Annotated:
        kind = typing.get_args(kind)[0]
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        for member in typing.get_args(kind):
            inner = _section_type(member)
            if typing.get_origin(inner) in (dict, list) or (
                    isinstance(inner, type) and issubclass(inner, BaseModel)):
                return inner
    return kind


def validate(model: type[BaseModel], data: dict, source: str,
             overrides: list[str] | tuple = ()) -> BaseModel:
    """Validate a raw mapping against a schema, turning errors into a :class:`ValidationProblems`
    (one line per problem; the message is the first). A key set by one of ``overrides`` (``--set``
    texts) is blamed on that ``--set``, not on the file."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationProblems(validation_problems(source, exc, model, overrides)) from None
    except RecursionError:
        raise ConfigError(f"{source}: structure nested too deeply") from None


def select_coordination(data: dict, model: str | None) -> dict:
    """Replace the scenario's coordination block by the named preset (its own blocks dropped)."""
    return data if model is None else {**data, "coordination": {"model": model}}


def load_scenario(path: str | Path, overrides: list[str] | None = None,
                  coordination: str | None = None, **fields: Any):
    """Load, extend, override, fill presets and validate a scenario file.

    Args:
        path: the scenario YAML file.
        overrides: dotted `KEY=VALUE` strings, as given to `--set` (applied after ``coordination``).
        coordination: a preset name that replaces the file's coordination block.
        **fields: extra top-level overrides given as values (e.g. ``seed=3``).
    """
    from sim.scenario.params import Scenario

    data = read_with_extends(path)
    check_kind(data, path, "scenario")
    data = select_coordination(data, coordination)
    data = apply_overrides(data, list(overrides or []))
    data = deep_merge(data, {k: v for k, v in fields.items() if v is not None})
    return validate(Scenario, apply_preset(data), str(path), list(overrides or []))


EXPERIMENT_KEYS = ("scenario", "factors", "replications", "sample", "sensitivity", "posterior")
SCENARIO_KEYS = ("city", "time", "families", "sectors", "organisations", "coordination")


def file_kind(data: dict) -> str:
    """What a file's mapping is: "targets" (sim calibrate's figures), "optimisation" (sim
    optimise's levers and objectives), "experiment" (names its scenario and factors), "scenario"
    (a city), or "unknown"."""
    if "targets" in data:
        return "targets"
    if "objectives" in data:
        return "optimisation"
    if any(key in data for key in EXPERIMENT_KEYS):
        return "experiment"
    return "scenario" if any(key in data for key in SCENARIO_KEYS) else "unknown"


def check_kind(data: dict, path: str | Path, wanted: str) -> None:
    """Refuse a file of another kind than ``wanted`` ("scenario", "experiment", "optimisation"), saying what
    it is and which command takes it."""
    kind = file_kind(data)
    if kind in (wanted, "unknown"):
        return
    takes = {"scenario": f"sim run {path}", "experiment": f"sim sweep {path}",
             "targets": f"sim calibrate SCENARIO {path}",
             "optimisation": f"sim optimise {path}"}[kind]
    hint = (f"; an experiment names it (scenario: {path}) with its factors, e.g. "
            "docs/examples/my_city_models.yaml" if kind == "scenario" and wanted == "experiment"
            else "")
    raise ConfigError(f"{path}: {_a(kind)} file, not {_a(wanted)} (it runs with {takes}){hint}")


def _a(noun: str) -> str:
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


def scenario_from_dict(data: dict, source: str = "<scenario>"):
    """Validate an in-memory scenario mapping (presets filled)."""
    from sim.scenario.params import Scenario

    return validate(Scenario, apply_preset(data), source)
