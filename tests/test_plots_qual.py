"""Interview figures: code × site and co-occurrence heatmaps, and the joint display with its
converge / diverge rule."""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from evalkit import ArgumentError
from evalkit.datasets import interview_codebook
from evalkit.i18n import format_integer, format_percent
from evalkit.involvement import tokenism_rates
from evalkit.plots import (
    code_site_heatmap,
    cooccurrence_heatmap,
    joint_display_figure,
    joint_display_table,
)
from evalkit.qual import code_frequencies, cooccurrence, cooccurrence_matrix
from evalkit.validate import validate_study

DEMO = Path(__file__).resolve().parents[1] / "data_samples" / "demo"


@pytest.fixture(autouse=True)
def no_pyplot_figures():
    yield
    assert plt.get_fignums() == []


@pytest.fixture(scope="module")
def demo():
    return validate_study(DEMO)


@pytest.fixture(scope="module")
def frequencies(demo):
    return code_frequencies(demo.segments, group=None, documents=demo.documents)


@pytest.fixture(scope="module")
def english():
    book = interview_codebook()
    return dict(zip(book["code_path"], book["label_en"], strict=True)) | dict(
        zip(book["theme"], book["theme_en"], strict=True))


def by_gid(fig: Figure, gid: str) -> list:
    return [a for a in fig.findobj() if a.get_gid() == gid]


def cells(fig: Figure) -> list[str]:
    return [t.get_text() for t in by_gid(fig, "evalkit-cell")]


def notes(fig: Figure) -> str:
    return " ".join(t.get_text() for t in by_gid(fig, "evalkit-notes")).replace("\n", " ")


# -- code × site -------------------------------------------------------------------------------

def test_code_site_heatmap_rows_are_codes_under_bold_themes(frequencies):
    before = frequencies.copy()
    fig = code_site_heatmap(frequencies, lang="fr")
    pd.testing.assert_frame_equal(frequencies, before)
    ax = fig.axes[0]
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert len(rows) == frequencies["code_path"].nunique() == 21
    themes = [t.get_text() for t in ax.get_yticklabels() if t.get_fontweight() == "bold"]
    assert themes == ["Implication", "Réseaux et intégration", "Résultats personnels",
                      "Tokénisme"]
    # Accented codes sort with their letter: "Être consulté" comes before "Savoir ...".
    assert rows.index("Être consulté") < rows.index("Savoir expérientiel reconnu")
    assert [t.get_text() for t in ax.get_xticklabels()] == list("ABCDEFGH")
    shown = cells(fig)
    assert len(shown) == 21 * 8
    expected = {format_percent(v, "fr", decimals=0) for v in frequencies["share_participants"]}
    assert set(shown) == expected and all(s.endswith("\u00a0%") for s in shown)


def test_code_site_heatmap_counts_labels_and_suppressed_cells(frequencies, english):
    safe = frequencies.assign(suppressed=frequencies["n_participants"].between(1, 1))
    fig = code_site_heatmap(safe, value="n_participants", level="theme", labels=english,
                            lang="en")
    rows = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert rows == ["Involvement", "Networks and integration", "Personal outcomes",
                    "Tokenism"]
    themes = safe[safe["depth"] == 1]
    shown = cells(fig)
    assert shown.count("–") == int(themes["suppressed"].sum())
    assert sorted(s for s in shown if s != "–") == sorted(
        format_integer(v, "en") for v in themes.loc[~themes["suppressed"], "n_participants"])
    if themes["suppressed"].any():
        assert "Grey: values suppressed" in notes(fig)


