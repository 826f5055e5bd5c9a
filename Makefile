# `make run` and `make test` each set themselves up: a .venv with the package and its test tools.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Ultrathon needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/ultrathon up --host $(HOST) --port $(PORT)

test: $(STAMP)
	@$(PY) -m pytest $(PYTEST_ARGS) || { rc=$$?; [ $$rc -ne 5 ] || echo 'pytest collected no test (exit 5): the suite is broken'; exit $$rc; }

bench: $(STAMP)
	$(PY) bench/scoring.py
	$(PY) bench/pipeline.py
	$(PY) bench/agents.py
	$(PY) bench/leaderboard.py
	$(PY) bench/references.py
	$(PY) bench/survival_curves.py

clean:
	rm -rf $(VENV) instance build *.egg-info
