# The two commands a fresh machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean chromium

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

## run: migrate the embedded SQLite store, train a model if none, start daemon + inbox
run: $(STAMP)
	$(BIN)/aduan db upgrade
	$(BIN)/aduan run

## test: lint, type-check and run the whole suite (SQLite, PostgreSQL, chromium), one
## pytest-xdist worker per core (at most 4); plain `pytest` runs it in one process
test: $(STAMP) lint chromium
	$(BIN)/pytest -n auto --maxprocesses 4 --dist worksteal

## chromium: the browser tests drive Debian's chromium (Playwright never downloads one)
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get install -y chromium || { apt-get update && apt-get install -y chromium; }; \
	  else \
	    echo "the browser tests need Debian's chromium: sudo apt-get install -y chromium" >&2; \
	    exit 1; \
	  fi; }

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	@for b in bench/*_bench.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
