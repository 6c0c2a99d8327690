"""Synthetic coded interviews for the demo study: transcripts, two coders, planted differences.

Short interviews with service users, carers and staff at several sites, mostly in French, about
involvement, tokenism, personal outcomes (Talking Points), networks and the integration of
services; coded by two coders with a planted level of agreement. Everything is invented.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from evalkit._checks import check_int, check_probability, rng
from evalkit.datasets import _interview_text as T
from evalkit.errors import ArgumentError
from evalkit.read.qda.frames import (
    SEGMENT_COLUMNS,
    check_documents,
    derived_id,
    frame_from_records,
    sort_segments,
)

__all__ = ["CODERS", "GROUPS", "interview_codebook", "make_demo_interviews"]

#: The respondent groups, in the order interviews cycle through them at each site.
GROUPS: tuple[str, ...] = ("user", "carer", "staff")
#: The two coders: the first codes every document, the second a shared subset.
CODERS: tuple[str, str] = ("codeur_A", "codeur_B")

# Weights of the answer codes to each question, by site profile (planted differences).
_INVOLVEMENT = {
    "typical": {"informe": 0.25, "consulte": 0.25, "codecision": 0.15, "savoir": 0.10,
                "sans_effet": 0.12, "symbolique": 0.07, "pouvoir": 0.06},
    "tokenism": {"informe": 0.15, "consulte": 0.15, "codecision": 0.03, "savoir": 0.03,
                 "sans_effet": 0.34, "symbolique": 0.15, "pouvoir": 0.15},
}
_INFLUENCE = {
    "typical": {"sans_effet": 0.30, "codecision": 0.30, "savoir": 0.20, "symbolique": 0.10,
                "pouvoir": 0.10},
    "tokenism": {"sans_effet": 0.60, "codecision": 0.05, "savoir": 0.05, "symbolique": 0.15,
                 "pouvoir": 0.15},
}
_OUTCOMES = {
    "typical": {"securite": 1, "voir_gens": 1, "mot_a_dire": 1, "ecoute": 1, "activites": 1,
                "moral": 1},
    "tokenism": {"securite": 1, "voir_gens": 1, "mot_a_dire": 0.3, "ecoute": 0.3,
                 "activites": 1, "moral": 1},
}
_NETWORK = {"reseau": 0.5, "communautaire": 0.5}
_INTEGRATION = {"typical": {"coordination": 0.35, "fragmentes": 0.65},
                "integrated": {"coordination": 0.8, "fragmentes": 0.2}}
#: Probability that a document's closing answer carries an invented contact.
_CONTACT_SHARE = 0.3
_VOWELS = tuple("aeiouyàâéèêëîïôûùh")


def interview_codebook() -> pd.DataFrame:
    """The codebook of the demo interviews: 17 codes in 4 themes, French names, English labels.

    Returns
    -------
    DataFrame
        One row per code: ``code_path`` ("Thème/Code"), ``code`` (French name), ``theme``,
        ``label_en``, ``theme_en``, ``description`` (French, with the English label), ``color``
        (the theme's colour), ``key`` (a short identifier).

    Examples
    --------
    >>> book = interview_codebook()
    >>> book["theme"].nunique(), len(book)
    (4, 17)
    """
    rows = []
    for key, (theme, name, label, description) in T.CODES.items():
        rows.append({"code_path": f"{theme}/{name}", "code": name, "theme": theme,
                     "label_en": label, "theme_en": T.THEME_LABELS_EN[theme],
                     "description": f"{description} (EN: {label})",
                     "color": T.THEME_COLORS[theme], "key": key})
    return pd.DataFrame(rows)


def make_demo_interviews(*, sites: Sequence[str], seed: int | np.random.Generator,
                         n_per_site: int = 6, agreement: float = 0.8,
                         lang_share_en: float = 0.2, share_double_coded: float = 0.3
                         ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Generate coded demo interviews with planted site differences and coder agreement.

    Parameters
    ----------
    sites : sequence of str
        The site names (at least one, all different).
    seed : int or numpy Generator
        The source of randomness; the same seed gives the same interviews.
    n_per_site : int
        Interviews per site; respondent groups cycle through user, carer, staff.
    agreement : float
        Probability (0–1) that the second coder gives a unit the first coder's code; otherwise
        another code of the same theme (half the time) or no code.
    lang_share_en : float
        Probability (0–1) that an interview is in English rather than French.
    share_double_coded : float
        Share of documents (0–1) the second coder also codes (at least one document).

    Returns
    -------
    documents : DataFrame
        ``document``, ``participant``, ``site``, ``group``, ``language`` (``fr``/``en``),
        ``text`` (one turn per line: ``Q :``/``R :`` in French, ``Q:``/``A:`` in English),
        ``n_chars``.
    segments : DataFrame
        The segments frame (:data:`~evalkit.SEGMENT_COLUMNS`): each coded answer turn
        (its text after the speaker label), with ``unit`` the turn id
        (``"<document>#<line>"``, as :func:`~evalkit.units_from_turns` gives).
    truth : dict
        The planted parameters: ``seed``, ``sites``, ``agreement``, ``lang_share_en``,
        ``share_double_coded``, ``tokenism_site`` (the second site: tokenism codes dominate
        its involvement answers; None with one site), ``integrated_site`` (the first site:
        coordination outweighs fragmentation; None with one site), ``weights`` (answer-code
        weights by question and site profile), ``double_coded`` (the documents coder B
        coded), ``n_units_double_coded`` and ``observed_agreement`` (share of those units
        where B gave A's code), ``planted_identifiers`` (invented names, phone numbers and
        e-mails with their document and unit), ``codebook`` (code paths).

    Notes
    -----
    Coder A's code is the code the answer was generated from (the truth). The transcripts
    are built from templates with variable slots, openers and tails, so no two are the same.

    Examples
    --------
    >>> docs, segs, truth = make_demo_interviews(sites=["Sherbrooke", "Magog"], seed=7,
    ...                                          n_per_site=3)
    >>> len(docs), truth["tokenism_site"], sorted(segs["coder"].unique())
    (6, 'Magog', ['codeur_A', 'codeur_B'])
    """
    sites = _check_sites(sites)
    n_per_site = check_int(n_per_site, "n_per_site", minimum=1)
    agreement = check_probability(agreement, "agreement", open_interval=False)
    lang_share_en = check_probability(lang_share_en, "lang_share_en", open_interval=False)
    share_double_coded = check_probability(share_double_coded, "share_double_coded",
                                           open_interval=False)
    gen = rng(seed)
    builder = _Builder(gen, sites)
    documents, coded = builder.documents(n_per_site, lang_share_en)
    double = _choose_double_coded(gen, documents["document"].tolist(), share_double_coded)
    segments, observed, n_units = _code(gen, coded, documents, double, agreement)
    truth = {
        "seed": seed if isinstance(seed, int) else None, "sites": list(sites),
        "n_per_site": n_per_site, "agreement": agreement, "lang_share_en": lang_share_en,
        "share_double_coded": share_double_coded,
        "tokenism_site": sites[1] if len(sites) > 1 else None,
        "integrated_site": sites[0] if len(sites) > 1 else None,
        "weights": {"involvement": _INVOLVEMENT, "influence": _INFLUENCE,
                    "outcomes": _OUTCOMES, "network": {"typical": _NETWORK},
                    "integration": _INTEGRATION},
        "double_coded": double, "n_units_double_coded": n_units,
        "observed_agreement": observed, "planted_identifiers": builder.planted,
        "codebook": interview_codebook()["code_path"].tolist(),
    }
    return documents, segments, truth


def _check_sites(sites: Any) -> list[str]:
    ok = (isinstance(sites, Sequence) and not isinstance(sites, str) and len(sites) > 0
          and all(isinstance(s, str) and s.strip() for s in sites)
          and len(set(sites)) == len(sites))
    if not ok:
        raise ArgumentError(f"sites must be a non-empty list of different site names, got "
                            f"{sites!r}", where="sites")
    return list(sites)


def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", plain).strip("-").upper() or "SITE"


def _weights(table: dict[str, float]) -> tuple[list[str], np.ndarray]:
    keys = list(table)
    p = np.array([table[k] for k in keys], dtype=float)
    return keys, p / p.sum()


class _Builder:
    """Writes one transcript at a time, line by line, remembering the coded turns."""

    def __init__(self, gen: np.random.Generator, sites: list[str]) -> None:
        self.gen = gen
        self.sites = sites
        self.planted: list[dict[str, Any]] = []
        slugs = [_slug(s) for s in sites]
        self.slugs = [s if slugs.count(s) == 1 else f"{s}{i + 1}" for i, s in enumerate(slugs)]

    def pick(self, options: Sequence[Any]) -> Any:
        return options[int(self.gen.integers(len(options)))]

    def documents(self, n_per_site: int, lang_share_en: float):
        rows, coded, seen = [], [], set()
        for i, site in enumerate(self.sites):
            profile = {"involvement": "tokenism" if i == 1 else "typical",
                       "integration": "integrated" if i == 0 and len(self.sites) > 1
                       else "typical"}
            for k in range(1, n_per_site + 1):
                group = GROUPS[(k - 1) % len(GROUPS)]
                lang = "en" if self.gen.random() < lang_share_en else "fr"
                name = f"ENT-{self.slugs[i]}-{k:02d}"
                while True:  # no two transcripts alike (a repeat is astronomically rare)
                    planted = len(self.planted)
                    text, turns = self.transcript(name, lang, group, profile)
                    if text not in seen:
                        break
                    del self.planted[planted:]
                seen.add(text)
                rows.append({"document": name, "participant": f"P{i + 1:02d}-{k:02d}",
                             "site": site, "group": group, "language": lang, "text": text})
                coded.extend(turns)
        return check_documents(pd.DataFrame(rows)), coded

    # -- one transcript

    def transcript(self, document: str, lang: str, group: str, profile: dict[str, str]):
        self.lines: list[str] = []
        self.turns: list[dict[str, Any]] = []
        self.document, self.lang, self.group = document, lang, group
        self.slots = self._slots()
        self.ask("intro")
        self.answer_text(self.pick(T.INTRO_ANSWERS[lang][group]))
        self.ask("involvement")
        self.answer(_INVOLVEMENT[profile["involvement"]])
        self.ask("influence")
        self.answer(_INFLUENCE[profile["involvement"]])
        outcomes = _weights(_OUTCOMES[profile["involvement"]])
        chosen = self.gen.choice(outcomes[0], size=2, replace=False, p=outcomes[1])
        for topic, key in zip(("outcomes", "more"), chosen, strict=True):
            self.ask(topic)
            self.answer({str(key): 1.0})
        if self.gen.random() < 0.85:
            self.ask("network")
            self.answer(_NETWORK)
        self.ask("integration")
        self.answer(_INTEGRATION[profile["integration"]])
        if group != "staff" or self.gen.random() < 0.5:
            self.ask("closing")
            if self.gen.random() < _CONTACT_SHARE:
                self.contact()
            else:
                self.answer_text(self.pick(T.UNCODED_ANSWERS[lang]), raw=True)
        self.lines.append(T.SPEAKERS[lang][0] + self.pick(T.QUESTIONS[lang]["thanks"]))
        return "\n".join(self.lines), self.turns

    def _slots(self) -> dict[str, str]:
        words = T.SLOTS[self.lang]
        service, meeting, activity = (self.pick(words["service"]), self.pick(words["meeting"]),
                                      self.pick(words["activity"]))
        return {"service": service[0], "du_service": service[1], "au_service": service[2],
                "meeting": meeting[0], "du_meeting": meeting[1], "au_meeting": meeting[2],
                "activity": activity[0], "au_activity": activity[1],
                "person": self.pick(words["person"]), "time": self.pick(words["time"]),
                "relative": self.pick(words["relative"]), "cared": self.pick(words["cared"]),
                "role": self.pick(words["role"])}

    def ask(self, topic: str) -> None:
        table = T.STAFF_QUESTIONS if self.group == "staff" else T.QUESTIONS
        options = table[self.lang].get(topic) or T.QUESTIONS[self.lang][topic]
        self.lines.append(T.SPEAKERS[self.lang][0] + self.pick(options))

    def answer(self, weights: dict[str, float]) -> None:
        keys, p = _weights(weights)
        key = str(self.gen.choice(keys, p=p))
        table = T.STAFF_ANSWERS if self.group == "staff" else T.ANSWERS
        self.answer_text(self.pick(table[self.lang][key]), code=key)

    def answer_text(self, core: str, *, code: str | None = None, raw: bool = False) -> None:
        sentence = core.format(**self.slots)
        if not raw:
            sentence = _capital(_join(self.pick(T.SLOTS[self.lang]["opener"]), sentence))
            sentence += self.pick(T.SLOTS[self.lang]["tail"])
        self._respond(sentence, code)

    def _respond(self, sentence: str, code: str | None) -> int:
        prefix = T.SPEAKERS[self.lang][1]
        start = sum(len(line) + 1 for line in self.lines) + len(prefix)
        self.lines.append(prefix + sentence)
        line = len(self.lines)
        if code is not None:
            self.turns.append({"document": self.document, "key": code, "start": start,
                               "end": start + len(sentence), "text": sentence,
                               "unit": f"{self.document}#{line}"})
        return line

    def contact(self) -> None:
        template, kinds = self.pick(T.CONTACT_ANSWERS[self.lang])
        first, last = self.pick(T.FIRST_NAMES), self.pick(T.LAST_NAMES)
        values = {"name": f"{first} {last}",
                  "phone": self.pick(T.PHONE_FORMATS).format(
                      area=self.pick(T.AREA_CODES), line=f"01{int(self.gen.integers(100)):02d}"),
                  "email": f"{_ascii(first)}.{_ascii(last)}@{self.pick(T.EMAIL_DOMAINS)}"}
        line = self._respond(template.format(**values), "communautaire")
        for kind in kinds:
            self.planted.append({"document": self.document, "unit": f"{self.document}#{line}",
                                 "kind": kind, "value": values[kind]})


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _join(opener: str, sentence: str) -> str:
    """Opener and sentence, with French elision (« que il » → « qu'il »)."""
    if opener.endswith("que ") and sentence.lower().startswith(_VOWELS):
        return opener[:-2] + "'" + sentence
    return opener + sentence


def _capital(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


def _choose_double_coded(gen: np.random.Generator, documents: list[str], share: float
                         ) -> list[str]:
    n = max(1, int(round(share * len(documents)))) if share > 0 else 0
    picked = gen.choice(len(documents), size=n, replace=False) if n else []
    return [documents[i] for i in sorted(int(i) for i in picked)]


def _code(gen: np.random.Generator, coded: list[dict[str, Any]], documents: pd.DataFrame,
          double: list[str], agreement: float) -> tuple[pd.DataFrame, float | None, int]:
    """Coder A codes every coded turn with its true code; coder B the shared documents."""
    book = interview_codebook().set_index("key")
    meta = documents.set_index("document")[["participant", "site", "group"]]
    by_theme = book.groupby("theme").groups
    rows, same, n_units = [], 0, 0
    double_set = set(double)
    for turn in coded:
        rows.append(_row(turn, turn["key"], CODERS[0], book, meta))
        if turn["document"] not in double_set:
            continue
        n_units += 1
        if gen.random() < agreement:
            key = turn["key"]
        elif gen.random() < 0.5:
            others = [k for k in by_theme[book.loc[turn["key"], "theme"]] if k != turn["key"]]
            key = str(others[int(gen.integers(len(others)))])
        else:
            key = None
        if key is not None:
            rows.append(_row(turn, key, CODERS[1], book, meta))
        same += key == turn["key"]
    frame = frame_from_records(rows, SEGMENT_COLUMNS, ints=("start", "end"))
    observed = same / n_units if n_units else None
    return sort_segments(frame), observed, n_units


def _row(turn: dict[str, Any], key: str, coder: str, book: pd.DataFrame,
         meta: pd.DataFrame) -> dict[str, Any]:
    info = meta.loc[turn["document"]]
    return {"segment_id": derived_id("demo-segment", turn["unit"], key, coder),
            "document": turn["document"], "participant": info["participant"],
            "site": info["site"], "group": info["group"], "code": book.loc[key, "code"],
            "code_path": book.loc[key, "code_path"], "coder": coder, "start": turn["start"],
            "end": turn["end"], "text": turn["text"], "unit": turn["unit"]}
