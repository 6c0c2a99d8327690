"""Bar figures: Likert items, the ladder profile, outcome change, traffic light, integration.

Figures from evalkit.present.plots are never registered with pyplot: an autouse fixture (conftest.py)
checks that no test leaves a pyplot figure open.
"""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from _figures import by_gid, notes, texts
from matplotlib.figure import Figure
from matplotlib.text import Text

from evalkit import ArgumentError, apply_disclosure_control
from evalkit.analyse.integration import integration_profile
from evalkit.analyse.involvement import ladder_distribution
from evalkit.analyse.network import traffic_light_distribution
from evalkit.analyse.outcomes import outcome_change_from_study
from evalkit.i18n import format_percent
from evalkit.present.plots import (
    integration_plot,
    ladder_profile,
    likert_bars,
    outcome_change_plot,
    traffic_light_plot,
)
from evalkit.present.plots._style import SUPPRESSED
from evalkit.release.protect import protect_tables


@pytest.fixture(scope="module")
def wave1(demo):
    return demo.responses[demo.responses["wave"] == 1]


def category_bars(fig: Figure, j: int) -> list:
    return by_gid(fig, f"evalkit-category-{j}")


# -- Likert ------------------------------------------------------------------------------------

def test_likert_bars_draw_every_item_and_answer_with_codebook_labels(demo, wave1):
    items = demo.study.measures.involvement.ladder
    before = wave1.copy()
    fig = likert_bars(wave1, items=items, codebook=demo.codebook, lang="fr")
    assert isinstance(fig, Figure)
    pd.testing.assert_frame_equal(wave1, before)
    for j in range(5):
        assert len(category_bars(fig, j)) == len(items)
    shown = texts(fig)
    assert "On m'informe des décisions qui me concernent" in " ".join(shown).replace("\n", " ")
    assert "Tout à fait d'accord" in " ".join(shown).replace("\n", " ")
    # Every share label is the French percentage of an independently counted share.
    counts = wave1[items].apply(lambda s: s.value_counts(normalize=True)).T
    expected = {format_percent(v, "fr", decimals=0) for v in counts.to_numpy().ravel()}
    labels = [t.get_text() for t in fig.findobj(Text)
              if str(t.get_gid()).endswith("-label")]
    assert labels and all(label.endswith("\u00a0%") for label in labels)
    assert set(labels) <= expected
    assert "n = 1\u00a0160" in shown  # French thousands separator
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert "50\u00a0%" in ticks and all(tick.endswith("\u00a0%") for tick in ticks)
    assert "-50\u00a0%" not in ticks  # the disagreement side reads as positive shares


def test_likert_neutral_is_centred_or_set_aside():
    answers = pd.DataFrame({"q": [1, 2, 2, 3, 3, 3, 3, 4, 5, 5]})  # 10 %, 20 %, 40 %, 10 %, 20 %
    fig = likert_bars(answers, items=["q"], lang="en")
    (neutral,) = category_bars(fig, 2)
    assert neutral.get_x() == pytest.approx(-0.2)
    assert neutral.get_width() == pytest.approx(0.4)
    (agree,) = category_bars(fig, 3)
    assert agree.get_x() == pytest.approx(0.2)
    (strongly_disagree,) = category_bars(fig, 0)
    assert strongly_disagree.get_x() == pytest.approx(-0.5)

    aside = likert_bars(answers, items=["q"], neutral="aside", lang="en")
    assert len(aside.axes) == 2
    assert category_bars(aside, 2) == []
    (moved,) = by_gid(aside, "evalkit-neutral")
    assert moved.get_x() == 0 and moved.get_width() == pytest.approx(0.4)
    (agree,) = category_bars(aside, 3)
    assert agree.get_x() == pytest.approx(0.0)


def test_likert_even_scale_splits_in_the_middle():
    answers = pd.DataFrame({"q": [1, 2, 2, 3, 4, 4, 4, 4]})
    fig = likert_bars(answers, items=["q"], categories=[1, 2, 3, 4], neutral="aside",
                      lang="en")
    assert len(fig.axes) == 1
    (first,) = category_bars(fig, 0)
    assert first.get_x() == pytest.approx(-3 / 8)