def test_code_site_heatmap_bad_arguments(demo, frequencies):
    by_group = code_frequencies(demo.segments, documents=demo.documents)
    by_group = by_group.assign(group=by_group["group"].fillna("user"))
    doubled = pd.concat([by_group, by_group.assign(group="carer")])
    with pytest.raises(ArgumentError) as error:
        code_site_heatmap(doubled)
    assert error.value.where == "data"
    with pytest.raises(ArgumentError) as error:
        code_site_heatmap(frequencies, value="jaccard")
    assert error.value.where == "value"
    with pytest.raises(ArgumentError) as error:
        code_site_heatmap(frequencies, level="category")
    assert error.value.where == "level"
    with pytest.raises(ArgumentError) as error:
        code_site_heatmap(frequencies, labels=["a"])
    assert error.value.where == "labels"


# -- co-occurrence -----------------------------------------------------------------------------

def test_cooccurrence_heatmap_lower_triangle_from_long_or_square(demo, english):
    pairs = cooccurrence(demo.segments)
    before = pairs.copy()
    fig = cooccurrence_heatmap(pairs, labels=english, lang="en")
    pd.testing.assert_frame_equal(pairs, before)
    together = pairs[pairs["n_units_both"] > 0]
    assert sorted(cells(fig)) == sorted(format_integer(v, "en")
                                        for v in together["n_units_both"])
    rows = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(rows) == 17 and rows[0].startswith("1. ")
    # Each row ends with the code's own number of units (the diagonal).
    units = pd.concat([pairs.set_index("code_a")["n_units_a"],
                       pairs.set_index("code_b")["n_units_b"]]).groupby(level=0).first()
    personal = english["Réseaux et intégration/Réseau personnel"]
    (row,) = [r for r in rows if personal in r]
    assert row.endswith(f"({units['Réseaux et intégration/Réseau personnel']})")
    square = cooccurrence_heatmap(cooccurrence_matrix(pairs), labels=english, lang="en")
    assert sorted(cells(square)) == sorted(cells(fig))


def test_cooccurrence_heatmap_jaccard_in_french(demo):
    pairs = cooccurrence(demo.segments)
    fig = cooccurrence_heatmap(pairs, value="jaccard", lang="fr")
    together = pairs[pairs["jaccard"] > 0]
    assert sorted(cells(fig)) == sorted(f"{v:.2f}".replace(".", ",")
                                        for v in together["jaccard"])
    assert "Indice de Jaccard" in notes(fig)


def test_cooccurrence_heatmap_bad_arguments():
    not_square = pd.DataFrame([[1, 2], [2, 3]], index=["a", "b"], columns=["a", "c"])
    with pytest.raises(ArgumentError) as error:
        cooccurrence_heatmap(not_square)
    assert error.value.where == "data"
    with pytest.raises(ArgumentError) as error:
        cooccurrence_heatmap(not_square, value="count")
    assert error.value.where == "value"


# -- joint display: the rule -------------------------------------------------------------------

def _rates(rates, consulted):
    return pd.DataFrame({"site": list("ABCDE")[: len(rates)], "rate": rates,
                         "ci_low": np.array(rates) - 0.1, "ci_high": np.array(rates) + 0.1,
                         "n_consulted": consulted,
                         "n_tokenistic": np.round(np.array(rates) * consulted)})


def _codes(mentions, totals, sites=None):
    sites = sites or list("ABCDE")[: len(mentions)]
    rows = []
    for site, k, n in zip(sites, mentions, totals, strict=True):
        rows.append({"site": site, "code_path": "Tok", "theme": "Tok", "depth": 1,
                     "n_segments": k, "n_participants": k, "n_participants_total": n,
                     "share_participants": k / n})
        rows.append({"site": site, "code_path": "Tok/Unheard", "theme": "Tok", "depth": 2,
                     "n_segments": k, "n_participants": k, "n_participants_total": n,
                     "share_participants": k / n})
        rows.append({"site": site, "code_path": "Voice/Heard", "theme": "Voice", "depth": 2,
                     "n_segments": 1, "n_participants": n - k, "n_participants_total": n,
                     "share_participants": (n - k) / n})
    return pd.DataFrame(rows)


