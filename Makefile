# Two entry points: `make run` and `make test`. Everything else is a step they call.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000
export HOTLINE_TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/hotline_test
export HOTLINE_TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: run test test-faults install system-deps services asterisk models lint bench clean

run: install services asterisk models
	$(BIN)/hotline db upgrade
	$(BIN)/hotline seed futian
	$(BIN)/hotline asterisk start
	$(BIN)/hotline asterisk accounts --brief
	$(BIN)/hotline serve --host $(HOST) --port $(PORT)

test: install services asterisk models
	$(BIN)/ruff check .
	$(BIN)/pytest

# Only the fault tests (private Redis/PostgreSQL stopped, Asterisk restarted, `hotline serve` killed); about
# 5 minutes. `make test` runs them too.
test-faults: install services asterisk models
	$(BIN)/pytest -m faults tests/faults

install: system-deps $(VENV)/.installed

system-deps:
	@scripts/system-deps.sh

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

services:
	@scripts/services.sh

asterisk: install
	$(BIN)/hotline asterisk provision

models: install
	$(BIN)/hotline models install

lint: install
	$(BIN)/ruff check .

BENCHES ?= routing case_api ami_ingest ivr_calls screen_pop speech scale
bench: install services asterisk models
	@for b in $(BENCHES); do echo "== bench.$$b"; $(BIN)/python -m bench.$$b || exit 1; done

clean:
	rm -rf $(VENV) var