def test_likert_items_with_too_few_answers_are_grey_with_a_note():
    answers = pd.DataFrame({"q1": [1, 2, 4, 5, 5, 4, 4], "q2": [3, 3] + [np.nan] * 5})
    fig = likert_bars(answers, items=["q1", "q2"], min_n=5, lang="fr")
    (grey,) = by_gid(fig, "evalkit-suppressed")
    assert grey.get_facecolor()[:3] == pytest.approx(plt.matplotlib.colors.to_rgb(SUPPRESSED))
    assert "supprimé" in texts(fig)
    assert "moins de 5 personnes" in notes(fig).replace("\n", " ")
    # The grey row has no share bars and no n.
    assert all(bar.get_width() == 0 for bar in category_bars(fig, 2)[1:])


@pytest.mark.parametrize(("kwargs", "param"), [
    ({"items": ["nope"]}, "items"),
    ({"items": ["q"], "neutral": "middle"}, "neutral"),
    ({"items": ["q"], "lang": "de"}, "lang"),
    ({"items": ["q"], "width": 10}, "width"),
    ({"items": ["q"], "label_min": 2}, "label_min"),
    ({"items": ["q"], "categories": [1, 2, 3]}, "items"),  # 5 is not a category
    ({"items": ["q"], "codebook": {"q": "a question"}}, "codebook"),
])
def test_likert_bad_arguments_name_the_parameter(kwargs, param):
    answers = pd.DataFrame({"q": [1, 2, 3, 4, 5]})
    with pytest.raises(ArgumentError) as error:
        likert_bars(answers, **kwargs)
    assert error.value.where == param


# -- ladder ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ladder(demo, wave1):
    inv = demo.study.measures.involvement
    return ladder_distribution(wave1, items=inv.ladder, agree_at=inv.agree_at, site="site",
                               group="respondent_type")


def test_ladder_profile_has_a_panel_per_site_and_a_bar_per_group(demo, ladder):
    before = ladder.copy()
    fig = ladder_profile(ladder, group="respondent_type", codebook=demo.codebook, lang="fr")
    pd.testing.assert_frame_equal(ladder, before)
    assert len(fig.axes) == ladder["site"].nunique() == 8
    assert [ax.get_title(loc="left") for ax in fig.axes][:2] == ["Site A", "Site B"]
    for j in range(6):  # rungs 0..5
        assert len(category_bars(fig, j)) == 8 * 3
    shown = " ".join(texts(fig)).replace("\n", " ")
    assert "0. Aucun échelon endossé" in shown
    assert "Usager·ère" in shown and "Proche aidant·e" in shown
    assert by_gid(fig, "evalkit-non-validated")  # the ladder is a non-validated index
    # The bar widths are the shares (site A, carers: first bar of each category).
    first = ladder[(ladder["site"] == "A") & (ladder["respondent_type"] == "carer")]
    widths = [category_bars(fig, j)[0].get_width() for j in range(6)]
    assert widths == pytest.approx(first["share"].tolist())


def test_ladder_profile_greys_the_groups_disclosure_control_suppressed(demo, ladder):
    safe = apply_disclosure_control(ladder, estimates=["share"], n="n_placed",
                                    policy=demo.study.privacy)
    assert safe["suppressed"].any()  # site H has 3 carers
    fig = ladder_profile(safe, group="respondent_type", lang="en")
    grey = by_gid(fig, "evalkit-suppressed")
    assert len(grey) == 1
    assert grey[0].get_facecolor()[:3] == pytest.approx(
        plt.matplotlib.colors.to_rgb(SUPPRESSED))
    assert "suppressed" in texts(fig)
    assert "Grey: values suppressed" in notes(fig)
    # Site H's panel: the carers' row (first) is grey, with no share drawn.
    assert fig.axes[-1].get_yticklabels()[0].get_text() == "carer"
    assert all(category_bars(fig, j)[-3].get_width() == 0 for j in range(6))


def _bar_of(fig, gid, y):
    return [b for b in by_gid(fig, gid) if b.get_y() + b.get_height() / 2 == pytest.approx(y)]


