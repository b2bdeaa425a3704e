"""Worker processes that end with the command that started them, whatever signal ended it.

A sweep's local workers are forked by multiprocessing's forkserver, so their parent is the
forkserver, not the driver, and each holds the forkserver's "alive" pipe and the resource
tracker's pipe open. When the driver dies (kill -9, SIGTERM) without shutting its pool down, the
workers wait forever on their task queue and keep the forkserver and the resource tracker alive.

Chosen mechanism: each worker watches the driver *process* from a daemon thread
(:func:`watch_driver`, the pool's initializer). On Linux the thread blocks on a pidfd of the
driver, which becomes readable when the driver has ended (no polling, immune to PID reuse);
elsewhere it polls the PID every second. When the driver is gone the worker exits at once, and
the forkserver and the resource tracker, seeing their pipes close, exit by themselves. A
parent-death signal (prctl PR_SET_PDEATHSIG) was not chosen: the workers' parent is the
forkserver, which outlives the driver, and the signal fires on the death of the parent *thread*
that forked, so it would also have to be set in the forkserver by a preloaded module and would
kill it if that thread ended first.

Dask's LocalCluster workers already watch their nanny (which runs in the driver) through a
pipe; ``sim app`` replaces itself by the server (``sim/app/server.py``), so it has no child.
"""

from __future__ import annotations

import os
import select
import threading
import time

POLL_SECONDS = 1.0


def watch_driver(driver_pid: int) -> None:
    """End this process as soon as process ``driver_pid`` has ended (a pool's initializer)."""
    try:
        pidfd = os.pidfd_open(driver_pid)
    except ProcessLookupError:  # the driver died before this worker started
        os._exit(1)
    except (AttributeError, OSError):  # no pidfd here (not Linux >= 5.3): poll the PID
        pidfd = None
    threading.Thread(target=_wait_then_exit, args=(driver_pid, pidfd), daemon=True,
                     name="sim-lifeline").start()


def _wait_then_exit(driver_pid: int, pidfd: int | None) -> None:
    if pidfd is not None:
        select.select([pidfd], [], [])  # readable once the driver has exited
    else:
        while _exists(driver_pid):
            time.sleep(POLL_SECONDS)
    os._exit(1)


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
