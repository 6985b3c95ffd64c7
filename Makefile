# pastecms: `make run` serves on 127.0.0.1:5000 (`make run HOST=0.0.0.0 PORT=8080`
# elsewhere), `make test` runs the suite in-process, `make test-live` the tests that start
# real servers, `make dev` installs the development tools.
# Both need only Python 3.11 and make: the virtualenv and packages are set up here.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=
# pytest-xdist processes for `make test`: one per CPU; 0 runs the suite in this process.
PYTEST_WORKERS ?= auto

# The local server's settings live in .env, which `flask` and `pastecms` read when run
# in this folder: the local config, and a secret key made on first start (the app refuses
# to start without one). Written under umask 077, so it is never readable by others, not
# even for a moment; git ignores it. Settings already in it are kept, so a user may write
# it first; a key from an older checkout's instance/secret_key is carried over, since the
# key also encrypts the paste ids (a new one would break every link).
ENV_FILE := .env
OLD_SECRET_FILE := instance/secret_key

.PHONY: settings run dev test test-live test-all lint fmt bench bench-scale bench-instructions scale \
	hostile purge clean screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed-run

settings:
	@umask 077 && touch $(ENV_FILE)
	@grep -q '^PASTECMS_CONFIG=' $(ENV_FILE) || echo 'PASTECMS_CONFIG=Config' >> $(ENV_FILE)
	@grep -q '^PASTECMS_SECRET_KEY=' $(ENV_FILE) || { \
	  key=$$(cat $(OLD_SECRET_FILE) 2>/dev/null || \
	    $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(48))'); \
	  echo "PASTECMS_SECRET_KEY=$$key" >> $(ENV_FILE); }

# The development tools (pytest, ruff, schemathesis, hypothesis) into the virtualenv;
# `make test`, `make lint` and `make fmt` do this first by themselves.
dev: $(VENV)/.installed-dev

run: $(VENV)/.installed-run settings
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi run --host $(HOST) --port $(PORT)

# The in-process suite, and the live tests whose subject is the database (they run on
# every database the suite runs on); spread over PYTEST_WORKERS processes.
test: $(VENV)/.installed-dev
	$(BIN)/pytest -m "not live or database" -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# The other tests that start gunicorn, nginx, Chromium, schemathesis, a wheel or
# install.sh: minutes, and the same on every database, so CI runs them once.
test-live: $(VENV)/.installed-dev
	$(BIN)/pytest -m "live and not database" $(PYTEST_ARGS)

test-all: test test-live

# The README's pictures of the web face (docs/*.png), in Debian's Chromium.
screenshots: $(VENV)/.installed-dev
	$(BIN)/python docs/screenshots.py

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

purge: $(VENV)/.installed-run settings
	$(BIN)/flask --app wsgi pastes purge
	$(BIN)/flask --app wsgi tokens purge

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache

# The paste API under load (issue 8): gunicorn with deploy/gunicorn.conf.py and 2 sync
# workers on a temporary SQLite database (PASTECMS_BENCH_DATABASE_URI selects another,
# which it empties), load from wrk. Minutes, not seconds: never part of `make test` or CI.
bench: $(VENV)/.installed-dev
	$(BIN)/python bench/run.py

bench-scale: $(VENV)/.installed-dev
	$(BIN)/python bench/run.py --scale

# Instructions per request under valgrind's callgrind (Debian's `valgrind`), in-process
# through WSGI, against a bare Flask route: reproducible within 1 % from run to run, so a
# small saving shows (issue 30). Two runs of every route, some minutes each;
# INSTRUCTIONS_ARGS='--only details,recent --runs 1' for fewer.
INSTRUCTIONS_ARGS ?=
bench-instructions: $(VENV)/.installed-dev
	$(BIN)/python bench/instructions.py $(INSTRUCTIONS_ARGS)

# The app under hostile load (issue 18): the shipped nginx site and gunicorn config, a
# well-behaved client alone and then beside four attackers; at most a minute of load, over
# loopback. HOSTILE_ARGS='--check' fails on a broken limit (CI runs it so); '--database
# URL --storage redis://...' runs it on PostgreSQL and Redis (that database is emptied).
HOSTILE_ARGS ?=
hostile: $(VENV)/.installed-dev
	$(BIN)/python bench/hostile.py $(HOSTILE_ARGS)

# Two app hosts (network namespaces) behind nginx on one PostgreSQL and one Redis of the
# run's own (issue 31): SCALE_ARGS='--check' proves what must hold across hosts (CI runs
# it so), '--measure' compares one host with two under a CPU quota each. Needs root.
SCALE_ARGS ?= --check
scale: $(VENV)/.installed-dev
	$(BIN)/python bench/hosts.py $(SCALE_ARGS)
