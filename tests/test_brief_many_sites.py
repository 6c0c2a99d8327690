"""A brief of many sites: figures with a bar per site give way to a note saying where each
site's values are; the funnel plot, made for many sites, stays. The limit is lowered to 3
sites here, so that studies of 3 and 4 sites stand on each side of it."""

from __future__ import annotations

import dataclasses

import pytest

from evalkit.i18n import t
from evalkit.present import figures
from evalkit.present._text import typography
from evalkit.present.brief import build_brief
from evalkit.present.document import Figure, Paragraph
from evalkit.present.figures import PER_SITE
from tests._studies import computed, small_study


def _walk(blocks):
    for block in blocks:
        yield block
        if dataclasses.is_dataclass(block):
            for field in dataclasses.fields(block):
                value = getattr(block, field.name)
                if isinstance(value, list | tuple):
                    yield from _walk(b for b in value if dataclasses.is_dataclass(b))


def _report(brief):
    return list(_walk(brief.part("report").blocks))


LIMIT = 3


@pytest.fixture(scope="module", params=[LIMIT, LIMIT + 1])
def study(request, tmp_path_factory):
    n = request.param
    folder = tmp_path_factory.mktemp(f"sites{n}")
    study_file = small_study(folder, n_sites=n, waves=2, n_per_site=25,
                             rename={"site": "centre"})
    from evalkit import load_study

    return n, computed(study_file), load_study(study_file)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_figures_by_site_give_way_to_a_note_beyond_the_limit(study, lang, monkeypatch):
    monkeypatch.setattr(figures, "MAX_BRIEF_SITES", LIMIT)
    n, results, loaded = study
    brief = build_brief(results, loaded, lang=lang, run_date="2026-11-22")
    blocks = _report(brief)
    drawn = {b.name for b in blocks if isinstance(b, Figure)}
    notes = [b.text for b in blocks if isinstance(b, Paragraph)]
    assert "funnel" in drawn  # drawn whatever the number of sites
    expected = {name for name, table in PER_SITE.items() if table in results}
    assert expected, "the generated study has figures by site"
    prefix = typography(t("reports.figure.by_site_left", lang, title="\0"), lang)
    prefix = prefix.split("\0")[0]
    left = [text for text in notes if text.startswith(prefix)]
    if n <= LIMIT:
        assert expected <= drawn
        assert left == []
    else:
        assert drawn.isdisjoint(expected)
        assert len(left) == len(expected)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_briefs_ladder_says_what_it_draws_bars_or_the_sites_spread(study, lang,
                                                                       monkeypatch):
    from evalkit.present.plots import involvement

    n, results, loaded = study
    if n > LIMIT:
        pytest.skip("one study size is enough")
    alts = {}
    assert involvement.MAX_BARS == 60
    for limit in (60, 2):  # 3 sites: bars, then beyond the limit
        monkeypatch.setattr(involvement, "MAX_BARS", limit)
        brief = build_brief(results, loaded, lang=lang, run_date="2026-11-22")
        (ladder,) = [b for b in _report(brief) if isinstance(b, Figure) and b.name == "ladder"]
        alts[limit] = ladder.alt
    assert alts[60].startswith("Barres empilées" if lang == "fr" else "Stacked bars")
    assert alts[2].startswith("Points et boîtes" if lang == "fr" else "Dots and boxes")
