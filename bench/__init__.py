"""`make bench`: the one-run benchmark of issue 8 (see bench/run.py and docs/BENCHMARKS.md)."""
