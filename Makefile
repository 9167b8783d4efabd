# Control Panel: the two commands are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test venv venv-dev demo superuser bench reliability lint clean

$(VENV)/.runtime: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

venv: $(VENV)/.runtime
venv-dev: $(VENV)/.dev

# Starts web (controlpanel.serve: Granian, a worker process per core) + Celery worker + beat on the embedded default (SQLite, filesystem broker).
run: venv
	@$(PY) scripts/local_env.py
	@set -a && . var/local.env && set +a && \
	  $(PY) manage.py migrate --noinput -v0 && \
	  $(PY) manage.py collectstatic --noinput -v0 && \
	  $(PY) manage.py load_lessons && \
	  $(PY) manage.py seed_demo --if-empty && \
	  $(PY) manage.py generate_report --period daily --only-if-served && \
	  echo "" && \
	  echo "  Control Panel is starting on http://$(HOST):$(PORT)/" && \
	  echo "  API docs: http://$(HOST):$(PORT)/api/v1/docs/   Admin: http://$(HOST):$(PORT)/admin/" && \
	  echo "  Create a staff account (in another terminal): make superuser" && \
	  echo "  Demo learner: demo / crazy-diamonds-demo    Stop everything: Ctrl-C" && \
	  echo "" && \
	  HOST=$(HOST) PORT=$(PORT) exec $(VENV)/bin/honcho -f Procfile start

# Runs the whole suite in parallel (creates/updates the virtualenv first); TEST_WORKERS=0 runs it serially.
TEST_WORKERS ?= 2
test: venv-dev
	$(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

superuser: venv
	@$(PY) scripts/local_env.py
	@set -a && . var/local.env && set +a && $(PY) manage.py createsuperuser

demo: venv
	@$(PY) scripts/local_env.py
	@set -a && . var/local.env && set +a && $(PY) manage.py seed_demo

bench: venv-dev
	$(PY) bench/run.py $(BENCH_ARGS)

# Reliability suites (RELIABILITY.md): make reliability [SUITE=fuzz|cross-user|faults|scaleout|soak] [RELIABILITY_ARGS=--long]
reliability: venv-dev
	$(PY) scripts/reliability.py $(or $(SUITE),all) $(RELIABILITY_ARGS)

lint: venv-dev
	$(VENV)/bin/ruff check .

clean:
	rm -rf var/static var/celery var/celerybeat-schedule*
