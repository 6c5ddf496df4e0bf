# Kardborre: two commands do all the set-up.
#   make demo   embedded default (SQLite + filesystem broker), demo data, web + worker + beat
#   make test   the whole suite on throwaway PostgreSQL and Redis (installed if missing)
#   make audit  Lighthouse on the pages and pip-audit on the lock file -> docs/audit.md
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .tools
UV := $(TOOLS)/bin/uv
UV_VERSION := 0.13.9
PORT ?= 8000

.PHONY: demo test audit venv lint bench clean messages

# uv lives in its own small venv; it creates .venv from uv.lock with the same Python.
$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --quiet --python "$$($(PYTHON) -c 'import sys; print(sys.executable)')"
	touch $@

venv: $(VENV)/.synced

demo: venv
	DEBUG=true $(BIN)/python manage.py migrate --noinput
	DEBUG=true $(BIN)/python manage.py load_demo_data
	@echo "Kardborre runs on http://localhost:$(PORT)/ (Ctrl-C stops web, worker and beat)"
	DEBUG=true PORT=$(PORT) SITE_URL=$${SITE_URL:-http://localhost:$(PORT)} $(BIN)/honcho start -f Procfile.demo

test: venv
	bash scripts/test.sh

audit: venv
	bash scripts/audit.sh

lint: venv
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

messages: venv
	bash scripts/messages.sh

# All seven benchmarks in under 10 minutes on 2 cores, at the sizes given here (stated in
# each result file); bench/RESULTS.md summarises them. The access log at 10 million rows
# (about 6 minutes on its own) is bench/ACCESS_LOG_10M.md: bash bench/run_access_log.sh --week
bench: venv
	rm -f bench/out/*.json
	bash scripts/bench.sh --due 1000,10000
	bash bench/run_transitions.sh --cases 100
	bash bench/run_dashboard.sh --runs 20 --cold-runs 10
	bash bench/run_inbox.sh --tasks 10000
	bash bench/run_delivery.sh --emails 3000
	bash bench/run_access_log.sh --rows 1000000
	bash bench/run_api_ingest.sh --admissions 200 --rounds 2
	$(BIN)/python bench/summarise.py >/dev/null
	@echo "bench/RESULTS.md written"

clean:
	rm -rf $(VENV) $(TOOLS) var
