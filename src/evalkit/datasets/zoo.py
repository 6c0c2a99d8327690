"""A zoo of synthetic studies of many shapes, to test that any study runs, not only the demo.

Each shape is a study folder (``study.yaml``, codebook, data files, a marked demo key) with its own
column and category names (French or English, with accents, spaces, apostrophes and digits), its
own identifier format, 1 to 40 sites, 1 to 3 waves, with or without carers, staff, interviews,
population margins and partner organisations, a tiny site, reverse-keyed items and items asked of
a subset, in CSV, French-Excel CSV, XLSX and SPSS files. ``truth.json`` writes down what was
planted, the names given to every role and item, and how each file was written, so that tests can
recompute every number from the files on their own.

Files keep their own column names where a real study's would (a staff workbook's name for the
identifier, a population file's own headers), mapped to the study's in ``study.yaml``
(``columns:``, ``set:``). Features ``study.yaml`` cannot declare yet are listed in
:data:`PENDING`: shapes are written without them, and with them when asked (``enable=``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from evalkit._checks import check_choice, check_int, rng
from evalkit.datasets.interviews import interview_codebook, make_demo_interviews
from evalkit.errors import ArgumentError
from evalkit.prepare.keys import DEMO_KEY_MARK
from evalkit.read.qda.write import write_qdpx

__all__ = ["FEATURES", "PENDING", "ZOO", "ZooShape", "make_zoo_study", "zoo_shapes"]

#: Study features every shape uses: a source's own column names mapped to the study's
#: (``columns:``/``set:``), the population file's own headers, and items asked of a subset
#: declared in the codebook (``asked_if``) in the shapes that have them.
FEATURES = ("source_columns", "population_columns", "skip_logic")
#: Study features a shape can use once ``study.yaml`` can declare them (none left).
PENDING: tuple[str, ...] = ()

FORMATS = ("csv", "csv_fr", "xlsx", "sav")
ID_FORMATS = ("prefixed", "integer", "uuid", "dossier")
AGREE_AT = 4
MET_AT = 3
_FOLLOW_UP = {"user": 0.85, "carer": 0.80, "staff": 0.90}
_BASELINE_RATING_P = np.array([0.15, 0.35, 0.35, 0.15])
_CHANGE_A = 0.40
_BETA_LATENT = 0.12       # effect of one ladder rung on the latent change
_SITE_SD_LATENT = 0.10
_WB_LOADINGS = (0.75, 0.70, 0.65, 0.70, 0.60, 0.65)
_WB_THRESHOLDS = np.array([-1.5, -0.6, 0.3, 1.2])
_REVERSED = (1, 4)        # positions (0-based) of the negatively worded wellbeing items


@dataclass(frozen=True)
class ZooShape:
    """The shape of a zoo study.

    Attributes
    ----------
    name : str
    language : {'fr', 'en'}
        The language of column and category names.
    n_sites, waves, n_per_site : int
        Sites, waves (1 to 3) and people per site at baseline.
    id_format : {'prefixed', 'integer', 'uuid', 'dossier'}
    formats : tuple of str
        File format of each wave (the last one repeats): ``csv`` (UTF-8), ``csv_fr`` (French
        Excel: cp1252, ``;``, decimal comma), ``xlsx``, ``sav`` (SPSS, missing codes 8 and 9).
    spss_names : bool
        Column names SPSS accepts (no spaces or apostrophes); required with ``sav`` files.
    carers : bool
    staff : {'none', 'inline', 'file'}
        No staff, staff rows in the wave files, or staff in a sheet of their own workbook (not
        its first sheet).
    interviews, population, partners, tiny_site, skip_logic : bool
    reverse : {'none', 'codebook', 'instrument'}
        Where the wellbeing scale's negatively worded items are declared reverse-keyed.
    """

    name: str
    language: str = "fr"
    n_sites: int = 3
    waves: int = 2
    n_per_site: int = 30
    id_format: str = "prefixed"
    formats: tuple[str, ...] = ("csv",)
    spss_names: bool = False
    carers: bool = True
    staff: str = "inline"
    interviews: bool = False
    population: bool = False
    partners: bool = False
    tiny_site: bool = False
    reverse: str = "codebook"
    skip_logic: bool = False
    pending: tuple[str, ...] = field(default=())

    def format_of(self, wave: int) -> str:
        return self.formats[min(wave, len(self.formats)) - 1]


#: The shapes of the zoo, by name (small sizes: the tests run each end to end).
ZOO: dict[str, ZooShape] = {shape.name: shape for shape in (
    ZooShape("fr-csv-3sites", language="fr", n_sites=3, waves=2, n_per_site=60,
             formats=("csv_fr", "csv"),
             population=True, partners=True, tiny_site=True, reverse="codebook"),
    ZooShape("en-mixed-8sites-3waves", language="en", n_sites=8, waves=3, n_per_site=40,
             formats=("csv", "sav", "xlsx"), spss_names=True, staff="file", interviews=True,
             id_format="integer", reverse="instrument"),
    ZooShape("one-site-one-wave", language="fr", n_sites=1, waves=1, n_per_site=60,
             id_format="integer", carers=False, staff="none", formats=("xlsx",),
             reverse="none"),
    ZooShape("en-2sites-uuid", language="en", n_sites=2, waves=2, n_per_site=60,
             id_format="uuid",
             staff="none", formats=("xlsx",), skip_logic=True),
    ZooShape("fr-40sites", language="fr", n_sites=40, waves=2, n_per_site=12,
             id_format="dossier", formats=("sav", "csv_fr"), spss_names=True, population=True,
             tiny_site=True),
    ZooShape("fr-sav-8sites", language="fr", n_sites=8, waves=2, n_per_site=40,
             formats=("sav",), spss_names=True, interviews=True, partners=True,
             reverse="instrument", staff="file"),
)}


def zoo_shapes() -> list[str]:
    """The names of the zoo's shapes, and ``'template'`` (the ``evalkit new`` template)."""
    return [*ZOO, "template"]


