"""Errors whose message embeds another catalogue sentence (a rule, a reason), in both languages."""

from __future__ import annotations

from typing import Any

from evalkit.errors import EvalkitError
from evalkit.i18n import has_key, t


def catalogue_error(cls: type[EvalkitError], key: str, *, where: str | None = None,
                    nested: dict[str, str] | None = None, **params: Any) -> EvalkitError:
    """Like ``cls.from_catalogue(key, ...)``, where each ``nested`` parameter is itself a
    catalogue key, translated into the language of the message (and filled from ``params``).
    """

    def fill(lang: str) -> dict[str, Any]:
        return {**params, **{name: t(sub, lang, **params) for name, sub in
                             (nested or {}).items()}}

    hint = f"{key}.hint"
    en, fr = fill("en"), fill("fr")
    return cls(t(key, "en", **en), where=where,
               hint=t(hint, "en", **en) if has_key(hint) else None,
               message_fr=t(key, "fr", **fr),
               hint_fr=t(hint, "fr", **fr) if has_key(hint) else None)
