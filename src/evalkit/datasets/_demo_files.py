"""Files of the demo study: survey waves in real-world formats, codebook, study.yaml, README."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from evalkit.datasets import _vocabulary as V
from evalkit.datasets._vocabulary import LADDER_ITEMS, WELLBEING_ITEMS
from evalkit.prepare.keys import DEMO_KEY_MARK

_INTEGER_COLUMNS = ["wave", "inv_informed", "inv_consulted", "inv_influence", "inv_partnership",
                    "inv_control", "net_paid", "net_peers", "net_community"]
_TEXT_COLUMNS = ["respondent_id", "site", "respondent_type", "age_group", "sex", "contact_name",
                 "comment"]


def _integers(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    numeric = [c for c in frame.columns if c.startswith(("inv_", "tp_", "wb_", "net_"))] + ["wave"]
    for column in numeric:
        frame[column] = frame[column].round().astype("Int64")
    return frame


def write_waves(folder: Path, responses: pd.DataFrame, *, formats: str) -> list[dict[str, Any]]:
    """Write one file per wave; return the ``sources.survey`` entries of study.yaml."""
    sources = []
    for wave, frame in responses.groupby("wave", sort=True):
        frame = frame.reset_index(drop=True)
        if formats == "messy" and wave == 1:
            name = "survey_w1.csv"
            _write_french_excel_csv(folder / name, frame)
        elif formats == "messy" and wave == 2:
            name = "survey_w2.sav"
            _write_sav(folder / name, frame)
        else:
            name = f"survey_w{wave}.csv"
            out = _integers(frame)
            out["response_date"] = out["response_date"].dt.strftime("%Y-%m-%d")
            out.to_csv(folder / name, index=False, lineterminator="\n", encoding="utf-8")
        sources.append({"path": name})
    return sources


def _write_french_excel_csv(path: Path, frame: pd.DataFrame) -> None:
    """cp1252, ';' between fields, decimal comma, day-first dates, CRLF: as French Excel saves."""
    out = _integers(frame)
    out["response_date"] = out["response_date"].dt.strftime("%d/%m/%Y")
    out.to_csv(path, sep=";", decimal=",", index=False, encoding="cp1252",
               lineterminator="\r\n", errors="strict")


def _write_sav(path: Path, frame: pd.DataFrame) -> None:
    """SPSS file with French variable labels, value labels and user-missing codes 8 and 9."""
    import pyreadstat


    out = frame.copy()
    for column in _TEXT_COLUMNS:
        out[column] = out[column].astype(object).where(out[column].notna(), "")
    labels = _variable_labels()
    agree = {float(k): v["fr"] for k, v in _value_sets()["agree5"].items()}
    agree.update({8.0: "Ne sait pas", 9.0: "Refus"})
    value_labels = {item: agree for item in LADDER_ITEMS}
    met = {float(k): v["fr"] for k, v in _value_sets()["met4"].items()}
    value_labels.update({item: met for item in _outcome_items()})
    pyreadstat.write_sav(
        out, str(path),
        column_labels=[labels.get(c, c) for c in out.columns],
        variable_value_labels=value_labels,
        missing_ranges={item: [8.0, 9.0] for item in LADDER_ITEMS},
        variable_measure={c: "nominal" for c in _TEXT_COLUMNS},
    )
    _fix_sav_timestamp(path)


def _fix_sav_timestamp(path: Path) -> None:
    """Replace the creation date and time in the SAV header so that the bytes are reproducible."""
    data = bytearray(path.read_bytes())
    if data[:4] in (b"$FL2", b"$FL3") and len(data) > 109:
        data[92:101] = b"01 Jan 25"
        data[101:109] = b"00:00:00"
        path.write_bytes(bytes(data))


def _outcome_items() -> list[str]:
    return [item for group in V.OUTCOMES.values() for item, _, _ in group]


def _bi(fr: str, en: str) -> dict[str, str]:
    return {"fr": fr, "en": en}


def _value_sets() -> dict[str, dict]:
    return {
        "agree5": {1: _bi("Tout à fait en désaccord", "Strongly disagree"),
                   2: _bi("Plutôt en désaccord", "Disagree"),
                   3: _bi("Ni en accord ni en désaccord", "Neither agree nor disagree"),
                   4: _bi("Plutôt d'accord", "Agree"),
                   5: _bi("Tout à fait d'accord", "Strongly agree")},
        "met4": {1: _bi("Pas du tout atteint", "Not met at all"),
                 2: _bi("Un peu atteint", "Partly met"),
                 3: _bi("En bonne partie atteint", "Mostly met"),
                 4: _bi("Tout à fait atteint", "Fully met")},
        "often5": {1: _bi("Jamais", "None of the time"), 2: _bi("Rarement", "Rarely"),
                   3: _bi("Parfois", "Some of the time"), 4: _bi("Souvent", "Often"),
                   5: _bi("Tout le temps", "All of the time")},
    }


def _variable_labels() -> dict[str, str]:
    labels = {item: fr for item, fr, _ in V.LADDER}
    labels.update({item: fr for group in V.OUTCOMES.values() for item, fr, _ in group})
    labels.update({"respondent_id": "Identifiant du répondant", "site": "Site",
                   "wave": "Temps de mesure", "respondent_type": "Type de répondant",
                   "age_group": "Groupe d'âge", "sex": "Sexe", "response_date": "Date de réponse",
                   "contact_name": "Nom de la personne-ressource",
                   "hours_support": "Heures de soutien par semaine",
                   "comment": "Commentaire libre"})
    return labels


def codebook_data(*, sites: list[str], waves: int) -> dict[str, Any]:
    missing = {8: _bi("Ne sait pas", "Don't know"), 9: _bi("Refus", "Refused")}
    variables: dict[str, Any] = {
        "respondent_id": {"type": "id", "label": _bi("Identifiant du répondant",
                                                     "Respondent identifier"),
                          "identifying": True},
        "site": {"type": "category", "label": _bi("Site", "Site"),
                 "values": {s: _bi(f"Site {s}", f"Site {s}") for s in sites}},
        "wave": {"type": "category", "label": _bi("Temps de mesure", "Wave"),
                 "values": {w: (_bi("Début", "Baseline") if w == 1 else
                                _bi(f"Suivi {w - 1}", f"Follow-up {w - 1}"))
                            for w in range(1, waves + 1)}},
        "respondent_type": {"type": "category", "label": _bi("Type de répondant",
                                                             "Respondent type"),
                            "values": {"user": _bi("Usager·ère", "Service user"),
                                       "carer": _bi("Proche aidant·e", "Carer"),
                                       "staff": _bi("Intervenant·e", "Staff")}},
        "age_group": {"type": "category", "label": _bi("Groupe d'âge", "Age group"),
                      "values": {a: _bi(fr, en) for a, fr, en in V.AGE_GROUPS}},
        "sex": {"type": "category", "label": _bi("Sexe", "Sex"),
                "values": {"F": _bi("Femme", "Female"), "M": _bi("Homme", "Male")}},
        "response_date": {"type": "date", "label": _bi("Date de réponse", "Response date"),
                          "range": ["2025-01-01", "2035-12-31"]},
        "contact_name": {"type": "text", "label": _bi("Nom de la personne-ressource",
                                                      "Contact name"),
                         "identifying": True, "required": False},
    }
    for item, fr, en in V.LADDER:
        variables[item] = {"type": "likert", "label": _bi(fr, en), "values": "agree5",
                           "missing": missing}
    # Skip logic of the questionnaire: the outcomes and the network are asked of users only,
    # wellbeing and hours of support of users and carers, never of staff.
    def asked_of(*groups: str) -> dict[str, Any]:  # a fresh mapping each: no YAML anchors
        return {"variable": "respondent_type", "values": list(groups)}

    for group in V.OUTCOMES.values():
        for item, fr, en in group:
            variables[item] = {"type": "likert", "label": _bi(fr, en), "values": "met4",
                               "asked_if": asked_of("user")}
    for i in range(1, 8):
        variables[f"wb_{i}"] = {"type": "likert",
                                "label": _bi(f"Bien-être, item {i}", f"Wellbeing, item {i}"),
                                "values": "often5", "asked_if": asked_of("user", "carer")}
    for part, fr, en in (("paid", "personnes payées", "paid people"),
                         ("peers", "pairs (même service)", "peers (same service)"),
                         ("community", "citoyens ordinaires", "ordinary citizens")):
        variables[f"net_{part}"] = {
            "type": "number", "integer": True, "range": [0, 200],
            "label": _bi(f"Réseau : {fr}", f"Network: {en}"), "waves": [1],
            "asked_if": asked_of("user")}
    variables["hours_support"] = {"type": "number", "range": [0, 168],
                                  "label": _bi("Heures de soutien par semaine",
                                               "Hours of support per week"),
                                  "asked_if": asked_of("user", "carer")}
    variables["comment"] = {"type": "text", "label": _bi("Commentaire libre", "Free comment"),
                            "required": False}
    return {"value_sets": _value_sets(), "variables": variables}


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def write_codebook(path: Path, *, sites: list[str], waves: int) -> None:
    header = ("# Codebook of the evalkit demo study (synthetic data).\n"
              "# Dictionnaire de codes de l'étude de démonstration d'evalkit (données fictives).\n"
              "# Reference of every key: docs/codebook.md\n\n")
    path.write_text(header + _dump(codebook_data(sites=sites, waves=waves)), encoding="utf-8")


def study_data(*, sources: list[dict[str, Any]], waves: int,
               interviews: list[dict[str, Any]] | None = None,
               names: list[str] | None = None) -> dict[str, Any]:

    outcome_groups = {g: [item for item, _, _ in items] for g, items in V.OUTCOMES.items()}
    return {
        "study": "demo-estrie",
        "title": _bi("Implication des usagers, tokénisme et résultats personnels : "
                     "étude de démonstration",
                     "Service user involvement, tokenism and personal outcomes: a demo study"),
        "languages": ["fr", "en"],
        "sources": {
            "survey": sources,
            "interviews": interviews or [],
            "population": {"path": "population.csv", "set": {"respondent_type": "user"}},
            "partners": {"path": "partners.csv"},
        },
        "codebook": "codebook.yaml",
        "roles": {"id": "respondent_id", "site": "site", "wave": "wave",
                  "group": "respondent_type"},
        "waves": {"baseline": 1, "follow_up": list(range(2, waves + 1))},
        "measures": {
            "involvement": {
                "ladder": LADDER_ITEMS, "agree_at": 4,
                "tokenism": {"voice": ["inv_consulted"], "influence": ["inv_influence"]},
                "perception": {"staff": ["staff"], "users": ["user"]},
            },
            "outcomes": {"items": _outcome_items(), "met_at": 3, "groups": outcome_groups},
            "scales": {"wellbeing": {"instrument": "swemwbs", "items": WELLBEING_ITEMS}},
            "network": {"paid": "net_paid", "peers": "net_peers", "community": "net_community"},
            "integration": {"levels": [_bi(fr, en) for fr, en in V.INTEGRATION_LEVELS]},
            "logic_model": {
                "inputs": [{"label": _bi("Intervenant·es formé·es à la coproduction",
                                         "Staff trained in coproduction")},
                           {"label": _bi("Partenaires communautaires", "Community partners"),
                            "indicator": "integration_level"}],
                "process": [{"label": _bi("Les usagers sont consultés", "Users are consulted"),
                             "indicator": "inv_consulted"},
                            {"label": _bi("Leur avis change les décisions",
                                          "Their views change decisions"),
                             "indicator": "tokenism_rate"}],
                "outputs": [{"label": _bi("Plans de soutien décidés ensemble",
                                          "Support plans decided together"),
                             "indicator": "inv_partnership"}],
                "outcomes": [{"label": _bi("Voir des gens", "Seeing people"),
                              "indicator": "tp_seeing_people"},
                             {"label": _bi("Confiance et moral", "Confidence and morale"),
                              "indicator": "tp_confidence"},
                             {"label": _bi("Réseau avec des citoyens ordinaires",
                                           "A network with ordinary citizens"),
                              "indicator": "traffic_light"}],
            },
        },
        "privacy": {"min_cell": 5, "min_n_for_rates": 10, "zero_counts": "show",
                    "pseudonymise": ["respondent_id"], "redact": ["comment"],
                    "names": list(names or []),
                    "quasi_identifiers": ["site", "age_group", "sex"],
                    "key": {"file": "demo.key"}},
        "parameters": {"confidence": 0.95, "bootstrap": 2000, "seed": 20261122},
        "report": {
            "organisation": _bi("Centre de recherche fictif en services sociaux",
                                "Fictitious social services research centre"),
            "context": _bi(
                "Huit sites offrent des services personnalisés dans la communauté. Les décideurs "
                "veulent savoir si les usagers participent vraiment aux décisions et si cette "
                "participation va de pair avec de meilleurs résultats personnels.",
                "Eight sites offer personalised, community-based services. Decision-makers want "
                "to know whether service users really take part in decisions and whether that "
                "involvement goes with better personal outcomes."),
            "question": _bi(
                "Les usagers sont-ils impliqués ou seulement consultés, et l'implication "
                "s'accompagne-t-elle de meilleurs résultats personnels ?",
                "Are service users involved or only consulted, and does involvement go with "
                "better personal outcomes?"),
            "gripp2": {
                "aim": _bi("Faire valider les questions et les résultats par un comité "
                           "d'usagers et de proches.",
                           "Have questions and results checked by a committee of users and "
                           "carers."),
                "methods": _bi("Un comité de six usagers et deux proches a revu le questionnaire "
                               "et les premiers résultats lors de trois rencontres rémunérées.",
                               "A committee of six users and two carers reviewed the "
                               "questionnaire and early results in three paid meetings."),
                "results": _bi("Le comité a reformulé deux items et demandé l'ajout du réseau "
                               "de la personne.",
                               "The committee reworded two items and asked for the person's "
                               "network to be added."),
                "outcomes": _bi("Les messages clés de la note de synthèse ont été revus avec le "
                                "comité.",
                                "The brief's main messages were reviewed with the committee."),
                "reflections": _bi("Le comité aurait dû être associé dès la conception.",
                                   "The committee should have been involved from the design "
                                   "stage."),
            },
        },
    }


def write_study(path: Path, *, sources: list[dict[str, Any]], waves: int,
                interviews: list[dict[str, Any]] | None = None,
                names: list[str] | None = None) -> None:
    header = ("# The evalkit demo study (synthetic data, generated by "
              "evalkit.datasets.make_demo_study).\n"
              "# Étude de démonstration d'evalkit (données fictives).\n"
              "# Reference of every key: docs/study.md\n\n")
    data = study_data(sources=sources, waves=waves, interviews=interviews, names=names)
    path.write_text(header + _dump(data), encoding="utf-8")
    key = hashlib.sha256(b"evalkit demo key").hexdigest()
    (path.parent / "demo.key").write_text(f"{DEMO_KEY_MARK}\n{key}\n", encoding="utf-8")


def write_readme(path: Path, truth: dict[str, Any], *, n_rows: int,
                 sources: list[dict[str, Any]], seed: int) -> None:
    sites = truth["sites"]
    rows = "\n".join(
        f"| {code} | {v['tokenism_rate_users']:.3f} | {v['p_consulted_users']:.3f} | "
        f"{v['change_site_effect']:+.3f} | {v['traffic_light']['red']:.3f} / "
        f"{v['traffic_light']['orange']:.3f} / {v['traffic_light']['green']:.3f} | "
        f"{v['integration_mean_level']:.2f} | {v['population_users']} |"
        for code, v in sites.items())
    files = ", ".join(f"`{s['path']}`" for s in sources)
    small = truth.get("small_group") or {}
    iv = truth.get("interviews") or {}
    text = f"""# The evalkit demo study

