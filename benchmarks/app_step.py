"""Time one rendered step of the workshop page: the model's step plus the page's figures.

    .venv/bin/python benchmarks/app_step.py [--city base] [--steps 40] [--compare]

A rendered step is what Play does each tick on the server: ``WorkshopModel.step()`` (one week of
every run), the map drawn to PNG as the page shows it (``sim.app.charts.figure_png``) and the
time-series chart's data (``timeseries_option``, drawn by ECharts in the browser) serialised.
Prints the median and the 90th percentile in milliseconds, for the model alone and for the whole;
the browser adds the websocket round trip and drawing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from sim.app.charts import city_map, figure_png, timeseries_option
from sim.app.workshop import DEFAULT_CITY, DEFAULT_COMPARISON, WorkshopModel


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return f"median {1000 * statistics.median(values):6.1f} ms, p90 {1000 * p90:6.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--city", default=DEFAULT_CITY, help="scenario name (default: base)")
    parser.add_argument("--steps", type=int, default=40, help="rendered steps to time (default: 40)")
    parser.add_argument("--compare", action="store_true", help=f"also run {DEFAULT_COMPARISON}")
    args = parser.parse_args()

    started = time.perf_counter()
    model = WorkshopModel(city=args.city, compare=args.compare)
    built = time.perf_counter() - started
    figure_png(city_map(model.runs))  # first drawing loads fonts: not a step
    step, total = [], []
    for _ in range(args.steps):
        t0 = time.perf_counter()
        model.step()
        t1 = time.perf_counter()
        figure_png(city_map(model.runs))
        json.dumps(timeseries_option(model.runs))
        t2 = time.perf_counter()
        step.append(t1 - t0)
        total.append(t2 - t0)
    families = model.main.params.city.families
    runs = " + ".join(run.label for run in model.runs)
    print(f"{args.city}: {families:,} families, {runs}; page model built in {built:.2f} s "
          f"(warm-up included)")
    print(f"model step only      : {_ms(step)}")
    print(f"rendered step (total): {_ms(total)}  over {args.steps} steps")


if __name__ == "__main__":
    main()
