# ALAIN: `make run` generates a manual offline; `make test` runs the whole suite.
# Both create the local virtualenv (.venv) on first use.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
OUT ?= out
SAMPLE ?= generation/samples/Qwen3-0.6B.md

.PHONY: install run test test-postgres lint format migrations-check ci clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

# `make run` starts the web process (http://127.0.0.1:8000/) and a django-q2 cluster, queues a
# manual for the bundled card, prints where its files are, and serves until Ctrl-C (which stops
# both). ONCE=1 stops after the manual (CI). Execution validation needs bubblewrap (Debian:
# apt-get install bubblewrap); without it the manual is checked statically and the run says so.
# Log lines are readable text here; deployments keep the JSON default (ALAIN_LOG_FORMAT).
run: install
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py collectstatic --noinput -v 0
	@if command -v bwrap >/dev/null 2>&1; then exec_flag=; else \
	  echo "bwrap (Debian package bubblewrap) is missing: the manual will not be executed" >&2; \
	  exec_flag=--no-execute; fi; \
	ALAIN_LOG_FORMAT=$${ALAIN_LOG_FORMAT:-plain} $(PY) manage.py alain serve --sample $(SAMPLE) --outDir $(OUT) $$exec_flag $(if $(ONCE),--once)

test: install
	$(PY) -m pytest

test-postgres: install
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres} $(PY) -m pytest

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: install
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

migrations-check: install
	$(PY) manage.py makemigrations --check --dry-run

ci: lint migrations-check test test-postgres

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .ruff_cache