# -- names ------------------------------------------------------------------------------------

#: The codebook's labels of the items (French, English), in item order, whatever the columns
#: are called: a reader reads these, never the column names.
_ITEM_LABELS = {
    "ladder": [("On m'informe des décisions", "I am told about decisions"),
               ("On me demande mon avis", "I am asked what I think"),
               ("Mon avis compte", "My view counts"),
               ("Nous décidons ensemble", "We decide together")],
    "outcomes": [("Se sentir en sécurité", "Feeling safe"), ("Voir des gens", "Seeing people"),
                 ("Être écouté·e", "Being listened to"),
                 ("Confiance et moral", "Confidence and morale")],
    "wellbeing": [(f"Bien-être, énoncé {k}", f"Wellbeing, statement {k}") for k in range(1, 7)],
}

_NAMES = {
    ("fr", False): {
        "id": "N° dossier", "site": "Territoire du CLSC", "wave": "Temps de mesure",
        "group": "Type de répondant", "age": "Groupe d'âge", "sex": "Sexe",
        "ladder": ["Q1 informé·e", "Q2 consulté·e", "Q3 l'avis compte", "Q4 décidé ensemble"],
        "outcomes": ["Résultat 1 sécurité", "Résultat 2 voir des gens", "Résultat 3 écouté·e",
                     "Résultat 4 confiance"],
        "wellbeing": [f"Bien-être {k}" for k in range(1, 7)],
        "used": "Services reçus", "satisfaction": "Satisfaction à l'égard des services",
        "comment": "Commentaire libre", "staff_id": "Matricule",
    },
    ("fr", True): {
        "id": "no_dossier", "site": "territoire", "wave": "temps", "group": "type_répondant",
        "age": "groupe_âge", "sex": "sexe",
        "ladder": ["q1_informé", "q2_consulté", "q3_avis_compte", "q4_décidé_ensemble"],
        "outcomes": ["rés1_sécurité", "rés2_voir_des_gens", "rés3_écouté", "rés4_confiance"],
        "wellbeing": [f"bien_être_{k}" for k in range(1, 7)],
        "used": "services_reçus", "satisfaction": "satisfaction_services",
        "comment": "commentaire", "staff_id": "matricule",
    },
    ("en", False): {
        "id": "Respondent ID", "site": "Site name", "wave": "Wave", "group": "Respondent type",
        "age": "Age group", "sex": "Sex",
        "ladder": ["Q1 informed", "Q2 asked", "Q3 it's heard", "Q4 we decide"],
        "outcomes": ["Outcome 1 safe", "Outcome 2 seeing people", "Outcome 3 listened to",
                     "Outcome 4 confidence"],
        "wellbeing": [f"Wellbeing {k}" for k in range(1, 7)],
        "used": "Services used", "satisfaction": "Satisfaction with services",
        "comment": "Comments", "staff_id": "Employee no",
    },
    ("en", True): {
        "id": "resp_id", "site": "site_name", "wave": "wave", "group": "resp_type",
        "age": "age_group", "sex": "sex",
        "ladder": ["q1_informed", "q2_asked", "q3_heard", "q4_we_decide"],
        "outcomes": ["out1_safe", "out2_people", "out3_listened", "out4_confidence"],
        "wellbeing": [f"wb{k}" for k in range(1, 7)],
        "used": "services_used", "satisfaction": "services_satisfaction",
        "comment": "comments", "staff_id": "employee_no",
    },
}
_SITES = {
    "fr": ["Saint-Élie", "L'Anse-au-Griffon", "Centre-Sud 2", "Val-d'Or", "Rivière-du-Loup",
           "Côte-des-Neiges", "Lac-Mégantic", "Îles-de-la-Madeleine"],
    "en": ["North Shore", "St. Mary's", "Centre 3", "Lakeside", "Old Town", "Riverside 2",
           "Hill's End", "Bay 7"],
}
_GROUPS = {"fr": {"user": "usager", "carer": "proche aidant", "staff": "intervenant"},
           "en": {"user": "service user", "carer": "family carer", "staff": "staff member"}}