def test_ladder_profile_draws_the_shown_rungs_and_greys_only_the_hidden_ones(demo, wave1):
    inv = demo.study.measures.involvement
    rungs = ladder_distribution(wave1, items=inv.ladder, agree_at=inv.agree_at, site="site")
    released = protect_tables({"ladder_distribution": rungs}, policy=demo.study.privacy,
                              study={"site": "site"})["ladder_distribution"]
    partly = released.groupby("site")["share"].apply(lambda s: s.isna().any() and s.notna().any())
    assert partly.sum() >= 1  # sites with a hidden rung but 90 people placed
    fig = ladder_profile(released, lang="fr", non_validated=False)
    (ax,) = fig.axes
    sites = [t.get_text() for t in ax.get_yticklabels()]
    y = dict(zip(sites, ax.get_yticks(), strict=True))
    assert not by_gid(fig, "evalkit-suppressed")  # no site is greyed whole
    for site, part in released.groupby("site"):
        part = part.sort_values("rung")
        widths = [_bar_of(fig, f"evalkit-category-{j}", y[site])[0].get_width()
                  for j in range(len(part))]
        # Every shown rung is drawn at its share of the released base; hidden rungs are empty.
        assert widths == pytest.approx(part["share"].fillna(0).tolist())
        grey = _bar_of(fig, "evalkit-hidden", y[site])
        if part["share"].isna().any():
            # One grey segment: the base less the shown rungs, after them.
            (segment,) = grey
            shown = part["n"].sum() / part["n_placed"].iloc[0]
            assert segment.get_width() == pytest.approx(1 - shown)
            assert segment.get_x() == pytest.approx(shown)
            assert segment.get_facecolor()[:3] == pytest.approx(
                plt.matplotlib.colors.to_rgb(SUPPRESSED))
        else:
            assert not grey
    legend = " ".join(t.get_text() for t in fig.legends[0].get_texts()).replace("\n", " ")
    assert "Masqué (confidentialité)" in legend
    assert "En gris" in notes(fig)
    english = ladder_profile(released, lang="en", non_validated=False)
    assert "Hidden (confidentiality)" in " ".join(
        t.get_text() for t in english.legends[0].get_texts()).replace("\n", " ")


def test_one_hidden_rung_keeps_the_others_of_its_bar(ladder):
    safe = ladder.copy()
    cell = (safe["site"] == "B") & (safe["respondent_type"] == "user") & (safe["rung"] == 2)
    safe.loc[cell, ["n", "share"]] = np.nan
    safe["suppressed"] = cell
    fig = ladder_profile(safe, group="respondent_type", lang="en")
    axis = fig.axes[1]  # site B
    labels = [t.get_text() for t in axis.get_yticklabels()]
    yi = axis.get_yticks()[labels.index("user")]
    bars = {j: [b for b in axis.patches if b.get_gid() == f"evalkit-category-{j}"
                and b.get_y() + b.get_height() / 2 == pytest.approx(yi)][0] for j in range(6)}
    row = safe[(safe["site"] == "B") & (safe["respondent_type"] == "user")].sort_values("rung")
    assert [bars[j].get_height() > 0 for j in range(6)] == [True] * 6
    assert [bars[j].get_width() for j in range(6)] == pytest.approx(
        row["share"].fillna(0).tolist())
    (grey,) = [b for b in axis.patches if b.get_gid() == "evalkit-hidden"]
    assert grey.get_width() == pytest.approx(ladder.loc[cell, "share"].iloc[0])
    assert not by_gid(fig, "evalkit-suppressed")


def test_ladder_profile_without_group_draws_one_bar_per_site(demo, wave1):
    inv = demo.study.measures.involvement
    rungs = ladder_distribution(wave1, items=inv.ladder, agree_at=inv.agree_at, site="site")
    fig = ladder_profile(rungs, lang="en", non_validated=False)
    assert len(fig.axes) == 1
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == list("ABCDEFGH")
    assert not by_gid(fig, "evalkit-non-validated")


def test_ladder_profile_bad_arguments(ladder):
    with pytest.raises(ArgumentError) as error:
        ladder_profile(ladder)  # one row per site, group and rung: group= is needed
    assert error.value.where == "group"
    with pytest.raises(ArgumentError) as error:
        ladder_profile(ladder.drop(columns="share"), group="respondent_type")
    assert error.value.where == "data" and "ladder_distribution" in str(error.value)
    with pytest.raises(ArgumentError) as error:
        ladder_profile(ladder, site="town", group="respondent_type")
    assert error.value.where == "site"


# -- outcome change ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def change(demo):
    return outcome_change_from_study(demo.responses, study=demo.study, by_site=False)


