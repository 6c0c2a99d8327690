"""The 1:3:25 evidence brief: one page of main messages, a three-page executive summary and a
report of at most 25 pages, in French or in English, from released results only.

:func:`build_brief` assembles the brief as blocks (see :mod:`evalkit.present.document`); the
writers in :mod:`evalkit.present.writers` lay it out as a self-contained HTML page or as an
editable Word document.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit.analyse.catalogue import table_spec
from evalkit.errors import EvalkitError
from evalkit.i18n import _check_lang, format_date, label, t
from evalkit.present import tables as tb
from evalkit.present._funnel import ALARM, ALERT, funnel_sites, with_site
from evalkit.present._text import (
    ci_text,
    count_text,
    distinct_origin,
    marked,
    number_text,
    origin,
    percent_text,
    ratio_origin,
    sum_origin,
    typography,
)
from evalkit.present.budget import BUDGETS, budget_report, part_pages
from evalkit.present.document import (
    Block,
    Bullets,
    Figure,
    Heading,
    Paragraph,
    Part,
    Quote,
    Table,
)
from evalkit.present.figures import brief_figure, left_to_tables
from evalkit.present.joint import joint_display, tokenism_theme
from evalkit.present.messages import Message, draft_messages
from evalkit.present.methods import MethodNote, method_notes
from evalkit.release.protect import suppression_rates
from evalkit.release.suppress import as_policy, suppression_note
from evalkit.release.tables import ReleasedTables, released_frames

__all__ = ["Brief", "build_brief", "gripp2_table", "released_tables", "write_budget_json"]

#: Lines the title block takes above the main messages (title, organisation, date).
HEADER_LINES = 6.0
#: The share of a budget the estimate may fill (the rest absorbs its error).
FILL = 0.97
#: Quotes shown per site in the report's section on interviews.
QUOTES_PER_SITE = 1
#: The most quotes the report shows.
MAX_QUOTES = 6


@dataclass
class Brief:
    """An evidence brief in one language, ready to be written.

    Attributes
    ----------
    lang : str
    study : str
        The study's identifier.
    title, subtitle : str
        The study's title and the organisation.
    run_date : datetime.date
    parts : list of Part
        ``main`` (1 page), ``summary`` (3 pages), ``report`` (25 pages).
    messages : list of Message
        The main messages the rules drafted, in order (those that fit on the page).
    budget : dict
        ``{part: (estimated_pages, budget, ok)}``.
    notes : list of MethodNote
        The method notes of the appendix.
    """

    lang: str
    study: str
    title: str
    subtitle: str
    run_date: dt.date
    parts: list[Part]
    messages: list[Message]
    budget: dict[str, tuple[float, int, bool]]
    notes: list[MethodNote] = field(default_factory=list)

    def part(self, key: str) -> Part:
        """The part ``key`` (``main``, ``summary`` or ``report``)."""
        return next(p for p in self.parts if p.key == key)

    @property
    def date_text(self) -> str:
        return format_date(self.run_date, self.lang)


# -- released tables -----------------------------------------------------------------------------
def released_tables(results: Any, policy: Any) -> ReleasedTables:
    """Every releasable table of ``results`` after disclosure control, by handle (each
    controlled when first read; see :class:`evalkit.release.tables.ReleasedTables`)."""
    return ReleasedTables(results, policy)


@dataclass
class _Ctx:
    results: Any
    study: Any
    lang: str
    policy: Any
    tables: ReleasedTables
    labels: tb.Labels
    confidence: float
    figures: bool
    drawn: Any = None  # the run's folder of figures drawn once (None: each drawn)

    def has(self, name: str) -> bool:
        frame = self.tables.get(name)
        return frame is not None and not frame.empty

    def t(self, key: str, **params: Any) -> str:
        return typography(t(key, self.lang, **params), self.lang)

    def title(self, name: str) -> str:
        """The title of table ``name`` for the study (a scale by its label)."""
        return typography(self.spec(name).title(self.lang), self.lang)

    def spec(self, name: str) -> Any:
        return table_spec(name, study=self.results.meta.get("study_parameters") or {})

    def absent(self, name: str) -> Paragraph | None:
        """``<title>: Not computed: <reason>`` when table ``name`` is not released (None when
        it is)."""
        absence = self.tables.absence(name)
        if absence is None:
            return None
        return Paragraph(self.t("reports.absent", title=self.spec(name).title(self.lang),
                                reason=absence.text(self.lang)), "note")

    def note(self, name: str, frame: pd.DataFrame | None = None) -> str:

        frame = self.tables[name] if frame is None else frame
        return typography(suppression_note(frame, lang=self.lang, policy=self.policy), self.lang)

    def pct(self, value: Any, where: dict | None = None) -> str:
        return marked(percent_text(value, self.lang), where)

    def ci(self, low: Any, high: Any, *, percent: bool = False,
           where: tuple[dict | None, dict | None] | None = None) -> str:
        return ci_text(low, high, self.lang, percent=percent, confidence=self.confidence,
                       where=where)

    def at(self, name: str, row: pd.Series, column: str) -> dict:
        """The origin of the number in ``column`` of ``row`` of released table ``name``
        (its keys as the catalogue names them), for the release check."""
        keys = [k for k in self.spec(name).keys if k in row.index]
        return origin(name, {k: row[k] for k in keys}, column)

    def bounds(self, name: str, row: pd.Series, low: str = "ci_low",
               high: str = "ci_high") -> tuple[dict, dict]:
        """The origins of an interval's bounds (columns ``low`` and ``high`` of ``row``)."""
        return self.at(name, row, low), self.at(name, row, high)

    def figure(self, name: str) -> Figure | Paragraph | None:
        """The brief's figure ``name``; a note saying where each site's values are instead,
        when it would draw a bar per site for more sites than a figure of the brief shows
        (:data:`evalkit.present.figures.MAX_BRIEF_SITES`)."""
        if not self.figures:
            return None
        table = left_to_tables(name, self.tables)
        if table is not None:
            return Paragraph(self.t("reports.figure.by_site_left", title=self.title(table)),
                             "note")
        return brief_figure(name, self.tables, study=self.study, lang=self.lang,
                            labels=self.labels, drawn=self.drawn)


