# Kuusikko developer commands. On a fresh machine only Python 3.11+ is needed:
# without DATABASE_URL the settings start a private PostgreSQL under var/ (config/embedded_postgres.py).
#
#   make run     demo server on http://127.0.0.1:8000 (DEBUG on, demo data seeded)
#   make test    the whole pytest suite (make test ARGS="-k meeting -x")
#
# `make help` lists the rest.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
REQUIREMENTS := requirements.txt requirements-dev.txt
# Touched after a successful install: pip runs again only when a requirements file is newer.
INSTALLED := $(VENV)/.installed
ARGS ?=

# Development commands run with DEBUG on unless the environment says otherwise; without DEBUG
# the settings demand a SECRET_KEY. `make test` sets its own (DEBUG off).
DEV_ENV := export DEBUG="$${DEBUG:-true}";

# The embedded server stops when the last process using it exits. A process killed with SIGKILL
# leaves its claim behind and so keeps the server up; as a safety net after `make run`, a short
# process joins (which drops claims of dead processes) and leaves, stopping a server nobody uses.
PGDATA_PID := $${VAR_DIR:-var}/postgres/postmaster.pid
STOP_IDLE_EMBEDDED_DB := if [ -z "$${DATABASE_URL:-}" ] && [ -f "$(PGDATA_PID)" ]; then \
	$(PY) -c 'import config.settings' || true; fi

.PHONY: help install run test lint format check migrate seed shell worker beat clean clean-db

help:
	@echo "make run        demo server on http://127.0.0.1:8000 (migrate + seed_demo first)"
	@echo "make test       pytest suite; extra pytest arguments: make test ARGS=\"-k foo\""
	@echo "make lint       ruff check + ruff format --check"
	@echo "make format     ruff format + ruff check --fix"
	@echo "make check      manage.py check + makemigrations --check"
	@echo "make migrate    apply migrations"
	@echo "make seed       load the demo data (idempotent)"
	@echo "make shell      Django shell"
	@echo "make worker     Celery worker (needs REDIS_URL)"
	@echo "make beat       Celery beat scheduler (needs REDIS_URL)"
	@echo "make clean      remove the virtualenv, collected static files and caches"
	@echo "make clean-db   delete the embedded database under var/postgres (stop make run first)"

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Kuusikko needs Python 3.11 or newer as '$(PYTHON)' (make PYTHON=python3.11 ...)" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): $(REQUIREMENTS) | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

install: $(INSTALLED)

# runserver runs as a background job in a process group of its own, so that a Ctrl-C, SIGHUP or
# SIGTERM (to make or to its whole group) reaches only this shell, which stops it in order:
# SIGTERM to the autoreloader's child first (it exits cleanly and releases the embedded database),
# then the reloader exits by itself (or gets a SIGTERM after 10 s). Last, the idle database stops.
run: install
	export DEBUG=true; $(MANAGE) migrate --noinput
	export DEBUG=true; $(MANAGE) seed_demo
	@export DEBUG=true; \
	echo "Kuusikko: http://127.0.0.1:8000/ (admin: /admin/) - Ctrl-C stops it"; \
	set -m; $(MANAGE) runserver 127.0.0.1:8000 & server=$$!; set +m; \
	trap : INT TERM HUP; \
	status=0; wait $$server || status=$$?; \
	if kill -0 $$server 2>/dev/null; then \
		children=$$(pgrep -P $$server || true); \
		[ -z "$$children" ] || kill -TERM $$children 2>/dev/null || true; \
		for _ in {1..100}; do \
			case "$$(ps -o stat= -p $$server 2>/dev/null || true)" in ""|Z*) break;; esac; \
			sleep 0.1; \
		done; \
		kill -TERM $$server 2>/dev/null || true; \
		while kill -0 $$server 2>/dev/null; do wait $$server || true; done; \
		for child in $$children; do \
			for _ in {1..50}; do kill -0 $$child 2>/dev/null || break; sleep 0.1; done; \
		done; \
	fi; \
	$(STOP_IDLE_EMBEDDED_DB); \
	exit $$status

