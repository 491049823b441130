# The two commands of the README's quick start; each builds .venv first when
# needed (tools/setup_env.sh is idempotent and returns at once when done).
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: setup demo test bench
setup:
	tools/setup_env.sh

demo: setup
	$(PY) tools/demo.py

test: setup
	$(PY) -m pytest tests -q -p no:cacheprovider

bench: setup
	$(PY) tools/benchmarks/bench_densecl.py
