"""Regenerate the regression baseline on purpose: `make baseline` (then review the diff)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.experiments.baseline import BASELINES, baseline_summary  # noqa: E402
from sim.experiments.outputs import json_number  # noqa: E402


def main() -> None:
    for name in BASELINES:
        path = ROOT / "results" / "reference" / f"{name}.json"
        summary = {k: json_number(v) for k, v in baseline_summary(name).items()}
        path.write_text(json.dumps(summary, indent=2) + "\n")
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
