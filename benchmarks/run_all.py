"""Run every benchmark of issue 6, print one table (measurement, value, target, met), write JSON.

    make bench                                   # sets up .venv and .venv-bench, then this
    .venv/bin/python benchmarks/run_all.py [--quick] [--out benchmarks/results/bench.json]

Measurements, each in fresh worker processes started one after another (see each script):
throughput.py (model at 10k, 100k, 1M families with every mechanism on; peak memory of a full
1M-family run), textbook_mesa.py (the same core rules as one Mesa agent per family, and a
coverage sanity check), numpy_limit.py (the cheapest pass over every family array), sweep.py
(runs per second on 1, 2 local and 2 Dask workers: short runs without and with start-up, and
a 40-run sweep of the default city with start-up), starsim_anchor.py (Starsim 3.7.2 SIR,
whole process against whole process). ``--quick`` runs everything at small sizes (a check of
the harness, not a measurement).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import starsim_anchor
from benchlib import BENCH, machine_info, worker

FULL = {"sizes": [10_000, 100_000], "reference_sizes": [10_000, 100_000], "big": 1_000_000,
        "big_steps": 260, "coverage_families": 10_000, "coverage_years": 2.0,
        "model_repeats": 2, "sweep_repeats": 2, "city_sweep": "city", "starsim_agents": 100_000,
        "starsim_repeats": 2}
QUICK = {"sizes": [2_000, 10_000], "reference_sizes": [2_000, 10_000], "big": 50_000,
         "big_steps": 60, "coverage_families": 2_000, "coverage_years": 1.5,
         "model_repeats": 1, "sweep_repeats": 1, "city_sweep": "small", "starsim_agents": 10_000,
         "starsim_repeats": 1}

TARGET_FAMILY_STEPS = 10e6
TARGET_SCALING = 11.0
TARGET_BYTES = 1024
TARGET_REFERENCE = 30.0
TARGET_LIMIT = 10.0
TARGET_EFFICIENCY = 0.9
TARGET_DASK = 0.85
TARGET_STARSIM = 1.5


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def measure_all(cfg: dict, starsim_python: Path) -> dict:
    res: dict = {"model": {}, "reference": {}}
    for n in cfg["sizes"]:
        log(f"model, {n:,} families")
        # like the sweeps and Starsim: the best of independent processes (machine noise only slows)
        runs = [worker("throughput.py", "model", "--families", str(n), "--limit")
                for _ in range(cfg["model_repeats"])]
        res["model"][n] = min(runs, key=lambda r: r["seconds_per_step"])
        res["model"][n]["all_seconds_per_step"] = [r["seconds_per_step"] for r in runs]
        if n in cfg["reference_sizes"]:
            log(f"textbook Mesa reference, {n:,} families")
            res["reference"][n] = worker("textbook_mesa.py", "reference", "--families", str(n))
    log(f"model, {cfg['big']:,} families, {cfg['big_steps']} steps (memory, throughput, NumPy limit)")
    res["big"] = worker("throughput.py", "memory", "--families", str(cfg["big"]),
                        "--steps", str(cfg["big_steps"]), "--limit")
    log("coverage check (textbook Mesa reference against the model)")
    res["coverage"] = worker("textbook_mesa.py", "coverage", "--families", str(cfg["coverage_families"]),
                             "--years", str(cfg["coverage_years"]))
    res["sweep"] = {}
    for rep in range(cfg["sweep_repeats"]):
        for warm in (False, True):
            for kind in ("serial", "local", "dask"):
                log(f"sweep, {kind}, {'without' if warm else 'with'} start-up (repeat {rep + 1})")
                r = worker("sweep.py", "worker", "--executor", kind, *(["--warm"] if warm else []),
                           one_core=False)
                res["sweep"].setdefault(f"{kind}_{'warm' if warm else 'cold'}", []).append(r)
    # a sweep the size of an analyst's first comparison, start-up included (once: it is long)
    res["city_sweep"] = {}
    for rep in range(cfg["sweep_repeats"]):
        for kind in ("serial", "local", "dask"):
            log(f"sweep of the default city, {kind}, with start-up (repeat {rep + 1})")
            r = worker("sweep.py", "worker", "--executor", kind, "--experiment", cfg["city_sweep"],
                       one_core=False)
            res["city_sweep"].setdefault(kind, []).append(r)
    log("Starsim anchor (whole processes)")
    res["starsim"] = starsim_anchor.measure(starsim_python, cfg["starsim_agents"], cfg["starsim_repeats"])
    return res


def _met(ok: bool | None) -> str:
    return "-" if ok is None else ("yes" if ok else "NO")


def _ms(seconds: float) -> str:
    return f"{1000 * seconds:.2f} ms" if seconds < 1 else f"{seconds:.2f} s"


def table(res: dict, cfg: dict) -> list[dict]:
    rows: list[dict] = []

    def row(measurement: str, value: str, target: str = "-", ok: bool | None = None) -> None:
        rows.append({"measurement": measurement, "value": value, "target": target, "met": _met(ok)})

    big, n_big = res["big"], cfg["big"]
    per_step = {n: r["seconds_per_step"] for n, r in res["model"].items()}
    per_step[n_big] = big["window"]["seconds_per_step"]
    for n in sorted(per_step):
        rate = n / per_step[n]
        tries = len(res["model"].get(n, {}).get("all_seconds_per_step", []))
        note = (f" (steps 20-39 of {big['steps']})" if n == n_big
                else f" (best of {tries} processes)" if tries > 1 else "")
        big_enough = n >= 100_000
        row(f"model throughput, {n:,} families, every mechanism on{note}",
            f"{rate / 1e6:.2f} M family-steps/s ({_ms(per_step[n])}/step)",
            f">= {TARGET_FAMILY_STEPS / 1e6:.0f} M" if big_enough else "-",
            rate >= TARGET_FAMILY_STEPS if big_enough else None)
    mid = max((n for n in res["model"] if n < n_big), default=None)
    if mid:
        ratio = per_step[n_big] / per_step[mid]
        row(f"scaling: time/step {n_big:,} / {mid:,} families", f"{ratio:.2f} (sizes x{n_big // mid})",
            f"<= {TARGET_SCALING:g}" if n_big == 10 * mid else "-",
            ratio <= TARGET_SCALING if n_big == 10 * mid else None)
    row(f"memory, {n_big:,} families x {big['steps']} steps, above baseline",
        f"{big['bytes_per_family']:.0f} B/family (peak {big['peak_rss_bytes'] / 2**20:.0f} MiB, "
        f"baseline {big['baseline_rss_bytes'] / 2**20:.0f} MiB)",
        f"<= {TARGET_BYTES} B/family", big["bytes_per_family"] <= TARGET_BYTES)
    row(f"{n_big:,} families x {big['steps']} weekly steps, one process",
        f"{big['build_seconds'] + big['run_seconds']:.1f} s (build {big['build_seconds']:.1f} s)")
    for n, ref in sorted(res["reference"].items()):
        ratio = ref["seconds_per_step"] / per_step[n]
        gated = n >= 100_000
        row(f"textbook Mesa reference / model, per step, {n:,} families",
            f"{ratio:.1f}x ({_ms(ref['seconds_per_step'])} vs {_ms(per_step[n])})",
            f">= {TARGET_REFERENCE:g}x" if gated else "-", ratio >= TARGET_REFERENCE if gated else None)
    cov = res["coverage"]
    row(f"coverage, {cov['families']:,} families, {cov['years']:g} years, mean of {len(cov['seeds'])} seeds: "
        "reference / model silos / model full_integration",
        f"{cov['reference']:.3f} / {cov['model_silos']:.3f} / {cov['model_full_integration']:.3f}",
        "plausible (sanity)")
    limits = [(n, r["seconds_per_step"], r["limit"]) for n, r in res["model"].items() if n >= 100_000]
    limits.append((n_big, per_step[n_big], big["limit"]))
    for n, step, lim in limits:
        ratio = step / lim["seconds_per_pass"]
        row(f"model / NumPy limit, per step, {n:,} families",
            f"{ratio:.1f}x (limit {_ms(lim['seconds_per_pass'])} over {len(lim['arrays'])} arrays, "
            f"{lim['bytes_per_family']:.0f} B/family)", f"<= {TARGET_LIMIT:g}x", ratio <= TARGET_LIMIT)
    sw = res["sweep"]
    best = {k: max(r["runs_per_second"] for r in v) for k, v in sw.items()}
    runs = sw["serial_warm"][0]["runs"]
    labels = (("serial", "1 worker (in process)"), ("local", "2 local workers"),
              ("dask", "Dask LocalCluster, 2 workers"))
    for kind, label in labels:
        row(f"sweep, {runs} short runs (3,000 families, 1 year), {label}",
            f"{best[kind + '_warm']:.2f} runs/s ({best[kind + '_cold']:.2f} with start-up)")

    def scaling_rows(rates: dict, label: str) -> None:
        """Parallel efficiency and Dask / local pool from runs/s by executor, against the targets."""
        eff = rates["local"] / (2 * rates["serial"])
        row(f"parallel efficiency, 2 local workers / (2 x 1), {label}", f"{eff:.3f}",
            f">= {TARGET_EFFICIENCY:g}", eff >= TARGET_EFFICIENCY)
        dask = rates["dask"] / rates["local"]
        row(f"Dask LocalCluster / local pool, {label}", f"{dask:.3f}", f">= {TARGET_DASK:g}",
            dask >= TARGET_DASK)

    scaling_rows({kind: best[f"{kind}_warm"] for kind, _ in labels}, "short runs, sustained")
    eff = best["local_cold"] / (2 * best["serial_cold"])
    dask = best["dask_cold"] / best["local_cold"]
    row("short runs with start-up: efficiency / Dask vs local (start-up not amortised)",
        f"{eff:.3f} / {dask:.3f}")
    city = {kind: max(rs, key=lambda r: r["runs_per_second"]) for kind, rs in res["city_sweep"].items()}
    rate = {kind: r["runs_per_second"] for kind, r in city.items()}
    for kind, label in labels:
        r = city[kind]
        row(f"sweep of the default city, {r['runs']} runs, {label}, with start-up",
            f"{rate[kind]:.3f} runs/s ({r['seconds']:.1f} s; best of {len(res['city_sweep'][kind])})")
    scaling_rows(rate, "default city, with start-up")
    st = res["starsim"]
    if "skipped" in st:
        row("Starsim anchor", f"not measured: {st['skipped']}", f">= {TARGET_STARSIM:g}x", False)
    else:
        for side, label in (("starsim", f"Starsim {st['starsim_version']} SIR, random network"),
                            ("ours", "our model, full_integration (sim run)")):
            s = st[side]
            row(f"{label}, {s['agents']:,} agents x {s['steps']} steps, whole process",
                f"{s['agent_steps_per_second'] / 1e6:.2f} M agent-steps/s ({s['seconds']:.2f} s)")
        row("ours / Starsim, whole process", f"{st['ratio']:.2f}x", f">= {TARGET_STARSIM:g}x",
            st["ratio"] >= TARGET_STARSIM)
    return rows


def print_table(rows: list[dict]) -> None:
    heads = ("measurement", "value", "target", "met")
    widths = [max(len(h), *(len(r[h]) for r in rows)) for h in heads]
    line = "  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True))
    print(line)
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(r[h].ljust(w) for h, w in zip(heads, widths, strict=True)))


def _relative(path: str) -> str:
    p = Path(path)
    return str(p.relative_to(BENCH.parent)) if p.is_relative_to(BENCH.parent) else p.name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: check the harness only")
    parser.add_argument("--out", type=Path, default=None,
                        help="JSON file (default: benchmarks/results/bench.json, or bench-quick.json)")
    parser.add_argument("--starsim-python", type=Path, default=starsim_anchor.STARSIM_PYTHON)
    args = parser.parse_args()
    cfg = QUICK if args.quick else FULL
    out = args.out or BENCH / "results" / ("bench-quick.json" if args.quick else "bench.json")
    started = datetime.now(UTC)
    machine = machine_info()
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=BENCH.parent)
    dirty = subprocess.run(["git", "status", "--porcelain", "sim"], capture_output=True, text=True,
                           cwd=BENCH.parent)
    clock = time.perf_counter()
    res = measure_all(cfg, args.starsim_python)
    rows = table(res, cfg)
    print_table(rows)
    doc = {"date": started.isoformat(timespec="seconds"),
           "command": os.environ.get("BENCH_COMMAND") or " ".join([_relative(sys.executable), *sys.argv]),
           "git_commit": commit.stdout.strip() or None, "sim_modified": bool(dirty.stdout.strip()),
           "quick": args.quick, "machine": machine, "load_average_end": list(os.getloadavg()),
           "seconds": time.perf_counter() - clock, "config": cfg, "table": rows,
           "results": json.loads(json.dumps(res, default=str))}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"\nwritten to {out.relative_to(BENCH.parent) if out.is_relative_to(BENCH.parent) else out}")


if __name__ == "__main__":
    main()
