"""Synthetic data for the demo study, the documentation and the tests (no real person in them)."""