def _num(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series, errors="coerce").astype("float64")


# -- the parts -----------------------------------------------------------------------------------
def _main_part(ctx: _Ctx, messages: list[Message]) -> Part:
    part = Part("main", ctx.t("reports.brief.main.title"), budget=BUDGETS["main"],
                label=ctx.t("reports.brief.main.label"))
    question = label(ctx.study.report.question, ctx.lang) if ctx.study.report.question else ""
    if question:
        part.add(Paragraph(typography(question, ctx.lang), "lead"))
    part.add(_label_if(messages),
             Bullets(tuple(m.text(ctx.lang, marks=True) for m in messages), ordered=True,
                     details=tuple(m.evidence_text(ctx.lang, plain=True) for m in messages)))
    return part


def _respondent_total(ctx: _Ctx) -> tuple[str, str, str]:
    """Respondents at baseline, sites, waves (from the released counts), as written, each
    carrying how it is derived from the released table."""
    counts = ctx.tables.get("response_counts")
    if counts is None:
        return (count_text(0, ctx.lang),) * 3
    roles = ctx.study.roles
    n = _num(counts["n"])
    waves = counts[roles.wave].dropna().unique() if roles.wave in counts else [None]
    # The study's baseline wave, whatever its codes (1, 2... or T1, T2...).
    first = str(ctx.study.baseline_wave(waves))
    at_first = (counts[roles.wave].astype(str).str.replace(r"\.0$", "", regex=True) == first
                if roles.wave in counts else pd.Series(True, index=counts.index))
    summed = counts[at_first & n.notna()]  # the released cells: a hidden one adds nothing
    keys = [k for k in ctx.spec("response_counts").keys if k in counts]
    total = sum_origin("response_counts", "n", [{k: row[k] for k in keys}
                                                for _, row in summed.iterrows()])
    return (marked(count_text(n[summed.index].sum(), ctx.lang), total),
            marked(count_text(counts[roles.site].nunique(), ctx.lang),
                   distinct_origin("response_counts", roles.site)),
            marked(count_text(len(waves), ctx.lang),
                   distinct_origin("response_counts", roles.wave)
                   if roles.wave in counts else None))


def _interview_count(ctx: _Ctx) -> tuple[int, str]:
    """The people interviewed, all sites together (each site's released number of
    participants, read on its first row that releases it), and that number as written."""
    codes = ctx.tables.get("code_frequencies")
    if codes is None or "n_participants_total" not in codes:
        return 0, count_text(0, ctx.lang)
    known = codes[_num(codes["n_participants_total"]).notna()]
    firsts = known.groupby("site", sort=True).head(1)
    total = int(_num(firsts["n_participants_total"]).sum())
    keys = [k for k in ctx.spec("code_frequencies").keys if k in codes]
    where = sum_origin("code_frequencies", "n_participants_total",
                       [{k: row[k] for k in keys} for _, row in firsts.iterrows()])
    return total, marked(count_text(total, ctx.lang), where)


def _methods_sentence(ctx: _Ctx) -> Paragraph:
    """What was done: people surveyed, sites, waves, and interviews when there were any (a
    run without interviews does not say it held none). Each number carries how it is
    derived from the released tables, for the release check."""
    n, k, waves = _respondent_total(ctx)
    interviews, shown = _interview_count(ctx)
    params = dict(n=n, k=k, waves=waves)
    if interviews > 0:
        return Paragraph(ctx.t("reports.summary.methods", **params, interviews=shown))
    return Paragraph(ctx.t("reports.summary.methods.no_interviews", **params))


def _summary_part(ctx: _Ctx, messages: list[Message]) -> Part:
    part = Part("summary", ctx.t("reports.brief.summary.title"), budget=BUDGETS["summary"],
                label=ctx.t("reports.brief.summary.label"))
    report = ctx.study.report
    if report.context:
        part.add(Heading(ctx.t("reports.section.context"), 1),
                 Paragraph(typography(label(report.context, ctx.lang), ctx.lang)))
    if report.question:
        part.add(Heading(ctx.t("reports.section.question"), 1),
                 Paragraph(typography(label(report.question, ctx.lang), ctx.lang)))
    part.add(Heading(ctx.t("reports.section.what_we_did"), 1), _methods_sentence(ctx))
    part.add(Heading(ctx.t("reports.section.findings"), 1))
    part.add(*_tokenism_findings(ctx, compact=True))
    part.add(_model_sentence(ctx), _outcome_sentence(ctx), _network_sentence(ctx))
    part.add(Heading(ctx.t("reports.section.implications"), 1),
             _label_if(messages),
             Bullets(tuple(m.text(ctx.lang, method=True, marks=True) for m in messages)))
    return part


def _label_if(messages: list[Message]) -> Paragraph | None:
    """The non-validated label, when a message rests on the tokenism index."""
    return Paragraph("", "non_validated") if any(m.non_validated for m in messages) else None


