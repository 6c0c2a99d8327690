"""Funnel and caterpillar plots: limits, widened limits, outliers, intervals, no ranks."""

import io

import numpy as np
import pandas as pd
import pytest
from _figures import by_gid, notes, texts
from matplotlib.figure import Figure

from evalkit import ArgumentError
from evalkit.analyse.funnel import funnel_limits, overdispersion
from evalkit.analyse.involvement import tokenism_rates
from evalkit.analyse.shrinkage import shrunken_estimates
from evalkit.present.plots import caterpillar_plot, funnel_plot, funnel_position


@pytest.fixture(scope="module")
def consulted(demo):
    """Consulted users at baseline, with whether their view changed nothing (tokenistic)."""
    r = demo.responses
    users = r[(r["wave"] == 1) & (r["respondent_type"] == "user")]
    users = users[(users["inv_consulted"] >= 4) & users["inv_influence"].notna()]
    return users.assign(tokenistic=(users["inv_influence"] < 4).astype(float))


def lines(fig: Figure, prefix: str) -> list:
    return [a for a in fig.axes[0].lines if str(a.get_gid()).startswith(prefix)]


def points(fig: Figure) -> np.ndarray:
    found = [c.get_offsets() for c in fig.axes[0].collections
             if str(c.get_gid()).startswith("evalkit-points")]
    return np.concatenate(found)


# -- funnel ------------------------------------------------------------------------------------

def test_funnel_plot_draws_limits_target_points_and_labels_outliers(consulted):
    limits = funnel_limits(consulted, site="site", y="tokenistic")
    before = limits.copy()
    fig = funnel_plot(limits, non_validated=True, indicator="Taux de tokénisme", lang="fr")
    pd.testing.assert_frame_equal(limits, before)
    plain = lines(fig, "evalkit-limit-plain")
    assert len(plain) == 4  # 95 % and 99.8 %, lower and upper
    grid = limits[limits["source"] == "grid"]
    drawn_upper = sorted(np.concatenate([ln.get_ydata() for ln in plain
                                         if ln.get_gid().endswith("upper")]))
    assert drawn_upper == pytest.approx(sorted(grid["upper"]))
    (target,) = lines(fig, "evalkit-target")
    assert target.get_ydata()[0] == pytest.approx(limits["target"].iloc[0])
    sites = limits[(limits["source"] == "site") & (limits["level"] == 0.95)]
    drawn = points(fig)
    assert len(drawn) == len(sites) == 8
    assert sorted(map(tuple, drawn)) == sorted(zip(sites["n"], sites["estimate"],
                                                   strict=True))
    labelled = sorted(t.get_text() for t in by_gid(fig, "evalkit-site"))
    assert labelled == sorted(sites.loc[sites["outside"].astype(bool), "site"])
    assert "G" in labelled  # the planted high-tokenism site
    assert by_gid(fig, "evalkit-non-validated")[0].get_text() == "Indice non validé"
    shown = texts(fig)
    (target_label,) = [t.replace("\n", " ") for t in shown
                       if t.replace("\n", " ").startswith("Moyenne de tous les sites (")]
    assert "," in target_label and target_label.endswith("\u00a0%)")  # ... (44,0 %)
    assert not any(t.startswith("Cible") for t in shown)  # no target was declared
    assert "Seulement 8 sites" in notes(fig)


def test_funnel_plot_widens_the_limits_as_funnel_limits_does(consulted):
    limits = funnel_limits(consulted, site="site", y="tokenistic")
    od = overdispersion(consulted, site="site", y="tokenistic")
    tau2 = float(od["tau2"].iloc[0])
    assert tau2 > 0
    before = od.copy()
    fig = funnel_plot(limits, overdispersion=od, lang="en")
    pd.testing.assert_frame_equal(od, before)
    widened = lines(fig, "evalkit-limit-widened")
    assert len(widened) == 4 and len(lines(fig, "evalkit-limit-plain")) == 4
    reference = funnel_limits(consulted, site="site", y="tokenistic", tau2=tau2)
    grid = reference[reference["source"] == "grid"]
    for side in ("lower", "upper"):
        drawn = sorted(np.concatenate([ln.get_ydata() for ln in widened
                                       if ln.get_gid().endswith(side)]))
        assert drawn == pytest.approx(sorted(grid[side]), abs=1e-12)
    assert "Overdispersion: φ = " in notes(fig) and "τ² = " in notes(fig)
    # Sites are judged against the widened limits.
    inner = od[od["level"] == 0.95]
    labelled = sorted(t.get_text() for t in by_gid(fig, "evalkit-site"))
    assert labelled == sorted(inner.loc[inner["outside_adjusted"].astype(bool), "site"])
    assert not by_gid(fig, "evalkit-non-validated")


