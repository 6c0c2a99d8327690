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
    # study folder, codebook, reading, validation, preparation
    "Study": "evalkit.study",
    "load_study": "evalkit.study",
    "Codebook": "evalkit.codebook",
    "load_codebook": "evalkit.codebook",
    "read_source": "evalkit.io",
    "read_population": "evalkit.io",
    "stack_sources": "evalkit.io",
    "parse_numbers": "evalkit.io",
    "register_reader": "evalkit.io",
    "validate_study": "evalkit.validate",
    "ValidationReport": "evalkit.validate",
    "prepare_study": "evalkit.prepare",
    "PreparedStudy": "evalkit.prepare",
    "compute_results": "evalkit.results",
    "Results": "evalkit.results",
    # descriptive tables
    "response_counts": "evalkit.describe",
    "likert_distribution": "evalkit.describe",
    # scales and reliability
    "load_instrument": "evalkit.instruments",
    "list_instruments": "evalkit.instruments",
    "instrument_from_dict": "evalkit.instruments",
    "score_scale": "evalkit.scales",
    "scoring_summary": "evalkit.scales",
    "cronbach_alpha": "evalkit.reliability",
    "item_analysis": "evalkit.reliability",
    "polychoric_correlation": "evalkit.reliability",
    "polychoric_matrix": "evalkit.reliability",
    "polychoric_thresholds": "evalkit.reliability",
    "ordinal_alpha": "evalkit.reliability",
    "mcdonald_omega": "evalkit.reliability",
    # involvement and tokenism
    "ladder_placement": "evalkit.involvement",
    "ladder_reproducibility": "evalkit.involvement",
    "ladder_distribution": "evalkit.involvement",
    "tokenism_status": "evalkit.involvement",
    "tokenism_rates": "evalkit.involvement",
    "tokenism_gap": "evalkit.involvement",
    "perception_gap": "evalkit.involvement",
    # outcomes and models
    "outcome_change": "evalkit.outcomes",
    "mixed_model": "evalkit.models",
    "ordinal_model": "evalkit.models",
    "icc": "evalkit.models",
    "design_effect": "evalkit.models",
    "involvement_outcome_model": "evalkit.models",
    # weights and cross-site comparison
    "representativeness": "evalkit.weights",
    "rake_weights": "evalkit.weights",
    "weighted_proportion": "evalkit.weights",
    "weighted_mean": "evalkit.weights",
    "funnel_limits": "evalkit.funnel",
    "overdispersion": "evalkit.funnel",
    "shrunken_estimates": "evalkit.shrinkage",
    "traffic_light": "evalkit.network",
    "traffic_light_distribution": "evalkit.network",
    "integration_profile": "evalkit.integration",
    # demo data
    "make_demo_study": "evalkit.datasets",
    "simulate_responses": "evalkit.datasets",
}

#: Subpackages with their own public API: ``evalkit.qual`` (coded interviews),
#: ``evalkit.privacy`` (pseudonyms, suppression, scrubbing, release check).
_SUBPACKAGES = ("qual", "privacy", "datasets", "io", "i18n")

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
