# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export COHESION_DATA_DIR ?= $(CURDIR)/data
# Dagster's instance (run history) for `make run` and `make dev`; tests use an ephemeral one.
DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: install run test test-fast dev bench clean sample

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# requirements.lock pins what the resolver picked once, so every install is identical.
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[test]"
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	@mkdir -p $(DAGSTER_HOME)
	@cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	DAGSTER_HOME=$(DAGSTER_HOME) $(BIN)/cohesion run --sample

# Two workers: a pipeline run is mostly one busy core. Each file goes whole to one worker, in the
# order tests/conftest.py sorts them (longest first), not reordered by their number of tests.
PYTEST_WORKERS ?= -n 2 --dist loadfile --no-loadscope-reorder

test: $(STAMP)
	env -u DAGSTER_HOME $(BIN)/python -m pytest $(PYTEST_WORKERS)

# The edit-test loop: unit and real-file tests, without the end-to-end pipeline runs (marker e2e).
test-fast: $(STAMP)
	env -u DAGSTER_HOME $(BIN)/python -m pytest -m "not e2e" $(PYTEST_WORKERS)

dev: $(STAMP)
	@mkdir -p $(DAGSTER_HOME)
	@cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/cohesion prepare
	DAGSTER_HOME=$(DAGSTER_HOME) COHESION_WAREHOUSE=$(COHESION_DATA_DIR)/warehouse.duckdb \
		$(BIN)/dagster dev -m orchestration.definitions

bench: $(STAMP)
	$(BIN)/cohesion bench

clean:
	rm -rf $(VENV) .dagster_home dbt_project/target dbt_project/logs
