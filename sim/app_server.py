"""Start the workshop page (``sim app``): Solara in production mode, telemetry off, offline assets.

Kept apart from ``sim/app.py`` so that the ``sim`` command never imports Solara or Mesa's
visualisation unless the page is asked for.
"""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
APP_MODULE = "sim.app"


def assets_dir() -> Path:
    """Where the ``solara-assets`` package puts the page's front-end (served offline)."""
    return Path(sys.prefix) / "share" / "solara" / "cdn"


def server_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The server's environment: telemetry off, no update checks."""
    env = dict(os.environ if base is None else base)
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "false"
    env.setdefault("MPLBACKEND", "Agg")
    return env


def server_command(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> list[str]:
    """The command that serves the page (``solara run sim.app --production``)."""
    return [sys.executable, "-m", "solara", "run", APP_MODULE, "--host", host, "--port", str(port),
            "--production", "--no-open"]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> int:
    """Run the page until Ctrl-C; return the server's exit code."""
    if not assets_dir().is_dir():
        print(f"sim app: warning: no offline front-end in {assets_dir()} (run `make setup`); "
              "the page will need internet access", file=sys.stderr)
    if not is_loopback(host):
        print(f"sim app: warning: serving on {host}: other computers on the network can open "
              "the page", file=sys.stderr)
    print(f"Workshop page: http://{'127.0.0.1' if host == '0.0.0.0' else host}:{port}/ "
          "(Ctrl-C to stop)", flush=True)
    return subprocess.call(server_command(host, port), env=server_env())
