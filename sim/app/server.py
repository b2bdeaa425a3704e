"""Start the workshop page (``sim app``): Solara in production mode, telemetry off, offline assets.

Kept apart from ``sim/app/page.py`` so that the ``sim`` command never imports Solara or Mesa's
visualisation unless the page is asked for. ``sim app`` replaces itself by the server (exec): there
is no child process to outlive it, whatever signal ends it.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
import sys
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
APP_MODULE = "sim.app.page"
CULL_TIMEOUT = "5m"


def assets_dir() -> Path:
    """Where the ``solara-assets`` package puts the page's front-end (served offline)."""
    return Path(sys.prefix) / "share" / "solara" / "cdn"


def server_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The server's environment: telemetry off, no update checks, no "runs on Solara" banner
    (it sat over the bottom-right corner of the charts); a session whose page went
    away without closing (its closing releases the session's model at once) is culled after
    ``CULL_TIMEOUT`` instead of Solara's 24 hours; two malloc arenas, as each session runs in its
    own thread and per-thread arenas kept the memory of closed sessions (+2.5 MB a session)."""
    env = dict(os.environ if base is None else base)
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "false"
    env["SOLARA_THEME_SHOW_BANNER"] = "false"
    env.setdefault("MPLBACKEND", "Agg")
    env.setdefault("SOLARA_KERNEL_CULL_TIMEOUT", CULL_TIMEOUT)
    env.setdefault("MALLOC_ARENA_MAX", "2")
    return env


def server_command(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> list[str]:
    """The command that serves the page (``solara run sim.app.page --production``)."""
    return [sys.executable, "-m", "solara", "run", APP_MODULE, "--host", host, "--port", str(port),
            "--production", "--no-open"]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def port_problem(host: str, port: int) -> str | None:
    """Why the server could not listen on ``host``:``port`` (None if it can), with the fix."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds
            probe.bind((host, port))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return (f"port {port} on {host} is already in use (another `sim app`?): stop the "
                    f"other server, or choose another port, e.g. --port {port + 1 if port < 65535 else 8766}")
        return f"cannot serve on {host}:{port}: {exc.strerror or exc}"
    return None


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> int:
    """Become the page's server (exec) until Ctrl-C; 2 if the port cannot be used."""
    problem = port_problem(host, port)
    if problem:
        print(f"sim app: {problem}", file=sys.stderr)
        return 2
    if not assets_dir().is_dir():
        print(f"sim app: warning: no offline front-end in {assets_dir()} (run `make setup`); "
              "the page will need internet access", file=sys.stderr)
    if not is_loopback(host):
        print(f"sim app: warning: serving on {host}: other computers on the network can open "
              "the page", file=sys.stderr)
    print(f"Workshop page: http://{'127.0.0.1' if host == '0.0.0.0' else host}:{port}/ "
          "(Ctrl-C to stop)", flush=True)
    sys.stderr.flush()
    command = server_command(host, port)
    os.execve(command[0], command, server_env())
