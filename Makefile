# The two commands: `make demo` and `make test`. Both set up .venv (and Debian's bubblewrap when root).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run
DEMO_OUT ?= runs/demo

.PHONY: demo test test-all lint bench setup system-deps browser-deps node-deps docker-engine clean

FAMILY_STAMP := $(VENV)/.families-installed

# What the task families need installed (their service packages, e.g. a FHIR server's npm packages), as they
# declare it: `medgym setup` does it. Kernel environments and suites' data are built on first use (a run builds
# the suites it needs in parallel first; BioCoder's kernel environment comes with BioCoder's suite).
setup: $(STAMP) $(FAMILY_STAMP)

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

# Debian's chromium, which the viewer's tests drive headless through Playwright (no browser is downloaded);
# installed only when we are root and it is missing; without it those tests skip and say why.
browser-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium (apt-get)"; \
	    (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "note: /usr/bin/chromium missing and we are not root; the viewer's browser tests will skip"; \
	  fi; \
	fi

# Node.js for families with a Node service; installed only when we are root and it is missing.
node-deps:
	@if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing nodejs and npm (apt-get)"; \
	    (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
	  else \
	    echo "note: node/npm missing and we are not root; families with a Node service will be unavailable"; \
	  fi; \
	fi

$(FAMILY_STAMP): $(RUN_STAMP) $(shell find medgym_nb/families -name package-lock.json -not -path '*/node_modules/*') | node-deps
	@$(BIN)/medgym setup --no-data --no-environments || echo "note: some families could not be set up (see above); their tests skip"
	@touch $(FAMILY_STAMP)

# Installs go through uv (bootstrapped into the venv by pip): it fetches and links wheels in parallel, several
# times faster than pip on a first install. The demo needs medgym and its families' kernel libraries
# (RUN_STAMP); the tests also need the development tools (STAMP, a superset, so it satisfies the demo too).
UV_INSTALL = @command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH (or make PYTHON=python3)"; exit 1; }; \
	[ -x $(BIN)/uv ] || { $(PYTHON) -m venv $(VENV) && $(BIN)/python -m pip install -q 'uv>=0.9'; }; \
	$(BIN)/uv pip install --python $(BIN)/python --compile-bytecode

$(RUN_STAMP): pyproject.toml $(wildcard kernels/*/kernel.json) | system-deps
	$(UV_INSTALL) -e '.[biodsbench]'
	@touch $(RUN_STAMP)

# Bytecode is compiled at install for what kernels can import (they read the venv read-only, so they could not
# write it); the development tools only the driver imports add ~17,000 files (~10 s) and compile on first use.
$(STAMP): pyproject.toml $(wildcard kernels/*/kernel.json) | system-deps browser-deps
	$(UV_INSTALL) -e '.[biodsbench]'
	$(BIN)/uv pip install --python $(BIN)/python -e '.[dev]'
	@touch $(STAMP) $(RUN_STAMP)

# A short tour (≤ 2 min on a fresh clone, docs/performance.md "First run"): one built-in suite per family, a few
# tasks of each spread over its categories, two episodes at a time in forked sandboxed kernels; then papermill
# re-grades every notebook and the report is written. Suites' data are built on first use, in parallel.
# Without bubblewrap (zygote needs it), `make demo DEMO_SANDBOX=docker` runs it in containers.
DEMO_TASKS ?= 3
DEMO_SANDBOX ?= zygote
demo: $(RUN_STAMP) $(FAMILY_STAMP)
	$(BIN)/medgym run --source families --limit $(DEMO_TASKS) --sandbox $(DEMO_SANDBOX) --concurrency 2 --agent oracle --out $(DEMO_OUT)
	$(BIN)/medgym grade $(DEMO_OUT) --force
	$(BIN)/medgym report $(DEMO_OUT)

# The docker sandbox's tests need a Docker-API engine: as root on Debian we serve one with podman for the
# duration of the run (and build the kernel image once); elsewhere an existing DOCKER_HOST is used, or they skip.
PODMAN_SOCK := unix:///run/medgym-podman/podman.sock
define with_engine
	@host=""; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  if $(MAKE) --no-print-directory docker-engine ENGINE_USER=$$$$; then host="$(PODMAN_SOCK)"; \
	  else echo "note: could not set up podman; the docker sandbox tests will skip"; fi; \
	fi; \
	rc=0; DOCKER_HOST="$${host:-$${DOCKER_HOST:-}}" $(1) || rc=$$?; \
	if [ -n "$$host" ]; then kernels/podman-service.sh stop $$$$; fi; \
	exit $$rc
endef

# Two workers, a test file each at a time (module fixtures, such as a suite's built data, stay in one worker);
# the 20 slowest tests are printed at the end. Three were tried: no faster beyond the run-to-run spread on
# two cores, and tests that check process-wide state raced more often (docs/performance.md, section 5).
PYTEST := $(BIN)/python -m pytest -q -n 2 --dist loadfile
test: setup
	$(call with_engine,$(PYTEST) --durations=20)

test-all: setup
	$(call with_engine,$(PYTEST) -m "slow or not slow")

docker-engine:
	@if ! command -v podman >/dev/null 2>&1 || ! command -v debootstrap >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1; then \
	  echo "installing podman, debootstrap, curl (apt-get)"; \
	  (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman debootstrap curl >/dev/null; \
	fi
	@kernels/podman-service.sh start $(ENGINE_USER) >/dev/null
	@kernels/build-image.sh

lint: $(STAMP)
	$(BIN)/ruff check medgym_nb medgym_verifiers tests benchmarks
	$(BIN)/ruff format --check medgym_nb medgym_verifiers tests benchmarks
	$(BIN)/mypy medgym_nb

bench: $(STAMP)
	$(BIN)/python benchmarks/episode.py
	$(BIN)/python benchmarks/sandbox.py
	$(BIN)/python benchmarks/grading.py
	$(BIN)/python benchmarks/viewer.py

clean:
	rm -rf $(VENV) runs .pytest_cache
