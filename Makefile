# The two commands: `make run` and `make test`. Both install what is missing and are safe to run twice.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
ADMIN_EMAIL ?= admin@example.org

.PHONY: run test bench fuzz lint lock install test-deps catalogues

run: $(VENV)/.installed
	$(BIN)/python -m app run --host $(HOST) --port $(PORT) --admin-email $(ADMIN_EMAIL)

# SQLite and PostgreSQL side by side, with branch coverage, and the containers once SQLite is done
# (scripts/test-all.sh says how).
test: $(VENV)/.installed-test test-deps
	@bash scripts/test-all.sh

bench: $(VENV)/.installed-test test-deps
	@[ -f bench/js/node_modules/.installed ] && [ bench/js/node_modules/.installed -nt bench/js/package-lock.json ] || \
		{ (cd bench/js && npm ci --no-audit --no-fund --loglevel=error) && touch bench/js/node_modules/.installed; }
	@command -v wrk >/dev/null || { s=""; [ "$$(id -u)" -eq 0 ] || s=sudo; $$s apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python -m bench
	$(BIN)/python -m bench.http

# The hostile-input fuzz test at length (make test runs it with 3 examples per form).
fuzz: $(VENV)/.installed-test test-deps
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-200} $(BIN)/python -m pytest tests/hostile/test_fuzz.py --db=sqlite
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-200} $(BIN)/python -m pytest tests/hostile/test_fuzz.py --db=postgresql

lint: $(VENV)/.installed-test
	$(BIN)/uv lock --quiet --check
	$(BIN)/uv export --quiet --frozen --no-hashes --no-emit-project --no-annotate --no-header --format requirements.txt | \
		diff -q - requirements.lock >/dev/null || { echo "requirements.lock is out of date: run make lock"; exit 1; }
	$(BIN)/ruff check app tests migrations bench
	$(BIN)/ruff format --check app tests migrations bench
	$(BIN)/mypy app
	$(BIN)/lint-imports

install: $(VENV)/.installed

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv

# The versions pinned in uv.lock, into the virtual environment made above (--inexact keeps uv itself and, for
# `run`, the test tools if present); --locked stops when uv.lock no longer matches pyproject.toml.
$(VENV)/.installed: pyproject.toml uv.lock | $(BIN)/uv
	UV_PROJECT_ENVIRONMENT=$(VENV) $(BIN)/uv sync --quiet --locked --inexact --python $(BIN)/python
	touch $@

$(VENV)/.installed-test: pyproject.toml uv.lock | $(BIN)/uv
	UV_PROJECT_ENVIRONMENT=$(VENV) $(BIN)/uv sync --quiet --locked --inexact --extra test --python $(BIN)/python
	touch $(VENV)/.installed $@

# After a change of dependencies in pyproject.toml: pins the new versions in uv.lock and, for the Dockerfile,
# the run-time ones in requirements.lock (`make lint` fails while either is out of date).
lock: | $(BIN)/uv
	$(BIN)/uv lock --quiet
	$(BIN)/uv export --quiet --frozen --no-hashes --no-emit-project --no-annotate --no-header --format requirements.txt -o requirements.lock

# System packages and npm tools the tests drive: Chromium, PostgreSQL, podman, the OpenID provider, axe-core.
test-deps:
	@bash scripts/test-deps.sh

# Extracts the messages of the code and templates into the catalogues (then translate the new French entries).
catalogues: $(VENV)/.installed-test
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k NC_:1c,2 -o app/locale/messages.pot --no-location --sort-output --omit-header --ignore-dirs '.* __pycache__' app templates
	$(BIN)/pybabel update -i app/locale/messages.pot -d app/locale --no-fuzzy-matching --ignore-obsolete
