"""A figure's PNG drawn once: the picture ``savefig(bbox_inches="tight")`` gives, checked pixel for
pixel against ``savefig`` itself on figures of other shapes and layouts, and the figures it
cannot draw so saved by ``savefig``, the same bytes."""

import io

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox
from PIL import Image

from evalkit.analyse.funnel import funnel_limits
from evalkit.present.plots import funnel_plot
from evalkit.present.plots._png import PNG_OPTIONS, tight_pixels, tight_png

DPI = 150


def savefig_png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight",
                metadata={"Software": None}, pil_kwargs=dict(PNG_OPTIONS))
    return buffer.getvalue()


def rgb(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def axes_only(layout, shape):
    """Figures whose every artist lives in axes (no figure legend): what ``savefig``'s second
    drawing does not move."""
    rng = np.random.default_rng(len(shape))
    fig = Figure(figsize=(5, 3.5), layout=layout)
    fig.set_facecolor("white")
    if shape == "bars":
        ax = fig.subplots()
        ax.barh([f"Centre « {i} » de Lévis" for i in range(6)],
                rng.random(6))
        ax.set_title("Part des usagers consultés (%)")
    elif shape == "grid":
        axes = fig.subplots(2, 3, sharey=True)
        for i, ax in enumerate(axes.flat):
            ax.plot(rng.normal(size=40).cumsum(), label=f"site {i}")
            ax.tick_params(axis="x", labelrotation=45)
            ax.legend(loc="upper left")
        fig.suptitle("Vague 1 à 3, par site")
    else:  # an image with its colour bar
        ax = fig.subplots()
        shown = ax.imshow(rng.random((8, 12)), aspect="auto")
        fig.colorbar(shown, ax=ax, label="Cooccurrence")
        ax.set_ylabel("Code")
    return fig


def snapped(fig, box) -> np.ndarray:
    """``fig`` saved by ``savefig`` framed by ``box`` (a :class:`Crop` of its canvas)."""
    height = round(fig.get_size_inches()[1] * DPI)
    frame = Bbox.from_bounds(box.left / DPI, (height - box.top - box.height) / DPI,
                             box.width / DPI, box.height / DPI)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches=frame)
    return rgb(buffer.getvalue())


DRAWN_ONCE = [("constrained", "bars"), ("constrained", "grid"), ("constrained", "colour bar"),
              ("tight", "bars"), ("tight", "grid"), ("tight", "colour bar"),
              (None, "grid"), (None, "colour bar")]


@pytest.mark.parametrize(("layout", "shape"), DRAWN_ONCE)
def test_a_figure_in_its_axes_is_the_picture_savefig_draws(layout, shape):
    with mpl.rc_context({"savefig.facecolor": "white"}):
        pixels, box = tight_pixels(axes_only(layout, shape), dpi=DPI)
        # Pixel for pixel what savefig draws in the box, snapped to whole pixels...
        assert np.array_equal(pixels[..., :3], snapped(axes_only(layout, shape), box))
        # ... which is savefig's tight box, within a pixel.
        tight = rgb(savefig_png(axes_only(layout, shape)))
    assert abs(box.height - tight.shape[0]) <= 1 and abs(box.width - tight.shape[1]) <= 1
    assert (pixels[..., 3] == 255).all()


def funnel_of_nine():
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"centre": np.repeat([f"S{i}" for i in range(9)], 40),
                          "flag": (rng.random(360) < 0.4).astype(float)})
    return funnel_plot(funnel_limits(frame, site="centre", y="flag"), lang="fr")


@pytest.mark.parametrize("pad", [0.1, 0.3])
def test_a_figure_legend_stays_where_the_layout_put_it(pad):
    """savefig's second drawing moves a figure legend (anchored to the figure's box, which it
    replaces by the tight box): drawn once, the picture is the figure as laid out and drawn
    whole, pixel for pixel, framed by savefig's tight box (white beyond the canvas)."""
    with mpl.rc_context({"savefig.pad_inches": pad}):
        pixels, box = tight_pixels(funnel_of_nine(), dpi=DPI)
        tight = rgb(savefig_png(funnel_of_nine()))
        buffer = io.BytesIO()
        funnel_of_nine().savefig(buffer, format="png", dpi=DPI)  # no tight box: drawn once
    whole = np.pad(rgb(buffer.getvalue()), ((200, 200), (200, 200), (0, 0)),
                   constant_values=255)
    framed = whole[200 + box.top:200 + box.top + box.height,
                   200 + box.left:200 + box.left + box.width]
    assert np.array_equal(pixels[..., :3], framed)
    assert abs(box.height - tight.shape[0]) <= 1 and abs(box.width - tight.shape[1]) <= 1
    assert box.left < 0 and box.top < 0  # the padding reaches beyond the canvas


def test_the_same_figure_gives_the_same_bytes():
    assert tight_png(axes_only("constrained", "grid"), dpi=DPI) == \
        tight_png(axes_only("constrained", "grid"), dpi=DPI)


def beyond_the_canvas():
    fig = Figure(figsize=(3, 2))
    fig.subplots().plot([0, 1], [1, 0])
    fig.text(1.02, 0.5, "au-delà du cadre")  # shown only by a tight box wider than the canvas
    return fig


def see_through():
    fig = Figure(figsize=(3, 2), layout="constrained")
    fig.subplots().plot([0, 1], [1, 0])
    fig.patch.set_alpha(0.0)
    return fig


def no_layout():
    return axes_only(None, "bars")  # its labels reach left of the canvas


@pytest.mark.parametrize("make", [beyond_the_canvas, see_through, no_layout])
def test_what_cannot_be_drawn_once_is_what_savefig_saves(make):
    with mpl.rc_context({"savefig.facecolor": "auto"}):
        assert tight_png(make(), dpi=DPI) == savefig_png(make())
        assert tight_pixels(make(), dpi=DPI) is None
    with mpl.rc_context({"savefig.transparent": True}):
        fig = axes_only("constrained", "bars")
        assert tight_pixels(fig, dpi=DPI) is None
        assert tight_png(fig, dpi=DPI) == savefig_png(axes_only("constrained", "bars"))


def test_drawing_gives_the_figure_back_as_it_was():
    fig = axes_only("constrained", "grid")
    fig.set_facecolor("#fafafa")
    canvas, dpi, face = fig.canvas, fig.dpi, fig.get_facecolor()
    with mpl.rc_context({"savefig.facecolor": "white"}):
        first = tight_png(fig, dpi=DPI)
    assert fig.canvas is canvas and fig.dpi == dpi and fig.get_facecolor() == face
    assert rgb(first)[0, 0].tolist() == [255, 255, 255]  # saved on savefig's face
    assert Image.open(io.BytesIO(first)).mode == "RGB"  # opaque: no alpha channel
    assert Image.open(io.BytesIO(first)).info["dpi"] == pytest.approx((DPI, DPI), abs=0.02)


def test_a_pyplot_figure_keeps_its_canvas_and_window():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(layout="constrained")
    try:
        ax.plot([1, 3, 2])
        canvas, manager = fig.canvas, fig.canvas.manager
        tight_png(fig, dpi=DPI)
        assert fig.canvas is canvas and fig.canvas.manager is manager
        assert plt.fignum_exists(fig.number)
    finally:
        plt.close(fig)
