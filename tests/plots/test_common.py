"""What every figure shares: the logic-model diagram, byte-stable files, untouched rcParams,
no pyplot state, and the A4 width and font-size rules."""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import matplotlib as mpl
import pandas as pd
import pytest
from _figures import by_gid
from matplotlib.figure import Figure
from matplotlib.text import Text

from evalkit import ArgumentError, code_frequencies, cooccurrence
from evalkit import plots as P
from evalkit.analyse.funnel import funnel_limits
from evalkit.analyse.integration import integration_profile
from evalkit.analyse.involvement import ladder_distribution
from evalkit.analyse.network import traffic_light_distribution
from evalkit.analyse.outcomes import outcome_change_from_study
from evalkit.config.study import load_study
from evalkit.present.plots._style import MAX_WIDTH

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data_samples" / "demo"


def all_text(fig: Figure) -> str:
    return " ".join(t.get_text().replace("\n", " ") for t in fig.findobj(Text))


# -- logic model -------------------------------------------------------------------------------

def test_logic_model_diagram_boxes_indicators_and_values(demo):
    model = demo.study.measures.logic_model
    fig = P.logic_model_diagram(demo.study, codebook=demo.codebook, lang="fr",
                                values={"tokenism_rate": "42,0\u00a0%", "tp_seeing_people": 3.14})
    for stage in ("inputs", "process", "outputs", "outcomes"):
        assert len(by_gid(fig, f"evalkit-box-{stage}")) == len(getattr(model, stage))
        assert len(by_gid(fig, f"evalkit-stage-{stage}")) == 1
    assert len(by_gid(fig, "evalkit-arrow")) == 3
    shown = all_text(fig)
    for header in ("Intrants", "Processus", "Extrants", "Résultats"):
        assert header in shown
    assert "Intervenant·es formé·es à la coproduction" in shown
    assert "Indicateur : On me demande mon avis" in shown  # the codebook's label
    assert "Taux de tokénisme : 42,0\u00a0%" in shown      # an evalkit indicator, with value
    assert "Voir des gens : 3,1" in shown                   # a number, in the locale
    assert "Indicateur : Niveau d'intégration des services" in shown
    english = all_text(P.logic_model_diagram(model, lang="en"))
    assert "Staff trained in coproduction" in english and "Indicator: inv_consulted" in english


def test_logic_model_empty_stage_and_bad_input(demo):
    fig = P.logic_model_diagram({"inputs": [{"label": {"fr": "Équipe", "en": "Team"}}]},
                                lang="fr")
    assert len(by_gid(fig, "evalkit-empty")) == 3
    assert "(rien d'indiqué)" in all_text(fig)
    with pytest.raises(ArgumentError) as error:
        P.logic_model_diagram(["inputs"])
    assert error.value.where == "data"
    with pytest.raises(ArgumentError) as error:
        P.logic_model_diagram({"inputs": [{"label": "no languages"}]})
    assert error.value.where == "data"
    with pytest.raises(ArgumentError) as error:
        P.logic_model_diagram(demo.study, values={"tokenism_rate": [0.4]})
    assert error.value.where == "values"
    bare = demo.study.model_copy(update={"measures": demo.study.measures.model_copy(
        update={"logic_model": None})})
    with pytest.raises(ArgumentError) as error:
        P.logic_model_diagram(bare)
    assert error.value.where == "data"


# -- every figure: width, fonts, rcParams, pyplot ----------------------------------------------

