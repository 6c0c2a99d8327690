"""Interview figures: code × site and co-occurrence heatmaps, and the joint display with its
converge / diverge rule."""


import numpy as np
import pandas as pd
import pytest
from _figures import by_gid, notes
from matplotlib.figure import Figure

from evalkit import ArgumentError, code_frequencies, cooccurrence, cooccurrence_matrix
from evalkit.datasets import interview_codebook
from evalkit.i18n import format_integer, format_percent
from evalkit.present.plots import (
    code_site_heatmap,
    cooccurrence_heatmap,
    joint_display_figure,
)


@pytest.fixture(scope="module")
def frequencies(demo):
    return code_frequencies(demo.segments, group=None, documents=demo.documents)


@pytest.fixture(scope="module")
def english():
    book = interview_codebook()
    return dict(zip(book["code_path"], book["label_en"], strict=True)) | dict(
        zip(book["theme"], book["theme_en"], strict=True))


def cells(fig: Figure) -> list[str]:
    return [t.get_text() for t in by_gid(fig, "evalkit-cell")]


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
    # Released: a hidden cell is missing (the one marker); its row is flagged.
    safe["n_participants"] = safe["n_participants"].mask(safe["suppressed"])
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


def test_code_site_heatmap_hides_cells_not_rows(frequencies):
    # A row flagged for its participants keeps its shown segment count, drawn and coloured.
    safe = frequencies.assign(suppressed=True, n_participants=np.nan)
    fig = code_site_heatmap(safe, value="n_segments", lang="en")
    shown = cells(fig)
    assert "–" not in shown and len(shown) == 21 * 8
    hidden = safe.assign(n_segments=safe["n_segments"].where(safe["site"] != "B"))
    fig = code_site_heatmap(hidden, value="n_segments", lang="en")
    assert cells(fig).count("–") == 21  # site B only
    (grey,) = [im for im in fig.axes[0].get_images() if im.get_gid() == "evalkit-suppressed"]
    mask = np.ma.getmaskarray(grey.get_array())
    assert (~mask).sum() == 21 and (~mask[:, 1]).all()


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


# -- joint display ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def joint(project_root):
    """The joint display of the demo, by the rule notebooks and the brief share."""
    from evalkit.analyse.compute import compute_results
    from evalkit.config.study import load_study
    from evalkit.prepare.study import prepare_study
    from evalkit.present import joint_display, released_tables
    from evalkit.present.joint import joint_display_rows

    prepared = prepare_study(load_study(project_root / "data_samples" / "demo"))
    results = compute_results(prepared, n_boot=100)
    return joint_display_rows(joint_display(released_tables(results, prepared.study.privacy)),
                              lang="fr")


def test_joint_display_on_the_demo_finds_the_planted_site(joint):
    g = joint.set_index("site").loc["G"]
    assert g["verdict"] == "converge"
    assert g["value_text"].startswith("84,6\u00a0% (")
    assert joint["verdict"].notna().sum() == 1  # the other sites are within the limits


def test_joint_display_figure_draws_a_row_per_site(joint):
    before = joint.copy()
    fig = joint_display_figure(joint, lang="fr")
    pd.testing.assert_frame_equal(joint, before)
    verdicts = [t.get_text() for t in by_gid(fig, "evalkit-verdict")]
    assert len(verdicts) == 8
    marks = {"converge": "✓ Convergent", "diverge": "✗ Divergent"}
    assert verdicts == [marks[v] if pd.notna(v) else "– Non comparé" for v in joint["verdict"]]
    headers = [t.get_text().replace("\n", " ") for t in by_gid(fig, "evalkit-header")]
    assert headers[:2] == ["Site", "Taux de tokénisme"]
    assert by_gid(fig, "evalkit-non-validated")
    assert "Convergent : les chiffres et les entrevues" in notes(fig)
    assert "non comparé : le site est dans les limites" in notes(fig)


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


@pytest.mark.parametrize("n_sites", [30, 31])
def test_code_site_heatmap_of_many_sites_colours_cells_without_values(frequencies, n_sites):
    # The demo's 8 sites copied under new names to make more columns.
    sites = frequencies["site"].unique()
    many = pd.concat([frequencies.assign(site=frequencies["site"].map(
        {s: f"{s}{k:02d}" for s in sites})) for k in range(-(-n_sites // len(sites)))])
    many = many[many["site"].isin(sorted(many["site"].unique())[:n_sites])]
    fig = code_site_heatmap(many, lang="en")
    assert len(fig.axes[0].get_xticklabels()) == n_sites
    if n_sites <= 30:
        assert len(cells(fig)) == 21 * n_sites and "in the table" not in notes(fig)
    else:
        assert cells(fig) == [] and "in the table" in notes(fig)
