# One entry point for every check. Each target sets up .venv on first use: `run` installs only
# what the server needs; the checks add the test and dev tools. Both come from hashed lock files
# (requirements.lock for the server, requirements-dev.lock adding the dev and test extras), so
# every machine and the image run the same files; `make lock` refreshes them from pyproject.toml.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ARGS ?=
# uv only writes the lock files; pinned so that `make lock` gives the same output everywhere.
UV_VERSION := 0.13.9
# One lock for Python 3.11+ on every platform (markers select per machine), each file hashed.
COMPILE = $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command 'make lock' pyproject.toml

.PHONY: install install-dev lock run test lint typecheck format openrpc bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

# The dev lock pins every server package at requirements.lock's version, so it installs both.
$(VENV)/.installed-dev: requirements-dev.lock requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(VENV)/.installed $@

$(VENV)/.uv-$(UV_VERSION): | $(BIN)/python
	$(BIN)/python -m pip install --quiet 'uv==$(UV_VERSION)'
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

# Existing pins are kept: a new dependency adds its own, nothing else moves. To move every pin
# to its newest release: make lock ARGS=--upgrade. The dev lock is constrained by the server's,
# so the tests run exactly the versions the image ships.
lock: $(VENV)/.uv-$(UV_VERSION)
	$(COMPILE) -o requirements.lock $(ARGS)
	$(COMPILE) --extra dev -c requirements.lock -o requirements-dev.lock $(ARGS)

run: install
	$(BIN)/python -m app $(ARGS)

test: install-dev
	$(BIN)/pytest $(ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install-dev
	$(BIN)/mypy

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

openrpc: install
	$(BIN)/rpc-hub openrpc > openrpc.json

# PEERS=1 also measures jsonrpcserver, aiohttp-rpc and fastapi-jsonrpc, from their own venv
# (bench/.peers-venv, installed on first use from bench/peers/requirements.txt).
bench: install-dev
	$(BIN)/python -m bench $(if $(filter-out 0,$(PEERS)),--peers) $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
