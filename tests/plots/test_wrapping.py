"""Text wrapped to the room it has, measured as drawn: :func:`fit` against a greedy wrap that
measures every candidate line with a renderer of its own, and figures of long study labels in
both languages whose legends, notes, cells and boxes stay inside the figure."""

import random
import re

import numpy as np
import pandas as pd
import pytest
from _figures import by_gid
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.font_manager import FontProperties
from matplotlib.text import Text

from evalkit import plots as P
from evalkit.config.codebook import load_codebook
from evalkit.i18n import catalogue
from evalkit.present.plots import _style as S
from evalkit.present.plots._png import tight_crop

DPI = 150
_RENDERER = RendererAgg(1, 1, DPI)
# Letters that kern (AV, Te), make ligatures (ffi, fl), are wide (W, M, —) or narrow (i, l),
# French accents and typography's no-break spaces inside words.
_ALPHABET = ("aeiousrtnlmcdpvfgbhqjxyzwk" * 3 + "AVTWMÉÈÀÇ" + "éèàçôîûë" + "ffiflœæ" +
             "0123456789" + "'’«»().,;:–—%/·-" + "\u202f\u00a0")


def _width(text: str, size: float, weight: str) -> float:
    """Inches, measured by a renderer of the test's own (not evalkit's)."""
    prop = FontProperties(family="DejaVu Sans", size=size, weight=weight)
    return _RENDERER.get_text_width_height_descent(text, prop, ismath=False)[0] / DPI


def _greedy(text: str, width: float, size: float, weight: str) -> str:
    """Words on a line while the whole line, measured as drawn, fits (one measure per
    candidate line, no sums)."""
    words = [w for w in re.split(r"[ \t\n\r\f\v]+", text) if w]
    if not words:
        return ""
    lines, line = [], words[0]
    for word in words[1:]:
        if _width(f"{line} {word}", size, weight) <= width * 0.99:
            line = f"{line} {word}"
        else:
            lines.append(line)
            line = word
    return "\n".join([*lines, line])


