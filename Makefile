# The two entry points a new user needs: `make serve` and `make test`. Each creates .venv
# and installs the pinned dependencies itself (constraints.txt pins every version).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8080
ARGS   ?=

.PHONY: serve test test-fast lint check contracts stress bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# `make serve PORT=9000 ARGS="--api facturovia"`; a --host or --port inside ARGS wins over
# HOST and PORT instead of being passed twice.
serve: $(STAMP)
	$(BIN)/facturas-sandbox serve $(if $(findstring --host,$(ARGS)),,--host $(HOST)) $(if $(findstring --port,$(ARGS)),,--port $(PORT)) $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests contract-tests bench

# What a change must pass before it is committed: lint, formatting and types.
check: lint
	$(BIN)/ruff format --check src tests contract-tests bench
	$(BIN)/mypy

# The checks, then every test on TEST_WORKERS workers (a test file at a time each, the longest
# files first: see conftest.py); `make test T=tests/test_bans.py::test_name` runs one, in this
# process, without the checks.
T ?=
TEST_WORKERS ?= 2
test: $(STAMP)
ifeq ($(strip $(T)),)
	$(MAKE) --no-print-directory check
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=15
else
	$(BIN)/python -m pytest $(T)
endif

# The quick loop while developing: no multi-process tests, no contract suites.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow" tests

# FacturaScripts' contract is generated from openapi/facturascripts/*.yaml.
contracts: $(STAMP)
	$(BIN)/python -m facturas_sandbox.vendors.facturascripts.contract

# Full-size reliability runs (a minute of load, ten crashes), then every contract again in
# Schemathesis' negative mode with many examples (EXAMPLES=150 per operation and phase by
# default): zero 5xx allowed. FacturaScripts' ~600 operations run in a second process beside
# the other four contracts, one per core; either failing fails the target.
NEGATIVE = SANDBOX_CONTRACT_MODE=negative SANDBOX_CONTRACT_EXAMPLES=$${EXAMPLES:-150} $(BIN)/python -m pytest -q
stress: $(STAMP)
	SANDBOX_STRESS=1 $(BIN)/python -m pytest -s tests/reliability tests/test_server_process.py
	$(NEGATIVE) contract-tests/test_facturascripts.py & fs=$$!; \
	$(NEGATIVE) contract-tests --ignore=contract-tests/test_facturascripts.py; others=$$?; \
	wait $$fs; fs=$$?; test $$others -eq 0 -a $$fs -eq 0

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .sandbox-data build dist