_AGE = ["18-34", "35-49", "50-64", "65+"]
_SEX = {"fr": ["femme", "homme"], "en": ["woman", "man"]}
_COMMENTS = {"fr": ["Très bon accueil.", "On m'écoute davantage qu'avant.",
                    "J'aimerais être consulté plus souvent."],
             "en": ["Very welcoming staff.", "They listen to me more than before.",
                    "I would like to be asked more often."]}


def _bi(fr: str, en: str | None = None) -> dict[str, str]:
    return {"fr": fr, "en": en if en is not None else fr}


def _site_names(shape: ZooShape) -> list[str]:
    base = _SITES[shape.language]
    if shape.n_sites <= len(base):
        return base[: shape.n_sites]
    return [f"{base[k % len(base)]} {k // len(base) + 1}" if k >= len(base) else base[k]
            for k in range(shape.n_sites)]


def _waves(shape: ZooShape) -> list[Any]:
    # English shapes code waves as text (T1, T2...), French ones as numbers.
    return [f"T{w}" if shape.language == "en" else w for w in range(1, shape.waves + 1)]


# -- drawing ----------------------------------------------------------------------------------

def _ids(shape: ZooShape, n: int, gen: np.random.Generator) -> list[Any]:
    if shape.id_format == "integer":
        return [int(v) for v in 100_000 + gen.permutation(n * 10)[:n]]
    if shape.id_format == "uuid":
        return [str(uuid.UUID(bytes=bytes(gen.integers(0, 256, 16, dtype=np.uint8)),
                              version=4)) for _ in range(n)]
    if shape.id_format == "dossier":
        letters = "ABCDEFGHJK"
        return [f"2024-{i + 1:05d}-{letters[i % len(letters)]}" for i in range(n)]
    return [f"P-{i + 1:05d}" for i in range(n)]


def _sites(shape: ZooShape, gen: np.random.Generator) -> pd.DataFrame:
    k = shape.n_sites
    tokenism = 0.20 + 0.40 * gen.random(k)
    if k >= 4:
        tokenism[1] = 0.80  # a planted high-tokenism site
    return pd.DataFrame({"site": _site_names(shape), "p_consulted": 0.55 + 0.30 * gen.random(k),
                         "tokenism": tokenism,
                         "change_effect": gen.normal(0.0, _SITE_SD_LATENT, k),
                         "population": gen.integers(800, 4000, k)})


def _people(shape: ZooShape, sites: pd.DataFrame, gen: np.random.Generator) -> pd.DataFrame:
    shares = {"user": 0.6, "carer": 0.2 if shape.carers else 0.0,
              "staff": 0.2 if shape.staff != "none" else 0.0}
    total = sum(shares.values())
    parts = []
    for s, site in enumerate(sites["site"]):
        size = shape.n_per_site
        if shape.tiny_site and s == len(sites) - 1:
            counts = {"user": 3, "carer": 0, "staff": 0}
        else:
            counts = {g: int(round(size * p / total)) for g, p in shares.items()}
            counts["user"] = size - counts["carer"] - counts["staff"]
        groups = np.repeat(list(counts), list(counts.values()))
        parts.append(pd.DataFrame({"site": site, "_site": s, "group": groups}))
    people = pd.concat(parts, ignore_index=True)
    n = len(people)
    people.insert(0, "id", _ids(shape, n, gen))
    people["age"] = gen.choice(_AGE, n, p=[0.2, 0.25, 0.3, 0.25])
    people["sex"] = gen.choice(_SEX[shape.language], n)
    staff = (people["group"] == "staff").to_numpy()
    site = people["_site"].to_numpy()
    p_consulted = sites["p_consulted"].to_numpy()[site] + np.where(staff, 0.15, 0.0)
    consulted = gen.random(n) < np.clip(p_consulted, 0, 0.98)
    tokenism = sites["tokenism"].to_numpy()[site] - np.where(staff, 0.2, 0.0)
    influence = np.where(consulted, gen.random(n) >= np.clip(tokenism, 0.02, 1),
                         gen.random(n) < 0.05)
    informed = gen.random(n) < np.where(consulted, 0.95, 0.6)
    together = gen.random(n) < np.where(influence, 0.5, 0.04)
    people["_endorsed"] = list(np.column_stack([informed, consulted, influence, together]))
    people["_wellbeing"] = gen.normal(0.0, 1.0, n)
    people["_eta"] = gen.normal(0.0, 0.05, n)
    people["_used"] = gen.random(n) < 0.6
    return people


def _likert(endorsed: np.ndarray, gen: np.random.Generator) -> np.ndarray:
    yes = gen.choice([4, 5], size=endorsed.shape, p=[0.6, 0.4])
    no = gen.choice([1, 2, 3], size=endorsed.shape, p=[0.3, 0.4, 0.3])
    return np.where(endorsed, yes, no).astype("float64")