def _tokenism_findings(ctx: _Ctx, *, compact: bool) -> list[Block | None]:
    out: list[Block | None] = []
    if ctx.has("tokenism_overall"):
        row = ctx.tables["tokenism_overall"].iloc[0]
        if _known(row, "n_consulted", "rate", "ci_low", "ci_high"):
            name = "tokenism_overall"
            out.append(Paragraph(ctx.t(
                "reports.finding.tokenism_overall",
                n=marked(count_text(row["n_consulted"], ctx.lang),
                         ctx.at(name, row, "n_consulted")),
                rate=ctx.pct(row["rate"], ctx.at(name, row, "rate")),
                ci=ctx.ci(row["ci_low"], row["ci_high"], percent=True,
                          where=ctx.bounds(name, row)))))
        else:  # too few people: no number, and no interval of dashes
            out.append(Paragraph(ctx.t("reports.finding.tokenism_overall.suppressed")))
    else:
        out.append(ctx.absent("tokenism_overall"))
    if ctx.has("tokenism_rates"):
        out.append(_tokenism_table(ctx, compact=compact))
    out.append(ctx.figure("funnel") if ctx.has("tokenism_funnel") or compact
               else ctx.absent("tokenism_funnel"))
    return out


def _known(row: Any, *columns: str) -> bool:
    """Whether every one of ``columns`` holds a released value on ``row``."""
    return all(not pd.isna(row[c]) for c in columns)


def _funnel_position(ctx: _Ctx) -> dict[str, str]:

    out: dict[str, str] = {}
    for level in (ALERT, ALARM):
        found = funnel_sites(ctx.tables, level)
        if found is None:
            continue
        sites, _, _ = found
        for _, row in sites.iterrows():
            if row["outside"]:
                side = "above" if row["z"] > 0 else "below"
                decimals = 0 if round(level * 100, 6).is_integer() else 1
                out[row["site"]] = ctx.t(f"reports.position.{side}",
                                         level=percent_text(level, ctx.lang, decimals=decimals))
            else:
                out.setdefault(row["site"], ctx.t("reports.position.within"))
    return out


def _tokenism_table(ctx: _Ctx, *, compact: bool) -> Table:
    frame = with_site(ctx.tables, "tokenism_rates").copy()
    frame["site"] = frame["site"].astype(str)
    positions = _funnel_position(ctx)
    frame["position"] = frame["site"].map(positions)
    columns = [tb.Column("reports.col.site", tb.text("site"), numeric=False),
               tb.Column("reports.col.n_consulted", tb.count("n_consulted")),
               tb.Column("reports.col.n_tokenistic", tb.count("n_tokenistic")),
               tb.Column("reports.col.rate", tb.pct("rate")),
               tb.Column(ctx.t("reports.col.ci", level=ctx.pct(ctx.confidence)),
                         tb.interval("ci_low", "ci_high", percent=True))]
    if ctx.has("tokenism_shrunken") and not compact:
        shrunk = ctx.tables["tokenism_shrunken"].assign(site=lambda f: f["site"].astype(str))
        frame = frame.merge(shrunk[["site", "shrunken", "shrunken_ci_low", "shrunken_ci_high"]],
                            on="site", how="left")
        columns += [tb.Column("reports.col.shrunken", tb.pct("shrunken")),
                    tb.Column(ctx.t("reports.col.ci", level=ctx.pct(ctx.confidence)),
                              tb.interval("shrunken_ci_low", "shrunken_ci_high", percent=True))]
    if positions:  # no funnel (too few sites): no column of dashes
        columns.append(tb.Column("reports.col.funnel", tb.text("position"), numeric=False))
    return tb.format_table(frame, columns, caption=ctx.title("tokenism_rates"), lang=ctx.lang,
                           suppression=ctx.note("tokenism_rates"), non_validated=True,
                           name="tokenism_rates")


def _model_sentence(ctx: _Ctx) -> Paragraph | None:
    if not ctx.has("involvement_model"):
        return None
    model = ctx.tables["involvement_model"]
    rows = model[model["term"].astype(str) == "rung"]
    if rows.empty or rows[["estimate", "ci_low", "ci_high"]].isna().any(axis=None):
        return None
    row = rows.iloc[0]
    direction = ("positive" if row["ci_low"] > 0 else "negative" if row["ci_high"] < 0
                 else "none")
    name = "involvement_model"
    return Paragraph(ctx.t(f"reports.finding.model.{direction}",
                           estimate=marked(number_text(row["estimate"], ctx.lang),
                                           ctx.at(name, row, "estimate")),
                           ci=ctx.ci(row["ci_low"], row["ci_high"],
                                     where=ctx.bounds(name, row))))


def _outcome_label(ctx: _Ctx, name: str) -> str:
    return ctx.labels.catalogue("reports.outcome_group", str(name))


def _outcome_sentence(ctx: _Ctx) -> Paragraph | None:
    if not ctx.has("outcome_change"):
        return None
    change = ctx.tables["outcome_change"]
    groups = change[change["level"].astype(str) == "group"] if "level" in change else change
    name = "outcome_change"
    parts = [ctx.t("reports.finding.outcome_group", group=_outcome_label(ctx, row["outcome"]),
                   change=marked(number_text(row["mean_change"], ctx.lang),
                                 ctx.at(name, row, "mean_change")),
                   ci=ctx.ci(row["change_ci_low"], row["change_ci_high"],
                             where=ctx.bounds(name, row, "change_ci_low", "change_ci_high")))
             for _, row in groups.iterrows() if not pd.isna(row["mean_change"])]
    if not parts:
        return None
    return Paragraph(ctx.t("reports.finding.outcomes", groups="; ".join(parts)))


