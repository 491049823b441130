# The two commands of the README's quick start; each builds .venv first when
# needed (tools/setup_env.sh is idempotent and returns at once when done).
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: setup demo lint test test-fast bench
setup:
	tools/setup_env.sh

demo: setup
	$(PY) tools/demo.py

lint: setup
	$(PY) -m ruff check .

# CI's command (.ci/run): lint first, then every test, slow ones included.
test: setup lint
	$(PY) -m pytest tests -q -p no:cacheprovider

# The quick loop: the tests not marked `slow` (pytest.ini lists the marker).
test-fast: setup
	$(PY) -m pytest tests -q -p no:cacheprovider -m "not slow"

bench: setup
	$(PY) tools/benchmarks/bench_densecl.py
