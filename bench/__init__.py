"""Benchmarks: each measures Strongroom beside the raw cost of the same work (not tests)."""
