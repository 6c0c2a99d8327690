"""Main messages of the evidence brief, drafted from the results by explicit rules.

Each rule reads released result tables (after disclosure control) and returns a
:class:`Message` (a catalogue key, its parameters as plain values, the tables it rests on) or
``None`` when the results do not support it. Messages state implications for decision-makers
in plain words, scales explained and associations worded as associations; the method behind
a message (funnel limits, overdispersion, shrunken estimates) is a separate sentence that the
summary and the report add and the page of main messages leaves out. Sentences come from the
catalogues (``reports.msg.*``); numbers are formatted for the locale only when written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from evalkit.analyse.catalogue import table_title
from evalkit.i18n import t
from evalkit.present._funnel import (
    ALARM,
    ALERT,
    Tables,
    funnel_sites,
    numeric,
    released_table,
)
from evalkit.present._text import (
    ci_text,
    count_text,
    marked,
    number_text,
    origin,
    percent_text,
    plain,
    ratio_origin,
    typography,
)
from evalkit.present.joint import joint_display

__all__ = [
    "RULES",
    "Ci",
    "Message",
    "Names",
    "Num",
    "Pct",
    "Scale",
    "Sites",
    "draft_messages",
    "rule_funnel_high",
    "rule_funnel_low",
    "rule_highest_tokenism",
    "rule_involvement_outcomes",
    "rule_joint_display",
    "rule_perception_gap",
    "rule_red_networks",
    "rule_representativeness",
]

#: Funnel limits read by the rules: 99.8% ("alarm") first, then 95% ("alert").
#: The share of red networks (only paid people) from which the brief speaks of it.
RED_SHARE_WORTH_SAYING = 0.10
#: A respondents' share that differs from the population's by at least this much (and
#: significantly) makes the representativeness caveat.
REPRESENTATIVENESS_GAP = 0.05
#: Significance level of the representativeness chi-square test.
REPRESENTATIVENESS_ALPHA = 0.05
#: Tables of method named, on page one, by the table of the numbers they judge.
_PLAIN_EVIDENCE = {"tokenism_funnel": "tokenism_rates",
                   "tokenism_overdispersion": "tokenism_rates"}
#: The most main messages about any one site: the page speaks of the whole programme.
PER_SITE = 2


# -- typed parameters: formatted for the locale only when written -------------------------------
@dataclass(frozen=True)
class Pct:
    """A proportion written as a percentage; ``where``: the released cell it comes from."""

    value: float
    where: dict | None = None

    def text(self, lang: str) -> str:
        return marked(percent_text(self.value, lang), self.where)


@dataclass(frozen=True)
class Num:
    """A number written with ``decimals`` decimals; ``where``: the released cell it comes
    from."""

    value: float
    decimals: int = 2
    where: dict | None = None

    def text(self, lang: str) -> str:
        return marked(number_text(self.value, lang, decimals=self.decimals), self.where)


@dataclass(frozen=True)
class Ci:
    """A confidence interval (``percent``: bounds are proportions); ``where``: the released
    cells of its bounds."""

    low: float
    high: float
    percent: bool = False
    confidence: float = 0.95
    decimals: int = 2
    where: tuple[dict, dict] | None = None

    def text(self, lang: str) -> str:
        return ci_text(self.low, self.high, lang, percent=self.percent,
                       decimals=self.decimals, confidence=self.confidence, where=self.where)


@dataclass(frozen=True)
class Names:
    """Names joined in the language's way (``A, B et C``)."""

    names: tuple[str, ...]

    def text(self, lang: str) -> str:
        names = [str(n) for n in self.names]
        if len(names) <= 1:
            return "".join(names)
        return t("reports.list_and", lang, first=", ".join(names[:-1]), last=names[-1])


@dataclass(frozen=True)
class Sites(Names):
    """Sites named with the word for one or several (``le site G``, ``les sites A et B``)."""

    def text(self, lang: str) -> str:
        key = "reports.sites.one" if len(self.names) == 1 else "reports.sites.many"
        return t(key, lang, names=Names(self.names).text(lang))


@dataclass(frozen=True)
class Scale:
    """The words that explain a scale (``sur une échelle de 1 à 4``), empty when unknown."""

    key: str
    low: float | None = None
    high: float | None = None

    def text(self, lang: str) -> str:
        if self.low is None or self.high is None:
            return ""
        return t(self.key, lang, low=number_text(self.low, lang, decimals=_decimals(self.low)),
                 high=number_text(self.high, lang, decimals=_decimals(self.high)))


