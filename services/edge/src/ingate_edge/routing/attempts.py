"""What each attempt of a routed request came to, and the error when none answered."""

from typing import Final

from ingate_config import RetryClass
from ingate_edge import errors
from ingate_edge.errors import GatewayError

_FAILURE_CLASS: Final[dict[str, RetryClass]] = {
    "upstream_unreachable": "connect",
    "upstream_timeout": "timeout",
}


def failure_class(error_type: str, status: int) -> RetryClass | None:
    """The retry class of a failed attempt; None for an answer to pass on (a 400, say)."""
    if status == 429:
        return "429"
    if status >= 500 and error_type.startswith("upstream_") and error_type[9:].isdigit():
        return "5xx"
    return _FAILURE_CLASS.get(error_type)


class AttemptLog:
    """The failed attempts of one request, in order (the record's `attempt_errors`)."""

    __slots__ = ("errors", "notes", "shortest_wait_s", "skips")

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors  # the record's own list
        self.notes: list[str] = []
        self.skips: dict[str, list[str]] = {}  # why targets were not tried: reason → targets
        self.shortest_wait_s: float | None = None  # the soonest a cooling target is back

    def failed(self, target: str, error_type: str) -> None:
        self.errors.append(error_type)
        self.notes.append(f"{target}: {error_type}")

    def skipped(self, target: str, reason: str) -> None:
        """A target not tried at all (no attempt, so not among the record's attempt errors)."""
        self.skips.setdefault(reason, []).append(target)

    def waiting(self, wait_s: float | None) -> None:
        if wait_s is not None and (self.shortest_wait_s is None or wait_s < self.shortest_wait_s):
            self.shortest_wait_s = wait_s

    def all_failed(self, route: str, attempts: int) -> GatewayError:
        parts = list(self.notes)
        parts.extend(f"{reason}: {', '.join(targets)}" for reason, targets in self.skips.items())
        detail = "; ".join(parts) if parts else "every target is cooling down"
        headers = [(b"x-ingate-attempts", str(attempts).encode())]
        if self.shortest_wait_s is not None:
            headers.append((b"retry-after", str(max(1, round(self.shortest_wait_s))).encode()))
        return GatewayError(
            errors.ALL_TARGETS_FAILED,
            f"Every target of route {route!r} failed ({detail}).",
            headers=tuple(headers),
        )
