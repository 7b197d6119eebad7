# Two entry points for a fresh machine: `make distill` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SHARED_DATA ?= ../shared/data
DATA_ROOT ?= data

.PHONY: setup data distill test lint

$(BIN)/pyg-rbm: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch is pinned here (not in pyproject) so that pip takes the local CPU wheel.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[test]"
	touch $@

setup: $(BIN)/pyg-rbm

data: setup
	$(BIN)/pyg-rbm data --root $(DATA_ROOT) --copy-from $(SHARED_DATA)

distill: data
	$(BIN)/pyg-rbm distill --dataset Cora --root $(DATA_ROOT) --out runs/cora --resume

test: data
	PYG_RBM_DATA=$(abspath $(DATA_ROOT)) $(BIN)/python -m pytest -q tests

lint: setup
	$(BIN)/ruff check pyg_rbm tests benchmarks examples
