"""The demo study: a synthetic multi-site, two-wave study with known true values.

:func:`simulate_responses` draws the data; :func:`make_demo_study` writes a complete study folder
in the messy formats real studies arrive in (a French-Excel CSV, an SPSS file), with the values
planted in it written to ``README.md`` and ``truth.json`` so that analyses can be checked against
them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from evalkit._checks import check_choice, check_int, rng
from evalkit.datasets import _demo_files as files
from evalkit.datasets import _vocabulary as V
from evalkit.datasets._vocabulary import LADDER_ITEMS, WELLBEING_ITEMS
from evalkit.datasets.interviews import interview_codebook, make_demo_interviews
from evalkit.read.qda.write import write_qdpx

__all__ = ["DEMO_SEED", "DemoData", "make_demo_study", "simulate_responses"]

#: The seed the committed demo study was generated with.
DEMO_SEED = 20261122

GROUPS = ("user", "carer", "staff")
OUTCOME_ITEMS = [item for group in V.OUTCOMES.values() for item, _, _ in group]
AGREE_AT = 4
MET_AT = 3

# Planted parameters (documented in the generated README).
_BASELINE_RATING_P = np.array([0.15, 0.35, 0.35, 0.15])  # Talking Points ratings 1-4
_CHANGE_A = 0.40            # P(+1) = A + eta/2, P(-1) = A - eta/2 for each outcome item
_BETA_LATENT = 0.10         # effect of one ladder rung on eta
_SITE_SD_LATENT = 0.10      # between-site SD of eta
_PERSON_SD = 0.05           # person-level SD of eta beyond the item draws
_WB_LOADING = 0.70          # loading of each wellbeing item on the latent wellbeing
_WB_THRESHOLDS = np.array([-1.6, -0.6, 0.4, 1.4])
_MISSING_P = {8: 0.02, 9: 0.01}
_FOLLOW_UP_P = {"user": 0.85, "carer": 0.80, "staff": 0.90}
_SHRINK = 1.0 - (_BASELINE_RATING_P[0] + _BASELINE_RATING_P[-1]) / 2.0


@dataclass
class DemoData:
    """What :func:`simulate_responses` draws: typed responses with raw missing codes."""

    responses: pd.DataFrame
    population: pd.DataFrame
    partners: pd.DataFrame
    sites: pd.DataFrame
    truth: dict[str, Any]


def _site_codes(n_sites: int) -> list[str]:
    if n_sites <= 26:
        return [chr(ord("A") + i) for i in range(n_sites)]
    return [f"S{i + 1:03d}" for i in range(n_sites)]


def _likert_from(endorsed: np.ndarray, gen: np.random.Generator) -> np.ndarray:
    """Agreement 4-5 for an endorsed rung, 1-3 otherwise."""
    high = gen.choice([4, 5], size=endorsed.shape, p=[0.55, 0.45])
    low = gen.choice([1, 2, 3], size=endorsed.shape, p=[0.30, 0.40, 0.30])
    return np.where(endorsed, high, low).astype("float64")


def _with_missing_codes(values: np.ndarray, gen: np.random.Generator) -> np.ndarray:
    u = gen.random(values.shape)
    out = values.copy()
    out[u < _MISSING_P[8]] = 8
    out[(u >= _MISSING_P[8]) & (u < _MISSING_P[8] + _MISSING_P[9])] = 9
    return out


def _zip_poisson(lam: np.ndarray, pi: float, gen: np.random.Generator) -> np.ndarray:
    return np.where(gen.random(lam.shape) < pi, 0, gen.poisson(lam))


def simulate_responses(*, n_sites: int = 8, n_per_site: int = 150, waves: int = 2,
                       seed: int = DEMO_SEED) -> DemoData:
    """Draw a synthetic multi-site study with planted involvement, tokenism and outcome effects.

    Parameters
    ----------
    n_sites : int
        Number of sites (letters A, B, ... up to 26, then S001, S002, ...).
    n_per_site : int
        Respondents per site at baseline (about 60 % users, 20 % carers, 20 % staff; the last
        site has only 3 carers, a group below the usual suppression threshold).
    waves : int
        Number of waves (1 or more); follow-up response rates are 85 % (users), 80 % (carers)
        and 90 % (staff).
    seed : int
        Seed of the random draws: the same seed gives the same study.

    Returns
    -------
    DemoData
        ``responses`` (one row per respondent and wave, raw codes 8 = don't know and 9 = refused
        kept), ``population`` (site, dimension, level, count), ``partners`` (partner, site,
        level), ``sites`` (the planted site parameters) and ``truth`` (the planted values).

    Notes
    -----
    Tokenism is planted exactly: among users consulted (``inv_consulted`` at least 4), the
    probability of no influence (``inv_influence`` below 4) is the site's tokenism rate. The
    change of each Talking Points item between waves is -1, 0 or +1 with
    ``P(+1) = 0.4 + eta/2`` and ``P(-1) = 0.4 - eta/2`` (ratings clipped to 1-4), where
    ``eta = beta * (rung - 2) + u_site + e``: on the observed scale the mean change of the 15
    items rises by ``beta * (1 - (p1 + p4) / 2)`` per ladder rung (p1 and p4 the baseline shares
    of ratings 1 and 4), which is the value ``truth`` reports.
    """
    n_sites = check_int(n_sites, "n_sites", minimum=1, maximum=5000)
    n_per_site = check_int(n_per_site, "n_per_site", minimum=10)
    waves = check_int(waves, "waves", minimum=1, maximum=10)
    gen = rng(seed)
    sites = _site_parameters(n_sites, gen)
    people = _people(sites, n_per_site, gen)
    frames = [_wave(people, sites, wave, gen) for wave in range(1, waves + 1)]
    responses = pd.concat(frames, ignore_index=True)
    population = _population(sites, gen)
    partners = _partners(sites, gen)
    truth = _truth(sites, waves, n_per_site)
    truth["planted_names_in_comments"] = _planted_names(responses["comment"])
    return DemoData(responses=responses, population=population, partners=partners,
                    sites=sites, truth=truth)


def _site_parameters(n_sites: int, gen: np.random.Generator) -> pd.DataFrame:
    codes = _site_codes(n_sites)
    tokenism = 0.25 + 0.35 * gen.random(n_sites)
    if n_sites >= 4:
        tokenism[n_sites - 2] = 0.80  # a planted high-tokenism site
    return pd.DataFrame({
        "site": codes,
        "p_consulted": 0.55 + 0.30 * gen.random(n_sites),
        "tokenism_rate": tokenism,
        "change_effect": gen.normal(0.0, _SITE_SD_LATENT, n_sites),
        "peers_rate": 0.5 + 2.0 * gen.random(n_sites),
        "community_rate": 0.3 + 2.7 * gen.random(n_sites),
        "integration_mean": 1.8 + 2.4 * gen.random(n_sites),
        "population_users": gen.integers(800, 4000, n_sites),
    })


def _people(sites: pd.DataFrame, n_per_site: int, gen: np.random.Generator) -> pd.DataFrame:
    n_sites = len(sites)
    counts = {"user": round(n_per_site * 0.6), "carer": round(n_per_site * 0.2)}
    counts["staff"] = n_per_site - counts["user"] - counts["carer"]
    parts = []
    for s, code in enumerate(sites["site"]):
        per = dict(counts)
        if s == n_sites - 1 and n_sites >= 2:  # a group below the suppression threshold
            per["user"] += per["carer"] - 3
            per["carer"] = 3
        groups = np.repeat(list(per), list(per.values()))
        parts.append(pd.DataFrame({"site": code, "respondent_type": groups}))
    people = pd.concat(parts, ignore_index=True)
    n = len(people)
    within = people.groupby("site").cumcount() + 1
    people.insert(0, "respondent_id", people["site"] + "-" + within.map("{:04d}".format))
    is_user = (people["respondent_type"] == "user").to_numpy()
    is_staff = (people["respondent_type"] == "staff").to_numpy()
    site_idx = people["site"].map({c: i for i, c in enumerate(sites["site"])}).to_numpy()
    # Respondents are older than the population they come from (a reason to rake weights).
    age_p_users = [0.10, 0.17, 0.25, 0.30, 0.18]
    age_p_other = [0.22, 0.30, 0.30, 0.15, 0.03]
    ages = [a for a, _, _ in V.AGE_GROUPS]
    people["age_group"] = np.where(is_user, gen.choice(ages, n, p=age_p_users),
                                   gen.choice(ages, n, p=age_p_other))
    people["sex"] = np.where(gen.random(n) < np.where(is_staff, 0.75, 0.60), "F", "M")
    # Involvement as the respondent sees it (staff: as they see the users they serve).
    p_consulted = sites["p_consulted"].to_numpy()[site_idx] + np.where(is_staff, 0.15, 0.0)
    consulted = gen.random(n) < np.clip(p_consulted, 0, 0.98)
    no_influence = sites["tokenism_rate"].to_numpy()[site_idx] - np.where(is_staff, 0.20, 0.0)
    influence = np.where(consulted, gen.random(n) >= np.clip(no_influence, 0.02, 1),
                         gen.random(n) < 0.05)
    informed = gen.random(n) < np.where(consulted, 0.95, 0.60)
    partnership = gen.random(n) < np.where(influence, 0.50, 0.04)
    control = gen.random(n) < np.where(partnership, 0.35, 0.02)
    endorsed = np.column_stack([informed, consulted, influence, partnership, control])
    for j, item in enumerate(LADDER_ITEMS):
        people[f"_endorse_{item}"] = endorsed[:, j]
    people["_wellbeing"] = gen.normal(0.0, 1.0, n) + np.where(is_user, -0.2, 0.1)
    people["_eta_person"] = gen.normal(0.0, _PERSON_SD, n)
    people["_site_idx"] = site_idx
    names = (pd.Series(gen.choice(V.FIRST_NAMES, n)) + " "
             + pd.Series(gen.choice(V.LAST_NAMES, n))).to_numpy(dtype=object)
    people["contact_name"] = np.where(is_staff | (gen.random(n) < 0.3), None, names)
    # Networks (users): paid people always, peers and ordinary citizens zero-inflated.
    peers_rate = sites["peers_rate"].to_numpy()[site_idx]
    community_rate = sites["community_rate"].to_numpy()[site_idx]
    people["net_paid"] = np.where(is_user, 1 + gen.poisson(2.0, n), np.nan)
    people["net_peers"] = np.where(is_user, _zip_poisson(peers_rate, 0.35, gen), np.nan)
    people["net_community"] = np.where(is_user, _zip_poisson(community_rate, 0.30, gen), np.nan)
    return people


def _placement(items: np.ndarray) -> np.ndarray:
    """Highest rung endorsed (1-5) among the items answered, 0 when none is endorsed."""
    endorsed = (items >= AGREE_AT) & (items <= 5)
    ranks = np.where(endorsed, np.arange(1, items.shape[1] + 1), 0)
    return ranks.max(axis=1)


def _wave(people: pd.DataFrame, sites: pd.DataFrame, wave: int,
          gen: np.random.Generator) -> pd.DataFrame:
    if wave == 1:
        present = np.ones(len(people), dtype=bool)
    else:
        p = people["respondent_type"].map(_FOLLOW_UP_P).to_numpy()
        present = gen.random(len(people)) < p
        if "_present" in people:
            present &= people["_present"].to_numpy()
    people["_present"] = present
    frame = people.loc[present].copy()
    n = len(frame)
    is_user = (frame["respondent_type"] == "user").to_numpy()
    has_wellbeing = (frame["respondent_type"] != "staff").to_numpy()
    frame.insert(2, "wave", wave)
    start = pd.Timestamp(f"{2024 + wave}-03-01")
    frame["response_date"] = start + pd.to_timedelta(gen.integers(0, 75, n), unit="D")
    ladder = np.column_stack([
        _likert_from(frame[f"_endorse_{item}"].to_numpy(), gen) for item in LADDER_ITEMS])
    ladder = _with_missing_codes(ladder, gen)
    for j, item in enumerate(LADDER_ITEMS):
        frame[item] = ladder[:, j]
    if wave == 1:
        people.loc[present, "_rung"] = _placement(ladder)
    # Talking Points outcomes (users): baseline draws, then -1/0/+1 changes per wave.
    if wave == 1:
        base = gen.choice([1, 2, 3, 4], size=(len(people), len(OUTCOME_ITEMS)),
                          p=_BASELINE_RATING_P).astype("float64")
        people[[f"_tp_{i}" for i in OUTCOME_ITEMS]] = base
    else:
        rung = people["_rung"].to_numpy()
        eta = (_BETA_LATENT * (rung - 2.0)
               + sites["change_effect"].to_numpy()[people["_site_idx"].to_numpy()]
               + people["_eta_person"].to_numpy())
        eta = eta[:, None]
        u = gen.random((len(people), len(OUTCOME_ITEMS)))
        step = np.where(u < _CHANGE_A + eta / 2, 1.0,
                        np.where(u < 2 * _CHANGE_A, -1.0, 0.0))
        # u in [A + eta/2, 2A) gives -1 with probability A - eta/2.
        cols = [f"_tp_{i}" for i in OUTCOME_ITEMS]
        people[cols] = np.clip(people[cols].to_numpy() + step, 1, 4)
    tp = people.loc[present, [f"_tp_{i}" for i in OUTCOME_ITEMS]].to_numpy().copy()
    tp[gen.random(tp.shape) < 0.02] = np.nan
    tp[~is_user] = np.nan
    for j, item in enumerate(OUTCOME_ITEMS):
        frame[item] = tp[:, j]
    latent = frame["_wellbeing"].to_numpy()[:, None]
    y = _WB_LOADING * latent + math.sqrt(1 - _WB_LOADING**2) * gen.normal(size=(n, 7))
    wb = (np.searchsorted(_WB_THRESHOLDS, y) + 1).astype("float64")
    wb[gen.random(wb.shape) < 0.015] = np.nan
    wb[~has_wellbeing] = np.nan
    for j, item in enumerate(WELLBEING_ITEMS):
        frame[item] = wb[:, j]
    hours = np.round(gen.gamma(2.0, 2.2, n), 1)
    frame["hours_support"] = np.where(has_wellbeing, hours, np.nan)
    frame["comment"] = _comments(frame, gen)
    keep = ["respondent_id", "site", "wave", "respondent_type", "age_group", "sex",
            "response_date", "contact_name", *LADDER_ITEMS, *OUTCOME_ITEMS, *WELLBEING_ITEMS,
            "net_paid", "net_peers", "net_community", "hours_support", "comment"]
    out = frame[keep].reset_index(drop=True)
    if wave > 1:
        out[["net_paid", "net_peers", "net_community"]] = np.nan
    return out


def _comments(frame: pd.DataFrame, gen: np.random.Generator) -> list[str | None]:
    """About a quarter of users and carers comment; about 6 % plant invented identifiers."""
    n = len(frame)
    staff = (frame["respondent_type"] == "staff").to_numpy()
    u = gen.random(n)
    english = gen.random(n) < 0.2
    ordinary_fr = gen.integers(0, len(V.COMMENTS_FR), n)
    ordinary_en = gen.integers(0, len(V.COMMENTS_EN), n)
    out: list[str | None] = [None] * n
    for i in np.flatnonzero(~staff & (u <= 0.25) & (u >= 0.06)):
        out[i] = V.COMMENTS_EN[ordinary_en[i]] if english[i] else V.COMMENTS_FR[ordinary_fr[i]]
    for i in np.flatnonzero(~staff & (u < 0.06)):
        templates = V.PLANTED_EN if english[i] else V.PLANTED_FR
        first, last = gen.choice(V.FIRST_NAMES), gen.choice(V.LAST_NAMES)
        phone = f"{gen.choice(V.AREA_CODES)}-555-{gen.integers(100, 200):04d}"
        email = (f"{_ascii(str(first)).lower()}.{_ascii(str(gen.choice(V.LAST_NAMES))).lower()}"
                 "@example.org")
        out[i] = str(templates[gen.integers(0, len(templates))]).format(
            name=f"{first} {last}", phone=phone, email=email, postal=gen.choice(V.POSTAL_CODES))
    return out


def _planted_names(comments: pd.Series) -> list[str]:
    """The invented full names written into comments (first and last names of the vocabulary)."""
    import re

    pattern = re.compile(r"\b(?:{})\s+(?:{})\b".format("|".join(V.FIRST_NAMES),
                                                     "|".join(V.LAST_NAMES)))
    found = comments.dropna().str.findall(pattern).explode().dropna()
    return sorted(set(found))


def _ascii(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _population(sites: pd.DataFrame, gen: np.random.Generator) -> pd.DataFrame:
    rows = []
    ages = [a for a, _, _ in V.AGE_GROUPS]
    age_p = np.array([0.18, 0.22, 0.26, 0.22, 0.12])
    for code, total in zip(sites["site"], sites["population_users"], strict=True):
        p = gen.dirichlet(age_p * 60)
        counts = np.floor(p * total).astype(int)
        counts[-1] += total - counts.sum()
        rows += [(code, "age_group", a, int(c)) for a, c in zip(ages, counts, strict=True)]
        female = int(round(total * (0.52 + 0.06 * gen.random())))
        rows += [(code, "sex", "F", female), (code, "sex", "M", int(total - female))]
    return pd.DataFrame(rows, columns=["site", "dimension", "level", "count"])


def _partners(sites: pd.DataFrame, gen: np.random.Generator) -> pd.DataFrame:
    rows = []
    for code, mean in zip(sites["site"], sites["integration_mean"], strict=True):
        for k in range(int(gen.integers(4, 8))):
            level = int(np.clip(np.round(gen.normal(mean, 0.8)), 1, 5))
            rows.append((f"{code}-P{k + 1:02d}", code, level))
    return pd.DataFrame(rows, columns=["partner", "site", "level"])


def _traffic_light_shares(peers_rate: float, community_rate: float) -> dict[str, float]:
    p_no_peers = 0.35 + 0.65 * math.exp(-peers_rate)
    p_no_community = 0.30 + 0.70 * math.exp(-community_rate)
    return {"red": p_no_peers * p_no_community,
            "orange": (1 - p_no_peers) * p_no_community,
            "green": 1 - p_no_community}


def _expected_alpha(n: int = 400_000, seed: int = 1) -> float:
    """Population Cronbach's alpha of the 7 discretised wellbeing items (large simulation)."""
    gen = np.random.default_rng(seed)
    latent = gen.normal(size=(n, 1))
    y = _WB_LOADING * latent + math.sqrt(1 - _WB_LOADING**2) * gen.normal(size=(n, 7))
    items = (np.searchsorted(_WB_THRESHOLDS, y) + 1).astype("float64")
    cov = np.cov(items, rowvar=False)
    k = cov.shape[0]
    return float(k / (k - 1) * (1 - np.trace(cov) / cov.sum()))