def _network_sentence(ctx: _Ctx) -> Paragraph | None:
    if not ctx.has("traffic_light"):
        return None
    light = ctx.tables["traffic_light"]
    keys = [k for k in ctx.spec("traffic_light").keys if k in light]
    shares = {}
    for colour in ("red", "orange", "green"):
        rows = light[light["colour"].astype(str) == colour]
        counts, n = _num(rows["count"]), _num(rows["n"])
        known = counts.notna() & n.notna()
        share = counts[known].sum() / n[known].sum() if n[known].sum() else np.nan
        # The share all sites together: the released counts of the colour over their bases.
        where = ratio_origin("traffic_light", "count", "n",
                             [{k: r[k] for k in keys} for _, r in rows[known].iterrows()])
        shares[colour] = ctx.pct(share, where if known.any() else None)
    return Paragraph(ctx.t("reports.finding.network", **shares))


# -- the report (25 pages) -----------------------------------------------------------------------
def _respondents_table(ctx: _Ctx) -> Table | None:
    if not ctx.has("response_counts"):
        return None
    roles = ctx.study.roles
    frame = ctx.tables["response_counts"].copy()
    keys = [c for c in (roles.wave, roles.group) if c and c in frame]
    frame["n"] = _num(frame["n"])
    frame["_site"] = frame[roles.site].astype(str)
    wide = pd.DataFrame({"site": sorted(frame["_site"].unique())})
    columns = [tb.Column("reports.col.site", tb.text("site"), numeric=False)]
    combos = frame[keys].drop_duplicates().sort_values(keys, kind="stable") if keys else \
        pd.DataFrame(index=[0])
    for i, (_, combo) in enumerate(combos.iterrows()):
        mask = np.ones(len(frame), dtype=bool)
        for key in keys:
            mask &= (frame[key] == combo[key]).to_numpy()
        values = frame[mask].groupby("_site")["n"].sum(min_count=1)
        wide[f"c{i}"] = wide["site"].map(values)
        parts = [ctx.labels.value(key, combo[key]) for key in reversed(keys)]
        columns.append(tb.Column(", ".join(parts) if parts else t("reports.col.n", ctx.lang),
                                 tb.count(f"c{i}"), source=("n",),
                                 where={key: combo[key] for key in keys}))
    wide["suppressed"] = wide.drop(columns=["site"]).isna().any(axis=1)
    return tb.format_table(wide, columns, caption=ctx.title("response_counts"), lang=ctx.lang,
                           suppression=ctx.note("response_counts"), name="response_counts")


def _representativeness_table(ctx: _Ctx) -> Table | None:
    if not ctx.has("representativeness"):
        return None
    rep = ctx.tables["representativeness"].copy()
    rep["abs"] = _num(rep["difference"]).abs()
    rep["p"] = _num(rep["p_value"])
    worst = (rep.sort_values("abs", ascending=False, kind="stable")
             .groupby(["site", "dimension"], sort=True).head(1)
             .sort_values(["site", "dimension"], kind="stable"))
    worst["dimension_label"] = worst["dimension"].map(ctx.labels.variable)
    worst["level_label"] = [ctx.labels.value(d, v) for d, v in
                            zip(worst["dimension"], worst["level"], strict=True)]
    columns = [tb.Column("reports.col.site", tb.text("site"), numeric=False),
               tb.Column("reports.col.dimension", tb.text("dimension_label"), numeric=False),
               tb.Column("reports.col.level_most_off", tb.text("level_label"), numeric=False),
               tb.Column("reports.col.share_respondents", tb.pct("share")),
               tb.Column("reports.col.share_population", tb.pct("population_share")),
               tb.Column("reports.col.p_value", tb.pvalue("p"))]
    return tb.format_table(worst, columns, caption=ctx.title("representativeness"),
                           lang=ctx.lang, suppression=ctx.note("representativeness"),
                           name="representativeness")


def _weighted_table(ctx: _Ctx) -> Table | None:
    if not ctx.has("tokenism_weighted"):
        return None
    frame = ctx.tables["tokenism_weighted"]
    columns = [tb.Column("reports.col.site", tb.text("site"), numeric=False),
               tb.Column("reports.col.n_consulted", tb.count("n")),
               tb.Column("reports.col.weighted_rate", tb.pct("estimate")),
               tb.Column(ctx.t("reports.col.ci", level=ctx.pct(ctx.confidence)),
                         tb.interval("ci_low", "ci_high", percent=True)),
               tb.Column("reports.col.deff", tb.num("deff", 2))]
    return tb.format_table(frame, columns, caption=ctx.title("tokenism_weighted"), lang=ctx.lang,
                           suppression=ctx.note("tokenism_weighted"), non_validated=True,
                           name="tokenism_weighted")


def _perception_table(ctx: _Ctx) -> Table | None:
    if not ctx.has("perception_gap"):
        return None
    frame = with_site(ctx.tables, "perception_gap")
    frame = frame[frame["measure"].astype(str) == "rung"]
    if frame.empty:
        return None
    columns = [tb.Column("reports.col.site", tb.text("site"), numeric=False),
               tb.Column("quant.perception.staff", tb.num("staff", 1)),
               tb.Column("quant.perception.users", tb.num("users", 1)),
               tb.Column("quant.perception.difference", tb.num("difference", 1)),
               tb.Column(ctx.t("reports.col.ci", level=ctx.pct(ctx.confidence)),
                         tb.interval("ci_low", "ci_high", decimals=1))]
    return tb.format_table(frame, columns, caption=ctx.t("reports.table.perception_rung"),
                           lang=ctx.lang, suppression=ctx.note("perception_gap", frame),
                           non_validated=True, name="perception_gap")


