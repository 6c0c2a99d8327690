"""k-anonymity of record-level exports, and the one guarded way to write such an export.

A record-level file leaves only when asked for explicitly, with the size of its smallest group of
records that share the same quasi-identifiers (site, age group, sex...) reported.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit._checks import check_columns, check_frame, check_int
from evalkit.errors import PrivacyError
from evalkit.release.suppress import as_policy
from evalkit.release.writers import write_frame

__all__ = ["KAnonymityReport", "KAnonymityWarning", "export_records", "k_anonymity"]


class KAnonymityWarning(UserWarning):
    """A record-level export has groups of records smaller than the threshold."""


@dataclass(frozen=True)
class KAnonymityReport:
    """How identifiable the records of a table are from their quasi-identifiers.

    Attributes
    ----------
    k : int
        Size of the smallest equivalence class (0 when there is no record): the table is
        k-anonymous for this k.
    threshold : int
        The size under which a class puts its records at risk.
    n_records, n_classes : int
        Records, and distinct combinations of the quasi-identifiers.
    records_at_risk : int
        Records in classes smaller than ``threshold``.
    classes : pandas.DataFrame
        One row per equivalence class: the quasi-identifiers, ``class_size`` and ``at_risk``
        (``class_size < threshold``), smallest classes first.
    """

    k: int
    threshold: int
    n_records: int
    n_classes: int
    records_at_risk: int
    classes: pd.DataFrame

    def summary(self) -> dict[str, int]:
        """The figures for a manifest (no value of any quasi-identifier)."""
        return {"k": self.k, "k_threshold": self.threshold, "n_records": self.n_records,
                "n_classes": self.n_classes, "records_at_risk": self.records_at_risk}


def k_anonymity(data: pd.DataFrame, *, quasi_identifiers: Sequence[str], k: int | None = None,
                policy: Any = None) -> KAnonymityReport:
    """Equivalence classes of the records on their quasi-identifiers, and the smallest one.

    Parameters
    ----------
    data : pandas.DataFrame
        Records, one per person (or per answer).
    quasi_identifiers : list of str
        Columns that, combined, could point to a person (``privacy.quasi_identifiers``: site,
        age group, sex, language...).
    k : int, optional
        The threshold: classes smaller than this are at risk. Default ``policy.min_cell``, or 5.
    policy : DisclosurePolicy or the study's privacy section, optional
        Gives the default threshold.

    Returns
    -------
    KAnonymityReport
        ``k`` (size of the smallest class), ``records_at_risk``, and the ``classes`` frame.

    Notes
    -----
    A table is *k*-anonymous when each combination of quasi-identifier values is shared by at
    least *k* records (Sweeney 2002). A missing value is a value like any other (an attacker
    sees it too). *k*-anonymity does not protect a sensitive answer shared by a whole class
    (homogeneity); it measures re-identification risk only.

    References
    ----------
    Sweeney L (2002). k-anonymity: a model for protecting privacy. *International Journal of
    Uncertainty, Fuzziness and Knowledge-Based Systems* 10(5), 557–570.
    https://doi.org/10.1142/S0218488502001648

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"site": list("AAAAAB"), "sex": list("FFFMMF")})
    >>> report = k_anonymity(data, quasi_identifiers=["site", "sex"], k=3)
    >>> report.k, report.records_at_risk
    (1, 3)
    >>> report.classes
      site sex  class_size  at_risk
    0    B   F           1     True
    1    A   M           2     True
    2    A   F           3    False
    """
    check_frame(data)
    columns = check_columns(data, quasi_identifiers, "quasi_identifiers")
    if k is None:
        k = as_policy(policy).min_cell if policy is not None else 5
    threshold = check_int(k, "k", minimum=1)
    classes = (data.groupby(columns, dropna=False, sort=True, observed=True)
               .size().rename("class_size").reset_index())
    classes = classes.sort_values("class_size", kind="stable").reset_index(drop=True)
    classes["at_risk"] = classes["class_size"] < threshold
    return KAnonymityReport(
        k=int(classes["class_size"].min()) if len(classes) else 0,
        threshold=threshold,
        n_records=int(len(data)),
        n_classes=int(len(classes)),
        records_at_risk=int(classes.loc[classes["at_risk"], "class_size"].sum()),
        classes=classes,
    )


def export_records(data: pd.DataFrame, path: str | Path, *, quasi_identifiers: Sequence[str],
                   policy: Any, allow_record_level: bool = False) -> dict[str, Any]:
    """Write a record-level table (one row per person), only when explicitly allowed.

    Parameters
    ----------
    data : pandas.DataFrame
        Records, already pseudonymised and with free text scrubbed.
    path : str or Path
        ``.csv`` or ``.xlsx``.
    quasi_identifiers : list of str
        Columns checked for k-anonymity.
    policy : DisclosurePolicy or the study's privacy section
        ``min_cell`` is the k threshold.
    allow_record_level : bool, default False
        Must be True: record-level files are not aggregate results and are refused otherwise.

    Returns
    -------
    dict
        The manifest record of the file (as :func:`~evalkit.write_table` returns), with
        ``record_level: true``, ``quasi_identifiers`` and the k-anonymity summary (``k``,
        ``k_threshold``, ``n_records``, ``n_classes``, ``records_at_risk``).

    Raises
    ------
    evalkit.errors.PrivacyError
        When ``allow_record_level`` is not True (nothing is written).

    Warns
    -----
    KAnonymityWarning
        When some records sit in classes smaller than the threshold.
    """

    check_frame(data)
    if allow_record_level is not True:
        raise PrivacyError.from_catalogue("privacy.record_level_refused", where=str(path))
    policy = as_policy(policy)
    report = k_anonymity(data, quasi_identifiers=quasi_identifiers, policy=policy)
    if report.records_at_risk:
        warnings.warn(
            f"{report.records_at_risk} record(s) of {Path(path).name} are in groups of fewer "
            f"than {report.threshold} on {', '.join(map(str, quasi_identifiers))} "
            f"(k = {report.k})", KAnonymityWarning, stacklevel=2)
    record = write_frame(data, path)
    record.update({"record_level": True,
                   "quasi_identifiers": [str(c) for c in quasi_identifiers], **report.summary()})
    return record
