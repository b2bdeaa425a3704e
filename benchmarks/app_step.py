"""Time the workshop page: one rendered step on the server, and Play in a real browser.

    .venv/bin/python benchmarks/app_step.py [--city base] [--steps 40] [--compare]
    .venv/bin/python benchmarks/app_step.py --play 20 [--compare] [--tree DIR]

Without ``--play``: a rendered step is what the server does for each frame the page shows:
``WorkshopModel.step()`` (one week of every run) and the page's main area redrawn (Solara
re-renders ``sim.app.page.Dashboard`` after Mesa's ``update_counter`` moves: cards, the map drawn to
PNG, the time series' ECharts option, the organisations' table). Prints the median and the 90th
percentile in milliseconds, for the model alone and for the whole; the browser adds the websocket
round trip and drawing.

With ``--play SECONDS``: starts ``sim app`` on a free local port, opens the page in Debian's
chromium at 1280x720 (headless, every outside request blocked, as tests/test_app_browser.py
does), for ``--compare`` ticks the comparison and presses Reset, then presses ▶. The page notes
(MutationObserver) each week its status line shows and when, for SECONDS or until the run ends:
weeks shown, divided by the time from the click to the last new week shown, is Play in weeks a
second as the room sees it, at the page's default speed.
``--tree DIR`` runs the server from another copy of the code (e.g. an older commit unpacked with
``git archive``), so two versions are timed side by side on the same machine state.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WEEK = re.compile(r"week (\d+) of")
OBSERVE = """() => { const line = document.querySelector('.status-line'); window.weeksShown = [];
  new MutationObserver(() => { const m = line.innerText.match(/week (\\d+) of/);
    if (m) window.weeksShown.push([performance.now(), Number(m[1])]); })
    .observe(line, {subtree: true, childList: true, characterData: true});
  window.clicked = performance.now(); }"""


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return f"median {1000 * statistics.median(values):6.1f} ms, p90 {1000 * p90:6.1f} ms"


def rendered_steps(city: str, steps: int, compare: bool) -> None:
    import solara
    from mesa.visualization.utils import force_update

    from sim.app import page as app
    from sim.app.workshop import WorkshopModel

    started = time.perf_counter()
    model = WorkshopModel(city=city, compare=compare)
    built = time.perf_counter() - started
    _, rc = solara.render(app.Dashboard(model), handle_error=False)  # the first drawing loads fonts
    step, total = [], []
    for _ in range(steps):
        t0 = time.perf_counter()
        model.step()
        t1 = time.perf_counter()
        force_update()  # what the page's play loop does after a step: Solara redraws the main area
        t2 = time.perf_counter()
        step.append(t1 - t0)
        total.append(t2 - t0)
    rc.close()
    families = model.main.params.city.families
    runs = " + ".join(run.label for run in model.runs)
    print(f"{city}: {families:,} families, {runs}; page model built in {built:.2f} s "
          f"(warm-up included)")
    print(f"model step only      : {_ms(step)}")
    print(f"rendered step (total): {_ms(total)}  over {steps} steps "
          f"(at most {1 / statistics.median(total):.1f} frames a second)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _week(page) -> int:
    return int(WEEK.search(page.locator(".status-line").inner_text()).group(1))


def play_in_browser(seconds: float, compare: bool, tree: Path | None) -> None:
    from playwright.sync_api import sync_playwright

    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    env = dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = str(tree.resolve())
    log = tempfile.TemporaryFile()
    server = subprocess.Popen([sys.executable, "-m", "sim.cli", "app", "--port", str(port)],
                              stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
                              cwd=tree or None)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    sys.exit(f"sim app did not start:\n{log.read().decode()[-2000:]}")
                time.sleep(0.5)
        with sync_playwright() as pw, tempfile.TemporaryDirectory() as profile:
            context = pw.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, args=FLAGS,
                viewport={"width": 1280, "height": 720})
            context.set_default_timeout(90_000)
            context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(url) else r.abort())
            page = context.pages[0] if context.pages else context.new_page()
            page.goto(url)
            page.locator(".headline-value").first.wait_for()
            if compare:  # the page opens on one way of working: Reset builds the pair
                page.get_by_text("Compare with a second way of working").click()
                page.get_by_role("button", name="Reset").click()
                page.locator(".headline-value").nth(7).wait_for()
            page.wait_for_timeout(1500)
            first = _week(page)
            # the page itself notes each new week shown and when (polling from here would load
            # the machine and blur the times)
            page.evaluate(OBSERVE)
            page.get_by_role("button", name="▶").click()
            t0 = time.monotonic()
            seen, changed = 0, t0
            while time.monotonic() - t0 < seconds and time.monotonic() - changed < 3:
                page.wait_for_timeout(250)
                if (count := page.evaluate("window.weeksShown.length")) != seen:
                    seen, changed = count, time.monotonic()
            clicked, shown = page.evaluate("[window.clicked, window.weeksShown]")
            last = shown[-1][1] if shown else first
            elapsed = ((shown[-1][0] if shown else clicked) - clicked) / 1000
            pause = page.get_by_role("button", name="❚❚")
            if pause.count() and pause.is_enabled():
                pause.click()
            context.close()
        what = "comparison" if compare else "one way of working"
        print(f"Play ({what}, {tree or 'this tree'}): {last - first} weeks in {elapsed:.2f} s "
              f"= {(last - first) / elapsed:.1f} weeks a second (on the page's status line)")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--city", default="base", help="scenario name (default: base)")
    parser.add_argument("--steps", type=int, default=40, help="rendered steps to time (default: 40)")
    parser.add_argument("--compare", action="store_true",
                        help="two ways of working side by side (the page's comparison mode)")
    parser.add_argument("--play", type=float, default=0.0, metavar="SECONDS",
                        help="instead: press Play in a real browser for SECONDS (default: off)")
    parser.add_argument("--tree", type=Path, default=None,
                        help="with --play: serve the page from this copy of the code (default: this one)")
    args = parser.parse_args()
    if args.play:
        play_in_browser(args.play, args.compare, args.tree)
    else:
        rendered_steps(args.city, args.steps, args.compare)


if __name__ == "__main__":
    main()
