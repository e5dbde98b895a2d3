# guidebot: `make run` serves the UI on 127.0.0.1:7860; `make test` runs the test suite.
VENV ?= .venv
PY := $(VENV)/bin/python
GUIDEBOT := $(VENV)/bin/guidebot
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False

.PHONY: help install run ingest serve test test-fast lint bench eval clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

install: $(VENV)/.installed ## create .venv: torch (CPU) first, then guidebot and its dev tools

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

ingest: install ## index corpus/ (incremental: only changed files are re-embedded)
	$(GUIDEBOT) ingest

run: install ## ingest the corpus if needed, then serve the UI on 127.0.0.1:7860
	$(GUIDEBOT) ingest
	$(GUIDEBOT) serve --host 127.0.0.1 --port 7860

test: install ## the whole test suite, slow batteries and browser tests included
	$(PY) -m pytest

test-fast: install ## the suite without the slow batteries
	$(PY) -m pytest -m "not slow"

lint: install ## ruff and mypy
	$(VENV)/bin/ruff check app ingest evals tests
	$(VENV)/bin/mypy app ingest evals

bench: install ## benchmarks (figures, not assertions): bench/results/bench.json, then the load test
	$(PY) -m evals.bench --faults
	$(PY) -m evals.load

eval: install ## the answer-fidelity suite on the test split
	$(GUIDEBOT) eval --split test

clean: ## remove the local index and caches (not the virtualenv)
	rm -rf data .pytest_cache
