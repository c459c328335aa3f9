# Kizuna: `make run` starts everything on embedded defaults; `make test` runs every test
# on a real PostgreSQL and Redis. Both set themselves up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
# Two installs: what running needs (`make run`), and that plus the test and lint tools.
RUN_STAMP := $(VENV)/.installed-run
STAMP := $(VENV)/.installed
PORT ?= 8000

TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/kizuna
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
# `make test` runs the test files in two halves side by side (the machine's two cores), the
# second on its own database (…_2) and Redis database; TEST_SHARDS=1 runs them in one process.
TEST_SHARDS ?= 2
TEST_REDIS_URL_2 ?= redis://127.0.0.1:6379/14
# axe-core (npm) for the accessibility test (tests/reports/test_accessibility.py), kept in a cache.
KIZUNA_AXE_DIR ?= $(HOME)/.cache/kizuna/axe
AXE := $(KIZUNA_AXE_DIR)/node_modules/axe-core/axe.min.js

.PHONY: install install-run run test lint services bench bench-pages bench-plan bench-send bench-national bench-dashboard bench-import bench-storage bench-storage-sized fault-campaign clean
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/kizuna_bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $(RUN_STAMP)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP) $(RUN_STAMP)

install: $(STAMP)

install-run: $(RUN_STAMP)

# `make run PORT=8080` serves on another port; the demo's links and mails follow it.
run: install-run
	@mkdir -p var
	DEBUG=true LOG_LEVEL=WARNING $(BIN)/python manage.py migrate --noinput -v 0
	DEBUG=true LOG_LEVEL=WARNING $(BIN)/python manage.py load_content > /dev/null
	DEBUG=true LOG_LEVEL=WARNING SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)} $(BIN)/python manage.py load_demo > /dev/null
	DEBUG=true LOG_LEVEL=WARNING $(BIN)/python manage.py forecast > /dev/null
	@echo "Web: http://127.0.0.1:$(PORT)/  (Ctrl-C stops web, worker and beat; the demo accounts follow)"
	DEBUG=true KIZUNA_PORT=$(PORT) SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)} \
		KIZUNA_REQUIRE_2FA=$${KIZUNA_REQUIRE_2FA:-false} PATH="$(BIN):$$PATH" \
		$(BIN)/honcho -f Procfile.dev start

services:
	@bash scripts/ensure-services.sh

$(AXE):
	@command -v npm > /dev/null || { echo "npm is missing: apt-get install npm (or run make services as root)"; exit 1; }
	npm install --no-audit --no-fund --silent --prefix $(KIZUNA_AXE_DIR) axe-core@4

test: install services $(AXE)
ifeq ($(TEST_SHARDS),1)
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) DEBUG=true KIZUNA_AXE_PATH=$(AXE) $(BIN)/pytest
else
	@mkdir -p var; \
	DATABASE_URL=$(TEST_DATABASE_URL)_2 REDIS_URL=$(TEST_REDIS_URL_2) DEBUG=true KIZUNA_AXE_PATH=$(AXE) \
		KIZUNA_TEST_SHARD=2/2 $(BIN)/pytest -p no:cacheprovider > var/test-second-half.log 2>&1 & second=$$!; \
	echo "make test: the second half of the test files runs beside this one (var/test-second-half.log)"; \
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) DEBUG=true KIZUNA_AXE_PATH=$(AXE) \
		KIZUNA_TEST_SHARD=1/2 $(BIN)/pytest; first=$$?; \
	wait $$second; status=$$?; \
	echo; echo "=== the second half of the test files ==="; cat var/test-second-half.log; \
	[ $$first -eq 0 ] && [ $$status -eq 0 ]
endif

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/lint-imports
	$(BIN)/python scripts/typecheck.py

bench: install services
	@psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='kizuna_bench'" | grep -q 1 \
		|| createdb -h 127.0.0.1 -U postgres kizuna_bench
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python bench/plan_day.py
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python bench/send.py
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python bench/import_readers.py

bench-import: install services
	@psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='kizuna_bench'" | grep -q 1 \
		|| createdb -h 127.0.0.1 -U postgres kizuna_bench
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python bench/import_readers.py

bench-plan: install services
	@psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='kizuna_bench'" | grep -q 1 \
		|| createdb -h 127.0.0.1 -U postgres kizuna_bench
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python bench/plan_day.py

# Parent and staff pages under gunicorn (DEBUG off) beside a bare Django view, driven by wrk on
# loopback: `make bench-pages BENCH_PAGES_ARGS="--duration 10"`; BENCH_REFUSE_BUSY=1 refuses a
# busy machine instead of marking its figures.
bench-pages: install services
	@command -v wrk > /dev/null || apt-get install -y wrk > /dev/null \
		|| { echo "wrk is missing: apt-get install wrk (Debian's package)"; exit 1; }
	@psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='kizuna_bench'" | grep -q 1 \
		|| createdb -h 127.0.0.1 -U postgres kizuna_bench
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python bench/pages.py $(BENCH_PAGES_ARGS)

bench-dashboard: install services
	@psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='kizuna_bench'" | grep -q 1 \
		|| createdb -h 127.0.0.1 -U postgres kizuna_bench
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python bench/dashboard.py

bench-storage: install services
	@psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='kizuna_bench'" | grep -q 1 \
		|| createdb -h 127.0.0.1 -U postgres kizuna_bench
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python bench/storage.py

bench-send: install services
	@psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='kizuna_bench'" | grep -q 1 \
		|| createdb -h 127.0.0.1 -U postgres kizuna_bench
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python bench/send.py --families 200000 --municipalities 50 --processes 1 2 4
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python bench/send.py --families 1000000 --municipalities 260

# The storage benchmark again on a PostgreSQL of its own sized as a production server would be.
bench-storage-sized: install services
	$(BIN)/python bench/sized_postgres.py -- $(BIN)/python bench/storage.py

# Every national-scale figure of the delivery engine, each beside its floor from the same run.
bench-national: bench-plan bench-send bench-storage bench-storage-sized

fault-campaign: install services
	$(BIN)/python -m tests.delivery.campaign --runs 20 --seed 1

clean:
	rm -rf $(VENV) var .pytest_cache
