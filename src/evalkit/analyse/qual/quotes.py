"""A quote bank: short, scrubbed quotes by code, site and group, attributed by role and site only
(coarsened when the group an attribution names holds fewer than ``min_cell`` people).

Every quote passes through :func:`_redact` (the privacy layer's scrubber) before it is trimmed
and chosen; no quote carries a participant id, a name or a document.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from evalkit._checks import check_choice, check_int, rng
from evalkit.analyse.qual._segments import (
    at_level,
    case_column,
    centrality,
    check_level,
    check_values,
    filter_rows,
    require_columns,
    select_coder,
    trim_sentences,
)
from evalkit.errors import ArgumentError
from evalkit.i18n import LANGUAGES, t
from evalkit.prepare.scrub import scrub_texts

__all__ = ["QUOTE_COLUMNS", "attribution", "quote_bank", "quote_language"]

#: The columns of :func:`quote_bank`'s output.
QUOTE_COLUMNS = ["code_path", "site", "group", "rank", "segment_id", "quote", "language",
                 "attribution", "n_chars"]

# Frequent short words of each language that the other does not use as words (articles,
# pronouns, prepositions, auxiliaries; "a", "on", "est", "me", "pas"... are left out: French and
# English share them or their forms, and so are the letters English elisions leave: 's, 'm, 'd).
_STOP_WORDS = {
    "fr": frozenset("""le la les des du un une au aux et ou mais donc je tu il elle nous vous
        ils elles ce cette ces mon ma mes ton ta tes son sa ses leur leurs qui que quoi dont
        pour dans avec sans sur sous chez ne plus très aussi été être avoir ont sont était
        avait fait comme quand parce moi lui eux y c j l qu n""".split()),
    "en": frozenset("""the of and or but so i you he she we they it this that these those my
        your his her our their who what which whom for in with without at from by not no
        very also been be have has had was were is are do did does when because me him them
        there will would can could about""".split()),
}

# Group values read as each role, compared without case, accents, spaces or punctuation
# ("Proche aidant·e" -> "procheaidante").
_ROLES = {
    "user": {"user", "users", "serviceuser", "serviceusers", "usager", "usagers", "usagere",
             "usageres", "usagerere", "client", "clients", "cliente", "clientes"},
    "carer": {"carer", "carers", "caregiver", "caregivers", "familycarer", "familycarers",
              "proche", "proches", "procheaidant", "procheaidants", "procheaidante",
              "procheaidantes", "aidant", "aidants", "aidante", "aidantes"},
    "staff": {"staff", "staffmember", "staffmembers", "worker", "workers", "practitioner",
              "practitioners", "intervenant", "intervenants", "intervenante", "intervenantes",
              "employe", "employes", "employee", "employees", "personnel"},
}


def quote_bank(segments: pd.DataFrame, *, code: Any = None, level: str = "code",
               sites: Any = None, groups: Any = None, coder: Any = None, n_per_cell: int = 3,
               max_chars: int = 300, min_chars: int = 40, lang: str = "fr",
               names: Iterable[str] = (), seed: Any = None,
               min_cell: int | None = None,
               documents: pd.DataFrame | None = None) -> pd.DataFrame:
    """Quotes for each code, site and group: scrubbed, trimmed at sentences, role-attributed.

    Parameters
    ----------
    segments : pandas.DataFrame
        The segments frame (``segment_id``, ``document``, ``participant``, ``site``,
        ``group``, ``code_path``, ``coder``, ``start``, ``text``).
    code : str or list of str, optional
        Keep these codes (code paths, code names, or themes: every code of the theme).
    level : {"code", "theme"}
        One cell per code, or per theme.
    sites, groups : value or list of values, optional
        Keep only these sites or groups.
    coder : str, optional
        Whose segments to quote; needed when ``segments`` holds several coders.
    n_per_cell : int, default 3
        At most this many quotes per code, site and group.
    max_chars, min_chars : int, default 300, 40
        Length limits of a quote after trimming; shorter quotes are left out ("Oui." is not a
        quote).
    lang : {"fr", "en"}
        Language of the attribution and of the scrubber's replacement tokens.
    names : iterable of str
        Names of people known to the study, for the scrubber (participants' values of three
        characters or more are added).
    seed : int, numpy.random.Generator or None
        None: the stable rule below. An integer: a random choice, the same for the same seed.
    min_cell : int, optional
        The disclosure policy's smallest count of people that may be shown
        (``study.privacy.min_cell``): an attribution never names a group of fewer people (see
        :func:`attribution`). None: role and site as they are.
    documents : pandas.DataFrame, optional
        The documents frame (``document``, ``language``): the language each transcript is in.

    Returns
    -------
    pandas.DataFrame
        One row per quote, sorted by code, site, group and rank, with the columns:

        - ``code_path``, ``site``, ``group``: the cell (with ``min_cell``, the site or role the
          attribution drops is missing here too);
        - ``rank``: 1 for the first quote of the cell;
        - ``segment_id``: the coded segment, to trace the quote back (not a person; after
          :func:`evalkit.prepare.study.prepare_study`, a keyed pseudonym that leads to the
          private segment file only with the key);
        - ``quote``: the scrubbed, trimmed text;
        - ``language``: the language the quote is in (``fr``, ``en``, another declared code,
          or missing when it cannot be told), for pages to mark a quote in another language;
        - ``attribution``: role and site, e.g. ``Usager·ère, site B`` / ``Service user, site B``;
        - ``n_chars``: length of the quote.

    Notes
    -----
    Every segment's text first goes through the privacy layer's scrubber
    (:func:`evalkit.scrub_texts`: names, e-mails, phone numbers, postal codes, social
    insurance and health-card numbers), then is cut after its last whole sentence within
    ``max_chars`` (" […]" marks the cut; a first sentence longer than that is cut at a word,
    "…"). The choice within a cell is deterministic: quotes of different participants come
    before a second quote of the same participant (one voice does not fill the cell); within
    that, the stable rule prefers the most representative segment (cosine similarity of its
    words with the cell's other segments, as in :func:`~evalkit.framework_matrix`), then
    the order of the transcripts; with a ``seed``, a seeded random order replaces it.

    Attribution names the role and the site only, never the participant or the document; with
    ``min_cell``, the people counted are the interviewees of ``segments`` (every coder, every
    code, before ``sites`` and ``groups`` select). The
    groups ``user``, ``carer`` and ``staff`` (and their French forms, e.g. ``usager``,
    ``proche aidant``, ``intervenant``) are labelled from the catalogues; any other group
    value is shown as it is written (capitalised), a missing group as "Participant·e". Without
    ``min_cell``, small sites or rare roles may point to a person.

    The language of a quote is the one its data declare: a ``language`` column of
    ``segments``, else the ``language`` of its document in ``documents`` (a REFI-QDA case or
    source variable, a column of a segment sheet); ``fr``, ``en`` and their spellings
    (``fr-CA``, ``français``, ``English``...) read as ``fr`` and ``en``. Where none is
    declared, :func:`quote_language` tells it from the segment's words.

    Examples
    --------
    >>> import pandas as pd
    >>> segments = pd.DataFrame({
    ...     "segment_id": ["s1", "s2"], "document": ["d1", "d2"],
    ...     "participant": ["P01", "P02"], "site": ["B", "B"], "group": ["user", "carer"],
    ...     "code_path": ["Voice/Asked", "Voice/Asked"], "coder": "ana", "start": [0, 0],
    ...     "text": ["They asked what I wanted. Marie Roy wrote it down and nothing changed.",
    ...              "Nobody asked me anything about my mother's care, not once in two years."]})
    >>> bank = quote_bank(segments, lang="en", names=["Marie Roy"], min_chars=20)
    >>> for row in bank.itertuples():
    ...     print(f"{row.quote} ({row.attribution}, {row.language})")
    Nobody asked me anything about my mother's care, not once in two years. (Carer, site B, en)
    They asked what I wanted. [NAME] wrote it down and nothing changed. (Service user, site B, en)
    """
    require_columns(segments, ("segment_id", "document", "participant", "site", "group",
                              "code_path", "coder", "start", "text"))
    check_level(level)
    n_per_cell = check_int(n_per_cell, "n_per_cell", minimum=1)
    max_chars = check_int(max_chars, "max_chars", minimum=20)
    min_chars = check_int(min_chars, "min_chars", minimum=0, maximum=max_chars)
    min_cell = None if min_cell is None else check_int(min_cell, "min_cell", minimum=1)
    check_choice(lang, LANGUAGES, "lang")
    people = pd.DataFrame({"site": segments["site"].to_numpy(),
                           "group": segments["group"].to_numpy(),
                           "participant": case_column(segments).to_numpy()})
    generator = None if seed is None else rng(seed)
    chosen, _ = select_coder(segments, coder, allow_consensus=False)
    chosen = filter_rows(chosen, site=check_values(sites, "sites"),
                         group=check_values(groups, "groups"))
    candidates = _candidates(chosen, check_values(code, "code"), level)
    names = [*_names(names), *_participant_names(candidates["case"])]
    candidates["quote"] = _redact(candidates["text"], lang=lang, names=names).map(
        lambda text: trim_sentences(text, max_chars))
    candidates["n_chars"] = candidates["quote"].str.len().astype("int64")
    candidates["language"] = _languages(candidates, segments=chosen, documents=documents)
    candidates = candidates.loc[candidates["n_chars"] >= max(min_chars, 1)]
    picked = _pick(candidates, n_per_cell, generator)
    picked["attribution"] = attribution(picked, lang=lang, people=people, min_cell=min_cell)
    if min_cell is not None:
        # The table says no more than the attribution: a site or role it drops is empty.
        keep_site, keep_role = _said(picked, site="site", group="group", people=people,
                                     participant="participant", min_cell=min_cell)
        picked["site"] = picked["site"].astype(object).where(keep_site, None)
        picked["group"] = picked["group"].astype(object).where(keep_role, None)
    return picked[QUOTE_COLUMNS].reset_index(drop=True)


def attribution(data: pd.DataFrame, *, site: str = "site", group: str = "group",
                lang: str = "fr", people: pd.DataFrame | None = None,
                participant: str = "participant", min_cell: int | None = None) -> pd.Series:
    """The attribution of each row: its role and site, e.g. ``Proche aidant·e, site A``;
    coarsened when the group it names has fewer than ``min_cell`` people.

    Parameters
    ----------
    data : pandas.DataFrame
        Rows with a site and a group column.
    site, group : str
        The columns of the site and of the group (the role), in ``data`` and ``people``.
    lang : {"fr", "en"}
        Language of the labels.
    people : pandas.DataFrame, optional
        Who could be meant: one row per interviewee (or per segment), with the site, group and
        ``participant`` columns; needed with ``min_cell``.
    participant : str, default "participant"
        The column of ``people`` that tells people apart (each is counted once).
    min_cell : int, optional
        The disclosure policy's smallest count of people that may be shown. When fewer people
        of that role were interviewed at that site, the site is dropped (``Proche aidant·e``);
        when fewer people of that role were interviewed across all sites, the role is dropped
        too (``Participant·e``). Roles are compared by their label (``carer`` and ``Proche
        aidant`` are one role). None: role and site as they are.

    Returns
    -------
    pandas.Series
        The attributions, indexed like ``data``.

    Examples
    --------
    >>> import pandas as pd
    >>> rows = pd.DataFrame({"site": ["A", "B", None], "group": ["Proche aidant·e", "staff",
    ...                                                          "Gestionnaire"]})
    >>> attribution(rows, lang="fr").tolist()
    ['Proche aidant·e, site A', 'Intervenant·e, site B', 'Gestionnaire']

    Three carers at site A, five at site B, one staff member in all:

    >>> people = pd.DataFrame({"site": list("AAABBBBBB"),
    ...                        "group": ["carer"] * 8 + ["staff"],
    ...                        "participant": [f"P{i}" for i in range(9)]})
    >>> attribution(rows.iloc[:2], lang="en", people=people, min_cell=5).tolist()
    ['Carer', 'Participant']
    """
    require_columns(data, (site, group), "data")
    check_choice(lang, LANGUAGES, "lang")
    roles = data[group].map(lambda value: _role_label(value, lang), na_action=None)
    keep_site, keep_role = _said(data, site=site, group=group, people=people,
                                 participant=participant, min_cell=min_cell)
    labels = [_attributed(role if role_said else t("qual.role.unknown", lang),
                          where if site_said else None, lang)
              for role, where, site_said, role_said
              in zip(roles, data[site], keep_site, keep_role, strict=True)]
    return pd.Series(labels, index=data.index, dtype="str", name="attribution")


def _said(data: pd.DataFrame, *, site: str, group: str, people: pd.DataFrame | None,
          participant: str, min_cell: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``data``: whether its site, and its role, may be said (each names a group of
    at least ``min_cell`` people; all True without ``min_cell``)."""
    every = np.ones(len(data), dtype=bool)
    if min_cell is None:
        return every, every.copy()
    min_cell = check_int(min_cell, "min_cell", minimum=1)
    if people is None:
        raise ArgumentError("min_cell needs people: the interviewees (site, group and "
                            f"{participant} columns) the attributions could point to",
                            where="people")
    require_columns(people, (site, group, participant), "people")
    # Roles by their label, so that "carer" and "Proche aidant·e" count together.
    who = pd.DataFrame({"site": people[site].astype(object).to_numpy(),
                        "role": people[group].map(lambda value: _role_label(value, "en"),
                                                  na_action=None).to_numpy(),
                        "person": people[participant].astype(object).to_numpy()})
    who = who.dropna(subset=["person"])
    at_site = who.groupby(["role", "site"], dropna=False)["person"].nunique()
    in_role = who.groupby("role", dropna=False)["person"].nunique()
    keys = data[group].map(lambda value: _role_label(value, "en"), na_action=None)
    keep_role = np.array([in_role.get(key, 0) >= min_cell for key in keys], dtype=bool)
    keep_site = np.array([not pd.isna(where) and at_site.get((key, where), 0) >= min_cell
                          for key, where in zip(keys, data[site], strict=True)], dtype=bool)
    return keep_site & keep_role, keep_role


def _attributed(role: str, where: Any, lang: str) -> str:
    return role if pd.isna(where) else t("qual.quote.attribution", lang, role=role,
                                         site=str(where))
def quote_language(text: Any) -> str | None:
    """The language of ``text``, ``fr`` or ``en``, from a count of frequent short words.

    Each word of ``text`` (lower case, split at anything not a letter, so that ``l'équipe``
    gives ``l``) that is in the French list counts for French, in the English list for
    English; the language with more wins, a tie (a text without such words) gives None. The
    same text always gives the same answer; a sentence or two is enough.

    Examples
    --------
    >>> quote_language("On m'a demandé ce que je voulais, puis rien n'a changé.")
    'fr'
    >>> quote_language("They asked what I wanted and nothing changed.")
    'en'
    >>> quote_language("OK.") is None
    True
    """
    if text is None or not isinstance(text, str):
        return None
    words = "".join(ch if ch.isalpha() else " " for ch in text.lower()).split()
    fr = sum(word in _STOP_WORDS["fr"] for word in words)
    en = sum(word in _STOP_WORDS["en"] for word in words)
    if fr == en:
        return None
    return "fr" if fr > en else "en"


def _declared_language(value: Any) -> str | None:
    """A declared language as ``fr``/``en`` (``fr-CA``, ``Français``, ``English``...), another
    code as written (lower case), None when missing."""
    if value is None or pd.isna(value) or not str(value).strip():
        return None
    key = _key(value)
    if key.startswith("fr"):
        return "fr"
    if key.startswith(("en", "anglais")):
        return "en"
    return str(value).strip().lower()


def _languages(candidates: pd.DataFrame, *, segments: pd.DataFrame,
               documents: pd.DataFrame | None) -> pd.Series:
    """The language of each candidate: declared by its segment, else by its document, else
    told from its (unscrubbed, untrimmed) text."""
    declared = pd.Series([None] * len(candidates), index=candidates.index, dtype="object")
    if "language" in segments.columns:
        by_segment = dict(zip(segments["segment_id"].astype(str), segments["language"],
                              strict=True))
        declared = candidates["segment_id"].map(by_segment).map(
            _declared_language, na_action="ignore")
    if documents is not None and {"document", "language"} <= set(documents.columns):
        by_document = dict(zip(documents["document"].astype(str), documents["language"],
                               strict=True))
        from_document = candidates["document"].map(by_document).map(
            _declared_language, na_action="ignore")
        declared = declared.where(declared.notna(), from_document)
    told = candidates["text"].map(quote_language)
    out = declared.where(declared.notna(), told)
    return pd.Series([None if pd.isna(v) else str(v) for v in out], index=candidates.index,
                     dtype="object")


def _redact(texts: pd.Series, *, lang: str, names: Iterable[str] = ()) -> pd.Series:
    """The one door every quote passes before it is shown: the privacy layer's scrubber."""
    return scrub_texts(texts, lang=lang, names=names)


# --- helpers -----------------------------------------------------------------------------------


def _candidates(segments: pd.DataFrame, codes: list | None, level: str) -> pd.DataFrame:
    paths = at_level(segments["code_path"], level)
    if codes is not None:
        theme = segments["code_path"].astype(str).str.split("/", n=1).str[0]
        match = paths.isin(codes) | theme.isin(codes)
        if "code" in segments.columns:
            match |= segments["code"].isin(codes)
        known = set(paths) | set(theme) | (set(segments["code"]) if "code" in segments else set())
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise ArgumentError(f"code names codes that segments do not have: {unknown!r}",
                                where="code")
        segments, paths = segments.loc[match], paths.loc[match]
    out = pd.DataFrame({
        "code_path": paths.to_numpy(), "site": segments["site"].to_numpy(),
        "group": segments["group"].to_numpy(),
        "segment_id": segments["segment_id"].astype(str).to_numpy(),
        "case": case_column(segments).astype(str).to_numpy(),
        "document": segments["document"].astype(str).to_numpy(),
        "start": pd.to_numeric(segments["start"]).to_numpy(dtype=float, na_value=np.nan),
        "text": segments["text"].to_numpy(dtype=object),
    })
    out = out.loc[out["code_path"].notna() & out["text"].notna()]
    return out.drop_duplicates(["code_path", "segment_id"]).reset_index(drop=True)


def _pick(candidates: pd.DataFrame, n_per_cell: int,
          generator: np.random.Generator | None) -> pd.DataFrame:
    cell = ["code_path", "site", "group"]
    data = candidates.sort_values([*cell, "document", "start", "segment_id"], kind="stable",
                                  na_position="last").reset_index(drop=True)
    cell_id = data.groupby(cell, sort=False, dropna=False).ngroup().to_numpy()
    if generator is None:
        data["preference"] = -centrality(data["quote"], cell_id)
    else:
        data["preference"] = generator.random(len(data))
    data["position"] = np.arange(len(data))
    data = data.sort_values([*cell, "preference", "position"], kind="stable",
                            na_position="last")
    # A participant's second quote comes after every participant's first one.
    data["turn"] = data.groupby([*cell, "case"], sort=False, dropna=False).cumcount()
    data = data.sort_values([*cell, "turn", "preference", "position"], kind="stable",
                            na_position="last")
    data["rank"] = data.groupby(cell, sort=False, dropna=False).cumcount() + 1
    return data.loc[data["rank"] <= n_per_cell].copy()


def _key(value: Any) -> str:
    text = unicodedata.normalize("NFKD", str(value)).lower()
    return "".join(ch for ch in text if ch.isalpha() and not unicodedata.combining(ch))


def _role_label(value: Any, lang: str) -> str:
    if value is None or pd.isna(value):
        return t("qual.role.unknown", lang)
    key = _key(value)
    for role, forms in _ROLES.items():
        if key in forms:
            return t(f"qual.role.{role}", lang)
    text = str(value).strip()
    return text[:1].upper() + text[1:]


def _names(names: Any) -> list[str]:
    if isinstance(names, str):
        return [names]
    try:
        return [str(n) for n in names if n is not None and not pd.isna(n)]
    except TypeError:
        raise ArgumentError(f"names must be a list of names, got {type(names).__name__}",
                            where="names") from None


def _participant_names(cases: pd.Series) -> list[str]:
    # Participant values may be names: scrub them from the quotes too (short codes such as "A"
    # would match ordinary words, so only values of three characters or more).
    values = pd.unique(cases.dropna().astype(str))
    return [v for v in values if len(v.strip()) >= 3]
