"""What an error Ingate answers itself says besides its message; each format renders it."""

from collections.abc import Mapping


class ErrorKind:
    __slots__ = ("code", "status", "types")

    def __init__(self, status: int, code: str, types: Mapping[str, str]) -> None:
        self.status = status
        self.code = code  # stable and machine-readable, e.g. "invalid_api_key"
        self.types = types  # the error's type by format name, for envelopes that carry one
