"""Figures drawn once per run: a figure in the same state as one already drawn gets its PNG, the
same bytes as drawing it; anything that changes the picture changes the key, and what cannot be
told apart is drawn."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from evalkit.analyse.funnel import funnel_limits
from evalkit.present.figures import figure_block
from evalkit.present.plots import caterpillar_plot, funnel_plot
from evalkit.present.plots._drawn import drawn_png, figure_key

SRC = Path(__file__).resolve().parents[2] / "src"
KEY = dict(dpi=150, lang="fr", png={"compress_level": 3}, bbox="tight")
# A funnel built from data made here, the same in any process.
FUNNEL = """
import numpy as np, pandas as pd
from evalkit.analyse.funnel import funnel_limits
from evalkit.present.plots import funnel_plot
rng = np.random.default_rng({seed})
frame = pd.DataFrame({{"site": np.repeat(["Nord", "Sud", "Est", "Ouest"], 40),
                       "flag": (rng.random(160) < 0.4).astype(float)}})
fig = funnel_plot(funnel_limits(frame, site="site", y="flag"), non_validated=True, lang="fr")
"""


def funnel(seed: int = 3, lang: str = "fr"):
    namespace: dict = {}
    exec(FUNNEL.format(seed=seed), namespace)
    fig = namespace["fig"]
    if lang != "fr":
        plt.close(fig)
        rng = np.random.default_rng(seed)
        frame = pd.DataFrame({"site": np.repeat(["Nord", "Sud", "Est", "Ouest"], 40),
                              "flag": (rng.random(160) < 0.4).astype(float)})
        fig = funnel_plot(funnel_limits(frame, site="site", y="flag"), non_validated=True,
                          lang=lang)
    return fig


def block(fig, folder=None, lang="fr") -> bytes:
    return figure_block(fig, caption="", alt="", lang=lang, drawn=folder).png


def test_a_figure_alike_gets_the_png_drawn_before_the_same_bytes(tmp_path, monkeypatch):
    first = block(funnel(), tmp_path)
    assert len(list(tmp_path.glob("*.png"))) == 1

    def not_drawn(*args, **kwargs):
        raise AssertionError("drawn again")

    with monkeypatch.context() as patch:
        patch.setattr(Figure, "savefig", not_drawn)
        again = block(funnel(), tmp_path)
    assert again == first
    assert block(funnel()) == first  # what drawing it gives, without the folder
    assert not plt.get_fignums()  # every figure closed


def test_the_key_is_the_same_in_another_process():
    script = textwrap.dedent(FUNNEL.format(seed=3)) + textwrap.dedent(f"""
        from evalkit.present.plots._drawn import figure_key
        print(figure_key(fig, **{KEY!r}))
    """)
    env = {**os.environ, "PYTHONPATH": str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "MPLBACKEND": "Agg"}
    keys = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           env=env, check=True).stdout.strip() for _ in range(2)}
    here = figure_key(funnel(), **KEY)
    plt.close("all")
    assert keys == {here} and len(here) == 64


def test_what_changes_the_picture_changes_the_key(monkeypatch):
    def key(fig=None, **drawing):
        fig = funnel() if fig is None else fig
        try:
            return figure_key(fig, **{**KEY, **drawing})
        finally:
            plt.close(fig)

    base = key()
    assert key() == base
    assert key(funnel(seed=4)) != base  # other data
    assert key(funnel(lang="en")) != base  # other words
    assert key(dpi=300) != base and key(lang="en") != base  # other resolution, text chunk
    fig = funnel()
    fig.axes[0].set_title("autre titre")
    assert key(fig) != base  # a notebook's own touch
    with mpl.rc_context({"lines.antialiased": False}):  # a setting read when drawing
        assert key() != base
    manager = font_manager.fontManager
    monkeypatch.setattr(manager, "ttflist", [*manager.ttflist, font_manager.FontEntry(
        fname="/fonts/added.ttf", name="DejaVu Sans")])  # a notebook added a font
    assert key() != base


def _formatted(x, _):
    return f"{x:.0f} %"


def test_a_figure_that_names_a_notebooks_own_code_is_drawn_each_time(monkeypatch):
    # A function of __main__ is pickled by its name; another notebook may define another
    # under the same name.
    fig = funnel()
    monkeypatch.setattr(_formatted, "__module__", "__main__")
    monkeypatch.setitem(sys.modules["__main__"].__dict__, "_formatted", _formatted)
    fig.axes[0].yaxis.set_major_formatter(FuncFormatter(_formatted))
    assert figure_key(fig, **KEY) is None
    fig.axes[0].yaxis.set_major_formatter(FuncFormatter(lambda x, _: str(x)))  # unpicklable
    assert figure_key(fig, **KEY) is None
    plt.close(fig)


def test_a_kept_png_that_cannot_be_read_back_is_drawn_again(tmp_path):
    first = block(funnel(), tmp_path)
    (kept,) = tmp_path.glob("*.png")
    kept.write_bytes(first[: len(first) // 2])  # cut short
    assert drawn_png(tmp_path, kept.stem) is None
    assert block(funnel(), tmp_path) == first
    assert kept.read_bytes() == first  # and kept again, whole


def test_a_folder_that_cannot_be_written_only_means_drawing(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    assert block(funnel(), blocked) == block(funnel())


def test_figures_of_other_shapes_are_kept_apart(tmp_path):
    # Two figures of other kinds and sizes, in both languages: four files, each read back
    # as its own.
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"site": [f"Site {i}" for i in range(12)],
                          "estimate": rng.random(12), "ci_low": rng.random(12) / 2,
                          "ci_high": 0.5 + rng.random(12) / 2, "n": rng.integers(5, 60, 12)})
    made = {}
    for lang in ("fr", "en"):
        made[("funnel", lang)] = block(funnel(lang=lang), tmp_path, lang)
        made[("caterpillar", lang)] = block(caterpillar_plot(frame, estimate="estimate",
                                                              lang=lang), tmp_path, lang)
    assert len(set(made.values())) == 4 and len(list(tmp_path.glob("*.png"))) == 4
    assert block(caterpillar_plot(frame, estimate="estimate", lang="en"), tmp_path, "en") == \
        made[("caterpillar", "en")]


@pytest.fixture
def brief_inputs(tmp_path):
    from _studies import computed, small_study

    from evalkit import load_study

    study_file = small_study(tmp_path / "study", n_sites=3, waves=2, n_per_site=40)
    return computed(study_file), load_study(study_file)


def test_the_brief_takes_the_figures_a_notebook_drew(tmp_path, brief_inputs, monkeypatch):
    from evalkit.present.brief import build_brief

    results, study = brief_inputs
    folder = tmp_path / "drawn"

    def pngs(brief) -> list[bytes]:
        return [block.png for part in brief.parts for block in part.blocks
                if hasattr(block, "png")]

    alone = pngs(build_brief(results, study, lang="fr", run_date="2026-01-01"))
    assert alone
    first = pngs(build_brief(results, study, lang="fr", run_date="2026-01-01", drawn=folder))
    assert first == alone
    monkeypatch.setattr(Figure, "savefig", lambda *a, **k: pytest.fail("drawn again"))
    again = pngs(build_brief(results, study, lang="fr", run_date="2026-01-01", drawn=folder))
    assert again == alone
