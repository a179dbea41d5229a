"""Benchmarks (outside the test suite): `make bench`, `make bench-smoke`, `make bench-llm`."""
