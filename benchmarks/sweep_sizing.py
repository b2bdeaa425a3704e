"""Size a national sweep from measured per-run time, memory and storage.

Measures, each in a fresh process: the wall time and peak memory of one 5-year run of the base
city at several sizes (with every mechanism on), fits time and memory as a + b x families, and
the Parquet bytes per result row. Then sizes "every one of France's ~36,000 municipalities x 6
coordination models x 10 replications", with municipal populations drawn from a log-normal
size distribution (median 450 inhabitants, mean 1,900: an assumption close to France's communes,
whose ~36,000 x 1,900 = 68 million matches the country's population) and 0.11 families with
children 0-12 per inhabitant (assumption).

Usage: .venv/bin/python benchmarks/sweep_sizing.py [--out benchmarks/results/sweep_sizing.json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SIZES = [100, 1_000, 10_000, 50_000]
MUNICIPALITIES = 36_000
MODELS, REPLICATIONS = 6, 10
MEDIAN_INHABITANTS, MEAN_INHABITANTS = 450.0, 1_900.0
FAMILIES_PER_INHABITANT = 0.11

ONE_RUN = """
import json, resource, sys, time
from sim.scenario.loading import load_scenario
from sim.experiments.runner import simulate
import sim.core.model  # imported once per worker in a sweep: not part of a run's time
families = int(sys.argv[1])
scenario = load_scenario(sys.argv[2], [f"city.families={families}"], coordination="full_integration")
config = scenario.model_dump(mode="json")
clock = time.perf_counter()
simulate(config, 1, ["coverage"])
wall = time.perf_counter() - clock
print(json.dumps({"families": families, "seconds": wall,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(families: int) -> dict:
    done = subprocess.run([sys.executable, "-c", ONE_RUN, str(families),
                           str(ROOT / "scenarios" / "base.yaml")],
                          capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def bytes_per_row() -> float:
    """Parquet bytes per run row of a small sweep (metrics + 5 weekly time series)."""
    from sim.experiments.plan import load_experiment
    from sim.experiments.runner import SerialExecutor, run_plan
    from sim.experiments.store import ResultStore

    with tempfile.TemporaryDirectory() as tmp:
        exp = Path(tmp) / "e.yaml"
        exp.write_text(f"name: sizing\nscenario: {ROOT / 'scenarios' / 'base.yaml'}\n"
                       "replications: 8\nset:\n  city.families: 200\n"
                       "factors:\n  coordination: [silos, council]\n")
        store = ResultStore(Path(tmp) / "out")
        run_plan(load_experiment(exp), store, SerialExecutor())
        parts = list((Path(tmp) / "out" / "parts").glob("*.parquet"))
        return sum(p.stat().st_size for p in parts) / len(store.read())


def municipal_families(rng: np.random.Generator) -> np.ndarray:
    sigma = np.sqrt(2 * np.log(MEAN_INHABITANTS / MEDIAN_INHABITANTS))
    inhabitants = rng.lognormal(np.log(MEDIAN_INHABITANTS), sigma, size=MUNICIPALITIES)
    return np.maximum(np.round(inhabitants * FAMILIES_PER_INHABITANT), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "sweep_sizing.json"))
    args = parser.parse_args()
    runs = [measure(n) for n in SIZES]
    for r in runs:
        print(f"{r['families']:>7} families: {r['seconds']:7.3f} s per 5-year run, "
              f"peak {r['peak_mb']:6.0f} MB")
    x = np.array([r["families"] for r in runs], dtype=float)
    t_fit = np.polyfit(x, [r["seconds"] for r in runs], 1)
    m_fit = np.polyfit(x, [r["peak_mb"] for r in runs], 1)
    row_bytes = bytes_per_row()
    fam = municipal_families(np.random.default_rng(36_000))
    # per-run time: interpolated between measured sizes, the linear fit beyond the largest
    per_run = np.where(fam <= x[-1], np.interp(fam, x, [r["seconds"] for r in runs]),
                       t_fit[1] + t_fit[0] * fam)
    seconds = per_run.sum() * MODELS * REPLICATIONS
    n_runs = MUNICIPALITIES * MODELS * REPLICATIONS
    result = {
        "per_run_seconds": {"intercept": t_fit[1], "per_family": t_fit[0]},
        "peak_memory_mb": {"intercept": m_fit[1], "per_family": m_fit[0]},
        "measured": runs,
        "bytes_per_result_row": row_bytes,
        "national_sweep": {
            "municipalities": MUNICIPALITIES, "models": MODELS, "replications": REPLICATIONS,
            "runs": n_runs, "families_total": float(fam.sum()),
            "largest_municipality_families": float(fam.max()),
            "cpu_hours": seconds / 3600,
            "hours_on_workers": {str(w): seconds / 3600 / w for w in (2, 32, 256, 1024)},
            "storage_gb": n_runs * row_bytes / 1e9,
            "largest_run_peak_mb": float(m_fit[1] + m_fit[0] * fam.max()),
        },
    }
    nat = result["national_sweep"]
    print(f"time per run ~ {t_fit[1]:.3f} s + {t_fit[0] * 1e6:.2f} us x families; "
          f"memory ~ {m_fit[1]:.0f} MB + {m_fit[0] * 1e3:.2f} KB x families")
    print(f"result row: {row_bytes:,.0f} bytes in Parquet")
    print(f"national sweep: {n_runs:,} runs, {nat['cpu_hours']:,.0f} CPU-hours "
          f"({nat['hours_on_workers']['256']:.1f} h on 256 workers), "
          f"{nat['storage_gb']:.1f} GB of results, largest run {nat['largest_run_peak_mb']:.0f} MB")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
