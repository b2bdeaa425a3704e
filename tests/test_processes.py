"""No process outlives its command: a killed sweep driver or `sim app` leaves nothing running.

Each test starts the real command, records its process tree (from /proc ppid links) once it is
at work, kills the command alone (SIGKILL or SIGTERM, not its process group), and checks that
every process of the tree has ended within a few seconds. Survivors are killed afterwards, so a
failing test leaves no orphans behind either.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import BASE
from tests.tally import tally

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")]

EXPERIMENT = f"""
name: orphans
scenario: {BASE}
years: 1
replications: 50
seed: 9
set:
  city.families: 2000
  time.warmup_weeks: 6
factors:
  coordination: [silos, integrated_platform]
"""
GONE_WITHIN_S = 10


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, start time) of a process, None if there is none."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return fields[0], int(fields[1]), int(fields[19])


def _tree(root: int) -> dict[int, int]:
    """Every descendant of ``root``: pid -> start time (a pid reused later is not the same)."""
    children: dict[int, list[int]] = {}
    starts = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(int(entry))) is not None:
            children.setdefault(stat[1], []).append(int(entry))
            starts[int(entry)] = stat[2]
    found, todo = {}, [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found[child] = starts[child]
            todo.append(child)
    return found


def _alive(processes: dict[int, int]) -> list[int]:
    """The processes still running (zombies have ended; a reused pid is another process)."""
    out = []
    for pid, start in processes.items():
        stat = _stat(pid)
        if stat is not None and stat[0] != "Z" and stat[2] == start:
            out.append(pid)
    return out


def _wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.2)
    return result


def _kill_and_count_survivors(proc: subprocess.Popen, tree: dict[int, int], sig: int) -> list[str]:
    """Send ``sig`` to the command alone; the command lines of the processes of ``tree`` still
    alive after a few seconds (killed afterwards, so nothing is left behind)."""
    os.kill(proc.pid, sig)
    proc.wait(timeout=30)
    deadline = time.monotonic() + GONE_WITHIN_S
    while (left := _alive(tree)) and time.monotonic() < deadline:
        time.sleep(0.2)
    survivors = _describe(left)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    tally("processes checked for orphans after a kill", len(tree))
    tally("orphan processes left", len(left))
    return survivors


def _describe(pids: list[int]) -> list[str]:
    out = []
    for pid in pids:
        try:
            out.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")[:100].decode())
        except OSError:
            out.append(str(pid))
    return out


@pytest.mark.parametrize("executor, workers_seen", [("local", 4), ("dask", 4)])
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_sweep_workers_die_with_their_driver(tmp_path, sig, executor, workers_seen):
    """The driver of a 2-worker sweep killed: its workers, the forkserver and the resource tracker
    (and Dask's) end too, so a resumed sweep starts from a clean machine."""
    experiment = tmp_path / "orphans.yaml"
    experiment.write_text(EXPERIMENT)
    proc = subprocess.Popen([sys.executable, "-m", "sim.cli", "sweep", str(experiment), "--out",
                             str(tmp_path / "out"), "--workers", "2", "--quiet", "--executor",
                             executor], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        # the resource tracker, the forkserver and two workers forked from it, at work
        _wait_for(lambda: len(_tree(proc.pid)) >= workers_seen, 60, "the sweep's worker processes")
        time.sleep(1.0)
        tree = _tree(proc.pid)
        assert proc.poll() is None, "the sweep ended before it could be killed: make it longer"
        left = _kill_and_count_survivors(proc, tree, sig)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert not left, f"{len(left)} of {len(tree)} processes outlived the driver: {left}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers bind
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_app_server_ends_with_sim_app(sig):
    """`sim app` killed: nothing keeps serving, the port is free again."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "sim.cli", "app", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        _wait_for(lambda: proc.poll() is not None or _answers(f"http://127.0.0.1:{port}/"), 90,
                  "the page to answer")
        assert proc.poll() is None, f"sim app exited with {proc.returncode}"
        tree = {proc.pid: _stat(proc.pid)[2], **_tree(proc.pid)}
        left = _kill_and_count_survivors(proc, tree, sig)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert not left, f"{len(left)} processes outlived `sim app`: {left}"
    assert _port_free(port)


def test_app_port_in_use_is_one_line_with_the_fix():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "sim.cli", "app", "--port", str(port)],
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert str(port) in lines[0] and "in use" in lines[0]
    assert f"--port {port + 1}" in lines[0]
