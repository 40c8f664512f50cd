# The two commands: `make dev` runs the platform, `make test` runs every check.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: dev test test-fast lint typecheck imports protos bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

dev: $(STAMP)
	$(VENV)/bin/hot dev --project examples

test: $(STAMP) lint typecheck imports
	$(PY) -m pytest

# Unit tests only: pure code, no NATS or PostgreSQL started (tests/unit, marker `unit`).
test-fast: $(STAMP)
	$(PY) -m pytest tests/unit -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

# The import contracts in pyproject.toml ([tool.importlinter]): hotlang's layers, no service imports another.
imports: $(STAMP)
	$(VENV)/bin/lint-imports

protos: $(STAMP)
	$(PY) -m services.devtools.protogen

bench: $(STAMP)
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) .devdata examples/.devdata .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
