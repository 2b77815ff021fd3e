"""Asking the analytics service a lookup (requests, audit, usage series) over NATS request-reply.

The command line and the admin API both ask through `ask_analytics` (raw answer bytes, for `ingate usage`'s
own reply type) or `lookup` (rows), so both tell "nobody answered" apart from "the service answered
no" the same way.
"""

from typing import Any

import msgspec
from nats.aio.client import Client
from nats.errors import NoRespondersError


class AnalyticsUnavailable(Exception):
    """No analytics service answered: none subscribed, or none in time."""


class LookupRefused(Exception):
    """The analytics service answered with a `LookupFailure`; `str(exc)` is its error."""


class _Answer(msgspec.Struct):
    """`LookupReply` or `LookupFailure`, read in one pass: a failure has `error`, a reply `rows`."""

    rows: list[dict[str, Any]] | None = None
    error: str | None = None


_decode_answer = msgspec.json.Decoder(_Answer).decode
_encode = msgspec.json.Encoder().encode


async def ask_analytics(
    client: Client,
    subject: str,
    query: msgspec.Struct,
    timeout: float = 5.0,  # noqa: ASYNC109 -- the request-reply deadline nats-py takes, not a wrapper
) -> bytes:
    """The analytics service's answer to `query` on `subject`, undecoded.

    Raises `AnalyticsUnavailable` when no service answers.
    """
    try:
        answer = await client.request(subject, _encode(query), timeout=timeout)
    except NoRespondersError:
        raise AnalyticsUnavailable("no analytics service is running") from None
    except TimeoutError:  # nats-py's own timeout is one too
        raise AnalyticsUnavailable(f"no analytics service answered within {timeout:g}s") from None
    data: bytes = answer.data
    return data


async def lookup(
    client: Client,
    subject: str,
    query: msgspec.Struct,
    timeout: float = 5.0,  # noqa: ASYNC109 -- the request-reply deadline nats-py takes, not a wrapper
) -> list[dict[str, Any]]:
    """The rows the analytics service answers `query` on `subject` with.

    Raises `AnalyticsUnavailable` when no service answers and `LookupRefused` when one refuses
    (a malformed query, an unknown request id: `NO_SUCH_REQUEST`).
    """
    data = await ask_analytics(client, subject, query, timeout)
    try:
        decoded = _decode_answer(data)
    except msgspec.DecodeError as exc:
        raise LookupRefused(f"unreadable answer from the analytics service: {exc}") from None
    if decoded.error is not None:
        raise LookupRefused(decoded.error)
    if decoded.rows is None:
        raise LookupRefused("the analytics service answered without rows")
    return decoded.rows