def _all_figures(demo) -> dict:
    r, s = demo.responses, demo.study
    w1 = r[r["wave"] == 1]
    inv = s.measures.involvement
    ladder = ladder_distribution(w1, items=inv.ladder, agree_at=4, site="site")
    limits = funnel_limits(pd.DataFrame({"site": list("ABCD"), "k": [3, 9, 4, 12],
                                         "n": [20, 30, 25, 40]}),
                           site="site", numerator="k", denominator="n")
    rates = pd.DataFrame({"site": list("ABC"), "estimate": [0.2, 0.5, 0.4],
                          "ci_low": [0.1, 0.3, 0.3], "ci_high": [0.3, 0.7, 0.5]})
    joint = pd.DataFrame({"site": ["A"], "indicator": ["Taux"], "value_text": ["12,5 %"],
                          "theme_text": ["Écoute (3/6)"], "verdict": ["converge"]})
    change = outcome_change_from_study(r, study=s, by_site=False)
    lights = traffic_light_distribution(w1, paid="net_paid", peers="net_peers",
                                        community="net_community", site="site")
    profile = integration_profile(demo.partners, site="site", level="level",
                                  levels=s.measures.integration.levels)
    codes = code_frequencies(demo.segments, group=None, documents=demo.documents)
    return {
        "outcomes": lambda: P.outcome_change_plot(change, groups=s.measures.outcomes.groups),
        "traffic": lambda: P.traffic_light_plot(lights),
        "integration": lambda: P.integration_plot(profile),
        "codes": lambda: P.code_site_heatmap(codes),
        "cooccurrence": lambda: P.cooccurrence_heatmap(cooccurrence(demo.segments)),
        "likert": lambda: P.likert_bars(w1, items=inv.ladder, codebook=demo.codebook),
        "ladder": lambda: P.ladder_profile(ladder, codebook=demo.codebook),
        "funnel": lambda: P.funnel_plot(limits),
        "caterpillar": lambda: P.caterpillar_plot(rates, estimate="estimate"),
        "logic": lambda: P.logic_model_diagram(s),
        "joint": lambda: P.joint_display_figure(joint),
    }


def test_figures_fit_an_a4_page_use_readable_fonts_and_leave_rcparams_alone(demo, tmp_path):
    before = dict(mpl.rcParams)
    for name, make in _all_figures(demo).items():
        fig = make()
        assert isinstance(fig, Figure), name
        assert fig.get_figwidth() <= MAX_WIDTH, name
        sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_text()]
        assert min(sizes) >= 8, name
        assert dict(mpl.rcParams) == before, name
        first = P.save_figure(fig, tmp_path / f"{name}.svg").read_bytes()
        assert P.save_figure(fig, tmp_path / f"{name}.svg").read_bytes() == first, name
    assert dict(mpl.rcParams) == before


def test_importing_the_figures_changes_nothing_global():
    code = ("import matplotlib as mpl; before = dict(mpl.rcParams); "
            "import evalkit.present.plots, matplotlib.pyplot as plt; "
            "print(dict(mpl.rcParams) == before, plt.get_fignums())")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True)
    assert out.stdout.split() == ["True", "[]"]


def test_width_must_fit_the_page():
    answers = pd.DataFrame({"q": [1, 2, 3]})
    with pytest.raises(ArgumentError) as error:
        P.likert_bars(answers, items=["q"], width=8.27)
    assert error.value.where == "width"
    assert P.likert_bars(answers, items=["q"], width=4).get_figwidth() == 4


# -- saving ------------------------------------------------------------------------------------

def _sample_figure() -> Figure:
    answers = pd.DataFrame({"q1": [1, 2, 4, 5, 5, 3], "q2": [3, 3, 4, 2, 1, 5]})
    return P.likert_bars(answers, items=["q1", "q2"], lang="fr")


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_saved_files_are_byte_stable(tmp_path, suffix):
    fig = _sample_figure()
    before = dict(mpl.rcParams)
    first = P.save_figure(fig, tmp_path / f"a{suffix}").read_bytes()
    again = P.save_figure(fig, tmp_path / f"b{suffix}").read_bytes()
    fresh = P.save_figure(_sample_figure(), tmp_path / f"c{suffix}").read_bytes()
    assert first == again == fresh
    assert dict(mpl.rcParams) == before
    assert b"Matplotlib" not in first and b"matplotlib.org" not in first
    if suffix == ".svg":
        assert b"<dc:date>" not in first
    else:
        assert first.startswith(b"\x89PNG") and b"Software" not in first


