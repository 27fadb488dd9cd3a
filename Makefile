# Two commands: `make run` serves the demo, `make test` proves it. Both set up what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PG_BIN := /usr/lib/postgresql/15/bin

.PHONY: run test seed bench lint lock chromium postgresql caddy oidc clean

# Installs come from lock files with hashes (reproducible; `make lock` updates them on purpose).
# The project itself runs from the checkout, so it is not installed.
$(VENV)/.installed: requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.lock
	$(PY) -m pip install --quiet --require-hashes -r requirements-test.lock
	touch $@

LOCK_FLAGS := --quiet --strip-extras --generate-hashes --allow-unsafe --no-emit-index-url --no-emit-find-links

## Re-resolve the dependencies in pyproject.toml into the two lock files (then review and commit).
lock: $(VENV)/.installed
	$(PY) -m pip install --quiet pip-tools
	$(PY) -m piptools compile $(LOCK_FLAGS) -o requirements.lock pyproject.toml
	$(PY) -m piptools compile $(LOCK_FLAGS) --extra test -o requirements-test.lock pyproject.toml

## Serve the portal on http://localhost:8501 (seeds data/portal.duckdb on first start), with the
## demo payment processor on http://127.0.0.1:8502 (stopped with the portal).
run: $(VENV)/.installed
	$(PY) -m seed --if-missing
	$(PY) -m demo_processor & trap 'kill $$! 2>/dev/null' EXIT; \
	$(PY) -m streamlit run portal.py --server.port 8501

## Lint, type-check and run every test (services on DuckDB and PostgreSQL, pages, browser).
test: $(VENV)/.installed-test chromium postgresql caddy oidc
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(PY) -m pytest --numprocesses 2 --dist loadgroup

lint: $(VENV)/.installed-test
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

## The 10,000-patient benchmark (see docs/performance.md).
bench: $(VENV)/.installed
	$(PY) -m benchmarks

chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }

# The deployment's reverse proxy, run by tests/e2e/test_deploy.py with deploy/Caddyfile.
caddy:
	@command -v caddy >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq caddy; }

# The OpenID Connect provider the single sign-on tests run (tests/support/oidc, from its lock).
oidc:
	@command -v npm >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq nodejs npm; }
	@[ -d tests/support/oidc/node_modules/oidc-provider ] || npm ci --prefix tests/support/oidc --no-audit --no-fund --silent

postgresql:
	@[ -x $(PG_BIN)/initdb ] || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq postgresql; }

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
