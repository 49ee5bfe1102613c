# devicekit: set up a fresh Debian/Ubuntu machine, then run the demo or the tests.
#   make demo   set up everything, then run the main job
#   make test   set up everything, then run the test suite
# Other targets: setup, test-scale, lint, docs, bench, netlists, clean.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.devicekit-installed
SUDO   := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
PYTEST_ARGS ?=

.PHONY: all setup system browser demo test test-scale lint format bench netlists docs clean

all: test

# --- system packages: ngspice, libngspice (PySpice 1.5 dlopens the bare name libngspice.so,
#     which Debian and Ubuntu ship in libngspice0-dev), Java for jNeuroML (the NeuroML tests),
#     and python3-venv when venv is missing.
system:
	@need=""; \
	command -v ngspice >/dev/null 2>&1 || need="$$need ngspice"; \
	dpkg-query -W -f='$${Status}' libngspice0-dev 2>/dev/null | grep -q 'ok installed' || need="$$need libngspice0-dev"; \
	$(PYTHON) -c 'import ensurepip, venv' >/dev/null 2>&1 || need="$$need python3-venv"; \
	command -v java >/dev/null 2>&1 || need="$$need default-jre-headless"; \
	if [ -n "$$need" ]; then \
	  echo "devicekit: installing system packages:$$need"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$need >/dev/null; \
	else echo "devicekit: ngspice and libngspice are present"; fi

# --- headless Chromium, for the test that opens the demo report's index.html
browser:
	@if command -v chromium >/dev/null 2>&1; then echo "devicekit: chromium is present"; else \
	  echo "devicekit: installing system package: chromium (for the report test)"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; fi

$(STAMP): pyproject.toml | system
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,docs,vacask,neuroml]'
	@touch $(STAMP)

setup: system $(STAMP)

demo: setup
	$(BIN)/devicekit demo --force   # --force: replaces only an earlier report of its own

test: setup browser
	$(BIN)/python -m pytest -m "not scale" $(PYTEST_ARGS)

# tests of over 5 minutes each (ngspice on the 1000-compartment axon for 250 ms: ~6 minutes)
test-scale: setup
	$(BIN)/python -m pytest -m scale $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy   # strict on devicekit/electrochem, expr, models and spice ([tool.mypy])

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# the simulators compared against (NEURON, Brian2) are bench-only extras
bench: setup
	$(BIN)/python -m pip install -q -e '.[dev,vacask,neuroml,bench]'
	$(BIN)/python -m bench

# the documentation site, offline, into docs/_build/html; -W: a warning fails the build
docs: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html
	@echo "devicekit: documentation in docs/_build/html/index.html"

netlists: setup
	$(BIN)/python -m devicekit.spice.reference netlists

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache .hypothesis devicekit-report \
	  docs/_build docs/auto_examples docs/reference docs/sg_execution_times.rst
