"""Joint displays: the numbers of each site beside the themes of its interviews, with whether the
two converge or diverge (Guetterman, Fetters & Creswell 2015).

:func:`joint_display_figure` draws the display; the rule that says where numbers and
interviews converge is :func:`evalkit.present.joint_display` (the same in notebooks and in the
brief), and :func:`evalkit.present.joint.joint_display_rows` gives the figure its rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from evalkit._checks import check_column
from evalkit.errors import ArgumentError
from evalkit.i18n import t
from evalkit.present.plots import _style as S

__all__ = ["JOINT_COLUMNS", "VERDICTS", "joint_display_figure"]

#: The columns :func:`joint_display_figure` needs (``signal_text``, ``suppressed`` and
#: ``non_validated`` are used when present).
JOINT_COLUMNS = ("indicator", "value_text", "theme_text", "verdict")
#: The verdicts of a joint display (missing: cannot be judged).
VERDICTS = ("converge", "diverge")
_SEP = "/"


_PAD = 0.06
_LINE = S.SMALL * 1.22 / 72
_MARKS = {"converge": ("✓", S.OKABE_ITO["bluish_green"]),
          "diverge": ("✗", S.OKABE_ITO["vermillion"])}


@S.figure_docs
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
        rows flagged ``suppressed`` are greyed. :func:`evalkit.present.joint.joint_display_rows`
        returns this shape.
    site : str, default "site"
        The site column.
    non_validated : bool, optional
        Mark the figure as showing a non-validated index (default: from the
        ``non_validated`` column).
    {lang_width}

    {returns_figure}

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
    data = S.require(data, JOINT_COLUMNS, source="evalkit.present.joint.joint_display_rows")
    site = check_column(data, site, "site")
    odd = set(data["verdict"].dropna().astype(str)) - set(VERDICTS)
    if odd:
        raise ArgumentError(f"data['verdict'] must be 'converge', 'diverge' or missing; got "
                            f"{', '.join(sorted(odd))}", where="data")
    tag = S.wants_non_validated(data, non_validated)
    lang, width = S.check_lang(lang), S.check_width(width)
    with S.styled():
        return _draw(data, site, tag=tag, lang=lang, width=width)


def _site_share(names: Any, table_width: float) -> float:
    """The share of the table's width the site column takes: its widest name in bold, or,
    when a whole name would take more than a fifth, its widest part that cannot break (a word,
    or words joined by no-break spaces: names then wrap), up to three tenths; never less than
    the 7 % a site's code needs."""
    names = [str(n) for n in pd.unique(pd.Series(names).dropna().astype(str))]
    whole = max((S.text_width(n, weight="bold") for n in names), default=0.0)
    word = max((S.text_width(w, weight="bold") for n in names for w in S.unbroken(n)),
               default=0.0)
    if S.room_for(whole) + 2 * _PAD <= 0.2 * table_width:
        return max(0.07, (S.room_for(whole) + 2 * _PAD) / table_width)
    return min(max(0.2, (S.room_for(word) + 2 * _PAD) / table_width), 0.3)


def _columns(data: pd.DataFrame, lang: str, site_share: float = 0.07
             ) -> list[tuple[str, str, float]]:
    """(column of data, header, share of the width) in drawing order."""
    indicators = pd.unique(data["indicator"].astype(str))
    columns = [("_site", t("common.site", lang), site_share)]
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
    header = [S.fit(head, w - 2 * _PAD, weight="bold")
              for (_, head, _), w in zip(columns, widths, strict=True)]
    cells = []
    for i, row in rows.iterrows():
        texts = []
        for (name, _, _), w in zip(columns, widths, strict=True):
            if name == "verdict":
                texts.append(_verdict_text(row["verdict"], lang))
                continue
            value = "" if name == "_site" and not first[i] else row[name]
            texts.append((S.fit("" if pd.isna(value) else value, w - 2 * _PAD,
                                weight="bold" if name == "_site" else "normal"), None))
        cells.append(texts)
    return header, cells


def _draw(data: pd.DataFrame, site: str, *, tag: bool, lang: str, width: float) -> Figure:
    columns = _columns(data, lang, _site_share(data[site], width - 0.1))
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
