"""The run's landing page, ``index.html``: every output linked, the status of every notebook.

One self-contained page per language (``index.html`` in the first, ``index.<lang>.html`` in the
others); the style sheet comes from :data:`STYLE` so that the reports part can give every page
of evalkit the same look.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from html import escape
from pathlib import Path
from typing import Any

from evalkit._files import write_bytes_atomic
from evalkit.analyse.catalogue import catalogue, table_spec
from evalkit.analyse.results import Results
from evalkit.i18n import format_number, has_key, label, t
from evalkit.present._text import typography_html
from evalkit.present.style import stylesheet

__all__ = ["STYLE", "index_name", "write_index"]

_DEFAULT_CSS = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #1a1a1a; line-height: 1.45; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #ddd;
         vertical-align: top; }
.status-ok { color: #17622f; font-weight: 600; }
.status-failed, .status-not_run { color: #a4161a; font-weight: 600; }
.banner { padding: .6rem .8rem; border-radius: .3rem; }
.banner.ok { background: #e6f4ea; } .banner.failed { background: #fde8e8; }
code { font-size: .9em; } .muted { color: #666; }
"""


def default_css() -> str:
    """The built-in style sheet of the landing page."""
    return _DEFAULT_CSS


def shared_css() -> str:
    """evalkit's one style sheet (the reports' pages use it too), then the page's own rules."""

    return stylesheet() + _DEFAULT_CSS


#: The hook that provides the landing page's CSS (a function returning CSS text).
STYLE: dict[str, Callable[[], str]] = {"css": shared_css}


def release_label(scan: dict | None, lang: str) -> str:
    """The release check's status in words."""

    status = str((scan or {}).get("status", "not available"))
    key = "runner.release." + status.replace(" ", "_")
    return t(key, lang) if has_key(key) else status


def index_name(lang: str, languages: list[str]) -> str:
    """``index.html`` for the first language, ``index.<lang>.html`` for the others."""
    return "index.html" if lang == languages[0] else f"index.{lang}.html"


def _files(run_dir: Path, folder: str, patterns: tuple[str, ...]) -> list[str]:
    base = run_dir / folder
    found = {p for pattern in patterns for p in base.glob(pattern) if p.is_file()}
    return sorted(p.relative_to(run_dir).as_posix() for p in found)


def _links(paths: list[str], lang: str) -> str:
    if not paths:
        return f"<p class='muted'>{escape(t('runner.index.none', lang))}</p>"
    items = "".join(f"<li><a href='{escape(p)}'>{escape(Path(p).name)}</a></li>" for p in paths)
    return f"<ul>{items}</ul>"


def _table_links(paths: list[str], lang: str) -> str:
    """Released tables by their catalogue title, with their file."""
    if not paths:
        return _links(paths, lang)
    items = []
    for path in paths:
        name = Path(path).stem
        title = table_spec(name).title(lang) if catalogue().is_declared(name) else name
        items.append(f"<li><a href='{escape(path)}'>{escape(title)}</a> "
                     f"<span class='muted'>{escape(Path(path).name)}</span></li>")
    return f"<ul>{''.join(items)}</ul>"


def _study_parameters(run_dir: Path) -> dict[str, Any]:
    """What the run's study gives the catalogue's titles (a scale's label), from the results
    of the run (none when the run computed nothing)."""
    folder = run_dir / ".work" / "results"
    if not (folder / "results.json").is_file():
        return {}
    return dict(Results.load(folder).meta.get("study_parameters") or {})


def _title(name: str, lang: str, study: Mapping[str, Any]) -> str | None:
    """The catalogue's title of table ``name`` for the run's study (None when undeclared)."""
    return table_spec(name, study=study).title(lang) if catalogue().is_declared(name) else None


def _absent(manifest: dict, lang: str, study: Mapping[str, Any]) -> str:
    """The tables the run did not compute, each with its title and why."""
    absent = ((manifest.get("stages") or {}).get("prepare") or {}).get("absent") or []
    items = []
    for record in absent:
        title = _title(record["table"], lang, study) or record["table"]
        reason = (record.get("reason") or {}).get(lang, "")
        items.append(f"<li>{escape(title)} — "
                     f"{escape(t('absent.block', lang, reason=reason))}</li>")
    return f"<ul>{''.join(items)}</ul>" if items else ""


