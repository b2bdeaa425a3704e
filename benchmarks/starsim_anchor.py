"""Outside anchor: Starsim 3.7.2 SIR against our model, whole process against whole process.

Starsim is an optional benchmark dependency kept out of ``.venv`` (it could disturb the project's
pinned packages): ``make bench`` installs it into ``.venv-bench`` when missing. Each side is a
fresh process timed from outside (interpreter start, imports, build, run, exit):

- Starsim: ``ss.Sim(n_agents=100_000, networks="random", diseases="sir", dt=ss.week,
  dur=ss.weeks(259))``, run; the process prints ``len(sim.timevec)``, the number of steps it ran
  (260: Starsim's time vector includes both ends);
- ours: ``.venv/bin/sim run scenarios/base.yaml --set city.families=100000 --coordination
  full_integration --quiet --out <tmp>`` (5 years of weekly steps: 260; the run also writes its
  result folder).

Agent-steps per second = agents x steps / wall seconds; each side runs ``--repeats`` times,
alternating, and the best time counts (target: ours >= 1.5x Starsim's). Both processes run with
the machine's default environment (thread pools as each library sets them).

    .venv/bin/python benchmarks/starsim_anchor.py [--starsim-python .venv-bench/bin/python]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import ROOT, emit

AGENTS = 100_000
STARSIM_VERSION = "3.7.2"
STARSIM_PYTHON = ROOT / ".venv-bench" / "bin" / "python"
STARSIM_RUN = """
import json, sys
import starsim as ss
n = int(sys.argv[1])
sim = ss.Sim(n_agents=n, networks="random", diseases="sir", dt=ss.week, dur=ss.weeks(259), verbose=0)
sim.run()
print(json.dumps({"version": ss.__version__, "agents": n, "steps": len(sim.timevec)}))
"""


def timed(cmd: list[str]) -> tuple[float, str]:
    """Wall seconds of a whole process, and its standard output."""
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT,
                          env={"STARSIM_INSTALL_FONTS": "0", **os.environ})
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-10:])
        raise RuntimeError(f"{cmd[0]} ... failed (exit {done.returncode}):\n{tail}")
    return seconds, done.stdout


def run_starsim(python: Path, agents: int) -> dict:
    seconds, out = timed([str(python), "-c", STARSIM_RUN, str(agents)])
    info = json.loads(out.strip().splitlines()[-1])
    return {**info, "seconds": seconds, "agent_steps_per_second": info["agents"] * info["steps"] / seconds}


def run_ours(families: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        seconds, _ = timed([str(ROOT / ".venv" / "bin" / "sim"), "run", "scenarios/base.yaml",
                            "--set", f"city.families={families}", "--coordination", "full_integration",
                            "--quiet", "--out", str(Path(tmp) / "run")])
        manifest = json.loads((Path(tmp) / "run" / "manifest.json").read_text())
        steps = len((Path(tmp) / "run" / "timeseries.csv").read_text().strip().splitlines()) - 1
    return {"agents": families, "steps": steps, "seconds": seconds,
            "agent_steps_per_second": families * steps / seconds,
            "manifest_wall_seconds": manifest.get("wall_seconds")}


def starsim_ready(python: Path) -> str | None:
    """The installed Starsim version in ``python``'s environment, or None."""
    if not python.exists():
        return None
    done = subprocess.run([str(python), "-c", "import starsim; print(starsim.__version__)"],
                          capture_output=True, text=True, env={"STARSIM_INSTALL_FONTS": "0", **os.environ})
    return done.stdout.strip() if done.returncode == 0 else None


def measure(python: Path, agents: int, repeats: int) -> dict:
    version = starsim_ready(python)
    if version is None:
        return {"skipped": f"Starsim not installed for {python} (make bench installs it into .venv-bench)"}
    timed([str(python), "-c", "import starsim"])  # first import after install compiles and caches
    ours, theirs = [], []
    for _ in range(repeats):
        ours.append(run_ours(agents))
        theirs.append(run_starsim(python, agents))
    best_ours = min(ours, key=lambda r: r["seconds"])
    best_theirs = min(theirs, key=lambda r: r["seconds"])
    return {"starsim_version": version, "ours": best_ours, "starsim": best_theirs,
            "all_seconds": {"ours": [r["seconds"] for r in ours], "starsim": [r["seconds"] for r in theirs]},
            "ratio": best_ours["agent_steps_per_second"] / best_theirs["agent_steps_per_second"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starsim-python", type=Path, default=STARSIM_PYTHON)
    parser.add_argument("--agents", type=int, default=AGENTS)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line")
    args = parser.parse_args()
    r = measure(args.starsim_python, args.agents, args.repeats)
    if args.json:
        emit(r)
        return
    if "skipped" in r:
        print(r["skipped"], file=sys.stderr)
        sys.exit(1)
    for side in ("starsim", "ours"):
        s = r[side]
        print(f"{side:>8}: {s['agents']:,} agents x {s['steps']} steps in {s['seconds']:.2f} s = "
              f"{s['agent_steps_per_second'] / 1e6:.2f} M agent-steps/s")
    print(f"ours / Starsim {r['starsim_version']}: {r['ratio']:.2f}x (target >= 1.5)")


if __name__ == "__main__":
    main()
