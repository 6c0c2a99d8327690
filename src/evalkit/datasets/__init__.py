"""Synthetic studies: the demo study shipped in ``data_samples/demo`` and larger ones for tests
and benchmarks, with the true values planted in them written down; synthetic interviews (no real
person in them)."""

from evalkit.datasets.demo import DEMO_SEED, make_demo_study, simulate_responses

__all__ = ["DEMO_SEED", "make_demo_study", "simulate_responses"]