def test_funnel_plot_widens_mean_limits_too(demo):
    r = demo.responses
    scores = r[r["wave"] == 1].assign(score=r[["wb_1", "wb_2", "wb_3"]].mean(axis=1))
    scores = scores.dropna(subset=["score"])
    limits = funnel_limits(scores, site="site", kind="mean", y="score")
    od = overdispersion(scores, site="site", kind="mean", y="score", winsor=0.0)
    od = od.assign(tau2=0.01)  # force a widening to test the mean formula
    fig = funnel_plot(limits, overdispersion=od, kind="mean", lang="fr")
    reference = funnel_limits(scores, site="site", kind="mean", y="score", tau2=0.01)
    grid = reference[reference["source"] == "grid"]
    drawn = sorted(np.concatenate([ln.get_ydata() for ln in lines(fig, "evalkit-limit-widened")
                                   if ln.get_gid().endswith("upper")]))
    assert drawn == pytest.approx(sorted(grid["upper"]), rel=1e-9)
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert not any("%" in t for t in ticks) and any("," in t for t in ticks)


def test_funnel_plot_leaves_out_suppressed_sites_and_names_them(consulted):
    limits = funnel_limits(consulted, site="site", y="tokenistic")
    rows = (limits["source"] == "site") & (limits["site"] == "B")
    safe = limits.assign(suppressed=rows, estimate=limits["estimate"].mask(rows))
    fig = funnel_plot(safe, lang="en", label_sites="all")
    assert len(points(fig)) == 7
    assert "B" not in [t.get_text() for t in by_gid(fig, "evalkit-site")]
    assert "Not shown, to protect confidentiality (too few people): B." in notes(fig)
    assert "not shown in the funnel" in funnel_position(safe, site="B", lang="en")


def test_funnel_plot_draws_a_flagged_site_whose_estimate_is_released(consulted):
    # Disclosure control flags a row when it hides any of its cells (here a count beside
    # the estimate); the figure hides only what the released cells hide.
    limits = funnel_limits(consulted, site="site", y="tokenistic")
    rows = (limits["source"] == "site") & (limits["site"] == "B")
    flagged = limits.assign(suppressed=rows)
    fig = funnel_plot(flagged, lang="en", label_sites="all", highlight="B")
    drawn = points(fig)
    assert len(drawn) == 8
    b = limits[rows].iloc[0]
    assert (b["n"], b["estimate"]) in set(map(tuple, drawn))
    assert "B" in [t.get_text() for t in by_gid(fig, "evalkit-site")]
    assert by_gid(fig, "evalkit-highlight")
    assert "confidentiality" not in notes(fig)
    assert "not shown" not in funnel_position(flagged, site="B", lang="en")


def test_funnel_plot_bad_arguments(consulted):
    limits = funnel_limits(consulted, site="site", y="tokenistic")
    other = overdispersion(consulted, site="site", y="tokenistic", target=0.3)
    with pytest.raises(ArgumentError) as error:
        funnel_plot(limits, overdispersion=other)
    assert error.value.where == "overdispersion"
    widened = funnel_limits(consulted, site="site", y="tokenistic", tau2=0.01)
    with pytest.raises(ArgumentError) as error:
        funnel_plot(widened, overdispersion=overdispersion(consulted, site="site",
                                                           y="tokenistic"))
    assert error.value.where == "overdispersion"
    with pytest.raises(ArgumentError) as error:
        funnel_plot(limits[limits["source"] == "site"])
    assert error.value.where == "data"
    for kwargs, param in (({"kind": "rate"}, "kind"), ({"label_sites": "some"}, "label_sites"),
                          ({"non_validated": "yes"}, "non_validated"), ({"lang": "es"}, "lang")):
        with pytest.raises(ArgumentError) as error:
            funnel_plot(limits, **kwargs)
        assert error.value.where == param


# -- caterpillar -------------------------------------------------------------------------------

