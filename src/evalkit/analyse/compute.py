"""The analyses of a run: every table the notebooks and reports show, computed once.

:func:`compute_results` runs the analyses a study's configuration asks for on the prepared data
and returns :class:`~evalkit.analyse.results.Results`. Every table is declared in the table
catalogue (:mod:`evalkit.analyse.catalogue`); each computed table keeps the public function
calls that made it, with the run's arguments, and every declared table the data cannot support
is recorded with its reason (:class:`~evalkit.analyse.results.Absence`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import importlib
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evalkit.analyse import involvement as inv_
from evalkit.analyse._share import share_work
from evalkit.analyse.catalogue import catalogue, study_parameters
from evalkit.analyse.describe import likert_distribution, response_counts
from evalkit.analyse.funnel import funnel_limits, overdispersion
from evalkit.analyse.integration import integration_profile
from evalkit.analyse.involvement import tokenism_status
from evalkit.analyse.models import (
    design_effect,
    icc,
    involvement_change_data,
    involvement_outcome_model,
    model_follow_up,
    model_respondents,
)
from evalkit.analyse.network import traffic_light_distribution
from evalkit.analyse.outcomes import outcome_change
from evalkit.analyse.qual.agreement import agreement_table, coding_table
from evalkit.analyse.qual.framework import framework_matrix
from evalkit.analyse.qual.frequencies import code_frequencies, cooccurrence
from evalkit.analyse.qual.quotes import quote_bank
from evalkit.analyse.reliability import cronbach_alpha, item_analysis, mcdonald_omega, ordinal_alpha
from evalkit.analyse.results import Absence, Call, Ref, Results, ResultTable, plain
from evalkit.analyse.scales import reverse_keyed_items, score_scale, scoring_summary
from evalkit.analyse.shrinkage import shrunken_estimates
from evalkit.analyse.weights import (
    rake_weights,
    raking_problems,
    representativeness,
    weighted_proportion,
)
from evalkit.errors import DataError, EvalkitError, ExecutionError
from evalkit.i18n import LANGUAGES
from evalkit.prepare.study import PreparedStudy
from evalkit.read.qda.frames import units_from_turns

__all__ = ["ANALYSES", "MIN_SITES", "NEEDS", "PARALLEL_ROWS", "compute_results"]

#: Responses from which a run shares its analyses with a forked helper process (below, the
#: fork costs more than it saves): see ``parallel`` of :func:`compute_results`.
PARALLEL_ROWS = 1_000
#: What nearly every analysis imports on first use (about a second of CPU): imported before the
#: helper process is forked, so that it inherits them.
SHARED_IMPORTS = ("scipy.stats", "statsmodels.stats.proportion")

#: Cross-site comparisons (funnels, overdispersion, shrinkage) need at least this many sites.
MIN_SITES = 3


# -- the run's data frames and the calls made on them --------------------------------------------
@dataclass(frozen=True)
class _Frame:
    """A data frame passed to a public function, with the name the method note gives it."""

    name: str
    frame: Any


@dataclass
class _Context:
    prepared: PreparedStudy
    seed: int
    n_boot: int
    confidence: float
    languages: tuple[str, ...]
    #: The data frames the calls read, described for the method notes (name → key, params).
    frames: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def study(self):
        return self.prepared.study

    @property
    def roles(self):
        return self.prepared.study.roles

    @property
    def responses(self) -> pd.DataFrame:
        return self.prepared.responses

    @property
    def baseline_wave(self) -> Any:
        wave = self.roles.wave
        if not wave or wave not in self.responses.columns:
            return None
        return self.study.baseline_wave(self.responses[wave].dropna().unique())

    def baseline(self) -> pd.DataFrame:
        """Responses at the baseline wave (all responses when the study has one wave)."""
        base = self.baseline_wave
        r = self.responses
        if base is None:
            return r
        wave = self.roles.wave
        return r[r[wave].astype(str).str.replace(r"\.0$", "", regex=True) == str(base)]

    def users(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The respondents whose own involvement is measured (perception.users, else all)."""
        inv = self.study.measures.involvement
        group = self.roles.group
        if inv is None or inv.perception is None or not group:
            return frame
        wanted = {str(v) for v in inv.perception.users}
        return frame[frame[group].astype(str).isin(wanted)]

    def frame(self, name: str, frame: Any, *, kind: str | None = None,
              **params: Any) -> _Frame:
        """``frame`` under ``name``, described by the catalogue message
        ``method.frame.<kind or name>`` with ``params``."""
        self.frames[name] = {"key": f"method.frame.{kind or name}", "params": plain(params)}
        return _Frame(name, frame)

    def named(self, name: str, value: Any, **params: Any) -> _Frame:
        """A value the method note names rather than prints (names of people, a coder)."""
        return self.frame(name, value, **params)

    def call(self, function: Callable[..., Any], data: _Frame | None, /,
             **kwargs: Any) -> tuple[Any, Call]:
        """Call the public ``function`` on ``data`` and record the call as the run made it."""
        args = {k: (v.frame if isinstance(v, _Frame) else v) for k, v in kwargs.items()}
        result = function(*([data.frame] if data is not None else []), **args)
        shown = {k: (Ref(v.name) if isinstance(v, _Frame) else plain(v))
                 for k, v in kwargs.items()}
        return result, Call(function.__name__, data.name if data is not None else None, shown)

    def not_asked(self, data: _Frame) -> dict[str, _Frame]:
        """``{"not_asked": ...}``: the cells of ``data``'s rows not asked, to count missing by
        design apart, when the codebook declares skip logic (the catalogue's ``{not_asked}``);
        else empty (the tables keep their columns)."""
        if self.study_parameters["not_asked"] is None or self.prepared.not_asked is None:
            return {}
        rows = self.prepared.not_asked.loc[data.frame.index]
        return {"not_asked": self.frame(f"not_asked_{data.name}", rows, kind="not_asked")}

    def table(self, name: str, frame: pd.DataFrame, *calls: Call) -> ResultTable:
        spec = catalogue().spec(name, study=self.study_parameters)
        return ResultTable(name, frame, spec=spec, calls=tuple(calls))

    @property
    def study_parameters(self) -> dict[str, Any]:
        return study_parameters(self.study, baseline=self.baseline_wave)

    def describe_baseline(self) -> dict[str, Any]:
        return {"wave": self.roles.wave or "-", "baseline": self.baseline_wave}

    def describe_users(self) -> dict[str, Any]:
        inv = self.study.measures.involvement
        users = list(inv.perception.users) if inv is not None and inv.perception else []
        return {**self.describe_baseline(), "group": self.roles.group or "-",
                "users": ", ".join(str(u) for u in users) or "-"}


