"""Scenario loading: extends, --set, presets, and refusal of bad input before anything runs."""

import pytest

from sim.errors import ConfigError
from sim.scenario.loading import load_scenario
from tests.conftest import BASE


def write(tmp_path, text, name="s.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_base_scenario_is_valid():
    scenario = load_scenario(BASE)
    assert scenario.city.families == 10_000
    assert scenario.city.neighbourhoods >= 12
    assert scenario.city.informal_neighbourhoods / scenario.city.neighbourhoods == pytest.approx(1 / 3)
    kinds = [o.kind.value for o in scenario.organisations.values()]
    assert kinds.count("ngo") >= 2 and kinds.count("private") >= 2
    departments = [o for o in scenario.organisations.values() if o.kind.value == "department"]
    assert sorted(s for d in departments for s in d.sectors) == sorted(scenario.sectors)


def test_extends_overrides_keys(tmp_path):
    child = write(tmp_path, f"extends: {BASE}\nname: child\ncity:\n  families: 300\n")
    scenario = load_scenario(child)
    assert scenario.name == "child" and scenario.city.families == 300
    assert scenario.city.neighbourhoods == 15  # inherited


def test_set_overrides_nested_keys():
    scenario = load_scenario(BASE, ["city.families=2000",
                                    "organisations.health_department.capacity=7"])
    assert scenario.city.families == 2000
    assert scenario.organisations["health_department"].capacity == 7


@pytest.mark.parametrize(("override", "expected"), [
    ("city.familes=3", "city.familes: unknown key"),
    ("organisations.health_department.colour=red", "organisations.health_department.colour: unknown key"),
    ("city.families=many", "city.families"),
    ("organisations.health_department.funding.budget_per_year=-5", "budget_per_year"),
    ("city.informal_family_share=1.5", "city.informal_family_share"),
    ("families.seek_probability=-0.1", "families.seek_probability"),
    ("city.informal_neighbourhoods=40", "informal_neighbourhoods (40) exceeds neighbourhoods"),
    ("city.marginalised_share_formal=2", "city.marginalised_share_formal"),
    ("organisations.health_department.sectors=[dentistry]", "unknown sector 'dentistry'"),
    ("time.warmup_weeks=20000", "warmup_weeks"),
    ("families.trust_mean=.nan", "families.trust_mean"),
    ("outputs.dir=../elsewhere", "outputs.dir"),
])
def test_bad_values_are_refused_with_the_key(override, expected):
    with pytest.raises(ConfigError) as err:
        load_scenario(BASE, [override])
    message = str(err.value)
    assert expected in message
    assert "\n" not in message
    assert message.startswith((str(BASE), "--set"))


@pytest.mark.parametrize("text", ["", "- a\n- b\n", "city: [unclosed\n", "a: *nope\n"])
def test_malformed_files_are_refused(tmp_path, text):
    with pytest.raises(ConfigError) as err:
        load_scenario(write(tmp_path, text))
    assert "s.yaml" in str(err.value)


def test_extends_cycle_is_refused(tmp_path):
    write(tmp_path, "extends: b.yaml\n", "a.yaml")
    write(tmp_path, "extends: a.yaml\n", "b.yaml")
    with pytest.raises(ConfigError, match="cycle"):
        load_scenario(tmp_path / "a.yaml")


@pytest.mark.parametrize("override", ["novalue", "=3", "city..families=3"])
def test_malformed_set_is_refused(override):
    with pytest.raises(ConfigError, match="--set"):
        load_scenario(BASE, [override])


@pytest.mark.parametrize(("text", "expected"), [
    ("city:\n  families: 10\n  families: 20\n", "city.families: duplicate key (lines 2 and 3)"),
    ("city:\n  families: 10\nname: x\ncity:\n  neighbourhoods: 3\n", "city: duplicate key (lines 1 and 4)"),
    ("organisations:\n  a:\n    sites: [{x: 1, x: 2}]\n",
     "organisations.a.sites.0.x: duplicate key (twice on line 3)"),
    ("a: &m {k: 1}\nb:\n  <<: *m\n  k: 2\n  k: 3\n", "b.k: duplicate key (lines 4 and 5)"),
])
def test_duplicate_keys_are_refused_with_both_lines(tmp_path, text, expected):
    with pytest.raises(ConfigError) as err:
        load_scenario(write(tmp_path, text))
    assert str(err.value) == f"{tmp_path / 's.yaml'}: {expected}"


def test_a_merge_key_may_be_overridden():
    from sim.scenario.loading import safe_parse

    assert safe_parse("a: &m {k: 1, j: 2}\nb:\n  <<: *m\n  k: 3\n")["b"] == {"k": 3, "j": 2}


def test_integers_too_long_for_python_are_refused_with_the_key(tmp_path):
    digits = "7" * 5000
    with pytest.raises(ConfigError) as err:
        load_scenario(write(tmp_path, f"extends: {BASE}\ncity:\n  families: {digits}\n"))
    assert str(err.value) == (f"{tmp_path / 's.yaml'}: city.families: a whole number of 5000 "
                              "digits at line 3 (expected at most 100 digits)")
    with pytest.raises(ConfigError) as err:
        load_scenario(BASE, [f"city.families={digits}"])
    assert str(err.value) == ("--set city.families: a whole number of 5000 digits "
                              "(expected at most 100 digits)")


def test_extends_of_an_unreadable_file_names_it(tmp_path):
    child = write(tmp_path, "extends: /proc/self/mem\n")
    with pytest.raises(ConfigError) as err:
        load_scenario(child)
    assert str(err.value).startswith("/proc/self/mem: could not read the file (")
    with pytest.raises(ConfigError, match="could not read the file"):
        load_scenario(tmp_path / ("x" * 300 + ".yaml"))  # name too long: an OSError on stat


def test_long_extends_chains_are_refused_naming_the_file_too_deep(tmp_path):
    for i in range(30):
        write(tmp_path, f"extends: {i + 1}.yaml\n" if i < 29 else f"extends: {BASE}\n", f"{i}.yaml")
    with pytest.raises(ConfigError) as err:
        load_scenario(tmp_path / "0.yaml")
    assert str(err.value) == (f"{tmp_path / '19.yaml'}: extends: expected a chain of at most 20 "
                              f"files (from {tmp_path / '0.yaml'})")
    assert load_scenario(tmp_path / "11.yaml").name == "base"  # 20 files in the chain: fine


CITY_PRICES = """extends: {base}
coordination_defaults:
  integrated_platform: {{running_cost_per_hub_per_year: 500000}}
"""


def test_a_citys_coordination_defaults_apply_whenever_the_mechanism_is_on(tmp_path):
    path = write(tmp_path, CITY_PRICES.format(base=BASE))
    assert load_scenario(path).coordination.integrated_platform is None  # silos: nothing on
    for model in ("integrated_platform", "full_integration"):
        platform = load_scenario(path, coordination=model).coordination.integrated_platform
        assert platform.running_cost_per_hub_per_year == 500_000  # the city's price
    overridden = load_scenario(path, ["coordination.integrated_platform.running_cost_per_hub_per_year=7"],
                               coordination="integrated_platform")
    assert overridden.coordination.integrated_platform.running_cost_per_hub_per_year == 7  # --set wins
    plain = load_scenario(BASE, coordination="integrated_platform").coordination.integrated_platform
    assert plain.running_cost_per_hub_per_year == 60_000  # the mechanism's default elsewhere


@pytest.mark.parametrize("block, expected", [
    ("hubs_programme: {running_cost_per_hub_per_year: 1}", "'hubs_programme' is not a mechanism"),
    ("integrated_platform: {running_cost: 1}", "integrated_platform.running_cost is not a parameter"),
])
def test_coordination_defaults_name_real_mechanisms_and_parameters(tmp_path, block, expected):
    path = write(tmp_path, f"extends: {BASE}\ncoordination_defaults:\n  {block}\n")
    with pytest.raises(ConfigError, match=expected):
        load_scenario(path)
