"""Population figures per site: the margins that representativeness checks and raking use.

A population file is either long (a site, a dimension, a level and a count column) or a wide
cross-table (a site column, one or more dimension columns, a count column) summed into margins
per dimension. The file's columns are named by the caller (a study maps its own headers).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import DataError, Place
from evalkit.read._core import ReaderWarning, SourceData
from evalkit.read._numbers import parse_numbers
from evalkit.read._read import read_source

__all__ = ["population_margins", "read_population"]

POPULATION_COLUMNS = ("site", "dimension", "level", "count")


def _as_text(series: pd.Series) -> pd.Series:
    """Values as text, whole numbers without ``.0`` (a level ``1`` read from a workbook)."""
    def one(value: Any) -> Any:
        if isinstance(value, float | np.floating) and float(value).is_integer():
            return str(int(value))
        return str(value)

    if pd.api.types.is_string_dtype(series.dtype) and series.dtype != object:
        return series
    return series.map(one, na_action="ignore").astype("str")


def _where(source: SourceData, row: int) -> Place:
    return Place(source.provenance.path, line=int(source.lines[row]))


def _check_filled(source: SourceData, columns: list[str]) -> None:
    for column in columns:
        values = source.data[column]
        empty = np.array(values.isna(), dtype=bool)
        if not pd.api.types.is_numeric_dtype(values.dtype):
            blank = values.astype("str").str.strip() == ""
            empty = empty | np.array(blank.fillna(True), dtype=bool)
        if empty.any():
            row = int(np.flatnonzero(empty)[0])
            raise DataError.from_catalogue("io.population_missing_value",
                                           where=_where(source, row), column=column)


def _counts(source: SourceData, column: str) -> np.ndarray:
    provenance = source.provenance
    values, failed = parse_numbers(source.data[column], decimal=provenance.decimal or ".",
                                   thousands=provenance.thousands)
    numbers = values.to_numpy()
    with np.errstate(invalid="ignore"):
        bad = failed.to_numpy() | np.isnan(numbers) | (numbers < 0) | (numbers != np.floor(numbers))
    if bad.any():
        rows = np.flatnonzero(bad)
        raw = source.data[column].iloc[rows[0]]
        shown = "" if raw is None or (isinstance(raw, float) and np.isnan(raw)) else raw
        key = "io.population_bad_count" if len(rows) == 1 else "io.population_bad_count_many"
        raise DataError.from_catalogue(key, where=_where(source, int(rows[0])), column=column,
                                       value=repr(str(shown)), others=len(rows) - 1)
    return numbers.astype(np.int64)


def _long(source: SourceData, columns: dict[str, Any], counts: np.ndarray
          ) -> tuple[pd.DataFrame, np.ndarray]:
    data = source.data
    frame = pd.DataFrame({
        "site": _as_text(data[columns["site"]]).to_numpy(),
        "dimension": _as_text(data[columns["dimension"]]).to_numpy(),
        "level": _as_text(data[columns["level"]]).to_numpy(),
        "count": counts,
    })
    duplicated = frame.duplicated(["site", "dimension", "level"], keep=False).to_numpy()
    if duplicated.any():
        first, second = np.flatnonzero(duplicated)[:2]
        row = frame.iloc[first]
        twin = np.flatnonzero(duplicated & (frame[["site", "dimension", "level"]]
                                            == row[["site", "dimension", "level"]]).all(axis=1)
                              .to_numpy())
        second = twin[1]
        raise DataError.from_catalogue(
            "io.population_duplicate", where=source.provenance.path, site=row["site"],
            dimension=row["dimension"], level=row["level"],
            first=int(source.lines[first]), second=int(source.lines[second]))
    return frame, np.asarray(source.lines, dtype=np.int64)


def _wide(source: SourceData, site: Any, dimensions: dict[Any, str], counts: np.ndarray
          ) -> tuple[pd.DataFrame, np.ndarray]:
    data = source.data
    sites = _as_text(data[site]).to_numpy()
    site_order = {s: i for i, s in enumerate(pd.unique(sites))}
    pieces = []
    for rank, (column, dimension) in enumerate(dimensions.items()):
        part = pd.DataFrame({"site": sites, "level": _as_text(data[column]).to_numpy(),
                             "count": counts, "line": np.asarray(source.lines)})
        margins = (part.groupby(["site", "level"], sort=False)
                   .agg(count=("count", "sum"), line=("line", "min")).reset_index())
        margins.insert(1, "dimension", dimension)
        margins["_rank"] = rank
        pieces.append(margins)
    frame = pd.concat(pieces, ignore_index=True)
    frame["_site"] = frame["site"].map(site_order)
    frame = frame.sort_values(["_site", "_rank"], kind="stable").reset_index(drop=True)
    lines = frame["line"].to_numpy(dtype=np.int64)
    frame = frame[list(POPULATION_COLUMNS)].astype({"count": np.int64})
    return frame, lines


def _total_warnings(frame: pd.DataFrame) -> list[ReaderWarning]:
    totals = frame.groupby(["site", "dimension"], sort=False)["count"].sum()
    warnings = []
    for site, by_dimension in totals.groupby(level="site", sort=False):
        if by_dimension.nunique() > 1:
            detail = ", ".join(f"{dim}: {total}" for (_, dim), total in by_dimension.items())
            warnings.append(ReaderWarning("io.population_totals_disagree", site=site,
                                          totals=detail))
    return warnings


def _find(data: pd.DataFrame, name: str) -> Any:
    """The column of ``data`` called ``name``, ignoring case and surrounding spaces (or None)."""
    wanted = str(name).strip().casefold()
    return next((c for c in data.columns if str(c).strip().casefold() == wanted), None)


def population_margins(source: SourceData, *, site: str = "site", count: str = "count",
                       dimension: str = "dimension", level: str = "level",
                       dimensions: Mapping[str, str] | None = None) -> SourceData:
    """Population margins per site from a population table already read.

    Parameters
    ----------
    source : SourceData
        What :func:`read_source` returned for the file. Not modified.
    site, count : str
        The file's columns holding the site and the number of people.
    dimension, level : str
        The file's columns of a long file: the variable a margin is about and its category.
        When the file has neither, it is a cross-table whose other columns are dimensions.
    dimensions : mapping of str to str, optional
        Cross-table: the name a dimension column stands for (``{"Sexe": "sex"}``: a study's
        variable); by default a dimension is named by its header.

    Returns
    -------
    SourceData
        As :func:`read_population`; ``data.attrs["file_columns"]`` maps ``site``, ``count``,
        and (long file) ``dimension`` and ``level``, or (cross-table) each dimension, to the
        file's column it was read from, as messages should name it.

    Raises
    ------
    DataError
        As :func:`read_population`.
    """
    data = source.data
    renamed = dict(dimensions or {})
    found = {"site": _find(data, site), "count": _find(data, count)}
    missing = [name for name, role in ((site, "site"), (count, "count")) if found[role] is None]
    if missing:
        raise DataError.from_catalogue(
            "io.population_missing_columns", where=source.provenance.path,
            missing=", ".join(missing), found=", ".join(map(str, data.columns)),
            site=site, count=count)
    warnings = list(source.warnings)
    long_form = {"dimension": _find(data, dimension), "level": _find(data, level)}
    if None not in long_form.values():
        columns = {**found, **long_form}
        _check_filled(source, [columns["site"], columns["dimension"], columns["level"]])
        extra = [c for c in data.columns if c not in columns.values()]
        if extra:
            warnings.append(ReaderWarning("io.population_extra_columns",
                                          columns=", ".join(map(str, extra))))
        frame, lines = _long(source, columns, _counts(source, columns["count"]))
        file_columns = {role: str(column) for role, column in columns.items()}
    else:
        wide = {c: renamed.get(str(c), str(c)) for c in data.columns
                if c not in (found["site"], found["count"])}
        if not wide:
            raise DataError.from_catalogue("io.population_no_dimension",
                                           where=source.provenance.path, site=site, count=count)
        _check_filled(source, [found["site"], *wide])
        frame, lines = _wide(source, found["site"], wide, _counts(source, found["count"]))
        file_columns = {"site": str(found["site"]), "count": str(found["count"]),
                        **{name: str(column) for column, name in wide.items()}}
    warnings.extend(_total_warnings(frame))
    frame.attrs["file_columns"] = file_columns
    lines = np.asarray(lines, dtype=np.int64).copy()
    lines.flags.writeable = False
    return dataclasses.replace(source, data=frame, lines=lines, warnings=warnings)


def read_population(path: str | PathLike, *, site: str = "site", count: str = "count",
                    dimension: str = "dimension", level: str = "level",
                    dimensions: Mapping[str, str] | None = None, **options: Any) -> SourceData:
    """Read population margins per site, from a long file or a wide cross-table.

    Parameters
    ----------
    path : str or path-like
        A CSV, workbook... holding either the long form (a site, a dimension, a level and a
        count column) or a wide cross-table (a site column, one or more dimension columns
        such as ``sexe`` and ``age``, and a count column). Column names are matched without
        regard to case or surrounding spaces.
    site, count : str, default "site", "count"
        The file's columns holding the site and the number of people.
    dimension, level : str, default "dimension", "level"
        The file's columns of a long file; a file with neither is a cross-table.
    dimensions : mapping of str to str, optional
        Cross-table: the name each dimension column stands for (default: its header).
    **options
        As for :func:`read_source` (``format``, ``encoding``, ``delimiter``, ``decimal``,
        ``thousands``, ``sheet``, ``display_path``).

    Returns
    -------
    SourceData
        ``data`` has one row per site, dimension and level, with columns:

        - ``site`` (str): the site;
        - ``dimension`` (str): the variable the margin is about (``sexe``, ``age``...);
        - ``level`` (str): its category (``F``, ``65-74``...);
        - ``count`` (int64): the number of people.

        ``lines`` gives each row's line in the file (for a cross-table, the first line that
        contributed to the margin). The provenance describes the file as read.

    Raises
    ------
    DataError
        A site or count column is missing, a cell of the site, dimension or level columns is
        empty, a count is not a non-negative whole number, or a long file repeats a site,
        dimension and level (the message names the line and column).

    Notes
    -----
    A cross-table becomes margins by summing the counts over the other dimensions, for each
    site and each dimension. Within a site, every dimension should add up to the same total;
    when they do not (a long file whose age groups miss some people), a warning says so.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "pop.csv").write_text(
    ...     "site;sexe;age;count\\nA;F;65+;120\\nA;M;65+;80\\nA;F;<65;1 200\\nA;M;<65;1 100\\n",
    ...     encoding="utf-8")
    >>> read_population(folder / "pop.csv").data
      site dimension level  count
    0    A      sexe     F   1320
    1    A      sexe     M   1180
    2    A       age   65+    200
    3    A       age   <65   2300

    A file with its own headers names them:

    >>> _ = (folder / "pop_fr.csv").write_text(
    ...     "Territoire;Sexe;Nombre\\nEstrie;F;1 320\\nEstrie;M;1 180\\n", encoding="utf-8")
    >>> read_population(folder / "pop_fr.csv", site="Territoire", count="Nombre",
    ...                 dimensions={"Sexe": "sex"}).data
         site dimension level  count
    0  Estrie       sex     F   1320
    1  Estrie       sex     M   1180
    """
    return population_margins(read_source(path, kind="population", **options), site=site,
                              count=count, dimension=dimension, level=level,
                              dimensions=dimensions)
