# Two commands do all set-up on a fresh machine with Python 3.11+ and make:
#   make run   — local venv, the runtime dependencies only (requirements.lock), serve http://127.0.0.1:8000
#   make test  — also the tests', benchmarks' and Spark's (requirements-dev.lock), then the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEV_STAMP := $(VENV)/.installed-dev-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test install install-dev wheel lint clean

install: $(STAMP)

install-dev: $(DEV_STAMP)

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "huiqi needs Python 3.11 or newer (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

$(DEV_STAMP): $(STAMP) requirements-dev.lock
	$(BIN)/python -m pip install --quiet -r requirements-dev.lock
	@touch $(DEV_STAMP)

run: $(STAMP)
	$(BIN)/huiqi db upgrade
	$(BIN)/huiqi demo --if-empty
	$(BIN)/huiqi serve --host $(HOST) --port $(PORT)

test: $(DEV_STAMP)
	$(BIN)/python -m pytest -q

# the package as a wheel for a cluster (spark-submit --py-files dist/huiqi-*.whl, docs/batch.md)
wheel: $(STAMP)
	$(BIN)/python -m pip wheel --quiet --no-deps -w dist .

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis *.egg-info dist
