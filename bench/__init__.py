"""Benchmarks run by `make bench`: speed, queries and bytes per page."""
