"""Reports: code-free pages of notebooks, site reports and the 1:3:25 evidence brief, in French
and in English, from released results only.

- :func:`export_notebook_html`: the code-free page of an executed notebook (or a site report);
- :func:`show_table`, :func:`show_figure`, :func:`mark_methods`: what notebooks display;
- :func:`build_brief`, :func:`write_brief_html`, :func:`write_brief_docx`, :func:`write_briefs`:
  the evidence brief; :func:`draft_messages` its main messages; :func:`gripp2_table`;
- :func:`stylesheet`: the one style sheet of every page.
"""

from evalkit.reports.brief import Brief, build_brief, gripp2_table, released_tables
from evalkit.reports.display import mark_methods, show_figure, show_table
from evalkit.reports.joint import joint_display
from evalkit.reports.messages import RULES, Message, draft_messages
from evalkit.reports.notebook import export_notebook_html
from evalkit.reports.style import stylesheet
from evalkit.reports.writers import write_brief_docx, write_brief_html, write_briefs

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