def _outcome_table(ctx: _Ctx) -> Table | None:
    if not ctx.has("outcome_change"):
        return None
    frame = ctx.tables["outcome_change"].copy()
    frame["label"] = [_outcome_label(ctx, o) if lv == "group" else ctx.labels.variable(o)
                      for o, lv in zip(frame["outcome"], frame.get("level", "item"),
                                       strict=False)]
    columns = [tb.Column("reports.col.outcome", tb.text("label"), numeric=False),
               tb.Column("quant.outcomes.paired", tb.count("n_paired")),
               tb.Column("quant.outcomes.change", tb.num("mean_change", 2)),
               tb.Column(ctx.t("reports.col.ci", level=ctx.pct(ctx.confidence)),
                         tb.interval("change_ci_low", "change_ci_high", decimals=2)),
               tb.Column("quant.outcomes.improved", tb.pct("share_improved")),
               tb.Column("quant.outcomes.worse", tb.pct("share_worse"))]
    return tb.format_table(frame, columns, caption=ctx.title("outcome_change"), lang=ctx.lang,
                           suppression=ctx.note("outcome_change"),
                           notes=[ctx.t("quant.outcomes.narrative_note")],
                           name="outcome_change")


def _model_table(ctx: _Ctx) -> Table | None:
    if not ctx.has("involvement_model"):
        return None
    frame = ctx.tables["involvement_model"].copy()
    frame["label"] = frame["term"].map(lambda v: ctx.labels.catalogue("reports.term", str(v)))
    columns = [tb.Column("quant.models.term", tb.text("label"), numeric=False),
               tb.Column("quant.models.estimate", tb.num("estimate", 3)),
               tb.Column(ctx.t("reports.col.ci", level=ctx.pct(ctx.confidence)),
                         tb.interval("ci_low", "ci_high", decimals=3)),
               tb.Column("quant.models.p_value", tb.pvalue("p_value"))]
    return tb.format_table(frame, columns, caption=ctx.title("involvement_model"),
                           lang=ctx.lang, notes=[ctx.t("reports.note.model")],
                           name="involvement_model")


def _network_table(ctx: _Ctx) -> Table | None:
    if not ctx.has("traffic_light"):
        return None
    light = ctx.tables["traffic_light"]
    wide = light.pivot_table(index="site", columns="colour", values="share", aggfunc="first",
                             observed=False).reset_index()
    n = light.groupby("site")["n"].first()
    wide["n"] = wide["site"].map(n)
    wide["suppressed"] = light.groupby("site")["suppressed"].any().reindex(wide["site"]).to_numpy()
    columns = [tb.Column("reports.col.site", tb.text("site"), numeric=False),
               tb.Column("reports.col.n_users", tb.count("n"))]
    columns += [tb.Column(f"quant.traffic_light.{c}", tb.pct(c), source=("share",),
                          where={"colour": c}) for c in ("red", "orange", "green") if c in wide]
    return tb.format_table(wide, columns, caption=ctx.title("traffic_light"), lang=ctx.lang,
                           suppression=ctx.note("traffic_light"), name="traffic_light")


def _agreement_table(ctx: _Ctx) -> Table | None:
    if not ctx.has("coder_agreement"):
        return None
    frame = ctx.tables["coder_agreement"]
    frame = frame[frame["scope"].astype(str) == "overall"].copy()
    if frame.empty:
        return None
    frame["label"] = frame["measure"].map(
        lambda m: ctx.labels.catalogue("qual.measure", str(m)))
    frame["reading_text"] = frame["reading"].map(
        lambda r: ctx.t(r) if isinstance(r, str) and r.startswith("qual.") else "–")
    columns = [tb.Column("reports.col.measure", tb.text("label"), numeric=False),
               tb.Column("quant.models.estimate", tb.num("estimate", 2)),
               tb.Column(ctx.t("reports.col.ci", level=ctx.pct(ctx.confidence)),
                         tb.interval("ci_low", "ci_high", decimals=2)),
               tb.Column("reports.col.units", tb.count("n_units")),
               tb.Column("reports.col.reading", tb.text("reading_text"), numeric=False)]
    return tb.format_table(frame, columns, caption=ctx.title("coder_agreement"), lang=ctx.lang,
                           name="coder_agreement")


def _joint_table(ctx: _Ctx) -> Table | None:

    joint = joint_display(ctx.tables)
    if joint is None or joint.empty:
        return None
    positions = _funnel_position(ctx)
    joint = joint.assign(
        position_text=joint["site"].map(positions),
        agreement_text=joint["agreement"].map(lambda a: ctx.t(f"reports.agreement.{a}")),
        interviews_text=joint["interviews"].map(
            lambda v: ctx.t(f"reports.interviews.{v}") if isinstance(v, str) else "–"))
    columns = [tb.Column("reports.col.site", tb.text("site"), numeric=False),
               tb.Column("reports.col.rate", tb.pct("rate")),
               tb.Column("reports.col.funnel", tb.text("position_text"), numeric=False),
               tb.Column("reports.col.share_talk", tb.pct("share_theme")),
               tb.Column("reports.col.interviews", tb.text("interviews_text"), numeric=False),
               tb.Column("reports.col.agreement", tb.text("agreement_text"), numeric=False)]
    return tb.format_table(joint, columns, caption=ctx.t("reports.table.joint_display"),
                           lang=ctx.lang, notes=[ctx.t("reports.note.joint_display",
                                                       share=ctx.pct(joint["share_all"].iloc[0]))],
                           non_validated=True, name="joint_display")


