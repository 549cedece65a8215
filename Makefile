# The two commands of the README: `make demo` and `make test`. Both set up what they need first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
AS_OF  ?= 2026-11-20
OUT    ?= out

.PHONY: demo test install install-test system-packages npm-tools bench clean

$(BIN)/cxgov: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.test-deps: $(BIN)/cxgov
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

install: $(BIN)/cxgov

install-test: $(VENV)/.test-deps system-packages npm-tools

# The real clients the tests drive (tests/clients): the YAML language server and the SARIF multitool, at the
# versions tests/clients/package-lock.json pins; `npm ci` again only when the lockfile changes.
CLIENTS := tests/clients
npm-tools: $(CLIENTS)/node_modules/.package-lock.json

$(CLIENTS)/node_modules/.package-lock.json: $(CLIENTS)/package-lock.json | system-packages
	cd $(CLIENTS) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Debian's packages the tests need, each installed only when missing (never a downloaded build): chromium for the
# HTML reports in a real browser, a Java runtime for Spark, PostgreSQL's initdb and pg_ctl for a real server,
# Node.js and npm for the editor and SARIF clients.
system-packages:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	{ command -v node && command -v npm; } >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	command -v java >/dev/null 2>&1 || missing="$$missing default-jre-headless"; \
	{ command -v initdb && command -v pg_ctl || ls /usr/lib/postgresql/*/bin/pg_ctl; } >/dev/null 2>&1 \
	  || missing="$$missing postgresql"; \
	[ -z "$$missing" ] || { \
	  echo "installing Debian's$$missing for the tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; }

# Build the example database from generated data, validate, check, and write the reports to $(OUT)/.
demo: install
	$(BIN)/cxgov demo --out $(OUT) --as-of $(AS_OF)

test: install-test
	$(BIN)/python -m pytest

bench: install-test
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(OUT) example.duckdb build dist *.egg-info
