# make run   — set everything up, then run the engine: http://127.0.0.1:8080
# make test  — set everything up, then run the whole test suite
# make cluster [REPLICAS=3] — Redis, replicas, shared sandboxes, HAProxy on loopback (cluster-down stops)
# make setup GPU=1 — CUDA build of onnxruntime (see README.md, Configuration)
.PHONY: setup run demo test lint bench clean cluster cluster-down

GPU ?= 0
REPLICAS ?= 3
CLUSTER_PORT ?= 8090

setup:
	GPU=$(GPU) bash scripts/setup.sh

run: setup
	.venv/bin/dhe serve --host 127.0.0.1 --port 8080

demo: setup
	.venv/bin/dhe demo --out var/demo.mp4

test: setup
	.venv/bin/python -m pytest

lint: setup
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

bench: setup
	.venv/bin/python benchmarks/turn_latency.py

cluster: setup
	.venv/bin/python -m engine.cluster up --replicas $(REPLICAS) --port $(CLUSTER_PORT)

cluster-down:
	.venv/bin/python -m engine.cluster down

clean:
	rm -rf .venv var/models .pytest_cache test-artifacts