def _quotes(ctx: _Ctx) -> list[Quote]:

    quotes = ctx.tables.get(f"quotes_{ctx.lang}")
    if quotes is None or quotes.empty:
        return []
    themes = sorted({str(p).split("/")[0] for p in quotes["code_path"].dropna()})
    theme = tokenism_theme(themes)
    if theme is None:
        return []
    rows = quotes[quotes["code_path"].astype(str).str.startswith(theme)]
    # One quote per site; quotes whose site the bank does not say (too few people of that
    # role there) come after, best ranked first.
    named = rows[rows["site"].notna()].sort_values(["site", "rank"], kind="stable").groupby(
        "site").head(QUOTES_PER_SITE)
    unnamed = rows[rows["site"].isna()].sort_values("rank", kind="stable")
    rows = pd.concat([named, unnamed])
    # Sites that stand out in the numbers are quoted first.
    positions = _funnel_position(ctx)
    within = ctx.t("reports.position.within")
    rows = rows.assign(_first=rows["site"].astype(str).map(
        lambda s: 0 if positions.get(s, within) != within else 1)).sort_values(
        ["_first", "site", "rank"], kind="stable", na_position="last")
    return [Quote(typography(str(r["quote"]), ctx.lang),
                  typography(str(r["attribution"]), ctx.lang), r.get("language"))
            for _, r in rows.head(MAX_QUOTES).iterrows()]


def _reliability_sentence(ctx: _Ctx) -> Paragraph | None:
    sentences = []
    for name in ctx.tables.instances("reliability_{scale}"):
        frame = ctx.tables[name]
        rows = frame[(frame["measure"] == "cronbach_alpha") & frame["estimate"].notna()]
        if rows.empty:
            continue
        row = rows.iloc[0]
        sentences.append(ctx.t("reports.finding.reliability",
                               scale=ctx.spec(name).scale_label(ctx.lang),
                               alpha=marked(number_text(row["estimate"], ctx.lang),
                                            ctx.at(name, row, "estimate")),
                               ci=ctx.ci(row["ci_low"], row["ci_high"],
                                         where=ctx.bounds(name, row))))
    return Paragraph(" ".join(sentences)) if sentences else None


def _ladder_sentence(ctx: _Ctx) -> Paragraph | None:
    if not ctx.has("ladder_reproducibility"):
        return None
    row = ctx.tables["ladder_reproducibility"].iloc[0]
    name = "ladder_reproducibility"
    return Paragraph(ctx.t("reports.finding.ladder",
                           cr=marked(number_text(row["cr"], ctx.lang), ctx.at(name, row, "cr")),
                           mmr=marked(number_text(row["mmr"], ctx.lang),
                                      ctx.at(name, row, "mmr"))))


def _icc_sentence(ctx: _Ctx) -> Paragraph | None:
    if not ctx.has("outcome_icc"):
        return None
    frame = ctx.tables["outcome_icc"]
    row = frame.iloc[0]
    name = "outcome_icc"
    return Paragraph(ctx.t("reports.finding.icc",
                           icc=marked(number_text(row["icc"], ctx.lang),
                                      ctx.at(name, row, "icc")),
                           ci=ctx.ci(row["ci_low"], row["ci_high"],
                                     where=ctx.bounds(name, row))))


def _section(ctx: _Ctx, key: str, *blocks: Block | None, level: int = 1) -> list[Block]:
    body = [b for b in blocks if b is not None]
    return [Heading(ctx.t(key), level), *body] if body else []


def _about(ctx: _Ctx, key: str, table: str, *blocks: Block | None) -> list[Block]:
    """A section of the report's results on ``table``: its blocks, or, when the run did not
    compute the table, why."""
    absent = ctx.absent(table)
    return _section(ctx, key, absent, level=2) if absent else _section(ctx, key, *blocks,
                                                                         level=2)


def gripp2_table(study: Any, *, lang: str) -> Table | None:
    """The GRIPP2 short-form table of the study's ``report.gripp2`` section, in ``lang``.

    Parameters
    ----------
    study : evalkit.config.study.Study
    lang : {'fr', 'en'}

    Returns
    -------
    Table or None
        Five rows (aim, methods, results, outcomes, reflections), two columns (the GRIPP2
        item, what the study reports); None when the study has no ``gripp2`` section.

    Examples
    --------
    >>> from evalkit.config.study import load_study
    >>> table = gripp2_table(load_study("data_samples/demo/study.yaml"), lang="en")
    >>> len(table.rows), table.rows[0][0]
    (5, '1. Aim')
    """

    _check_lang(lang)
    gripp2 = getattr(getattr(study, "report", None), "gripp2", None)
    if gripp2 is None:
        return None
    items = ("aim", "methods", "results", "outcomes", "reflections")
    rows = tuple((typography(t(f"reports.gripp2.{item}", lang), lang),
                  typography(label(getattr(gripp2, item), lang), lang)) for item in items)
    return Table(caption=typography(t("reports.gripp2.caption", lang), lang),
                 columns=(t("reports.gripp2.item", lang), t("reports.gripp2.reported", lang)),
                 rows=rows, numeric=(False, False),
                 notes=(typography(t("reports.gripp2.source", lang), lang),), name="gripp2")


