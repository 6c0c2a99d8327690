"""The analyses of a run: every table the notebooks and reports show, computed once.

:func:`compute_results` runs the analyses a study's configuration asks for on the prepared data
and returns :class:`~evalkit.analyse.results.Results`. An analysis the data cannot support is
left out with its reason; the others go on.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.analyse import involvement as inv_
from evalkit.analyse.describe import likert_distribution, response_counts
from evalkit.analyse.funnel import funnel_limits, overdispersion
from evalkit.analyse.integration import integration_profile
from evalkit.analyse.involvement import tokenism_status
from evalkit.analyse.models import (
    design_effect,
    icc,
    involvement_change_data,
    involvement_outcome_model,
)
from evalkit.analyse.network import traffic_light_distribution
from evalkit.analyse.outcomes import outcome_change_from_study
from evalkit.analyse.qual.agreement import agreement_table, coding_table
from evalkit.analyse.qual.framework import framework_matrix
from evalkit.analyse.qual.frequencies import code_frequencies, cooccurrence
from evalkit.analyse.qual.quotes import quote_bank
from evalkit.analyse.reliability import cronbach_alpha, item_analysis, mcdonald_omega, ordinal_alpha
from evalkit.analyse.results import Results, ResultTable
from evalkit.analyse.scales import reverse_keyed_items, score_scale, scoring_summary
from evalkit.analyse.shrinkage import shrunken_estimates
from evalkit.analyse.weights import rake_weights, representativeness, weighted_proportion
from evalkit.errors import DataError, EvalkitError, ExecutionError
from evalkit.prepare.study import PreparedStudy
from evalkit.read.qda.frames import units_from_turns

__all__ = ["ANALYSES", "MIN_SITES", "compute_results"]

#: Cross-site comparisons (funnels, overdispersion, shrinkage) need at least this many sites.
MIN_SITES = 3


# -- analyses -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Context:
    prepared: PreparedStudy
    seed: int
    n_boot: int
    confidence: float
    languages: tuple[str, ...]

    @property
    def study(self):
        return self.prepared.study

    @property
    def roles(self):
        return self.prepared.study.roles

    @property
    def responses(self) -> pd.DataFrame:
        return self.prepared.responses

    def baseline(self) -> pd.DataFrame:
        """Responses at the baseline wave (all responses when the study has one wave)."""
        wave = self.roles.wave
        r = self.responses
        if not wave or wave not in r.columns:
            return r
        base = self.study.baseline_wave(r[wave].dropna().unique())
        return r[r[wave].astype(str).str.replace(r"\.0$", "", regex=True) == str(base)]

    def users(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The respondents whose own involvement is measured (perception.users, else all)."""
        inv = self.study.measures.involvement
        group = self.roles.group
        if inv is None or inv.perception is None or not group:
            return frame
        wanted = {str(v) for v in inv.perception.users}
        return frame[frame[group].astype(str).isin(wanted)]


def _counts(frame: pd.DataFrame, *prefixes: str, extra: Sequence[str] = ()) -> tuple[str, ...]:
    cols = [c for c in frame.columns if any(c == p or c.startswith(p + "_") for p in prefixes)]
    return tuple(dict.fromkeys([*cols, *[c for c in extra if c in frame.columns]]))


def _implied_counts(frame: pd.DataFrame, pairs: Mapping[str, tuple[str, str]]
                    ) -> tuple[pd.DataFrame, dict[str, str]]:
    """Add the count each share implies (``round(share × base)``), as a reader could work it out.

    ``pairs`` maps a new count column to (share column, base column). Returns the frame and the
    numerators mapping (count → base) for disclosure control: a share is released only when
    neither its implied count nor the rest of its base is a small count.
    """
    out = frame.copy()
    numerators = {}
    for count, (share, base) in pairs.items():
        if share in out.columns and base in out.columns:
            implied = (out[share].astype("float64") * out[base].astype("float64")).round()
            out.insert(out.columns.get_loc(share), count, implied.astype("Int64"))
            numerators[count] = base
    return out, numerators


def _present(frame: pd.DataFrame, columns: Sequence[str]) -> tuple[str, ...]:
    return tuple(c for c in columns if c in frame.columns)


