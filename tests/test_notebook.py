"""The analyst notebook runs from top to bottom (small sizes) and is committed without outputs."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK = Path(__file__).resolve().parent.parent / "docs" / "analyst-walkthrough.ipynb"
SMALL = """
FAMILIES = 400
YEARS = 0.75
WARMUP_WEEKS = 6
REPLICATIONS = 2
WORKERS = 1
"""


def read():
    return nbformat.read(NOTEBOOK, as_version=4)


def test_notebook_is_committed_without_outputs():
    nb = read()
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


def test_notebook_runs_end_to_end(tmp_path):
    nb = read()
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and "REPLICATIONS" in params[0].source
    params[0].source = SMALL  # the same names, smaller values (like papermill's parameters)
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 3  # time series, comparison, paired differences
    text = "\n".join(o.get("data", {}).get("text/plain", "") for o in outputs)
    assert "full_integration" in text and "coverage_marginalised" in text
    assert not list(tmp_path.iterdir())  # the notebook leaves nothing behind