def _truth(sites: pd.DataFrame, waves: int, n_per_site: int) -> dict[str, Any]:
    per_site = {}
    for row in sites.itertuples():
        per_site[row.site] = {
            "tokenism_rate_users": round(float(row.tokenism_rate), 4),
            "p_consulted_users": round(float(row.p_consulted), 4),
            "change_site_effect": round(float(row.change_effect * _SHRINK), 4),
            "traffic_light": {k: round(v, 4) for k, v in
                              _traffic_light_shares(row.peers_rate, row.community_rate).items()},
            "integration_mean_level": round(float(row.integration_mean), 3),
            "population_users": int(row.population_users),
        }
    return {
        "seed_note": "values planted by evalkit.datasets.simulate_responses",
        "n_sites": len(sites),
        "n_per_site": n_per_site,
        "waves": waves,
        "agree_at": AGREE_AT,
        "met_at": MET_AT,
        "involvement_effect_per_rung": round(_BETA_LATENT * _SHRINK, 4),
        "involvement_effect_note": "mean change of the 15 Talking Points items (1-4 scale) per "
                                   "ladder rung (highest rung endorsed at baseline, users)",
        "between_site_sd_of_change": round(_SITE_SD_LATENT * _SHRINK, 4),
        "staff_minus_user_tokenism": -0.20,
        "staff_extra_consulted": 0.15,
        "expected_cronbach_alpha_wellbeing": round(_expected_alpha(), 3),
        "wellbeing_loading": _WB_LOADING,
        "missing_codes": {"8": "ne sait pas / don't know", "9": "refus / refused"},
        "missing_code_rates": {"8": _MISSING_P[8], "9": _MISSING_P[9]},
        "follow_up_response_rates": _FOLLOW_UP_P,
        "small_group": {"site": str(sites["site"].iloc[-1]), "group": "carer", "n": 3}
        if len(sites) >= 2 else None,
        "high_tokenism_site": str(sites["site"].iloc[-2]) if len(sites) >= 4 else None,
        "sites": per_site,
    }


