# tweetcare — the two commands are `make demo` and `make test`; see README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TWEETCARE := $(BIN)/tweetcare

.PHONY: help setup browser test lint types unit integration e2e faults up down status demo bench dashboards clean-venv

help:
	@echo "make test    set up .venv, start Kafka + Elasticsearch, lint, type-check, run every test, stop"
	@echo "make demo    run the whole system on local Kafka + Elasticsearch; prints the console address and a token"
	@echo "make bench   run the benchmarks under bench/ and print their figures"
	@echo "make up | down | status    local Kafka + Elasticsearch"
	@echo "make lint | types | unit   the checks one by one (unit needs no infrastructure)"
	@echo "make integration | e2e     those tests alone, between infra up and infra down (as make test)"
	@echo "make faults  the fault suite alone (docs/faults.md): its own Kafka + Elasticsearch, ~8 minutes"
	@echo "make dashboards   regenerate deploy/grafana/dashboards/*.json from services/dashboards"

$(VENV)/.installed: pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed: set PYTHON=python3.11")'
	@echo "setup: creating $(VENV) and installing tweetcare with its test tools (first time: a minute or two)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet --progress-bar off -c constraints.txt -e '.[test]'
	@touch $@
	@echo "setup: done"

# The browser test drives Debian's Chromium (never a downloaded browser: no `playwright install`),
# with a Japanese font so the console's Japanese screens render.
CHROMIUM := /usr/bin/chromium
JA_FONT := /usr/share/fonts/opentype/ipafont-gothic/ipag.ttf

browser:
	@if [ ! -x $(CHROMIUM) ] || [ ! -f $(JA_FONT) ]; then \
	  echo "setup: installing Chromium and a Japanese font for the browser test (apt-get, a minute or two)"; \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq \
	    --no-install-recommends chromium fonts-ipafont-gothic >/dev/null || exit 1; \
	  echo "setup: Chromium installed at $(CHROMIUM)"; \
	fi

setup: $(VENV)/.installed browser

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: setup
	$(BIN)/mypy

unit: setup
	$(BIN)/pytest tests/unit

up: setup
	$(TWEETCARE) infra up

down: setup
	$(TWEETCARE) demo stop
	$(TWEETCARE) infra down

status: setup
	$(TWEETCARE) infra status

# $(call with_infra,"CHECK" ...): start Kafka and Elasticsearch, run every CHECK (a command), stop
# the infrastructure even when one fails, and fail when any did.
define with_infra
$(TWEETCARE) infra up || { $(TWEETCARE) infra down; exit 1; }; \
status=0; for check in $(1); do $$check || status=1; done; \
$(TWEETCARE) infra down; exit $$status
endef

# Every check: lint, types, and the whole suite (unit, integration, e2e) on the real infrastructure.
test: setup
	@$(call with_infra,"$(MAKE) --no-print-directory lint" "$(MAKE) --no-print-directory types" "$(BIN)/pytest")

# The tests on the real Kafka and Elasticsearch, and the whole system's, each on its own.
integration: setup
	@$(call with_infra,"$(BIN)/pytest tests/integration")

e2e: setup
	@$(call with_infra,"$(BIN)/pytest tests/e2e")

# The fault suite starts and stops a Kafka and an Elasticsearch of its own (free ports, its own
# state), so it needs no `infra up`; `make test` runs it too (pytest collects tests/faults).
faults: setup
	$(BIN)/pytest tests/faults

# Benchmarks measure speed and memory targets (never timed unit tests); each script prints its figures.
bench: setup
	@$(TWEETCARE) infra up
	@status=0; for script in bench/[!_]*.py; do \
	  module=$$(basename $$script .py); echo "== bench.$$module"; \
	  $(BIN)/python -m bench.$$module || status=1; \
	done; exit $$status

# deploy/grafana/dashboards/*.json from services/dashboards (tests/unit/test_dashboards.py
# fails when the committed JSON differs from the generated one).
dashboards: setup
	$(TWEETCARE) dashboards write

# The whole system: infrastructure, the four services, a generated bilingual stream; Ctrl-C stops it.
demo: setup
	@$(TWEETCARE) demo

clean-venv:
	rm -rf $(VENV)