# Tests run with DEBUG off, like production, where {% static %} reads the manifest that
# collectstatic writes (so a reference to a missing static file fails a test, not a deployment).
# Collected again only when a static file or the installed packages changed.
TEST_ENV := export DEBUG=false SECRET_KEY="$${SECRET_KEY:-insecure-test-only-key-not-for-any-deployment}";
STATIC_SOURCES := $(shell find . \( -path ./.git -o -path ./.venv -o -path ./var -o -path ./staticfiles \) \
	-prune -o -path '*/static/*' -type f -print 2>/dev/null)

staticfiles/staticfiles.json: $(INSTALLED) $(STATIC_SOURCES)
	$(TEST_ENV) DATABASE_URL=postgres://not-used@localhost/not-used $(MANAGE) collectstatic --noinput -v0

test: install staticfiles/staticfiles.json
	$(TEST_ENV) $(VENV)/bin/pytest $(ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

check: install
	$(DEV_ENV) $(MANAGE) check
	$(DEV_ENV) $(MANAGE) makemigrations --check --dry-run

migrate: install
	$(DEV_ENV) $(MANAGE) migrate

seed: install
	$(DEV_ENV) $(MANAGE) seed_demo

shell: install
	$(DEV_ENV) $(MANAGE) shell

worker: install
	@test -n "$${REDIS_URL:-}" || { echo "make worker needs REDIS_URL (e.g. redis://127.0.0.1:6379/0)" >&2; exit 2; }
	$(DEV_ENV) $(VENV)/bin/celery -A config worker --loglevel=INFO

beat: install
	@test -n "$${REDIS_URL:-}" || { echo "make beat needs REDIS_URL (e.g. redis://127.0.0.1:6379/0)" >&2; exit 2; }
	@mkdir -p "$${VAR_DIR:-var}"
	$(DEV_ENV) $(VENV)/bin/celery -A config beat --loglevel=INFO \
		--schedule="$${VAR_DIR:-var}/celerybeat-schedule"

clean:
	rm -rf $(VENV) $(RUNTIME_VENV) staticfiles .pytest_cache .ruff_cache test-results
	find . \( -path ./var -o -path ./.git \) -prune -o -type d -name __pycache__ -prune \
		-exec rm -rf {} +

clean-db:
	@pidfile="$(PGDATA_PID)"; \
	if [ -f "$$pidfile" ] && kill -0 "$$(head -n 1 "$$pidfile")" 2>/dev/null; then \
		echo "The embedded PostgreSQL is still running (pid $$(head -n 1 "$$pidfile")): stop make run / make test first." >&2; \
		exit 1; \
	fi
	rm -rf "$${VAR_DIR:-var}/postgres"

# The one-run benchmark (issue 8, docs/BENCHMARKS.md): seeds the tier into DATABASE_URL's
# database when it is fresh (seed_demo does nothing otherwise), then measures with gunicorn + wrk.
# The server runs from a virtualenv of requirements.txt alone, as the Docker image installs it:
# the development packages (pytest, schemathesis, ...) would add theirs to the workers' memory
# (DRF imports requests and pygments whenever they are installed).
TIER ?= S
RUNTIME_VENV := .venv-runtime
RUNTIME_INSTALLED := $(RUNTIME_VENV)/.installed
$(RUNTIME_INSTALLED): requirements.txt | $(PY)
	$(PYTHON) -m venv $(RUNTIME_VENV)
	$(RUNTIME_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@
.PHONY: bench
bench: install $(RUNTIME_INSTALLED)
	@test -n "$${DATABASE_URL:-}" || { echo "make bench needs DATABASE_URL (a scratch database)" >&2; exit 2; }
	export DEBUG=false SECRET_KEY="$${SECRET_KEY:-bench-only-secret}"; \
	$(MANAGE) migrate --noinput -v0 && $(MANAGE) seed_demo --tier $(TIER) && \
	$(PY) -m bench.run --tier $(TIER) --gunicorn $(RUNTIME_VENV)/bin/gunicorn $(ARGS)