def make_demo_study(path: str | Path, *, n_sites: int = 8, n_per_site: int = 150, waves: int = 2,
                    seed: int = DEMO_SEED, formats: str = "messy") -> Path:
    """Write a complete demo study folder at ``path`` and return the path of its ``study.yaml``.

    Parameters
    ----------
    path : str or Path
        Folder to write (created; existing files of the same names are replaced).
    n_sites, n_per_site, waves, seed
        See :func:`simulate_responses`.
    formats : {"messy", "plain"}
        ``"messy"`` writes the formats real studies arrive in: wave 1 as a French-Excel CSV
        (cp1252, ``;``, decimal comma, day-first dates, CRLF), wave 2 as an SPSS ``.sav`` file with
        value labels and user-missing codes, further waves as UTF-8 CSV. ``"plain"`` writes every
        wave as UTF-8 CSV (faster, for large generated studies).

    Returns
    -------
    Path
        The written ``study.yaml``.

    Examples
    --------
    >>> import tempfile
    >>> from evalkit.datasets import make_demo_study
    >>> study_file = make_demo_study(tempfile.mkdtemp(), n_sites=3, n_per_site=20)
    >>> study_file.name
    'study.yaml'
    """

    check_choice(formats, ("messy", "plain"), "formats")
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    demo = simulate_responses(n_sites=n_sites, n_per_site=n_per_site, waves=waves, seed=seed)
    sources = files.write_waves(folder, demo.responses, formats=formats)
    demo.population.to_csv(folder / "population.csv", index=False, lineterminator="\n")
    demo.partners.to_csv(folder / "partners.csv", index=False, lineterminator="\n")
    sites = list(demo.sites["site"])
    demo.truth["interviews"] = _write_interviews(folder / "interviews.qdpx", demo.sites, seed)
    files.write_codebook(folder / "codebook.yaml", sites=sites, waves=waves)
    names = sorted(set(demo.truth["planted_names_in_comments"]) | {
        p["value"] for p in demo.truth["interviews"]["planted_identifiers"] if p["kind"] == "name"})
    files.write_study(folder / "study.yaml", sources=sources, waves=waves,
                      interviews=[{"path": "interviews.qdpx"}], names=names)
    (folder / "truth.json").write_text(
        json.dumps(demo.truth, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
        encoding="utf-8")
    files.write_readme(folder / "README.md", demo.truth, n_rows=len(demo.responses),
                       sources=sources, seed=seed)
    return folder / "study.yaml"


def _write_interviews(path: Path, sites: pd.DataFrame, seed: int) -> dict[str, Any]:
    """Coded interviews at every site, written as a REFI-QDA project; returns their truths.

    Sites are ordered so that the interviews' integrated site is the survey's most integrated
    site and their tokenism site is the survey's planted high-tokenism site: numbers and
    interviews converge there, as a joint display should show.
    """

    codes = list(sites["site"])
    integrated = codes[int(np.argmax(sites["integration_mean"].to_numpy()))]
    order = [integrated]
    if len(codes) >= 4 and codes[-2] != integrated:
        order.append(codes[-2])
    order += [c for c in codes if c not in order]
    documents, segments, truth = make_demo_interviews(sites=order, seed=seed + 1)
    write_qdpx(path, documents=documents, segments=segments, codes=interview_codebook(),
               origin="evalkit demo")
    keep = ("agreement", "observed_agreement", "n_units_double_coded", "double_coded",
            "tokenism_site", "integrated_site", "lang_share_en", "share_double_coded",
            "planted_identifiers")
    return {k: truth[k] for k in keep}


def _yaml_dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
