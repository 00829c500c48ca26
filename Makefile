# collectctl — set-up, tests, demo and benchmarks. Needs only python3 (>= 3.11) on PATH.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# `make demo` has its own venv with a regular install of what the demo needs (no test extras,
# no editable install), rebuilt when a source file changes; pip's and the build backend's
# output go to a log shown only if the install fails.
DEMO_VENV  := .venv-demo
DEMO_STAMP := $(DEMO_VENV)/.installed
SOURCES    := pyproject.toml $(shell find collectctl plugins -type f \( -name '*.py' -o -name '*.toml' -o -name '*.sql' -o -name '*.j2' \) -not -path '*/tests/*' 2>/dev/null)
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

$(DEMO_STAMP): $(SOURCES)
	@echo "Installing collectctl and its plugins into $(DEMO_VENV) (log: $(DEMO_VENV)/install.log) ..."
	@{ if [ -x $(DEMO_VENV)/bin/collectctl ]; then \
	     $(DEMO_VENV)/bin/python -m pip install --quiet --no-deps --force-reinstall . $(PLUGIN_DIRS); \
	   else \
	     $(PYTHON) -m venv $(DEMO_VENV) \
	     && $(DEMO_VENV)/bin/python -m pip install --quiet . $(PLUGIN_DIRS); \
	   fi; } > $(DEMO_VENV).log 2>&1 || { cat $(DEMO_VENV).log; exit 1; }
	@mv $(DEMO_VENV).log $(DEMO_VENV)/install.log
	@touch $@

demo: $(DEMO_STAMP)
	@bash examples/demo.sh $(DEMO_VENV)/bin

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
	rm -rf $(VENV) $(DEMO_VENV) build *.egg-info plugins/*/*.egg-info