def _texts(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        words = ["".join(rng.choice(_ALPHABET) for _ in range(rng.randint(1, 13)))
                 for _ in range(rng.randint(1, 40))]
        out.append(" ".join(words))
    return out


@pytest.mark.parametrize(("size", "weight"), [(8, "normal"), (8, "bold"), (8.5, "normal")])
def test_fit_wraps_as_a_greedy_wrap_measuring_every_line(size, weight):
    for i, text in enumerate(_texts(seed=int(size * 10) + len(weight), n=60)):
        width = 0.6 + (i % 12) * 0.5
        got = S.fit(text, width, size, weight=weight)
        assert got == _greedy(text, width, size, weight), (text, width)
        for line in got.split("\n"):  # each line fits, or is one word too wide for any
            assert _width(line, size, weight) <= width * 0.99 or " " not in line


@pytest.mark.parametrize(("size", "weight", "style", "every"),
                         [(8, "normal", "normal", 2), (8, "bold", "normal", 5),
                          (8, "normal", "italic", 5), (8.5, "normal", "normal", 5),
                          (9, "bold", "normal", 5)])
def test_a_line_is_its_words_and_the_spaces_between_them(size, weight, style, every):
    """The sum fit relies on is the width Agg measures for the whole line, for every line of
    the catalogues (both languages): shaping (kerning, ligatures) never crosses a space in a
    way the letters either side of it do not tell."""
    prop = FontProperties(family="DejaVu Sans", size=size, weight=weight, style=style)
    lines = {re.sub(r" +", " ", line.strip()) for lang in ("fr", "en")
             for text in catalogue(lang).values() for line in text.split("\n")}
    lines.discard("")
    assert len(lines) > 1000
    for line in sorted(lines)[::every]:
        words = line.split(" ")
        total = sum(S._word_width(w, size, weight, style) for w in words) + sum(
            S._space_width(a[-1], b[0], size, weight, style)
            for a, b in zip(words, words[1:], strict=False))
        drawn = _RENDERER.get_text_width_height_descent(line, prop, ismath=False)[0] / DPI
        assert abs(total - drawn) * DPI < 1e-6, line


def test_fit_keeps_no_break_spaces_and_long_words_and_blank_text():
    assert S.fit("12,5\u202f% des usagers", 0.3) == "12,5\u202f%\ndes\nusagers"
    assert S.fit("Anticonstitutionnellement court", 0.5) == "Anticonstitutionnellement\ncourt"
    assert S.fit("  plusieurs   espaces\net une ligne  ", 6) == "plusieurs espaces et une ligne"
    assert S.fit("", 2) == "" and S.fit("   ", 2) == ""
    assert S.fit(12.5, 2) == "12.5"


def test_the_legend_room_is_what_matplotlib_leaves(tmp_path):
    """A legend whose texts are as wide as legend_text_width allows spans the figure's width."""
    for ncols, handlelength, spacing in [(3, 1.4, 1.0), (5, 1.4, 1.0), (2, 2.2, 1.2)]:
        with S.styled():
            fig = S.new_figure(6.3, 2.0)
            fig.set_dpi(DPI)  # the reports' resolution: hinting makes widths depend on it
            room = S.legend_text_width(6.3, ncols, handlelength=handlelength,
                                       columnspacing=spacing)
            label = "M"  # one label per column, as wide as the room
            while _width(label + "m", S.SMALL, "normal") <= room:
                label += "m"
            labels = [label] * ncols
            handles = [fig.gca().bar([k], [1])[0] for k in range(ncols)]
            fig.legend(handles, labels, loc="outside upper center", ncols=ncols,
                       handlelength=handlelength, columnspacing=spacing, borderaxespad=0.2)
            canvas = FigureCanvasAgg(fig)
            canvas.draw()
            box = fig.legends[0].get_window_extent(canvas.get_renderer())
        width = 6.3 * fig.dpi
        assert box.width <= width, (ncols, box.width, width)
        # and no room is lost beyond the letter each label stops short by
        letter = _width("m", S.SMALL, "normal") * fig.dpi
        assert box.width >= width - ncols * letter, (ncols, box.width, width)


LONG = {
    "fr": ["Très largement en désaccord avec ce qui est proposé par l'équipe du site",
           "Plutôt en désaccord, sauf pour certaines décisions prises à l'accueil",
           "Ni en accord ni en désaccord (ou sans avis formé au moment de l'entrevue)",
           "Plutôt d'accord, à condition que le personnel WWW·MMM reste disponible",
           "Tout à fait d'accord : «\u202fc'est moi qui décide\u202f» de mes services"],
    "en": ["Very largely disagree with what the site's team proposes to the person",
           "Rather disagree, except for some decisions taken at the front desk",
           "Neither agree nor disagree (or no settled view at the time of interview)",
           "Rather agree, provided the WWW·MMM staff stays available when needed",
           "Fully agree: \"I am the one who decides\" about the services I receive"],
}


def _long_codebook(tmp_path):
    values = "\n".join(
        f"      {k + 1}: {{fr: \"{fr}\", en: \"{en.replace(chr(34), '')}\"}}"
        for k, (fr, en) in enumerate(zip(LONG["fr"], LONG["en"], strict=True)))
    text = ("variables:\n"
            + "".join(f"  item_{i}:\n    type: likert\n    label: {{fr: \"Énoncé numéro {i} "
                      f"sur la participation réelle des personnes aux décisions qui les "
                      f"concernent\", en: \"Statement {i} on how really people take part in "
                      f"the decisions about them\"}}\n    values:\n{values}\n"
                      for i in range(3)))
    path = tmp_path / "codebook.yaml"
    path.write_text(text, encoding="utf-8")
    return load_codebook(path)


def _inside(fig) -> None:
    """Every legend, note, cell and box text of ``fig`` drawn inside the figure, and its tight
    box taken from the drawn pixels (no text beyond the canvas), at the reports' resolution."""
    fig.set_dpi(DPI)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    width = fig.get_figwidth() * fig.dpi
    boxes = [legend.get_window_extent(renderer) for legend in fig.legends]
    boxes += [t.get_window_extent(renderer) for t in fig.findobj(Text)
              if t.get_visible() and t.get_text() and (t.get_gid() or "").startswith(
                  ("evalkit-notes", "evalkit-cell", "evalkit-header", "evalkit-box"))]
    assert boxes
    for box in boxes:
        assert box.x0 >= -0.5 and box.x1 <= width + 0.5, (box, width)
    assert tight_crop(fig, canvas, dpi=DPI) is not None


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("width", [6.3, 4.2])
def test_long_answer_labels_stay_in_the_figure(tmp_path, lang, width):
    codebook = _long_codebook(tmp_path)
    rng = np.random.default_rng(5)
    data = pd.DataFrame({f"item_{i}": rng.integers(1, 6, 80) for i in range(3)})
    fig = P.likert_bars(data, items=[f"item_{i}" for i in range(3)], codebook=codebook,
                        lang=lang, width=width)
    _inside(fig)
    # Wrapping only turns spaces into line breaks: every answer's label is there, whole.
    shown = [t.get_text() for t in fig.legends[0].get_texts()]
    expected = [label.replace('"', "") for label in LONG[lang]]
    assert [t.replace("\n", " ") for t in shown[:5]] == expected
    assert sum(t.count("\n") for t in shown) >= 5


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_catalogue_legends_and_notes_stay_in_the_figure(lang):
    from evalkit.analyse.network import traffic_light_distribution
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"site": rng.choice(["Nord", "Sud-Ouest", "Centre"], 120),
                          **{k: rng.integers(0, 4, 120)
                             for k in ("net_paid", "net_peers", "net_community")}})
    lights = traffic_light_distribution(frame, paid="net_paid", peers="net_peers",
                                        community="net_community", site="site")
    _inside(P.traffic_light_plot(lights, lang=lang))


