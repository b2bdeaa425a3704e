"""Security: output folders stay inside the results root unless the command line says otherwise;
YAML is only ever safe-loaded; no eval, exec or pickle of user input in the package."""

import re
from pathlib import Path

import pytest

from sim.cli import main
from sim.errors import ConfigError
from sim.scenario.loading import load_scenario
from tests.conftest import BASE

PACKAGE = Path(__file__).resolve().parent.parent / "sim"
SMALL = ["--set", "city.families=60", "--steps", "12", "--set", "time.warmup_weeks=4", "--quiet"]


@pytest.mark.parametrize("folder", ["../elsewhere", "/tmp/elsewhere", "results/../../x"])
def test_scenario_output_folder_cannot_escape(folder):
    with pytest.raises(ConfigError, match="outputs.dir"):
        load_scenario(BASE, [f"outputs.dir={folder}"])


@pytest.mark.parametrize("name", ["../x", "/abs", "a/b", ".hidden", "x y"])
def test_experiment_names_cannot_be_paths(tmp_path, capsys, name):
    path = tmp_path / "e.yaml"
    path.write_text(f"name: '{name}'\nscenario: {BASE}\nreplications: 1\n")
    assert main(["sweep", str(path), "--quiet"]) == 2
    assert "name" in capsys.readouterr().err


def test_an_explicit_out_on_the_command_line_is_honoured(tmp_path):
    out = tmp_path / "deeper" / ".." / "chosen"
    assert main(["run", str(BASE), *SMALL, "--out", str(out)]) == 0
    assert (tmp_path / "chosen" / "summary.json").exists()


def test_yaml_tags_that_build_objects_are_refused(tmp_path, capsys):
    path = tmp_path / "evil.yaml"
    path.write_text("name: !!python/object/apply:os.system ['touch pwned']\n")
    assert main(["validate", str(path)]) == 2
    assert not Path("pwned").exists()


def test_no_unsafe_loading_or_evaluation_in_the_package():
    source = "\n".join(p.read_text() for p in PACKAGE.rglob("*.py"))
    assert not re.search(r"\beval\(|\bexec\(|\bpickle\.|yaml\.load\((?![^)]*Loader=_GuardedLoader)",
                         source)
    assert "yaml.unsafe_load" not in source and "FullLoader" not in source
