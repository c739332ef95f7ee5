# Trellis CRM. `make run` starts a demo on http://127.0.0.1:8000; `make test` runs the suite.
# The first Python 3.11+ that actually runs (pyenv shims may exist for versions not enabled).
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python3.11; do $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-pg browser bench bench-pg bench-import bench-import-pg bench-search bench-search-pg bench-routing bench-routing-pg bench-analytics bench-analytics-pg lint format install clean messages

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Trellis needs Python 3.11 or newer on PATH"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/trellis init
	$(BIN)/trellis demo --if-empty
	$(BIN)/trellis serve --bind $(HOST):$(PORT) --show-logins

test: $(STAMP) browser
	$(BIN)/pytest

test-pg: $(STAMP) browser
	DATABASE_URL=$(PG_URL) $(BIN)/pytest

# The browser tests (tests/browser) drive Debian's Chromium; Playwright never downloads a
# browser. Installed here when missing; when that is not possible the tests skip (and fail
# under CI=true), so the suite still runs on a laptop without Chromium.
CHROMIUM := /usr/bin/chromium
BROWSER_PACKAGES := chromium fonts-noto-cjk
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_INSTALL := $(SUDO) apt-get install -y --no-install-recommends $(BROWSER_PACKAGES)

browser:
	@if [ -x $(CHROMIUM) ] && { ! command -v dpkg-query >/dev/null 2>&1 || dpkg-query -W -f='$${Status}' fonts-noto-cjk 2>/dev/null | grep -q 'ok installed'; }; then \
		exit 0; \
	fi; \
	if command -v apt-get >/dev/null 2>&1 && { $(APT_INSTALL) || { $(SUDO) apt-get update && $(APT_INSTALL); }; }; then \
		exit 0; \
	fi; \
	echo; \
	echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
	echo "!!! Could not install Debian's $(BROWSER_PACKAGES) (needs apt-get and root or sudo)."; \
	echo "!!! The browser tests in tests/browser will SKIP (and FAIL when CI=true)."; \
	echo "!!! Install them yourself: sudo apt-get install --no-install-recommends $(BROWSER_PACKAGES)"; \
	echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
	echo

# Benchmarks use their own databases so the demo data is never touched.
BENCH_SQLITE ?= sqlite:///$(CURDIR)/data/bench.sqlite3
BENCH_PG ?= postgres://postgres@127.0.0.1:5432/trellis_bench

bench: $(STAMP)
	DATABASE_URL=$(BENCH_SQLITE) $(BIN)/trellis migrate --verbosity 0
	DATABASE_URL=$(BENCH_SQLITE) $(BIN)/trellis bench access $(BENCH_ARGS)

bench-pg: $(STAMP)
	-createdb -h 127.0.0.1 -U postgres trellis_bench 2>/dev/null
	DATABASE_URL=$(BENCH_PG) $(BIN)/trellis migrate --verbosity 0
	DATABASE_URL=$(BENCH_PG) $(BIN)/trellis bench access $(BENCH_ARGS)

# Import rate (bench/importer.py), each database of its own.
BENCH_IMPORT_FILE ?= $(CURDIR)/data/bench-import.sqlite3
BENCH_IMPORT_SQLITE ?= sqlite:///$(BENCH_IMPORT_FILE)
BENCH_IMPORT_PG ?= postgres://postgres@127.0.0.1:5432/trellis_bench_import

# Each run starts from an empty database, so the figure is 100,000 contacts into an empty
# table; `BENCH_KEEP=1` keeps the previous runs' contacts (a growing table is slower).
bench-import: $(STAMP)
	@[ -n "$(BENCH_KEEP)" ] || rm -f $(BENCH_IMPORT_FILE)
	DATABASE_URL=$(BENCH_IMPORT_SQLITE) $(BIN)/trellis migrate --verbosity 0
	DATABASE_URL=$(BENCH_IMPORT_SQLITE) $(BIN)/trellis bench importer $(BENCH_ARGS)

