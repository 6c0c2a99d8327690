"""Figures of evalkit: functions that take the tidy output of an analysis (``data`` first) and
return a matplotlib :class:`~matplotlib.figure.Figure`, in French or English, colour-blind safe
and sized for an A4 page; :func:`save_figure` writes them byte for byte reproducibly.

Nothing here calls ``plt.show()`` or changes matplotlib's global state: every figure is built
inside a style context on a figure that pyplot does not track.
"""

from evalkit.plots._save import save_figure
from evalkit.plots.involvement import ladder_profile
from evalkit.plots.joint import joint_display_figure
from evalkit.plots.likert import likert_bars
from evalkit.plots.logic_model import logic_model_diagram
from evalkit.plots.network import integration_plot, traffic_light_plot
from evalkit.plots.outcomes import outcome_change_plot
from evalkit.plots.qual import code_site_heatmap, cooccurrence_heatmap
from evalkit.plots.sites import caterpillar_plot, funnel_plot

__all__ = [
    "caterpillar_plot",
    "code_site_heatmap",
    "cooccurrence_heatmap",
    "funnel_plot",
    "integration_plot",
    "joint_display_figure",
    "ladder_profile",
    "likert_bars",
    "logic_model_diagram",
    "outcome_change_plot",
    "save_figure",
    "traffic_light_plot",
]
