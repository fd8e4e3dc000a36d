# Targets are the commands the README documents.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# the package's compiled bytecode, as a regular install leaves it: the editable install does not,
# and with PYTHONDONTWRITEBYTECODE set every process would compile every module again
BYTECODE := $(BIN)/python -m compileall -q src >/dev/null

.PHONY: demo test test-slow lint bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,ray]'
	touch $(STAMP)

## demo: install, then analyse the bundled demo corpus into out/demo
demo: $(STAMP)
	$(BYTECODE)
	$(BIN)/trajdiv analyze --plots -o out/demo

## test: install, lint (ruff), type-check (mypy --strict) and run the test suite
test: $(STAMP)
	$(BYTECODE)
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts
	$(BIN)/mypy
	$(BIN)/pytest -q

## test-slow: the long fuzz runs and large corpora
test-slow: $(STAMP)
	$(BIN)/pytest -q -m slow

bench: $(STAMP)
	$(BYTECODE)
	$(BIN)/python scripts/bench_divergence.py
	$(BIN)/python scripts/bench_scale.py

clean:
	rm -rf out .pytest_cache .mypy_cache .ruff_cache