def test_outcome_change_groups_items_under_their_group(demo, change):
    groups = demo.study.measures.outcomes.groups
    before = change.copy()
    fig = outcome_change_plot(change, groups=groups, codebook=demo.codebook, lang="fr")
    pd.testing.assert_frame_equal(change, before)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == 15 + 3
    bold = [t.get_text() for t in ax.get_yticklabels() if t.get_fontweight() == "bold"]
    assert bold == ["Qualité de vie", "Processus", "Changement"]
    assert labels[1] == "Se sentir en sécurité"
    assert labels[labels.index("Processus") + 1] == "Être écouté·e"
    # "Same" is centred on zero; worse to the left, improved to the right.
    same = category_bars(fig, 1)
    assert all(b.get_x() + b.get_width() / 2 == pytest.approx(0) for b in same)
    worse, improved = category_bars(fig, 0), category_bars(fig, 2)
    first = change.set_index("outcome").loc["quality_of_life"]
    assert worse[0].get_width() == pytest.approx(first["share_worse"])
    assert improved[0].get_x() == pytest.approx(first["share_same"] / 2)
    assert any("Talking Points" in t for t in texts(fig))


def test_outcome_change_without_groups_puts_groups_last(change):
    fig = outcome_change_plot(change, lang="en")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels[-3:] == ["Quality of life", "Process", "Change"]
    assert labels[0] == "tp_safe"  # no codebook: the item names


def test_outcome_change_suppressed_rows_are_grey(change):
    safe = change.copy()
    safe.loc[0, ["share_worse", "share_same", "share_improved"]] = np.nan
    fig = outcome_change_plot(safe, lang="en")
    assert len(by_gid(fig, "evalkit-suppressed")) == 1
    assert "Grey: values suppressed" in notes(fig)


def test_outcome_change_hidden_share_is_one_grey_segment_of_the_rest(change):
    safe = change.copy()
    safe.loc[0, "share_worse"] = np.nan
    fig = outcome_change_plot(safe, lang="en")
    assert not by_gid(fig, "evalkit-suppressed")
    (grey,) = by_gid(fig, "evalkit-hidden")
    assert grey.get_width() == pytest.approx(change.loc[0, "share_worse"])
    # The shown shares keep their values: worse is empty, same and improved are drawn.
    drawn = [b for j in (1, 2) for b in category_bars(fig, j)
             if b.get_y() + b.get_height() / 2 == pytest.approx(grey.get_y() + grey.get_height() / 2)]
    assert sorted(b.get_width() for b in drawn) == pytest.approx(
        sorted(change.loc[0, ["share_same", "share_improved"]].tolist()))


@pytest.mark.parametrize("dtype", ["float64", "Int64"])  # released counts are nullable integers
def test_likert_hidden_count_keeps_the_other_answers_on_the_released_base(dtype):
    tidy = pd.DataFrame({"item": ["q1"] * 5 + ["q2"] * 5, "category": list(range(1, 6)) * 2,
                         "count": [10, 2, 8, 20, 10, 5, 5, 10, 10, 10],
                         "n": [50] * 5 + [40] * 5})
    tidy.loc[1, "count"] = np.nan  # q1 answered 2 by two people: hidden
    tidy = tidy.astype({"count": dtype, "n": dtype})
    fig = likert_bars(tidy, items=["q1", "q2"], lang="en")
    assert not by_gid(fig, "evalkit-suppressed")
    (grey,) = by_gid(fig, "evalkit-hidden")
    assert grey.get_width() == pytest.approx(2 / 50)  # 1 − 48/50, not re-normalised
    first = category_bars(fig, 0)[0]
    assert first.get_width() == pytest.approx(10 / 50)
    legend = " ".join(t.get_text() for t in fig.legends[0].get_texts()).replace("\n", " ")
    assert "Hidden (confidentiality)" in legend


def test_outcome_change_bad_arguments(demo, change):
    by_site = outcome_change_from_study(demo.responses, study=demo.study)
    with pytest.raises(ArgumentError) as error:
        outcome_change_plot(by_site)
    assert error.value.where == "data" and "by_site=False" in str(error.value)
    with pytest.raises(ArgumentError) as error:
        outcome_change_plot(change, groups={"x": ["tp_unknown"]})
    assert error.value.where == "groups"
    with pytest.raises(ArgumentError) as error:
        outcome_change_plot(change, groups=["tp_safe"])
    assert error.value.where == "groups"


# -- traffic light -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def lights(wave1):
    return traffic_light_distribution(wave1, paid="net_paid", peers="net_peers",
                                      community="net_community", site="site")