def _draw_waves(shape: ZooShape, people: pd.DataFrame, sites: pd.DataFrame,
                gen: np.random.Generator) -> list[pd.DataFrame]:
    frames = []
    n = len(people)
    present = np.ones(n, dtype=bool)
    user = (people["group"] == "user").to_numpy()
    rated = np.zeros((n, 4))
    for w, wave in enumerate(_waves(shape), 1):
        if w > 1:
            present &= gen.random(n) < people["group"].map(_FOLLOW_UP).to_numpy()
        endorsed = np.stack(people["_endorsed"].to_numpy())
        ladder = _likert(endorsed, gen)
        if w == 1:
            rung = np.where(ladder >= AGREE_AT, np.arange(1, 5), 0).max(axis=1)
            people["_rung"] = rung
            rated = gen.choice([1, 2, 3, 4], size=(n, 4), p=_BASELINE_RATING_P).astype(float)
        else:
            eta = (_BETA_LATENT * (people["_rung"].to_numpy() - 2.0)
                   + sites["change_effect"].to_numpy()[people["_site"].to_numpy()]
                   + people["_eta"].to_numpy())[:, None]
            u = gen.random((n, 4))
            step = np.where(u < _CHANGE_A + eta / 2, 1.0, np.where(u < 2 * _CHANGE_A, -1.0, 0.0))
            rated = np.clip(rated + step, 1, 4)
        outcomes = np.where(user[:, None], rated, np.nan)
        outcomes[gen.random(outcomes.shape) < 0.02] = np.nan
        latent = people["_wellbeing"].to_numpy()[:, None]
        loadings = np.array(_WB_LOADINGS)
        y = loadings * latent + np.sqrt(1 - loadings**2) * gen.normal(size=(n, 6))
        wellbeing = (np.searchsorted(_WB_THRESHOLDS, y) + 1).astype(float)
        wellbeing[:, list(_REVERSED)] = 6 - wellbeing[:, list(_REVERSED)]  # worded the other way
        wellbeing[(people["group"] == "staff").to_numpy()] = np.nan
        wellbeing[gen.random(wellbeing.shape) < 0.015] = np.nan
        frame = pd.DataFrame({"id": people["id"], "site": people["site"], "wave": wave,
                              "group": people["group"], "age": people["age"],
                              "sex": people["sex"]})
        for j in range(4):
            frame[f"ladder{j}"] = ladder[:, j]
        for j in range(4):
            frame[f"outcome{j}"] = outcomes[:, j]
        for j in range(6):
            frame[f"wellbeing{j}"] = wellbeing[:, j]
        if shape.skip_logic:
            used = np.where(user, people["_used"].to_numpy().astype(float), np.nan)
            frame["used"] = used
            frame["satisfaction"] = np.where(used == 1, gen.integers(1, 6, n), np.nan)
        comments = gen.choice(_COMMENTS[shape.language], n)
        frame["comment"] = np.where(gen.random(n) < 0.2, comments, None)
        frames.append(frame[present].reset_index(drop=True))
    return frames


# -- writing ----------------------------------------------------------------------------------

def _rename(frame: pd.DataFrame, names: dict) -> pd.DataFrame:
    mapping = {"id": names["id"], "site": names["site"], "wave": names["wave"],
               "group": names["group"], "age": names["age"], "sex": names["sex"],
               "comment": names["comment"], "used": names["used"],
               "satisfaction": names["satisfaction"]}
    mapping |= {f"ladder{j}": c for j, c in enumerate(names["ladder"])}
    mapping |= {f"outcome{j}": c for j, c in enumerate(names["outcomes"])}
    mapping |= {f"wellbeing{j}": c for j, c in enumerate(names["wellbeing"])}
    return frame.rename(columns=mapping)


def _integers(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    out = frame.copy()
    for column in columns:
        if column in out.columns and pd.api.types.is_float_dtype(out[column]):
            out[column] = out[column].round().astype("Int64")
    return out


def _write(frame: pd.DataFrame, path: Path, fmt: str, *, numeric: list[str],
           sheet: str | None = None, labels: dict | None = None,
           missing: list[str] = ()) -> dict[str, Any]:
    """Write ``frame`` in ``fmt``; return how it was written (for ``truth.json``)."""
    if fmt == "csv":
        _integers(frame, numeric).to_csv(path, index=False, lineterminator="\n",
                                         encoding="utf-8")
        return {"format": "csv", "sep": ",", "decimal": ".", "encoding": "utf-8"}
    if fmt == "csv_fr":
        _integers(frame, numeric).to_csv(path, sep=";", decimal=",", index=False,
                                         encoding="cp1252", lineterminator="\r\n")
        return {"format": "csv", "sep": ";", "decimal": ",", "encoding": "cp1252"}
    if fmt == "xlsx":
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            if sheet is not None:  # the data are not on the first sheet
                pd.DataFrame({"Note": ["Données / data: see the next sheet"]}).to_excel(
                    writer, sheet_name="Notes", index=False)
            _integers(frame, numeric).to_excel(writer, sheet_name=sheet or "Data", index=False)
        _fix_xlsx_times(path)
        return {"format": "xlsx", "sheet": sheet or "Data"}
    import pyreadstat  # here: importing evalkit does not import pyreadstat

    out = frame.copy()
    for column in out.columns:
        if column not in numeric:  # text in SPSS: an empty string is its missing value
            out[column] = [("" if pd.isna(v) else str(v)) for v in out[column]]
    pyreadstat.write_sav(out, str(path), variable_value_labels=labels or {},
                         missing_ranges={c: [8.0, 9.0] for c in missing})
    _fix_sav_timestamp(path)
    return {"format": "sav", "missing_codes": [8, 9]}


def _fix_sav_timestamp(path: Path) -> None:
    """The same bytes for the same data: the SAV header's creation date and time are fixed."""
    data = bytearray(path.read_bytes())
    if data[:4] in (b"$FL2", b"$FL3") and len(data) > 109:
        data[92:101] = b"01 Jan 25"
        data[101:109] = b"00:00:00"
        path.write_bytes(bytes(data))


def _fix_xlsx_times(path: Path) -> None:
    """The same bytes for the same data: a workbook's creation and modification times, and its
    zip entries' times, are set to one fixed date."""
    import re
    import zipfile

    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, content in entries:
            if name == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)",
                                 rb"\g<1>2025-01-01T00:00:00Z\g<2>", content)
            target.writestr(zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0)), content,
                            compress_type=zipfile.ZIP_DEFLATED)


