"""`ingate audit` answered over NATS, in process, from the real engine: newest first, snapshots as
data, the filters and the window, hostile queries."""

import time
from collections.abc import AsyncIterator

import msgspec
import pytest
from nats.aio.client import Client as NatsClient

from ingate_analytics import AuditResponder, ClickHouseSink
from ingate_analytics.kinds import AUDIT
from ingate_analytics.responder import Responder
from ingate_contracts.audit import AuditEvent, audit_event
from ingate_contracts.lookup import MAX_LOOKUP_ROWS, AuditQuery
from ingate_contracts.usage import MAX_ID_LENGTH
from tests.analytics.lookups import ask_raw, refusal, rows, serving
from tests.analytics.support import Lane


@pytest.fixture
async def responder(
    nats_client: NatsClient, sink: ClickHouseSink, lane: Lane
) -> AsyncIterator[Responder[AuditQuery]]:
    async with serving(AuditResponder, nats_client, sink, lane) as running:
        yield running


def _events(lane: Lane) -> list[AuditEvent]:
    now = time.time()
    actor = f"cli:{lane.tag}"
    created = audit_event(
        actor, "key.create", f"key-{lane.tag}", after={"name": "a", "key_hash": "x", "rpm": 5}
    )
    updated = audit_event(actor, "key.update", f"key-{lane.tag}", before={"rpm": 5}, after={"rpm": 9})
    other = audit_event(f"admin:{lane.tag}", "route.delete", f"route-{lane.tag}", before={"targets": ["a/b"]})
    old = audit_event(actor, "key.revoke", f"key-{lane.tag}", before={"rpm": 9})
    # Seconds apart, so newest first is one order.
    return [
        msgspec.structs.replace(created, ts=now - 30),
        msgspec.structs.replace(updated, ts=now - 20),
        msgspec.structs.replace(other, ts=now - 10),
        msgspec.structs.replace(old, ts=now - 3 * 86400),
    ]


async def test_rows_newest_first_with_snapshots_as_data(
    nats_client: NatsClient, sink: ClickHouseSink, lane: Lane, responder: Responder[AuditQuery]
) -> None:
    created, updated, other, old = _events(lane)
    await sink.insert(AUDIT, [created, updated, other, old])
    await sink.insert(AUDIT, [created])  # a redelivery is one row

    found = await rows(nats_client, responder, AuditQuery(actor=f"cli:{lane.tag}", since_s=3600))
    assert [r["action"] for r in found] == ["key.update", "key.create"]
    assert found[1] == {
        "ts": found[1]["ts"],
        "audit_id": created.audit_id,
        "actor": f"cli:{lane.tag}",
        "action": "key.create",
        "target": f"key-{lane.tag}",
        "before": None,
        "after": {"name": "a", "rpm": 5},  # the key's hash never reached the row
    }
    assert found[0]["before"] == {"rpm": 5} and found[0]["after"] == {"rpm": 9}
    assert found[0]["ts"].endswith("Z")

    everything = await rows(nats_client, responder, AuditQuery(actor=f"cli:{lane.tag}"))  # 7 days
    assert [r["action"] for r in everything] == ["key.update", "key.create", "key.revoke"]
    assert everything[-1]["after"] is None
    by_target = await rows(nats_client, responder, AuditQuery(target=f"route-{lane.tag}"))
    assert [(r["actor"], r["action"], r["before"]) for r in by_target] == [
        (f"admin:{lane.tag}", "route.delete", {"targets": ["a/b"]})
    ]
    limited = await rows(nats_client, responder, AuditQuery(actor=f"cli:{lane.tag}", limit=1))
    assert [r["action"] for r in limited] == ["key.update"]


async def test_limit_is_capped_at_the_contract_maximum(
    nats_client: NatsClient, sink: ClickHouseSink, lane: Lane, responder: Responder[AuditQuery]
) -> None:
    events = [audit_event(f"cli:{lane.tag}", "key.update", f"key-{i}") for i in range(MAX_LOOKUP_ROWS + 3)]
    await sink.insert(AUDIT, events)
    query = AuditQuery(actor=f"cli:{lane.tag}", limit=5 * MAX_LOOKUP_ROWS)
    assert len(await rows(nats_client, responder, query)) == MAX_LOOKUP_ROWS


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"{oops", "bad audit query: JSON is malformed"),
        (b'{"who": "x"}', "bad audit query: Object contains unknown field `who`"),
        (b'{"since_s": 0}', "bad audit query: since_s must be a positive number of seconds"),
        (b'{"limit": -3}', "bad audit query: limit must be at least 1"),
        (b'{"actor": "' + b"a" * (MAX_ID_LENGTH + 1) + b'"}', "bad audit query: actor must be at most 256"),
    ],
)
async def test_bad_queries_get_one_line_and_the_responder_keeps_serving(
    nats_client: NatsClient, responder: Responder[AuditQuery], payload: bytes, message: str
) -> None:
    assert (await refusal(nats_client, responder, payload)).startswith(message)
    fine = await ask_raw(nats_client, responder, msgspec.json.encode(AuditQuery(actor="' OR 1=1 --")))
    assert msgspec.json.decode(fine) == {"rows": []}
