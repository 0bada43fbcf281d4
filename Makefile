# The two quick-start commands: `make run` and `make test`. Everything else is in README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
CONTRACT_LINT := APISERVER=$(BIN)/apiserver .ci/contract-lint

.PHONY: run test lint contract-lint clean

run: $(INSTALLED)
	ENVIRONMENT=$${ENVIRONMENT:-development} $(BIN)/apiserver seed
	ENVIRONMENT=$${ENVIRONMENT:-development} $(BIN)/apiserver serve --host $${HOST:-127.0.0.1} --port $${PORT:-5000}

# The contract lint runs after tox and outside it: tox would drop npm's registry, proxy and CA settings.
test: $(INSTALLED)
	$(BIN)/tox
	$(CONTRACT_LINT)

lint: $(INSTALLED)
	$(BIN)/tox -e lint
	$(CONTRACT_LINT)

# Spectral and Redocly CLI on the contract's bundle (needs node and npm; see .ci/contract-lint).
contract-lint: $(INSTALLED)
	$(CONTRACT_LINT)

$(INSTALLED): setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]' 'tox>=4'
	touch $@

clean:
	rm -rf $(VENV) .tox *.egg-info .coverage apiserver.db apiserver.db-*
