# The README's two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NPM_SMSC := peers/npm-smsc
PEERS_STAMP := $(NPM_SMSC)/node_modules/.installed

.PHONY: run test check test-sqlite test-postgres bench clean peers bench-smpp

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## make peers: SMPP peers we did not write (the npm `smpp` package as an SMSC), for the tests
peers: $(PEERS_STAMP)

$(PEERS_STAMP): $(NPM_SMSC)/package-lock.json $(NPM_SMSC)/package.json
	npm ci --prefix $(NPM_SMSC) --no-audit --no-fund
	touch $(PEERS_STAMP)

## make run: the gateway on the embedded default (SQLite ./smsgate.db, http://127.0.0.1:8080)
run: $(STAMP)
	$(BIN)/smsgate db upgrade
	$(BIN)/smsgate serve --demo

## make check: lint, format, types, import rules
check: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

test-sqlite: $(STAMP) peers
	$(BIN)/pytest -q -p no:cacheprovider

## PostgreSQL pass: the same suite against SMSGATE_TEST_DATABASE_URL
test-postgres: $(STAMP) peers
	SMSGATE_TEST_DATABASE_URL=$${SMSGATE_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test} \
		$(BIN)/pytest -q -p no:cacheprovider

## make test: install, check, and run the whole suite (on PostgreSQL too when CI=true)
test: check test-sqlite
	@if [ "$${CI:-}" = "true" ]; then $(MAKE) --no-print-directory test-postgres; fi

bench: $(STAMP)
	$(BIN)/python bench/ingest.py

## make bench-smpp: our SMPP client against our simulator and the npm SMSC
bench-smpp: $(STAMP) peers
	$(BIN)/python bench/smpp.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