def _decimals(value: float) -> int:
    return 0 if float(value).is_integer() else 1


@dataclass(frozen=True)
class Message:
    """A main message: what a rule found, ready to be written in either language.

    Attributes
    ----------
    rule : str
        The rule's name (``highest_tokenism``).
    key : str
        The catalogue key of the sentence (``reports.msg.highest_tokenism``).
    params : dict
        The sentence's parameters: :class:`Pct`, :class:`Num`, :class:`Ci`, :class:`Sites`,
        catalogue keys (``Key``) or plain text.
    evidence : tuple of str
        The result tables the message rests on.
    non_validated : bool
        The message rests on the tokenism index: wherever it is shown, the non-validated label
        must be shown too.
    method : Key, optional
        How the finding was established, in the method's words (``reports.msg.method``): the
        summary and the report add it, the page of main messages does not.
    about : tuple of str
        The sites the message names. A message that names one site only singles it out: at
        most :data:`PER_SITE` messages single out any one site.
    pooled : Message, optional
        The same finding without the site it singles out, said instead when that site is
        already singled out often enough.
    """

    rule: str
    key: str
    params: dict[str, Any] = field(default_factory=dict)
    evidence: tuple[str, ...] = ()
    non_validated: bool = False
    method: Key | None = None
    about: tuple[str, ...] = ()
    pooled: Message | None = None

    def text(self, lang: str, *, method: bool = False, marks: bool = False) -> str:
        """The message in ``lang``, numbers in the locale's formats; ``method`` adds the
        sentence that says how the finding was established; ``marks`` keeps, around each
        number read from a released table, the marks of its origin that the writers turn
        into markup for the release check (see :func:`evalkit.present._text.marked`)."""
        params = {name: _param_text(value, lang) for name, value in self.params.items()}
        out = t(self.key, lang, **params)
        if method and self.method is not None:
            out += " " + t("reports.msg.method", lang, detail=self.method.text(lang))
        out = typography(out, lang)
        return out if marks else plain(out)

    def evidence_text(self, lang: str, *, plain: bool = False) -> str:
        """The tables the message rests on, by title; ``plain`` names, for a table of method
        (funnel limits), the table of the numbers it judges (page one speaks without method
        words; the summary and the report name the method's own tables)."""
        names = [(_PLAIN_EVIDENCE.get(n, n) if plain else n) for n in self.evidence]
        titles = "; ".join(table_title(name, lang) for name in dict.fromkeys(names))
        return typography(t("reports.msg.evidence", lang, tables=titles), lang)