def _notebook_rows(records: list[dict], lang: str) -> str:
    rows = []
    for record in records:
        status = record.get("status", "not_run")
        links = [f"<a href='{escape(record['outputs']['notebook'])}'>.ipynb</a>"] \
            if status != "not_run" else []
        pages = (record.get("outputs") or {}).get("html") or {}
        if record.get("html") and pages:
            page = pages.get(lang) or next(iter(pages.values()))
            links.insert(0, f"<a href='{escape(page)}'>"
                            f"{escape(t('runner.index.report', lang))}</a>")
        failure = record.get("failure") or {}
        detail = ""
        if failure:
            detail = escape(t(f"runner.failure.{failure['kind']}", lang))
            if failure.get("cell_index") is not None:
                detail += " — " + escape(t("runner.cell", lang, index=failure["cell_index"],
                                           line=failure.get("cell_first_line", "")))
            if failure.get("message"):
                detail += f"<br><code>{escape(failure['message'])}</code>"
        duration = record.get("duration")
        shown = format_number(duration, lang, decimals=1) + " s" if duration is not None else "–"
        rows.append(
            f"<tr><td>{escape((record.get('titles') or {}).get(lang) or record.get('title') or record['notebook'])}</td>"
            f"<td>{escape(record.get('site') or '')}</td>"
            f"<td>{escape(', '.join(record.get('languages') or [record['lang']]))}</td>"
            f"<td class='status-{escape(status)}'>{escape(t(f'runner.status.{status}', lang))}"
            f"</td><td>{shown}</td><td>{' · '.join(links)}</td><td>{detail}</td></tr>")
    head = "".join(f"<th>{escape(t(f'runner.index.col.{c}', lang))}</th>" for c in
                   ("notebook", "site", "lang", "status", "duration", "links", "failure"))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _other_languages(lang: str, languages: list[str], target: Callable[[str], str]) -> str:
    """Links to the same page in the other languages, each named in its own language."""
    return " · ".join(
        f"<a href='{escape(target(other))}' hreflang='{other}' lang='{other}'>"
        f"{escape(t('nav.other_language', other))}</a>"
        for other in languages if other != lang)


def _brief_section(run_dir: Path, lang: str, languages: list[str]) -> str:
    """The brief first: one line on what it is, then its web page and Word document in this
    language, then in the others."""
    found = _files(run_dir, "brief", ("*.html", "*.docx", "*.pdf"))
    if not found:
        return f"<p class='muted'>{escape(t('runner.index.none', lang))}</p>"
    items = []
    for g in [lang, *[x for x in languages if x != lang]]:
        mine = [p for p in found if f".{g}." in Path(p).name]
        if not mine:
            continue
        links = " · ".join(
            f"<a href='{escape(p)}'>{escape(t(f'runner.index.kind.{Path(p).suffix[1:]}', lang))}"
            f"</a>" for p in sorted(mine, key=lambda p: (Path(p).suffix != ".html", p)))
        name = t("runner.index.brief.in", lang, language=t(f"language.{g}", lang))
        items.append(f"<li><strong>{escape(name)}</strong> : {links}</li>" if lang == "fr"
                     else f"<li><strong>{escape(name)}</strong>: {links}</li>")
    return (f"<p>{escape(t('runner.index.brief.about', lang))}</p>"
            f"<ul class='ek-brief'>{''.join(items)}</ul>")


def _page_list(records: list[dict], lang: str, *, sites: bool) -> str:
    """The pages of the notebooks (site profiles or analyses) in this language, by title."""
    items = []
    for record in records:
        if bool(record.get("site")) != sites:
            continue
        pages = (record.get("outputs") or {}).get("html") or {}
        page = pages.get(lang)
        title = (t("nb.site.header", lang, site=record["site"]) if sites else
                 (record.get("titles") or {}).get(lang) or record.get("title")
                 or record["notebook"])
        if not record.get("html") or page is None:
            items.append(f"<li>{escape(title)} <span class='muted'>"
                         f"({escape(_status(record, lang))})</span></li>")
            continue
        items.append(f"<li><a href='{escape(page)}'>{escape(title)}</a></li>")
    if not items:
        return ""
    return f"<ul class='ek-pages'>{''.join(items)}</ul>"


def _status(record: dict, lang: str) -> str:
    return t(f"runner.status.{record.get('status', 'not_run')}", lang)


def _language_of(path: str) -> str | None:
    """The language a file is written in (``x.fr.png``, ``quotes_fr.csv``), None for both."""
    parts = Path(path).name.split(".")
    if len(parts) >= 3 and parts[-2] in ("fr", "en"):
        return parts[-2]
    stem = Path(path).stem
    return stem.rsplit("_", 1)[1] if stem.rsplit("_", 1)[-1] in ("fr", "en") else None


def _table_downloads(paths: list[str], lang: str, study: Mapping[str, Any]) -> str:
    """Released tables by their catalogue title (the file is the link's target)."""
    items = []
    for path in paths:
        if _language_of(path) not in (None, lang):
            continue
        name = Path(path).stem
        title = _title(name, lang, study) or t("runner.index.table.other", lang)
        kind = t(f"runner.index.kind.{Path(path).suffix[1:]}", lang)
        items.append((title, f"<li><a href='{escape(path)}'>{escape(title)}</a> "
                             f"<span class='muted'>({escape(kind)})</span></li>"))
    if not items:
        return f"<p class='muted'>{escape(t('runner.index.none', lang))}</p>"
    return f"<ul>{''.join(item for _, item in sorted(items, key=lambda x: _sort_key(x[0])))}</ul>"


