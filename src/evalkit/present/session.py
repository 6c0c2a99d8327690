"""What evalkit's notebooks call: one object that holds a study's results and shows them.

A notebook creates a :class:`Session` from its parameters, then shows released tables, figures
and catalogue sentences, asking for tables by their handle in the table catalogue
(``docs/tables.md``): a handle the catalogue does not declare is an error at once. A table the
run did not compute is shown as a ``Not computed: <reason>`` block, never an error. Under each
table and figure, the calls of evalkit's functions that made it, with the run's arguments.

In a run the results were computed once (``<run>/.work/results``) and the notebook only loads
them; opened by hand in JupyterLab, or given analysis parameters other than the run's, the
session computes them itself. Everything shown is released (disclosure control applied) and
appears in every language the notebook runs in, each marked so that the page of one language
keeps only its own (see :func:`evalkit.present.export_notebook_html`).

Examples
--------
In a notebook::

    from evalkit.present.session import Session
    nb = Session(study_file, run_dir=run_dir, lang=lang, seed=seed, bootstrap=bootstrap,
                 confidence=confidence, ci=ci)
    nb.table("tokenism_rates")
    nb.figure("tokenism_funnel", lambda lang: plots.funnel_plot(
        nb.released("tokenism_funnel"), lang=lang, non_validated=True),
        caption="nb.caption.tokenism_funnel", non_validated=True)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit.analyse.catalogue import table_spec
from evalkit.analyse.compute import compute_results
from evalkit.analyse.results import Absence, Results, TableAbsent, prime_frames
from evalkit.config.study import load_study
from evalkit.errors import ArgumentError
from evalkit.i18n import LANGUAGES, format_number, t
from evalkit.prepare.study import prepare_study
from evalkit.present._text import marked_html, typography
from evalkit.present.brief import build_brief
from evalkit.present.display import absent_html, method_html, show_figure, show_table
from evalkit.present.html import non_validated_html, quote_html
from evalkit.present.joint import joint_display
from evalkit.present.writers import write_briefs
from evalkit.release.tables import RELEASED_FOLDER, ReleasedTables, released_table

__all__ = ["CI_BOOTSTRAP", "Session", "analysis_parameters", "prime"]

#: The folder of a run's work folder where the parts of figures every site's copy shares are
#: drawn once (see :mod:`evalkit.present.plots._layers`).
LAYERS_FOLDER = "figure-layers"
#: The folder of a run's work folder where the figures of the study-wide notebooks and of the
#: brief are kept by their state: one drawn again elsewhere in the run is not drawn twice (see
#: :mod:`evalkit.present.plots._drawn`).
DRAWN_FOLDER = "figures-drawn"
#: Bootstrap resamples when the ``ci`` switch is on (continuous integration machines).
CI_BOOTSTRAP = 200


#: The largest table file :func:`prime` reads ahead.
PRIME_BYTES = 8 * 1024 * 1024


def prime(study_file: str | Path, run_dir: str | Path) -> None:
    """Read ahead, in a process notebooks' kernels are forked from, what every notebook of
    the run in ``run_dir`` reads first: its study and codebook files, and the tables of its
    results (released or not). Each is kept by its content: a kernel still reads the files,
    and what it finds changed since is parsed again (``evalkit.config._yaml.load_yaml``,
    :func:`evalkit.analyse.results.read_frame`). A kernel gets copies: nothing it does
    reaches the next one.
    """
    load_study(study_file).codebook  # noqa: B018 - parsed for its files' text
    folder = Path(run_dir) / ".work" / "results"
    files = [*sorted((folder / RELEASED_FOLDER).glob("*.parquet")),
             *sorted(folder.glob("*.parquet"))]
    prime_frames(f for f in files if f.stat().st_size <= PRIME_BYTES)


def analysis_parameters(study: Any, *, seed: Any = None, bootstrap: Any = None,
                        confidence: Any = None, ci: bool = False) -> dict[str, Any]:
    """The seed, bootstrap resamples and confidence an analysis runs with: the values given,
    else the study's ``parameters``; ``ci`` caps the resamples at :data:`CI_BOOTSTRAP`."""
    params = study.parameters
    n_boot = int(params.bootstrap if bootstrap is None else bootstrap)
    if ci:
        n_boot = min(n_boot, CI_BOOTSTRAP)
    return {"seed": int(params.seed if seed is None else seed), "bootstrap": n_boot,
            "confidence": float(params.confidence if confidence is None else confidence)}


