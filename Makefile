# make run   — set everything up, then run the engine: http://127.0.0.1:8080
# make test  — set everything up, then run the whole test suite
# make cluster [REPLICAS=3] — Redis, replicas, shared sandboxes, HAProxy on loopback (cluster-down stops)
# make setup GPU=1 — CUDA build of onnxruntime (see README.md, Configuration)
.PHONY: setup run demo test lint bench clean cluster cluster-down port-free

GPU ?= 0
REPLICAS ?= 3
CLUSTER_PORT ?= 8090
PORT ?= 8080

setup:
	GPU=$(GPU) bash scripts/setup.sh

# the port is checked before setup's checks (~2 s on busy cores when all is installed), not after them
run: port-free setup
	.venv/bin/dhe serve --host 127.0.0.1 --port $(PORT)

port-free:
	@bash -c 'if (exec 3<>/dev/tcp/127.0.0.1/$(PORT)) 2>/dev/null; then \
	  echo "make run: 127.0.0.1:$(PORT) is in use (another dhe serve?): stop it, or make run PORT=N" >&2; \
	  exit 2; fi'

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
