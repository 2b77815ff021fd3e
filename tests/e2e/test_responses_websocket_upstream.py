"""A Responses WebSocket relayed to the provider's own: an aiohttp client against the real edge and
a mock provider of its own (so its counters are this module's), which serves `GET /v1/responses`
upgraded.

The edge opens one upstream socket per client socket, relays every frame, records each response
with its usage, refuses what the key may not do before anything goes up, and reports a provider
socket that cannot be opened, closes mid-response or errors as error frames; a client that leaves
is recorded as 499. A provider with the setting off is still bridged to HTTP.
"""

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest

from ingate_nats import NatsServer
from tests.conftest import MOCK_OPENAI_KEY, Edge, running_mock, start_edge
from tests.support.events import tap_records
from tests.support.payloads import tap_payloads
from tests.support.processes import free_port

MODEL = "gpt-4o"
ROUTE = "ws-smart"  # a route to the provider with the setting on
TIMEOUT_S = 60.0
SLOW = {"X-Mock-Tokens-Per-Second": "5", "X-Mock-Reply-Tokens": "200"}  # 40 s: long enough to leave
Frame = dict[str, Any]


@pytest.fixture(scope="module")
def ws_mock(logs_dir: Path) -> Iterator[str]:
    """A mock of its own, so that its counters are this module's."""
    with running_mock(logs_dir, "mock-provider-ws") as url:
        yield url


@pytest.fixture(scope="module")
def ws_edge(
    nats_server: NatsServer,
    mock_url: str,
    ws_mock: str,
    logs_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Edge]:
    routes = tmp_path_factory.mktemp("ws-routes") / "routes.json"
    routes.write_text(json.dumps([{"name": ROUTE, "targets": [{"provider": "wsup", "model": MODEL}]}]))
    running = start_edge(
        nats_server.url,
        mock_url,
        logs_dir,
        name="edge-ws-upstream",
        INGATE_WSUP_FORMAT="openai",
        INGATE_WSUP_BASE_URL=f"{ws_mock}/v1",
        INGATE_WSUP_API_KEY=MOCK_OPENAI_KEY,
        INGATE_WSUP_RESPONSES_WEBSOCKET="true",
        INGATE_WSOFF_FORMAT="openai",
        INGATE_WSOFF_BASE_URL=f"{ws_mock}/v1",
        INGATE_WSOFF_API_KEY=MOCK_OPENAI_KEY,
        INGATE_WSDEAD_FORMAT="openai",
        INGATE_WSDEAD_BASE_URL=f"http://127.0.0.1:{free_port()}/v1",
        INGATE_WSDEAD_API_KEY="sk-unused",
        INGATE_WSDEAD_RESPONSES_WEBSOCKET="true",
        INGATE_ROUTES_FILE=str(routes),
    )
    try:
        yield running
    finally:
        running.service.stop()


@pytest.fixture(scope="module")
def key(ws_edge: Edge) -> str:
    return ws_edge.new_key("--name", "ws-upstream")


@pytest.fixture(autouse=True)
def healthy_mock(ws_mock: str) -> Iterator[None]:
    yield
    httpx.delete(f"{ws_mock}/_mock/faults", timeout=TIMEOUT_S).raise_for_status()


async def _control(method: str, url: str, body: Any = None) -> Any:
    """A call to the mock's control API (`/_mock/*`)."""
    async with httpx.AsyncClient(timeout=TIMEOUT_S) as client:
        answer = await client.request(method, url, json=body)
    answer.raise_for_status()
    return answer.json()


async def _stats(ws_mock: str) -> dict[str, Any]:
    stats: dict[str, Any] = await _control("GET", f"{ws_mock}/_mock/stats")
    return stats