def _describe(ctx: _Context) -> list[ResultTable]:

    roles = ctx.roles
    counts = response_counts(ctx.responses, site=roles.site, wave=roles.wave, group=roles.group)
    report = ctx.prepared.report
    sources = pd.DataFrame([{
        "path": p.get("path"), "format": p.get("format"), "rows": p.get("rows"),
        "columns": p.get("columns"), "encoding": p.get("encoding"),
        "delimiter": p.get("delimiter"), "decimal": p.get("decimal"),
        "sha256": str(p.get("sha256") or "")[:16]} for p in report.provenance])
    summary = report.summary()
    return [ResultTable("response_counts", counts, counts=("n",)),
            # Files are not people: their row counts are not suppressed.
            ResultTable("sources", sources),
            ResultTable("validation_summary", summary)]


def _representativeness(ctx: _Context) -> list[ResultTable]:

    population = ctx.prepared.population
    if population is None or population.empty:
        return []
    base = ctx.baseline()
    group = ctx.prepared.population_group
    if group is not None and ctx.roles.group:
        base = base[base[ctx.roles.group].astype(str) == str(group)]
    dimensions = [d for d in population["dimension"].unique() if d in base.columns]
    if not dimensions:
        return []
    base = base.dropna(subset=[ctx.roles.site, *dimensions])
    table = representativeness(base, population=population, site=ctx.roles.site,
                               dimensions=dimensions)
    table.insert(table.columns.get_loc("n") + 1, "n_site",
                 table.groupby([ctx.roles.site, "dimension"])["n"].transform("sum"))
    out = [ResultTable("representativeness", table, counts=("n", "n_site"),
                       estimates=("share", "difference"), n="n_site", numerators=("n",))]
    inv = ctx.study.measures.involvement
    if inv is not None and inv.tokenism is not None:

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            weights = rake_weights(base, population=population, site=ctx.roles.site,
                                   dimensions=dimensions)
        status = tokenism_status(base, voice=inv.tokenism.voice,
                                 influence=inv.tokenism.influence, agree_at=inv.agree_at)
        frame = pd.DataFrame({
            "site": base[ctx.roles.site].to_numpy(),
            "weight": weights["weight"].to_numpy(),
            "consulted": status["consulted"].astype("boolean").fillna(False).to_numpy(bool),
            "tokenistic": status["tokenistic"].astype("Float64").to_numpy("float64",
                                                                         na_value=np.nan)})
        consulted = frame[frame["consulted"]].dropna(subset=["tokenistic"])
        weighted = weighted_proportion(consulted, y="tokenistic", weight="weight", site="site",
                                       confidence=ctx.confidence)
        # The unweighted count behind the weighted rate: a numerator like any other.
        weighted.insert(weighted.columns.get_loc("n") + 1, "n_tokenistic",
                        consulted.groupby("site")["tokenistic"].sum()
                        .reindex(weighted["site"]).to_numpy().round().astype("int64"))
        out.append(ResultTable("tokenism_weighted", weighted, counts=("n", "n_tokenistic"),
                               estimates=_present(weighted, ("estimate", "std_error", "ci_low",
                                                             "ci_high", "deff", "n_eff",
                                                             "sum_weights")),
                               n="n", numerators=("n_tokenistic",), non_validated=True))
    return out