def test_joint_rule_converge_diverge_and_undecided():
    # Pooled rate: (6 + 2 + 5 + 4) / 40 = 0.425. Pooled share: (5 + 1 + 1 + 3) / 24 = 0.417.
    rates = _rates([0.6, 0.2, 0.5, 0.4], [10, 10, 10, 10])
    codes = _codes([5, 1, 1, 3], [6, 6, 6, 6])
    before, codes_before = rates.copy(), codes.copy()
    out = joint_display_table(rates, frequencies=codes, code="Tok", lang="en")
    pd.testing.assert_frame_equal(rates, before)
    pd.testing.assert_frame_equal(codes, codes_before)
    assert out["target"].iloc[0] == pytest.approx(17 / 40)
    assert out["code_reference"].iloc[0] == pytest.approx(10 / 24)
    assert out["quant_position"].tolist() == ["above", "below", "above", "below"]
    assert out["qual_position"].tolist() == ["above", "below", "below", "above"]
    assert out["verdict"].tolist() == ["converge", "converge", "diverge", "diverge"]
    # A rate exactly on the target, a site without interviews: undecided.
    out = joint_display_table(rates.assign(rate=[0.6, 0.2, 0.5, 0.4]), frequencies=codes,
                              code="Tok", target=0.5, lang="en")
    assert out["quant_position"].isna().tolist() == [False, False, True, False]
    assert out["verdict"].isna().tolist() == [False, False, True, False]
    fewer = codes[codes["site"] != "D"]
    out = joint_display_table(rates, frequencies=fewer, code="Tok", lang="en")
    assert out.loc[3, "theme_text"] == "(no interviews)"
    assert pd.isna(out.loc[3, "verdict"])


def test_joint_rule_median_reference_and_ties():
    rates = _rates([0.6, 0.2, 0.5], [10, 10, 10])
    codes = _codes([5, 1, 3], [6, 6, 6])
    out = joint_display_table(rates, frequencies=codes, code="Tok", reference="median")
    assert out["code_reference"].iloc[0] == pytest.approx(0.5)
    assert out["qual_position"].isna().tolist() == [False, False, True]  # C is the median
    assert out["verdict"].tolist()[:2] == ["converge", "converge"]
    with pytest.raises(ArgumentError) as error:
        joint_display_table(rates, frequencies=codes, code="Tok", reference="mean")
    assert error.value.where == "reference"


def test_joint_suppressed_rate_is_undecided_and_says_so():
    rates = _rates([0.6, 0.2, 0.5], [10, 10, 10]).assign(suppressed=[False, False, True])
    out = joint_display_table(rates, frequencies=_codes([5, 1, 3], [6, 6, 6]), code="Tok",
                              lang="fr")
    assert out["suppressed"].tolist() == [False, False, True]
    assert out.loc[2, "value_text"] == "supprimé" and pd.isna(out.loc[2, "verdict"])
    assert out["target"].iloc[0] == pytest.approx(8 / 20)  # the suppressed site is left out
    assert out.loc[0, "value_text"] == "60,0\u00a0% (50,0\u00a0% à 70,0\u00a0%)"


def test_joint_texts_name_the_dominant_codes():
    codes = _codes([5, 1], [6, 6])
    out = joint_display_table(_rates([0.6, 0.2], [10, 10]), frequencies=codes, code="Tok",
                              labels={"Tok/Unheard": "Not heard"}, lang="fr")
    assert out.loc[0, "theme_text"] == "Not heard (5/6) ; Heard (1/6)"
    assert out.loc[1, "theme_text"] == "Heard (5/6) ; Not heard (1/6)"
    assert out.loc[0, "signal_text"] == "83\u00a0% (5/6)"
    one = joint_display_table(_rates([0.6, 0.2], [10, 10]), frequencies=codes, code="Tok",
                              n_themes=1, lang="en")
    assert one.loc[0, "theme_text"] == "Unheard (5/6)"


