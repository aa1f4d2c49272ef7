# Otagaisama: `make run` (the portal on the embedded default with demo data) and `make test` (the whole
# suite on PostgreSQL + Redis + headless Chromium). Everything else here is what those two need.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy

PY ?= $(shell scripts/find-python 2>/dev/null)
UV := .tools/bin/uv
VENV := .venv
PYTHON := $(VENV)/bin/python
MANAGE := $(PYTHON) manage.py

# The real stack on this machine, as the tests use it.
# TEST_DB / TEST_REDIS_DB / TEST_BROKER_DB / TEST_REDIS_PORT let two checkouts on one machine run their suites side by side.
TEST_DB ?= test_otagaisama
TEST_REDIS_DB ?= 15
TEST_BROKER_DB ?= 11
TEST_REDIS_PORT ?= 6379
# DATABASE_URL alone would mean production (DEBUG off: HTTPS redirect, manifest static files, a required
# SECRET_KEY); the suite and the bench ask for the development flags explicitly. pytest-django still runs
# every test with DEBUG=False, and the bench sets it off itself; tests/test_production_build.py covers
# the production flags.
TEST_ENV := DJANGO_DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/otagaisama TEST_DATABASE_NAME=$(TEST_DB) \
	REDIS_URL=redis://127.0.0.1:$(TEST_REDIS_PORT)/$(TEST_REDIS_DB) CELERY_TASK_ALWAYS_EAGER=1 \
	CELERY_BROKER_URL=redis://127.0.0.1:$(TEST_REDIS_PORT)/$(TEST_BROKER_DB) \
	DJANGO_ALLOW_ASYNC_UNSAFE=true CONN_MAX_AGE=0
# CONN_MAX_AGE=0: the live server answers Chromium on one thread per kept-alive socket, and each would
# keep its database connection for a minute; over the browser tests they used up max_connections (100)
# before the concurrency tests, which open dozens at once.
BENCH_DB ?= otagaisama_bench
BENCH_REDIS_DB ?= 12
BENCH_BROKER_DB ?= 6
# As deployed: web processes enqueue Celery tasks on the Redis broker and return; sending is a worker's
# job, not the request's (no worker runs during the request benches, so queued sends wait in the broker
# database; reminder_fanout starts its own worker on it).
BENCH_ENV := DJANGO_DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/$(BENCH_DB) \
	REDIS_URL=redis://127.0.0.1:6379/$(BENCH_REDIS_DB) \
	CELERY_BROKER_URL=redis://127.0.0.1:6379/$(BENCH_BROKER_DB) CELERY_TASK_ALWAYS_EAGER=0

.PHONY: help python venv assets messages setup run test bench lint fmt services system-packages clean

help:
	@echo "make run    - set up, seed demo data and serve http://127.0.0.1:8000 (SQLite, eager Celery)"
	@echo "make test   - set up and run the whole test suite on PostgreSQL and Redis"
	@echo "make bench  - run the benchmarks on the large demo data (PostgreSQL)"
	@echo "make lint   - ruff check and format check, import contracts (lint-imports), types (mypy)"

python:
	@if [ -z "$(PY)" ]; then scripts/find-python; exit 1; fi

$(UV): | python
	$(PY) -m venv .tools
	.tools/bin/pip install --quiet uv

$(VENV)/.synced: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --python $(PY)
	@touch $@

venv: $(VENV)/.synced

node_modules/.package-lock.json: package-lock.json
	@command -v npm >/dev/null || { echo "error: npm is needed to build the CSS (apt-get install nodejs npm)" >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error

static/css/app.css: node_modules/.package-lock.json frontend/app.css frontend/vendor.mjs $(shell find templates portal accounts -name '*.html' -o -name '*.py' 2>/dev/null | grep -v migrations)
	npm run --silent build

assets: static/css/app.css

messages: venv
	@command -v msgfmt >/dev/null || scripts/ensure-system-packages
	$(MANAGE) compilemessages --ignore=.venv --ignore=node_modules -v0

setup: venv assets messages

run: setup
	$(MANAGE) migrate --noinput -v0
	$(MANAGE) seed_demo
	@echo "Otagaisama runs at http://127.0.0.1:8000/  (admin: http://127.0.0.1:8000/admin/)"
	$(MANAGE) runserver 127.0.0.1:8000

system-packages:
	scripts/ensure-system-packages

services:
	scripts/ensure-services

test: setup system-packages services
	$(TEST_ENV) $(MANAGE) makemigrations --check --dry-run -v0
	$(TEST_ENV) $(PYTHON) -m pytest $(PYTEST_ARGS)

bench: setup services
	@psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$(BENCH_DB)'" | grep -q 1 \
		|| createdb -h 127.0.0.1 -U postgres $(BENCH_DB)
	redis-cli -n $(BENCH_BROKER_DB) flushdb >/dev/null
	$(BENCH_ENV) $(PYTHON) -m bench $(BENCH_ARGS)

# The contracts and mypy's settings are in pyproject.toml ([tool.importlinter], [tool.mypy]).
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

fmt: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) .tools node_modules staticfiles static/css/app.css static/vendor db.sqlite3
