"""Privacy and disclosure control: scrubbing, keyed pseudonyms, suppression, release checks.

Everything that leaves the analyst's machine goes through this package: free text is scrubbed,
identifiers become keyed pseudonyms, small counts are suppressed, and a run is scanned before
release.
"""

from evalkit.privacy.scrub import (
    IDENTIFIER_KINDS,
    Identifier,
    find_identifiers,
    scrub_text,
    scrub_texts,
)

__all__ = [
    "IDENTIFIER_KINDS",
    "Identifier",
    "find_identifiers",
    "scrub_text",
    "scrub_texts",
]
