"""The bootstrap engine: resampling counts, and percentile and BCa intervals.

Rows are compressed into their distinct response patterns with counts; a bootstrap resample of the
rows is then a vector of multinomial counts over the patterns, generated exactly and in chunks
whose size bounds the memory used. Units that each occur once (the units of agreement data) are
the case where every count is 1.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from evalkit._lazy import lazy_module

# Heavy: imported on first use, so that a notebook that only shows released tables does not
# pay for them.
stats = lazy_module("scipy.stats")

__all__ = ["bca_interval", "compress_rows", "multinomial_counts", "percentile_interval"]

# Patterns seen at most this many times get their Poisson counts by table inversion; the few
# patterns seen more often use NumPy's Poisson sampler.
_TABLE_MAX = 100
# Relative cost of inverting one uniform by binary search against one vectorised comparison pass:
# used to choose, for each count, the window of levels compared in bulk.
_SEARCH_COST = 50.0
# Below this many patterns, NumPy's multinomial sampler (one binomial draw per pattern) is
# cheaper than Poisson draws plus the per-resample correction to the total.
_DIRECT_MAX = 2000
# Cells (patterns × resamples) generated at once: about 32 MB of float64 counts per chunk.
_CHUNK_CELLS = 4_000_000


def compress_rows(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of ``x`` (missing values equal to each other) and how often each occurs.

    Parameters
    ----------
    x : ndarray of shape (n, k)
        Finite floats or NaN.

    Returns
    -------
    patterns : ndarray of shape (p, k)
        The distinct rows, NaN where the row has a missing value, ordered by increasing count
        (the order :func:`multinomial_counts` expects).
    counts : ndarray of shape (p,)
        How many rows of ``x`` equal each pattern (int64, summing to n).
    """
    k = x.shape[1]
    lo, hi = (np.nanmin(x), np.nanmax(x)) if not np.isnan(x).all() else (0.0, 0.0)
    base = hi - lo + 2  # one digit per value, plus 0 for "missing"
    patterns = None
    if k * np.log2(max(base, 2)) < 62:
        digits = x - lo + 1
        np.nan_to_num(digits, copy=False, nan=0.0)
        whole = digits.astype(np.int64)
        if np.array_equal(whole, digits):
            codes = whole @ (np.int64(base) ** np.arange(k, dtype=np.int64))
            _, first, counts = np.unique(codes, return_index=True, return_counts=True)
            patterns = x[first]
    if patterns is None:
        # Infinity stands for "missing" while rows are compared (the data are finite).
        filled = np.where(np.isnan(x), np.inf, x)
        patterns, counts = np.unique(filled, axis=0, return_counts=True)
        patterns[np.isinf(patterns)] = np.nan
    order = np.argsort(counts, kind="stable")
    return patterns[order], counts[order].astype(np.int64)


class _PoissonCounts:
    """Independent Poisson(c_p) draws for patterns sorted by their count c_p."""

    def __init__(self, counts: np.ndarray) -> None:
        values, starts = np.unique(counts, return_index=True)
        bounds = np.append(starts, len(counts))
        small = values <= _TABLE_MAX
        # Groups of patterns sharing a small count, each with its inversion table and window.
        self.groups = []
        for g in np.flatnonzero(small):
            c = float(values[g])
            # Beyond c + 12√c + 25 the Poisson tail is below 1e-20; levels that round to 1
            # can never be passed by a uniform draw in [0, 1).
            cdf = stats.poisson.cdf(np.arange(int(c + 12 * np.sqrt(c) + 25)), c)
            cdf = cdf[cdf < 1.0]
            self.groups.append((bounds[g], bounds[g + 1], cdf, *_window(cdf)))
        self.large_from = bounds[np.count_nonzero(small)]
        self.large = counts[self.large_from:].astype(np.float64)

    def draw(self, out: np.ndarray, rng: np.random.Generator) -> None:
        """Fill ``out`` (patterns × resamples, column-major) with Poisson counts."""
        b = out.shape[1]
        for s, e, cdf, lo, hi in self.groups:
            # Inversion: the count is the number of cumulative probabilities the uniform
            # passes. Levels lo..hi-1 are compared in bulk; the rare uniforms outside that
            # window are inverted by binary search.
            u = rng.random((e - s) * b)
            acc = np.full(u.shape, lo, dtype=np.uint8 if len(cdf) < 255 else np.uint16)
            flag = np.empty(u.shape, dtype=bool)
            for level in cdf[lo:hi]:
                np.greater_equal(u, level, out=flag)
                acc += flag
            outside = u >= cdf[hi - 1] if hi < len(cdf) else np.zeros(u.shape, dtype=bool)
            if lo > 0:
                outside |= u < cdf[lo - 1]
            idx = np.flatnonzero(outside)
            acc[idx] = np.searchsorted(cdf, u[idx], side="right")
            out[s:e] = acc.reshape(b, e - s).T
        if self.large.size:
            out[self.large_from:] = rng.poisson(self.large, size=(b, self.large.size)).T


