"""What a key may do, beyond being active: expiry, providers and models it is allowed."""

import datetime as dt
import fnmatch
import functools
import re

from ingate_contracts import KeyRecord
from ingate_edge import errors
from ingate_edge.errors import GatewayError


@functools.lru_cache(maxsize=4096)
def _expiry(expires_at: str) -> float:
    moment = dt.datetime.fromisoformat(expires_at)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()


@functools.lru_cache(maxsize=1024)
def _model_pattern(globs: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{fnmatch.translate(glob)})" for glob in globs))


def check_expiry(key: KeyRecord, now: float) -> None:
    if key.expires_at is None:
        return
    try:
        expired = _expiry(key.expires_at) <= now
    except ValueError:
        expired = True  # an unreadable expiry is not a reason to let a key in
    if expired:
        raise GatewayError(errors.AUTHENTICATION, "This Ingate API key has expired.")


def check_provider(key: KeyRecord, provider: str) -> None:
    if key.providers and provider not in key.providers:
        raise GatewayError(
            errors.PROVIDER_NOT_ALLOWED,
            f"This Ingate API key may not use provider {provider!r}; it may use: {', '.join(key.providers)}.",
        )


def check_model(key: KeyRecord, model: str | None) -> None:
    """For requests with a body; each endpoint that takes one needs a model, so none is a 400."""
    if not key.models:
        return
    if not model:
        raise GatewayError(
            errors.INVALID_REQUEST,
            "This request names no model; this Ingate API key may use only some models, "
            "so `model` is required.",
        )
    if _model_pattern(key.models).fullmatch(model) is None:
        raise GatewayError(errors.PERMISSION, f"This Ingate API key may not use model {model[:100]!r}.")
