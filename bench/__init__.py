"""Benchmarks (`make bench`, or one of them: bench/__main__.py); what each compares: bench/README.md."""
