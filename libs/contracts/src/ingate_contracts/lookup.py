"""What `ingate requests`, `ingate audit`, the admin API and the analytics service say over NATS.

Each query gets a `LookupReply` whose `rows` are the objects DESIGN.md fixes for `--json`
(named as the ClickHouse columns are), or a `LookupFailure` whose `error` says in one line what
was wrong. A client tells them apart by the `error` field.
"""

from typing import Any, Final, Literal

import msgspec

# The whole error of the `LookupFailure` for a request id nothing is stored under (the admin API: 404).
NO_SUCH_REQUEST: Final = "no such request"
# Most rows a list answers, whatever `limit` a query asks for.
MAX_LOOKUP_ROWS: Final = 1000

# `status`: a code such as "429", or "errors" for every failed request (status >= 400 or an error type).


class RequestsQuery(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """One request by id (`request_id`, answered with its attempts and payload), or a list,
    newest first, filtered as `ingate requests list` is."""

    request_id: str = ""
    user: str = ""
    session: str = ""
    key_id: str = ""
    status: str = ""
    since_s: float = 24 * 3600.0
    limit: int = 50


class AuditQuery(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """Audit rows, newest first."""

    since_s: float = 7 * 24 * 3600.0
    target: str = ""
    actor: str = ""
    limit: int = 200


SeriesGrouping = Literal["user", "session"]


class UsageSeriesQuery(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """Totals per `bucket_s` seconds and per user or session, over the last `since_s` seconds."""

    by: SeriesGrouping = "user"
    user: str = ""
    session: str = ""
    since_s: float = 24 * 3600.0
    bucket_s: int = 3600


class LookupReply(msgspec.Struct, kw_only=True):
    rows: list[dict[str, Any]]


class LookupFailure(msgspec.Struct, kw_only=True):
    error: str
