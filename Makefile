# downline: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test bench lint format schema clean browser wrk

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Running needs the package alone; the test tools (Playwright, moto, Hypothesis...) come with
# `make test`.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $(STAMP)

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP) $(DEV_STAMP)

run: $(STAMP)
	$(BIN)/downline migrate
	$(BIN)/downline demo --if-empty
	@echo
	@echo "GraphiQL:   http://127.0.0.1:8000/graphql  (paste a token above into the Headers tab)"
	@echo "Exports:    http://127.0.0.1:8000/app  (the export centre page: paste a token above to sign in)"
	@echo
	$(BIN)/downline serve

# One pytest worker per CPU, and one more: each has its own SQLite file, PostgreSQL database and
# broker queues. Many of the slowest tests spend their time waiting on processes (a worker killed
# and started again, a heartbeat going stale): the extra worker keeps the CPUs busy meanwhile
# (on 2 CPUs the suite took 12 min instead of 13).
TEST_WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))
test: $(DEV_STAMP) browser
	$(BIN)/pytest -n $(TEST_WORKERS)

# Debian's Chromium for the browser tests (tests/web), installed when missing and root; where it
# cannot be, those tests are skipped with the reason (and fail under CI=true).
browser:
	@command -v chromium >/dev/null || [ "$$(id -u)" != 0 ] || \
		(apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver) || \
		echo "could not install chromium: the browser tests will say so"

# wrk, the load generator of bench/api.py, installed the same way (without it that benchmark
# fails, saying so).
wrk:
	@command -v wrk >/dev/null || [ "$$(id -u)" != 0 ] || \
		(apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk) || \
		echo "could not install wrk: bench/api.py will say so"

bench: $(DEV_STAMP) wrk
	$(BIN)/python bench/run_all.py

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(DEV_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

schema: $(STAMP)
	$(BIN)/downline export-schema > schema.graphql

clean:
	rm -rf $(VENV) var
