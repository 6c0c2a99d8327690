"""Typing raw columns against the codebook, vectorised, with a status per cell.

Readers keep cells as they are in the file (text for CSV); this module turns a column into typed
values and says, for every cell, whether it is valid, empty, a declared missing code, of the wrong
type, outside the codebook, or an undeclared missing code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.config.codebook import Codebook, Variable
from evalkit.read import parse_numbers

# Cell statuses (small integers so that a whole column is one int8 array).
VALID, EMPTY, MISSING_CODE, WRONG_TYPE, OUT_OF_RANGE, UNDECLARED_MISSING = range(6)

#: Values that look like missing-value codes when they fall outside the valid values.
_MISSING_LOOKALIKES = frozenset(
    [-1, -2, -3, -4, -5, -6, -7, -8, -9, -77, -88, -97, -98, -99, -999,
     8, 9, 77, 88, 97, 98, 99, 777, 888, 997, 998, 999, 9999]
)


@dataclass
class Coerced:
    """A typed column, the status of each cell, and the missing code of each coded cell."""

    values: pd.Series
    status: np.ndarray
    codes: pd.Series  # the raw missing code where status == MISSING_CODE, else NA


def _empty_mask(raw: pd.Series) -> np.ndarray:
    mask = np.array(raw.isna(), dtype=bool)
    if raw.dtype == object or pd.api.types.is_string_dtype(raw):
        text = raw.astype("string").str.strip()
        mask |= (text == "").to_numpy(dtype=bool, na_value=False)
    return mask


def _numbers(raw: pd.Series, decimal: str, thousands: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Numbers and a mask of cells that are not numbers (empty cells are not failures)."""

    if pd.api.types.is_bool_dtype(raw):
        raw = raw.astype("float64")
    values, failed = parse_numbers(raw, decimal=decimal, thousands=thousands)
    return (np.array(values.to_numpy(dtype="float64", na_value=np.nan)),
            np.array(failed, dtype=bool))


def _code_numbers(codes) -> np.ndarray:
    return np.array([float(c) for c in codes], dtype="float64") if codes else np.array([])


def coerce_column(raw: pd.Series, name: str, codebook: Codebook, *, decimal: str = ".",
                  thousands: str | None = None,
                  file_missing: dict | None = None) -> Coerced:
    """Type ``raw`` as the codebook says variable ``name`` is.

    ``file_missing`` holds the user-missing codes a statistics file declared for this column (SPSS):
    they are missing codes even when the codebook forgot them, and then reported as undeclared.
    """
    var: Variable = codebook[name]
    n = len(raw)
    status = np.full(n, VALID, dtype=np.int8)
    empty = _empty_mask(raw)
    status[empty] = EMPTY
    codes = pd.Series(pd.NA, index=raw.index, dtype="object")
    kind = var.type
    numeric = kind in ("number", "likert") or (kind == "category" and codebook.numeric_codes(name))
    if kind in ("id", "text") or (kind == "category" and not numeric):
        return _coerce_text(raw, var, codebook, name, status, empty, codes)
    if kind == "date":
        return _coerce_date(raw, var, status, empty, codes)
    if not numeric:  # pragma: no cover - every type is handled above
        raise ValueError(kind)
    values, failed = _numbers(raw, decimal, thousands)
    failed &= ~empty
    status[failed] = WRONG_TYPE
    present = ~empty & ~failed
    missing_codes = _code_numbers(list(var.missing))
    is_missing = present & np.isin(values, missing_codes)
    status[is_missing] = MISSING_CODE
    codes[is_missing] = values[is_missing]
    candidate = present & ~is_missing
    if kind == "number":
        bad = np.zeros(n, dtype=bool)
        if var.range is not None:
            low, high = float(var.range[0]), float(var.range[1])
            bad |= (values < low) | (values > high)
        if var.integer:
            bad |= np.abs(values - np.round(values)) > 1e-9
        bad &= candidate
    else:
        valid = _code_numbers(list(codebook.values_of(name)))
        bad = candidate & ~np.isin(values, valid)
    lookalike = bad & np.isin(values, list(_MISSING_LOOKALIKES))
    if file_missing:
        declared_in_file = _code_numbers([c for c in file_missing if _is_number(c)])
        lookalike |= bad & np.isin(values, declared_in_file)
    status[bad] = OUT_OF_RANGE
    status[lookalike] = UNDECLARED_MISSING
    out = values.copy()
    out[status != VALID] = np.nan
    return Coerced(pd.Series(out, index=raw.index, name=name), status, codes)


def _is_number(value) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _as_text(raw: pd.Series) -> pd.Series:
    """Text of each cell; whole floats from statistics files lose their '.0' (101.0 → '101')."""
    if pd.api.types.is_float_dtype(raw):
        whole = raw.notna() & (raw % 1 == 0)
        text = raw.astype("string")
        text[whole] = raw[whole].astype("int64").astype("string")
        return text.str.strip()
    if pd.api.types.is_integer_dtype(raw):
        return raw.astype("string")
    return raw.astype("string").str.strip()


def _coerce_text(raw, var, codebook, name, status, empty, codes) -> Coerced:
    text = _as_text(raw)
    text[empty] = pd.NA
    present = ~empty
    missing = [str(c) for c in var.missing]
    is_missing = present & np.array(text.isin(missing), dtype=bool) if missing else \
        np.zeros(len(text), dtype=bool)
    status[is_missing] = MISSING_CODE
    if is_missing.any():
        codes[is_missing] = text[is_missing].astype(object).to_numpy()
    if var.type == "category":
        valid = [str(c) for c in codebook.values_of(name)]
        bad = present & ~is_missing & ~np.array(text.isin(valid), dtype=bool)
        status[bad] = OUT_OF_RANGE
    text[status != VALID] = pd.NA
    return Coerced(text.rename(name), status, codes)


def _coerce_date(raw, var, status, empty, codes) -> Coerced:
    if pd.api.types.is_datetime64_any_dtype(raw):
        parsed = pd.to_datetime(raw, errors="coerce")
    else:
        text = _as_text(raw)
        # ISO dates first (YYYY-MM-DD), then day-first dates as French Excel writes them.
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
        retry = parsed.isna() & text.notna()
        if retry.any():
            parsed[retry] = pd.to_datetime(text[retry], format="%d/%m/%Y", errors="coerce")
            retry = parsed.isna() & text.notna()
            if retry.any():
                parsed[retry] = pd.to_datetime(text[retry], format="%d-%m-%Y", errors="coerce")
    parsed = parsed.dt.tz_localize(None) if getattr(parsed.dt, "tz", None) else parsed
    parsed = parsed.dt.normalize()
    failed = np.array(parsed.isna(), dtype=bool) & ~empty
    status[failed] = WRONG_TYPE
    if var.range is not None:
        low, high = (pd.Timestamp(x) for x in var.range)
        bad = ~empty & ~failed & ((parsed < low) | (parsed > high)).to_numpy()
        status[bad] = OUT_OF_RANGE
    parsed[status != VALID] = pd.NaT
    return Coerced(parsed.rename(raw.name), status, codes)
