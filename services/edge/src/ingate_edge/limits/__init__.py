"""Per-key access, rate limits and budgets, held as one across every edge replica."""

from ingate_edge.limits.access import check_expiry, check_model, check_provider
from ingate_edge.limits.lease import Admission
from ingate_edge.limits.limiter import Limiter
from ingate_edge.limits.shared import SharedBuckets
from ingate_edge.limits.spend import SpendBook

__all__ = [
    "Admission",
    "Limiter",
    "SharedBuckets",
    "SpendBook",
    "check_expiry",
    "check_model",
    "check_provider",
]
