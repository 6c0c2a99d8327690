"""Privacy and disclosure control: scrubbing, keyed pseudonyms, suppression, release checks.

Everything that leaves the analyst's machine goes through this package: free text is scrubbed,
identifiers become keyed pseudonyms, small counts are suppressed, and a run is scanned before
release.
"""

from evalkit.privacy.disclosure import FINDING_KINDS, check_disclosure, scan_summary
from evalkit.privacy.kanon import (
    KAnonymityReport,
    KAnonymityWarning,
    export_records,
    k_anonymity,
)
from evalkit.privacy.keys import (
    DemoKeyWarning,
    PseudonymKey,
    generate_key,
    load_key,
    write_key_file,
)
from evalkit.privacy.pseudonym import collision_probability, pseudonymise, pseudonymise_frame
from evalkit.privacy.release import neutralise_formulas, write_table
from evalkit.privacy.scrub import (
    IDENTIFIER_KINDS,
    Identifier,
    find_identifiers,
    scrub_text,
    scrub_texts,
)
from evalkit.privacy.suppress import (
    DisclosurePolicy,
    apply_disclosure_control,
    disclosure_intervals,
    suppress_table,
    suppression_note,
)

__all__ = [
    "FINDING_KINDS",
    "IDENTIFIER_KINDS",
    "DemoKeyWarning",
    "DisclosurePolicy",
    "Identifier",
    "KAnonymityReport",
    "KAnonymityWarning",
    "PseudonymKey",
    "apply_disclosure_control",
    "check_disclosure",
    "collision_probability",
    "disclosure_intervals",
    "export_records",
    "find_identifiers",
    "generate_key",
    "k_anonymity",
    "load_key",
    "neutralise_formulas",
    "pseudonymise",
    "pseudonymise_frame",
    "scan_summary",
    "scrub_text",
    "scrub_texts",
    "suppress_table",
    "suppression_note",
    "write_key_file",
    "write_table",
]