@asynccontextmanager
async def _socket(
    edge: Edge, key: str, provider: str = "wsup", headers: dict[str, str] | None = None
) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    sent = {
        "Authorization": f"Bearer {key}",
        "OpenAI-Beta": "responses_websockets=2026-02-06",
        "X-Ingate-Provider": provider,
        "X-Ingate-User-Id": "ws-up-user",
        "X-Ingate-Session-Id": "ws-up-session",
        **(headers or {}),
    }
    url = edge.url.replace("http://", "ws://", 1) + "/v1/responses"
    async with aiohttp.ClientSession() as session, session.ws_connect(url, headers=sent) as ws:
        yield ws


def _create(text: str, **fields: Any) -> Frame:
    user = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
    return {"type": "response.create", "model": MODEL, "store": False, "input": [user], **fields}


async def _response(ws: aiohttp.ClientWebSocketResponse, create: Frame) -> list[Frame]:
    await ws.send_json(create)
    frames: list[Frame] = []
    while not frames or frames[-1]["type"] not in ("response.completed", "response.failed", "error"):
        message = await ws.receive(timeout=TIMEOUT_S)
        assert message.type == aiohttp.WSMsgType.TEXT, message
        frames.append(message.json())
    return frames


async def test_two_responses_go_over_one_upstream_socket_each_recorded(
    ws_edge: Edge, ws_mock: str, key: str
) -> None:
    before = await _stats(ws_mock)
    async with tap_records(ws_edge.nats_url) as tap, _socket(ws_edge, key) as ws:
        first = await _response(ws, _create("hello there"))
        second = await _response(ws, _create("and again", previous_response_id=first[-1]["response"]["id"]))
        records = [await tap.record_for(r[0]["headers"]["X-Ingate-Request-Id"]) for r in (first, second)]
    after = await _stats(ws_mock)
    assert after["websockets"] - before["websockets"] == 1
    sent = after["paths"].get("/v1/responses", 0) - before["paths"].get("/v1/responses", 0)
    assert sent == 2
    received = (await _control("GET", f"{ws_mock}/_mock/received"))["received"]["/v1/responses"]
    assert "previous_response_id" not in received and len(received["input"]) == 3  # the edge's continuation
    for frames in (first, second):
        kinds = [f["type"] for f in frames]
        assert kinds[0] == "response.created" and kinds[-1] == "response.completed", kinds
        assert "response.output_text.delta" in kinds
        numbers = [f["sequence_number"] for f in frames]
        assert numbers == list(range(len(frames)))  # every event, in order
    for record, frames in zip(records, (first, second), strict=True):
        usage = frames[-1]["response"]["usage"]
        assert (record.endpoint, record.status, record.stream, record.provider, record.model) == (
            "responses",
            200,
            True,
            "wsup",
            MODEL,
        )
        assert (record.user_id, record.session_id) == ("ws-up-user", "ws-up-session")
        assert (record.input_tokens, record.output_tokens) == (usage["input_tokens"], usage["output_tokens"])
        assert not record.usage_estimated and record.ttfb_ms > 0 and record.latency_ms >= record.ttfb_ms
    assert records[1].input_tokens > records[0].input_tokens


async def test_a_model_the_key_may_not_use_is_refused_before_anything_goes_up(
    ws_edge: Edge, ws_mock: str
) -> None:
    narrow = ws_edge.new_key("--name", "ws-up-narrow", "--models", "gpt-4o-mini")
    before = await _stats(ws_mock)
    async with tap_records(ws_edge.nats_url) as tap, _socket(ws_edge, narrow) as ws:
        [refused] = await _response(ws, _create("hi"))
        assert (await _stats(ws_mock))["websockets"] == before["websockets"]  # no socket even opened
        record = await tap.record_for(refused["headers"]["x-ingate-request-id"])
        done = await _response(ws, _create("hi", model="gpt-4o-mini"))
    assert (refused["type"], refused["status"], refused["error"]["code"]) == (
        "error",
        403,
        "model_not_allowed",
    )
    assert (record.status, record.error_type, record.attempts) == (403, "model_not_allowed", 0)
    assert done[-1]["type"] == "response.completed"
    after = await _stats(ws_mock)
    assert after["paths"].get("/v1/responses", 0) - before["paths"].get("/v1/responses", 0) == 1
    assert after["websockets"] - before["websockets"] == 1