def test_traffic_light_has_colours_patterns_and_words(lights):
    before = lights.copy()
    fig = traffic_light_plot(lights, lang="fr")
    pd.testing.assert_frame_equal(lights, before)
    red, orange, green = (category_bars(fig, j) for j in range(3))
    assert len(red) == len(orange) == len(green) == 8
    # Each colour has its own pattern, so the figure reads without colour.
    assert {b.get_hatch() for b in red} == {"xx"}
    assert {b.get_hatch() for b in orange} == {".."}
    assert {b.get_hatch() for b in green} == {None}
    legend = " ".join(t.get_text() for t in fig.legends[0].get_texts()).replace("\n", " ")
    assert "Rouge : seulement des personnes payées" in legend
    assert "Vert : des citoyens ordinaires dans le réseau" in legend
    site_a = lights[lights["site"] == "A"].set_index("colour")["share"]
    assert [red[0].get_width(), orange[0].get_width(), green[0].get_width()] == \
        pytest.approx([site_a["red"], site_a["orange"], site_a["green"]])


def test_a_share_label_wider_than_its_bar_is_left_out_wherever_the_figure_goes(lights,
                                                                                tmp_path):
    # Site A's red share is made just wide enough to be labelled (label_min) but narrower
    # than its label on a narrow figure: the label is left out of the drawing and of the
    # text written in the PNG and SVG files, once the layout says so; the others stay.
    import io

    from PIL import Image

    from evalkit.present.figures import figure_block
    from evalkit.present.plots import save_figure
    from evalkit.present.plots._bars import ShareLabel
    from evalkit.present.plots._text import figure_text

    narrow = lights.copy()
    a = narrow["site"] == "A"
    narrow.loc[a & (narrow["colour"] == "red"), "share"] = 0.031
    narrow.loc[a & (narrow["colour"] == "green"), "share"] = \
        1 - narrow.loc[a & (narrow["colour"] != "green"), "share"].sum() + 0.031 - \
        narrow.loc[a & (narrow["colour"] == "red"), "share"].sum()
    fig = traffic_light_plot(narrow, label_min=0.03, width=3.0, lang="en")
    small = next(t for t in fig.findobj(ShareLabel)
                 if t.bar.get_width() == pytest.approx(0.031))
    wide = [t for t in fig.findobj(ShareLabel) if t.bar.get_width() > 0.3]
    assert small.get_text() == "3%" and wide
    save_figure(fig, tmp_path / "lights.svg", lang="en")
    svg = (tmp_path / "lights.svg").read_text(encoding="utf-8")
    svg_lines = [line.strip() for line in svg.split("<metadata>")[-1].split(
        "</metadata>")[0].splitlines()]
    assert "3%" not in svg_lines and wide[0].get_text() in svg_lines
    block = figure_block(fig, caption="", alt="", lang="en")
    assert not small.get_visible() and all(t.get_visible() for t in wide)
    text = Image.open(io.BytesIO(block.png)).info["Description"].split("\n")
    assert "3%" not in text and wide[0].get_text() in text
    assert figure_text(fig) == text


def test_traffic_light_suppressed_site_and_bad_input(lights):
    safe = lights.assign(suppressed=lights["site"] == "H")
    fig = traffic_light_plot(safe, lang="en")
    assert len(by_gid(fig, "evalkit-suppressed")) == 1
    assert "Grey: values suppressed" in notes(fig)
    bad = lights.assign(colour=lights["colour"].astype(str).replace("green", "blue"))
    with pytest.raises(ArgumentError) as error:
        traffic_light_plot(bad)
    assert error.value.where == "data"
    with pytest.raises(ArgumentError) as error:
        traffic_light_plot(lights, label_min=-0.1)
    assert error.value.where == "label_min"


# -- integration -------------------------------------------------------------------------------

def test_integration_plot_outlines_each_sites_median_level(demo):
    levels = demo.study.measures.integration.levels
    profile = integration_profile(demo.partners, site="site", level="level", levels=levels)
    before = profile.copy()
    fig = integration_plot(profile, lang="en")
    pd.testing.assert_frame_equal(profile, before)
    legend = [t.get_text().replace("\n", " ") for t in fig.legends[0].get_texts()]
    assert legend == [level.en for level in levels]
    outlined = by_gid(fig, "evalkit-median")
    assert len(outlined) == profile["site"].nunique()
    for patch, (_, site) in zip(sorted(outlined, key=lambda p: -p.get_y()),
                                profile.groupby("site", sort=True), strict=True):
        median = int(site["median_level"].iloc[0])
        below = site.loc[site["level"] < median, "share"].sum()
        assert patch.get_x() == pytest.approx(below)
        assert patch.get_width() == pytest.approx(
            site.loc[site["level"] == median, "share"].iloc[0])
    fr = integration_plot(profile, lang="fr")
    assert "Services intégrés" in " ".join(texts(fr)).replace("\n", " ")


