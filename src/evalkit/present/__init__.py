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
    "Brief": "evalkit.present.brief",
    "build_brief": "evalkit.present.brief",
    "gripp2_table": "evalkit.present.brief",
    "released_tables": "evalkit.present.brief",
    "mark_methods": "evalkit.present.display",
    "show_figure": "evalkit.present.display",
    "show_table": "evalkit.present.display",
    "joint_display": "evalkit.present.joint",
    "RULES": "evalkit.present.messages",
    "Message": "evalkit.present.messages",
    "draft_messages": "evalkit.present.messages",
    "export_notebook_html": "evalkit.present.notebook_page",
    "stylesheet": "evalkit.present.style",
    "write_brief_docx": "evalkit.present.writers",
    "write_brief_html": "evalkit.present.writers",
    "write_briefs": "evalkit.present.writers",
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