def _involvement(ctx: _Context) -> list[ResultTable]:

    inv = ctx.study.measures.involvement
    if inv is None:
        return []
    roles = ctx.roles
    base = ctx.baseline()
    users = ctx.users(base)
    out = []
    dist = inv_.ladder_distribution(base, items=inv.ladder, agree_at=inv.agree_at,
                                    site=roles.site, group=roles.group)
    out.append(ResultTable("ladder_distribution", dist, counts=("n", "n_placed", "n_unplaced"),
                           estimates=("share",), n="n_placed", numerators=("n",),
                           non_validated=True))
    repro = inv_.ladder_reproducibility(base, items=inv.ladder, agree_at=inv.agree_at)
    out.append(ResultTable("ladder_reproducibility", repro, non_validated=True))
    codebook = ctx.prepared.codebook
    likert = likert_distribution(base, items=inv.ladder,
                                 categories=codebook.values_of(inv.ladder[0]), group=roles.group)
    out.append(ResultTable("ladder_items", likert, counts=("count", "n"), estimates=("share",),
                           n="n", numerators=("count",)))
    if inv.tokenism is not None:
        tok = dict(voice=inv.tokenism.voice, influence=inv.tokenism.influence)
        rates = inv_.tokenism_rates(users, **tok, agree_at=inv.agree_at, site=roles.site,
                                    confidence=ctx.confidence)
        rate_rules = dict(estimates=("rate", "ci_low", "ci_high"), n="n_consulted",
                          numerators=("n_tokenistic",), non_validated=True)
        out.append(ResultTable("tokenism_rates", rates, counts=_counts(rates, "n"),
                               **rate_rules))
        overall = inv_.tokenism_rates(users, **tok, agree_at=inv.agree_at,
                                      confidence=ctx.confidence)
        out.append(ResultTable("tokenism_overall", overall, counts=_counts(overall, "n"),
                               **rate_rules))
        if roles.group:
            by_group = inv_.tokenism_rates(base, **tok, agree_at=inv.agree_at, site=roles.site,
                                           group=roles.group, confidence=ctx.confidence)
            out.append(ResultTable("tokenism_rates_group", by_group,
                                   counts=_counts(by_group, "n"), **rate_rules))
        gap = inv_.tokenism_gap(users, **tok, site=roles.site, confidence=ctx.confidence)
        out.append(ResultTable("tokenism_gap", gap, counts=_counts(gap, "n"),
                               estimates=_present(gap, ("mean_voice", "mean_influence",
                                                        "mean_gap", "sd_gap", "ci_low",
                                                        "ci_high", "p_value")),
                               n="n_answered", numerators=(), non_validated=True))
        out += _tokenism_funnel(ctx, rates)
        if inv.perception is not None and roles.group:
            perception = inv_.perception_gap_from_study(ctx.responses, study=ctx.study)
            perception["n_min"] = perception[["n_staff", "n_users"]].min(axis=1)
            rate = perception["measure"] == "tokenism_rate"
            perception, numerators = _implied_counts(
                perception.assign(staff_rate=perception["staff"].where(rate),
                                  users_rate=perception["users"].where(rate)),
                {"k_staff": ("staff_rate", "n_staff"), "k_users": ("users_rate", "n_users")})
            perception = perception.drop(columns=["staff_rate", "users_rate"])
            out.append(ResultTable("perception_gap", perception,
                                   counts=("n_staff", "n_users", "n_min", *numerators),
                                   estimates=("staff", "users", "difference", "ci_low",
                                              "ci_high"),
                                   n="n_min", numerators=numerators, non_validated=True))
    out += _reliability(ctx, "ladder", inv.ladder, base)
    return out


def _tokenism_funnel(ctx: _Context, rates: pd.DataFrame) -> list[ResultTable]:

    usable = rates[rates["n_consulted"] > 0]
    if len(usable) < MIN_SITES:  # funnels and shrinkage compare sites: too few to compare
        return []
    spec = dict(site="site", kind="proportion", numerator="n_tokenistic",
                denominator="n_consulted")
    limits = funnel_limits(usable.rename(columns={ctx.roles.site: "site"}), **spec)
    disp = overdispersion(usable.rename(columns={ctx.roles.site: "site"}), **spec)
    shrunk = shrunken_estimates(usable.rename(columns={ctx.roles.site: "site"}), **spec,
                                confidence=ctx.confidence)
    sites, num_sites = _implied_counts(limits[limits["source"] == "site"],
                                       {"n_tokenistic": ("estimate", "n")})
    disp, num_disp = _implied_counts(disp, {"n_tokenistic": ("estimate", "n")})
    shrunk, num_shrunk = _implied_counts(shrunk, {"n_tokenistic": ("estimate", "n")})
    return [
        # The funnel's limits at each precision: a drawing grid, no person behind it.
        ResultTable("tokenism_funnel_limits",
                    limits[limits["source"] == "grid"].reset_index(drop=True),
                    non_validated=True),
        ResultTable("tokenism_funnel", sites.reset_index(drop=True),
                    counts=("n", *num_sites), estimates=("estimate", "z"), n="n",
                    numerators=num_sites, non_validated=True),
        ResultTable("tokenism_overdispersion", disp, counts=("n", *num_disp),
                    estimates=_present(disp, ("estimate", "z", "z_winsorised", "z_adjusted")),
                    n="n", numerators=num_disp, non_validated=True),
        ResultTable("tokenism_shrunken", shrunk, counts=("n", *num_shrunk),
                    estimates=_present(shrunk, ("estimate", "ci_low", "ci_high", "shrunken",
                                                "shrunken_ci_low", "shrunken_ci_high")),
                    n="n", numerators=num_shrunk, non_validated=True),
    ]


