"""Figures of evalkit: functions that take the tidy output of an analysis (``data`` first) and
return a matplotlib :class:`~matplotlib.figure.Figure`, in French or English, colour-blind safe
and sized for an A4 page; :func:`save_figure` writes them byte for byte reproducibly.

Nothing here calls ``plt.show()`` or changes matplotlib's global state: every figure is built
inside a style context on a figure that pyplot does not track.
"""

from evalkit._lazy import lazy_api

# Each figure's module is imported when the figure is first asked for: a notebook that draws a
# funnel plot does not import the network figures (and statsmodels with them).
_API = {
    "save_figure": "evalkit.present.plots._save",
    "ladder_profile": "evalkit.present.plots.involvement",
    "ladder_spread": "evalkit.present.plots.involvement",
    "joint_display_figure": "evalkit.present.plots.joint",
    "likert_bars": "evalkit.present.plots.likert",
    "logic_model_diagram": "evalkit.present.plots.logic_model",
    "integration_plot": "evalkit.present.plots.network",
    "traffic_light_plot": "evalkit.present.plots.network",
    "outcome_change_plot": "evalkit.present.plots.outcomes",
    "code_site_heatmap": "evalkit.present.plots.qual",
    "cooccurrence_heatmap": "evalkit.present.plots.qual",
    "caterpillar_plot": "evalkit.present.plots.sites",
    "funnel_plot": "evalkit.present.plots.sites",
    "funnel_position": "evalkit.present.plots.sites",
}

__all__ = [
    "caterpillar_plot",
    "code_site_heatmap",
    "cooccurrence_heatmap",
    "funnel_plot",
    "funnel_position",
    "integration_plot",
    "joint_display_figure",
    "ladder_profile",
    "ladder_spread",
    "likert_bars",
    "logic_model_diagram",
    "outcome_change_plot",
    "save_figure",
    "traffic_light_plot",
]


__getattr__, __dir__ = lazy_api(globals(), _API)