def _window(cdf: np.ndarray) -> tuple[int, int]:
    """The levels [lo, hi) to compare in bulk that minimise the expected cost per draw."""
    n = len(cdf)
    lo = np.arange(n)[:, None]
    hi = np.arange(1, n + 1)[None, :]
    below = np.where(lo > 0, cdf[np.maximum(lo - 1, 0)], 0.0)
    above = np.where(hi < n, 1.0 - cdf[hi - 1], 0.0)
    cost = np.where(hi > lo, (hi - lo) + _SEARCH_COST * (below + above), np.inf)
    i, j = np.unravel_index(np.argmin(cost), cost.shape)
    return int(i), int(j + 1)


def multinomial_counts(counts: np.ndarray, n_boot: int, rng: np.random.Generator,
                       *, chunk_cells: int = _CHUNK_CELLS) -> Iterator[np.ndarray]:
    """Bootstrap resampling counts over response patterns, in chunks.

    Each column of each yielded array is one bootstrap resample of the ``n = counts.sum()`` rows,
    written as how many times each pattern was drawn: exactly Multinomial(n, counts / n).

    Parameters
    ----------
    counts : ndarray of shape (p,)
        Pattern counts sorted in increasing order (as returned by :func:`compress_rows`).
    n_boot : int
        Number of resamples in all.
    rng : numpy.random.Generator
        The source of randomness.
    chunk_cells : int
        Upper bound on patterns × resamples generated at once (memory bound).

    Yields
    ------
    ndarray of shape (p, b), float64, column-major
        Resampling counts of ``b`` resamples (the chunks' ``b`` sum to ``n_boot``).

    Notes
    -----
    When every pattern occurs once (n = p), each resample is n indices drawn with replacement
    and counted: n draws instead of p binomial or Poisson draws and a correction. Otherwise,
    with few patterns (at most 2,000) NumPy's multinomial sampler is used directly; beyond,
    drawing a Poisson(n) number N of rows with replacement gives independent Poisson(c_p) pattern
    counts, and given N those N draws are independent. Poisson counts are drawn per pattern
    (by table inversion for rare patterns, which is fast); then, in each resample, N − n draws
    chosen uniformly at random are removed when N > n, or n − N fresh draws are added when N < n.
    What remains is n independent draws from the rows, so the counts are exactly multinomial,
    at a cost proportional to the number of distinct patterns rather than to n.
    """
    counts = np.asarray(counts, dtype=np.int64)
    n = int(counts.sum())
    p = len(counts)
    once = n == p
    direct = p <= _DIRECT_MAX
    if not (once or direct):
        poisson = _PoissonCounts(counts)
        cumulative = np.cumsum(counts)
    width = max(1, min(n_boot, chunk_cells // max(p, 1)))
    done = 0
    while done < n_boot:
        b = min(width, n_boot - done)
        if once:
            draws = rng.integers(0, n, size=(b, n)) + (np.arange(b) * n)[:, None]
            w = np.bincount(draws.ravel(), minlength=b * n).reshape(b, n).astype(np.float64).T
        elif direct:
            w = rng.multinomial(n, counts / n, size=b).T.astype(np.float64, order="F")
        else:
            w = np.empty((p, b), dtype=np.float64, order="F")
            poisson.draw(w, rng)
            for j in range(b):
                _condition_on_total(w[:, j], n, cumulative, rng)
        done += b
        yield w


def _condition_on_total(column: np.ndarray, n: int, cumulative: np.ndarray,
                        rng: np.random.Generator) -> None:
    """Turn Poisson pattern counts into n draws: remove or add uniformly chosen draws."""
    total = int(column.sum())
    if total > n:
        # Remove total - n of the drawn rows, chosen without replacement.
        drawn = rng.choice(total, size=total - n, replace=False)
        which = np.searchsorted(np.cumsum(column), drawn, side="right")
        np.subtract.at(column, which, 1.0)
    elif total < n:
        extra = rng.integers(0, n, size=n - total)
        which = np.searchsorted(cumulative, extra, side="right")
        np.add.at(column, which, 1.0)


def percentile_interval(values: np.ndarray, confidence: float) -> tuple[float, float, int]:
    """Percentile bootstrap interval of the finite ``values``: (low, high, number used)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.nan, np.nan, 0
    tail = (1 - confidence) / 2
    low, high = np.quantile(finite, [tail, 1 - tail])
    return float(low), float(high), int(finite.size)


def bca_interval(values: np.ndarray, estimate: float, jackknife: np.ndarray,
                 confidence: float) -> tuple[float, float, int]:
    """Bias-corrected and accelerated (BCa) bootstrap interval: (low, high, number used).

    Parameters
    ----------
    values : ndarray
        The bootstrap replicates of the statistic (non-finite ones are left out).
    estimate : float
        The statistic on the data.
    jackknife : ndarray
        The statistic with each unit left out in turn (non-finite ones are left out).
    confidence : float
        The confidence level.

    Notes
    -----
    The bias correction is :math:`z_0 = \\Phi^{-1}(\\hat p)`, with :math:`\\hat p` the share
    of replicates below the estimate, ties counting half (statistics such as kappa take few
    values); the acceleration is
    :math:`a = \\sum_i (\\bar\\theta - \\theta_{(i)})^3 / (6 [\\sum_i (\\bar\\theta -
    \\theta_{(i)})^2]^{3/2})` from the jackknife values :math:`\\theta_{(i)}`; the interval
    is the replicates' quantiles at :math:`\\Phi(z_0 + (z_0 + z_q)/(1 - a(z_0 + z_q)))` for
    :math:`z_q` the normal quantiles of the two tails (Efron 1987; Efron & Tibshirani 1993,
    §14.3). Without a usable jackknife, :math:`a = 0` (the bias-corrected interval); where
    :math:`1 - a(z_0 + z_q) \\le 0`, the bound is the extreme replicate.

    References
    ----------
    Efron, B. (1987). Better bootstrap confidence intervals. *Journal of the American
    Statistical Association*, 82(397), 171–185. https://doi.org/10.1080/01621459.1987.10478410
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0 or not np.isfinite(estimate):
        return np.nan, np.nan, 0
    share = (np.count_nonzero(finite < estimate) + 0.5 * np.count_nonzero(finite == estimate)
             ) / finite.size
    share = min(max(share, 0.5 / finite.size), 1 - 0.5 / finite.size)
    z0 = stats.norm.ppf(share)
    jack = jackknife[np.isfinite(jackknife)]
    deviation = jack.mean() - jack if jack.size >= 2 else np.zeros(1)
    spread = float((deviation ** 2).sum())
    accel = float((deviation ** 3).sum()) / (6 * spread ** 1.5) if spread > 0 else 0.0
    tail = (1 - confidence) / 2
    z = stats.norm.ppf([tail, 1 - tail])
    denominator = 1 - accel * (z0 + z)
    # An acceleration so strong that the map turns back: the interval reaches the extremes.
    levels = np.where(denominator > 0,
                      stats.norm.cdf(z0 + (z0 + z) / np.where(denominator > 0, denominator, 1)),
                      [0.0, 1.0])
    low, high = np.quantile(finite, levels)
    return float(low), float(high), int(finite.size)
