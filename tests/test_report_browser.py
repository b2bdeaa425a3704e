"""`sim report --html` in a real browser, offline: the file opens from disk in Debian's chromium
(driven the same way as tests/test_app_browser.py), every figure shows, and the page asks no
other address for anything. Saves a screenshot (results/screenshots/report-html.png;
UPDATE_SCREENSHOTS=1, as `make screenshots` sets, writes docs/img/report-html.png, which
docs/guide-analysts.md shows)."""

from __future__ import annotations

import pytest

from tests.test_app_browser import CHROMIUM, FLAGS, WAIT_MS, _save, sync_api
from tests.test_report_plain import reported_sweep

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """report.html of a small sweep of three ways of working."""
    return reported_sweep(tmp_path_factory.mktemp("html")) / "report.html"


LOCAL = ("file://", "data:")  # the file itself and the figures embedded in it


def _refuse_outside(asked: list[str]):
    """A route handler: requests for the file go on, any other is recorded and refused."""
    def handle(route):
        if route.request.url.startswith(LOCAL):
            return route.continue_()
        asked.append(route.request.url)
        return route.abort()
    return handle


def test_the_html_report_opens_offline_with_its_figures(report):
    asked: list[str] = []
    requests: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(WAIT_MS)
            page.route("**/*", _refuse_outside(asked))
            page.on("request", lambda request: requests.append(request.url))
            page.goto(report.as_uri())
            page.wait_for_load_state("load")
            images = page.evaluate("Array.from(document.images, i => "
                                   "[i.complete, i.naturalWidth, i.naturalHeight, i.alt])")
            assert len(images) >= 5, images
            assert all(done and width > 0 and height > 0 for done, width, height, _ in images), \
                images
            assert page.locator("h2", has_text="Summary").count() == 1
            summary = page.locator("h2:has-text('Summary') + p").inner_text()
            assert "95% interval" in summary and "silos" in summary
            assert "not available" not in summary  # the headline for children was measured
            assert page.locator("table").count() >= 3
            _save(page.screenshot(), "report-html.png")
        finally:
            browser.close()
    outside = [url for url in requests if not url.startswith(LOCAL)]
    assert asked == [] and outside == [], f"the report asked for outside addresses: {asked + outside}"
