.PHONY: help install lock lock-upgrade lock-check test test-latest release-check lint typecheck unit demo docs catalog bench bench-routing reliability validate-examples clean fuzz

VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LATEST_VENV := .venv-latest
# uv itself lives in its own small venv, pinned here: `uv sync` would remove it from .venv.
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/uv-$(UV_VERSION)/bin/uv
# uv.lock is the dev/CI environment; never let uv fetch a Python build (PyPI only here).
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS := never

help:  ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(UV):
	python3 -m venv $(TOOLS)/uv-$(UV_VERSION)
	$(TOOLS)/uv-$(UV_VERSION)/bin/python -m pip install --quiet uv==$(UV_VERSION)

# --locked: install exactly uv.lock, and fail (rather than re-resolve) if pyproject.toml and
# the lock disagree.
$(STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --extra dev --python python3 --quiet
	touch $(STAMP)

install: $(STAMP)  ## create .venv from uv.lock: routerctl (editable) and the dev tools

lock: | $(UV)  ## update uv.lock after changing pyproject.toml (keeps other pins)
	$(UV) lock

lock-upgrade: | $(UV)  ## regenerate uv.lock with the newest version of everything
	$(UV) lock --upgrade

lock-check: | $(UV)  ## fail if uv.lock does not match pyproject.toml
	$(UV) lock --check

lint: install  ## ruff check + format check
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

typecheck: install  ## mypy --strict on src
	$(BIN)/mypy

validate-examples: install  ## the shipped routers must validate
	$(BIN)/routerctl validate routers/
	$(BIN)/routerctl validate --env staging
	$(BIN)/routerctl validate --env prod

unit: install  ## pytest only
	$(BIN)/pytest -q

test: lock-check lint typecheck validate-examples unit  ## everything CI runs

demo: install  ## emulator + validate -> plan -> apply -> plan (no changes)
	$(PY) scripts/demo.py

docs: install  ## regenerate docs/file-format.md, docs/architecture.md's layer table, the schema
	$(PY) scripts/gen_docs.py
	$(PY) scripts/gen_architecture.py
	$(BIN)/routerctl schema > schema/router.schema.json

catalog: install  ## regenerate the shipped model/preset snapshot from the API (needs a token)
	$(PY) scripts/refresh_catalog.py

bench: install  ## performance figures, written to bench/README.md
	$(PY) bench/run_all.py

bench-routing: install  ## routing predictors vs the labelled corpus, written to bench/README.md
	$(PY) bench/bench_routing.py

reliability: install  ## fault-injection suite summary table
	$(PY) bench/reliability.py

test-latest:  ## the gate on the newest release of every dependency, no lock (the nightly workflow)
	rm -rf $(LATEST_VENV)
	python3 -m venv $(LATEST_VENV)
	$(LATEST_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LATEST_VENV)/bin/python -m pip install --quiet --upgrade -e '.[dev]'
	$(LATEST_VENV)/bin/python -m pip freeze --exclude-editable
	touch $(LATEST_VENV)/.installed
	$(MAKE) VENV=$(LATEST_VENV) lint typecheck validate-examples unit

release-check: install  ## the release workflow's dry run: build, twine check, clean-venv smoke test
	$(PY) scripts/release_check.py $(if $(TAG),--tag $(TAG))

FUZZ_SECONDS ?= 60

fuzz: install  ## coverage-guided fuzzing (atheris) of the YAML reader and plan loader, 60 s each
	$(UV) sync --locked --extra dev --extra fuzz --python python3 --quiet
	mkdir -p fuzz/corpus/yaml fuzz/corpus/plan
	$(PY) fuzz/fuzz_yaml.py -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -rss_limit_mb=1024 \
		-timeout=10 -print_final_stats=1 fuzz/corpus/yaml fuzz/seeds/yaml
	$(PY) fuzz/fuzz_plan.py -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -rss_limit_mb=1024 \
		-timeout=10 -print_final_stats=1 fuzz/corpus/plan fuzz/seeds/plan

clean:  ## remove the venv and caches
	rm -rf $(VENV) $(LATEST_VENV) $(TOOLS) dist .pytest_cache .mypy_cache .ruff_cache build *.egg-info src/*.egg-info
