# CSManage — every command the project has. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
MANAGE := $(BIN)/python manage.py
TICKETS ?= 1000000

.PHONY: help install system-deps migrate demo run web worker beat test lint format messages bench lock clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[1m%-12s\033[0m %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.lock requirements-dev.lock
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11) and "CSManage needs Python 3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || \
		{ echo "Could not create $(VENV): on Debian, apt-get install python3-venv"; exit 1; }
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.lock
	@touch $@

install: $(VENV)/.installed ## Create .venv and install the pinned dependencies

system-deps: ## Install the Debian packages the tests drive (chromium, gettext) if missing
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else echo "Please install:$$missing (Debian packages)"; exit 1; fi; \
	fi

migrate: install ## Apply database migrations
	$(MANAGE) migrate --no-input

demo: migrate ## Load the demo organisation, customers and a year of tickets (idempotent)
	$(MANAGE) seed_demo

run: demo ## Start web + Celery worker + beat on $(HOST):$(PORT) with demo data
	@echo ""
	@echo "  CSManage is starting at http://$(HOST):$(PORT)/"
	@echo "  Demo logins (password: $${DEMO_PASSWORD:-csmanage-demo}):"
	@echo "    director · manager1 · supervisor1 · agent1 · agent2 · qa1 · hr1"
	@echo "  Admin: http://$(HOST):$(PORT)/admin/   Health: http://$(HOST):$(PORT)/healthz"
	@echo "  Ctrl-C stops all three processes."
	@echo ""
	@# Celery beat can hang in its shutdown handler (it syncs to the database from inside the
	@# signal handler): whatever is still running 15 s after the stop signal is killed.
	@trap 'trap - INT TERM EXIT; kill $$(jobs -p) 2>/dev/null; \
		for _ in $$(seq 15); do [ -z "$$(jobs -pr)" ] && break; sleep 1; done; \
		kill -KILL $$(jobs -pr) 2>/dev/null; wait' INT TERM EXIT; \
	$(BIN)/celery -A csmanage worker --loglevel=INFO --concurrency=2 & \
	$(BIN)/celery -A csmanage beat --loglevel=INFO --pidfile= & \
	$(MANAGE) runserver --noreload $(HOST):$(PORT) & \
	wait -n

test: install system-deps ## Lint, check migrations and translations, run the whole test suite
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MANAGE) makemigrations --check --dry-run
	$(BIN)/pytest

lint: install ## ruff check + format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install ## Format and autofix the code
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

messages: install ## Extract strings into the zh-hans catalogue and compile it
	$(MANAGE) makemessages --locale zh_Hans --no-location --no-obsolete --ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*'
	$(MANAGE) compilemessages --locale zh_Hans --ignore '.venv/*'

bench: migrate ## Build (or reuse) $(TICKETS) tickets on PostgreSQL and print page timings
	$(MANAGE) bench --tickets $(TICKETS)

lock: ## Re-pin requirements*.lock from pyproject.toml (newest versions)
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --upgrade pip
	.lock-venv/bin/pip install --quiet $$($(PYTHON) -c 'import tomllib; print(" ".join(repr(d) for d in tomllib.load(open("pyproject.toml","rb"))["project"]["dependencies"]))' | tr -d "'")
	.lock-venv/bin/pip freeze --exclude-editable > requirements.lock
	.lock-venv/bin/pip install --quiet $$($(PYTHON) -c 'import tomllib; print(" ".join(tomllib.load(open("pyproject.toml","rb"))["project"]["optional-dependencies"]["dev"]))')
	{ echo "-r requirements.lock"; .lock-venv/bin/pip freeze --exclude-editable | grep -vxFf requirements.lock; } > requirements-dev.lock
	rm -rf .lock-venv

clean: ## Remove the virtualenv and local data (var/)
	rm -rf $(VENV) var .pytest_cache .ruff_cache