def _reliability(ctx: _Context, name: str, items: Sequence[str],
                 data: pd.DataFrame, reverse: Mapping | None = None) -> list[ResultTable]:

    n_boot = ctx.n_boot
    # bootstrap: 0 in study.yaml asks for no bootstrap interval (Feldt's only).
    parts = [cronbach_alpha(data, items=items, confidence=ctx.confidence, n_boot=n_boot,
                            ci=("feldt", "bootstrap") if n_boot else "feldt", seed=ctx.seed,
                            reverse=reverse)]
    small = max(min(n_boot // 4, 500), 100) if n_boot else 0
    ci = "bootstrap" if small else None
    for function in (ordinal_alpha, mcdonald_omega):
        try:
            parts.append(function(data, items=items, confidence=ctx.confidence, ci=ci,
                                  n_boot=small or 1, seed=ctx.seed, reverse=reverse))
        except Exception as error:  # reported, not fatal: e.g. an empty category
            parts.append(pd.DataFrame({"measure": [function.__name__],
                                       "note": [f"{type(error).__name__}: {error}"]}))
    table = pd.concat(parts, ignore_index=True).assign(scale=name)
    items_table = item_analysis(data, items=items, reverse=reverse).assign(scale=name)
    return [ResultTable(f"reliability_{name}", table),
            ResultTable(f"items_{name}", items_table)]


def _scales(ctx: _Context) -> list[ResultTable]:

    out = []
    base = ctx.baseline()
    site = ctx.roles.site
    for name, scale in ctx.study.measures.scales.items():
        items = list(scale.items.values()) if isinstance(scale.items, dict) else scale.items
        instrument = scale.instrument
        if isinstance(instrument, str) and instrument.endswith((".yaml", ".yml")):
            instrument = ctx.study.resolve(instrument)
        # Respondents who answered none of the items were not asked (e.g. staff): left out.
        answered = base.dropna(subset=items, how="all")
        # Items the codebook keys in reverse, besides the instrument's own reverse items.
        reverse = [c for c in items if c in ctx.prepared.codebook.reverse_keyed()]
        scores = score_scale(answered, instrument=instrument, items=scale.items,
                             id=ctx.roles.id, reverse=reverse)
        summary = scoring_summary(scores)
        out.append(ResultTable(f"scoring_{name}", summary, counts=_counts(summary, "n")))
        by_site = (pd.DataFrame({"site": answered[site].to_numpy(),
                                 "score": scores["score"].to_numpy()})
                   .groupby("site").agg(n=("score", "count"), mean=("score", "mean"),
                                        sd=("score", "std")).reset_index())
        out.append(ResultTable(f"scale_{name}_by_site", by_site, counts=("n",),
                               estimates=("mean", "sd"), n="n"))
        out += _reliability(ctx, name, items, answered,
                            reverse_keyed_items(instrument=instrument, items=scale.items,
                                                reverse=reverse))
    return out


def _outcomes(ctx: _Context) -> list[ResultTable]:

    outcomes = ctx.study.measures.outcomes
    if outcomes is None or not ctx.roles.wave:
        return []
    study = ctx.study
    implied = {"n_improved": ("share_improved", "n_paired"),
               "n_same": ("share_same", "n_paired"), "n_worse": ("share_worse", "n_paired"),
               "n_met_baseline": ("share_met_baseline", "n_baseline"),
               "n_met_follow_up": ("share_met_follow_up", "n_follow_up")}
    change, numerators = _implied_counts(
        outcome_change_from_study(ctx.responses, study=study, by_site=False), implied)
    by_site, _ = _implied_counts(
        outcome_change_from_study(ctx.responses, study=study, by_site=True), implied)
    counts = ("n_baseline", "n_follow_up", "n_paired", "n_lost", "n_item_missing", *implied)
    estimates = tuple(c for c in change.columns if c.startswith(("mean_", "sd_", "change_ci",
                                                                 "d_z", "share_", "improved_",
                                                                 "same_", "worse_", "met_")))
    rules = dict(estimates=estimates, n="n_paired", numerators=numerators)
    out = [ResultTable("outcome_change", change, counts=_present(change, counts), **rules),
           ResultTable("outcome_change_site", by_site, counts=_present(by_site, counts),
                       **rules)]
    if study.measures.involvement is None:
        return out
    model = involvement_outcome_model(ctx.responses, study=study)
    out += [ResultTable("involvement_model", model.coefficients),
            ResultTable("involvement_model_fit", model.fit),
            ResultTable("involvement_model_variance", model.variance_components),
            ResultTable("involvement_model_sites", model.random_effects)]
    data = involvement_change_data(ctx.responses, study=study)
    y = "change" if "change" in data.columns else data.columns[-1]

    icc_table = icc(data.dropna(subset=[y]), y=y, group="site", confidence=ctx.confidence)
    sizes = data.dropna(subset=[y]).groupby("site").size().to_numpy(dtype=float)
    # Design effect of the site clustering, with unequal cluster sizes (Eldridge et al. 2006).
    icc_table["design_effect"] = [design_effect(v, sizes) if pd.notna(v) else np.nan
                                  for v in icc_table["icc"]]
    out.append(ResultTable("outcome_icc", icc_table))
    site_change = (data.dropna(subset=[y]).groupby("site")[y]
                   .agg(n="count", mean="mean", sd="std").reset_index())
    if len(site_change) >= MIN_SITES:

        spec = dict(site="site", kind="mean", mean="mean", sd="sd", n="n")
        limits = funnel_limits(site_change, **spec)
        out.append(ResultTable("outcome_funnel_limits",
                               limits[limits["source"] == "grid"].reset_index(drop=True)))
        out.append(ResultTable("outcome_funnel",
                               limits[limits["source"] == "site"].reset_index(drop=True),
                               counts=("n",), estimates=("estimate", "z"), n="n",
                               numerators=()))
        shrunk = shrunken_estimates(site_change, **spec, confidence=ctx.confidence)
        out.append(ResultTable("outcome_shrunken", shrunk, counts=("n",),
                               estimates=_present(shrunk, ("estimate", "ci_low", "ci_high",
                                                           "shrunken", "shrunken_ci_low",
                                                           "shrunken_ci_high")), n="n",
                               numerators=()))
    return out


def _network(ctx: _Context) -> list[ResultTable]:

    network = ctx.study.measures.network
    if network is None:
        return []
    users = ctx.users(ctx.baseline()).dropna(subset=[network.paid, network.peers,
                                                     network.community], how="all")
    table = traffic_light_distribution(users, paid=network.paid, peers=network.peers,
                                       community=network.community, site=ctx.roles.site,
                                       confidence=ctx.confidence)
    return [ResultTable("traffic_light", table, counts=("count", "n", "n_missing"),
                        estimates=("share", "ci_low", "ci_high"), n="n",
                        numerators=("count",))]


def _integration(ctx: _Context) -> list[ResultTable]:

    integration = ctx.study.measures.integration
    partners = ctx.prepared.partners
    if integration is None or partners is None or partners.empty:
        return []
    table = integration_profile(partners, site=integration.site, level=integration.level,
                                levels=integration.levels)
    # Partner organisations are not people: their counts are not suppressed.
    return [ResultTable("integration_profile", table)]


def _qualitative(ctx: _Context) -> list[ResultTable]:

    segments, documents = ctx.prepared.segments, ctx.prepared.documents
    if segments is None or segments.empty:
        return []
    coders = sorted(segments["coder"].dropna().unique())
    # The coder who coded the most documents stands for the team in frequencies and quotes.
    main_coder = (segments.groupby("coder")["document"].nunique().sort_values(
        ascending=False, kind="stable").index[0])
    frequencies = code_frequencies(segments, site="site", group=None, coder=main_coder,
                                   documents=documents)
    out = [ResultTable("code_frequencies", frequencies,
                       counts=_present(frequencies, ("n_participants",)),
                       estimates=_present(frequencies, ("share_participants",)),
                       n=_present(frequencies, ("n_participants_total",))[0]
                       if _present(frequencies, ("n_participants_total",)) else None)]
    out.append(ResultTable("cooccurrence", cooccurrence(segments, coder=main_coder)))
    if documents is not None and len(coders) >= 2:
        units = units_from_turns(documents)
        double = segments.groupby("document")["coder"].nunique()
        shared = double[double >= 2].index
        if len(shared):
            table = coding_table(segments[segments["document"].isin(shared)],
                                 units=units[units["document"].isin(shared)])
            agreement = agreement_table(table, n_boot=max(ctx.n_boot // 2, 100),
                                        confidence=ctx.confidence, seed=ctx.seed)
            out.append(ResultTable("coder_agreement", agreement))
    names = ctx.prepared.names
    for lang in ctx.languages:
        matrix = framework_matrix(segments, case="site", coder=main_coder, lang=lang,
                                  names=names)
        out.append(ResultTable(f"framework_{lang}", matrix))
        quotes = quote_bank(segments, coder=main_coder, lang=lang, names=names, seed=ctx.seed)
        out.append(ResultTable(f"quotes_{lang}", quotes))
    return out


#: The analyses a run computes, in order; each returns result tables (none when the study does
#: not configure what it needs).
ANALYSES: tuple[tuple[str, Callable[[_Context], list[ResultTable]]], ...] = (
    ("describe", _describe),
    ("representativeness", _representativeness),
    ("involvement", _involvement),
    ("scales", _scales),
    ("outcomes", _outcomes),
    ("network", _network),
    ("integration", _integration),
    ("qualitative", _qualitative),
)


def compute_results(prepared: PreparedStudy, *, seed: int | None = None,
                    n_boot: int | None = None, confidence: float | None = None,
                    languages: Sequence[str] | None = None) -> Results:
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

    Returns
    -------
    Results
        Named tables (see ``docs/tables.md``), with their release rules.

    Raises
    ------
    evalkit.errors.ExecutionError
        An analysis failed; the message names it.

    Notes
    -----
    An analysis the data cannot support (a :class:`~evalkit.errors.DataError`, e.g. fewer than
    three sites for a funnel) is left out and listed in ``results.meta["skipped"]`` with its
    reason in French and English; the other analyses go on.
    """

    params = prepared.study.parameters
    ctx = _Context(prepared=prepared,
                   seed=params.seed if seed is None else int(seed),
                   n_boot=params.bootstrap if n_boot is None else int(n_boot),
                   confidence=params.confidence if confidence is None else float(confidence),
                   languages=tuple(languages or prepared.study.languages))
    import datetime as dt

    results = Results(meta={
        "study": prepared.study.study, "date": dt.date.today().isoformat(),
        "seed": ctx.seed, "bootstrap": ctx.n_boot,
        "confidence": ctx.confidence, "languages": list(ctx.languages),
        "sites": [str(s) for s in prepared.codebook.values_of(prepared.study.roles.site)],
    })
    skipped = results.meta.setdefault("skipped", [])
    for name, analysis in ANALYSES:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", category=RuntimeWarning)
                tables = analysis(ctx)
        except DataError as error:
            # The data cannot support this analysis (e.g. too few sites or answers): the run
            # goes on without it and says why.
            skipped.append({"analysis": name, "message_en": error.render("en"),
                            "message_fr": error.render("fr")})
            continue
        except EvalkitError:
            raise
        except Exception as error:
            raise ExecutionError.from_catalogue("results.analysis_failed", analysis=name,
                                                error=f"{type(error).__name__}: {error}") from error
        for table in tables:
            results.add(table)
    return results