def test_saved_files_record_the_text_a_reader_sees(tmp_path):
    from PIL import Image

    from evalkit.present._text import typography
    from evalkit.present.plots._text import figure_text

    fig = _sample_figure()
    path = P.save_figure(fig, tmp_path / "likert.png", lang="fr")
    with Image.open(path) as image:
        text = image.text["Description"]
    assert text.lang == "fr"
    lines = text.splitlines()
    # As drawn: the figure's texts with French spacing (a note's " ; n :" gets its no-break
    # spaces).
    assert lines == [typography(line, "fr") for line in figure_text(fig)]
    # Tick labels (the items), the axis title and the legend's categories, as drawn.
    assert {"q1", "q2", "Part des personnes ayant répondu"} <= set(lines), lines
    assert {"1", "5", "n = 6"} <= set(lines), lines  # legend entries, annotations
    svg = P.save_figure(fig, tmp_path / "likert.svg").read_text(encoding="utf-8")
    assert "<dc:description>" in svg and "q1" in svg
    with pytest.raises(ArgumentError) as error:
        P.save_figure(fig, tmp_path / "likert.png", lang="de")
    assert error.value.where == "lang"


def test_a_french_figure_is_saved_with_french_spacing(tmp_path):
    from matplotlib.figure import Figure
    from PIL import Image

    fig = Figure(figsize=(3, 2))
    ax = fig.subplots()
    ax.set_title("Limites à 99,8 % ; rang : 2")
    ax.set_xlabel("$x: y$")  # mathematical text is left as written
    with Image.open(P.save_figure(fig, tmp_path / "fr.png", lang="fr")) as image:
        lines = image.text["Description"].splitlines()
    assert "Limites à 99,8\u00a0%\u202f; rang\u00a0: 2" in lines, lines
    assert "$x: y$" in lines
    assert ax.get_title() == "Limites à 99,8 % ; rang : 2"  # the caller's figure is unchanged
    with Image.open(P.save_figure(fig, tmp_path / "en.png", lang="en")) as image:
        assert "Limites à 99,8 % ; rang : 2" in image.text["Description"].splitlines()


def test_figure_text_leaves_out_what_is_not_drawn():
    from matplotlib.figure import Figure

    from evalkit.present.plots._text import figure_text

    fig = Figure()
    left, right = fig.subplots(1, 2)
    left.set_xlim(0, 10)
    left.set_xticks([0, 5, 10, 50])  # 50 is outside the view: not drawn
    left.set_xlim(0, 10)
    left.set_title("Gauche")
    right.set_title("Caché")
    right.set_visible(False)
    hidden = left.text(0, 0, "invisible")
    hidden.set_visible(False)
    left.set_ylabel("Effectif")
    lines = figure_text(fig)
    assert "Gauche" in lines and "Effectif" in lines and {"0", "5", "10"} <= set(lines)
    assert "50" not in lines and "Caché" not in lines and "invisible" not in lines


def test_svg_bytes_are_the_same_in_another_process(tmp_path):
    code = ("import sys, pandas as pd; from evalkit import plots as P; "
            "answers = pd.DataFrame({'q1': [1, 2, 4, 5, 5, 3], 'q2': [3, 3, 4, 2, 1, 5]}); "
            "P.save_figure(P.likert_bars(answers, items=['q1', 'q2'], lang='fr'), sys.argv[1])")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONHASHSEED": "random"}
    other = tmp_path / "other.svg"
    subprocess.run([sys.executable, "-c", code, str(other)], env=env, check=True)
    here = P.save_figure(_sample_figure(), tmp_path / "here.svg")
    assert hashlib.sha256(here.read_bytes()).digest() == hashlib.sha256(
        other.read_bytes()).digest()


def test_save_figure_bad_arguments(tmp_path):
    fig = _sample_figure()
    with pytest.raises(ArgumentError) as error:
        P.save_figure(fig, tmp_path / "figure.pdf")
    assert error.value.where == "path"
    with pytest.raises(ArgumentError) as error:
        P.save_figure("figure", tmp_path / "figure.png")
    assert error.value.where == "fig"
    with pytest.raises(ArgumentError) as error:
        P.save_figure(fig, tmp_path / "figure.png", dpi=10)
    assert error.value.where == "dpi"
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_save_figure_creates_folders(tmp_path):
    path = P.save_figure(_sample_figure(), tmp_path / "figures" / "likert.png")
    assert path.is_file() and path.stat().st_size > 1000


def test_demo_study_loads_for_the_figures():
    # The logic model of the shipped demo study is what the diagram test draws.
    study = load_study(DEMO)
    assert study.measures.logic_model is not None
