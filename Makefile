# Stageline: `make demo` runs the whole flow locally, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_WORKERS ?= 2

.PHONY: demo test lint bench venv clean

$(STAMP): pyproject.toml sandbox/pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e './sandbox[test]' -e '.[dev,sandbox]'
	@touch $(STAMP)

venv: $(STAMP)

demo: venv
	$(BIN)/stageline demo

test: venv
	scripts/ensure-chromium
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) -q
	cd sandbox && ../$(BIN)/python -m pytest -n $(PYTEST_WORKERS) -q

lint: venv
	$(BIN)/ruff check src tests bench sandbox
	$(BIN)/ruff format --check src tests bench sandbox
	$(BIN)/mypy

bench: venv
	$(BIN)/python -m bench
	$(BIN)/python sandbox/bench/bench_sandbox.py

clean:
	rm -rf $(VENV) .stageline .pytest_cache .mypy_cache .ruff_cache
