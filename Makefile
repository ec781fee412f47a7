# langchain-sessionmem developer commands. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
REDIS_STACK ?= bash scripts/redis-stack.sh
# Said once at the end of `make test` / `make demo`, which start the private Redis Stack and leave
# it up for the next run; silent when REDIS_URL names another server or ours is not running.
REDIS_NOTE = if [ -z "$$REDIS_URL" ] && url=$$($(REDIS_STACK) url 2>/dev/null); then \
  echo "note: the private Redis Stack is still running at $$url; stop it with: make redis-down" >&2; fi

.DEFAULT_GOAL := help
.PHONY: help install test test-unit integration_tests lint format type redis-up redis-down redis-note redis-cluster-up redis-cluster-down bench-cluster demo chat check bench bench-profile bench-context bench-agent eval eval-latency

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade "pip>=25.1"
	$(PY) -m pip install -q -e . --group test --group lint
	touch $(STAMP)

install: $(STAMP) ## Create .venv with the package (editable) and its test/lint tools

test: $(STAMP) ## Run the test suite (starts the project's Redis Stack unless REDIS_URL is set)
	@status=0; $(PY) -m pytest || status=$$?; $(REDIS_NOTE); exit $$status

test-unit: $(STAMP) ## Run tests/unit only: no Redis, no network, seconds
	$(PY) -m pytest tests/unit

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

redis-note: ## Say whether the private Redis Stack is running, and how to stop it
	@$(REDIS_NOTE)

redis-cluster-up: ## Start a private 3-primary Redis Cluster with the modules (ports 7101-7103), print its URL
	@bash scripts/redis-cluster.sh up

redis-cluster-down: ## Stop the private Redis Cluster
	@bash scripts/redis-cluster.sh down

bench-cluster: $(STAMP) ## A turn and a history read on the cluster vs one node (medians, p99, ratios)
	@REDIS_URL=$${REDIS_URL:-$$(bash scripts/redis-stack.sh up)} REDIS_CLUSTER_URL=$${REDIS_CLUSTER_URL:-$$(bash scripts/redis-cluster.sh up)} $(PY) -m benchmarks.cluster

demo: $(STAMP) ## Run the chef demo end to end (scripted model offline; OpenAI/Cohere if keys are set)
	@status=0; REDIS_URL=$${REDIS_URL:-$$(bash scripts/redis-stack.sh up)} $(PY) examples/chef_demo.py || status=$$?; \
	$(REDIS_NOTE); exit $$status

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

bench-agent: $(BENCH_STAMP) ## Per-turn cost of SessionMemoryMiddleware in a create_agent turn vs no memory and ConversationMemoryMiddleware (~1 min)
	@REDIS_URL=$${REDIS_URL:-$$(bash scripts/redis-stack.sh up)} $(PY) -m benchmarks.agent_turn

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