def _implied_counts(frame: pd.DataFrame, pairs: Mapping[str, tuple[str, str]]) -> pd.DataFrame:
    """Add the count each share implies (``round(share × base)``), as a reader could work it out.

    ``pairs`` maps a new count column to (share column, base column); the catalogue declares
    the new count as the numerator of the share, so that a share is released only when
    neither its implied count nor the rest of its base is a small count.
    """
    out = frame.copy()
    for count, (share, base) in pairs.items():
        if share in out.columns and base in out.columns:
            implied = (out[share].astype("float64") * out[base].astype("float64")).round()
            out.insert(out.columns.get_loc(share), count, implied.astype("Int64"))
    return out


Item = ResultTable | Absence


# -- analyses -------------------------------------------------------------------------------------
def _describe(ctx: _Context) -> list[Item]:

    roles = ctx.roles
    counts, call = ctx.call(response_counts, ctx.frame("responses", ctx.responses),
                            site=roles.site, wave=roles.wave, group=roles.group)
    report = ctx.prepared.report
    sources = pd.DataFrame([{
        "path": p.get("path"), "format": p.get("format"), "rows": p.get("rows"),
        "columns": p.get("columns"), "encoding": p.get("encoding"),
        "delimiter": p.get("delimiter"), "decimal": p.get("decimal"),
        "sha256": str(p.get("sha256") or "")[:16]} for p in report.provenance])
    summary = report.summary()
    return [ctx.table("response_counts", counts, call), ctx.table("sources", sources),
            ctx.table("validation_summary", summary),
            ctx.table("item_response", report.item_response())]


