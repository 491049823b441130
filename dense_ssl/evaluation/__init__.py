"""Evaluation: BSDS500 benchmarks and dense-feature probes."""