def test_integration_plot_needs_the_profile():
    with pytest.raises(ArgumentError) as error:
        integration_plot(pd.DataFrame({"site": ["A"], "level": [1]}))
    assert error.value.where == "data" and "integration_profile" in str(error.value)


def _many_sites(n_sites: int, groups=("user", "carer")) -> pd.DataFrame:
    """A ladder distribution of ``n_sites`` sites × ``groups``, shares drawn at random."""
    rng = np.random.default_rng(n_sites)
    rows = []
    for i in range(n_sites):
        for group in groups:
            shares = rng.dirichlet(np.ones(4))
            rows += [{"site": f"S{i:02d}", "respondent_type": group, "rung": r,
                      "rung_item": None if r == 0 else f"item{r}", "n": round(s * 40),
                      "n_placed": 40, "share": s} for r, s in enumerate(shares)]
    return pd.DataFrame(rows)


@pytest.mark.parametrize("n_sites", [12, 13, 21])
def test_many_sites_are_rows_of_one_panel_and_many_bars_carry_no_shares(n_sites):
    data = _many_sites(n_sites)
    fig = ladder_profile(data, group="respondent_type", lang="en")
    shares = [t for t in texts(fig) if t.endswith("%") and t[0].isdigit()]
    if n_sites <= 12:  # a panel per site, shares written on the bars wide enough
        assert len(fig.axes) == n_sites
        assert shares and "in the table" not in notes(fig)
    else:
        assert len(fig.axes) == 1
        labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
        assert labels[:2] == ["S00 · user", "S00 · carer"] and len(labels) == 2 * n_sites
        for j in range(4):  # every bar is drawn, at its share
            widths = [b.get_width() for b in category_bars(fig, j)]
            assert widths == pytest.approx(data.loc[data["rung"] == j, "share"].tolist())
        written = 2 * n_sites > 40
        assert bool(shares) != written
        assert ("in the table" in notes(fig)) == written


def _spread_data(n_sites: int, groups, *, site="centre", group="role", hide_every=7):
    """A released ladder distribution with its own column names: shares drawn at random,
    every ``hide_every``-th cell hidden as disclosure control hides it (share missing, flagged
    suppressed)."""
    rng = np.random.default_rng(n_sites + len(groups))
    rows = []
    for i in range(n_sites):
        for g in groups:
            for r, s in enumerate(rng.dirichlet(np.ones(5))):
                rows.append({site: f"Centre {i:03d}", "rung": r,
                             "rung_item": None if r == 0 else f"item{r}", "n": round(s * 60),
                             "n_placed": 60, "share": s, **({group: g} if group else {})})
    data = pd.DataFrame(rows)
    hidden = np.arange(len(data)) % hide_every == 3
    data["suppressed"] = hidden
    data.loc[hidden, ["share", "n"]] = np.nan
    return data


@pytest.mark.parametrize("n_sites, groups, spread", [(30, ("usager", "proche"), False),
                                                     (31, ("usager", "proche"), True),
                                                     (61, (None,), True),
                                                     (21, ("a", "b", "c"), True)])
