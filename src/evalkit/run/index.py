"""The run's landing page, ``index.html``: every output linked, the status of every notebook.

One self-contained page per language (``index.html`` in the first, ``index.<lang>.html`` in the
others); the style sheet comes from :data:`STYLE` so that the reports part can give every page
of evalkit the same look.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from pathlib import Path

from evalkit._files import write_bytes_atomic
from evalkit.analyse.catalogue import catalogue, table_spec
from evalkit.i18n import format_number, has_key, label, t
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


def _absent(manifest: dict, lang: str) -> str:
    """The tables the run did not compute, each with its title and why."""
    absent = ((manifest.get("stages") or {}).get("prepare") or {}).get("absent") or []
    items = []
    for record in absent:
        title = table_spec(record["table"]).title(lang) \
            if catalogue().is_declared(record["table"]) else record["table"]
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


def _page(manifest: dict, run_dir: Path, lang: str, languages: list[str]) -> str:

    study = manifest["study"]
    title = label(manifest.get("title") or study, lang) or study
    ok = manifest["status"] == "ok"
    banner = t("runner.index.complete" if ok else "runner.index.failed", lang,
               failed=sum(r["status"] != "ok" for r in manifest["notebooks"]))
    others = " · ".join(f"<a href='{index_name(other, languages)}'>{other.upper()}</a>"
                        for other in languages if other != lang)
    release = release_label(manifest.get("disclosure_scan"), lang)
    sections = [
        ("runner.index.notebooks", _notebook_rows(manifest["notebooks"], lang)),
        ("runner.index.brief", _links(_files(run_dir, "brief", ("*.html", "*.docx", "*.pdf")),
                                      lang)),
        ("runner.index.tables", _table_links(_files(run_dir, "tables", ("*.csv", "*.xlsx")),
                                             lang)),
        ("runner.index.figures", _links(_files(run_dir, "figures", ("*.png", "*.svg")), lang)),
    ]
    absent = _absent(manifest, lang)
    if absent:
        sections.append(("runner.index.absent", absent))
    about = ["<a href='manifest.json'>manifest.json</a>"]
    if (run_dir / "validation.csv").is_file():
        about.insert(0, "<a href='validation.csv'>validation.csv</a>")
    body = "".join(f"<h2>{escape(t(key, lang))}</h2>{content}" for key, content in sections)
    css = STYLE["css"]()
    return (
        f"<!DOCTYPE html>\n<html lang='{lang}'>\n<head>\n<meta charset='utf-8'>\n"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
        f"<title>{escape(title)} — {escape(manifest['run_id'])}</title>\n"
        f"<style>{css}</style>\n</head>\n<body>\n"
        f"<p class='muted'>{others}</p>\n<h1>{escape(title)}</h1>\n"
        f"<p>{escape(t('runner.index.run', lang, run=manifest['run_id'], study=study))}</p>\n"
        f"<p class='banner {'ok' if ok else 'failed'}'>{escape(banner)}</p>\n{body}\n"
        f"<h2>{escape(t('runner.index.about', lang))}</h2>\n<p>{' · '.join(about)}</p>\n"
        f"<p class='muted'>{escape(t('runner.index.release', lang, status=release))} · "
        f"evalkit {escape(manifest['versions'].get('evalkit') or '')}</p>\n</body>\n</html>\n")


def write_index(run_dir: str | Path, manifest: dict, languages: list[str]) -> list[Path]:
    """Write the landing page of the run in each of ``languages``; return the pages."""

    run_dir = Path(run_dir)
    return [write_bytes_atomic(run_dir / index_name(lang, languages),
                               _page(manifest, run_dir, lang, languages).encode("utf-8"))
            for lang in languages]
