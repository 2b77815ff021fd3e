"""Answer `ingate audit` and the admin API's `audit`: rows of ingate.audit, newest first.

A row is `{ts, audit_id, actor, action, target, before, after}`; `before` and `after` are the
JSON objects the writer stored (decoded here, so a caller never parses JSON inside JSON), or null
where the thing did not exist before or no longer exists after. Writers strip every secret field
before a row leaves them (`ingate_contracts.audit.audit_event`).
"""

import time
from typing import Any, Final

import msgspec

from ingate_analytics.query_rules import SINCE_CONDITION, check_id, check_limit, check_since, since_parameters
from ingate_analytics.responder import Responder
from ingate_analytics.rows import as_objects
from ingate_contracts.lookup import MAX_LOOKUP_ROWS, AuditQuery, LookupReply
from ingate_contracts.subjects import AUDIT_QUERY_SUBJECT

_COLUMNS: Final = ("ts", "audit_id", "actor", "action", "target", "before", "after")
_JSON_COLUMNS: Final = ("before", "after")


def check_audit_query(query: AuditQuery) -> None:
    check_id("target", query.target)
    check_id("actor", query.actor)
    check_since(query.since_s)
    check_limit(query.limit)


def audit_sql(query: AuditQuery, now_s: float) -> tuple[str, dict[str, Any]]:
    where = [SINCE_CONDITION]
    parameters = {**since_parameters(query.since_s, now_s), "limit": min(query.limit, MAX_LOOKUP_ROWS)}
    for name, value in (("target", query.target), ("actor", query.actor)):
        if value:
            where.append(f"{name} = {{{name}:String}}")
            parameters[name] = value
    # Only constants are spliced in; every value the caller sent is a bound parameter.
    select = f"SELECT {', '.join(_COLUMNS)} FROM ingate.audit FINAL"  # noqa: S608
    return (
        f"{select} WHERE {' AND '.join(where)} ORDER BY ts DESC, audit_id DESC LIMIT {{limit:UInt32}}",
        parameters,
    )


def _decoded(text: str) -> Any:
    """A stored snapshot as data: "" (did not exist) is null; text that is not JSON stays text."""
    if not text:
        return None
    try:
        return msgspec.json.decode(text)
    except msgspec.DecodeError:
        return text


class AuditResponder(Responder[AuditQuery]):
    """Serves AUDIT_QUERY_SUBJECT (or `subject`) in the analytics queue group."""

    what = "audit query"
    query_type = AuditQuery
    default_subject = AUDIT_QUERY_SUBJECT

    async def answer(self, query: AuditQuery) -> LookupReply:
        check_audit_query(query)
        rows = as_objects(_COLUMNS, await self.sink.query(*audit_sql(query, time.time())))
        for row in rows:
            for column in _JSON_COLUMNS:
                row[column] = _decoded(row[column])
        return LookupReply(rows=rows)
