# make run   — set everything up, then run the engine
# make test  — set everything up, then run the whole test suite
# make setup GPU=1 — CUDA build of onnxruntime (see DESIGN.md)
.PHONY: setup run test lint bench clean

GPU ?= 0

setup:
	GPU=$(GPU) bash scripts/setup.sh

run: setup
	.venv/bin/dhe demo --out var/demo.mp4

test: setup
	.venv/bin/python -m pytest tests

lint: setup
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

bench: setup
	.venv/bin/python benchmarks/turn_latency.py

clean:
	rm -rf .venv var/models .pytest_cache test-artifacts