bench-import-pg: $(STAMP)
	@[ -n "$(BENCH_KEEP)" ] || dropdb -h 127.0.0.1 -U postgres --if-exists trellis_bench_import
	-createdb -h 127.0.0.1 -U postgres trellis_bench_import 2>/dev/null
	DATABASE_URL=$(BENCH_IMPORT_PG) $(BIN)/trellis migrate --verbosity 0
	DATABASE_URL=$(BENCH_IMPORT_PG) $(BIN)/trellis bench importer $(BENCH_ARGS)

BENCH_SEARCH_SQLITE ?= sqlite:///$(CURDIR)/data/bench-search.sqlite3
BENCH_SEARCH_PG ?= postgres://postgres@127.0.0.1:5432/trellis_bench_search

bench-search: $(STAMP)
	DATABASE_URL=$(BENCH_SEARCH_SQLITE) $(BIN)/trellis migrate --verbosity 0
	DATABASE_URL=$(BENCH_SEARCH_SQLITE) $(BIN)/trellis bench search $(BENCH_ARGS)

bench-search-pg: $(STAMP)
	-createdb -h 127.0.0.1 -U postgres trellis_bench_search 2>/dev/null
	DATABASE_URL=$(BENCH_SEARCH_PG) $(BIN)/trellis migrate --verbosity 0
	DATABASE_URL=$(BENCH_SEARCH_PG) $(BIN)/trellis bench search $(BENCH_ARGS)

# Routing throughput (bench/routing.py): skill_match over 500 agents, 10,000 cases.
BENCH_ROUTING_SQLITE ?= sqlite:///$(CURDIR)/data/bench-routing.sqlite3
BENCH_ROUTING_PG ?= postgres://postgres@127.0.0.1:5432/trellis_bench_routing

bench-routing: $(STAMP)
	DATABASE_URL=$(BENCH_ROUTING_SQLITE) $(BIN)/trellis migrate --verbosity 0
	DATABASE_URL=$(BENCH_ROUTING_SQLITE) $(BIN)/trellis bench routing $(BENCH_ARGS)

bench-routing-pg: $(STAMP)
	-createdb -h 127.0.0.1 -U postgres trellis_bench_routing 2>/dev/null
	DATABASE_URL=$(BENCH_ROUTING_PG) $(BIN)/trellis migrate --verbosity 0
	DATABASE_URL=$(BENCH_ROUTING_PG) $(BIN)/trellis bench routing $(BENCH_ARGS)

# Dashboards (bench/analytics.py): 1,000,000 opportunities and 1,000,000 cases.
BENCH_ANALYTICS_SQLITE ?= sqlite:///$(CURDIR)/data/bench-analytics.sqlite3
BENCH_ANALYTICS_PG ?= postgres://postgres@127.0.0.1:5432/trellis_bench_analytics

bench-analytics: $(STAMP)
	DATABASE_URL=$(BENCH_ANALYTICS_SQLITE) $(BIN)/trellis migrate --verbosity 0
	DATABASE_URL=$(BENCH_ANALYTICS_SQLITE) $(BIN)/trellis bench analytics $(BENCH_ARGS)

bench-analytics-pg: $(STAMP)
	-createdb -h 127.0.0.1 -U postgres trellis_bench_analytics 2>/dev/null
	DATABASE_URL=$(BENCH_ANALYTICS_PG) $(BIN)/trellis migrate --verbosity 0
	DATABASE_URL=$(BENCH_ANALYTICS_PG) $(BIN)/trellis bench analytics $(BENCH_ARGS)

# Translations: refresh the catalogs from the code (needs GNU gettext), then compile the
# .mo files that are committed so a fresh clone runs without gettext installed.
messages: $(STAMP)
	cd src/trellis && DJANGO_SETTINGS_MODULE=trellis.settings $(CURDIR)/$(BIN)/django-admin makemessages -l zh_Hans -l id -l it --ignore "migrations/*"
	cd src/trellis && DJANGO_SETTINGS_MODULE=trellis.settings $(CURDIR)/$(BIN)/django-admin compilemessages

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

clean:
	rm -rf $(VENV) build *.egg-info
