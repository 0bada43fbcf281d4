# The two quick-start commands: `make run` and `make test`. Everything else is in README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test lint clean

run: $(INSTALLED)
	ENVIRONMENT=$${ENVIRONMENT:-development} $(BIN)/apiserver seed
	ENVIRONMENT=$${ENVIRONMENT:-development} $(BIN)/apiserver serve --host $${HOST:-127.0.0.1} --port $${PORT:-5000}

test: $(INSTALLED)
	$(BIN)/tox

lint: $(INSTALLED)
	$(BIN)/tox -e lint

$(INSTALLED): setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]' 'tox>=4'
	touch $@

clean:
	rm -rf $(VENV) .tox *.egg-info .coverage apiserver.db apiserver.db-*
