"""Benchmarks of the pipeline and the dashboard: `python -m benchmarks.run` (make bench)."""
