"""A site's copy of the funnel drawn in two layers (what every site shares, drawn once per
run, and the site's own part over it) is the figure drawn whole, on studies of other shapes."""

import io
import string

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from evalkit.analyse.funnel import funnel_limits, overdispersion
from evalkit.present.figures import figure_block
from evalkit.present.plots import funnel_plot
from evalkit.present.plots._text import TEXT_KEY


def study(n_sites: int, seed: int, names: str = "short") -> pd.DataFrame:
    """Users of ``n_sites`` sites, whether each was tokenistic; sites of unequal sizes."""
    rng = np.random.default_rng(seed)
    if names == "short":
        sites = [f"S{i:02d}" for i in range(n_sites)]
    else:  # accented names of every length, as a centre names its sites
        base = ["Centre-Sud", "Île-d'Orléans", "Saint-Jérôme", "Haute-Côte-Nord", "Lévis"]
        sites = [f"{base[i % len(base)]} {string.ascii_uppercase[i % 26]}{i}"
                 for i in range(n_sites)]
    rows = []
    for site in sites:
        n = int(rng.integers(15, 140))
        p = float(np.clip(rng.normal(0.4, 0.12), 0.05, 0.95))
        rows += [{"centre": site, "flag": float(x)} for x in rng.random(n) < p]
    return pd.DataFrame(rows)


def drawn(fig, **layers) -> bytes:
    return figure_block(fig, caption="", alt="", lang=fig._test_lang, **layers).png


def make(frame: pd.DataFrame, site: str, lang: str, label_sites: str, widened: bool):
    limits = funnel_limits(frame, site="centre", y="flag")
    od = overdispersion(frame, site="centre", y="flag") if widened else None
    fig = funnel_plot(limits, overdispersion=od, highlight=site, label_sites=label_sites,
                      non_validated=True, lang=lang)
    fig._test_lang = lang
    return fig


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA")).astype(int)


def text_of(png: bytes) -> str:
    return Image.open(io.BytesIO(png)).text[TEXT_KEY]


def same_picture(a: bytes, b: bytes) -> None:
    """The same size; pixels differ only where the site's names are laid over what is
    shared (rounding of their anti-aliased edges), by 3/255 at most."""
    x, y = pixels(a), pixels(b)
    assert x.shape == y.shape
    difference = np.abs(x - y)
    assert difference.max() <= 3
    assert (difference > 0).any(axis=-1).mean() < 0.002


SHAPES = [  # sites, seed, names, labels, widened limits, language
    (3, 1, "short", "all", False, "fr"),
    (12, 2, "long", "auto", True, "en"),
    (45, 3, "short", "auto", True, "fr"),
    (45, 4, "long", "outside", False, "en"),
    (50, 10, "short", "auto", False, "fr"),  # the highest site's name above the axes
    (30, 11, "long", "all", True, "en"),
]


