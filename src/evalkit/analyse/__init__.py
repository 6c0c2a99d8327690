"""Analysis: pure functions on tidy frames, one module per family, and the run's results.

Quantitative families (scales and reliability, involvement and tokenism, outcomes and models,
weights, funnels and shrinkage, networks, integration) are modules here; the qualitative ones
(code frequencies, the Framework matrix, agreement, quotes) are in :mod:`evalkit.analyse.qual`.
"""