def test_caterpillar_plot_sorts_sites_shows_intervals_and_no_ranks(consulted):
    shrunk = shrunken_estimates(consulted, site="site", y="tokenistic")
    before = shrunk.copy()
    fig = caterpillar_plot(shrunk, lang="fr", non_validated=True)
    pd.testing.assert_frame_equal(shrunk, before)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    ordered = shrunk.sort_values("shrunken")["site"].tolist()
    assert labels == ordered  # bottom to top, by estimate
    assert not any(ch.isdigit() for label in labels for ch in label)  # no rank numbers
    (intervals,) = by_gid(fig, "evalkit-intervals")
    segments = intervals.get_segments()
    frame = shrunk.set_index("site").loc[ordered]
    assert [s[0][0] for s in segments] == pytest.approx(frame["shrunken_ci_low"].tolist())
    assert [s[1][0] for s in segments] == pytest.approx(frame["shrunken_ci_high"].tolist())
    (raw,) = by_gid(fig, "evalkit-raw")
    assert list(raw.get_xdata()) == pytest.approx(frame["estimate"].tolist())
    (pooled,) = by_gid(fig, "evalkit-reference")
    assert pooled.get_xdata()[0] == pytest.approx(shrunk["prior_mean"].iloc[0])
    assert any(t.startswith("Valeur d'ensemble (") for t in texts(fig))
    assert "Les sites ne sont pas classés" in notes(fig)


def test_caterpillar_plot_of_raw_rates_greys_suppressed_sites(demo):
    r = demo.responses
    inv = demo.study.measures.involvement
    rates = tokenism_rates(r[(r["wave"] == 1) & (r["respondent_type"] == "carer")],
                           voice=inv.tokenism.voice, influence=inv.tokenism.influence,
                           agree_at=inv.agree_at, site="site")
    from evalkit import apply_disclosure_control

    safe = apply_disclosure_control(rates, estimates=["rate", "ci_low", "ci_high"],
                                    n="n_consulted", policy=demo.study.privacy)
    assert safe.loc[safe["site"] == "H", "suppressed"].item()
    fig = caterpillar_plot(safe, estimate="rate", lang="en")
    labels = fig.axes[0].get_yticklabels()
    assert labels[0].get_text() == "H"  # suppressed sites at the bottom
    assert "suppressed" in [t.get_text() for t in by_gid(fig, "evalkit-suppressed-label")]
    (intervals,) = by_gid(fig, "evalkit-intervals")
    assert len(intervals.get_segments()) == 7
    assert by_gid(fig, "evalkit-non-validated")  # tokenism_rates says non_validated
    assert not by_gid(fig, "evalkit-reference")  # no pooled value given or found


def test_caterpillar_plot_hides_only_the_cells_the_release_hides(consulted):
    shrunk = shrunken_estimates(consulted, site="site", y="tokenistic")
    flagged = shrunk.assign(suppressed=shrunk["site"].isin(["B", "C"]))
    # C keeps its estimate but not its interval; B keeps both: both are drawn.
    flagged.loc[flagged["site"] == "C", ["shrunken_ci_low", "shrunken_ci_high"]] = np.nan
    fig = caterpillar_plot(flagged, lang="en")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == shrunk.sort_values("shrunken")["site"].tolist()  # none greyed
    assert not by_gid(fig, "evalkit-suppressed-label")
    (estimates,) = by_gid(fig, "evalkit-estimates")
    assert len(estimates.get_xdata()) == 8
    (intervals,) = by_gid(fig, "evalkit-intervals")
    assert len(intervals.get_segments()) == 7  # C's interval is withheld
    hidden = flagged.assign(shrunken=flagged["shrunken"].mask(flagged["site"] == "B"))
    fig = caterpillar_plot(hidden, lang="en")
    assert fig.axes[0].get_yticklabels()[0].get_text() == "B"
    assert len(by_gid(fig, "evalkit-suppressed-label")) == 1


def test_caterpillar_plot_bad_arguments(consulted):
    shrunk = shrunken_estimates(consulted, site="site", y="tokenistic")
    with pytest.raises(ArgumentError) as error:
        caterpillar_plot(shrunk, estimate="rate")
    assert error.value.where == "estimate"
    with pytest.raises(ArgumentError) as error:
        caterpillar_plot(shrunk.drop(columns=["ci_low", "shrunken_ci_low"]))
    assert error.value.where == "estimate"
    with pytest.raises(ArgumentError) as error:
        caterpillar_plot(pd.concat([shrunk, shrunk]))
    assert error.value.where == "site"
    with pytest.raises(ArgumentError) as error:
        caterpillar_plot(shrunk, reference="middle")
    assert error.value.where == "reference"


