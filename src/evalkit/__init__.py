"""evalkit: a research and evaluation workbench for personalised, community-based social services.

Read survey exports and coded interviews, validate them against a codebook, measure involvement,
tokenism and personal outcomes, compare sites, and write bilingual reports and evidence briefs.
"""

from evalkit._version import __version__
from evalkit.errors import (
    ArgumentError,
    ConfigError,
    DataError,
    EvalkitError,
    ExecutionError,
    PrivacyError,
)

__all__ = [
    "ArgumentError",
    "ConfigError",
    "DataError",
    "EvalkitError",
    "ExecutionError",
    "PrivacyError",
    "__version__",
]
