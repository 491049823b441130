"""Benchmarks behind tools/benchmarks/ (the tools only parse arguments)."""
