# Two commands: `make run` serves the demo portal, `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
STAMP := $(VENV)/.installed

.PHONY: run test test-fast install lint lock worker translations clean

# Everything from the lockfile (exact versions, tested together), then the app itself without resolving again.
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --upgrade pip
	$(BIN)/python -m pip install -qq -r requirements.lock
	$(BIN)/python -m pip install -qq --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	$(BIN)/gunicorn --workers 2 --threads 8 --bind 127.0.0.1:5000 --access-logfile - --logger-class checkup.web.log_redaction.RedactingLogger wsgi:app

# The whole suite (PostgreSQL, Redis and browser tests included) on every core through pytest-xdist: each
# worker has its own PostgreSQL database, Redis DB indexes, ports and temp folders (tests/support/parallel.py).
# TEST_WORKERS=0 runs it in this one process; PYTEST_ARGS adds options (make test PYTEST_ARGS=--durations=15).
TEST_WORKERS ?= auto
PYTEST_ARGS ?=
PYTEST := $(BIN)/python -m pytest -n $(TEST_WORKERS) --maxprocesses=6

test: $(STAMP)
	$(PYTEST) $(PYTEST_ARGS)

# The quick loop: SQLite only (no PostgreSQL copies of both_dbs tests, none of the PostgreSQL-only ones),
# no browser; Redis and worker-subprocess tests still run.
test-fast: $(STAMP)
	$(PYTEST) --sqlite-only -m "not browser" $(PYTEST_ARGS)

# Style, import contracts (.importlinter) and types; CI runs this before the tests.
lint: $(STAMP)
	$(BIN)/ruff check checkup tests bench
	$(BIN)/ruff format --check checkup tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy

# Re-pin requirements.lock from pyproject.toml (app, test and lint dependencies).
lock: $(STAMP)
	$(BIN)/python -m pip install -qq pip-tools
	$(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links --extra test --extra lint --output-file requirements.lock pyproject.toml

worker: $(STAMP)
	$(FLASK) worker

# Re-extract the user-facing strings and merge them into the catalogs, then compile.
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o checkup/translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i checkup/translations/messages.pot -d checkup/translations --no-fuzzy-matching --no-wrap
	$(BIN)/pybabel compile -d checkup/translations

clean:
	rm -rf $(VENV) instance
