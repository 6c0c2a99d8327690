"""Scale scores from questionnaire items, by the rules of a registered instrument.

Each respondent gets a score or a status saying why not (too few items answered, a value outside
the item's range, ...); :func:`scoring_summary` counts them so that the missing-data rule is
always reported beside the scores.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit._checks import check_choice, check_column, check_columns, check_frame
from evalkit.analyse._not_asked import not_asked_matrix
from evalkit.config.instruments import (
    Instrument,
    instrument_from_dict,
    load_instrument,
    match_items,
)
from evalkit.errors import ArgumentError, ConfigError
from evalkit.i18n import LANGUAGES, format_integer, format_number, t

__all__ = ["STATUSES", "reverse_keyed_items", "score_scale", "scoring_summary"]

#: Scoring statuses, in the order :func:`scoring_summary` lists them.
STATUSES = ("scored", "too_few_items", "out_of_range", "invalid_value", "no_conversion",
            "not_asked")
_SCORED, _TOO_FEW, _OUT, _INVALID, _NO_CONVERSION, _NOT_ASKED = range(len(STATUSES))


def score_scale(data: pd.DataFrame, *, instrument: str | Path | Mapping | Instrument,
                items: Mapping[str, str] | Sequence[str], id: str | None = None,
                subscales: bool = True, lang: str = "en",
                reverse: Sequence[str] | None = None,
                not_asked: pd.DataFrame | None = None) -> pd.DataFrame:
    """Score a scale for every respondent, by the rules of an instrument.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent; the item columns hold numeric answers (NaN when missing).
    instrument : str, pathlib.Path, dict or Instrument
        A shipped instrument's name (``'swemwbs'``, ``'wemwbs'``, ``'ascof_1a'``, ``'likert'``;
        see :func:`evalkit.config.instruments.list_instruments`), the path of a YAML definition, an
        inline definition (dict, see :func:`evalkit.config.instruments.instrument_from_dict`) or an
        :class:`~evalkit.config.instruments.Instrument`.
    items : dict or list
        The study's columns for the instrument's items: a mapping ``{item key: column}`` naming
        every item, or a list of columns in the instrument's order. For a generic instrument
        without item keys (``'likert'``), the list of columns to score.
    id : str, optional
        A respondent identifier column, copied into the result.
    subscales : bool, default True
        Also score the instrument's subscales.
    lang : {'en', 'fr'}, default 'en'
        Language of the ``reason`` texts.
    reverse : list of str, optional
        Columns among ``items`` that the study itself keys in reverse (e.g. a negatively worded
        item, declared ``reverse: true`` in the codebook), in addition to the instrument's own
        ``reverse`` items. An item named by both is reversed once.
    not_asked : DataFrame of bool, optional
        Cells empty by design, with the index of ``data`` (``ValidationReport.not_asked``, rows
        selected as ``data``'s): items asked of a subset only (skip logic). A respondent with an
        item of the scale (or subscale) not asked is not scored and not counted as
        non-response: status ``'not_asked'``. Adds ``n_not_asked``.

    Returns
    -------
    pandas.DataFrame
        One row per respondent, with the index of ``data`` (so it joins back onto it) and:

        - the ``id`` column, when given;
        - ``raw_score``: the sum or mean of item scores (after recoding and reversing; prorated
          when the instrument says so), NaN when not scored;
        - ``score``: the reported score: the converted score when the instrument has a
          conversion table (e.g. the SWEMWBS Rasch metric), else the raw score;
        - ``n_answered``: items answered; ``n_required``: items the rule requires;
          ``n_items``: items in the scale;
        - ``status``: one of :data:`STATUSES`: ``'scored'``; ``'too_few_items'`` (fewer answers
          than the rule requires); ``'out_of_range'`` (an answer outside the item's range);
          ``'invalid_value'`` (inside the range but not allowed: not a whole number, or no
          score defined for it); ``'no_conversion'`` (raw score absent from the conversion
          table: ``raw_score`` is kept, ``score`` is NaN); ``'not_asked'`` (only with
          ``not_asked``: an item of the scale was not asked of the respondent);
        - ``n_not_asked`` (only with ``not_asked``): items not asked;
        - ``reason``: why the row is not scored, in ``lang`` (empty when scored);
        - for each subscale ``s`` (when ``subscales``): ``s_score``, ``s_n_answered``,
          ``s_n_required`` and ``s_status``.

    Notes
    -----
    Item score: the answer, or ``response_scores[answer]`` when the instrument recodes answers
    (ASCOT: first option 3 ... last option 0); a reverse-keyed item scores
    ``lowest + highest − score``. The scale score is the sum or the mean of the item scores
    answered; a prorated sum is ``mean × number of items``. Values outside the item's range are
    never scored, nor silently set to missing: the row gets ``'out_of_range'`` and the reason
    names the item, the column and the value.

    Missing data: the instrument's ``min_answered`` rule (``'all'``: complete responses only,
    as SWEMWBS, WEMWBS and ASCOF 1A require; a count; or a proportion, e.g. 0.5 for the generic
    Likert mean). Report it with :func:`scoring_summary`.

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.analyse.scales import score_scale, scoring_summary
    >>> data = pd.DataFrame({"q1": [5, 3, 4], "q2": [4, 3, None], "q3": [5, 2, 4],
    ...                      "q4": [4, 3, 4], "q5": [5, 3, 4], "q6": [4, 2, 4], "q7": [5, 3, 6]})
    >>> scores = score_scale(data, instrument="swemwbs",
    ...                      items=["q1", "q2", "q3", "q4", "q5", "q6", "q7"])
    >>> scores[["raw_score", "score", "n_answered", "status"]]
       raw_score  score  n_answered         status
    0       32.0  29.31           7         scored
    1       19.0  17.98           7         scored
    2        NaN    NaN           6   out_of_range
    >>> scores.loc[2, "reason"]
    'swemwbs_7 (column q7) = 6: outside 1–5'
    """
    check_frame(data)
    lang = check_choice(lang, LANGUAGES, "lang")
    instrument = _resolve(instrument)
    keys, columns = _item_columns(data, instrument, items)
    flipped = _reversed_keys(instrument, keys, columns, reverse)
    check_column(data, id, "id", optional=True)
    x = data[columns].to_numpy(dtype=float, na_value=np.nan)
    skipped = not_asked_matrix(data, not_asked, columns)
    out = pd.DataFrame(index=data.index.copy())
    if id is not None:
        out[id] = data[id].to_numpy(copy=True)
    total = _score_block(x, keys, instrument, instrument.required(len(keys)), flipped, skipped)
    raw, status = total["raw"], total["status"]
    score = raw.copy()
    if instrument.conversion is not None:
        score, missing_in_table = _convert(raw, instrument.conversion.table)
        status = np.where((status == _SCORED) & missing_in_table, _NO_CONVERSION, status)
    out["raw_score"] = raw
    out["score"] = score
    out["n_answered"] = total["n_answered"]
    out["n_required"] = np.int64(instrument.required(len(keys)))
    out["n_items"] = np.int64(len(keys))
    if skipped is not None:
        out["n_not_asked"] = skipped.sum(axis=1).astype(np.int64)
    out["status"] = np.asarray(STATUSES, dtype=object)[status]
    out["reason"] = _reasons(status, total, x, keys, columns, raw, instrument, lang)
    if subscales:
        position = {k: i for i, k in enumerate(keys)}
        for name, sub in instrument.subscales.items():
            cols = [position[k] for k in sub.items]
            required = instrument.required(len(cols), instrument.subscale_rule(sub))
            block = _score_block(x[:, cols], sub.items, instrument, required, flipped,
                                 None if skipped is None else skipped[:, cols])
            out[f"{name}_score"] = block["raw"]
            out[f"{name}_n_answered"] = block["n_answered"]
            out[f"{name}_n_required"] = np.int64(required)
            out[f"{name}_status"] = np.asarray(STATUSES, dtype=object)[block["status"]]
    return out


def reverse_keyed_items(*, instrument: str | Path | Mapping | Instrument,
                        items: Mapping[str, str] | Sequence[str],
                        reverse: Sequence[str] | None = None) -> dict[str, tuple[float, float]]:
    """The reverse-keyed columns of a scale, each with the answer range it is reversed on.

    What :func:`score_scale` reverses, for the functions of :mod:`evalkit.analyse.reliability`
    (their ``reverse=`` argument), so that reliability and scores rest on the same keying.

    Parameters
    ----------
    instrument, items, reverse
        As in :func:`score_scale`.

    Returns
    -------
    dict
        ``{column: (low, high)}`` in the order of the items: the instrument's ``reverse`` items
        and the columns in ``reverse``, with the item's answer range from the instrument.

    Examples
    --------
    >>> from evalkit.analyse.scales import reverse_keyed_items
    >>> reverse_keyed_items(instrument={"extends": "likert", "name": "trust",
    ...                                 "items": ["t1", "t2", "t3"], "reverse": ["t2"],
    ...                                 "range": [1, 7]},
    ...                     items=["trust_a", "trust_b", "trust_c"], reverse=["trust_c"])
    {'trust_b': (1.0, 7.0), 'trust_c': (1.0, 7.0)}
    """
    instrument = _resolve(instrument)
    keys, columns = _keys_and_columns(instrument, items)
    flipped = _reversed_keys(instrument, keys, columns, reverse)
    return {column: (instrument.item_range(key).min, instrument.item_range(key).max)
            for key, column in zip(keys, columns, strict=True) if key in flipped}


def scoring_summary(scores: pd.DataFrame, *, lang: str = "en") -> pd.DataFrame:
    """How many respondents were scored, how many were not and why, with the rule applied.

    Parameters
    ----------
    scores : pandas.DataFrame
        The result of :func:`score_scale`.
    lang : {'en', 'fr'}, default 'en'
        Language of the ``label`` and ``rule`` columns.

    Returns
    -------
    pandas.DataFrame
        One row per scale (``'total'``, then each subscale) and status, every status listed
        even when no respondent has it, with columns:

        - ``scale``: ``'total'`` or the subscale's name.
        - ``status``: the status code (see :data:`STATUSES`; ``'not_asked'`` only when the
          scores were computed with ``not_asked``); ``label``: its wording in ``lang``.
        - ``n``: respondents with that status; ``proportion``: n over all respondents.
        - ``rule``: the missing-data rule applied (items required), in ``lang``.

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.analyse.scales import score_scale, scoring_summary
    >>> data = pd.DataFrame({"a": [1, 2, None, 4], "b": [2, None, None, 5], "c": [3, 3, 1, 9]})
    >>> scores = score_scale(data, instrument="likert", items=["a", "b", "c"])
    >>> scoring_summary(scores)[["status", "n", "proportion", "rule"]]
              status  n  proportion                          rule
    0         scored  2        0.50  at least 2 items answered
    1  too_few_items  1        0.25  at least 2 items answered
    2   out_of_range  1        0.25  at least 2 items answered
    3  invalid_value  0        0.00  at least 2 items answered
    4  no_conversion  0        0.00  at least 2 items answered
    """
    check_frame(scores, "scores")
    check_columns(scores, ["status", "n_required"], "scores")
    lang = check_choice(lang, LANGUAGES, "lang")
    scales = [("total", "status", "n_required")]
    scales += [(c[: -len("_status")], c, c[: -len("_status")] + "_n_required")
               for c in scores.columns if c.endswith("_status") and c != "status"]
    rows = []
    total = len(scores)
    statuses = STATUSES if "n_not_asked" in scores.columns else STATUSES[:_NOT_ASKED]
    for scale, status_col, required_col in scales:
        counts = scores[status_col].value_counts()
        required = sorted(scores[required_col].dropna().unique()) if required_col in scores else []
        rule = "; ".join(t("quant.scoring.rule", lang, n_required=format_integer(r, lang))
                         for r in required)
        for status in statuses:
            n = int(counts.get(status, 0))
            rows.append({"scale": scale, "status": status,
                         "label": t(f"quant.scoring.status.{status}", lang), "n": n,
                         "proportion": n / total if total else np.nan, "rule": rule})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Helpers


def _resolve(instrument: Any) -> Instrument:
    if isinstance(instrument, Instrument):
        return instrument
    if isinstance(instrument, Mapping):
        return instrument_from_dict(dict(instrument))
    if isinstance(instrument, str | Path):
        return load_instrument(instrument)
    raise ArgumentError("instrument must be a shipped instrument's name, a YAML path, a "
                        f"definition (dict) or an Instrument, got {type(instrument).__name__}",
                        where="instrument")


def _reversed_keys(inst: Instrument, keys: list, columns: list, reverse: Any) -> set:
    """The item keys scored in reverse: the instrument's, and those of the columns in
    ``reverse``."""
    if reverse is None:
        extra = []
    elif isinstance(reverse, str) or not isinstance(reverse, Sequence):
        raise ArgumentError(f"reverse must list item columns, got {reverse!r}", where="reverse")
    else:
        extra = list(reverse)
    unknown = [c for c in extra if c not in columns]
    if unknown:
        raise ArgumentError(f"reverse names columns that are not items of the scale: "
                            f"{', '.join(map(repr, unknown))} (items: "
                            f"{', '.join(map(repr, columns))})", where="reverse")
    by_column = dict(zip(columns, keys, strict=True))
    return set(inst.reverse) | {by_column[c] for c in extra}


def _item_columns(data: pd.DataFrame, inst: Instrument, items: Any) -> tuple[list, list]:
    """The instrument's item keys and the study's matching columns, checked."""
    keys, columns = _keys_and_columns(inst, items)
    check_columns(data, columns, "items")
    for column in columns:
        dtype = data[column].dtype
        if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            raise ArgumentError(
                f"column {column!r} is not numeric (dtype {dtype}); convert the answers "
                "to their numeric codes first", where="items")
    return keys, columns


def _keys_and_columns(inst: Instrument, items: Any) -> tuple[list, list]:
    """The instrument's item keys and the study's matching columns."""
    if isinstance(items, Mapping):
        items = dict(items)
    elif isinstance(items, Sequence) and not isinstance(items, str):
        items = list(items)
    try:
        return match_items(inst, items)
    except ConfigError as error:  # a function argument here, not a study's configuration
        raise ArgumentError(error.message, where="items") from None


def _score_block(x: np.ndarray, keys: list, inst: Instrument, required: int,
                 flipped: set, skipped: np.ndarray | None = None) -> dict:
    """Raw scores and statuses of one set of items (vectorised over respondents); a row with an
    item not asked (``skipped``) is not scored: missing by design, not non-response."""
    lo = np.array([inst.item_range(k).min for k in keys])
    hi = np.array([inst.item_range(k).max for k in keys])
    answered = ~np.isnan(x)
    outside = answered & ((x < lo) | (x > hi))
    if inst.integer:
        invalid = answered & ~outside & (x != np.round(x))
    else:
        invalid = np.zeros_like(answered)
    item_scores = np.where(answered, x, 0.0)
    if inst.response_scores:
        codes = np.array(sorted(inst.response_scores))
        values = np.array([inst.response_scores[c] for c in codes])
        pos = np.clip(np.searchsorted(codes, item_scores), 0, len(codes) - 1)
        known = codes[pos] == item_scores
        invalid |= answered & ~outside & ~known
        item_scores = np.where(answered & known, values[pos], 0.0)
    reverse = np.array([k in flipped for k in keys])
    if reverse.any():
        bounds = np.array([inst.score_bounds(k) for k in keys])
        flipped = bounds[:, 0] + bounds[:, 1] - item_scores
        item_scores = np.where(answered & reverse, flipped, item_scores)
    n_answered = answered.sum(axis=1)
    total = item_scores.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        if inst.score == "mean":
            raw = total / n_answered
        elif inst.prorate:
            raw = total * len(keys) / n_answered
        else:
            raw = total
    by_design = (skipped.any(axis=1) if skipped is not None
                 else np.zeros(len(x), dtype=bool))
    status = np.select([outside.any(axis=1), invalid.any(axis=1), by_design,
                        n_answered < required],
                       [_OUT, _INVALID, _NOT_ASKED, _TOO_FEW], _SCORED)
    raw = np.where(status == _SCORED, raw, np.nan)
    return {"raw": raw, "status": status, "n_answered": n_answered.astype(np.int64),
            "n_not_asked": (skipped.sum(axis=1) if skipped is not None
                            else np.zeros(len(x), dtype=np.int64)),
            "outside": outside, "invalid": invalid, "required": required}


def _convert(raw: np.ndarray, table: dict) -> tuple[np.ndarray, np.ndarray]:
    keys = np.array(sorted(table))
    values = np.array([table[k] for k in keys])
    pos = np.clip(np.searchsorted(keys, np.nan_to_num(raw)), 0, len(keys) - 1)
    found = np.isclose(keys[pos], raw, rtol=0, atol=1e-9)
    return np.where(found, values[pos], np.nan), ~found & ~np.isnan(raw)


def _value_text(value: float, lang: str) -> str:
    if float(value).is_integer():
        return format_integer(value, lang)
    return format_number(value, lang, decimals=2)


def _reasons(status, block, x, keys, columns, raw, inst, lang) -> np.ndarray:
    reasons = np.full(len(status), "", dtype=object)
    for code, flags, key in ((_OUT, block["outside"], "out_of_range"),
                             (_INVALID, block["invalid"], "invalid_value")):
        rows = np.flatnonzero(status == code)
        if not rows.size:
            continue
        first = flags[rows].argmax(axis=1)
        # One sentence per distinct (item, value), however many respondents share it.
        pairs = pd.MultiIndex.from_arrays([first, x[rows, first]])
        texts = {}
        for j, value in pairs.unique():
            r = inst.item_range(keys[j])
            texts[(j, value)] = t(f"quant.scoring.reason.{key}", lang, item=keys[j],
                                  column=columns[j], value=_value_text(value, lang),
                                  min=_value_text(r.min, lang), max=_value_text(r.max, lang))
        reasons[rows] = [texts[pair] for pair in pairs]
    rows = np.flatnonzero(status == _TOO_FEW)
    if rows.size:
        n_answered = block["n_answered"]
        texts = {n: t("quant.scoring.reason.too_few_items", lang,
                      n_answered=format_integer(n, lang), n_items=format_integer(len(keys), lang),
                      n_required=format_integer(block["required"], lang))
                 for n in np.unique(n_answered[rows])}
        reasons[rows] = [texts[n] for n in n_answered[rows]]
    rows = np.flatnonzero(status == _NOT_ASKED)
    if rows.size:
        texts = {n: t("quant.scoring.reason.not_asked", lang, n_not_asked=format_integer(n, lang),
                      n_items=format_integer(len(keys), lang))
                 for n in np.unique(block["n_not_asked"][rows])}
        reasons[rows] = [texts[n] for n in block["n_not_asked"][rows]]
    rows = np.flatnonzero(status == _NO_CONVERSION)
    if rows.size:
        reasons[rows] = [t("quant.scoring.reason.no_conversion", lang,
                           raw=_value_text(v, lang)) for v in raw[rows]]
    return reasons
