# collectctl — set-up, tests, demo and benchmarks. Needs only python3 (>= 3.11) on PATH.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Every plugin distribution under plugins/ is installed like a third-party plugin would be.
PLUGIN_DIRS := $(patsubst %/pyproject.toml,%,$(wildcard plugins/*/pyproject.toml))

.PHONY: install demo test lint bench clean docs-images

$(STAMP): pyproject.toml $(wildcard plugins/*/pyproject.toml)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]' $(addprefix -e ,$(PLUGIN_DIRS))
	@touch $@

install: $(STAMP)

# The benchmarks' DuckDB peer: a benchmark-only dependency (the `bench` extra).
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	@touch $@

demo: install
	@bash examples/demo.sh $(BIN)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -q -p no:cacheprovider tests $(addsuffix /tests,$(PLUGIN_DIRS)) benchmarks

# The example letters in docs/letters.md, rendered through the real pipeline to PNG pages.
docs-images: install
	$(BIN)/python docs/images/make_images.py

bench: $(BENCH_STAMP)
	$(BIN)/python benchmarks/run.py --docs docs/performance.md $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info plugins/*/*.egg-info
