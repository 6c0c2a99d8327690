"""Pattern compression and the multinomial resampling counts behind the bootstrap intervals."""

from __future__ import annotations

import numpy as np
import pytest

from evalkit.analyse._resample import compress_rows, multinomial_counts, percentile_interval


def multiset(x):
    return sorted(tuple(-99.0 if np.isnan(v) else float(v) for v in row) for row in x)


@pytest.mark.parametrize("fractional", [False, True])
def test_compress_rows_keeps_every_row_once(fractional):
    gen = np.random.default_rng(0)
    x = gen.integers(1, 4, size=(500, 3)).astype(float)
    x[gen.random(x.shape) < 0.1] = np.nan
    if fractional:
        x = x / 2
    patterns, counts = compress_rows(x)
    assert counts.sum() == 500
    assert np.all(np.diff(counts) >= 0)
    assert len(patterns) == len({tuple(r) for r in multiset(x)})
    assert multiset(np.repeat(patterns, counts, axis=0)) == multiset(x)


@pytest.mark.parametrize("n_patterns", [300, 6000])  # NumPy's sampler, then Poisson-corrected
def test_counts_are_multinomial(n_patterns):
    gen = np.random.default_rng(1)
    counts = np.sort(gen.integers(1, 150, size=n_patterns) ** 2 // 100 + 1)
    n = counts.sum()
    p = counts / n
    draws = np.hstack(list(multinomial_counts(counts, 2000, np.random.default_rng(2),
                                              chunk_cells=2_000_000)))
    assert draws.shape == (n_patterns, 2000)
    assert (draws.sum(axis=0) == n).all()
    assert (draws >= 0).all() and np.array_equal(draws, np.round(draws))
    # Means and variances per pattern, pooled: E = n p, Var = n p (1 - p).
    mean_z = (draws.mean(axis=1) - n * p) / np.sqrt(n * p * (1 - p) / draws.shape[1])
    assert abs(mean_z.mean()) < 4 / np.sqrt(n_patterns)
    assert np.mean(np.abs(mean_z) < 1.96) == pytest.approx(0.95, abs=0.02)
    ratio = draws.var(axis=1, ddof=1).sum() / (n * p * (1 - p)).sum()
    assert ratio == pytest.approx(1.0, abs=0.04)
    # A linear statistic of the resample has the multinomial variance.
    score = np.linspace(-1, 1, n_patterns)
    stat = score @ draws
    expected_var = n * (p @ score**2 - (p @ score) ** 2)
    assert stat.var(ddof=1) / expected_var == pytest.approx(1.0, abs=0.08)


def test_chunks_and_seed():
    counts = np.sort(np.random.default_rng(3).integers(1, 40, size=2500))
    chunks = list(multinomial_counts(counts, 250, np.random.default_rng(4), chunk_cells=100_000))
    assert [c.shape[1] for c in chunks] == [40] * 6 + [10]
    again = list(multinomial_counts(counts, 250, np.random.default_rng(4), chunk_cells=100_000))
    assert all(np.array_equal(a, b) for a, b in zip(chunks, again, strict=True))


def test_percentile_interval_ignores_failed_resamples():
    values = np.r_[np.arange(1, 101, dtype=float), np.nan, np.inf]
    low, high, used = percentile_interval(values, 0.9)
    assert used == 100
    assert (low, high) == pytest.approx(np.quantile(np.arange(1, 101), [0.05, 0.95]))
    assert percentile_interval(np.array([np.nan]), 0.9)[2] == 0
