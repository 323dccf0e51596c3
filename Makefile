# MISSIMO: the two commands of the README are `make demo` and `make test`.
# Everything they need is installed here, idempotently.

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.9
STAMP := $(VENV)/.installed

.PHONY: install demo test test-fast test-postgres lint format bench serve clean system-deps

install: system-deps $(STAMP)

$(PY):
	@py=$$(scripts/find-python) && echo "Creating $(VENV) with $$py" && "$$py" -m venv $(VENV)

$(STAMP): $(PY) requirements.lock pyproject.toml
	@$(PY) -m pip install -q --disable-pip-version-check "uv==$(UV_VERSION)" 2>/dev/null
	@$(VENV)/bin/uv pip sync -q --python $(PY) requirements.lock
	@$(VENV)/bin/uv pip install -q --python $(PY) --no-deps -e .
	@touch $(STAMP)
	@echo "Python environment ready in $(VENV)"

system-deps:
	@scripts/system-deps

demo: install
	$(VENV)/bin/missimo demo

serve: install
	$(VENV)/bin/missimo serve

test: install
	@scripts/run-tests

lint: install
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy src/missimo/engine src/missimo/synth
	$(VENV)/bin/lint-imports --no-cache

format: install
	$(VENV)/bin/ruff format src tests bench
	$(VENV)/bin/ruff check --fix src tests bench

bench: install
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
