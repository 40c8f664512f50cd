"""Benchmarks: `make bench` (python -m benchmarks) prints results against docs/targets.md."""