Synthetic data: no real person, site or organisation. Données fictives.

Regenerate it (the same seed gives the same files):

```python
from evalkit.datasets import make_demo_study
make_demo_study("data_samples/demo", n_sites={truth['n_sites']}, n_per_site={truth['n_per_site']}, waves={truth['waves']}, seed={seed})
```

## Files

- {files}: the survey, one file per wave ({n_rows} rows in all). Wave 1 is a French-Excel CSV
  (cp1252, `;` between fields, decimal comma, day-first dates); wave 2 is an SPSS file with value
  labels and user-missing codes. Codes 8 (ne sait pas / don't know) and 9 (refus / refused) appear
  in the involvement items.
- `population.csv`: users served per site, by age group and by sex (margins for weighting).
- `partners.csv`: partner organisations' rating of their link with each site (1 = fragmented … 5 =
  integrated services).
- `codebook.yaml`, `study.yaml`: the codebook and the study description.
- `demo.key`: the pseudonymisation key of the demo, marked as a demo key. It is not secret; a real
  study keeps its key outside the study folder.
- `interviews.qdpx`: coded interviews (below).
- `truth.json`: every planted value below, machine-readable.

Planted for privacy checks: invented names, phone numbers (555 exchange), e-mail addresses
(example.org) and postal codes in some free-text comments, and a `contact_name` column that
identifies people. Site {small.get('site', '–')} has only {small.get('n', '–')} carers, a group
below the suppression threshold of 5.

