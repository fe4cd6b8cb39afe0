# OneSheet — the two commands: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install system-deps lint format bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==25.3
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## make demo: install into .venv, build a synthetic county on SQLite, serve on 127.0.0.1:8000
demo: $(STAMP)
	$(BIN)/onesheet demo

## make test: install PostgreSQL and Chromium where missing, then lint and run every test
## (in parallel: TEST_WORKERS pytest-xdist workers, each with its own PostgreSQL cluster;
## `make test TEST_WORKERS=0` runs it in one process)
TEST_WORKERS ?= 2
test: $(STAMP) system-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q -p no:cacheprovider -n $(TEST_WORKERS)

system-deps:
	sh scripts/ensure-system-deps.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP) system-deps
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python bench/seed.py

clean:
	rm -rf $(VENV) onesheet.db onesheet.db-wal onesheet.db-shm
