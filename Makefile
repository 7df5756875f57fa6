.PHONY: help install test lint typecheck unit demo docs bench reliability validate-examples clean fuzz

VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

help:  ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install routerctl with dev tools

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

test: lint typecheck validate-examples unit  ## everything CI runs

demo: install  ## emulator + validate -> plan -> apply -> plan (no changes)
	$(PY) scripts/demo.py

docs: install  ## regenerate docs/file-format.md from the schema, and schema/router.schema.json
	$(PY) scripts/gen_docs.py
	$(BIN)/routerctl schema > schema/router.schema.json

bench: install  ## performance figures, written to bench/README.md
	$(PY) bench/run_all.py

reliability: install  ## fault-injection suite summary table
	$(PY) bench/reliability.py

FUZZ_SECONDS ?= 60

fuzz: install  ## coverage-guided fuzzing (atheris) of the YAML reader and plan loader, 60 s each
	$(PY) -m pip install --quiet -e '.[fuzz]'
	mkdir -p fuzz/corpus/yaml fuzz/corpus/plan
	$(PY) fuzz/fuzz_yaml.py -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -rss_limit_mb=1024 \
		-timeout=10 -print_final_stats=1 fuzz/corpus/yaml fuzz/seeds/yaml
	$(PY) fuzz/fuzz_plan.py -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -rss_limit_mb=1024 \
		-timeout=10 -print_final_stats=1 fuzz/corpus/plan fuzz/seeds/plan

clean:  ## remove the venv and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info src/*.egg-info
