"""Reports: code-free pages of notebooks, site reports and the 1:3:25 evidence brief, in French
and in English, from released results only.

- :func:`export_notebook_html`: the code-free page of an executed notebook (or a site report);
- :func:`show_table`, :func:`show_figure`, :func:`mark_methods`: what notebooks display;
- :func:`build_brief`, :func:`write_brief_html`, :func:`write_brief_docx`, :func:`write_briefs`:
  the evidence brief; :func:`draft_messages` its main messages; :func:`gripp2_table`;
- :func:`stylesheet`: the one style sheet of every page.
"""

from evalkit._lazy import lazy_api

#: Public name → module that defines it (imported on first use: a notebook that shows a
#: table does not pay for the brief's Word writer).
_API: dict[str, str] = {
    "Brief": "evalkit.reports.brief",
    "build_brief": "evalkit.reports.brief",
    "gripp2_table": "evalkit.reports.brief",
    "released_tables": "evalkit.reports.brief",
    "mark_methods": "evalkit.reports.display",
    "show_figure": "evalkit.reports.display",
    "show_table": "evalkit.reports.display",
    "joint_display": "evalkit.reports.joint",
    "RULES": "evalkit.reports.messages",
    "Message": "evalkit.reports.messages",
    "draft_messages": "evalkit.reports.messages",
    "export_notebook_html": "evalkit.reports.notebook",
    "stylesheet": "evalkit.reports.style",
    "write_brief_docx": "evalkit.reports.writers",
    "write_brief_html": "evalkit.reports.writers",
    "write_briefs": "evalkit.reports.writers",
}


__all__ = [
    "RULES",
    "Brief",
    "Message",
    "build_brief",
    "draft_messages",
    "export_notebook_html",
    "gripp2_table",
    "joint_display",
    "mark_methods",
    "released_tables",
    "show_figure",
    "show_table",
    "stylesheet",
    "write_brief_docx",
    "write_brief_html",
    "write_briefs",
]


__getattr__, __dir__ = lazy_api(globals(), _API)