def _information_loss(ctx: _Ctx) -> list[Block]:
    """What disclosure control cost: the cells counting people hidden, in all and per table
    (the tables that hide none are not listed)."""
    study = ctx.results.meta.get("study_parameters") or {}
    loss = suppression_rates(released_frames(ctx.results, policy=ctx.policy), study=study)
    cells = sum(r["cells"] for r in loss.values())
    hidden = sum(r["hidden"] for r in loss.values())
    if not hidden:
        return [Paragraph(ctx.t("reports.loss.none"))]
    sentence = Paragraph(ctx.t("reports.loss.sentence", hidden=count_text(hidden, ctx.lang),
                               cells=count_text(cells, ctx.lang),
                               share=percent_text(hidden / cells, ctx.lang, decimals=1)))
    rows = tuple((_table_title(ctx, name), count_text(r["hidden"], ctx.lang),
                  count_text(r["cells"], ctx.lang),
                  percent_text(r["hidden"] / r["cells"], ctx.lang, decimals=1))
                 for name, r in sorted(loss.items()) if r["hidden"])
    table = Table(caption=ctx.t("reports.loss.caption"),
                  columns=(ctx.t("reports.loss.table"), ctx.t("reports.loss.hidden"),
                           ctx.t("reports.loss.cells"), ctx.t("reports.loss.share")),
                  rows=rows, numeric=(False, True, True, True), name="information_loss")
    return [sentence, table]


def _table_title(ctx: _Ctx, name: str) -> str:
    try:
        return ctx.title(name)
    except EvalkitError:  # a table the catalogue names only by its pattern
        return name


def _method_keys(ctx: _Ctx) -> list[str]:
    has = ctx.tables.__contains__
    wanted = ["tokenism_index", "intervals"]
    wanted += ["funnel"] if has("tokenism_funnel") else []
    wanted += ["shrinkage"] if has("tokenism_shrunken") else []
    wanted += ["mixed_model"] if has("involvement_model") else []
    wanted += ["reliability"] if has("reliability_ladder") or \
        ctx.tables.instances("reliability_{scale}") else []
    wanted += ["weights"] if has("representativeness") else []
    wanted += ["outcomes"] if has("outcome_change") else []
    wanted += ["agreement"] if has("coder_agreement") else []
    wanted += ["framework"] if has(f"quotes_{ctx.lang}") else []
    wanted += ["joint_display"] if has("code_frequencies") else []
    wanted += ["disclosure"]
    wanted += ["gripp2"] if ctx.study.report.gripp2 is not None else []
    return wanted + ["brief"]


def _report_sections(ctx: _Ctx, messages: list[Message],
                     notes: list[MethodNote]) -> list[tuple[int, list[Block]]]:
    """The report's sections with a priority each (0: always kept; higher: dropped first when
    the report runs over its 25 pages)."""
    report = ctx.study.report
    org = label(report.organisation, ctx.lang) if report.organisation else ""
    sections: list[tuple[int, list[Block]]] = []
    sections.append((0, _section(
        ctx, "reports.section.context",
        Paragraph(typography(label(report.context, ctx.lang), ctx.lang)) if report.context
        else None,
        Paragraph(ctx.t("reports.report.question", question=label(report.question, ctx.lang)))
        if report.question else None,
        Paragraph(ctx.t("reports.report.organisation", organisation=org)) if org else None)))
    sections.append((0, _section(
        ctx, "reports.section.methods",
        Heading(ctx.t("reports.section.data"), 2),
        _methods_sentence(ctx),
        _respondents_table(ctx),
        Heading(ctx.t("reports.section.measures"), 2),
        Paragraph(ctx.t("reports.report.measures")),
        Paragraph("", "non_validated"),
        Paragraph(ctx.t("quant.tokenism.definition")),
        _reliability_sentence(ctx),
        Heading(ctx.t("reports.section.statistics"), 2),
        Paragraph(ctx.t("reports.report.statistics")),
        Heading(ctx.t("reports.section.qualitative"), 2),
        Paragraph(ctx.t("reports.report.qualitative")) if ctx.has("code_frequencies")
        else ctx.absent("code_frequencies"),
        _agreement_table(ctx))))
    sections.append((0, [Heading(ctx.t("reports.section.results"), 1)]))
    sections.append((3, _about(ctx, "reports.section.respondents", "representativeness",
                               Paragraph(ctx.t("reports.report.respondents")),
                               _representativeness_table(ctx))))
    sections.append((4, _about(ctx, "reports.section.ladder", "ladder_distribution",
                               _ladder_sentence(ctx), ctx.figure("ladder"))))
    sections.append((0, _section(ctx, "reports.section.tokenism",
                                 *_tokenism_findings(ctx, compact=False),
                                 ctx.figure("caterpillar"), level=2)))
    sections.append((2, _about(ctx, "reports.section.weighted", "tokenism_weighted",
                               _weighted_table(ctx))))
    sections.append((1, _about(ctx, "reports.section.perception", "perception_gap",
                               Paragraph(ctx.t("reports.report.perception")),
                               _perception_table(ctx))))
    sections.append((0, _about(ctx, "reports.section.outcomes", "outcome_change",
                               _outcome_sentence(ctx), _outcome_table(ctx),
                               ctx.figure("outcomes"), _model_sentence(ctx), _model_table(ctx),
                               _icc_sentence(ctx))))
    sections.append((1, _about(ctx, "reports.section.networks", "traffic_light",
                               _network_sentence(ctx), ctx.figure("traffic_light"),
                               _network_table(ctx))))
    sections.append((4, _about(ctx, "reports.section.integration", "integration_profile",
                               ctx.figure("integration"))))
    quotes = _quotes(ctx)
    sections.append((1, _about(ctx, "reports.section.interviews", "code_frequencies",
                               ctx.figure("codes"), _joint_table(ctx),
                               Paragraph(ctx.t("reports.report.quotes")) if quotes else None,
                               *quotes)))
    sections.append((0, _section(
        ctx, "reports.section.implications", _label_if(messages),
        Bullets(tuple(m.text(ctx.lang, method=True, marks=True) for m in messages),
                details=tuple(m.evidence_text(ctx.lang) for m in messages)))))
    sections.append((0, _section(ctx, "reports.section.gripp2",
                                 gripp2_table(ctx.study, lang=ctx.lang))))
    appendix: list[Block] = []
    for note in notes:
        appendix += [Heading(note.title, 2), Paragraph(note.text),
                     Bullets(note.references)]
        if note.key == "disclosure":
            appendix += _information_loss(ctx)
    sections.append((0, [Heading(ctx.t("reports.section.appendix"), 1), *appendix]))
    return sections