def _with_missing_codes(frame: pd.DataFrame, columns: list[str],
                        gen: np.random.Generator) -> pd.DataFrame:
    """SPSS waves carry the raw codes 8 (don't know) and 9 (refused) in the ladder items."""
    out = frame.copy()
    for column in columns:
        values = out[column].to_numpy(dtype=float).copy()
        u = gen.random(len(values))
        values[(u < 0.02) & ~np.isnan(values)] = 8
        values[(u >= 0.02) & (u < 0.03) & ~np.isnan(values)] = 9
        out[column] = values
    return out


def make_zoo_study(path: str | Path, shape: str | ZooShape, *, seed: int = 1,
                   enable: Iterable[str] = ()) -> Path:
    """Write the zoo study ``shape`` into ``path`` and return its ``study.yaml``.

    Parameters
    ----------
    path : str or Path
        Folder to write (created; files of the same names are replaced).
    shape : str or ZooShape
        A name of :func:`zoo_shapes` or a :class:`ZooShape`.
    seed : int
        Seed of the draws: the same seed writes the same bytes.
    enable : iterable of str
        Features of :data:`PENDING` to use (names of :data:`FEATURES` are accepted: they are
        always on).

    Returns
    -------
    Path
        The written ``study.yaml``; ``truth.json`` beside it holds the planted values, the
        names of every role and item, and how each file was written.

    Examples
    --------
    >>> import tempfile, json
    >>> from evalkit.datasets.zoo import make_zoo_study
    >>> study = make_zoo_study(tempfile.mkdtemp(), "one-site-one-wave", seed=3)
    >>> truth = json.loads((study.parent / "truth.json").read_text(encoding="utf-8"))
    >>> truth["shape"]["n_sites"], truth["names"]["site"]
    (1, 'Territoire du CLSC')
    """
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    asked = {check_choice(f, (*FEATURES, *PENDING), "enable") for f in enable}
    enable = tuple(f for f in (*FEATURES, *PENDING) if f in asked or f in FEATURES)
    if isinstance(shape, str):
        if shape == "template":
            return _template(folder)
        shape = ZOO[check_choice(shape, list(ZOO), "shape")]
    _check_shape(shape, enable)
    gen = rng(check_int(seed, "seed", minimum=0))
    names = _NAMES[(shape.language, shape.spss_names)]
    sites = _sites(shape, gen)
    people = _people(shape, sites, gen)
    waves = _draw_waves(shape, people, sites, gen)
    files = _write_sources(folder, shape, waves, names, enable, gen)
    truth = _truth(shape, sites, people, waves, names, files, seed, enable)
    if shape.population:
        files["population"] = _write_population(folder, shape, sites, names, enable, gen)
        truth["files"]["population"] = files["population"]
    if shape.partners:
        files["partners"] = _write_partners(folder, sites, gen)
    if shape.interviews:
        truth["interviews"] = _write_interviews(folder / "entrevues.qdpx", sites, seed,
                                                _GROUPS[shape.language])
    _write_key(folder, seed)
    (folder / "codebook.yaml").write_text(_dump(_codebook(shape, names, sites)),
                                          encoding="utf-8")
    (folder / "study.yaml").write_text(_dump(_study(shape, names, files, enable)),
                                       encoding="utf-8")
    (folder / "truth.json").write_text(
        json.dumps(truth, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n",
        encoding="utf-8")
    return folder / "study.yaml"


def _check_shape(shape: ZooShape, enable: tuple[str, ...]) -> None:
    check_choice(shape.language, ("fr", "en"), "shape.language")
    check_choice(shape.id_format, ID_FORMATS, "shape.id_format")
    check_choice(shape.staff, ("none", "inline", "file"), "shape.staff")
    check_choice(shape.reverse, ("none", "codebook", "instrument"), "shape.reverse")
    check_int(shape.n_sites, "shape.n_sites", minimum=1, maximum=500)
    check_int(shape.waves, "shape.waves", minimum=1, maximum=3)
    for fmt in shape.formats:
        check_choice(fmt, FORMATS, "shape.formats")
    if "sav" in shape.formats and not shape.spss_names:
        raise ArgumentError("SPSS files need column names without spaces or apostrophes: set "
                            "spss_names=True", where="shape")


def _numeric(names: dict) -> list[str]:
    return [*names["ladder"], *names["outcomes"], *names["wellbeing"], names["used"],
            names["satisfaction"]]


def _write_sources(folder: Path, shape: ZooShape, waves: list[pd.DataFrame], names: dict,
                   enable: tuple[str, ...], gen: np.random.Generator) -> dict[str, Any]:
    survey, staff_rows = [], []
    numeric = _numeric(names) + ([names["wave"]] if shape.language == "fr" else [])
    labels = _sav_labels(shape, names)
    for w, frame in enumerate(waves, 1):
        frame = _rename(frame.assign(group=frame["group"].map(_GROUPS[shape.language])), names)
        if not shape.skip_logic:
            frame = frame.drop(columns=[names["used"], names["satisfaction"]], errors="ignore")
        if shape.staff == "file":
            is_staff = frame[names["group"]] == _GROUPS[shape.language]["staff"]
            staff_rows.append(frame[is_staff])
            frame = frame[~is_staff]
        fmt = shape.format_of(w)
        if fmt == "sav":
            frame = _with_missing_codes(frame, names["ladder"], gen)
        suffix = {"csv": "csv", "csv_fr": "csv", "xlsx": "xlsx", "sav": "sav"}[fmt]
        name = f"{'temps' if shape.language == 'fr' else 'wave'}_{w}.{suffix}"
        how = _write(frame.reset_index(drop=True), folder / name, fmt, numeric=numeric,
                     labels=labels, missing=names["ladder"] if fmt == "sav" else [],
                     sheet="Réponses" if fmt == "xlsx" and shape.language == "fr" else None)
        survey.append({"path": name, "wave": _waves(shape)[w - 1], **how})
    if staff_rows:
        staff = pd.concat(staff_rows, ignore_index=True).drop(columns=[names["group"]])
        entry: dict[str, Any] = {"path": "personnel.xlsx", "group":
                                 _GROUPS[shape.language]["staff"]}
        if "source_columns" in enable:  # the staff file's own name for the identifier
            staff = staff.rename(columns={names["id"]: names["staff_id"]})
            entry["columns"] = {names["staff_id"]: names["id"]}
        how = _write(staff, folder / "personnel.xlsx", "xlsx", numeric=numeric,
                     sheet="Personnel")
        survey.append({**entry, **how, "staff": True})
    return {"survey": survey}


def _sav_labels(shape: ZooShape, names: dict) -> dict:
    agree = {1.0: "Pas du tout d'accord", 2.0: "Plutôt pas d'accord", 3.0: "Neutre",
             4.0: "Plutôt d'accord", 5.0: "Tout à fait d'accord", 8.0: "Ne sait pas",
             9.0: "Refus"}
    return {item: agree for item in names["ladder"]}


def _write_population(folder: Path, shape: ZooShape, sites: pd.DataFrame, names: dict,
                      enable: tuple[str, ...], gen: np.random.Generator) -> dict[str, Any]:
    rows = []
    for site, total in zip(sites["site"], sites["population"], strict=True):
        ages = gen.multinomial(int(total), gen.dirichlet(np.ones(len(_AGE)) * 5))
        for level, count in zip(_AGE, ages, strict=True):
            rows.append((site, names["age"], level, int(count)))
        female = int(gen.binomial(int(total), 0.45 + 0.1 * gen.random()))
        rows.append((site, names["sex"], _SEX[shape.language][0], female))
        rows.append((site, names["sex"], _SEX[shape.language][1], int(total) - female))
    headers = [names["site"], "dimension", "level", "count"]
    own = {"fr": ["Territoire", "Variable", "Modalité", "Effectif"],
           "en": ["Area", "Variable", "Category", "People"]}[shape.language]
    use_own = "population_columns" in enable
    frame = pd.DataFrame(rows, columns=own if use_own else headers)
    frame.to_csv(folder / "population.csv", index=False, lineterminator="\n")
    spec: dict[str, Any] = {"path": "population.csv",
                            "set": {names["group"]: _GROUPS[shape.language]["user"]}}
    if use_own:
        spec["columns"] = dict(zip(own, headers, strict=True))
    return spec


def _write_partners(folder: Path, sites: pd.DataFrame, gen: np.random.Generator) -> dict:
    rows = [(f"{site[:3].upper()}-P{k:02d}", site, int(gen.integers(1, 6)))
            for site in sites["site"] for k in range(1, int(gen.integers(2, 6)))]
    pd.DataFrame(rows, columns=["partner", "site", "level"]).to_csv(
        folder / "partenaires.csv", index=False, lineterminator="\n")
    return {"path": "partenaires.csv"}


def _write_interviews(path: Path, sites: pd.DataFrame, seed: int,
                      groups: dict[str, str]) -> dict[str, Any]:
    documents, segments, truth = make_demo_interviews(sites=list(sites["site"]), seed=seed + 1,
                                                      n_per_site=3)
    # The interviewees' groups in the study's own words.
    documents = documents.assign(group=documents["group"].map(groups))
    segments = segments.assign(group=segments["group"].map(groups))
    write_qdpx(path, documents=documents, segments=segments, codes=interview_codebook(),
               origin="evalkit zoo")
    return {k: truth[k] for k in ("agreement", "tokenism_site", "integrated_site")}


def _write_key(folder: Path, seed: int) -> None:
    key = rng(seed + 7).integers(0, 256, 32, dtype=np.uint8).tobytes().hex()
    (folder / "zoo.key").write_text(f"{DEMO_KEY_MARK}\n{key}\n", encoding="utf-8")


# -- codebook and study.yaml ------------------------------------------------------------------

def _codebook(shape: ZooShape, names: dict, sites: pd.DataFrame) -> dict:
    lang = shape.language
    agree = {1: _bi("Pas du tout d'accord", "Strongly disagree"),
             2: _bi("Plutôt pas d'accord", "Disagree"), 3: _bi("Neutre", "Neutral"),
             4: _bi("Plutôt d'accord", "Agree"), 5: _bi("Tout à fait d'accord", "Strongly agree")}
    met = {1: _bi("Pas du tout atteint", "Not met"), 2: _bi("Un peu atteint", "Partly met"),
           3: _bi("En bonne partie atteint", "Mostly met"), 4: _bi("Tout à fait atteint",
                                                                   "Fully met")}
    missing = {8: _bi("Ne sait pas", "Don't know"), 9: _bi("Refus", "Refused")}
    groups = [g for g in ("user", "carer", "staff")
              if (g != "carer" or shape.carers) and (g != "staff" or shape.staff != "none")]
    variables: dict[str, Any] = {
        names["id"]: {"type": "id", "label": _bi("Identifiant", "Identifier"),
                      "identifying": True},
        names["site"]: {"type": "category", "label": _bi("Territoire", "Site"),
                        "values": {s: _bi(s) for s in sites["site"]}},
        names["wave"]: {"type": "category", "label": _bi("Temps de mesure", "Wave"),
                        "values": {w: _bi(f"Temps {w}", f"Wave {w}") for w in _waves(shape)}},
        names["group"]: {"type": "category", "label": _bi("Type de répondant",
                                                          "Respondent type"),
                         "values": {_GROUPS[lang][g]: _bi(_GROUPS["fr"][g], _GROUPS["en"][g])
                                    for g in groups}},
        names["age"]: {"type": "category", "label": _bi("Groupe d'âge", "Age group"),
                       "values": {a: _bi(a) for a in _AGE}},
        names["sex"]: {"type": "category", "label": _bi("Sexe", "Sex"),
                       "values": {v: _bi(v) for v in _SEX[lang]}},
    }
    for k, item in enumerate(names["ladder"]):
        variables[item] = {"type": "likert", "label": _bi(*_ITEM_LABELS["ladder"][k]),
                           "values": "accord", "missing": missing}
    for k, item in enumerate(names["outcomes"]):
        variables[item] = {"type": "likert", "label": _bi(*_ITEM_LABELS["outcomes"][k]),
                           "values": "atteint", "required": False}
    for k, item in enumerate(names["wellbeing"]):
        var: dict[str, Any] = {"type": "likert", "label": _bi(*_ITEM_LABELS["wellbeing"][k]),
                               "values": "accord", "required": False}
        if shape.reverse == "codebook" and k in _REVERSED:
            var["reverse"] = True
        variables[item] = var
    if shape.skip_logic:
        variables[names["used"]] = {"type": "category", "label": _bi("Services reçus",
                                                                     "Services used"),
                                    "values": {0: _bi("Non", "No"), 1: _bi("Oui", "Yes")},
                                    "required": False,
                                    "asked_if": {"variable": names["group"], "values": [
                                        _GROUPS[shape.language]["user"]]}}
        variables[names["satisfaction"]] = {"type": "likert", "label": _bi(
            "Satisfaction à l'égard des services", "Satisfaction with services"),
            "values": "accord", "required": False,
            "asked_if": {"variable": names["used"], "values": [1]}}
    variables[names["comment"]] = {"type": "text", "label": _bi("Commentaire", "Comment"),
                                   "required": False}
    return {"value_sets": {"accord": agree, "atteint": met}, "variables": variables}


def _study(shape: ZooShape, names: dict, files: dict, enable: tuple[str, ...]) -> dict:
    lang = shape.language
    survey = []
    for entry in files["survey"]:
        spec: dict[str, Any] = {"path": entry["path"]}
        if entry["format"] == "xlsx" and entry.get("sheet") not in (None, "Data"):
            spec["sheet"] = entry["sheet"]
        if entry.get("staff"):
            spec["set"] = {names["group"]: entry["group"]}
            if "columns" in entry:
                spec["columns"] = entry["columns"]
        survey.append(spec)
    sources: dict[str, Any] = {"survey": survey}
    if "population" in files:
        sources["population"] = {k: v for k, v in files["population"].items()}
    if "partners" in files:
        sources["partners"] = files["partners"]
    if shape.interviews:
        sources["interviews"] = [{"path": "entrevues.qdpx"}]
    waves = _waves(shape)
    users = _GROUPS[lang]["user"]
    involvement: dict[str, Any] = {
        "ladder": names["ladder"], "agree_at": AGREE_AT,
        "tokenism": {"voice": [names["ladder"][1]], "influence": [names["ladder"][2]]}}
    if shape.staff != "none":
        involvement["perception"] = {"staff": [_GROUPS[lang]["staff"]], "users": [users]}
    measures: dict[str, Any] = {"involvement": involvement}
    if shape.waves >= 2:
        measures["outcomes"] = {"items": names["outcomes"], "met_at": MET_AT}
    keys = [f"be{k}" for k in range(1, 7)]
    instrument: Any = "likert"
    items: Any = names["wellbeing"]
    if shape.reverse == "instrument":
        instrument = {"extends": "likert", "name": "bien_etre", "items": keys,
                      "reverse": [keys[k] for k in _REVERSED]}
        items = dict(zip(keys, names["wellbeing"], strict=True))
    measures["scales"] = {"bien_etre": {"instrument": instrument, "items": items}}
    if shape.partners:
        measures["integration"] = {"levels": [_bi(fr, en) for fr, en in (
            ("Fragmentation", "Fragmented"), ("Coopération", "Cooperation"),
            ("Coordination", "Coordination"), ("Collaboration", "Collaboration"),
            ("Services intégrés", "Integrated services"))]}
    study: dict[str, Any] = {
        "study": f"zoo-{shape.name}",
        "title": _bi(f"Étude du zoo : {shape.name}", f"Zoo study: {shape.name}"),
        "languages": ["fr", "en"], "sources": sources, "codebook": "codebook.yaml",
        "roles": {"id": names["id"], "site": names["site"], "wave": names["wave"],
                  "group": names["group"]},
        "measures": measures,
        "privacy": {"min_cell": 5, "min_n_for_rates": 10, "pseudonymise": [names["id"]],
                    "redact": [names["comment"]], "key": {"file": "zoo.key"}},
        "parameters": {"confidence": 0.95, "bootstrap": 200, "seed": 20261122},
    }
    if shape.waves >= 2 or lang == "en":
        study["waves"] = {"baseline": waves[0], "follow_up": waves[1:]}
    return study


def _truth(shape, sites, people, waves, names, files, seed, enable) -> dict[str, Any]:
    lang = shape.language
    base = waves[0]
    counts = base.groupby(["site", "group"]).size()
    tiny = sites["site"].iloc[-1] if shape.tiny_site else None
    return {
        "shape": asdict(shape), "seed": seed, "enabled": list(enable),
        "pending": [p for p in shape.pending if p not in enable],
        "names": names, "groups": _GROUPS[lang], "waves": _waves(shape),
        "agree_at": AGREE_AT, "met_at": MET_AT,
        "voice": names["ladder"][1], "influence": names["ladder"][2],
        "reversed_items": [names["wellbeing"][k] for k in _REVERSED],
        "wellbeing_range": [1, 5],
        "skip_logic": ({"item": names["satisfaction"], "asked_if": {names["used"]: 1}}
                       if shape.skip_logic else None),
        "tiny_site": tiny,
        "planted": {
            "tokenism_rate": dict(zip(sites["site"], sites["tokenism"].round(6), strict=True)),
            "p_consulted": dict(zip(sites["site"], sites["p_consulted"].round(6), strict=True)),
            "site_change_effect": dict(zip(sites["site"], sites["change_effect"].round(6),
                                           strict=True)),
            "change_per_rung_latent": _BETA_LATENT,
            "change_per_rung_observed": round(_BETA_LATENT * (1 - (
                _BASELINE_RATING_P[0] + _BASELINE_RATING_P[-1]) / 2), 6),
            "wellbeing_loadings": list(_WB_LOADINGS),
        },
        "baseline_counts": {f"{s}|{g}": int(n) for (s, g), n in counts.items()},
        "rows_by_wave": [len(w) for w in waves],
        "files": {"survey": files["survey"]},
    }


def _template(folder: Path) -> Path:
    """The ``evalkit new`` template as a zoo shape (with its example data)."""
    import shutil

    template = resources.files("evalkit.config") / "templates" / "new"
    with resources.as_file(template) as source:
        shutil.copytree(source, folder, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__"))
    truth = {"shape": {"name": "template"}, "pending": [], "enabled": [],
             "names": {"id": "respondent_id", "site": "site", "wave": "wave",
                       "group": "respondent_type"}}
    (folder / "truth.json").write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    return folder / "study.yaml"


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)

