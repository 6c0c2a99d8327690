"""Independent reference computations for the study zoo: what a run of a zoo study should release,
recomputed from the study's raw files with pandas, pyreadstat, patsy and scipy only (no evalkit
call), from the names and file settings the zoo writes in ``truth.json``.

- :func:`read_survey`: every survey file, stacked, missing codes as NaN;
- :func:`tokenism_by_site`: measured respondents at baseline, tokenism rate by site with Wilson intervals;
- :func:`alpha_reversed`: Cronbach's alpha of the wellbeing items, negative items reversed;
- :func:`change_data` and :func:`mixed_slope`: the outcome change per user and the slope of the
  ladder rung in a random-intercept model per site;
- :func:`counts_by_site_group`: respondents by site, wave and respondent group.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
from scipy import stats


def load_truth(folder: Path) -> dict:
    return json.loads((Path(folder) / "truth.json").read_text(encoding="utf-8"))


def read_survey(folder: Path) -> pd.DataFrame:
    """The survey files of a zoo study stacked, with ``_file`` the file each row comes from."""
    folder = Path(folder)
    truth = load_truth(folder)
    names = truth["names"]
    frames = []
    for spec in truth["files"]["survey"]:
        path = folder / spec["path"]
        if spec["format"] == "csv":
            frame = pd.read_csv(path, sep=spec["sep"], decimal=spec["decimal"],
                                encoding=spec["encoding"], dtype={names["id"]: str})
        elif spec["format"] == "xlsx":
            frame = pd.read_excel(path, sheet_name=spec["sheet"], dtype={names["id"]: str})
        else:  # SPSS: user-missing codes (8, 9) are read as NaN
            frame, _ = pyreadstat.read_sav(path, user_missing=False)
            frame = frame.replace("", np.nan)
        if spec.get("staff"):
            frame[names["group"]] = spec["group"]
            frame = frame.rename(columns=spec.get("columns", {}))  # own names → the study's
        frame["_file"] = spec["path"]
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    out[names["id"]] = out[names["id"]].astype(str).str.replace(r"\.0$", "", regex=True)
    if all(isinstance(w, int) for w in truth["waves"]):
        out[names["wave"]] = out[names["wave"]].astype(float).astype(int)
    return out


def _baseline_users(responses: pd.DataFrame, truth: dict) -> pd.DataFrame:
    names = truth["names"]
    users = responses[names["group"]] == truth["groups"]["user"]
    return responses[users & (responses[names["wave"]] == truth["waves"][0])]


def _baseline_measured(responses: pd.DataFrame, truth: dict) -> pd.DataFrame:
    """Baseline respondents whose own involvement is measured: the users when the study
    declares ``perception`` (zoo studies with staff do), else every respondent (the documented
    default)."""
    if truth["shape"]["staff"] != "none":
        return _baseline_users(responses, truth)
    names = truth["names"]
    return responses[responses[names["wave"]] == truth["waves"][0]]


def wilson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson's (1927) score interval for k events out of n."""
    if n == 0:
        return math.nan, math.nan
    z = stats.norm.ppf(0.5 + confidence / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def tokenism_by_site(responses: pd.DataFrame, truth: dict, confidence: float = 0.95, *,
                     users_only: bool = False) -> pd.DataFrame:
    """Measured respondents at baseline: consulted (voice ≥ agree_at) with influence answered;
    tokenistic when influence < agree_at (``users_only``: the users whatever the study declares).
    One row per site: n_consulted, n_tokenistic, rate, ci_low, ci_high."""
    names, agree = truth["names"], truth["agree_at"]
    base = (_baseline_users if users_only else _baseline_measured)(responses, truth)
    voice, influence = base[truth["voice"]], base[truth["influence"]]
    consulted = (voice >= agree) & influence.notna()
    rows = []
    for site, part in base[consulted].groupby(names["site"], sort=True):
        n = len(part)
        k = int((part[truth["influence"]] < agree).sum())
        low, high = wilson(k, n, confidence)
        rows.append({"site": site, "n_consulted": n, "n_tokenistic": k, "rate": k / n,
                     "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows)


def sites_without_a_level(folder: Path, responses: pd.DataFrame, truth: dict) -> set[str]:
    """Sites whose baseline users (age and sex answered) leave a population level with people
    empty: no raking can reach that margin, so the site has no weighted rate."""
    names = truth["names"]
    spec = truth["files"]["population"]
    population = pd.read_csv(Path(folder) / spec["path"]).rename(columns=spec.get("columns", {}))
    base = _baseline_users(responses, truth).dropna(subset=[names["age"], names["sex"]])
    seen = {(str(site), dim, str(level))
            for dim in (names["age"], names["sex"])
            for site, level in zip(base[names["site"]], base[dim], strict=True)}
    wanted = population[population["count"] > 0]
    return {str(site) for site, dim, level in zip(wanted[names["site"]], wanted["dimension"],
                                                   wanted["level"], strict=True)
            if (str(site), dim, str(level)) not in seen}


def alpha_reversed(responses: pd.DataFrame, truth: dict) -> tuple[float, int]:
    """Cronbach's alpha of the wellbeing items at baseline, complete answers only, the
    negatively worded items reversed (low + high − x). Returns (alpha, n)."""
    return cronbach_alpha(_baseline(responses, truth)[truth["names"]["wellbeing"]],
                          reverse=truth["reversed_items"], low_high=truth["wellbeing_range"])


def _baseline(responses: pd.DataFrame, truth: dict) -> pd.DataFrame:
    return responses[responses[truth["names"]["wave"]] == truth["waves"][0]]


def cronbach_alpha(items: pd.DataFrame, *, reverse=(), low_high=None) -> tuple[float, int]:
    """α = k/(k−1) · (1 − Σ var(item) / var(total)), complete rows, variances with n − 1."""
    x = items.dropna().astype(float).copy()
    for column in reverse:
        low, high = low_high if low_high is not None else (x.min().min(), x.max().max())
        x[column] = low + high - x[column]
    k = x.shape[1]
    return float(k / (k - 1) * (1 - x.var(ddof=1).sum() / x.sum(axis=1).var(ddof=1))), len(x)


def change_data(responses: pd.DataFrame, truth: dict) -> pd.DataFrame:
    """One row per user at baseline: rung (highest ladder item ≥ agree_at among those answered,
    0 when none, NaN when none answered), tokenistic (NaN when unknown) and the mean change of
    the outcome items rated at both baseline and first follow-up (NaN when under half are)."""
    names, agree = truth["names"], truth["agree_at"]
    users = responses[responses[names["group"]] == truth["groups"]["user"]]
    base = users[users[names["wave"]] == truth["waves"][0]].set_index(names["id"])
    follow = users[users[names["wave"]] == truth["waves"][1]].set_index(names["id"])
    ladder = base[names["ladder"]].to_numpy(dtype=float)
    answered = ~np.isnan(ladder)
    rung = np.where(ladder >= agree, np.arange(1, ladder.shape[1] + 1), 0).max(axis=1)
    rung = np.where(answered.any(axis=1), rung, np.nan)
    voice, influence = base[truth["voice"]], base[truth["influence"]]
    consulted = voice >= agree
    tokenistic = np.where(voice.isna(), np.nan,
                          np.where(~consulted, 0.0,
                                   np.where(influence.isna(), np.nan,
                                            (influence < agree).astype(float))))
    items = names["outcomes"]
    after = follow.reindex(base.index)[items].to_numpy(dtype=float)
    before = base[items].to_numpy(dtype=float)
    both = ~np.isnan(before) & ~np.isnan(after)
    n_both = both.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        change = np.where(both, after - before, 0.0).sum(axis=1) / n_both
    change = np.where(n_both >= math.ceil(len(items) / 2), change, np.nan)
    return pd.DataFrame({"site": base[names["site"]].to_numpy(), "rung": rung,
                         "tokenistic": tokenistic, "change": change}, index=base.index)


def mixed_slope(data: pd.DataFrame, *, formula: str = "change ~ rung + tokenistic",
                group: str = "site") -> pd.DataFrame:
    """Fixed effects of a random-intercept model by REML, complete rows: the restricted
    likelihood profiled over γ = τ²/σ² ≥ 0 (closed-form GLS for each γ, maximised by scipy on a
    bounded interval, the boundary γ = 0 included), standard errors σ̂²(X'V̂⁻¹X)⁻¹ as lme4's.
    Columns: term, estimate, std_error; ``attrs`` hold tau2 and sigma2."""
    from patsy import dmatrices
    from scipy import optimize

    rows = data.dropna()
    y, x = dmatrices(formula, rows, return_type="dataframe")
    groups = [np.flatnonzero(rows[group].to_numpy() == g) for g in pd.unique(rows[group])]
    yv, xv = y.to_numpy()[:, 0], x.to_numpy()
    n, p = xv.shape

    def gls(gamma: float):
        xtx, xty, yty, logdet = np.zeros((p, p)), np.zeros(p), 0.0, 0.0
        for idx in groups:
            xg, yg = xv[idx], yv[idx]
            c = gamma / (1 + len(idx) * gamma)
            sx, sy = xg.sum(axis=0), yg.sum()
            xtx += xg.T @ xg - c * np.outer(sx, sx)
            xty += xg.T @ yg - c * sx * sy
            yty += yg @ yg - c * sy * sy
            logdet += math.log1p(len(idx) * gamma)
        beta = np.linalg.solve(xtx, xty)
        rss = yty - xty @ beta
        return beta, rss, xtx, logdet

    def minus_reml(log_gamma: float) -> float:
        gamma = math.exp(log_gamma) if log_gamma > -30 else 0.0
        _, rss, xtx, logdet = gls(gamma)
        return 0.5 * ((n - p) * math.log(rss) + logdet + np.linalg.slogdet(xtx)[1])

    best = optimize.minimize_scalar(minus_reml, bounds=(-30, 10), method="bounded",
                                    options={"xatol": 1e-10})
    gamma = math.exp(best.x) if minus_reml(best.x) < minus_reml(-31) else 0.0
    beta, rss, xtx, _ = gls(gamma)
    sigma2 = rss / (n - p)
    se = np.sqrt(np.diag(sigma2 * np.linalg.inv(xtx)))
    out = pd.DataFrame({"term": list(x.columns), "estimate": beta, "std_error": se})
    out.attrs.update(tau2=gamma * sigma2, sigma2=sigma2)
    return out


def counts_by_site_group(responses: pd.DataFrame, truth: dict) -> pd.DataFrame:
    """Respondents by site, wave and respondent group: columns site, wave, group, n."""
    names = truth["names"]
    counts = responses.groupby([names["site"], names["wave"], names["group"]]).size()
    return counts.rename("n").reset_index().rename(columns={
        names["site"]: "site", names["wave"]: "wave", names["group"]: "group"})


def outcome_change_by_item(responses: pd.DataFrame, truth: dict, *, follow_up) -> pd.DataFrame:
    """Users' change in each outcome item from baseline to ``follow_up``, people rated at both
    waves: columns outcome, n_paired, mean_change."""
    names = truth["names"]
    users = responses[responses[names["group"]] == truth["groups"]["user"]]
    base = users[users[names["wave"]] == truth["waves"][0]].set_index(names["id"])
    after = users[users[names["wave"]] == follow_up].set_index(names["id"])
    rows = []
    for item in names["outcomes"]:
        pair = pd.concat([base[item].rename("before"), after[item].rename("after")],
                         axis=1, join="inner").dropna()
        rows.append({"outcome": item, "n_paired": len(pair),
                     "mean_change": float((pair["after"] - pair["before"]).mean())})
    return pd.DataFrame(rows)