def test_joint_table_bad_arguments():
    rates, codes = _rates([0.6, 0.2], [10, 10]), _codes([5, 1], [6, 6])
    with pytest.raises(ArgumentError) as error:
        joint_display_table(rates, frequencies=codes, code="Power")
    assert error.value.where == "code"
    with pytest.raises(ArgumentError) as error:
        joint_display_table(pd.concat([rates, rates]), frequencies=codes, code="Tok")
    assert error.value.where == "data"
    with pytest.raises(ArgumentError) as error:
        joint_display_table(rates, frequencies=pd.concat([codes, codes]), code="Tok")
    assert error.value.where == "frequencies"
    with pytest.raises(ArgumentError) as error:
        joint_display_table(rates, frequencies=codes.drop(columns="depth"), code="Tok")
    assert error.value.where == "frequencies"
    with pytest.raises(ArgumentError) as error:
        joint_display_table(rates, frequencies=codes, code="Tok", target=1.5)
    assert error.value.where == "target"


# -- joint display: the demo and the figure ----------------------------------------------------

@pytest.fixture(scope="module")
def joint(demo, frequencies):
    r, inv = demo.responses, demo.study.measures.involvement
    users = r[(r["wave"] == 1) & (r["respondent_type"] == "user")]
    rates = tokenism_rates(users, voice=inv.tokenism.voice, influence=inv.tokenism.influence,
                           agree_at=inv.agree_at, site="site")
    return joint_display_table(rates, frequencies=frequencies, code="Tokénisme", lang="fr")


def test_joint_display_on_the_demo_finds_the_planted_site(joint):
    g = joint.set_index("site").loc["G"]
    assert g["quant_position"] == "above" and g["qual_position"] == "above"
    assert g["verdict"] == "converge"
    assert g["value_text"].startswith("84,6\u00a0% (")


def test_joint_display_figure_draws_a_row_per_site(joint):
    before = joint.copy()
    fig = joint_display_figure(joint, lang="fr")
    pd.testing.assert_frame_equal(joint, before)
    verdicts = [t.get_text() for t in by_gid(fig, "evalkit-verdict")]
    assert len(verdicts) == 8
    marks = {"converge": "✓ Convergent", "diverge": "✗ Divergent"}
    assert verdicts == [marks.get(v, "– Indéterminé") if pd.notna(v) else "– Indéterminé"
                        for v in joint["verdict"]]
    headers = [t.get_text().replace("\n", " ") for t in by_gid(fig, "evalkit-header")]
    assert headers[:2] == ["Site", "Taux de tokénisme"]
    assert "« Tokénisme » dans les entrevues (participants)" in headers
    assert by_gid(fig, "evalkit-non-validated")
    assert "Convergent : les chiffres et les entrevues" in notes(fig)


def test_joint_display_figure_several_indicators_and_suppressed(joint):
    two = pd.concat([joint, joint.assign(indicator="Autre", suppressed=True,
                                         value_text="supprimé", verdict=pd.NA)])
    two = two.sort_values("site", kind="stable")
    fig = joint_display_figure(two, lang="fr")
    headers = [t.get_text().replace("\n", " ") for t in by_gid(fig, "evalkit-header")]
    assert "Indicateur" in headers
    sites = [t.get_text() for t in by_gid(fig, "evalkit-cell-_site") if t.get_text()]
    assert sites == list("ABCDEFGH")  # each site named once
    grey = [t for t in by_gid(fig, "evalkit-cell-value_text") if t.get_text() == "supprimé"]
    assert len(grey) == 8 and all(t.get_style() == "italic" for t in grey)
    assert "En gris : valeurs supprimées" in notes(fig)


def test_joint_display_figure_bad_input(joint):
    with pytest.raises(ArgumentError) as error:
        joint_display_figure(joint.assign(verdict="agree"))
    assert error.value.where == "data"
    with pytest.raises(ArgumentError) as error:
        joint_display_figure(joint.drop(columns="theme_text"))
    assert error.value.where == "data"
    with pytest.raises(ArgumentError) as error:
        joint_display_figure(joint, site="centre")
    assert error.value.where == "site"
