"""Captured payloads land in `ingate.request_payloads` once, with nothing of a credential in it.

The first test has a stack of its own (nats-server, analytics, a capturing edge): the embedded
database can be read only once its analytics process has stopped, so the suite's shared one
will not do for reading every row. The second asks the suite's analytics service, as
`ingate requests show` does.
"""

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import msgspec
import pytest

from ingate_contracts.subjects import ANALYTICS_CONSUMER, EVENTS_STREAM, PAYLOADS_SUBJECT
from ingate_nats import NatsServer, connect
from tests.analytics.processes import query_data_dir, start_analytics
from tests.conftest import MOCK_OPENAI_KEY, Edge, start_edge
from tests.support.local_stack import wait_for
from tests.support.payloads import tap_payloads
from tests.support.processes import Service, free_port


@pytest.fixture
async def stack_nats(tmp_path: Path) -> AsyncIterator[NatsServer]:
    server = NatsServer("127.0.0.1", free_port(), tmp_path / "jetstream")
    server.start()
    yield server
    server.stop()


async def wait_until_stored(nats_url: str, timeout_s: float = 60.0) -> None:
    """Until the analytics consumer has acknowledged every event (it acks once rows are written)."""
    client = await connect(nats_url, "test-storage-wait")
    js = client.jetstream()
    deadline = asyncio.get_running_loop().time() + timeout_s
    try:
        while True:
            info = await js.consumer_info(EVENTS_STREAM, ANALYTICS_CONSUMER)
            if info.num_pending == 0 and info.num_ack_pending == 0:
                return
            assert asyncio.get_running_loop().time() < deadline, f"not all stored: {info}"
            await asyncio.sleep(0.1)
    finally:
        await client.close()


async def test_a_payload_is_stored_once_and_holds_no_secret(
    stack_nats: NatsServer, mock_url: str, logs_dir: Path, tmp_path: Path
) -> None:
    data_dir = tmp_path / "analytics"
    analytics = await start_analytics(stack_nats.url, data_dir, logs_dir, "analytics-payloads")
    edge = start_edge(
        stack_nats.url, mock_url, logs_dir, name="edge-payload-store", data_dir=tmp_path / "edge",
        INGATE_PAYLOADS_ENABLED="true",
    )  # fmt: skip
    try:
        key = edge.new_key("--name", "stored")
        request = {"model": "gpt-4o", "messages": [{"role": "user", "content": f"remember {key}"}]}
        async with tap_payloads(stack_nats.url) as tap, httpx.AsyncClient(timeout=30) as http:
            answers = [
                await http.post(
                    f"{edge.url}/v1/chat/completions",
                    json={**request, "stream": stream},
                    headers={"authorization": f"Bearer {key}", "x-mock-echo-headers": "true"},
                )
                for stream in (False, True)
            ]
            ids = [answer.headers["x-ingate-request-id"] for answer in answers]
            published = [await tap.payload_for(request_id) for request_id in ids]
        assert MOCK_OPENAI_KEY in answers[0].text  # the echo carried the credential to the caller
        # The same payload again under another message id: the analytics side keeps one row.
        client = await connect(stack_nats.url, "test-republish")
        await client.jetstream().publish(
            PAYLOADS_SUBJECT, msgspec.json.encode(published[0]), headers={"Nats-Msg-Id": "again"}
        )
        await client.close()
        await wait_until_stored(stack_nats.url)
    finally:
        edge.service.stop()
        analytics.stop()
    rows = query_data_dir(
        data_dir,
        "SELECT request_id, request_body, response_body, redacted FROM ingate.request_payloads",
        {},
    )
    assert sorted(row[0] for row in rows) == sorted(ids)  # each once
    for _, request_body, response_body, redacted in rows:
        for secret in (MOCK_OPENAI_KEY, key, "sk-ingate-"):
            assert secret not in request_body and secret not in response_body
        assert redacted
    streamed = next(row for row in rows if row[0] == ids[1])
    assert json.loads(streamed[2])["object"] == "chat.completion"  # the final message, not chunks
    targets = query_data_dir(
        data_dir,
        "SELECT attempt_targets FROM ingate.requests WHERE request_id = {id:String}",
        {"id": ids[0]},
    )
    assert targets == [[["openai/gpt-4o"]]]


async def test_requests_show_has_the_captured_payload_and_no_secret(edge: Edge, analytics: Service) -> None:
    del analytics  # running: it stores the payloads and answers the lookup
    key = edge.new_key("--name", "shown", "--log-payloads")
    async with httpx.AsyncClient(timeout=30) as http:
        answer = await http.post(
            f"{edge.url}/v1/chat/completions",
            json={"model": "gpt-4o", "messages": [{"role": "user", "content": f"my key: {key}"}]},
            headers={"authorization": f"Bearer {key}", "x-mock-echo-headers": "true"},
        )
    assert answer.status_code == 200 and MOCK_OPENAI_KEY in answer.text
    request_id = answer.headers["x-ingate-request-id"]

    def shown() -> str | None:
        code, out, _ = edge.cli("requests", "show", request_id, "--json")
        return out if code == 0 and json.loads(out)["payload"] is not None else None

    out = wait_for(shown, what=f"the payload of {request_id} in ingate requests show")
    payload = json.loads(out)["payload"]
    assert payload["redacted"] and "[REDACTED]" in payload["request_body"]
    assert MOCK_OPENAI_KEY not in out and key not in out and "sk-ingate-" not in out