def test_beyond_sixty_bars_the_ladder_shows_how_sites_spread_on_each_rung(n_sites, groups,
                                                                          spread):
    from evalkit.present.plots.involvement import MAX_BARS

    group = None if groups == (None,) else "role"
    data = _spread_data(n_sites, groups if group else ("x",), group=group)
    if group is None:
        data = data.drop(columns="role", errors="ignore")
    bars = n_sites * len(groups)
    assert (bars > MAX_BARS) == spread
    for lang in ("fr", "en"):
        fig = ladder_profile(data, site="centre", group=group, lang=lang)
        try:
            if not spread:  # a row per site and group, as before
                assert len(category_bars(fig, 0)) == bars
                continue
            assert category_bars(fig, 0) == []
            assert len(fig.axes) == (1 if group is None else len(groups))
            shown = data[~data["suppressed"]]
            for ax, g in zip(fig.axes, [None] if group is None else groups, strict=True):
                part = shown if g is None else shown[shown["role"] == g]
                title = ax.get_title(loc="left")
                assert title.endswith(f"sites : {n_sites}" if lang == "fr" else
                                      f"sites: {n_sites}")
                assert g is None or title.startswith(g)
                medians = [ln for ln in ax.lines if ln.get_gid() == "evalkit-spread-median"]
                for rung in range(5):
                    # Computed here, without evalkit: the released shares of this rung.
                    expected = part.loc[part["rung"] == rung, "share"].to_numpy()
                    (dots,) = [c for c in ax.collections
                               if c.get_gid() == f"evalkit-spread-sites-{rung}"]
                    assert sorted(dots.get_offsets()[:, 0]) == pytest.approx(sorted(expected))
                    assert float(medians[rung].get_xdata()[0]) == pytest.approx(
                        float(np.median(expected)))
            hidden = int(data["suppressed"].sum())
            said = notes(fig)
            assert (f"non montrées : {hidden}" if lang == "fr" else f"not shown: {hidden}") \
                in said
            assert ("Chaque point est un site" if lang == "fr" else "Each dot is a site") \
                in said
            # no site is named on the figure: its shares are in the table and its profile
            assert not [t for t in texts(fig) if t.startswith("Centre ")]
        finally:
            plt.close(fig)


def test_the_spread_draws_nothing_hidden_and_the_same_bytes_twice():
    import io

    data = _spread_data(40, ("usager", "proche"), hide_every=2)
    data.loc[data["rung"] == 4, ["share", "n"]] = np.nan  # a rung hidden at every site
    data.loc[data["rung"] == 4, "suppressed"] = True
    images = []
    for _ in range(2):
        fig = ladder_profile(data, site="centre", group="role", lang="en")
        for ax in fig.axes:
            assert not [c for c in ax.collections if c.get_gid() == "evalkit-spread-sites-4"]
            drawn = np.concatenate([c.get_offsets()[:, 0] for c in ax.collections
                                    if str(c.get_gid()).startswith("evalkit-spread-sites")])
            assert np.isfinite(drawn).all()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", metadata={"Software": None})
        images.append(buffer.getvalue())
        plt.close(fig)
    assert images[0] == images[1]
    assert "4. " in " ".join(texts(ladder_profile(data, site="centre", group="role",
                                                  lang="en")))


def test_the_spread_keeps_respondents_of_no_group_in_a_panel_of_their_own():
    # ladder_distribution keeps respondents whose group is missing (a group of its own)
    data = _spread_data(31, ("usager", "proche"))
    data.loc[(data["centre"] == "Centre 000") & (data["role"] == "proche"), "role"] = None
    fig = ladder_profile(data, site="centre", group="role", lang="en")
    titles = sorted(ax.get_title(loc="left").split(" · ")[-1] for ax in fig.axes)
    assert titles == ["sites: 1", "sites: 30", "sites: 31"]
    assert "not stated · sites: 1" in [ax.get_title(loc="left") for ax in fig.axes]
    dots = [len(c.get_offsets()) for ax in fig.axes for c in ax.collections
            if str(c.get_gid()).startswith("evalkit-spread-sites")]
    assert sum(dots) == int((~data["suppressed"]).sum())


@pytest.mark.parametrize("n_sites", [3, 31])
@pytest.mark.parametrize("missing", [None, np.nan, pd.NA])
def test_respondents_of_no_group_are_labelled_in_both_languages_never_nan(n_sites, missing):
    # A missing group (None, NaN or pd.NA, as a reader gives it) is a row or a panel of its
    # own, labelled in words, whether the ladder draws bars (3 sites) or the sites' spread.
    data = _spread_data(n_sites, ("usager", "proche"))
    data["role"] = data["role"].astype(object)
    data.loc[(data["centre"] == "Centre 001") & (data["role"] == "proche"), "role"] = missing
    for lang, words in (("fr", "non précisé"), ("en", "not stated")):
        fig = ladder_profile(data, site="centre", group="role", lang=lang)
        try:
            shown = " ".join(texts(fig) + [ax.get_title(loc="left") for ax in fig.axes])
            assert words in shown
            assert not {"nan", "None", "<NA>"} & set(shown.replace("·", " ").split())
        finally:
            plt.close(fig)