def _fit(sections: list[tuple[int, list[Block]]], part: Part) -> list[str]:
    """Drop the sections of highest priority number until the part fits its budget; the
    headings of the sections dropped are returned."""

    dropped = []
    kept = list(sections)
    while True:
        part.blocks = [b for _, bs in kept for b in bs]
        if part_pages(part) <= part.budget * FILL:
            break
        worst = max((p for p, bs in kept if bs), default=0)
        if worst == 0:
            break
        i = max(i for i, (p, bs) in enumerate(kept) if p == worst and bs)
        dropped.append(kept[i][1][0].text)
        kept.pop(i)
    part.blocks = [b for _, bs in kept for b in bs]
    return dropped


def _fit_messages(ctx: _Ctx, messages: list[Message]) -> list[Message]:
    """The messages in order, as many as fit on the one page of main messages."""

    kept = list(messages)
    while kept:
        if part_pages(_main_part(ctx, kept), extra_lines=HEADER_LINES) <= BUDGETS["main"] * FILL:
            break
        kept.pop()
    return kept


def build_brief(results: Any, study: Any, *, lang: str, run_date: dt.date | str,
                policy: Any = None, figures: bool = True,
                drawn: str | Path | None = None) -> Brief:
    """Assemble the 1:3:25 evidence brief in ``lang`` from released results.

    Parameters
    ----------
    results : evalkit.analyse.results.Results
        The run's results (unsuppressed: every table goes through disclosure control here).
    study : evalkit.config.study.Study
        Its ``title``, ``report`` (context, question, organisation, GRIPP2) and ``privacy``.
    lang : {'fr', 'en'}
    run_date : date or ISO string
        The date printed on the brief (the run's date: the same run gives the same brief).
    policy : DisclosurePolicy, optional
        Default: the study's ``privacy`` section.
    figures : bool, default True
        Draw the figures (False gives a text-and-tables brief, faster, for tests).
    drawn : path, optional
        A run's folder of figures drawn once: a figure in the same state as one drawn before
        (by a notebook of the run) takes its PNG from there (see
        :func:`evalkit.present.figures.figure_block`).

    Returns
    -------
    Brief
        With its parts, the main messages kept and the page budget of each part
        (``{part: (estimated_pages, budget, ok)}``).

    Notes
    -----
    The main messages are drafted by :func:`evalkit.present.messages.draft_messages` and kept
    in order while they fit on one page. The report's optional sections (figures of the
    ladder and of integration first, then weighted rates, then perception and networks) are
    dropped, least important first, while the estimate exceeds 25 pages.
    """

    _check_lang(lang)
    run_date = dt.date.fromisoformat(run_date[:10]) if isinstance(run_date, str) else run_date
    policy = as_policy(study.privacy if policy is None else policy)
    try:
        codebook = study.codebook
    except EvalkitError:  # the labels are a nicety: the brief still reads with the names
        codebook = None
    confidence = float(results.meta.get("confidence", study.parameters.confidence))
    ctx = _Ctx(results=results, study=study, lang=lang, policy=policy,
               tables=ReleasedTables(results, policy), labels=tb.Labels(codebook, lang),
               confidence=confidence, figures=figures, drawn=drawn)
    messages = _fit_messages(ctx, draft_messages(ctx.tables, confidence=confidence,
                                                  labels=ctx.labels,
                                                  scales=_scales(study, codebook)))
    notes = method_notes(_method_keys(ctx), lang, policy=policy)
    report = Part("report", ctx.t("reports.brief.report.title"), budget=BUDGETS["report"],
                  label=ctx.t("reports.brief.report.label"))
    _fit(_report_sections(ctx, messages, notes), report)
    parts = [_main_part(ctx, messages), _summary_part(ctx, messages), report]
    org = label(study.report.organisation, lang) if study.report.organisation else ""
    return Brief(lang=lang, study=study.study, title=typography(label(study.title, lang), lang),
                 subtitle=typography(org, lang), run_date=run_date, parts=parts,
                 messages=messages, budget=budget_report(parts, header_lines=HEADER_LINES),
                 notes=notes)


def _scales(study: Any, codebook: Any) -> dict[str, Any]:
    """What the main messages need to explain their numbers: the lowest and highest rating
    of the outcome items (from the codebook's numeric codes) and the ladder's rungs."""
    out: dict[str, Any] = {}
    measures = study.measures
    if measures.involvement is not None:
        out["rungs"] = len(measures.involvement.ladder)
    if measures.outcomes is not None and codebook is not None:
        codes = [c for item in measures.outcomes.items if item in codebook
                 for c in codebook.values_of(item) if isinstance(c, int | float)
                 and not isinstance(c, bool)]
        if codes:
            out["outcome"] = (min(codes), max(codes))
    return out


def write_budget_json(briefs: Mapping[str, Brief] | list[Brief], path: str | Path) -> Path:
    """Write ``{lang: {part: {estimated_pages, budget, ok}}}`` to ``path`` (``budget.json``)."""
    briefs = list(briefs.values()) if isinstance(briefs, Mapping) else list(briefs)
    data = {b.lang: {part: {"estimated_pages": pages, "budget": budget, "ok": ok}
                     for part, (pages, budget, ok) in b.budget.items()} for b in briefs}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path
