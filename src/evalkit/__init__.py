"""evalkit: a research and evaluation workbench for personalised, community-based social services.

Read survey exports and coded interviews, validate them against a codebook, measure involvement,
tokenism and personal outcomes, compare sites, and write bilingual reports and evidence briefs.

The public functions below are importable from ``evalkit`` directly; each is loaded on first use,
so ``import evalkit`` stays fast and pulls in no statistics library until one is needed.
"""

from __future__ import annotations

from evalkit._lazy import lazy_api
from evalkit._version import __version__
from evalkit.errors import (
    ArgumentError,
    ConfigError,
    DataError,
    EvalkitError,
    ExecutionError,
    PrivacyError,
)

#: Public name → module that defines it.
_API: dict[str, str] = {
    # the study: configuration, reading, validation, preparation
    "Study": "evalkit.config.study",
    "load_study": "evalkit.config.study",
    "Codebook": "evalkit.config.codebook",
    "load_codebook": "evalkit.config.codebook",
    "load_instrument": "evalkit.config.instruments",
    "list_instruments": "evalkit.config.instruments",
    "instrument_from_dict": "evalkit.config.instruments",
    "read_source": "evalkit.read",
    "ReaderWarning": "evalkit.read",
    "read_population": "evalkit.read",
    "stack_sources": "evalkit.read",
    "parse_numbers": "evalkit.read",
    "register_reader": "evalkit.read",
    "validate_study": "evalkit.validate.study",
    "ValidationReport": "evalkit.validate.study",
    "prepare_study": "evalkit.prepare.study",
    "PreparedStudy": "evalkit.prepare.study",
    # coded interviews: reading and writing REFI-QDA projects and segment sheets
    "DOCUMENT_COLUMNS": "evalkit.read.qda.frames",
    "SEGMENT_COLUMNS": "evalkit.read.qda.frames",
    "UNIT_COLUMNS": "evalkit.read.qda.frames",
    "assign_units": "evalkit.read.qda.frames",
    "check_documents": "evalkit.read.qda.frames",
    "check_segments": "evalkit.read.qda.frames",
    "units_from_turns": "evalkit.read.qda.frames",
    "QdaCodebook": "evalkit.read.qda.refi",
    "QdaProject": "evalkit.read.qda.refi",
    "ReadWarning": "evalkit.read",
    "read_qdc": "evalkit.read.qda.refi",
    "read_qdpx": "evalkit.read.qda.refi",
    "write_qdpx": "evalkit.read.qda.write",
    "read_coded_segments": "evalkit.read.qda.spreadsheet",
    "SchemaProblem": "evalkit.read.qda.xsd",
    "validate_qde": "evalkit.read.qda.xsd",
    # keyed pseudonyms and scrubbing of free text (done at preparation)
    "DemoKeyWarning": "evalkit.prepare.keys",
    "PseudonymKey": "evalkit.prepare.keys",
    "generate_key": "evalkit.prepare.keys",
    "load_key": "evalkit.prepare.keys",
    "write_key_file": "evalkit.prepare.keys",
    "collision_probability": "evalkit.prepare.pseudonym",
    "pseudonymise": "evalkit.prepare.pseudonym",
    "pseudonymise_frame": "evalkit.prepare.pseudonym",
    "IDENTIFIER_KINDS": "evalkit.prepare.scrub",
    "Identifier": "evalkit.prepare.scrub",
    "find_identifiers": "evalkit.prepare.scrub",
    "scrub_text": "evalkit.prepare.scrub",
    "scrub_texts": "evalkit.prepare.scrub",
    # results of a run
    "compute_results": "evalkit.analyse.compute",
    "Results": "evalkit.analyse.results",
    # descriptive tables
    "response_counts": "evalkit.analyse.describe",
    "likert_distribution": "evalkit.analyse.describe",
    # scales and reliability
    "score_scale": "evalkit.analyse.scales",
    "scoring_summary": "evalkit.analyse.scales",
    "cronbach_alpha": "evalkit.analyse.reliability",
    "item_analysis": "evalkit.analyse.reliability",
    "polychoric_correlation": "evalkit.analyse.reliability",
    "polychoric_matrix": "evalkit.analyse.reliability",
    "polychoric_thresholds": "evalkit.analyse.reliability",
    "ordinal_alpha": "evalkit.analyse.reliability",
    "mcdonald_omega": "evalkit.analyse.reliability",
    # involvement and tokenism
    "ladder_placement": "evalkit.analyse.involvement",
    "ladder_reproducibility": "evalkit.analyse.involvement",
    "ladder_distribution": "evalkit.analyse.involvement",
    "tokenism_status": "evalkit.analyse.involvement",
    "tokenism_rates": "evalkit.analyse.involvement",
    "tokenism_gap": "evalkit.analyse.involvement",
    "perception_gap": "evalkit.analyse.involvement",
    # outcomes and models
    "outcome_change": "evalkit.analyse.outcomes",
    "mixed_model": "evalkit.analyse.models",
    "ordinal_model": "evalkit.analyse.models",
    "icc": "evalkit.analyse.models",
    "design_effect": "evalkit.analyse.models",
    "involvement_outcome_model": "evalkit.analyse.models",
    # weights and cross-site comparison
    "representativeness": "evalkit.analyse.weights",
    "rake_weights": "evalkit.analyse.weights",
    "raking_problems": "evalkit.analyse.weights",
    "weighted_proportion": "evalkit.analyse.weights",
    "weighted_mean": "evalkit.analyse.weights",
    "funnel_limits": "evalkit.analyse.funnel",
    "overdispersion": "evalkit.analyse.funnel",
    "shrunken_estimates": "evalkit.analyse.shrinkage",
    "traffic_light": "evalkit.analyse.network",
    "traffic_light_distribution": "evalkit.analyse.network",
    "integration_profile": "evalkit.analyse.integration",
    # coded interviews: analyses
    "NO_CODE": "evalkit.analyse.qual.agreement",
    "agreement_table": "evalkit.analyse.qual.agreement",
    "coding_table": "evalkit.analyse.qual.agreement",
    "cohen_kappa": "evalkit.analyse.qual.agreement",
    "disagreement_table": "evalkit.analyse.qual.agreement",
    "fleiss_kappa": "evalkit.analyse.qual.agreement",
    "krippendorff_alpha": "evalkit.analyse.qual.agreement",
    "percent_agreement": "evalkit.analyse.qual.agreement",
    "framework_matrix": "evalkit.analyse.qual.framework",
    "write_framework_xlsx": "evalkit.analyse.qual.framework",
    "case_code_matrix": "evalkit.analyse.qual.frequencies",
    "code_frequencies": "evalkit.analyse.qual.frequencies",
    "cooccurrence": "evalkit.analyse.qual.frequencies",
    "cooccurrence_matrix": "evalkit.analyse.qual.frequencies",
    "attribution": "evalkit.analyse.qual.quotes",
    "quote_bank": "evalkit.analyse.qual.quotes",
    # release: disclosure control, release writers, the release check
    "DisclosurePolicy": "evalkit.config.study",
    "apply_disclosure_control": "evalkit.release.suppress",
    "disclosure_intervals": "evalkit.release.suppress",
    "suppress_table": "evalkit.release.suppress",
    "suppression_note": "evalkit.release.suppress",
    "neutralise_formulas": "evalkit.release.writers",
    "write_table": "evalkit.release.writers",
    "KAnonymityReport": "evalkit.release.kanon",
    "KAnonymityWarning": "evalkit.release.kanon",
    "export_records": "evalkit.release.kanon",
    "k_anonymity": "evalkit.release.kanon",
    "FINDING_KINDS": "evalkit.release.disclosure",
    "check_disclosure": "evalkit.release.disclosure",
    "scan_summary": "evalkit.release.disclosure",
    # notebooks
    "Session": "evalkit.present.session",
    # demo data
    "make_demo_study": "evalkit.datasets",
    "simulate_responses": "evalkit.datasets",
}

#: Sub-packages reachable as attributes (``from evalkit import plots``): the figures, the
#: reports, the readers, the catalogues of messages and the demo data.
_SUBPACKAGES: dict[str, str] = {
    "plots": "evalkit.present.plots",
    "reports": "evalkit.present",
    "read": "evalkit.read",
    "i18n": "evalkit.i18n",
    "datasets": "evalkit.datasets",
}

__all__ = [
    "ArgumentError",
    "ConfigError",
    "DataError",
    "EvalkitError",
    "ExecutionError",
    "PrivacyError",
    "__version__",
    *sorted(_API),
]


__getattr__, __dir__ = lazy_api(globals(), _API, subpackages=_SUBPACKAGES)
