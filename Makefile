# CSI Workbench. `make run` serves the demo; `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
CSI    := $(BIN)/csi
# The load benchmark in `make bench`: bounded (it stops by itself after this many minutes, at most 60).
LOAD_MINUTES  ?= 10
# The load benchmark runs once per database named here (PostgreSQL at 127.0.0.1:5432).
LOAD_DATABASES ?= sqlite postgres

.PHONY: venv run test test-fast lint format bench browser schemathesis clean

venv: $(STAMP)

# Reinstalls only when pyproject.toml changed; the package itself is installed editable.
$(STAMP): pyproject.toml
	@bash scripts/ensure-venv.sh $(PYTHON) $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

run: venv
	$(CSI) migrate --noinput
	$(CSI) demo
	@echo "Open http://127.0.0.1:8000 and sign in with one of the demo logins above."
	$(CSI) serve

browser:
	@bash scripts/ensure-chromium.sh

test: venv browser
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy src

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: venv
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/catalog_import.py
	$(BIN)/python benchmarks/measures.py
	$(BIN)/python benchmarks/merge.py
	$(BIN)/python benchmarks/pages.py
	$(BIN)/python benchmarks/cli_start.py
	$(BIN)/python benchmarks/bounds.py
	$(BIN)/python benchmarks/import_bounds.py
	for db in $(LOAD_DATABASES); do $(BIN)/python benchmarks/load.py --minutes $(LOAD_MINUTES) --database $$db || exit 1; done

schemathesis: venv
	bash scripts/schemathesis.sh

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
