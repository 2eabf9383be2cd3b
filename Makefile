PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test fuzz bench compare soak install clean screenshots browser-deps

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# The browser tests (tests/browser) drive Debian's chromium with Playwright (Playwright's own
# browser download is not used) and check pages with axe-core from npm, kept in .cache/npm.
# Both are installed here when missing; without npm the accessibility tests fail under CI
# (env CI set) and are skipped with their reason elsewhere.
CHROMIUM ?= /usr/bin/chromium
AXE_PREFIX := .cache/npm
AXE := $(AXE_PREFIX)/node_modules/axe-core/axe.min.js
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export TRAJET_CHROMIUM := $(CHROMIUM)

$(CHROMIUM):
	$(SUDO) apt-get update
	$(SUDO) apt-get install -y --no-install-recommends chromium

$(AXE):
	@if command -v npm >/dev/null; then npm install --prefix $(AXE_PREFIX) --no-save --no-audit --no-fund axe-core@4; \
	else echo "warning: npm not found: axe-core not installed, the accessibility tests cannot run" >&2; fi

browser-deps: $(CHROMIUM) $(AXE)

# Compile the bundled Helsinki feed (cached after the first run), plan an example journey,
# then serve the API on http://127.0.0.1:8080; the clock starts on the bundled feed's day
TRAJET_NOW ?= 2022-02-22T08:00
run: $(STAMP)
	$(BIN)/trajet plan --from 1020453 --to 1240118 --date 2022-02-22 --time 08:00
	TRAJET_NOW=$(TRAJET_NOW) $(BIN)/trajet serve --host 127.0.0.1 --port 8080

test: $(STAMP) browser-deps
	$(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BIN)/pytest -q

# Schemathesis on every operation of /openapi.json against a live server (tests/api/test_fuzz.py):
# `make test` sends a few hundred requests, derandomized; this sends over 5,000 from a random
# seed (FUZZ_EXAMPLES per operation, after the coverage phase's boundary cases), in about 4 min
FUZZ_EXAMPLES ?= 250
fuzz: $(STAMP)
	TRAJET_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -q tests/api/test_fuzz.py

# Refresh the README's images (docs/img) from the browser tests; CI never runs this
screenshots: $(STAMP) browser-deps
	TRAJET_SCREENSHOTS=docs/img $(BIN)/pytest -q tests/browser

bench: $(STAMP)
	$(BIN)/pip install -q -e '.[test,bench]'
	$(BIN)/pytest benchmarks -q --benchmark-enable --benchmark-autosave
	$(BIN)/python -m benchmarks.scaling

# Trajet and ferrobus interleaved query by query in one process on the city feeds (benchmarks/interleaved.py),
# then Trajet side by side with its peers (each installed by the runner into benchmarks/.peers),
# the range windows and matrices on the New York region with ferrobus (the one peer answering them),
# then the scaling series with the peers that can load each size; see benchmarks/README.md
NY_REGION := --feed nyc-bus --feed nyc-subway --feed nyc-lirr --feed nyc-mnr --date 2026-09-23
PEERS ?= trajet,networkx,ferrobus,raptor-journey-planner,minotor,pyraptor
compare: $(STAMP)
	$(BIN)/pip install -q -e '.[test,bench]'
	for feed in helsinki nyc-subway hart-tampa; do $(BIN)/python -m benchmarks.interleaved --feed $$feed || exit 1; done
	$(BIN)/python -m benchmarks.compare --feed helsinki --queries 100 --peers $(PEERS)
	$(BIN)/python -m benchmarks.compare --feed nyc-subway --queries 100 --peers $(PEERS)
	$(BIN)/python -m benchmarks.compare $(NY_REGION) --queries 100 --peers trajet,ferrobus --window 3600
	$(BIN)/python -m benchmarks.compare $(NY_REGION) --peers trajet,ferrobus --matrix 100
	$(BIN)/python -m benchmarks.scaling --peers $(PEERS)

# A soak of the API (benchmarks/soak.py, issue 13): trajet serve on the bundled feed at saturation (503 busy and
# 429 rate-limited answers among the plans) for SOAK_SECONDS, 10 minutes by default: its memory slope, p99 per
# minute and status counts; fails on a 5xx other than 503, a failed request or memory growing. Not in make test.
SOAK_SECONDS ?= 600
soak: $(STAMP)
	$(BIN)/python -m benchmarks.soak --seconds $(SOAK_SECONDS)

clean:
	rm -rf $(VENV) .pytest_cache .benchmarks