class Session:
    """A study's results, and the display helpers of a notebook.

    Parameters
    ----------
    study_file : str or Path
        The study's ``study.yaml``.
    run_dir : str or Path, optional
        The run folder (``..`` from a run's executed notebook). Results are loaded from its
        ``.work/results`` when they were computed with this session's analysis parameters;
        figures are then saved to its ``figures/``. Otherwise the results are computed now.
    lang : {"fr", "en", "all"}
        The language shown; ``all``: every language of the study.
    seed, bootstrap, confidence : optional
        Analysis parameters (default: the study's ``parameters``).
    ci : bool
        Shrink bootstrap resamples to a few hundred (continuous integration).
    site : str, optional
        The site of a site profile.
    """

    def __init__(self, study_file: str | Path, *, run_dir: str | Path | None = None,
                 lang: str = "fr", seed: int | None = None, bootstrap: int | None = None,
                 confidence: float | None = None, ci: bool = False,
                 site: str | None = None) -> None:

        self.study = load_study(study_file)
        if lang == "all":
            self.languages = list(self.study.languages)
        elif lang in LANGUAGES:
            self.languages = [lang]
        else:

            raise ArgumentError(f"lang must be 'fr', 'en' or 'all', got {lang!r}", where="lang")
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.site = None if site is None else str(site)
        self.policy = self.study.privacy
        self.parameters = analysis_parameters(self.study, seed=seed, bootstrap=bootstrap,
                                              confidence=confidence, ci=ci)
        self.results, self.from_run = self._results()
        self.tables = ReleasedTables(self.results, self.policy)
        self._read: list[str] = []

    # -- results -------------------------------------------------------------------------------
    def _results(self) -> tuple[Results, bool]:
        """The run's results when they were computed with these parameters; else computed now
        (the notebook's parameters take effect)."""
        stored = self.run_dir / ".work" / "results" if self.run_dir else None
        if stored is not None and (stored / "results.json").is_file():
            results = Results.load(stored)
            made = {k: results.meta.get(k) for k in self.parameters}
            if made == self.parameters:
                return results, True
        prepared = prepare_study(self.study)
        p = self.parameters
        return compute_results(prepared, seed=p["seed"], n_boot=p["bootstrap"],
                               confidence=p["confidence"],
                               languages=self.study.languages), False

    def __contains__(self, name: str) -> bool:
        """Whether the run computed table ``name`` (an undeclared handle is an error)."""
        return name in self.results

    def absence(self, name: str) -> Absence | None:
        """Why table ``name`` was not computed (None when it was)."""
        return self.results.absence(name)

    @property
    def run_date(self) -> str:
        """The run's date (ISO): the day the results were computed."""
        return str(self.results.meta.get("date") or dt.date.today().isoformat())

    @property
    def codebook(self) -> Any:
        """The study's codebook (labels of variables and values in both languages)."""
        return self.study.codebook

    @property
    def sites(self) -> list[str]:
        """The study's sites."""
        return [str(s) for s in self.results.meta.get("sites", [])]

    def released(self, name: str, *, site: str | None = None,
                 users: bool = False) -> pd.DataFrame:
        """Result table ``name`` after disclosure control: one site's rows with ``site``; the
        rows of the study's users (``measures.involvement.perception.users``) with ``users``
        when the table has the group column.

        Raises
        ------
        evalkit.analyse.results.TableAbsent
            The run did not compute it (:meth:`figure` shows the reason instead).
        """
        frame = released_table(self.results, name, policy=self.policy)
        self._read.append(name)
        spec = self.results.spec(name)
        if site is not None and spec.key("site") is not None:
            frame = frame[frame[spec.key("site")].astype(str) == str(site)]
        wanted = spec.study.get("users")
        if users and wanted and spec.key("group") is not None:
            frame = frame[frame[spec.key("group")].astype(str).isin({str(u) for u in wanted})]
        return frame

    def get(self, name: str) -> pd.DataFrame | None:
        """Released table ``name``, or None after showing why the run did not compute it."""
        try:
            return self.released(name)
        except TableAbsent as absent:
            self._show({g: absent_html(absent.absence, lang=g).html for g in self.languages})
            return None

    def each(self, handle: str) -> list[str]:
        """The values of the placeholder of the family ``handle`` for the tables the run
        computed (``scoring_{scale}`` → ``["wellbeing"]``); when there is none, shows why."""
        found = self.results.instances(handle)
        if not found:
            absence = self.results.absence(handle) or Absence(handle, "absent.not_computed")
            self._show({g: absent_html(absence, lang=g).html for g in self.languages})
        return [next(iter(table_spec(name).params.values())) for name in found]

    def configured(self, section: str) -> bool:
        """Whether ``study.yaml`` has ``section`` (``measures.logic_model``); when it has not,
        shows so."""
        value: Any = self.study
        for part in section.split("."):
            value = getattr(value, part, None)
        if value:
            return True
        absence = Absence("", "absent.not_configured", {"section": section})
        self._show({g: absent_html(absence, lang=g).html for g in self.languages})
        return False

    def joint_display(self) -> pd.DataFrame:
        """The joint display of numbers and interviews (see
        :func:`evalkit.present.joint_display`); raises :class:`TableAbsent` when a table it
        reads is absent or the interviews have no tokenism theme."""
        for name in ("tokenism_rates", "tokenism_funnel", "code_frequencies"):
            self.released(name)
        joint = joint_display(self.tables)
        if joint is None:
            raise TableAbsent(Absence("", "absent.no_theme"))
        return joint

    # -- display -------------------------------------------------------------------------------
    def _show(self, parts: dict[str, str]) -> Any:
        from IPython.display import HTML, display

        html = "".join(f"<div lang='{g}' data-evalkit-lang='{g}'>{parts[g]}</div>"
                       for g in self.languages)
        display(HTML(html))

    def text(self, key: str, **params: Any) -> None:
        """A sentence of the catalogues, in each language (``params`` may be callables of the
        language, e.g. for numbers formatted by locale)."""
        parts = {}
        for g in self.languages:
            values = {k: (v(g) if callable(v) else v) for k, v in params.items()}
            parts[g] = f"<p>{marked_html(escape(typography(t(key, g, **values), g)))}</p>"
        self._show(parts)

    def words(self, key: str, lang: str, **params: Any) -> str:
        """The catalogue's text ``key`` in ``lang`` (an axis title, a legend entry)."""
        return typography(t(key, lang, **params), lang)

    def sentence(self, make: Callable[[str], str]) -> None:
        """Show ``make(lang)``, a sentence written from released tables (e.g.
        :func:`evalkit.plots.funnel_position`), in each language; nothing when a table it
        reads was not computed (the figure beside it says why)."""
        parts = {}
        for g in self.languages:
            try:
                parts[g] = f"<p class='ek-lead'>{marked_html(escape(typography(make(g), g)))}</p>"
            except TableAbsent:
                parts[g] = ""
        self._show(parts)

    def table(self, name: str, *, site: str | None = None,
              columns: list[str] | None = None) -> None:
        """Show released table ``name`` (its title, cells with the catalogue's labels,
        suppression note, and the calls that made it) in each language, or why it was not
        computed.

        ``name`` may end in ``_{lang}`` for tables kept per language (``framework_{lang}``).
        """

        parts = {}
        for g in self.languages:
            real = name.replace("{lang}", g)
            parts[g] = show_table(self.results, real, lang=g, policy=self.policy, site=site,
                                  columns=columns, codebook=self.codebook).html
        self._show(parts)

    def figure(self, name: str, make: Callable[[str], Any], *, caption: str,
               non_validated: bool = False, method: str | None = None,
               **params: Any) -> None:
        """Draw ``make(lang)`` in each language, show it with its caption (catalogue key
        ``caption``) and the calls that made the tables it reads, and save it in the run's
        ``figures/`` (PNG) as ``name.<lang>.png``. When a table it reads was not computed,
        show why instead."""

        parts = {}
        folder = self.run_dir / "figures" if self.run_dir is not None and self.from_run \
            else None
        # A site's copy of a figure of all sites: what they share is drawn once per run.
        layers = self.run_dir / ".work" / LAYERS_FOLDER if folder is not None else None
        drawn = self._drawn() if self.site is None else None
        stem = name if self.site is None else f"{name}.{self.site}"
        for g in self.languages:
            values = {k: (v(g) if callable(v) else v) for k, v in params.items()}
            target = folder / f"{stem}.{g}.png" if folder and folder.is_dir() else None
            self._read = []
            try:
                fig = make(g)
            except TableAbsent as absent:
                parts[g] = absent_html(absent.absence, lang=g,
                                       title=t(caption, g, **values)).html
                continue
            calls = [c for n in dict.fromkeys(self._read) for c in self.results.calls(n)]
            parts[g] = show_figure(fig, caption=t(caption, g, **values), lang=g,
                                   non_validated=non_validated, method=method,
                                   save_to=target, layers=layers, drawn=drawn,
                                   calls=method_html(calls, self.results.meta.get("frames", {}),
                                                     lang=g)).html
        self._show(parts)

    def quotes(self, *, code_path: str | None = None, site: str | None = None,
               n: int = 3) -> None:
        """Quotes from the quote bank (already scrubbed), attributed by role and site only;
        why there is none when the run has no quote bank."""
        parts = {}
        for g in self.languages:
            name = f"quotes_{g}"
            absence = self.results.absence(name)
            if absence is not None:
                parts[g] = absent_html(absence, lang=g).html
                continue
            frame = self.results.frame(name)
            if code_path is not None and "code_path" in frame:
                frame = frame[frame["code_path"] == code_path]
            if site is not None and "site" in frame:
                frame = frame[frame["site"].astype(str) == str(site)]
            frame = frame.head(n)
            if frame.empty:
                parts[g] = f"<p>{escape(t('nb.no_quotes', g))}</p>"
                continue
            items = "".join(
                quote_html(str(row.get("quote", row.get("text", ""))),
                           str(row.get("attribution", "")), g, language=row.get("language"))
                for row in frame.to_dict("records"))
            parts[g] = items
        self._show(parts)

    def _drawn(self) -> Path | None:
        """The run's folder of figures kept by their state (None outside a run: each figure
        is drawn)."""
        if self.run_dir is None or not self.from_run:
            return None
        return self.run_dir / ".work" / DRAWN_FOLDER

    # -- the evidence brief ---------------------------------------------------------------------
    def _briefs(self) -> dict:
        """The brief in each language, built once, with its figures (they take room: the page
        budget is only right with them)."""

        if not hasattr(self, "_brief_cache"):
            self._brief_cache = {g: build_brief(self.results, self.study, lang=g,
                                                run_date=self.run_date, policy=self.policy,
                                                drawn=self._drawn())
                                 for g in self.languages}
        return self._brief_cache

    def write_briefs(self, folder: str | Path) -> dict:
        """Write the brief (HTML and Word in each language, and ``budget.json``) to ``folder``
        from the briefs this session shows, and say which files were written."""

        folder = Path(folder)
        in_run = self.run_dir is not None and folder.resolve().parent == self.run_dir.resolve()
        # In a run the brief's pages link back to the run's index (index.html, index.en.html).
        index = ({g: "../" + ("index.html" if i == 0 else f"index.{g}.html")
                  for i, g in enumerate(self.languages)} if in_run else None)
        record = write_briefs(self.results, self.study, folder, run_date=self.run_date,
                              policy=self.policy, languages=self.languages,
                              briefs=self._briefs(), index=index)
        # A run's page names the folder inside the run; by hand, where it is on this computer.
        shown = (folder.relative_to(self.run_dir).as_posix()
                 if self.run_dir is not None and folder.is_relative_to(self.run_dir)
                 else str(folder.resolve()))
        self.text("nb.brief.written", folder=shown, files=", ".join(record["files"]))
        return record

    def brief_messages(self) -> None:
        """The brief's main messages, as the rules drafted them, in each language."""

        parts = {}
        for g, brief in self._briefs().items():
            items = "".join(f"<li>{marked_html(escape(m.text(g, marks=True)))}</li>"
                            for m in brief.messages)
            flagged = any(getattr(m, "non_validated", False) for m in brief.messages)
            parts[g] = (non_validated_html(g) if flagged else "") + f"<ol>{items}</ol>"
        self._show(parts)

    def brief_budget(self) -> None:
        """Estimated pages of the brief's three parts against their budgets (1, 3, 25)."""

        parts = {}
        for g, brief in self._briefs().items():
            rows = "".join(
                f"<tr><td>{escape(t(f'reports.brief.{part}.title', g))}</td>"
                f"<td class='num'>{format_number(pages, g)}</td><td class='num'>{budget}</td>"
                f"<td>{'✓' if ok else '✗'}</td></tr>"
                for part, (pages, budget, ok) in brief.budget.items())
            head = "".join(f"<th>{escape(t(f'nb.budget.{c}', g))}</th>"
                           for c in ("part", "pages", "budget", "ok"))
            parts[g] = (f"<table><caption>{escape(t('nb.brief.budget', g))}</caption>"
                        f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        self._show(parts)