@dataclass(frozen=True)
class Key:
    """A parameter that is itself a catalogue sentence (with its own parameters)."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str) -> str:
        return t(self.key, lang, **{k: _param_text(v, lang) for k, v in self.params.items()})


def _param_text(value: Any, lang: str) -> str:
    if hasattr(value, "text"):
        return value.text(lang)
    if isinstance(value, int | np.integer):
        return count_text(value, lang)
    return str(value)


# -- reading released tables ----------------------------------------------------------------
def _sites(values: Sequence[Any]) -> Sites:
    return Sites(tuple(str(v) for v in values))


def _funnel_side(tables: Tables, side: str) -> tuple[list[str], float, bool, float] | None:
    """Sites outside the limits on ``side`` ('above' or 'below'), at 99.8% if any, else 95%."""
    for level in (ALARM, ALERT):
        found = funnel_sites(tables, level)
        if found is None:
            return None
        sites, adjusted, phi = found
        sign = 1 if side == "above" else -1
        hit = sites[sites["outside"] & (np.sign(sites["z"]) == sign)]
        if not hit.empty:
            return sorted(hit["site"]), level, adjusted, phi
    return None


def _adjustment(adjusted: bool, phi: float) -> Key:
    if adjusted:
        return Key("reports.msg.adjusted", {"phi": Num(phi, 1)})
    return Key("reports.msg.not_adjusted")


# -- the rules -----------------------------------------------------------------------------------
def rule_funnel_high(tables: Tables) -> Message | None:
    """Sites whose tokenism rate lies above the funnel limits.

    Reads ``tokenism_overdispersion`` (adjusted limits when φ > 1) or ``tokenism_funnel``.
    Sites above the 99.8% limits give the *alarm* message; when none is, sites above the 95%
    limits give the *alert* message; otherwise nothing.
    """
    found = _funnel_side(tables, "above")
    if found is None:
        return None
    sites, level, adjusted, phi = found
    key = "reports.msg.funnel_high.alarm" if level == ALARM else "reports.msg.funnel_high.alert"
    evidence = ("tokenism_overdispersion",) if adjusted else ("tokenism_funnel",)
    method = Key(f"{key}.method", {"adjustment": _adjustment(adjusted, phi)})
    return Message("funnel_high", key, {"sites": _sites(sites), "n_sites": len(sites)},
                   evidence, non_validated=True, method=method, about=tuple(sites))


def rule_funnel_low(tables: Tables) -> Message | None:
    """Sites whose tokenism rate lies below the 99.8% funnel limits (practice to share)."""
    found = _funnel_side(tables, "below")
    if found is None or found[1] != ALARM:
        return None
    sites, _, adjusted, phi = found
    evidence = ("tokenism_overdispersion",) if adjusted else ("tokenism_funnel",)
    method = Key("reports.msg.funnel_low.method", {"adjustment": _adjustment(adjusted, phi)})
    return Message("funnel_low", "reports.msg.funnel_low", {"sites": _sites(sites)},
                   evidence, non_validated=True, method=method, about=tuple(sites))


def rule_highest_tokenism(tables: Tables, *, confidence: float = 0.95) -> Message | None:
    """The site with the highest (shrunken) tokenism rate, when its interval lies wholly above
    the rate of all sites together; never a bare rank: the interval is part of the message."""
    shrunk = released_table(tables, "tokenism_shrunken",
                    ("site", "shrunken", "shrunken_ci_low", "shrunken_ci_high"))
    overall = released_table(tables, "tokenism_overall", ("rate",))
    if shrunk is None or overall is None:
        return None
    rate = numeric(overall["rate"]).dropna()
    frame = shrunk.assign(value=numeric(shrunk["shrunken"]), low=numeric(shrunk["shrunken_ci_low"]),
                          high=numeric(shrunk["shrunken_ci_high"])).dropna(
        subset=["value", "low", "high"])
    if rate.empty or frame.empty:
        return None
    top = frame.sort_values(["value", "site"], ascending=[False, True], kind="stable").iloc[0]
    if not top["low"] > rate.iloc[0]:
        return None
    row = {"site": top["site"]}
    return Message("highest_tokenism", "reports.msg.highest_tokenism",
                   {"site": _sites([top["site"]]),
                    "rate": Pct(top["value"], origin("tokenism_shrunken", row, "shrunken")),
                    "ci": Ci(top["low"], top["high"], percent=True, confidence=confidence,
                             where=(origin("tokenism_shrunken", row, "shrunken_ci_low"),
                                    origin("tokenism_shrunken", row, "shrunken_ci_high"))),
                    "overall": Pct(rate.iloc[0], origin("tokenism_overall", {}, "rate"))},
                   ("tokenism_shrunken", "tokenism_overall"), non_validated=True,
                   method=Key("reports.msg.highest_tokenism.method"),
                   about=(str(top["site"]),))


def rule_involvement_outcomes(tables: Tables, *, term: str = "rung",
                              confidence: float = 0.95,
                              scales: Any = None) -> Message | None:
    """Whether involvement goes with change in personal outcomes: the mixed model's slope of
    ``term`` with its interval, read as a positive, negative or no clear association (never as
    an effect); ``scales["outcome"]`` (lowest, highest rating) explains the points."""
    model = released_table(tables, "involvement_model", ("term", "estimate", "ci_low", "ci_high"))
    if model is None:
        return None
    rows = model[model["term"].astype(str) == term]
    if rows.empty:
        return None
    estimate, low, high = (float(numeric(rows[c]).iloc[0]) for c in ("estimate", "ci_low", "ci_high"))
    if np.isnan([estimate, low, high]).any():
        return None
    direction = "positive" if low > 0 else "negative" if high < 0 else "none"
    low_high = (scales or {}).get("outcome") or (None, None)
    row = {"term": term}
    return Message("involvement_outcomes", f"reports.msg.involvement_outcomes.{direction}",
                   {"estimate": Num(estimate, 2, origin("involvement_model", row, "estimate")),
                    "ci": Ci(low, high, confidence=confidence, decimals=2,
                             where=(origin("involvement_model", row, "ci_low"),
                                    origin("involvement_model", row, "ci_high"))),
                    "scale": Scale("reports.msg.scale.points", *low_high)},
                   ("involvement_model",),
                   method=Key("reports.msg.involvement_outcomes.method"))


def rule_perception_gap(tables: Tables, *, measure: str = "rung",
                        scales: Any = None) -> Message | None:
    """Sites where staff place users' involvement clearly higher (or lower) than users do:
    the staff − users difference of ``measure`` with an interval excluding zero;
    ``scales["rungs"]`` (the ladder's number of rungs) explains the rungs."""
    gap = released_table(tables, "perception_gap", ("site", "measure", "difference", "ci_low", "ci_high"))
    if gap is None:
        return None
    rows = gap[gap["measure"].astype(str) == measure]
    rows = rows.assign(d=numeric(rows["difference"]), low=numeric(rows["ci_low"]),
                       high=numeric(rows["ci_high"])).dropna(subset=["d", "low", "high"])
    if rows.empty:
        return None
    higher, lower = rows[rows["low"] > 0], rows[rows["high"] < 0]
    if higher.empty and lower.empty:
        return None
    side, hit = ("higher", higher) if len(higher) >= len(lower) else ("lower", lower)
    largest = hit["d"].abs().max()
    names = tuple(sorted(hit["site"].astype(str)))
    rungs = (scales or {}).get("rungs")
    return Message("perception_gap", f"reports.msg.perception_gap.{side}",
                   {"sites": Names(names), "k": len(hit),
                    "n_sites": int(rows["site"].nunique()), "largest": Num(largest, 1),
                    "scale": Scale("reports.msg.scale.rungs", 1 if rungs else None, rungs)},
                   ("perception_gap",), non_validated=True, about=names)


def rule_joint_display(tables: Tables, *, theme: str | None = None) -> Message | None:
    """Where the numbers (tokenism rate against the funnel limits) and the interviews (share of
    participants who spoke of tokenism) agree or disagree; see
    :func:`evalkit.present.joint.joint_display`."""

    joint = joint_display(tables, theme=theme)
    if joint is None or joint.empty:
        return None
    converge = sorted(joint.loc[joint["agreement"] == "converge", "site"].astype(str))
    diverge = sorted(joint.loc[joint["agreement"] == "diverge", "site"].astype(str))
    if not converge and not diverge:
        return None
    kind = "both" if converge and diverge else "converge" if converge else "diverge"
    return Message("joint_display", f"reports.msg.joint_display.{kind}",
                   {"converge": _sites(converge), "diverge": _sites(diverge)},
                   ("tokenism_funnel", "code_frequencies"), non_validated=True,
                   about=tuple(converge + diverge))


def rule_red_networks(tables: Tables, *, confidence: float = 0.95) -> Message | None:
    """The share of users whose network holds only paid people (red), all sites together, and
    the site where it is highest when its interval lies wholly above that share."""
    light = released_table(tables, "traffic_light", ("site", "colour", "count", "n"))
    if light is None:
        return None
    red = light[light["colour"].astype(str) == "red"].assign(
        count_=lambda f: numeric(f["count"]), n_=lambda f: numeric(f["n"])).dropna(
        subset=["count_", "n_"])
    if red.empty or red["n_"].sum() == 0:
        return None
    share = red["count_"].sum() / red["n_"].sum()
    if share < RED_SHARE_WORTH_SAYING:
        return None
    # The share all sites together: the released red counts over their bases.
    pooled_share = Pct(share, ratio_origin("traffic_light", "count", "n",
                                           [{"site": s, "colour": "red"} for s in red["site"]]))
    pooled = Message("red_networks", "reports.msg.red_networks", {"share": pooled_share},
                     ("traffic_light",))
    if {"share", "ci_low", "ci_high"} <= set(red.columns):
        red = red.assign(s=numeric(red["share"]), low=numeric(red["ci_low"]),
                         high=numeric(red["ci_high"])).dropna(subset=["s", "low", "high"])
        if not red.empty:
            top = red.sort_values(["s", "site"], ascending=[False, True], kind="stable").iloc[0]
            if top["low"] > share:
                row = {"site": top["site"], "colour": "red"}
                params = {"share": pooled_share, "site": _sites([top["site"]]),
                          "site_share": Pct(top["s"], origin("traffic_light", row, "share")),
                          "ci": Ci(top["low"], top["high"], percent=True,
                                   confidence=confidence,
                                   where=(origin("traffic_light", row, "ci_low"),
                                          origin("traffic_light", row, "ci_high")))}
                return Message("red_networks", "reports.msg.red_networks.site", params,
                               ("traffic_light",), about=(str(top["site"]),), pooled=pooled)
    return pooled


def rule_representativeness(tables: Tables, *, labels: Any = None) -> Message | None:
    """A caveat when respondents differ from the population (chi-square p < 0.05 and a share
    off by at least 5 points) at one site or more; ``labels`` (with a ``variable(name)``
    method, e.g. :class:`evalkit.present.tables.Labels`) names the dimensions."""
    rep = released_table(tables, "representativeness", ("site", "dimension", "difference", "p_value"))
    if rep is None:
        return None
    rows = rep.assign(d=numeric(rep["difference"]).abs(), p=numeric(rep["p_value"]))
    off = rows[(rows["p"] < REPRESENTATIVENESS_ALPHA) & (rows["d"] >= REPRESENTATIVENESS_GAP)]
    if off.empty:
        return None
    dimensions = tuple(dict.fromkeys(off["dimension"].astype(str)))
    if labels is not None:
        dimensions = tuple(labels.variable(d) for d in dimensions)
    dimensions = tuple(_in_sentence(d) for d in dimensions)
    return Message("representativeness", "reports.msg.representativeness",
                   {"dimensions": Names(dimensions), "k": int(off["site"].nunique()),
                    "n_sites": int(rep["site"].nunique())},
                   ("representativeness",))


def _in_sentence(name: str) -> str:
    """A label as it reads inside a sentence: ``Groupe d'âge`` → ``groupe d'âge`` (an acronym
    or a proper name, capitalised beyond its first letter, is kept)."""
    if len(name) > 1 and name[0].isupper() and not any(c.isupper() for c in name[1:]):
        return name[0].lower() + name[1:]
    return name


def _at_most_per_site(messages: list[Message], limit: int) -> list[Message]:
    """The messages in order, none singling out a site that ``limit`` earlier messages
    single out already (its pooled version is said instead, when it has one)."""
    seen: dict[str, int] = {}
    kept = []
    for found in messages:
        message: Message | None = found
        while message is not None and len(message.about) == 1 \
                and seen.get(message.about[0], 0) >= limit:
            message = message.pooled
        if message is None:
            continue
        if len(message.about) == 1:
            seen[message.about[0]] = seen.get(message.about[0], 0) + 1
        kept.append(message)
    return kept


#: The rules in the order their messages appear (the brief keeps as many as fit on one page).
RULES: tuple[tuple[str, Callable[..., Message | None]], ...] = (
    ("funnel_high", rule_funnel_high),
    ("highest_tokenism", rule_highest_tokenism),
    ("involvement_outcomes", rule_involvement_outcomes),
    ("perception_gap", rule_perception_gap),
    ("joint_display", rule_joint_display),
    ("funnel_low", rule_funnel_low),
    ("red_networks", rule_red_networks),
    ("representativeness", rule_representativeness),
)


def draft_messages(tables: Tables, *, confidence: float = 0.95, labels: Any = None,
                   scales: Any = None, per_site: int = PER_SITE) -> list[Message]:
    """Apply every rule of :data:`RULES` to released ``tables``; the messages found, in order,
    at most ``per_site`` of them about any one site.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Result tables after disclosure control, by name (see ``docs/tables.md``).
    confidence : float
        The level of the intervals in the tables (for the words that name it).
    labels : Labels, optional
        Labels of the study's variables (see :class:`evalkit.present.tables.Labels`).
    scales : dict, optional
        What explains the numbers: ``outcome`` (lowest and highest rating of the outcome
        items) and ``rungs`` (the involvement ladder's number of rungs).
    per_site : int, default 2
        The most messages about any one site; a later message that would name a site once
        more is left out.

    Returns
    -------
    list of Message

    Examples
    --------
    >>> import pandas as pd
    >>> model = pd.DataFrame({"term": ["rung"], "estimate": [0.09], "ci_low": [0.08],
    ...                       "ci_high": [0.10]})
    >>> [m.key for m in draft_messages({"involvement_model": model})]
    ['reports.msg.involvement_outcomes.positive']
    """
    import inspect

    out = []
    given = {"confidence": confidence, "labels": labels, "scales": scales}
    for _, rule in RULES:
        accepted = inspect.signature(rule).parameters
        message = rule(tables, **{k: v for k, v in given.items() if k in accepted})
        if message is not None:
            out.append(message)
    return _at_most_per_site(out, per_site)
