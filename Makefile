# Two commands: `make run` serves the demo, `make test` proves it. Both set up what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PG_BIN := /usr/lib/postgresql/15/bin

.PHONY: run test seed bench lint chromium postgresql clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

## Serve the portal on http://localhost:8501 (seeds data/portal.duckdb on first start).
run: $(VENV)/.installed
	$(PY) -m seed --if-missing
	$(PY) -m streamlit run portal.py --server.port 8501

## Lint, type-check and run every test (services on DuckDB and PostgreSQL, pages, browser).
test: $(VENV)/.installed-test chromium postgresql
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(PY) -m pytest

lint: $(VENV)/.installed-test
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

## The 10,000-patient benchmark (see README: Performance).
bench: $(VENV)/.installed
	$(PY) -m benchmarks

chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }

postgresql:
	@[ -x $(PG_BIN)/initdb ] || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq postgresql; }

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