def _sort_key(title: str) -> str:
    """Titles in a reader's order: accents and case do not move a title to the end."""
    return "".join(c for c in unicodedata.normalize("NFD", title.casefold())
                   if not unicodedata.combining(c))


def _figure_downloads(paths: list[str], lang: str) -> str:
    """The figures drawn in this language, by their caption (a site's own figure says so)."""
    items = []
    for path in paths:
        if _language_of(path) not in (None, lang):
            continue
        parts = Path(path).name.split(".")
        name, site = parts[0], (parts[1] if len(parts) == 4 else None)
        key = f"nb.caption.{name}"
        if has_key(key):
            title = t(key, lang, site=site or "")
        elif catalogue().is_declared(name):
            title = table_spec(name).title(lang)
        else:
            title = t("runner.index.figure.other", lang)
        if site is not None:
            title = f"{t('nb.site.header', lang, site=site)} — {title}"
        kind = t(f"runner.index.kind.{Path(path).suffix[1:]}", lang)
        items.append(f"<li><a href='{escape(path)}'>{escape(title)}</a> "
                     f"<span class='muted'>({escape(kind)})</span></li>")
    if not items:
        return f"<p class='muted'>{escape(t('runner.index.none', lang))}</p>"
    return f"<ul>{''.join(items)}</ul>"


def _page(manifest: dict, run_dir: Path, lang: str, languages: list[str]) -> str:

    study = manifest["study"]
    title = label(manifest.get("title") or study, lang) or study
    ok = manifest["status"] == "ok"
    banner = t("runner.index.complete" if ok else "runner.index.failed", lang,
               failed=sum(r["status"] != "ok" for r in manifest["notebooks"]))
    others = _other_languages(lang, languages, lambda g: index_name(g, languages))
    release = release_label(manifest.get("disclosure_scan"), lang)
    records = manifest["notebooks"]
    study_parameters = _study_parameters(run_dir)
    sections = [("runner.index.brief", _brief_section(run_dir, lang, languages))]
    sites = _page_list(records, lang, sites=True)
    if sites:
        sections.append(("runner.index.sites", sites))
    analyses = _page_list(records, lang, sites=False)
    if analyses:
        sections.append(("runner.index.analyses", analyses))
    tables = _table_downloads(_files(run_dir, "tables", ("*.csv", "*.xlsx")), lang,
                              study_parameters)
    downloads = (
        f"<h3>{escape(t('runner.index.tables', lang))}</h3>"
        f"{tables}"
        f"<h3>{escape(t('runner.index.figures', lang))}</h3>"
        f"{_figure_downloads(_files(run_dir, 'figures', ('*.png', '*.svg')), lang)}")
    sections.append(("runner.index.downloads", downloads))
    absent = _absent(manifest, lang, study_parameters)
    if absent:
        sections.append(("runner.index.absent", absent))
    sections.append(("runner.index.notebooks", _notebook_rows(records, lang)))
    about = [f"<a href='manifest.json'>{escape(t('runner.index.manifest', lang))}</a>"]
    if (run_dir / "validation.csv").is_file():
        about.insert(0, f"<a href='validation.csv'>{escape(t('runner.index.validation', lang))}"
                        f"</a>")
    body = "".join(f"<section><h2>{escape(t(key, lang))}</h2>{content}</section>"
                   for key, content in sections)
    css = STYLE["css"]()
    run_line = t("runner.index.run", lang, run=manifest["run_id"], study=study)
    return typography_html(
        f"<!DOCTYPE html>\n<html lang='{lang}'>\n<head>\n<meta charset='utf-8'>\n"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
        f"<title>{escape(title)} — {escape(manifest['run_id'])}</title>\n"
        f"<style>{css}</style>\n</head>\n<body>\n"
        f"<nav class='ek-nav' aria-label='{escape(t('nav.label', lang))}'>{others}</nav>\n"
        f"<header><h1>{escape(title)}</h1>\n"
        f"<p class='muted'>{escape(run_line)}</p>\n"
        f"<p class='banner {'ok' if ok else 'failed'}'>{escape(banner)}</p></header>\n"
        f"<main>{body}\n"
        f"<section><h2>{escape(t('runner.index.about', lang))}</h2>\n"
        f"<p>{' · '.join(about)}</p>\n"
        f"<p class='muted'>{escape(t('runner.index.release', lang, status=release))} · "
        f"evalkit {escape(manifest['versions'].get('evalkit') or '')}</p></section></main>\n"
        f"</body>\n</html>\n", lang)


def write_index(run_dir: str | Path, manifest: dict, languages: list[str]) -> list[Path]:
    """Write the landing page of the run in each of ``languages``; return the pages."""

    run_dir = Path(run_dir)
    return [write_bytes_atomic(run_dir / index_name(lang, languages),
                               _page(manifest, run_dir, lang, languages).encode("utf-8"))
            for lang in languages]
