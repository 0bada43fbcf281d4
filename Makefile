# `make run` serves the demo, `make check` runs the fast tests, `make test` everything CI runs.
# One virtualenv, .venv: each target installs what it needs into it once (again when setup.py
# changes), and every tool runs from it. README.md's Quick start and Development say more.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SERVE_INSTALLED := $(VENV)/.installed-serve
TEST_INSTALLED := $(VENV)/.installed-test
# pytest-xdist workers: one per core (`make test WORKERS=0` runs in one process).
WORKERS ?= auto
PYTEST := $(BIN)/pytest -n $(WORKERS)
# make check leaves out what needs a browser, Java, npm, Docker's setup, real servers or a
# long run, or copies of the source tree (the markers are described in pytest.ini).
FAST := not (browser or sdk or fuzz or server or docker or migrations or scaffold)
CONTRACT_LINT := APISERVER=$(BIN)/apiserver .ci/contract-lint

.PHONY: run check test lint migrations contract-lint fuzz clean

run: $(SERVE_INSTALLED)
	ENVIRONMENT=$${ENVIRONMENT:-development} $(BIN)/apiserver seed
	ENVIRONMENT=$${ENVIRONMENT:-development} $(BIN)/apiserver serve --host $${HOST:-127.0.0.1} --port $${PORT:-5000}

# Unit and HTTP tests on SQLite only, no coverage: under a minute. ARGS="-k users" narrows it.
check: $(TEST_INSTALLED)
	env -u TEST_DATABASE_URL -u CI $(PYTEST) -m "$(FAST)" $(ARGS)

# Everything: ruff, the migrations through alembic's command line, the whole suite with branch
# coverage (PostgreSQL too when TEST_DATABASE_URL is set; CI sets it), the contract's lint.
test: $(TEST_INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MAKE) --no-print-directory migrations
	$(PYTEST) --cov --cov-report=term-missing:skip-covered $(ARGS)
	$(CONTRACT_LINT)

lint: $(TEST_INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(CONTRACT_LINT)

# alembic upgrade head, alembic check (models and migrations agree), then down to base and up
# again, on a scratch SQLite database (tests/migrations does the same per database, in process).
migrations: $(TEST_INSTALLED)
	@scratch=$$(mktemp -d) && trap 'rm -rf "$$scratch"' EXIT && \
	export DATABASE_URL="sqlite:///$$scratch/migrations.db" ENVIRONMENT=development && \
	set -e && for step in "upgrade head" check "downgrade base" "upgrade head"; do \
		echo "alembic $$step"; $(BIN)/alembic -c alembic.ini $$step; done

# Spectral and Redocly CLI on the contract's bundle (needs node and npm; see .ci/contract-lint).
# npm runs straight from make, so it keeps the environment's registry, proxy and CA settings.
contract-lint: $(SERVE_INSTALLED)
	$(CONTRACT_LINT)

# A longer schemathesis campaign: FUZZ_EXAMPLES examples per operation (default 1000).
fuzz: $(TEST_INSTALLED)
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-1000} $(PYTEST) tests/contract/test_schemathesis.py $(ARGS)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# What serving needs: the project alone.
$(SERVE_INSTALLED): setup.py | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

# What the tests need: the project with its test extra (pytest, xdist, coverage, ruff, ...).
$(TEST_INSTALLED): setup.py | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

clean:
	rm -rf $(VENV) *.egg-info build .coverage .coverage.* apiserver.db apiserver.db-*
