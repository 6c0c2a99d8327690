"""Synthetic studies: the demo study shipped in ``data_samples/demo`` and larger ones for tests
and benchmarks, with the true values planted in them written down."""

from evalkit.datasets.demo import DEMO_SEED, make_demo_study, simulate_responses
from evalkit.datasets.interviews import interview_codebook, make_demo_interviews
from evalkit.datasets.zoo import make_zoo_study, zoo_shapes

__all__ = [
    "DEMO_SEED",
    "interview_codebook",
    "make_demo_interviews",
    "make_demo_study",
    "make_zoo_study",
    "simulate_responses",
    "zoo_shapes",
]
