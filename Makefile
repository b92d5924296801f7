# The command index of the loyalty warehouse. `make run` and `make test` set everything up.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
MANIFEST := dbt_project/target/manifest.json
# A DuckDB 1.x client beside the venv: the tests prove that BI drivers embedding 1.x open the
# serving file (never imported by the project itself).
DUCKDB1 := $(VENV)/compat/duckdb1
DUCKDB1_VERSION := 1.5.6

export DAGSTER_HOME ?= $(CURDIR)/.dagster
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test ui manifest lint bench generate clean help browser

help:  ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	@mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $@

$(MANIFEST): $(STAMP) $(shell find dbt_project/models dbt_project/macros dbt_project/seeds dbt_project/tests -type f) dbt_project/dbt_project.yml dbt_project/profiles.yml
	cd dbt_project && ../$(BIN)/dbt parse --quiet --profiles-dir .

manifest: $(MANIFEST)  ## prepare dbt's manifest.json (needed before Dagster loads)

run: $(MANIFEST) $(DAGSTER_HOME)/dagster.yaml  ## generate demo data if the landing folder is empty, then materialise everything
	$(BIN)/loyalty run

generate: $(STAMP)  ## write demo data into the landing folder (see `loyalty generate --help`)
	$(BIN)/loyalty generate

$(DUCKDB1)/.stamp: $(STAMP)
	$(BIN)/python -m pip install --quiet --no-deps --target $(DUCKDB1) duckdb==$(DUCKDB1_VERSION)
	@touch $@

browser:  ## Debian's chromium for the browser test (apt-get as root; playwright never downloads one)
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "the browser test needs Debian's chromium: sudo apt-get install -y chromium" >&2; \
	    exit 1; fi; }

test: $(MANIFEST) $(DAGSTER_HOME)/dagster.yaml $(DUCKDB1)/.stamp browser  ## run the whole test suite
	# two workers, a test file each at a time: the end-to-end module (a real webserver and
	# daemon, mostly waiting on runs) overlaps with the rest
	# (the 15 slowest tests are listed at the end, to keep the suite under 15 minutes)
	$(BIN)/python -m pytest -n 2 --dist loadfile --durations=15

ui: $(MANIFEST) $(DAGSTER_HOME)/dagster.yaml  ## the Dagster UI on http://127.0.0.1:3000
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

lint: $(STAMP)  ## ruff and sqlfluff
	$(BIN)/ruff check orchestration tests bench
	# the dbt templater compiles against an in-memory DuckDB: linting never touches the warehouse
	LOYALTY_WAREHOUSE=:memory: $(BIN)/sqlfluff lint dbt_project/models

bench: $(MANIFEST)  ## benchmark scripts (figures printed, recorded in bench/RESULTS.md)
	$(BIN)/python bench/generator_throughput.py
	$(BIN)/python bench/ingest_throughput.py --lines 1000000
	$(BIN)/python bench/clv_fit.py --members 10000 100000 1000000
	# the whole pipeline vs a reference run at 1M and 10M till lines: about 35 minutes and,
	# at 10M, 13 GB of landing files plus 17 GB of work in /tmp/loyalty-bench-10000000
	$(BIN)/python bench/pipeline.py --lines 1000000
	$(BIN)/python bench/pipeline.py --lines 10000000

clean:  ## remove generated data, the warehouse and the dbt target (keeps .venv)
	rm -rf data dbt_project/target dbt_project/logs .dagster/storage .dagster/history .dagster/logs
