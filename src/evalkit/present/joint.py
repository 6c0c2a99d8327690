"""The joint display of numbers and interviews, site by site (Guetterman, Fetters & Creswell
2015): the tokenism rate against the funnel limits beside how much of the interviews
dealt with tokenism, and whether the two converge or diverge.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from evalkit.i18n import LANGUAGES, format_percent, t
from evalkit.present._funnel import ALERT, funnel_sites, numeric, with_site

__all__ = ["joint_display", "joint_display_rows", "tokenism_theme"]


def _plain(text: str) -> str:
    return unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().casefold()


def tokenism_theme(themes: list[str]) -> str | None:
    """The interview theme that stands for tokenism: the top-level theme named like the
    catalogues' word for it (``Tokénisme``, ``Tokenism``; accents and case ignored)."""
    wanted = {_plain(t("quant.tokenism.title", lang)) for lang in LANGUAGES}
    for theme in themes:
        if _plain(theme) in wanted:
            return theme
    return None


def joint_display(tables: Mapping[str, pd.DataFrame], *,
                  theme: str | None = None) -> pd.DataFrame | None:
    """Numbers and interviews about tokenism, one row per site.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Released result tables: ``tokenism_rates``, ``tokenism_funnel`` (and
        ``tokenism_overdispersion``), ``code_frequencies``.
    theme : str, optional
        The top-level interview theme about tokenism; by default the theme named
        ``Tokénisme`` or ``Tokenism`` (see :func:`tokenism_theme`).

    Returns
    -------
    DataFrame or None
        None when a table or the theme is missing. Columns:

        - ``site``;
        - ``rate``, ``ci_low``, ``ci_high``: the site's tokenism rate and interval;
        - ``position``: ``above``, ``within`` or ``below`` the 95% funnel limits (adjusted
          for overdispersion when φ > 1);
        - ``theme``: the interview theme;
        - ``n_segments``, ``n_segments_total``: coded segments of the site's interviews under
          the theme, and under any top-level theme;
        - ``share_theme``: their ratio; ``share_all``: the same ratio, all sites together;
        - ``n_participants``, ``n_participants_total``: participants interviewed at the site
          who spoke of the theme, and all participants interviewed there (counts of people,
          missing where disclosure control suppressed them);
        - ``interviews``: ``more`` or ``less`` (or ``same``) than all sites together;
        - ``agreement``: ``converge`` when a site outside the limits has interviews on the
          same side, ``diverge`` when on the other side, ``none`` for sites within the limits
          or without interviews.

    Notes
    -----
    The rule is deliberately simple and stated in the report: a site is a signal in the numbers
    only when it lies outside the 95% limits; the interviews agree when the share of its coded
    interview segments that fall under the tokenism theme is higher (for a site above) or lower
    (for a site below) than the share across all sites. Segments are used rather than
    participants because a handful of interviews per site gives shares of people too coarse
    (and too small to release) to compare. Read the interviews as a direction, not a measure.
    """

    rates = with_site(tables, "tokenism_rates")
    codes = tables.get("code_frequencies")
    found = funnel_sites(tables, ALERT)
    if rates is None or codes is None or found is None or "theme" not in codes.columns:
        return None
    top = codes[numeric(codes["depth"]) == 1] if "depth" in codes.columns else codes
    theme = theme or tokenism_theme(sorted(top["theme"].dropna().astype(str).unique()))
    if theme is None:
        return None
    segments = numeric(top["n_segments"]).groupby(top["site"].astype(str)).sum()
    rows = top[top["theme"].astype(str) == theme]
    qual = pd.DataFrame({"site": rows["site"].astype(str).to_numpy(),
                         "n_segments": numeric(rows["n_segments"]).to_numpy(),
                         "n_participants": numeric(rows["n_participants"]).to_numpy(),
                         "n_participants_total": numeric(rows["n_participants_total"]).to_numpy()})
    qual["n_segments_total"] = qual["site"].map(segments).to_numpy()
    sites, _, _ = found
    quant = pd.DataFrame({"site": rates["site"].astype(str).to_numpy(),
                          "rate": numeric(rates["rate"]).to_numpy(),
                          "ci_low": numeric(rates["ci_low"]).to_numpy(),
                          "ci_high": numeric(rates["ci_high"]).to_numpy()})
    side = np.where(~sites["outside"], "within", np.where(sites["z"] > 0, "above", "below"))
    quant = quant.merge(pd.DataFrame({"site": sites["site"], "position": side}), on="site",
                        how="left")
    out = quant.merge(qual, on="site", how="left").assign(theme=theme)
    known = out.dropna(subset=["n_segments", "n_segments_total"])
    share_all = (known["n_segments"].sum() / known["n_segments_total"].sum()
                 if known["n_segments_total"].sum() > 0 else np.nan)
    out["share_theme"] = out["n_segments"] / out["n_segments_total"]
    out["share_all"] = share_all
    diff = out["share_theme"] - share_all
    out["interviews"] = np.select([diff > 1e-12, diff < -1e-12, diff.notna()],
                                  ["more", "less", "same"], default=None)
    expected = out["position"].map({"above": "more", "below": "less"})
    signal = out["position"].isin(["above", "below"]) & out["interviews"].notna()
    out["agreement"] = np.where(signal & (out["interviews"] == expected), "converge",
                                np.where(signal, "diverge", "none"))
    columns = ["site", "rate", "ci_low", "ci_high", "position", "theme", "n_segments",
               "n_segments_total", "share_theme", "share_all", "n_participants",
               "n_participants_total", "interviews", "agreement"]
    return out[columns].sort_values("site", kind="stable").reset_index(drop=True)


def joint_display_rows(joint: pd.DataFrame, *, lang: str) -> pd.DataFrame:
    """The joint display as :func:`evalkit.present.plots.joint_display_figure` draws it.

    Parameters
    ----------
    joint : DataFrame
        What :func:`joint_display` returns.
    lang : {"fr", "en"}

    Returns
    -------
    DataFrame
        ``site``, ``indicator`` (the tokenism rate's label), ``value_text`` (rate, interval
        and place against the funnel limits, in the locale), ``signal_text`` (the share of the
        site's coded segments under the theme), ``theme_text`` (the theme),
        ``verdict`` (``converge``, ``diverge`` or missing for sites that are no signal) and
        ``non_validated``.
    """

    def rate(row: Any) -> str:
        if pd.isna(row["rate"]):
            return t("reports.suppressed_symbol", lang)
        return t("reports.joint.value", lang, rate=format_percent(row["rate"], lang),
                 low=format_percent(row["ci_low"], lang), high=format_percent(row["ci_high"],
                                                                            lang))

    def share(row: Any) -> str:
        if pd.isna(row["share_theme"]):
            return "–"
        return t("reports.joint.share", lang,
                 share=format_percent(row["share_theme"], lang, decimals=0))

    def position(row: Any) -> str:
        return (t(f"reports.joint.position.{row['position']}", lang)
                if isinstance(row["position"], str) else "–")

    rows = joint.to_dict("records")
    return pd.DataFrame({
        "site": [r["site"] for r in rows],
        "indicator": t("reports.joint.indicator", lang),
        "value_text": [f"{rate(r)}\n{position(r)}" for r in rows],
        "signal_text": [share(r) for r in rows],
        "theme_text": [str(r["theme"]) for r in rows],
        "verdict": [r["agreement"] if r["agreement"] in ("converge", "diverge") else None
                    for r in rows],
        "non_validated": True,
    })
