"""Routes: virtual model names that callers put in `model`, each resolved to real targets."""

from typing import Final, Literal

import msgspec

RouteStrategy = Literal["weighted", "least-busy", "latency"]
ROUTE_STRATEGIES: Final[tuple[RouteStrategy, ...]] = ("weighted", "least-busy", "latency")

# What kind of failure sends a request on to the next target.
RetryClass = Literal["connect", "timeout", "5xx", "429"]
RETRY_CLASSES: Final[tuple[RetryClass, ...]] = ("connect", "timeout", "5xx", "429")

# Without max_attempts a route tries each of its targets and fallbacks once, but no more than
# this many, so a long fallback list cannot multiply one request into a storm.
DEFAULT_ATTEMPT_CAP: Final = 5


class RouteTarget(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """One real model at one provider; `weight` is its share under the weighted strategy."""

    provider: str
    model: str
    weight: int = 1


class RouteConfig(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    name: str
    strategy: RouteStrategy = "weighted"
    # Tried first, chosen by the strategy.
    targets: list[RouteTarget]
    # Tried in order once every target has failed.
    fallbacks: list[RouteTarget] = msgspec.field(default_factory=list)
    retry_on: list[RetryClass] = msgspec.field(default_factory=lambda: list(RETRY_CLASSES))
    max_attempts: int | None = None
    # A target that keeps failing is skipped this long.
    cooldown_s: float = 30.0

    @property
    def attempt_limit(self) -> int:
        """How many upstream attempts one request may make: max_attempts, or the default."""
        if self.max_attempts is not None:
            return self.max_attempts
        return min(len(self.targets) + len(self.fallbacks), DEFAULT_ATTEMPT_CAP)
