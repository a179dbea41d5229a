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
	$(PY) -m pytest $(PYTEST_ARGS)

# PYTEST_ARGS=--database-tests-only: only the tests that use the database (CI, after `make test`
# ran every test on SQLite).
test-postgres: install
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres} $(PY) -m pytest $(PYTEST_ARGS)

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

# Benchmarks (bench/, outside the test suite; figures in BENCHMARKS.md). `make bench`: the quick
# parts side by side in one table (under 5 minutes); PostgreSQL at BENCH_DATABASE_URL holds a
# throwaway database alain_bench_<pid> (SQLite, without the cluster part, when it is not reachable);
# BENCH_ARGS="--check" exits 1 when a goal is missed. `make bench-smoke`: every quick part in
# tiny sizes, checking the harness and never times (CI). `make bench-llm`: the real local
# teacher on ../shared/cards (start it first: bash ../shared/peers/local_teacher.sh).
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
TEACHER_URL ?= http://127.0.0.1:8077/v1

.PHONY: bench bench-smoke bench-llm

bench: install
	$(PY) bench/run_benchmarks.py --database-url "$(BENCH_DATABASE_URL)" $(BENCH_ARGS)

bench-smoke: install
	$(PY) bench/run_benchmarks.py --smoke --database-url "$(BENCH_DATABASE_URL)"

# A TCP check, not an HTTP one: the teacher serves one request at a time and may be busy.
bench-llm: install
	@$(PY) -c 'import socket, sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); socket.create_connection((p.hostname, p.port or 80), timeout=3).close()' "$(TEACHER_URL)" 2>/dev/null \
	  || { echo "No teacher answers at $(TEACHER_URL). Start the local teacher first: bash ../shared/peers/local_teacher.sh (it serves on 127.0.0.1:8077)." >&2; exit 2; }
	ALAIN_SECTION_CARD_TOKENS=0 ALAIN_JSON_MAX_ATTEMPTS=4 ALAIN_HTTP_TIMEOUT=900 $(PY) bench/validate_cards.py \
	  --provider local --baseUrl $(TEACHER_URL) --teacherModel teacher --maxSections 5 --retries 1