async def test_a_provider_socket_that_cannot_be_opened_is_a_502_error_frame(ws_edge: Edge, key: str) -> None:
    async with tap_records(ws_edge.nats_url) as tap, _socket(ws_edge, key, "wsdead") as ws:
        [unreachable] = await _response(ws, _create("hi"))
        [again] = await _response(ws, _create("hi"))
        record = await tap.record_for(unreachable["headers"]["x-ingate-request-id"])
    for frame in (unreachable, again):
        assert (frame["type"], frame["status"], frame["error"]["code"]) == (
            "error",
            502,
            "upstream_unreachable",
        )
        assert "over WebSocket" in frame["error"]["message"]  # not bridged to HTTP
    assert (record.status, record.error_type, record.provider) == (502, "upstream_unreachable", "wsdead")


async def test_a_provider_socket_closing_mid_response_is_a_502_and_the_next_create_reconnects(
    ws_edge: Edge, ws_mock: str, key: str
) -> None:
    before = await _stats(ws_mock)
    async with (
        tap_records(ws_edge.nats_url) as tap,
        _socket(ws_edge, key, headers={"X-Mock-Drop-After": "3"}) as ws,
    ):
        broken = await _response(ws, _create("hi"))
        again = await _response(ws, _create("hi"))
        record = await tap.record_for(broken[0]["headers"]["X-Ingate-Request-Id"])
    for frames in (broken, again):
        assert [f["type"] for f in frames[:3]] == ["response.created", "response.in_progress",
                                                   "response.output_item.added"]  # fmt: skip
        assert (frames[-1]["type"], frames[-1]["status"]) == ("error", 502)
        assert frames[-1]["error"]["code"] == "upstream_stream_broken"
    assert (record.status, record.error_type) == (502, "upstream_stream_broken")
    assert record.usage_estimated  # the provider never reported it
    assert (await _stats(ws_mock))["websockets"] - before["websockets"] == 2


async def test_the_providers_error_frame_is_relayed_and_its_socket_keeps_serving(
    ws_edge: Edge, ws_mock: str, key: str
) -> None:
    before = await _stats(ws_mock)
    await _control("POST", f"{ws_mock}/_mock/faults", {"fail_next": 1, "status": 429})
    async with tap_records(ws_edge.nats_url) as tap, _socket(ws_edge, key) as ws:
        [limited] = await _response(ws, _create("hi"))
        done = await _response(ws, _create("hi"))
        record = await tap.record_for(limited["headers"]["x-ingate-request-id"])
    assert (limited["type"], limited["status"], limited["error"]["code"]) == (
        "error",
        429,
        "rate_limit_exceeded",
    )
    assert (record.status, record.error_type, record.provider) == (429, "upstream_429", "wsup")
    assert done[-1]["type"] == "response.completed"
    assert (await _stats(ws_mock))["websockets"] - before["websockets"] == 1  # one socket served both


async def test_a_client_that_leaves_mid_response_is_recorded_as_499(
    ws_edge: Edge, ws_mock: str, key: str
) -> None:
    before = await _stats(ws_mock)
    async with tap_records(ws_edge.nats_url) as tap:
        async with _socket(ws_edge, key, headers=SLOW) as ws:
            await ws.send_json(_create("talk for a while"))
            created = (await ws.receive(timeout=TIMEOUT_S)).json()
            assert created["type"] == "response.created"
        record = await tap.record_for(created["headers"]["X-Ingate-Request-Id"], timeout_s=TIMEOUT_S)
    assert (record.status, record.error_type, record.provider) == (499, "client_disconnected", "wsup")
    assert (await _stats(ws_mock))["websockets"] - before["websockets"] == 1


