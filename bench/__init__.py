"""Benchmark harness for the Ingate edge: `python -m bench` (or `make bench`).

Measures what the edge adds on top of calling the upstream directly, with wrk
as the load generator and a constant-body upstream (`bench.upstream`).
"""
