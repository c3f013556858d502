# make run   — set everything up, then run the engine: http://127.0.0.1:8080
# make test  — set everything up, then run the whole test suite
# make setup GPU=1 — CUDA build of onnxruntime (see README.md, Configuration)
.PHONY: setup run demo test lint bench clean

GPU ?= 0

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

clean:
	rm -rf .venv var/models .pytest_cache test-artifacts
