"""Two-step polychoric correlations and one-factor fits, vectorised over many tables at once.

Used by :mod:`evalkit.analyse.reliability` for point estimates (one table per pair of items) and for
bootstrap intervals (one table per pair and resample), which is why everything here works on
stacks of tables and matrices.
"""

from __future__ import annotations

import numpy as np

from evalkit._lazy import lazy_module

# Heavy: imported on first use, so that a notebook that only shows released tables does not
# pay for them.
special = lazy_module("scipy.special")

# Correlations are kept inside [-RHO_MAX, RHO_MAX]; an estimate that reaches this bound is a
# boundary solution (a perfect ordinal association).
RHO_MAX = 1.0 - 1e-7
# Thresholds are clipped to ±8 (Φ(-8) ≈ 6e-16): an empty category at either end of the scale
# has an infinite threshold, which would otherwise turn differences of probabilities into NaN.
TAU_CLIP = 8.0
_TWO_PI = 2.0 * np.pi


def thresholds(marginals: np.ndarray) -> np.ndarray:
    """Thresholds Φ⁻¹(cumulative proportion) from category counts ``(..., C)`` → ``(..., C-1)``."""
    cumulative = np.cumsum(marginals, axis=-1)
    total = cumulative[..., -1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        tau = special.ndtri(cumulative[..., :-1] / total)
    return np.clip(tau, -TAU_CLIP, TAU_CLIP)


def bvn_cdf(h: np.ndarray, k: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Standard bivariate normal P(X ≤ h, Y ≤ k) with correlation r, by Owen's T function.

    Φ₂(h, k; r) = ½[Φ(h) + Φ(k)] − T(h, a_h) − T(k, a_k) − β, with
    a_h = (k − r h) / (h √(1 − r²)), a_k = (h − r k) / (k √(1 − r²)), and β = ½ when h and k
    have opposite signs, else 0 (Owen 1956, doi:10.1214/aoms/1177728074). Exact zeros are moved
    by 1e-12, which changes the probability by less than 1e-12.
    """
    h = np.where(h == 0.0, 1e-12, h)
    k = np.where(k == 0.0, 1e-12, k)
    s = np.sqrt((1.0 - r) * (1.0 + r))
    beta = np.where(h * k < 0.0, 0.5, 0.0)
    return (0.5 * (special.ndtr(h) + special.ndtr(k))
            - special.owens_t(h, (k - r * h) / (h * s))
            - special.owens_t(k, (h - r * k) / (k * s)) - beta)


def _corner_grids(rho, tx, ty):
    """Φ₂, φ₂ and ∂φ₂/∂ρ at the inner threshold corners, shape (m, Cx-1, Cy-1)."""
    h = tx[:, :, None]
    k = ty[:, None, :]
    r = rho[:, None, None]
    one_minus = (1.0 - r) * (1.0 + r)
    q = h * h - 2.0 * r * h * k + k * k
    pdf = np.exp(-q / (2.0 * one_minus)) / (_TWO_PI * np.sqrt(one_minus))
    dlog = r / one_minus + h * k / one_minus - q * r / one_minus**2
    return bvn_cdf(h, k, r), pdf, pdf * dlog


def _cells(inner, row_edge, col_edge, corner):
    """Cell masses from a grid of cumulative values at the inner corners and the outer edges."""
    m, a, b = inner.shape
    grid = np.zeros((m, a + 2, b + 2))
    grid[:, 1:-1, 1:-1] = inner
    grid[:, 1:-1, -1] = row_edge
    grid[:, -1, 1:-1] = col_edge
    grid[:, -1, -1] = corner
    return grid[:, 1:, 1:] - grid[:, :-1, 1:] - grid[:, 1:, :-1] + grid[:, :-1, :-1]


def cell_probabilities(rho, tx, ty, derivatives=False):
    """Cell probabilities π (m, Cx, Cy) of the discretised bivariate normal, and dπ/dρ, d²π/dρ²."""
    cdf, pdf, dpdf = _corner_grids(rho, tx, ty)
    m = len(rho)
    pi = _cells(cdf, special.ndtr(tx), special.ndtr(ty), np.ones(m))
    if not derivatives:
        return pi
    zx, zy, z = np.zeros(tx.shape), np.zeros(ty.shape), np.zeros(m)
    return pi, _cells(pdf, zx, zy, z), _cells(dpdf, zx, zy, z)


def _loglik(tables, pi):
    used = tables > 0
    return np.sum(np.where(used, tables * np.log(np.where(used, np.maximum(pi, 1e-300), 1.0)),
                           0.0), axis=(1, 2))


def _start(tables):
    """Pearson correlation of the category ranks in each table: a starting value."""
    m, a, b = tables.shape
    n = tables.sum(axis=(1, 2))
    i = np.arange(a, dtype=float)[None, :, None]
    j = np.arange(b, dtype=float)[None, None, :]
    mi = (tables * i).sum(axis=(1, 2)) / n
    mj = (tables * j).sum(axis=(1, 2)) / n
    vi = (tables * i**2).sum(axis=(1, 2)) / n - mi**2
    vj = (tables * j**2).sum(axis=(1, 2)) / n - mj**2
    cij = (tables * i * j).sum(axis=(1, 2)) / n - mi * mj
    with np.errstate(invalid="ignore", divide="ignore"):
        r = cij / np.sqrt(vi * vj)
    return np.clip(np.nan_to_num(r), -0.9, 0.9)


def fit_rho(tables: np.ndarray, tx: np.ndarray, ty: np.ndarray, *, tol: float = 1e-10,
            max_iter: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-likelihood ρ of each table given its thresholds (the second step).

    Parameters
    ----------
    tables : ndarray (m, Cx, Cy)
        Cross-tabulated counts.
    tx, ty : ndarray (m, Cx-1), (m, Cy-1)
        Thresholds of the row and column variables (fixed: the first step).

    Returns
    -------
    rho : ndarray (m,)
        Estimates in [-RHO_MAX, RHO_MAX]; NaN for tables with fewer than two non-empty rows or
        columns (no information about ρ).
    converged : ndarray of bool (m,)

    Notes
    -----
    Newton's method on ℓ(ρ) = Σ n_ab log π_ab(ρ) with the exact first and second derivatives
    (∂Φ₂/∂ρ = φ₂), falling back on Fisher scoring where ℓ is not concave, with step halving so
    that ℓ never decreases; all tables are iterated together.
    """
    m = tables.shape[0]
    informative = ((tables.sum(axis=2) > 0).sum(axis=1) >= 2) & \
                  ((tables.sum(axis=1) > 0).sum(axis=1) >= 2)
    rho = _start(tables)
    total = tables.sum(axis=(1, 2))
    active = informative.copy()
    converged = np.zeros(m, dtype=bool)
    for _ in range(max_iter):
        if not active.any():
            break
        a = np.flatnonzero(active)
        t, r = tables[a], rho[a]
        pi, d1, d2 = cell_probabilities(r, tx[a], ty[a], derivatives=True)
        safe = np.maximum(pi, 1e-300)
        ratio = np.where(t > 0, d1 / safe, 0.0)
        score = np.sum(t * ratio, axis=(1, 2))
        hess = np.sum(np.where(t > 0, t * (d2 / safe - ratio**2), 0.0), axis=(1, 2))
        fisher = total[a] * np.sum(np.where(pi > 1e-300, d1**2 / safe, 0.0), axis=(1, 2))
        curvature = np.where(hess < 0, -hess, np.maximum(fisher, 1e-12))
        step = score / curvature
        old = _loglik(t, pi)
        new_r = np.clip(r + step, -RHO_MAX, RHO_MAX)
        for _ in range(40):
            new_ll = _loglik(t, cell_probabilities(new_r, tx[a], ty[a]))
            worse = new_ll < old - 1e-12 * np.abs(old)
            if not worse.any():
                break
            new_r = np.where(worse, r + (new_r - r) / 2.0, new_r)
        done = np.abs(new_r - r) < tol
        rho[a] = new_r
        converged[a[done]] = True
        active[a[done]] = False
    rho[~informative] = np.nan
    converged[~informative] = True
    return rho, converged


def one_factor_uls(corr: np.ndarray, *, tol: float = 1e-12, max_iter: int = 200
                   ) -> tuple[np.ndarray, np.ndarray]:
    """One-factor loadings minimising Σ_{i<j} (r_ij − λ_i λ_j)² (minres / ULS), batched.

    Parameters
    ----------
    corr : ndarray (m, k, k)
        Correlation matrices.

    Returns
    -------
    loadings : ndarray (m, k)
        Oriented so that their sum is positive.
    converged : ndarray of bool (m,)

    Notes
    -----
    Starts from the first principal axis of R with squared multiple correlations on its
    diagonal, then takes Newton steps on the off-diagonal least-squares criterion (exact
    gradient and Hessian), with backtracking; where the Hessian is not positive definite, the
    fixed-point step λ_i ← Σ_{j≠i} r_ij λ_j / Σ_{j≠i} λ_j² (iterated principal axes) is used.
    """
    m, k, _ = corr.shape
    off = ~np.eye(k, dtype=bool)
    try:
        smc = 1.0 - 1.0 / np.diagonal(np.linalg.inv(corr), axis1=1, axis2=2)
    except np.linalg.LinAlgError:
        smc = np.full((m, k), 0.5)
    smc = np.clip(np.nan_to_num(smc, nan=0.5), 0.05, 1.0)
    reduced = corr.copy()
    reduced[:, np.arange(k), np.arange(k)] = smc
    values, vectors = np.linalg.eigh(reduced)
    lam = vectors[:, :, -1] * np.sqrt(np.maximum(values[:, -1:], 1e-6))

    def objective(lam_):
        resid = corr - lam_[:, :, None] * lam_[:, None, :]
        return 0.5 * np.sum(np.where(off, resid**2, 0.0), axis=(1, 2))

    converged = np.zeros(m, dtype=bool)
    f = objective(lam)
    for _ in range(max_iter):
        resid = np.where(off, corr - lam[:, :, None] * lam[:, None, :], 0.0)
        grad = -2.0 * np.einsum("mij,mj->mi", resid, lam)
        if np.all(np.abs(grad).max(axis=1) < tol):
            converged[:] = True
            break
        sq = lam**2
        hess = -2.0 * corr + 4.0 * lam[:, :, None] * lam[:, None, :]
        hess[:, np.arange(k), np.arange(k)] = 2.0 * (sq.sum(axis=1, keepdims=True) - sq)
        try:
            newton = -np.linalg.solve(hess, grad[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            newton = np.full_like(lam, np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            fixed = (np.einsum("mij,mj->mi", np.where(off, corr, 0.0), lam)
                     / (sq.sum(axis=1, keepdims=True) - sq)) - lam
        descent = np.isfinite(newton).all(axis=1) & (np.sum(newton * grad, axis=1) < 0)
        step = np.where(descent[:, None], newton, np.nan_to_num(fixed))
        for _ in range(40):
            trial = lam + step
            f_new = objective(trial)
            worse = f_new > f + 1e-15
            if not worse.any():
                break
            step = np.where(worse[:, None], step / 2.0, step)
        accept = f_new <= f + 1e-15
        lam = np.where(accept[:, None], trial, lam)
        f = np.where(accept, f_new, f)
    small_grad = np.abs(-2.0 * np.einsum(
        "mij,mj->mi", np.where(off, corr - lam[:, :, None] * lam[:, None, :], 0.0), lam
    )).max(axis=1) < max(tol, 1e-8)
    converged |= small_grad
    lam = lam * np.where(lam.sum(axis=1, keepdims=True) < 0, -1.0, 1.0)
    return lam, converged