## The true values planted

| quantity | value |
|---|---|
| effect of involvement on outcome change | {truth['involvement_effect_per_rung']:+.4f} per ladder rung (mean change of the 15 Talking Points items, 1–4 scale; users; highest rung endorsed at baseline) |
| between-site SD of outcome change | {truth['between_site_sd_of_change']:.4f} |
| Cronbach's alpha to expect (7 wellbeing items) | {truth['expected_cronbach_alpha_wellbeing']:.3f} (population value of the discretised items) |
| staff vs users, tokenism rate | staff see {abs(truth['staff_minus_user_tokenism']):.2f} less tokenism than users at every site |
| staff vs users, consulted | staff report {truth['staff_extra_consulted']:.2f} more consultation |
| missing codes | 8: {truth['missing_code_rates']['8']:.0%}, 9: {truth['missing_code_rates']['9']:.0%} of involvement answers |
| follow-up response | users {truth['follow_up_response_rates']['user']:.0%}, carers {truth['follow_up_response_rates']['carer']:.0%}, staff {truth['follow_up_response_rates']['staff']:.0%} |
| high-tokenism site | {truth.get('high_tokenism_site') or '–'} |

Per site (users): tokenism rate = P(no influence | consulted), where consulted means
`inv_consulted` ≥ 4 and influence means `inv_influence` ≥ 4; traffic light = expected shares of
red / orange / green networks.

