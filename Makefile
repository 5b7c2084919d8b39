# The README's two commands. Each creates the virtual environment when it is missing.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test bench docs ui lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres]'
	touch $(STAMP)

## make run: ingest the inbox (sample submissions when it is empty), build, check, publish.
run: $(STAMP)
	$(BIN)/zonestat refresh --sample-if-empty

## make test: the whole test suite, on three processes (each test file stays in one, so a file's shared
## warehouse is built once); three on two cores because the slow tests spend much of their time
## waiting on dbt, Dagster and server processes. The fast layer alone (rules, parsing, messages; under a minute):
##   make test PYTEST_ARGS="-m 'not slow'"
test: $(STAMP)
	$(BIN)/python -m pytest -q -n 3 --dist loadfile $(PYTEST_ARGS)

## make docs: dbt's documentation of the published warehouse, ZONESTAT_HOME/docs/index.html.
docs: $(STAMP)
	$(BIN)/zonestat docs

## make ui: the Dagster UI on http://127.0.0.1:3000 for this ZONESTAT_HOME.
ui: $(STAMP)
	$(BIN)/zonestat ui

## make bench: the benchmarks in bench/ (slow: minutes to an hour).
bench: $(STAMP)
	$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf .zonestat
