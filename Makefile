# The two commands a newcomer needs: `make run` and `make test`. Both build .venv from nothing.
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTHON ?= $(shell sh tools/find-python.sh)

.PHONY: run test lint setup clean baseline app browser fuzz screenshots bench

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: no Python >= 3.12 found" >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,analysis]'
# the workshop page's front-end, served locally so the page works offline (no deps: its
# pinned solara would replace the newer one)
	$(BIN)/python -m pip install --quiet --no-deps solara-assets==1.58.2
	@touch $@

run: $(STAMP)
	$(BIN)/sim run scenarios/base.yaml

lint: $(STAMP)
	$(BIN)/ruff check .

test: $(STAMP) lint browser
	$(BIN)/pytest

app: $(STAMP)
	$(BIN)/sim app

# Debian's chromium for the workshop page's browser test (installed only when missing)
browser:
	@test -x /usr/bin/chromium || sh tools/install-chromium.sh

# refresh the screenshots docs/guide-trainers.md shows (taken by the browser test)
screenshots: $(STAMP) browser
	UPDATE_SCREENSHOTS=1 $(BIN)/pytest tests/test_app_browser.py

# the robustness suites with many more generated examples (tests/test_fuzz.py profiles)
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/pytest tests/test_fuzz.py tests/test_faults.py tests/test_security.py \
	  tests/test_outputs.py tests/test_results_trust.py tests/test_plans.py tests/test_limits.py \
	  tests/test_processes.py

baseline: $(STAMP)
	$(BIN)/python tools/update_baseline.py

# the performance benchmarks (BENCHMARKS.md): one table, benchmarks/results/bench.json. Starsim,
# the outside anchor, lives in its own .venv-bench (kept out of .venv's pinned packages); if it
# cannot be installed, its comparison is reported as not measured
BENCH_VENV := .venv-bench
STARSIM    := starsim==3.7.2

bench: setup
	@test -f $(BENCH_VENV)/.installed || { \
	  { test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV); } && \
	  $(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip && \
	  $(BENCH_VENV)/bin/python -m pip install --quiet $(STARSIM) && touch $(BENCH_VENV)/.installed; \
	} || echo "warning: could not install $(STARSIM) into $(BENCH_VENV)" >&2
	BENCH_COMMAND="make bench" $(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) results/run-* .pytest_cache .ruff_cache