@pytest.mark.parametrize(("n_sites", "seed", "names", "labels", "widened", "lang"), SHAPES)
def test_layers_draw_the_figure_drawn_whole(tmp_path, n_sites, seed, names, labels, widened,
                                           lang):
    frame = study(n_sites, seed, names)
    sites = sorted(frame["centre"].unique())
    chosen = [sites[0], sites[len(sites) // 2], sites[-1]]
    over = []  # whether each was drawn in layers (not whole, as when a name reaches out)
    for site in chosen:  # the first draws the shared layer, the others read it
        whole = drawn(make(frame, site, lang, labels, widened))
        layered = drawn(make(frame, site, lang, labels, widened), layers=tmp_path)
        over.append(layered != whole)
        same_picture(whole, layered)
        if layered != whole:  # opaque (a white face): written without an alpha channel
            assert Image.open(io.BytesIO(layered)).mode == "RGB"
        assert text_of(layered) == text_of(whole)  # the figure's text, this site's included
        assert site in text_of(layered).splitlines() or labels == "outside"
    assert len(list(tmp_path.iterdir())) <= 1  # drawn once for all sites (or never: below)
    if names == "short":  # short names stay within the axes and their labels
        assert all(over)


def test_the_shared_layer_is_drawn_once_per_language_and_setting(tmp_path, monkeypatch):
    import evalkit.present.plots._layers as layers

    frame = study(10, 5)
    sites = sorted(frame["centre"].unique())
    counted = []
    draw = layers._draw_shared
    monkeypatch.setattr(layers, "_draw_shared", lambda *a, **k: counted.append(1) or draw(*a, **k))
    first = drawn(make(frame, sites[0], "fr", "auto", True), layers=tmp_path)
    again = drawn(make(frame, sites[0], "fr", "auto", True), layers=tmp_path)
    assert first == again  # same figure, same bytes, whether its shared layer was just drawn
    for site in sites[1:]:
        drawn(make(frame, site, "fr", "auto", True), layers=tmp_path)
    assert len(counted) == 1 and len(list(tmp_path.iterdir())) == 1
    drawn(make(frame, sites[0], "en", "auto", True), layers=tmp_path)  # another language
    drawn(make(frame.iloc[:-5], sites[0], "fr", "auto", True), layers=tmp_path)  # other data
    with mpl.rc_context({"lines.linewidth": 3.0}):  # another setting matplotlib draws with
        drawn(make(frame, sites[0], "fr", "auto", True), layers=tmp_path)
    assert len(counted) == 4 and len(list(tmp_path.iterdir())) == 4


def test_a_broken_shared_layer_is_drawn_again(tmp_path):
    frame = study(8, 6)
    sites = sorted(frame["centre"].unique())
    good = drawn(make(frame, sites[1], "en", "all", True), layers=tmp_path)
    (stored,) = tmp_path.iterdir()
    stored.write_bytes(b"not an array")
    assert drawn(make(frame, sites[1], "en", "all", True), layers=tmp_path) == good
    stored.write_bytes(stored.read_bytes()[:100])  # cut short, as by a full disk
    assert drawn(make(frame, sites[1], "en", "all", True), layers=tmp_path) == good


def test_a_name_beyond_the_shared_frame_draws_the_whole_figure(tmp_path):
    frame = study(6, 7)
    biggest = frame["centre"].value_counts().idxmax()  # the rightmost point
    long_name = "Centre intégré universitaire de santé et de services sociaux de l'Estrie"
    frame["centre"] = frame["centre"].replace({biggest: long_name})
    whole = drawn(make(frame, long_name, "fr", "all", False))
    assert drawn(make(frame, long_name, "fr", "all", False), layers=tmp_path) == whole


def test_figures_not_marked_are_drawn_whole(tmp_path):
    frame = study(8, 8)
    limits = funnel_limits(frame, site="centre", y="flag")
    whole = figure_block(funnel_plot(limits, lang="en"), caption="", alt="", lang="en").png
    layered = figure_block(funnel_plot(limits, lang="en"), caption="", alt="", lang="en",
                           layers=tmp_path).png
    assert layered == whole and not list(tmp_path.iterdir())


def test_a_site_s_copy_does_not_depend_on_which_site_drew_the_shared_layer(tmp_path):
    frame = study(15, 9, "long")
    sites = sorted(frame["centre"].unique())
    copies = []
    for first in (sites[0], sites[7]):  # two runs, whose workers reached other sites first
        folder = tmp_path / first
        drawn(make(frame, first, "en", "auto", True), layers=folder)
        copies.append(drawn(make(frame, sites[-1], "en", "auto", True), layers=folder))
    assert copies[0] == copies[1]  # same inputs, same bytes


def test_a_work_folder_that_cannot_be_written_still_gives_the_figure(tmp_path):
    frame = study(8, 12)
    sites = sorted(frame["centre"].unique())
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the folder should be")
    whole = drawn(make(frame, sites[2], "fr", "all", True))
    layered = drawn(make(frame, sites[2], "fr", "all", True), layers=blocked)
    same_picture(whole, layered)
    assert blocked.read_text() == "a file where the folder should be"


def test_a_tick_label_marked_as_the_site_s_is_found_and_the_figure_drawn_as_whole(tmp_path):
    # The site layer is looked for without making the axes' ticks; a tick made and marked as
    # the site's is still found, and the copy is the figure drawn whole.
    from evalkit.present.plots._layers import _site_layer

    frame = study(20, 13)
    sites = sorted(frame["centre"].unique())
    drawn(make(frame, sites[0], "en", "auto", True), layers=tmp_path)  # the shared layer

    def marked():
        fig = make(frame, sites[5], "en", "auto", True)
        label = fig.axes[0].get_yticklabels()[1]
        label.set_gid("evalkit-site")
        return fig, label

    fresh = make(frame, sites[5], "en", "auto", True)
    made = [len(vars(axis).get("majorTicks") or []) for axis in (fresh.axes[0].xaxis,
                                                                   fresh.axes[0].yaxis)]
    assert _site_layer(fresh)
    assert [len(vars(axis).get("majorTicks") or []) for axis in (fresh.axes[0].xaxis,
                                                                  fresh.axes[0].yaxis)] == made
    fig, label = marked()
    assert any(artist is label for artist in _site_layer(fig))
    whole_fig, _ = marked()
    whole = drawn(whole_fig)
    layered = drawn(fig, layers=tmp_path)
    same_picture(whole, layered)
    assert text_of(layered) == text_of(whole)


def _tampered(stored, change) -> None:
    """Rewrite the shared layer file ``stored`` with the texts of its axes that ``change``
    gives from them."""
    import json

    with np.load(stored, allow_pickle=False) as kept:
        arrays = {name: kept[name] for name in kept.files}
    arrays["texts"] = np.array(json.dumps(change(json.loads(str(arrays["texts"])))))
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    stored.write_bytes(buffer.getvalue())


def ticks(fig) -> list[int]:
    """How many ticks of each axis of ``fig`` are made."""
    return [len(vars(axis).get("majorTicks") or []) for axis in (fig.axes[0].xaxis,
                                                                  fig.axes[0].yaxis)]


def test_a_site_s_copy_reads_its_axes_text_from_the_shared_layer(tmp_path):
    # The axes drawn only in the shared layer show what the shared layer read there: their
    # ticks are not made to read them, and the text is the figure's drawn whole.
    frame = study(25, 14, "long")
    sites = sorted(frame["centre"].unique())
    drawn(make(frame, sites[0], "fr", "auto", True), layers=tmp_path)
    fig = make(frame, sites[9], "fr", "auto", True)
    before = ticks(fig)
    layered = drawn(fig, layers=tmp_path)
    assert ticks(fig) == before and max(before) <= 1
    assert text_of(layered) == text_of(drawn(make(frame, sites[9], "fr", "auto", True)))

    (stored,) = tmp_path.iterdir()
    def added(texts):
        texts[0][1]["lines"].append("read from the shared layer")
        return texts

    _tampered(stored, added)
    fig = make(frame, sites[9], "fr", "auto", True)
    assert "read from the shared layer" in text_of(drawn(fig, layers=tmp_path)).splitlines()


def test_an_axis_showing_another_interval_is_read_from_the_figure(tmp_path):
    frame = study(12, 15)
    sites = sorted(frame["centre"].unique())
    whole = drawn(make(frame, sites[4], "en", "all", False))
    drawn(make(frame, sites[0], "en", "all", False), layers=tmp_path)
    (stored,) = tmp_path.iterdir()

    def moved(texts):
        texts[0][1]["lines"].append("read from the shared layer")
        texts[0][1]["interval"][1] += 1e-9
        return texts

    _tampered(stored, moved)
    fig = make(frame, sites[4], "en", "all", False)
    before = ticks(fig)
    layered = drawn(fig, layers=tmp_path)
    assert text_of(layered) == text_of(whole)
    after = ticks(fig)
    assert after[0] == before[0] and after[1] > before[1]  # the y axis read from the figure


@pytest.mark.parametrize("broken", ["not a list", [[{"interval": [0.0, 1.0]}]],
                                    [[{"interval": [0.0], "lines": []}]], []])
def test_a_shared_layer_with_broken_texts_is_drawn_again(tmp_path, broken):
    import json

    frame = study(9, 16)
    sites = sorted(frame["centre"].unique())
    good = drawn(make(frame, sites[3], "fr", "auto", True), layers=tmp_path)
    (stored,) = tmp_path.iterdir()
    _tampered(stored, lambda texts: broken)
    assert drawn(make(frame, sites[3], "fr", "auto", True), layers=tmp_path) == good
    with np.load(stored, allow_pickle=False) as kept:  # written again, whole
        assert len(json.loads(str(kept["texts"]))) == 1


@pytest.mark.parametrize(("channels", "mode"), [(3, "RGB"), (4, "RGBA")])
def test_a_site_s_copy_is_written_as_a_png_pillow_reads_pixel_for_pixel(channels, mode):
    from evalkit.present.plots._png import png_of

    rng = np.random.default_rng(channels)
    pixels = rng.integers(0, 256, size=(41, 67, channels), dtype=np.uint8)
    pixels[:10] = 255  # flat colours too, as a figure has
    png = png_of(pixels, dpi=150)
    Image.open(io.BytesIO(png)).verify()  # every chunk's CRC
    image = Image.open(io.BytesIO(png))
    assert image.mode == mode and image.size == (67, 41)
    assert np.array_equal(np.asarray(image), pixels)
    pillow = io.BytesIO()
    Image.fromarray(pixels).save(pillow, format="png", dpi=(150, 150))
    assert image.info["dpi"] == Image.open(pillow).info["dpi"]
