"""Benchmarks: `python -m bench [ingest|warehouse|quality|refresh|all]` (or `make bench`)."""