| site | tokenism rate | P(consulted) | site effect on change | traffic light R / O / G | integration (mean level) | users in population |
|---|---|---|---|---|---|---|
{rows}

## Interviews

`interviews.qdpx` (REFI-QDA project, readable by NVivo, ATLAS.ti, MAXQDA, QualCoder): short
transcripts in French (and some in English) with users, carers and staff at every site, coded by
two coders. Coder `codeur_A` codes every interview; `codeur_B` codes
{len(iv.get('double_coded', []))} of them. Planted agreement: coder B gives a turn coder A's code
with probability {iv.get('agreement', float('nan')):.2f} (observed on the
{iv.get('n_units_double_coded', 0)} double-coded turns: {iv.get('observed_agreement',
float('nan')):.3f}). Tokenism themes dominate the interviews at site {iv.get('tokenism_site')}
(the survey's high-tokenism site); coordination outweighs fragmentation at site
{iv.get('integrated_site')} (the survey's most integrated site). Invented names, phone numbers
and e-mails are planted in {len(iv.get('planted_identifiers', []))} places (listed in
`truth.json`).
"""
    path.write_text(text, encoding="utf-8")


__all__ = ["codebook_data", "study_data", "write_codebook", "write_readme",
           "write_study", "write_waves"]
_unused = np  # numpy is used by callers' frames; keep the import explicit for type checkers
