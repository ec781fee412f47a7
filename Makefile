# langchain-sessionmem developer commands. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install test integration_tests lint format type redis-up redis-down demo chat check bench bench-profile bench-context eval eval-latency

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade "pip>=25.1"
	$(PY) -m pip install -q -e . --group test --group lint
	touch $(STAMP)

install: $(STAMP) ## Create .venv with the package (editable) and its test/lint tools

test: $(STAMP) ## Run the test suite (starts the project's Redis Stack unless REDIS_URL is set)
	$(PY) -m pytest

integration_tests: $(STAMP) ## Run live-provider tests (OpenAI/Cohere; skipped without API keys)
	$(PY) -m pip install -q -e ".[openai,cohere]"
	$(PY) -m pytest integration_tests -rs

lint: $(STAMP) ## Ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP) ## Ruff fix and format
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

type: $(STAMP) ## mypy --strict on the package
	$(VENV)/bin/mypy

redis-up: ## Start a private Redis Stack (RedisJSON + RediSearch), print its URL
	@bash scripts/redis-stack.sh up

redis-down: ## Stop the private Redis Stack
	@bash scripts/redis-stack.sh down

demo: $(STAMP) ## Run the chef demo end to end (scripted model offline; OpenAI/Cohere if keys are set)
	@REDIS_URL=$${REDIS_URL:-$$(bash scripts/redis-stack.sh up)} $(PY) examples/chef_demo.py

chat: $(STAMP) ## Run the example chat service and its web page on http://127.0.0.1:8000
	@REDIS_URL=$${REDIS_URL:-$$(bash scripts/redis-stack.sh up)} $(PY) examples/chat_service/app.py --port 8000

BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(PY) -m pip install -q -e . --group bench
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP) ## Side by side vs langchain-redis, redisvl, langchain-community and a redis-py floor (quick, < 2 min; BENCH=--full: < 15 min)
	@if [ -n "$$REDIS_URL" ]; then $(PY) -m benchmarks.compare $(BENCH); else $(PY) -m benchmarks.compare --spawn-server $(BENCH); fi

bench-profile: $(BENCH_STAMP) ## pyinstrument profile of a 1,000-message read and a turn
	@if [ -n "$$REDIS_URL" ]; then $(PY) -m benchmarks.profile_turn; else $(PY) -m benchmarks.profile_turn --spawn-server; fi

bench-context: $(STAMP) ## Benchmark token-budget reads against reading everything and trimming in Python
	@REDIS_URL=$${REDIS_URL:-$$(bash scripts/redis-stack.sh up)} $(PY) -m benchmarks.context_window

EVAL_STAMP := $(VENV)/.eval-installed
$(EVAL_STAMP): $(STAMP) evals/requirements.txt
	$(PY) -m pip install -q torch==2.13.0  # first and alone: the CPU build (any other pulls CUDA)
	$(PY) -m pip install -q -r evals/requirements.txt
	touch $(EVAL_STAMP)

eval: $(EVAL_STAMP) ## The hard retrieval eval with all-MiniLM-L6-v2 offline: the README's recall table (minutes)
	@REDIS_URL=$${REDIS_URL:-$$(bash scripts/redis-stack.sh up)} $(PY) -m evals.hard

eval-latency: $(EVAL_STAMP) ## Retriever latency at 6,000 messages per user, MiniLM query embedding included
	@REDIS_URL=$${REDIS_URL:-$$(bash scripts/redis-stack.sh up)} $(PY) -m evals.latency

check: lint type test ## Everything CI runs
