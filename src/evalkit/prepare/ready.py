"""What a run needs besides valid data: the pseudonymisation key, and scales whose instruments
load and fit their items. ``evalkit validate`` and a run's first stage ask the same questions, so
that a clean validation means the run does not stop for a configuration reason.
"""

from __future__ import annotations

import warnings
from typing import Any

from evalkit.config._model import ConfigProblem, StudyConfigError
from evalkit.config.instruments import (
    Instrument,
    instrument_from_dict,
    load_instrument,
    match_items,
)
from evalkit.config.study import Study
from evalkit.errors import EvalkitError
from evalkit.i18n import t
from evalkit.prepare.keys import DemoKeyWarning, load_key

__all__ = ["check_run_ready", "run_problems"]


#: The fewest bootstrap resamples an interval is computed from (0: no bootstrap interval).
MIN_BOOTSTRAP = 100


def run_problems(study: Study) -> list[ConfigProblem]:
    """Every configuration reason a run of ``study`` would stop for that the data checks do
    not see: the key (present, readable, well formed, outside the study folder; its value is
    never shown), each scale's instrument (it loads, and the items fit it), outcomes declared
    without the waves that measure change, and a bootstrap too small to give an interval.

    Returns
    -------
    list of ConfigProblem
        Empty when the run can go ahead.
    """
    return [*_key_problems(study), *_scale_problems(study), *_outcome_problems(study),
            *_parameter_problems(study)]


def check_run_ready(study: Study) -> None:
    """Raise :class:`~evalkit.config._model.StudyConfigError` (exit 2) listing
    :func:`run_problems`, if any."""
    problems = run_problems(study)
    if problems:
        raise StudyConfigError(problems)


def _problem(study: Study, key: str, error: EvalkitError) -> ConfigProblem:
    def text(lang: str) -> str:
        message = error.message_fr if lang == "fr" and error.message_fr else error.message
        hint = error.hint_fr if lang == "fr" and error.hint_fr else error.hint
        return f"{message} → {hint}" if hint else message

    return ConfigProblem(study.file.name, study.line_of(key), key, text("en"), text("fr"))


def _key_problems(study: Study) -> list[ConfigProblem]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DemoKeyWarning)  # the demo's published key is fine
            load_key(study)
    except EvalkitError as error:  # the messages name the variable or file, never the key
        key = "privacy.key" if study.privacy.key is not None else "privacy.pseudonymise"
        return [_problem(study, key, error)]
    return []


def _scale_problems(study: Study) -> list[ConfigProblem]:
    problems = []
    for name, scale in study.measures.scales.items():
        where = f"measures.scales.{name}"
        try:
            instrument = _instrument(study, scale.instrument, where)
        except EvalkitError as error:
            problems.append(_problem(study, f"{where}.instrument", error))
            continue
        items = dict(scale.items) if isinstance(scale.items, dict) else list(scale.items)
        try:
            match_items(instrument, items)
        except EvalkitError as error:
            problems.append(_problem(study, f"{where}.items", error))
    return problems


def _catalogue_problem(study: Study, key: str, message: str, **params: Any) -> ConfigProblem:
    return ConfigProblem(study.file.name, study.line_of(key), key, t(message, "en", **params),
                         t(message, "fr", **params))


def _outcome_problems(study: Study) -> list[ConfigProblem]:
    # Change is measured between the baseline and a follow-up wave: a wave column alone does
    # not say which is which.
    waves = study.waves
    if study.measures.outcomes is None or study.roles.wave is None:
        return []
    if waves is None or not waves.follow_up:
        return [_catalogue_problem(study, "measures.outcomes", "ready.outcomes_need_waves",
                                   wave=study.roles.wave)]
    return []


def _parameter_problems(study: Study) -> list[ConfigProblem]:
    n = study.parameters.bootstrap
    if 0 < n < MIN_BOOTSTRAP:
        return [_catalogue_problem(study, "parameters.bootstrap", "ready.bootstrap_too_small",
                                   n=n, minimum=MIN_BOOTSTRAP)]
    return []


def _instrument(study: Study, instrument: Any, where: str) -> Instrument:
    if isinstance(instrument, dict):
        return instrument_from_dict(instrument, where=f"{study.file.name}: {where}.instrument")
    if instrument.endswith((".yaml", ".yml")):
        return load_instrument(study.resolve(instrument))
    return load_instrument(instrument)