def test_funnel_plot_highlights_one_site_and_says_where_it_stands(consulted):
    limits = funnel_limits(consulted, site="site", y="tokenistic")
    od = overdispersion(consulted, site="site", y="tokenistic")
    images = {}
    for site in ("A", "G"):
        fig = funnel_plot(limits, overdispersion=od, highlight=site, label_sites="all",
                          indicator="Tokenism rate", lang="en")
        (ring,) = by_gid(fig, "evalkit-highlight")
        row = limits[(limits["source"] == "site") & (limits["site"] == site)].iloc[0]
        assert tuple(ring.get_offsets()[0]) == pytest.approx((row["n"], row["estimate"]))
        bold = [t.get_text() for t in by_gid(fig, "evalkit-site")
                if t.get_fontweight() == "bold"]
        assert bold == [site]
        # the legend says what the ring means, the same for every site (its copies share it)
        assert "This site (name in bold)" in [t.replace("\n", " ") for t in texts(fig)]
        assert fig.axes[0].get_ylabel() == "Tokenism rate"
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        images[site] = buffer.getvalue()
    assert images["A"] != images["G"]
    said = funnel_position(limits, site="G", overdispersion=od, lang="fr")
    assert said.startswith("Le site G (") and "au-dessus des limites" in said
    assert "moyenne de tous les sites" in said
    within = funnel_position(limits, site="A", overdispersion=od, lang="en")
    assert "within the 95% limits" in within
    target = funnel_position(funnel_limits(consulted, site="site", y="tokenistic", target=0.3),
                             site="A", reference="target", lang="en")
    assert "the target declared by the study (30%)" in target
    with pytest.raises(ArgumentError, match="highlight"):
        funnel_plot(limits, highlight="nowhere")


def test_a_funnel_judged_again_is_judged_from_its_values_not_its_identity(consulted):
    # A site profile judges one funnel four times (figure and sentence, in each language);
    # the judgement is kept for the same values, and a copy handed out each time.
    from evalkit.present.plots import sites as module

    limits = funnel_limits(consulted, site="site", y="tokenistic")
    od = overdispersion(consulted, site="site", y="tokenistic")
    module._JUDGED.clear()
    grid, points, widened = module._judged(limits, od, "proportion")
    assert len(module._JUDGED) == 1
    points["outside"] = True  # a caller's change reaches neither the store nor the next
    widened.attrs["tau2"] = -1.0
    again = module._judged(limits.copy(), od.copy(), "proportion")
    assert len(module._JUDGED) == 1
    assert not again[1]["outside"].all() and again[2].attrs["tau2"] >= 0
    fresh = module._widened(*module._funnel_parts(limits), od, "proportion")
    pd.testing.assert_frame_equal(again[2], fresh[0])
    pd.testing.assert_frame_equal(again[1], fresh[1])
    pd.testing.assert_frame_equal(again[0], module._funnel_parts(limits)[0])
    # Other values (a site's estimate), the same objects' shapes: judged anew.
    moved = limits.copy()
    row = (moved["source"] == "site") & (moved["site"] == "A")
    moved.loc[row, "estimate"] = 0.99
    moved.loc[row, "outside"] = True
    assert module._judged(moved, None, "proportion")[1].set_index("site").loc[
        "A", "estimate"] == pytest.approx(0.99)
    assert module._judged(limits, None, "proportion")[1].set_index("site").loc[
        "A", "estimate"] != pytest.approx(0.99)
    assert len(module._JUDGED) == 3  # (limits, od), (moved, None), (limits, None)
    for _ in range(3 * module._JUDGED_KEPT):  # kept few
        moved.loc[row, "estimate"] = moved.loc[row, "estimate"] - 0.01
        module._judged(moved, None, "proportion")
    assert len(module._JUDGED) == module._JUDGED_KEPT
    # A mismatched overdispersion is refused every time, not remembered.
    for _ in range(2):
        with pytest.raises(ArgumentError, match="overdispersion"):
            module._judged(limits, od.assign(target=0.9), "proportion")