async def test_a_provider_with_the_setting_off_is_bridged_to_http(
    ws_edge: Edge, ws_mock: str, key: str
) -> None:
    before = await _stats(ws_mock)
    async with _socket(ws_edge, key, "wsoff") as ws:
        done = await _response(ws, _create("hi"))
    after = await _stats(ws_mock)
    assert done[-1]["type"] == "response.completed"
    assert after["websockets"] == before["websockets"]
    assert after["paths"].get("/v1/responses", 0) - before["paths"].get("/v1/responses", 0) == 1


async def test_the_keys_limits_refuse_a_create_before_it_goes_up(ws_edge: Edge, ws_mock: str) -> None:
    limited = ws_edge.new_key("--name", "ws-up-rpm", "--rpm", "1")
    before = await _stats(ws_mock)
    async with _socket(ws_edge, limited) as ws:
        done = await _response(ws, _create("hi"))
        [refused] = await _response(ws, _create("hi"))
    assert done[-1]["type"] == "response.completed"
    assert (refused["type"], refused["status"], refused["error"]["code"]) == (
        "error",
        429,
        "rate_limit_exceeded",
    )
    assert refused["headers"]["retry-after"]
    after = await _stats(ws_mock)
    assert after["paths"].get("/v1/responses", 0) - before["paths"].get("/v1/responses", 0) == 1


async def test_a_route_is_bridged_though_its_provider_offers_a_socket(
    ws_edge: Edge, ws_mock: str, key: str
) -> None:
    before = await _stats(ws_mock)
    async with tap_records(ws_edge.nats_url) as tap, _socket(ws_edge, key) as ws:
        routed = await _response(ws, _create("hi", model=ROUTE))
        record = await tap.record_for(routed[0]["headers"]["X-Ingate-Request-Id"])
    after = await _stats(ws_mock)
    assert routed[-1]["type"] == "response.completed"
    assert (record.route, record.provider, record.status) == (ROUTE, "wsup", 200)
    assert after["websockets"] == before["websockets"]
    assert after["paths"].get("/v1/responses", 0) - before["paths"].get("/v1/responses", 0) == 1


async def test_a_create_sent_while_one_streams_waits_for_it(ws_edge: Edge, key: str) -> None:
    async with _socket(ws_edge, key) as ws:
        await ws.send_json(_create("first"))
        await ws.send_json(_create("second"))
        frames: list[Frame] = []
        while sum(f["type"] == "response.completed" for f in frames) < 2:
            frames.append((await ws.receive(timeout=TIMEOUT_S)).json())
    ends = [f["type"] for f in frames if f["type"] in ("response.created", "response.completed")]
    assert ends == ["response.created", "response.completed"] * 2


async def test_a_logged_keys_responses_are_captured_as_their_final_response(
    ws_edge: Edge, ws_mock: str
) -> None:
    logged = ws_edge.new_key("--name", "ws-logged", "--log-payloads")
    await _control("POST", f"{ws_mock}/_mock/faults", {"fail_next": 1, "status": 429})
    async with tap_payloads(ws_edge.nats_url) as tap, _socket(ws_edge, logged) as ws:
        [refused] = await _response(ws, _create("first"))
        frames = await _response(ws, _create("capture me"))
        error_payload = await tap.payload_for(refused["headers"]["x-ingate-request-id"])
        payload = await tap.payload_for(frames[0]["headers"]["X-Ingate-Request-Id"])
    sent = json.loads(payload.request_body)
    assert sent["type"] == "response.create"
    assert sent["input"][0]["content"][0]["text"] == "capture me"
    streamed = "".join(f["delta"] for f in frames if f["type"] == "response.output_text.delta")
    kept = json.loads(payload.response_body)  # one Responses object, not the frames
    assert kept["object"] == "response"
    texts = [c["text"] for item in kept["output"] if item["type"] == "message" for c in item["content"]]
    assert "".join(texts) == streamed and streamed
    assert kept["usage"]["output_tokens"] == frames[-1]["response"]["usage"]["output_tokens"]
    assert json.loads(error_payload.response_body)["error"]["code"] == "rate_limit_exceeded"
    assert MOCK_OPENAI_KEY not in payload.request_body + payload.response_body
