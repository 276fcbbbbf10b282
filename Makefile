# The two commands of the README: `make run` (the bot on its embedded defaults) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check
# Verified corpora beside the checkout, when present; corpus-dependent tests skip without them.
BARDLING_CORPORA_DIR ?= $(abspath $(wildcard ../shared/corpora))
export BARDLING_CORPORA_DIR

.PHONY: run test lint bench messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(PIP) -e .
	touch $@

$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(PIP) -e '.[train,dev]'
	touch $@ $(VENV)/.runtime

run: $(VENV)/.runtime
	$(BIN)/bardling chat

test: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/mypy artifact training bot
	$(BIN)/python -m pytest -q

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy artifact training bot

bench: $(VENV)/.dev
	$(BIN)/python bench/generate.py

# Refresh the translation template and catalogues after changing texts (docs/translations.md).
messages: $(VENV)/.dev
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output --project=bardling \
	  --copyright-holder="Bardling authors" -o bot/locale/bardling.pot .
	$(BIN)/pybabel update -i bot/locale/bardling.pot -d bot/locale -D bardling --ignore-obsolete

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
