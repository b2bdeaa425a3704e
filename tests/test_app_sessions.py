"""The workshop server releases closed sessions: 30 browser sessions opened and closed leave no
model in memory and the server's memory flat; beyond the bound, a new session gets a message.

A tab's closing releases its session at once (Solara's close message); a session whose close
message is lost is culled after Solara's cull timeout (``sim app``: 5 minutes; here 10 s).

Starts `sim app` as `make test` does, with ``SIM_APP_DEBUG=1`` (the server logs how many
WorkshopModels are still in memory, counted by ``weakref.finalize``, see
``sim.app.workshop.ModelCount``) and ``SIM_APP_MAX_SESSIONS`` small, and drives it with Debian's
chromium through Playwright (the recipe of tests/test_app_browser.py).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from tests.tally import tally
from tests.test_app_browser import CHROMIUM, FLAGS, START_TIMEOUT_S, _free_port

sync_api = pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

SESSIONS = 30
AT_ONCE = 3  # sessions open together (the server builds their models side by side)
MAX_SESSIONS = 4  # the bound the server is started with
# a closed tab's close message sometimes reaches the server late (headless chromium holds the
# last one back until the browser's next request); the session is then culled after this time
# (5 minutes in `sim app`): the test checks both ways a session ends
CULL_TIMEOUT = "10s"
RSS_GROWTH_MB = 60
WAIT_MS = 60_000
DEBUG_LINE = re.compile(r"sim app debug: models built=(\d+) alive=(\d+)")


def _rss_mb(pid: int) -> float:
    return int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1)) / 1024


def _models(log) -> tuple[int, int]:
    """(built, alive) from the server's last debug line."""
    log.seek(0)
    found = DEBUG_LINE.findall(log.read().decode(errors="replace"))
    return tuple(map(int, found[-1])) if found else (0, 0)


def _wait_models_freed(log, timeout: float = 40) -> tuple[int, int]:
    deadline = time.monotonic() + timeout
    while (counts := _models(log))[1] and time.monotonic() < deadline:
        time.sleep(0.25)
    return counts


@pytest.fixture
def server():
    """`sim app` on a free port, logging its models; yields (url, pid, log)."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    env = dict(os.environ, SIM_APP_DEBUG="1", SIM_APP_MAX_SESSIONS=str(MAX_SESSIONS),
               SOLARA_KERNEL_CULL_TIMEOUT=CULL_TIMEOUT)
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen([sys.executable, "-m", "sim.cli", "app", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            log.seek(0)
            pytest.fail(f"sim app did not start: {log.read().decode()[-3000:]}")
        yield url, proc.pid, log
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        log.close()


def _open(browser, url: str, n: int) -> list:
    """``n`` sessions: tabs of one browser (each tab is a session with its own model)."""
    pages = [browser.new_page() for _ in range(n)]
    for page in pages:
        page.goto(url)
    return pages


def _close(pages: list) -> None:
    """Close the tabs as a user does (the page tells the server it is closing)."""
    for page in pages:
        page.close()


def test_closed_sessions_release_their_models(server):
    url, pid, log = server
    started = time.monotonic()
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=FLAGS).new_context()
        browser.set_default_timeout(WAIT_MS)
        browser.route("**/*", lambda route: route.continue_() if route.request.url.startswith(url)
                      else route.abort())
        opened = 0
        rss_first = None
        while opened < SESSIONS:
            pages = _open(browser, url, 1 if opened == 0 else min(AT_ONCE, SESSIONS - opened))
            for page in pages:
                page.locator(".headline-value").first.wait_for()  # the session's model is built
            _close(pages)
            opened += len(pages)
            if rss_first is None:
                assert _wait_models_freed(log)[1] == 0, "the first session's model was kept"
                rss_first = _rss_mb(pid)
        built, alive = _wait_models_freed(log)
        rss_last = _rss_mb(pid)

        # the bound: MAX_SESSIONS open pages, one more is told why it gets no model
        pages = _open(browser, url, MAX_SESSIONS)
        for page in pages:
            page.locator(".headline-value").first.wait_for()
        extra = _open(browser, url, 1)
        extra[0].get_by_text(f"already open in {MAX_SESSIONS} browsers").wait_for()
        assert extra[0].locator(".headline-value").count() == 0
        _close(pages + extra)
        bound_built, bound_alive = _wait_models_freed(log)
        browser.browser.close()
    tally("workshop sessions opened and closed", SESSIONS + MAX_SESSIONS + 1)
    tally("workshop session models left in memory", bound_alive)
    tally(f"workshop server memory growth over {SESSIONS} sessions (MB)", round(rss_last - rss_first))
    print(f"sessions: {SESSIONS} in {time.monotonic() - started:.0f} s; server RSS after the first "
          f"{rss_first:.0f} MB, after the {SESSIONS}th {rss_last:.0f} MB; models built {built}, "
          f"alive {alive}; after the bound check: built {bound_built}, alive {bound_alive}")
    assert built == SESSIONS and alive == 0
    assert rss_last - rss_first <= RSS_GROWTH_MB
    assert bound_built == SESSIONS + MAX_SESSIONS and bound_alive == 0
