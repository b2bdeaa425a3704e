"""A city file outside the project can extend the project's scenarios by name."""

import pytest

from sim.errors import ConfigError
from sim.scenario.loading import load_scenario


@pytest.mark.parametrize("parent", ["base", "base.yaml"])
def test_a_file_elsewhere_extends_the_base_city_by_name(tmp_path, parent):
    mine = tmp_path / "my_city.yaml"
    mine.write_text(f"extends: {parent}\nname: my_city\ncity:\n  families: 300\n")
    scenario = load_scenario(mine)
    assert scenario.name == "my_city" and scenario.city.families == 300
    assert "child_protection" in scenario.sectors  # the rest comes from scenarios/base.yaml


def test_a_file_next_to_it_comes_first(tmp_path):
    (tmp_path / "base.yaml").write_text("extends: base\nname: local_base\nseed: 5\n")
    mine = tmp_path / "my_city.yaml"
    mine.write_text("extends: base.yaml\nname: mine\n")
    assert load_scenario(mine).seed == 5  # the local base.yaml, itself extending the project's


def test_an_unknown_parent_says_where_it_looked(tmp_path):
    mine = tmp_path / "my_city.yaml"
    mine.write_text("extends: atlantis\nname: mine\n")
    with pytest.raises(ConfigError, match=r"extends: file not found: 'atlantis' \(looked for .*"
                                          r"atlantis.*scenarios/atlantis\.yaml\)"):
        load_scenario(mine)
