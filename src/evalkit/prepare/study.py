"""Preparation: the validated data turned into the frames analyses use, identifiers replaced once.

Identifier columns listed in ``privacy.pseudonymise`` become keyed pseudonyms here and only here;
other identifying columns are dropped after the names they hold are collected for scrubbing; free
text listed in ``privacy.redact`` is scrubbed. Nothing that leaves this step carries a raw
identifier: the raw values are kept only in memory, for the release check.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from evalkit.config.codebook import Codebook
from evalkit.config.study import Study
from evalkit.errors import ArgumentError
from evalkit.prepare.keys import load_key
from evalkit.prepare.pseudonym import pseudonymise, pseudonymise_frame
from evalkit.prepare.scrub import scrub_texts
from evalkit.validate.study import ValidationReport, raise_for_problems, validate_study

__all__ = ["PreparedStudy", "prepare_study", "segment_pseudonyms"]


@dataclass
class PreparedStudy:
    """The frames of a study, ready for analysis.

    Attributes
    ----------
    study, report
        The study (with its codebook: ``prepared.codebook``) and the validation report the
        data passed.
    responses : DataFrame
        Typed survey responses, stacked, with ``source`` and ``source_row``; identifiers
        pseudonymised, other identifying columns removed, free text scrubbed.
    missing : DataFrame
        Declared missing codes met in the data (``row``, ``variable``, ``code``).
    not_asked : DataFrame or None
        Missing by design, aligned with ``responses``: True where a cell is empty because the
        question was not asked of that respondent (skip logic, waves); never non-response.
    population, partners : DataFrame or None
        Population margins (``site, dimension, level, count``) and partner ratings.
    segments, documents : DataFrame or None
        Coded interviews (the shared segments and documents frames), participants
        pseudonymised, segments named by :func:`segment_pseudonyms`.
    """

    study: Study
    report: ValidationReport
    responses: pd.DataFrame
    missing: pd.DataFrame
    population: pd.DataFrame | None = None
    partners: pd.DataFrame | None = None
    segments: pd.DataFrame | None = None
    documents: pd.DataFrame | None = None
    not_asked: pd.DataFrame | None = None
    # In memory only, for scrubbing and the release check; never written anywhere.
    names: tuple[str, ...] = field(default=(), repr=False)
    identifiers: tuple[str, ...] = field(default=(), repr=False)
    key: Any = field(default=None, repr=False)

    @property
    def codebook(self) -> Codebook:
        """The study's codebook."""
        return self.study.codebook

    @property
    def population_group(self) -> Any:
        """The respondent group the population margins describe (None: everyone): the value
        the population source sets for the group column (``set: {respondent_type: user}``)."""
        spec, group = self.study.sources.population, self.study.roles.group
        return None if spec is None or group is None else spec.constants.get(group)


def _names_from(responses: pd.DataFrame, codebook: Codebook, study: Study) -> tuple[str, ...]:
    """Names of people known to the study: identifying free-text columns and privacy.names."""
    names = set(study.privacy.names)
    for column in codebook.identifying():
        if column in responses.columns and codebook[column].type == "text":
            values = responses[column].dropna().astype(str).str.strip()
            names.update(v for v in values if len(v) >= 3)
    return tuple(sorted(names))


def _identifiers(responses: pd.DataFrame, codebook: Codebook) -> tuple[str, ...]:
    values: set[str] = set()
    for column in codebook.identifying():
        if column in responses.columns:
            values.update(responses[column].dropna().astype(str).str.strip())
    return tuple(sorted(v for v in values if v))


def prepare_study(study: Study, *, report: ValidationReport | None = None,
                  lang: str = "fr") -> PreparedStudy:
    """Validate (unless ``report`` is given) and prepare a study for analysis.

    Parameters
    ----------
    study : Study
        The study, as :func:`evalkit.load_study` loaded it.
    report : ValidationReport, optional
        A validation already done (it must have no error).
    lang : {"fr", "en"}
        Language of the tokens that replace identifiers in free text ([NOM] / [NAME]).

    Returns
    -------
    PreparedStudy

    Raises
    ------
    evalkit.errors.DataError
        The data have validation errors (see the validation report).
    evalkit.errors.ConfigError
        The study pseudonymises columns but has no key.
    """
    if not isinstance(study, Study):
        raise ArgumentError(f"study must be a loaded Study (evalkit.load_study(path)), got "
                            f"{type(study).__name__}", where="study")
    if report is None:
        report = validate_study(study)
    raise_for_problems(report)
    codebook = report.codebook
    privacy = study.privacy
    raw = report.responses
    names = _names_from(raw, codebook, study)
    identifiers = _identifiers(raw, codebook)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the demo key warns; the run reports it once
        key = load_key(study)
    responses = raw
    columns = [c for c in privacy.pseudonymise if c in responses.columns]
    if columns:
        responses = pseudonymise_frame(responses, columns=columns, key=key, codebook=codebook)
    drop = [c for c in codebook.identifying()
            if c in responses.columns and c not in privacy.pseudonymise]
    responses = responses.drop(columns=drop)
    for column in privacy.redact:
        if column in responses.columns:
            text = responses[column]
            present = text.notna()
            scrubbed = scrub_texts(text[present].astype(str), lang=lang, names=names)
            responses[column] = text.astype(object)
            responses.loc[present, column] = scrubbed.to_numpy()
    segments, documents = report.segments, report.documents
    if segments is not None and key is not None:
        segments = pseudonymise_frame(segments, columns=["participant"], key=key)
        if documents is not None:
            documents = pseudonymise_frame(documents, columns=["participant"], key=key)
    if segments is not None:
        segments = segments.assign(segment_id=segment_pseudonyms(segments["segment_id"],
                                                                 key=key))
    return PreparedStudy(
        study=study, report=report, responses=responses,
        missing=report.missing, population=report.population, partners=report.partners,
        segments=segments, documents=documents, names=names, identifiers=identifiers, key=key,
        not_asked=_not_asked_of(report.not_asked, responses))


def segment_pseudonyms(ids: pd.Series, *, key: Any) -> pd.Series:
    """The names of coded segments that results may carry (the quote bank, the framework
    matrix): keyed pseudonyms ``S…`` of the export's own ids, which link to the private
    segment file only with the key; without a key, ``S1``, ``S2``... in order of first
    appearance.

    Examples
    --------
    >>> import pandas as pd
    >>> segment_pseudonyms(pd.Series(["b7e1", "a9f2", "b7e1"]), key=None).tolist()
    ['S1', 'S2', 'S1']
    >>> segment_pseudonyms(pd.Series(["b7e1"]), key=bytes(range(32))).str[0].tolist()
    ['S']
    """
    if key is not None:
        return pseudonymise(ids.astype("string"), key=key, prefix="S")
    codes, _ = pd.factorize(ids.astype("string"), use_na_sentinel=True)
    return pd.Series([f"S{c + 1}" if c >= 0 else None for c in codes], index=ids.index,
                     name=ids.name, dtype=pd.Series([""]).dtype)


def _not_asked_of(not_asked: pd.DataFrame | None, responses: pd.DataFrame
                  ) -> pd.DataFrame | None:
    """The cells missing by design, for the columns the prepared responses keep."""
    if not_asked is None:
        return None
    return not_asked[[c for c in not_asked.columns if c in responses.columns]].copy()
