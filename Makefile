# The two commands a new user needs: `make demo` and `make test`. Everything else is for maintainers.
SHELL := /bin/bash
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: install demo test test-fast lint bench mutate clean

$(STAMP): pyproject.toml requirements/lock.txt package.json
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is required"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements/lock.txt -e '.[dev,embedded]'
	npm ci --ignore-scripts --no-audit --no-fund --silent
	touch $(STAMP)

install: $(STAMP)

# PORT (web), SIM_PORT, STRIPE_PORT and DEMO_LOG, from the command line or the environment: README.md.
demo: install
	$(BIN)/python manage.py demo --port $(PORT)

# Browser tests run in a process of their own: Playwright keeps an event loop running in the
# process that drives Chromium, and the job worker the other tests run would trip over it.
test: install
	$(BIN)/python -m pytest -q -n 2 -m "not browser"
	$(BIN)/python -m pytest -q -m browser

test-fast: install
	$(BIN)/python -m pytest -q -m 'not browser and not slow'

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	@# The layer contracts (docs/architecture.md, Layers): the full report only when one breaks.
	@out=$$($(BIN)/lint-imports 2>&1) && echo "import contracts: all kept" || { echo "$$out"; exit 1; }

# Numbers, not tests: each line prints one JSON object. The full set takes a while on 2 cores.
bench: install
	$(BIN)/python -m spapi_sim bench
	$(BIN)/python manage.py bench ingest
	$(BIN)/python manage.py bench backfill
	$(BIN)/python manage.py bench first-value
	$(BIN)/python manage.py bench pages
	$(BIN)/python manage.py bench bank
	$(BIN)/python manage.py bench settlements
	$(BIN)/python manage.py bench exports
	$(BIN)/python manage.py bench audit

# Mutation testing of the security and money core (docs/mutation.md): minutes per module, one
# mutant at a time, so it is not part of `make test`. MUTATE_ARGS takes modules, --sample N, --budget S.
mutate: install
	$(BIN)/python -m devtools.mutate $(MUTATE_ARGS)

clean:
	rm -rf $(VENV) node_modules .devdb build .mutation