def _by_site(function: Callable[..., Any], data: pd.DataFrame, *, site: str,
             **kwargs: Any) -> tuple[pd.DataFrame, dict[Any, DataError]]:
    """The rows of the sites ``function`` (called with the ``population`` margins) can handle,
    and the data error of each other site: a problem of one site (an empty level, no margins)
    leaves the other sites their table.
    Sites are tried together, then by halves where that fails (few calls for many sites)."""
    skipped: dict[Any, DataError] = {}
    population = kwargs.pop("population")
    margins_site = population["site"].astype(str).to_numpy()

    def attempt(sites: list[Any]) -> None:
        # Each attempt reads the margins of its own sites only (a site without margins is
        # still found: its rows are there, its margins are not).
        margins = population[np.isin(margins_site, [str(v) for v in sites])]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                function(data[data[site].isin(sites)], site=site, population=margins, **kwargs)
        except DataError as error:
            if len(sites) == 1:
                skipped[sites[0]] = error
                return
            attempt(sites[: len(sites) // 2])
            attempt(sites[len(sites) // 2:])

    sites = sorted(data[site].dropna().unique(), key=str)
    if sites:
        attempt(sites)
    skipped = {value: skipped[value] for value in sites if value in skipped}
    return data[~data[site].isin(list(skipped))], skipped


def _skipped_rows(skipped: Mapping[Any, DataError]) -> pd.DataFrame:
    """One row per site left out of a table, with the reason in each language."""
    return pd.DataFrame({"site": list(skipped), **{
        f"skipped_{lang}": [error.render(lang).replace("\n  → ", " → ")
                            for error in skipped.values()] for lang in LANGUAGES}})


def _with_skipped(table: pd.DataFrame, skipped: Mapping[Any, DataError]) -> pd.DataFrame:
    if not skipped:
        return table
    rows = _skipped_rows(skipped)
    out = pd.concat([table, rows], ignore_index=True)
    for column in table.columns:  # counts stay whole numbers beside the empty cells
        if pd.api.types.is_integer_dtype(table[column]):
            out[column] = out[column].astype("Int64")
    order = {str(v): k for k, v in enumerate(sorted(out["site"].astype(str).unique()))}
    return out.sort_values("site", key=lambda s: s.astype(str).map(order),
                           kind="stable").reset_index(drop=True)


def _representativeness(ctx: _Context) -> list[Item]:

    population = ctx.prepared.population
    if population is None or population.empty:
        return []
    base = ctx.baseline()
    group = ctx.prepared.population_group
    if group is not None and ctx.roles.group:
        base = base[base[ctx.roles.group].astype(str) == str(group)]
    declared = list(population["dimension"].unique())
    dimensions = [d for d in declared if d in base.columns]
    if not dimensions:
        return [Absence(name, "absent.no_dimensions", {"dimensions": [str(d) for d in declared]})
                for name in ("representativeness", "tokenism_weighted")]
    site = ctx.roles.site
    base = base.dropna(subset=[site, *dimensions])
    # A site whose respondents the margins cannot describe is left out with its reason; the
    # others keep their profile.
    profiled, not_profiled = _by_site(representativeness, base, site=site,
                                      population=population, dimensions=dimensions)
    if profiled.empty and not_profiled:
        raise next(iter(not_profiled.values()))
    respondents = ctx.frame("respondents", profiled, **ctx.describe_baseline(),
                            group=ctx.roles.group or "-",
                            population_group="-" if group is None else str(group),
                            dimensions=", ".join(map(str, dimensions)))
    margins = ctx.frame("population", population)
    table, rep_call = ctx.call(representativeness, respondents, population=margins,
                               site=site, dimensions=dimensions)
    # The function names its site column ``site``, whatever the study calls it.
    table.insert(table.columns.get_loc("n") + 1, "n_site",
                 table.groupby(["site", "dimension"])["n"].transform("sum"))
    out: list[Item] = [ctx.table("representativeness", _with_skipped(table, not_profiled),
                                 rep_call)]
    inv = ctx.study.measures.involvement
    if inv is not None and inv.tokenism is not None:
        out.append(_tokenism_weighted(ctx, respondents, margins, dimensions, not_profiled))
    return out


def _tokenism_weighted(ctx: _Context, respondents: _Frame, margins: _Frame,
                       dimensions: list[str], not_profiled: Mapping[Any, DataError]) -> Item:
    """Tokenism by site, weighted to the population margins; a site the margins cannot be
    raked to (e.g. a level with no respondent) is left out with its reason."""
    inv = ctx.study.measures.involvement
    site = ctx.roles.site
    # Every site's problem is found in one pass (hundreds of sites, many of them small).
    not_raked = raking_problems(respondents.frame, population=margins.frame, site=site,
                                dimensions=dimensions)
    rakeable = respondents.frame[~respondents.frame[site].isin(list(not_raked))]
    skipped = {**not_profiled, **not_raked}
    if rakeable.empty:
        error = next(iter(not_raked.values()))
        return Absence("tokenism_weighted", *_data_error("representativeness", error))
    raked = _Frame(respondents.name, rakeable)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        weights, rake_call = ctx.call(rake_weights, raked, population=margins, site=site,
                                      dimensions=dimensions)
    status, status_call = ctx.call(tokenism_status, raked, voice=inv.tokenism.voice,
                                   influence=inv.tokenism.influence, agree_at=inv.agree_at)
    frame = pd.DataFrame({
        "site": rakeable[site].to_numpy(),
        "weight": weights["weight"].to_numpy(),
        "consulted": status["consulted"].astype("boolean").fillna(False).to_numpy(bool),
        "tokenistic": status["tokenistic"].astype("Float64").to_numpy("float64",
                                                                     na_value=np.nan)})
    consulted = frame[frame["consulted"]].dropna(subset=["tokenistic"])
    weighted, weighted_call = ctx.call(
        weighted_proportion, ctx.frame("consulted", consulted), y="tokenistic",
        weight="weight", site="site", confidence=ctx.confidence)
    # The unweighted count behind the weighted rate: a numerator like any other.
    weighted.insert(weighted.columns.get_loc("n") + 1, "n_tokenistic",
                    consulted.groupby("site")["tokenistic"].sum()
                    .reindex(weighted["site"]).to_numpy().round().astype("int64"))
    return ctx.table("tokenism_weighted", _with_skipped(weighted, skipped), rake_call,
                     status_call, weighted_call)


def _involvement(ctx: _Context) -> list[Item]:

    inv = ctx.study.measures.involvement
    if inv is None:
        return []
    roles = ctx.roles
    base_rows = ctx.baseline()
    base = ctx.frame("baseline", base_rows, **ctx.describe_baseline())
    users = ctx.frame("users", ctx.users(base_rows), **ctx.describe_users())
    out: list[Item] = []
    dist, call = ctx.call(inv_.ladder_distribution, base, items=inv.ladder,
                          agree_at=inv.agree_at, site=roles.site, group=roles.group,
                          **ctx.not_asked(base))
    out.append(ctx.table("ladder_distribution", dist, call))
    repro, call = ctx.call(inv_.ladder_reproducibility, base, items=inv.ladder,
                           agree_at=inv.agree_at, **ctx.not_asked(base))
    out.append(ctx.table("ladder_reproducibility", repro, call))
    codebook = ctx.prepared.codebook
    likert, call = ctx.call(likert_distribution, base, items=inv.ladder,
                            categories=list(codebook.values_of(inv.ladder[0])),
                            group=roles.group)
    out.append(ctx.table("ladder_items", likert, call))
    if inv.tokenism is not None:
        tok = dict(voice=inv.tokenism.voice, influence=inv.tokenism.influence)
        skip_users, skip_base = ctx.not_asked(users), ctx.not_asked(base)
        rates, rates_call = ctx.call(inv_.tokenism_rates, users, **tok, agree_at=inv.agree_at,
                                     site=roles.site, confidence=ctx.confidence, **skip_users)
        out.append(ctx.table("tokenism_rates", rates, rates_call))
        overall, call = ctx.call(inv_.tokenism_rates, users, **tok, agree_at=inv.agree_at,
                                 confidence=ctx.confidence, **skip_users)
        out.append(ctx.table("tokenism_overall", overall, call))
        if roles.group:
            by_group, call = ctx.call(inv_.tokenism_rates, base, **tok, agree_at=inv.agree_at,
                                      site=roles.site, group=roles.group,
                                      confidence=ctx.confidence, **skip_base)
            out.append(ctx.table("tokenism_rates_group", by_group, call))
        gap, call = ctx.call(inv_.tokenism_gap, users, **tok, site=roles.site,
                             confidence=ctx.confidence, **skip_users)
        out.append(ctx.table("tokenism_gap", gap, call))
        out += _tokenism_funnel(ctx, rates, rates_call)
        if inv.perception is not None and roles.group:
            out.append(_perception(ctx, base))
    out += _reliability(ctx, "ladder", inv.ladder, base)
    return out


def _perception(ctx: _Context, base: _Frame) -> ResultTable:
    inv = ctx.study.measures.involvement
    perception, call = ctx.call(
        inv_.perception_gap, base, voice=inv.tokenism.voice, influence=inv.tokenism.influence,
        agree_at=inv.agree_at, group=ctx.roles.group, staff=inv.perception.staff,
        users=inv.perception.users, site=ctx.roles.site, items=inv.ladder, combine="mean",
        confidence=ctx.confidence)
    perception["n_min"] = perception[["n_staff", "n_users"]].min(axis=1)
    rate = perception["measure"] == "tokenism_rate"
    perception = _implied_counts(
        perception.assign(staff_rate=perception["staff"].where(rate),
                          users_rate=perception["users"].where(rate)),
        {"k_staff": ("staff_rate", "n_staff"), "k_users": ("users_rate", "n_users")})
    perception = perception.drop(columns=["staff_rate", "users_rate"])
    return ctx.table("perception_gap", perception, call)


_TOKENISM_FUNNEL = ("tokenism_funnel_limits", "tokenism_funnel", "tokenism_overdispersion",
                    "tokenism_shrunken")


def _tokenism_funnel(ctx: _Context, rates: pd.DataFrame, rates_call: Call) -> list[Item]:

    usable = rates[rates["n_consulted"] > 0]
    # Funnels and shrinkage compare sites: too few sites, or too few with a consulted user.
    reason = _sites_need(ctx)
    if reason is None and len(usable) < MIN_SITES:
        reason = ("absent.too_few_sites_consulted", {"n": int(len(usable)), "min": MIN_SITES})
    if reason is not None:
        return [Absence(name, *reason) for name in _TOKENISM_FUNNEL]
    data = ctx.frame("rates", usable.rename(columns={ctx.roles.site: "site"}),
                     site=ctx.roles.site)
    spec = dict(site="site", kind="proportion", numerator="n_tokenistic",
                denominator="n_consulted")
    limits, limits_call = ctx.call(funnel_limits, data, **spec)
    disp, disp_call = ctx.call(overdispersion, data, **spec)
    shrunk, shrunk_call = ctx.call(shrunken_estimates, data, **spec, confidence=ctx.confidence)
    implied = {"n_tokenistic": ("estimate", "n")}
    sites = _implied_counts(limits[limits["source"] == "site"], implied)
    return [
        # The funnel's limits at each precision: a drawing grid, no person behind it.
        ctx.table("tokenism_funnel_limits",
                  limits[limits["source"] == "grid"].reset_index(drop=True), limits_call),
        ctx.table("tokenism_funnel", sites.reset_index(drop=True), rates_call, limits_call),
        ctx.table("tokenism_overdispersion", _implied_counts(disp, implied), rates_call,
                  disp_call),
        ctx.table("tokenism_shrunken", _implied_counts(shrunk, implied), rates_call,
                  shrunk_call),
    ]


def _reliability(ctx: _Context, name: str, items: Sequence[str],
                 data: _Frame, reverse: Mapping | None = None) -> list[Item]:

    n_boot = ctx.n_boot
    # bootstrap: 0 in study.yaml asks for no bootstrap interval (Feldt's only).
    first, alpha_call = ctx.call(cronbach_alpha, data, items=items, confidence=ctx.confidence,
                                 n_boot=n_boot, ci=("feldt", "bootstrap") if n_boot else "feldt",
                                 seed=ctx.seed, reverse=reverse)
    parts, calls = [first], [alpha_call]
    small = max(min(n_boot // 4, 500), 100) if n_boot else 0
    ci = "bootstrap" if small else None
    for function in (ordinal_alpha, mcdonald_omega):
        try:
            part, call = ctx.call(function, data, items=items, confidence=ctx.confidence, ci=ci,
                                  n_boot=small or 1, seed=ctx.seed, reverse=reverse)
            parts.append(part)
            calls.append(call)
        except Exception as error:  # reported, not fatal: e.g. an empty category
            parts.append(pd.DataFrame({"measure": [function.__name__],
                                       "note": [f"{type(error).__name__}: {error}"]}))
    table = pd.concat(parts, ignore_index=True).assign(scale=name)
    items_table, items_call = ctx.call(item_analysis, data, items=items, reverse=reverse)
    return [ctx.table(f"reliability_{name}", table, *calls),
            ctx.table(f"items_{name}", items_table.assign(scale=name), items_call)]


def _scales(ctx: _Context) -> list[Item]:

    out: list[Item] = []
    base = ctx.baseline()
    site = ctx.roles.site
    for name, scale in ctx.study.measures.scales.items():
        items = list(scale.items.values()) if isinstance(scale.items, dict) else scale.items
        instrument = scale.instrument
        if isinstance(instrument, str) and instrument.endswith((".yaml", ".yml")):
            instrument = ctx.study.resolve(instrument)
        skips = ctx.not_asked(ctx.frame("baseline", base, **ctx.describe_baseline()))
        if skips:
            # Skip logic declared: respondents asked none of the items are left out; those
            # asked and answering none are non-response (too few items), counted.
            asked = ~skips["not_asked"].frame.reindex(columns=items, fill_value=False).all(axis=1)
            rows = base[asked.to_numpy()]
        else:
            # Respondents who answered none of the items were not asked (e.g. staff): left out.
            rows = base.dropna(subset=items, how="all")
        answered = ctx.frame(f"answered_{name}", rows, kind="asked" if skips else "answered",
                             **ctx.describe_baseline(), scale=name)
        # Items the codebook keys in reverse, besides the instrument's own reverse items.
        reverse = [c for c in items if c in ctx.prepared.codebook.reverse_keyed()]
        scores, score_call = ctx.call(score_scale, answered, instrument=instrument,
                                      items=scale.items, id=ctx.roles.id, reverse=reverse,
                                      **ctx.not_asked(answered))
        # The call is shown as study.yaml writes it (an instrument's file relative to it).
        score_call = Call(score_call.function, score_call.data,
                          {**score_call.args, "instrument": plain(scale.instrument)})
        summary, summary_call = ctx.call(scoring_summary, ctx.frame(
            f"scores_{name}", scores, kind="scores", scale=name))
        out.append(ctx.table(f"scoring_{name}", summary, score_call, summary_call))
        by_site = (pd.DataFrame({"site": answered.frame[site].to_numpy(),
                                 "score": scores["score"].to_numpy()})
                   .groupby("site").agg(n=("score", "count"), mean=("score", "mean"),
                                        sd=("score", "std")).reset_index())
        out.append(ctx.table(f"scale_{name}_by_site", by_site, score_call))
        out += _reliability(ctx, name, items, answered,
                            reverse_keyed_items(instrument=instrument, items=scale.items,
                                                reverse=reverse))
    return out


def _outcome_change_waves(ctx: _Context, responses: _Frame, args: dict[str, Any],
                          change: pd.DataFrame, change_call: Call,
                          implied: Mapping[str, tuple[str, str]]) -> Item:
    """Baseline to each follow-up: the first again (``change``), then the later ones; a study
    with one follow-up has its change in ``outcome_change`` alone."""
    follow_ups = ctx.study.waves.follow_up
    if len(follow_ups) < 2:
        return Absence("outcome_change_waves", "absent.one_follow_up", {})
    blocks, calls = [change], [change_call]
    for wave in follow_ups[1:]:
        later, call = ctx.call(outcome_change, responses, **{**args, "follow_up": wave},
                               site=None, confidence=ctx.confidence)
        blocks.append(later)
        calls.append(call)
    waves = pd.concat([block.assign(follow_up=wave) for block, wave in
                       zip(blocks, follow_ups, strict=True)], ignore_index=True)
    waves = waves[["follow_up", *change.columns]]
    return ctx.table("outcome_change_waves", _implied_counts(waves, implied), *calls)


def _outcomes(ctx: _Context) -> list[Item]:

    outcomes = ctx.study.measures.outcomes
    study = ctx.study
    if outcomes is None or not ctx.roles.wave or study.waves is None \
            or not study.waves.follow_up:
        return []
    roles = ctx.roles
    responses = ctx.frame("responses", ctx.responses)
    args = dict(items=outcomes.items, id=roles.id, wave=roles.wave,
                baseline=study.waves.baseline, follow_up=study.waves.follow_up[0],
                met_at=outcomes.met_at, group_items=outcomes.groups or None)
    args.update(ctx.not_asked(responses))  # skip logic: ratings not asked counted apart
    implied = {"n_improved": ("share_improved", "n_paired"),
               "n_same": ("share_same", "n_paired"), "n_worse": ("share_worse", "n_paired"),
               "n_met_baseline": ("share_met_baseline", "n_baseline"),
               "n_met_follow_up": ("share_met_follow_up", "n_follow_up")}
    change, change_call = ctx.call(outcome_change, responses, **args, site=None,
                                   confidence=ctx.confidence)
    by_site, site_call = ctx.call(outcome_change, responses, **args, site=roles.site,
                                  confidence=ctx.confidence)
    out: list[Item] = [
        ctx.table("outcome_change", _implied_counts(change, implied), change_call),
        ctx.table("outcome_change_site", _implied_counts(by_site, implied), site_call)]
    out.append(_outcome_change_waves(ctx, responses, args, change, change_call, implied))
    if study.measures.involvement is None:
        return out
    declared = study.measures.outcomes.model
    # A random intercept per site needs two sites with a known change at least.
    known = involvement_change_data(ctx.responses, study=study).dropna(
        subset=["outcome_change"])[roles.site].nunique()
    if known < 2:
        return out + [Absence(name, "absent.too_few_sites_change", {"n": int(known), "min": 2})
                      for name in ("involvement_model", "involvement_model_fit",
                                   "involvement_model_variance", "involvement_model_sites",
                                   "outcome_icc", "outcome_funnel_limits", "outcome_funnel",
                                   "outcome_shrunken")]
    # Printed in the method notes as the run made it: the formula, who entered, the follow-up.
    model, model_call = ctx.call(involvement_outcome_model, responses,
                                 study=ctx.named("study", study), formula=declared.formula,
                                 respondents=model_respondents(study),
                                 follow_up=model_follow_up(study))
    out += [ctx.table("involvement_model", model.coefficients, model_call),
            ctx.table("involvement_model_fit", model.fit, model_call),
            ctx.table("involvement_model_variance", model.variance_components, model_call),
            ctx.table("involvement_model_sites", model.random_effects, model_call)]
    # The site column is named ``site`` here, whatever the study calls it (as in the tables).
    data = involvement_change_data(ctx.responses, study=study).rename(
        columns={roles.site: "site"})
    y = "change" if "change" in data.columns else data.columns[-1]
    with_change = ctx.frame("change", data.dropna(subset=[y]), y=y, site=roles.site)
    icc_table, icc_call = ctx.call(icc, with_change, y=y, group="site",
                                   confidence=ctx.confidence)
    sizes = with_change.frame.groupby("site").size().to_numpy(dtype=float)
    # Design effect of the site clustering, with unequal cluster sizes (Eldridge et al. 2006).
    icc_table["design_effect"] = [design_effect(v, sizes) if pd.notna(v) else np.nan
                                  for v in icc_table["icc"]]
    deff_call = Call("design_effect", None, {"icc": Ref("icc"), "cluster_size": Ref("sizes")})
    ctx.named("icc", None)
    ctx.named("sizes", None)
    out.append(ctx.table("outcome_icc", icc_table, icc_call, deff_call))
    site_change = (with_change.frame.groupby("site")[y]
                   .agg(n="count", mean="mean", sd="std").reset_index())
    reason = _sites_need(ctx)
    if reason is None and len(site_change) < MIN_SITES:
        reason = ("absent.too_few_sites_change", {"n": int(len(site_change)), "min": MIN_SITES})
    if reason is not None:
        return out + [Absence(name, *reason) for name in
                      ("outcome_funnel_limits", "outcome_funnel", "outcome_shrunken")]
    by_site_change = ctx.frame("site_change", site_change)
    spec = dict(site="site", kind="mean", mean="mean", sd="sd", n="n")
    limits, limits_call = ctx.call(funnel_limits, by_site_change, **spec)
    shrunk, shrunk_call = ctx.call(shrunken_estimates, by_site_change, **spec,
                                   confidence=ctx.confidence)
    out += [ctx.table("outcome_funnel_limits",
                      limits[limits["source"] == "grid"].reset_index(drop=True), limits_call),
            ctx.table("outcome_funnel",
                      limits[limits["source"] == "site"].reset_index(drop=True), limits_call),
            ctx.table("outcome_shrunken", shrunk, shrunk_call)]
    return out


def _network(ctx: _Context) -> list[Item]:

    network = ctx.study.measures.network
    if network is None:
        return []
    users = ctx.users(ctx.baseline()).dropna(subset=[network.paid, network.peers,
                                                     network.community], how="all")
    users = ctx.frame("network_users", users, **ctx.describe_users())
    table, call = ctx.call(traffic_light_distribution, users,
                           paid=network.paid, peers=network.peers, community=network.community,
                           site=ctx.roles.site, confidence=ctx.confidence,
                           **ctx.not_asked(users))
    return [ctx.table("traffic_light", table, call)]


def _integration(ctx: _Context) -> list[Item]:

    integration = ctx.study.measures.integration
    partners = ctx.prepared.partners
    if integration is None or partners is None or partners.empty:
        return []
    table, call = ctx.call(integration_profile, ctx.frame("partners", partners),
                           site=integration.site, level=integration.level,
                           levels=integration.levels)
    # Partner organisations are not people: their counts are not suppressed.
    return [ctx.table("integration_profile", table, call)]


def _qualitative(ctx: _Context) -> list[Item]:

    segments, documents = ctx.prepared.segments, ctx.prepared.documents
    if segments is None or segments.empty:
        return []
    coders = sorted(segments["coder"].dropna().unique())
    # The coder who coded the most documents stands for the team in frequencies and quotes.
    main_coder = (segments.groupby("coder")["document"].nunique().sort_values(
        ascending=False, kind="stable").index[0])
    coder = ctx.named("main_coder", main_coder)
    coded = ctx.frame("segments", segments)
    docs = ctx.frame("documents", documents)
    frequencies, call = ctx.call(code_frequencies, coded, site="site", group=None, coder=coder,
                                 documents=docs)
    out: list[Item] = [ctx.table("code_frequencies", frequencies, call)]
    pairs, call = ctx.call(cooccurrence, coded, coder=coder)
    out.append(ctx.table("cooccurrence", pairs, call))
    out.append(_agreement(ctx, segments, documents, coders))
    names = ctx.named("names", ctx.prepared.names)
    for lang in LANGUAGES:
        if lang not in ctx.languages:
            out += [Absence(f"framework_{lang}", "absent.language", {"lang": lang}),
                    Absence(f"quotes_{lang}", "absent.language", {"lang": lang})]
            continue
        matrix, call = ctx.call(framework_matrix, coded, case="site", coder=coder, lang=lang,
                                names=names)
        out.append(ctx.table(f"framework_{lang}", matrix, call))
        # An attribution never names a role at a site with fewer people than the policy shows.
        quotes, call = ctx.call(quote_bank, coded, coder=coder, lang=lang, names=names,
                                seed=ctx.seed, min_cell=ctx.study.privacy.min_cell,
                                documents=docs)
        out.append(ctx.table(f"quotes_{lang}", quotes, call))
    return out


def _agreement(ctx: _Context, segments: pd.DataFrame, documents: Any,
               coders: list[Any]) -> Item:
    if len(coders) < 2:
        return Absence("coder_agreement", "absent.one_coder", {"n": len(coders)})
    if documents is None:
        return Absence("coder_agreement", "absent.no_turns")
    units = units_from_turns(documents)
    double = segments.groupby("document")["coder"].nunique()
    shared = double[double >= 2].index
    if not len(shared):
        return Absence("coder_agreement", "absent.no_double_coding")
    table, coding_call = ctx.call(
        coding_table, ctx.frame("double_coded", segments[segments["document"].isin(shared)]),
        units=ctx.frame("turns", units[units["document"].isin(shared)]))
    agreement, call = ctx.call(agreement_table, ctx.frame("coding", table),
                               n_boot=max(ctx.n_boot // 2, 100), confidence=ctx.confidence,
                               seed=ctx.seed)
    return ctx.table("coder_agreement", agreement, coding_call, call)


#: The analyses a run computes, in order; each returns result tables and the reasons of the
#: tables it could not make (nothing when the study does not configure what it needs).
ANALYSES: tuple[tuple[str, Callable[[_Context], list[Item]]], ...] = (
    ("describe", _describe),
    ("representativeness", _representativeness),
    ("involvement", _involvement),
    ("scales", _scales),
    ("outcomes", _outcomes),
    ("network", _network),
    ("integration", _integration),
    ("qualitative", _qualitative),
)


# -- what the catalogue's tables need -------------------------------------------------------------
Reason = tuple[str, dict[str, Any]] | None


def _configured(section: str, present: Any) -> Reason:
    return None if present else ("absent.not_configured", {"section": section})


def _involvement_need(ctx: _Context) -> Reason:
    return _configured("measures.involvement", ctx.study.measures.involvement)


def _tokenism_need(ctx: _Context) -> Reason:
    inv = ctx.study.measures.involvement
    return _involvement_need(ctx) or _configured("measures.involvement.tokenism",
                                                 inv.tokenism)


def _perception_need(ctx: _Context) -> Reason:
    inv = ctx.study.measures.involvement
    return _tokenism_need(ctx) or _configured("measures.involvement.perception",
                                              inv.perception)


def _group_need(ctx: _Context) -> Reason:
    return None if ctx.roles.group else ("absent.no_group_role", {})


def _waves_need(ctx: _Context) -> Reason:
    study = ctx.study
    if not ctx.roles.wave:
        return ("absent.not_configured", {"section": "roles.wave"})
    if study.waves is None or not study.waves.follow_up:
        return ("absent.one_wave", {})
    seen = ctx.responses[ctx.roles.wave].dropna().nunique()
    return None if seen >= 2 else ("absent.one_wave", {})


def _sites_need(ctx: _Context) -> Reason:
    found = int(ctx.responses[ctx.roles.site].dropna().nunique())
    return None if found >= MIN_SITES else ("absent.too_few_sites", {"n": found,
                                                                     "min": MIN_SITES})


def _population_need(ctx: _Context) -> Reason:
    population = ctx.prepared.population
    return None if population is not None and not population.empty else \
        ("absent.no_population", {})


def _partners_need(ctx: _Context) -> Reason:
    partners = ctx.prepared.partners
    return None if partners is not None and not partners.empty else ("absent.no_partners", {})


def _interviews_need(ctx: _Context) -> Reason:
    segments = ctx.prepared.segments
    return None if segments is not None and not segments.empty else ("absent.no_interviews", {})


def _coders_need(ctx: _Context) -> Reason:
    segments = ctx.prepared.segments
    n = 0 if segments is None else int(segments["coder"].dropna().nunique())
    return None if n >= 2 else ("absent.one_coder", {"n": n})


#: What a table may need (``needs`` in the catalogue), and the reason given when it is missing.
NEEDS: dict[str, Callable[[_Context], Reason]] = {
    "involvement": _involvement_need,
    "tokenism": _tokenism_need,
    "perception": _perception_need,
    "group": _group_need,
    "waves": _waves_need,
    "outcomes": lambda ctx: _configured("measures.outcomes", ctx.study.measures.outcomes),
    "scales": lambda ctx: _configured("measures.scales", ctx.study.measures.scales),
    "network": lambda ctx: _configured("measures.network", ctx.study.measures.network),
    "integration": lambda ctx: _configured("measures.integration",
                                           ctx.study.measures.integration),
    "partners": _partners_need,
    "population": _population_need,
    "interviews": _interviews_need,
    "sites": _sites_need,
    "coders": _coders_need,
    # Checked per language when the tables are planned.
    "language": lambda ctx: None,
}


def _unmet(ctx: _Context, needs: Sequence[str]) -> Reason:
    for need in needs:
        reason = NEEDS[need](ctx)
        if reason is not None:
            return reason
    return None


def _data_error(analysis: str, error: DataError) -> tuple[str, dict[str, Any]]:
    """The reason of a table that a data problem stopped, with the problem in each language."""
    message = {g: error.render(g).replace("\n  → ", " → ") for g in LANGUAGES}
    return "absent.data_error", {"analysis": analysis, "message": message}


def _record_absent(results: Results, ctx: _Context, analysis: str,
                   error: DataError | None = None) -> None:
    """Give every table of ``analysis`` that was not made its reason: what the study lacks,
    else the data error that stopped the analysis, else that the data held nothing to
    compute it from."""
    for handle in catalogue().of_analysis(analysis):
        spec = catalogue()[handle]
        made = results.instances(handle) if "{" in handle else \
            ([handle] if handle in results.tables else [])
        if made:
            continue
        reason = _unmet(ctx, spec.needs)
        if reason is None and error is not None:
            reason = _data_error(analysis, error)
        results.add_absence(Absence(handle, *(reason or ("absent.no_data", {}))))


def compute_results(prepared: PreparedStudy, *, seed: int | None = None,
                    n_boot: int | None = None, confidence: float | None = None,
                    languages: Sequence[str] | None = None,
                    parallel: bool | None = None) -> Results:
    """Run every analysis the study configures, once, on prepared data.

    Parameters
    ----------
    prepared : PreparedStudy
        From :func:`evalkit.prepare.study.prepare_study`.
    seed, n_boot, confidence : optional
        Default to the study's ``parameters`` (seed, bootstrap, confidence).
    languages : sequence of str, optional
        Languages of the language-dependent tables (quotes, Framework matrix); default the
        study's languages.
    parallel : bool, optional
        Share the analyses with a process forked from this one (the same results); default:
        for a study of :data:`PARALLEL_ROWS` responses or more, where the platform forks and
        this process has no other thread.

    Returns
    -------
    Results
        The tables of the catalogue the study supports (see ``docs/tables.md``), each with
        the calls that made it; for every other declared table, the reason it is absent
        (:meth:`Results.absence`).

    Raises
    ------
    evalkit.errors.ExecutionError
        An analysis failed; the message names it.

    Notes
    -----
    An analysis the data cannot support (a :class:`~evalkit.errors.DataError`, e.g. no
    population level in the data) is left out; its tables are recorded as absent with the
    error's message in French and English, and the other analyses go on. A table whose needs
    the study does not meet (not configured, one wave, too few sites, no interviews...) is
    recorded as absent with that reason.
    """

    params = prepared.study.parameters
    ctx = _Context(prepared=prepared,
                   seed=params.seed if seed is None else int(seed),
                   n_boot=params.bootstrap if n_boot is None else int(n_boot),
                   confidence=params.confidence if confidence is None else float(confidence),
                   languages=tuple(languages or prepared.study.languages))
    results = Results(meta={
        "study": prepared.study.study, "date": dt.date.today().isoformat(),
        "seed": ctx.seed, "bootstrap": ctx.n_boot,
        "confidence": ctx.confidence, "languages": list(ctx.languages),
        "sites": [str(s) for s in prepared.codebook.values_of(prepared.study.roles.site)],
        "study_parameters": plain(ctx.study_parameters), "frames": ctx.frames,
    })
    # The analyses are independent: a large study shares them with a forked helper process
    # (evalkit.analyse._share), which gives the same results, in the same order, as one process.
    helper = parallel if parallel is not None else len(prepared.responses) >= PARALLEL_ROWS
    if helper:
        # Imported once, before the helper is forked: else both processes import them.
        for module in SHARED_IMPORTS:
            importlib.import_module(module)
    outcomes = share_work(functools.partial(_outcome, ctx), range(len(ANALYSES)),
                          helper=helper)
    for (name, _), (items, frames, failure) in zip(ANALYSES, outcomes, strict=True):
        ctx.frames.update(frames)
        for item in items:
            if isinstance(item, Absence):
                results.add_absence(item)
            else:
                results.add(item)
        _record_absent(results, ctx, name, failure)
    return results


def _outcome(ctx: _Context, index: int) -> tuple[list[Item], dict, DataError | None]:
    """Analysis ``index`` of :data:`ANALYSES` on ``ctx``: its items, the frames it named (in
    the order it named them) and, when the data cannot support it, the error that says why."""
    name, analysis = ANALYSES[index]
    own = dataclasses.replace(ctx, frames={})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=RuntimeWarning)
            return analysis(own), own.frames, None
    except DataError as error:
        # The data cannot support this analysis (e.g. too few answers): the run goes on
        # without it and says why.
        return [], own.frames, error
    except EvalkitError:
        raise
    except Exception as error:
        raise ExecutionError.from_catalogue("results.analysis_failed", analysis=name,
                                            error=f"{type(error).__name__}: {error}") from error
