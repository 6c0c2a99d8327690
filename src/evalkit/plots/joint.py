"""Joint displays: the numbers of each site beside the themes of its interviews, with whether the
two converge or diverge (Guetterman, Fetters & Creswell 2015).

:func:`joint_display_table` builds the tidy table from tokenism rates and code frequencies with
an explicit rule; :func:`joint_display_figure` draws any table of that shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from evalkit._checks import check_choice, check_column, check_int, check_number
from evalkit.errors import ArgumentError
from evalkit.i18n import format_integer, format_percent, t
from evalkit.plots import _style as S

__all__ = ["JOINT_COLUMNS", "REFERENCES", "VERDICTS", "joint_display_figure",
           "joint_display_table"]

#: The columns :func:`joint_display_figure` needs (``signal_text``, ``suppressed`` and
#: ``non_validated`` are used when present).
JOINT_COLUMNS = ("indicator", "value_text", "theme_text", "verdict")
#: The verdicts of a joint display (missing: cannot be judged).
VERDICTS = ("converge", "diverge")
#: What a site's share of participants raising the code is compared with.
REFERENCES = ("pooled", "median")
_SEP = "/"


# -- the table ---------------------------------------------------------------------------------

def joint_display_table(data: pd.DataFrame, *, frequencies: pd.DataFrame, code: str,
                        site: str = "site", target: float | None = None,
                        reference: str = "pooled", n_themes: int = 2,
                        labels: Mapping[str, str] | None = None,
                        lang: str = "fr") -> pd.DataFrame:
    """Tokenism rates beside the interview themes of each site, with a converge/diverge verdict.

    Parameters
    ----------
    data : DataFrame
        Tokenism rates by site: the output of :func:`evalkit.involvement.tokenism_rates` with
        ``site=`` and no group (one row per site), possibly through disclosure control.
    frequencies : DataFrame
        Code frequencies by site: the output of :func:`evalkit.qual.code_frequencies` with
        ``group=None`` (its site column must be named as ``site``).
    code : str
        The code path or theme whose share of participants is the interviews' side of the
        comparison (e.g. the theme ``"Tokénisme"``).
    site : str, default "site"
        The site column of ``data`` and ``frequencies``.
    target : float, optional
        The tokenism rate sites are compared with (default: the pooled rate, all consulted
        people together, ``Σ n_tokenistic / Σ n_consulted``).
    reference : {"pooled", "median"}
        The share of participants raising ``code`` that sites are compared with: all the
        participants together (``Σ n_participants / Σ n_participants_total``, the default,
        which mirrors the pooled rate) or the median of the sites' shares (with a few
        participants per site, many sites can tie with the median and stay undecided).
    n_themes : int, default 2
        How many dominant codes to name per site.
    labels : dict, optional
        Display labels by code path or theme (e.g. English labels of French codes); by default
        the last part of the path.
    lang : {"fr", "en"}
        Language of the texts and number formats.

    Returns
    -------
    DataFrame
        One row per site (the sites of ``data``, then those found only in the interviews), with

        - ``site`` (named as in ``data``), ``indicator`` (the indicator's name in ``lang``);
        - ``value``, ``ci_low``, ``ci_high``: the rate and its interval; ``target``;
        - ``quant_position``: ``"above"`` or ``"below"`` the target, missing when equal or
          when the rate is missing or suppressed;
        - ``code``, ``code_label`` (its display label); ``code_share``: the share of the site's participants who raise ``code``;
          ``code_reference``: the pooled share or the median share (``reference``);
        - ``qual_position``: ``"above"`` or ``"below"`` the reference, missing when equal or
          when the site has no interviews (or its share is suppressed);
        - ``verdict``: ``"converge"``, ``"diverge"`` or missing (see Notes);
        - ``value_text``, ``signal_text``, ``theme_text``: the texts the figure shows (the rate
          with its interval; the code's share; the dominant codes with participants / total);
        - ``suppressed``: the rate is suppressed or missing; ``non_validated``: True.

    Notes
    -----
    The rule, stated once so that it can be checked:

    - a site is *above* (below) on the numbers when its rate is greater (smaller) than
      ``target``;
    - a site is *above* (below) in the interviews when the share of its participants who raise
      ``code`` is greater (smaller) than the reference share (by default all participants
      together; with ``reference="median"``, the median of the sites' shares);
    - the two **converge** when the site is on the same side on both (above and above, or below
      and below) and **diverge** when on opposite sides; the verdict is missing when either
      side is missing or exactly at its reference.

    The dominant codes of a site are its codes below theme level with the largest share of
    participants (ties: more segments first, then by path); codes nobody raised are not named.

    References
    ----------
    Guetterman, T. C., Fetters, M. D., & Creswell, J. W. (2015). Integrating quantitative and
    qualitative results in health science mixed methods research through joint displays.
    *Annals of Family Medicine*, 13(6), 554-561. https://doi.org/10.1370/afm.1865

    Examples
    --------
    >>> import pandas as pd
    >>> rates = pd.DataFrame({"site": ["A", "B", "C"], "rate": [0.6, 0.3, 0.5],
    ...                       "ci_low": [0.4, 0.2, 0.3], "ci_high": [0.8, 0.4, 0.7],
    ...                       "n_consulted": [20, 30, 10], "n_tokenistic": [12, 9, 5]})
    >>> freq = pd.DataFrame({"site": ["A", "B", "C"], "code_path": "Tokenism",
    ...                      "theme": "Tokenism", "depth": 1, "n_segments": [5, 1, 2],
    ...                      "n_participants": [4, 1, 2], "n_participants_total": 6,
    ...                      "share_participants": [4 / 6, 1 / 6, 2 / 6]})
    >>> out = joint_display_table(rates, frequencies=freq, code="Tokenism", lang="en")
    >>> out[["site", "quant_position", "qual_position", "verdict"]]
      site quant_position qual_position   verdict
    0    A          above         above  converge
    1    B          below         below  converge
    2    C          above         below   diverge
    >>> out = joint_display_table(rates, frequencies=freq, code="Tokenism", reference="median")
    >>> out["verdict"].tolist()
    ['converge', 'converge', <NA>]
    """
    data = S.require(data, ["rate", "ci_low", "ci_high"],
                     source="evalkit.involvement.tokenism_rates")
    site = check_column(data, site, "site")
    if data[site].duplicated().any():
        raise ArgumentError("data must have one row per site: call tokenism_rates without "
                            "group=, or keep one group", where="data")
    frequencies = _check_frequencies(frequencies, site, code)
    if target is not None:
        target = check_number(target, "target", minimum=0.0, maximum=1.0)
    check_choice(reference, REFERENCES, "reference")
    n_themes = check_int(n_themes, "n_themes", minimum=0)
    labels = S.check_labels(labels)
    lang = S.check_lang(lang)
    return _joint(data, frequencies, code=code, site=site, target=target,
                  reference=reference, n_themes=n_themes, labels=labels, lang=lang)


def _check_frequencies(frequencies: Any, site: str, code: Any) -> pd.DataFrame:
    frequencies = S.require(frequencies, [site, "code_path", "depth", "n_segments",
                                          "n_participants", "n_participants_total",
                                          "share_participants"],
                            param="frequencies", source="evalkit.qual.code_frequencies")
    if frequencies.duplicated([site, "code_path"]).any():
        raise ArgumentError("frequencies has several rows per site and code: call "
                            "code_frequencies with group=None", where="frequencies")
    paths = set(frequencies["code_path"])
    if code not in paths:
        shown = ", ".join(sorted(map(str, paths))[:8])
        raise ArgumentError(f"code={code!r} is not a code path or theme of frequencies "
                            f"(e.g. {shown})", where="code")
    return frequencies


def pooled_rate(data: pd.DataFrame) -> float:
    """``Σ n_tokenistic / Σ n_consulted`` over rows with both counts, else the median rate."""
    if {"n_tokenistic", "n_consulted"} <= set(data.columns):
        counts = data[["n_tokenistic", "n_consulted"]].apply(pd.to_numeric).dropna()
        if counts["n_consulted"].sum() > 0:
            return float(counts["n_tokenistic"].sum() / counts["n_consulted"].sum())
    return float(pd.to_numeric(data["rate"]).median())


def _side(value: pd.Series, reference: float | pd.Series) -> pd.Series:
    out = pd.Series(pd.NA, index=value.index, dtype="string")
    out[value > reference] = "above"
    out[value < reference] = "below"
    return out


def _label(path: Any, labels: Mapping) -> str:
    return str(labels[path]) if path in labels else str(path).rsplit(_SEP, 1)[-1]


def _themes(freq: pd.DataFrame, site: str, n_themes: int, labels: Mapping,
            lang: str) -> pd.Series:
    leaves = freq[(freq["depth"] > 1) & (freq["n_participants"] > 0)]
    leaves = leaves.sort_values([site, "share_participants", "n_segments", "code_path"],
                                ascending=[True, False, False, True], kind="stable")
    top = leaves.groupby(site, sort=False).head(n_themes)
    text = top.apply(lambda r: t("plots.joint.theme", lang, theme=_label(r["code_path"], labels),
                                 k=format_integer(r["n_participants"], lang),
                                 n=format_integer(r["n_participants_total"], lang)), axis=1)
    separator = t("plots.list_separator", lang)
    return text.groupby(top[site], sort=False).agg(separator.join) if len(top) else pd.Series(
        dtype="object")


def _reference_share(signal: pd.DataFrame, share: pd.Series, reference: str) -> float:
    if reference == "median":
        return float(share.median()) if share.notna().any() else np.nan
    counts = signal[["n_participants", "n_participants_total"]].apply(pd.to_numeric)
    counts = counts[share.reindex(signal.index).notna().to_numpy()].dropna()
    total = counts["n_participants_total"].sum()
    return float(counts["n_participants"].sum() / total) if total > 0 else np.nan


def _joint(data: pd.DataFrame, freq: pd.DataFrame, *, code: str, site: str,
           target: float | None, reference: str, n_themes: int, labels: Mapping,
           lang: str) -> pd.DataFrame:
    rates = data.set_index(site)
    sites = list(rates.index) + [s for s in pd.unique(freq[site]) if s not in rates.index]
    hidden = pd.Series(S.suppressed_rows(data, ["rate"]), index=rates.index).reindex(
        sites, fill_value=True)
    value = pd.to_numeric(rates["rate"]).reindex(sites).where(~hidden)
    target = pooled_rate(data[~hidden.reindex(data[site]).to_numpy()]) if target is None \
        else target
    signal = freq[freq["code_path"] == code].set_index(site)
    share = pd.to_numeric(signal["share_participants"]).reindex(sites)
    if "suppressed" in signal.columns:
        share = share.where(~signal["suppressed"].astype("boolean").fillna(False).reindex(
            sites, fill_value=False).to_numpy(dtype=bool))
    level = _reference_share(signal, share, reference)
    out = pd.DataFrame({site: sites})
    out["indicator"] = t("quant.tokenism.rate", lang)
    out["value"] = value.to_numpy()
    out["ci_low"] = pd.to_numeric(rates["ci_low"]).reindex(sites).where(~hidden).to_numpy()
    out["ci_high"] = pd.to_numeric(rates["ci_high"]).reindex(sites).where(~hidden).to_numpy()
    out["target"] = target
    out["quant_position"] = _side(out["value"], target).to_numpy()
    out["code"] = code
    out["code_label"] = _label(code, labels)
    out["code_share"] = share.to_numpy()
    out["code_reference"] = level
    out["qual_position"] = _side(out["code_share"], level).to_numpy()
    same = out["quant_position"] == out["qual_position"]
    verdict = pd.Series(np.where(same, "converge", "diverge"), dtype="string")
    known = out["quant_position"].notna() & out["qual_position"].notna()
    out["verdict"] = verdict.where(known.to_numpy(), pd.NA).to_numpy()
    out["value_text"] = [t("plots.suppressed", lang) if gone else
                         t("plots.joint.value", lang, value=format_percent(v, lang),
                           low=format_percent(lo, lang), high=format_percent(hi, lang))
                         for v, lo, hi, gone in zip(out["value"], out["ci_low"],
                                                    out["ci_high"], hidden, strict=True)]
    counts = signal.reindex(sites)
    interviewed = set(freq[site])
    out["signal_text"] = [
        t("plots.joint.no_interviews", lang) if s not in interviewed else
        t("plots.suppressed", lang) if pd.isna(share_s) else
        t("plots.joint.signal_value", lang, share=format_percent(share_s, lang, decimals=0),
          k=format_integer(k, lang), n=format_integer(n, lang))
        for s, share_s, k, n in zip(sites, share, counts["n_participants"],
                                    counts["n_participants_total"], strict=True)]
    themes = _themes(freq, site, n_themes, labels, lang)
    out["theme_text"] = [themes.get(s, "") if s in interviewed
                         else t("plots.joint.no_interviews", lang) for s in sites]
    out["suppressed"] = hidden.to_numpy()
    out["non_validated"] = True
    for column in ("quant_position", "qual_position", "verdict"):
        out[column] = out[column].astype("string")
    return out


# -- the figure --------------------------------------------------------------------------------

_PAD = 0.06
_LINE = S.SMALL * 1.22 / 72
_MARKS = {"converge": ("✓", S.OKABE_ITO["bluish_green"]),
          "diverge": ("✗", S.OKABE_ITO["vermillion"])}


def joint_display_figure(data: pd.DataFrame, *, site: str = "site",
                         non_validated: bool | None = None, lang: str = "fr",
                         width: float = S.MAX_WIDTH) -> Figure:
    """The joint display as a table: each site's numbers beside its interview themes.

    Parameters
    ----------
    data : DataFrame
        One row per site and indicator, with ``site``, ``indicator`` (its name),
        ``value_text`` (the number as it should read), ``theme_text`` (the themes), and
        ``verdict`` (``"converge"``, ``"diverge"`` or missing); ``signal_text`` (the
        interviews' measure beside the number) is shown in its own column when present, and
        rows flagged ``suppressed`` are greyed. :func:`joint_display_table` returns this shape.
    site : str, default "site"
        The site column.
    non_validated : bool, optional
        Mark the figure as showing a non-validated index (default: from the
        ``non_validated`` column).
    lang : {"fr", "en"}
        Language of the headers and notes.
    width : float, default 6.3
        Figure width in inches.

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    The verdict is shown with a mark, a word and a colour (✓ converge, ✗ diverge, – cannot be
    judged), so that it reads without colour. With one indicator, its name heads the value
    column; with several, an indicator column is added and each site spans several rows.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"site": ["A", "B"], "indicator": "Tokenism rate",
    ...                       "value_text": ["60.0% (40.0% to 80.0%)", "30.0% (20.0% to 40.0%)"],
    ...                       "theme_text": ["Consultation without effect (4/6)", "Being heard (3/6)"],
    ...                       "verdict": ["converge", "diverge"]})
    >>> fig = joint_display_figure(table, lang="en")
    >>> sorted(text.get_text() for text in fig.axes[0].texts if text.get_gid() == "evalkit-verdict")
    ['✓ Converge', '✗ Diverge']
    """
    data = S.require(data, JOINT_COLUMNS, source="joint_display_table")
    site = check_column(data, site, "site")
    odd = set(data["verdict"].dropna().astype(str)) - set(VERDICTS)
    if odd:
        raise ArgumentError(f"data['verdict'] must be 'converge', 'diverge' or missing; got "
                            f"{', '.join(sorted(odd))}", where="data")
    tag = S.wants_non_validated(data, non_validated)
    lang, width = S.check_lang(lang), S.check_width(width)
    with S.styled():
        return _draw(data, site, tag=tag, lang=lang, width=width)


def _columns(data: pd.DataFrame, lang: str) -> list[tuple[str, str, float]]:
    """(column of data, header, share of the width) in drawing order."""
    indicators = pd.unique(data["indicator"].astype(str))
    columns = [("_site", t("common.site", lang), 0.07)]
    if len(indicators) > 1:
        columns.append(("indicator", t("plots.joint.indicator", lang), 0.16))
        columns.append(("value_text", t("plots.joint.value_header", lang), 0.2))
    else:
        columns.append(("value_text", str(indicators[0]), 0.22))
    if "signal_text" in data.columns:
        named = [c for c in ("code_label", "code") if c in data.columns
                 and data[c].notna().any()]
        code = str(data[named[0]].dropna().iloc[0]).rsplit(_SEP, 1)[-1] if named else ""
        header = t("plots.joint.signal", lang, code=code) if code \
            else t("plots.joint.signal_plain", lang)
        columns.append(("signal_text", header, 0.15))
    columns.append(("verdict", t("plots.joint.verdict", lang), 0.17))
    used = sum(share for *_, share in columns)
    columns.insert(len(columns) - 1, ("theme_text", t("plots.joint.themes", lang), 1 - used))
    return columns


def _verdict_text(verdict: Any, lang: str) -> tuple[str, str]:
    if pd.isna(verdict):
        return f"– {t('plots.joint.undecided', lang)}", S.MUTED
    mark, colour = _MARKS[str(verdict)]
    return f"{mark} {t(f'plots.joint.{verdict}', lang)}", colour


def _texts(rows: pd.DataFrame, columns: list, widths: list, first: np.ndarray,
           lang: str) -> tuple[list[str], list[list[tuple[str, str | None]]]]:
    """The wrapped header and cell texts (with the verdict's colour) of the table."""
    # Bold headers are about 12 % wider than the text the character estimate is made for.
    header = [S.wrap(head, int(S.chars_for(w - 2 * _PAD, S.SMALL) * 0.88))
              for (_, head, _), w in zip(columns, widths, strict=True)]
    cells = []
    for i, row in rows.iterrows():
        texts = []
        for (name, _, _), w in zip(columns, widths, strict=True):
            if name == "verdict":
                texts.append(_verdict_text(row["verdict"], lang))
                continue
            value = "" if name == "_site" and not first[i] else row[name]
            texts.append((S.wrap("" if pd.isna(value) else value,
                                 S.chars_for(w - 2 * _PAD, S.SMALL)), None))
        cells.append(texts)
    return header, cells


def _draw(data: pd.DataFrame, site: str, *, tag: bool, lang: str, width: float) -> Figure:
    columns = _columns(data, lang)
    widths = [share * (width - 0.1) for *_, share in columns]
    rows = data.assign(_site=data[site].astype(str)).reset_index(drop=True)
    first = ~rows[site].duplicated().to_numpy()
    hidden = (rows["suppressed"].astype("boolean").fillna(False).to_numpy(dtype=bool)
              if "suppressed" in rows.columns else np.zeros(len(rows), dtype=bool))
    header, cells = _texts(rows, columns, widths, first, lang)
    head_h = max(map(S.n_lines, header)) * _LINE + 2 * _PAD
    row_h = [max(S.n_lines(text) or 1 for text, _ in texts) * _LINE + 2 * _PAD
             for texts in cells]
    top_band = 0.2 if tag else 0.05
    height = top_band + head_h + sum(row_h) + 0.05
    fig = Figure(figsize=(width, height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set(xlim=(0, width), ylim=(0, height))
    ax.axis("off")
    xs = np.concatenate([[0.05], 0.05 + np.cumsum(widths)])
    y = height - top_band
    for x, text in zip(xs, header, strict=False):
        ax.text(x + _PAD, y - _PAD, text, ha="left", va="top", fontsize=S.SMALL,
                fontweight="bold", gid="evalkit-header")
    y -= head_h
    ax.plot([xs[0], xs[-1]], [y, y], color=S.TEXT, lw=0.8)
    for i, (texts, h) in enumerate(zip(cells, row_h, strict=True)):
        if first[i] and i:
            ax.plot([xs[0], xs[-1]], [y, y], color="#CCCCCC", lw=0.6)
        for (name, _, _), x, (text, colour) in zip(columns, xs, texts, strict=False):
            grey = hidden[i] and name == "value_text"
            ax.text(x + _PAD, y - _PAD, text, ha="left", va="top", fontsize=S.SMALL,
                    color=colour or (S.MUTED if grey else S.TEXT),
                    style="italic" if grey else "normal",
                    fontweight="bold" if name in ("_site", "verdict") else "normal",
                    gid="evalkit-verdict" if name == "verdict" else f"evalkit-cell-{name}")
        y -= h
    ax.plot([xs[0], xs[-1]], [y, y], color=S.TEXT, lw=0.8)
    if tag:
        ax.text(width - 0.1, height - 0.04, t("common.non_validated", lang), ha="right",
                va="top", fontsize=S.SMALL, style="italic", color=S.OKABE_ITO["vermillion"],
                gid="evalkit-non-validated")
    notes = [t("plots.joint.note", lang)]
    if hidden.any():
        notes.append(S.suppressed_note(lang))
    S.add_notes(fig, notes)
    return fig
