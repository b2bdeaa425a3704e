#!/bin/sh
# Install Debian's chromium for the workshop page's browser test (tests/test_app_browser.py), when
# /usr/bin/chromium is missing. Never downloads a browser of its own (no `playwright install`).
# Uses apt-get as root, or through sudo otherwise; on failure it says so and leaves the test to
# skip (or to fail under CI=true).
set -u
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
    echo "warning: $CHROMIUM missing and no apt-get here: install chromium to run the browser test" >&2
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
echo "installing Debian's chromium for the browser test (apt-get install chromium)"
export DEBIAN_FRONTEND=noninteractive
if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium >/dev/null; }; then
    echo "warning: could not install chromium: the browser test will not run" >&2
fi
exit 0
