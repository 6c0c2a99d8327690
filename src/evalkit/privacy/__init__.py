"""Privacy and disclosure control: scrubbing, keyed pseudonyms, suppression, release checks.

Everything that leaves the analyst's machine goes through this package: free text is scrubbed,
identifiers become keyed pseudonyms, small counts are suppressed, and a run is scanned before
release.
"""

from evalkit._lazy import lazy_api

#: Public name → module that defines it (imported on first use: suppressing a table does not
#: import the release scanner's readers).
_API: dict[str, str] = {
    "FINDING_KINDS": "evalkit.privacy.disclosure",
    "check_disclosure": "evalkit.privacy.disclosure",
    "scan_summary": "evalkit.privacy.disclosure",
    "KAnonymityReport": "evalkit.privacy.kanon",
    "KAnonymityWarning": "evalkit.privacy.kanon",
    "export_records": "evalkit.privacy.kanon",
    "k_anonymity": "evalkit.privacy.kanon",
    "DemoKeyWarning": "evalkit.privacy.keys",
    "PseudonymKey": "evalkit.privacy.keys",
    "generate_key": "evalkit.privacy.keys",
    "load_key": "evalkit.privacy.keys",
    "write_key_file": "evalkit.privacy.keys",
    "collision_probability": "evalkit.privacy.pseudonym",
    "pseudonymise": "evalkit.privacy.pseudonym",
    "pseudonymise_frame": "evalkit.privacy.pseudonym",
    "neutralise_formulas": "evalkit.privacy.release",
    "write_table": "evalkit.privacy.release",
    "IDENTIFIER_KINDS": "evalkit.privacy.scrub",
    "Identifier": "evalkit.privacy.scrub",
    "find_identifiers": "evalkit.privacy.scrub",
    "scrub_text": "evalkit.privacy.scrub",
    "scrub_texts": "evalkit.privacy.scrub",
    "DisclosurePolicy": "evalkit.privacy.suppress",
    "apply_disclosure_control": "evalkit.privacy.suppress",
    "disclosure_intervals": "evalkit.privacy.suppress",
    "suppress_table": "evalkit.privacy.suppress",
    "suppression_note": "evalkit.privacy.suppress",
}


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


__getattr__, __dir__ = lazy_api(globals(), _API)
