# make demo  - set up .venv (pinned dependencies, CPU torch) and run the demo on the bundled sample
# make test  - set up .venv, then lint, type checks, import contracts and the whole test suite
# make bench - every benchmark, compared by ratio with bench/baseline.json (bench-quick: CI's)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=
PY_DIRS := $(wildcard src tests bench scripts/*.py)

.PHONY: install demo test lint typecheck imports unit bench bench-quick clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/fxd demo

lint: install
	$(BIN)/ruff check $(PY_DIRS)
	$(BIN)/ruff format --check $(PY_DIRS)

typecheck: install
	$(BIN)/mypy

imports: install
	$(BIN)/lint-imports

unit: install
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck imports unit

BENCHES := indicators patterns patterns_quality forecast inference backtest soak store_path
QUICK := bench/results/quick

bench: install
	for b in $(BENCHES); do $(BIN)/python bench/$$b.py || exit 1; done
	$(BIN)/python bench/compare.py --profile full

# the short version CI runs: smaller inputs, its own baseline (bench/baseline.json, "quick")
bench-quick: install
	mkdir -p $(QUICK)
	$(BIN)/python bench/indicators.py --bars 200000 --stream-bars 2000 --json $(QUICK)/indicators.json
	$(BIN)/python bench/patterns.py --bars 200000 --swing-sizes 10000,30000 --swing-repeats 3 --feed-bars 2000 --json $(QUICK)/patterns.json
	$(BIN)/python bench/patterns_quality.py --trials 3 --walk-bars 10000 --json $(QUICK)/patterns_quality.json
	$(BIN)/python bench/backtest.py --bars 200000 --event-bars 10000 --skip-pipeline --repeats 3 --json $(QUICK)/backtest.json
	$(BIN)/python bench/inference.py --cycles 50 --json $(QUICK)/inference.json
	$(BIN)/python bench/forecast.py --origins 800 --batch-repeats 3 --json $(QUICK)/forecast.json
	$(BIN)/python bench/soak.py --quick --json $(QUICK)/soak.json
	$(BIN)/python bench/store_path.py --bars 50000 --json $(QUICK)/store_path.json
	$(BIN)/python bench/compare.py --profile quick --results $(QUICK)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .work