def test_joint_display_cells_stay_in_their_columns():
    joint = pd.DataFrame({
        "site": ["Haute-Yamaska et Memphrémagog nord", "Saint-Jean\u00a0Centre-Sud"],
        "indicator": ["Taux de tokénisme parmi les personnes consultées sur leurs services",
                      "Part des usagers dont la situation personnelle s'est améliorée"],
        "value_text": ["12,5\u202f% (IC 95\u202f% : 8,1\u202f% à 17,9\u202f%)", "—"],
        "theme_text": ["Écoute réelle et influence sur les décisions (3 entrevues sur 6)",
                       "Sentiment d'être pris au sérieux par l'équipe WWW·MMM"],
        "verdict": ["converge", "diverge"]})
    fig = P.joint_display_figure(joint)
    fig.set_dpi(DPI)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    # Each column's texts end before the next column's texts begin.
    cells = [t for t in fig.findobj(Text) if (t.get_gid() or "").startswith(
        ("evalkit-cell", "evalkit-header", "evalkit-verdict")) and t.get_text()]
    starts = sorted({round(t.get_position()[0], 6) for t in cells})
    inch = fig.dpi
    for t in cells:
        x = round(t.get_position()[0], 6)
        nxt = [s for s in starts if s > x]
        end = (nxt[0] if nxt else fig.get_figwidth()) * inch
        assert t.get_window_extent(renderer).x1 <= end + 0.5, (t.get_text(), x)
    assert by_gid(fig, "evalkit-header")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_logic_model_texts_stay_in_their_boxes(lang):
    long = {"fr": "Intervenantes et intervenants formés à la coproduction des plans "
                  "d'intervention personnalisés avec les usagers WWW·MMM",
            "en": "Workers trained in coproducing personalised intervention plans with "
                  "the service users WWW·MMM and their carers"}
    model = {stage: [{"label": long, "indicator": "tokenism_rate"}, {"label": long}]
             for stage in ("inputs", "process", "outputs", "outcomes")}
    fig = P.logic_model_diagram(model, lang=lang, values={"tokenism_rate": "42,0\u00a0%"},
                                width=4.5)
    fig.set_dpi(DPI)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    boxes = [p.get_window_extent(renderer) for stage in model
             for p in by_gid(fig, f"evalkit-box-{stage}")]
    assert len(boxes) == 8
    inside = 0
    for text in fig.findobj(Text):
        if not text.get_text():
            continue
        anchor = text.get_transform().transform(text.get_position())
        for box in boxes:
            if box.contains(*anchor):
                assert text.get_window_extent(renderer).x1 <= box.x1 + 0.5, text.get_text()
                inside += 1
    assert inside >= 8 + 4  # every box's label, and the indicator lines


def test_warm_up_measures_the_words_of_the_figures_texts():
    """A kernel template warms up once; the kernels it forks then wrap the catalogue's legends
    and notes without measuring a word of them, at any width."""
    S.warm_up()
    measured = S._word_width.cache_info().misses
    texts = [text for lang in ("fr", "en") for key, text in catalogue(lang).items()
             if key.startswith("plots.")]
    assert len(texts) > 100
    for width in (1.3, 3.0, 6.1):
        for text in texts:
            S.fit.__wrapped__(text, width)  # not the answers fit keeps: its measures
    assert S._word_width.cache_info().misses == measured
