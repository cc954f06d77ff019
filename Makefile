# The two commands: `make demo` and `make test`. Both set up .venv (and Debian's bubblewrap when root).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_OUT ?= runs/demo

.PHONY: demo test test-all lint bench setup system-deps clean

setup: $(STAMP)

# Debian packages the sandbox needs; installed only when we are root and they are missing.
# bwrap from bubblewrap; prlimit and setpriv from util-linux.
system-deps:
	@if ! command -v bwrap >/dev/null 2>&1 || ! command -v prlimit >/dev/null 2>&1 || ! command -v setpriv >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing bubblewrap and util-linux (apt-get)"; \
	    (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap util-linux >/dev/null; \
	  else \
	    echo "note: bwrap/prlimit/setpriv missing and we are not root; sandboxed kernels will be unavailable"; \
	  fi; \
	fi

$(STAMP): pyproject.toml $(wildcard kernels/*/kernel.json) | system-deps
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH (or make PYTHON=python3)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/medgym run --source mimic_iii --agent oracle --limit 22 --out $(DEMO_OUT)
	$(BIN)/medgym grade $(DEMO_OUT)

test: $(STAMP)
	$(BIN)/python -m pytest -q

test-all: $(STAMP)
	$(BIN)/python -m pytest -q -m "slow or not slow"

lint: $(STAMP)
	$(BIN)/ruff check medgym_nb tests benchmarks
	$(BIN)/ruff format --check medgym_nb tests benchmarks
	$(BIN)/mypy medgym_nb

bench: $(STAMP)
	$(BIN)/python benchmarks/episode.py
	$(BIN)/python benchmarks/sandbox.py

clean:
	rm -rf $(VENV) runs .pytest_cache
