"""Benchmarks: each module prints its figures and the ratio against a baseline run side by side."""
