"""Orchestration: the Dagster code location (definitions.py) and the steps it runs."""
