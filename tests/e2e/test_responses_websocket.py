"""A WebSocket Responses session, as Codex opens one: a real WebSocket client (aiohttp's)
against the real edge and the mock provider.

Two responses on one socket relay every event in order, each with its own record; the second
continues the first through `previous_response_id`, and a warmup (`generate: false`) can be
chained from too. A bad key is refused at the upgrade; malformed frames get error frames and
the socket keeps serving; a provider error is an error frame; a client that leaves mid-response
is recorded as 499; oversized frames and idle sockets are closed; plain HTTP is unchanged.
"""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest

from ingate_nats import NatsServer
from tests.conftest import Edge, start_edge
from tests.support.events import tap_records

MODEL = "gpt-4o"
FRAME_TIMEOUT_S = 60.0
IDLE_TIMEOUT_S = 1
MAX_CONNECTIONS = 2
MAX_BODY = 1024 * 1024  # the suite's edges' INGATE_EDGE_MAX_BODY_BYTES
SLOW = {"X-Mock-Tokens-Per-Second": "5", "X-Mock-Reply-Tokens": "200"}  # 40 s: long enough to leave
Frame = dict[str, Any]


def _ws_url(edge: Edge, path: str = "/v1/responses") -> str:
    return edge.url.replace("http://", "ws://", 1) + path


def _who() -> dict[str, str]:
    tag = uuid.uuid4().hex[:8]
    return {"X-Ingate-User-Id": f"ws-user-{tag}", "X-Ingate-Session-Id": f"ws-sess-{tag}"}


@asynccontextmanager
async def _socket(
    edge: Edge, key: str, headers: dict[str, str] | None = None, path: str = "/v1/responses"
) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    sent = {
        "Authorization": f"Bearer {key}",
        "OpenAI-Beta": "responses_websockets=2026-02-06",
        **(headers or {}),
    }
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(_ws_url(edge, path), headers=sent, autoping=True) as ws,
    ):
        yield ws


def _create(text: str, **fields: Any) -> Frame:
    user = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
    return {"type": "response.create", "model": MODEL, "store": False, "input": [user], **fields}


async def _frame(ws: aiohttp.ClientWebSocketResponse) -> Frame:
    message = await ws.receive(timeout=FRAME_TIMEOUT_S)
    assert message.type == aiohttp.WSMsgType.TEXT, message
    frame: Frame = message.json()
    return frame


async def _response(ws: aiohttp.ClientWebSocketResponse, create: Frame) -> list[Frame]:
    """The frames answering `create`, through response.completed or an error."""
    await ws.send_json(create)
    frames = [await _frame(ws)]
    while frames[-1]["type"] not in ("response.completed", "response.failed", "error"):
        frames.append(await _frame(ws))
    return frames


def _text_of(frames: list[Frame]) -> str:
    return "".join(f["delta"] for f in frames if f["type"] == "response.output_text.delta")


async def test_a_session_serves_two_responses_on_one_socket_each_recorded(
    edge: Edge, ingate_key: str
) -> None:
    who = _who()
    async with tap_records(edge.nats_url) as tap, _socket(edge, ingate_key, who) as ws:
        first = await _response(ws, _create("hello there"))
        second = await _response(ws, _create("and again", previous_response_id=first[-1]["response"]["id"]))
        alone = await _response(ws, _create("and again"))
        records = [
            await tap.record_for(r[0]["headers"]["X-Ingate-Request-Id"]) for r in (first, second, alone)
        ]
    for frames in (first, second, alone):
        kinds = [f["type"] for f in frames]
        assert kinds[0] == "response.created" and kinds[-1] == "response.completed", kinds
        assert "response.output_text.delta" in kinds
        numbers = [f["sequence_number"] for f in frames if "sequence_number" in f]
        assert numbers == sorted(numbers)  # relayed in order
        assert _text_of(frames)
    usages = [r[-1]["response"]["usage"] for r in (first, second, alone)]
    # The second turn carried only its new input; the edge sent the whole conversation.
    assert usages[1]["input_tokens"] > usages[2]["input_tokens"] + usages[0]["output_tokens"] // 2
    ids = {r.request_id for r in records}
    assert len(ids) == 3
    for record, usage in zip(records, usages, strict=True):
        assert (record.endpoint, record.status, record.stream, record.provider) == (
            "responses",
            200,
            True,
            "openai",
        )
        assert (record.user_id, record.session_id) == (who["X-Ingate-User-Id"], who["X-Ingate-Session-Id"])
        assert (record.input_tokens, record.output_tokens) == (usage["input_tokens"], usage["output_tokens"])


async def test_the_path_without_v1_serves_too(edge: Edge, ingate_key: str) -> None:
    """As the OpenAI SDK's `base_url` without /v1 would reach it."""
    async with _socket(edge, ingate_key, path="/responses") as ws:
        assert (await _response(ws, _create("hi")))[-1]["type"] == "response.completed"


async def test_a_create_sent_while_a_response_streams_is_served_after_it(edge: Edge, ingate_key: str) -> None:
    async with _socket(edge, ingate_key) as ws:
        await ws.send_json(_create("first"))
        await ws.send_json(_create("second"))
        frames = [await _frame(ws)]
        while sum(f["type"] == "response.completed" for f in frames) < 2:
            frames.append(await _frame(ws))
    ends = [i for i, f in enumerate(frames) if f["type"] in ("response.created", "response.completed")]
    kinds = [frames[i]["type"] for i in ends]
    assert kinds == ["response.created", "response.completed"] * 2  # one after the other, not interleaved
    assert frames[ends[1]]["response"]["id"] != frames[ends[3]]["response"]["id"]


async def test_a_warmup_answers_at_once_and_can_be_chained_from(edge: Edge, ingate_key: str) -> None:
    async with _socket(edge, ingate_key) as ws:
        warm = await _response(ws, _create("the tools and instructions to come", generate=False))
        assert [f["type"] for f in warm] == ["response.created", "response.completed"]
        response = warm[-1]["response"]
        assert response["output"] == [] and response["usage"]["total_tokens"] == 0
        follow = await _response(ws, _create("now answer", previous_response_id=response["id"]))
        plain = await _response(ws, _create("now answer"))
    assert follow[-1]["type"] == "response.completed"
    assert follow[-1]["response"]["usage"]["input_tokens"] > plain[-1]["response"]["usage"]["input_tokens"]


async def test_lanes_echo_their_stream_id_and_a_chain_can_fork_from_an_earlier_response(
    edge: Edge, ingate_key: str
) -> None:
    async with _socket(edge, ingate_key) as ws:
        root = await _response(ws, _create("the root", stream_id="a"))
        later = await _response(ws, _create("on lane b", stream_id="b"))
        fork = await _response(
            ws, _create("fork", stream_id="c", previous_response_id=root[-1]["response"]["id"])
        )
        plain = await _response(ws, _create("fork"))
    for frames, lane in ((root, "a"), (later, "b"), (fork, "c")):
        assert {f["stream_id"] for f in frames} == {lane}
    assert all("stream_id" not in f for f in plain)
    # The fork was sent with the root's conversation, though another response came between.
    assert fork[-1]["response"]["usage"]["input_tokens"] > plain[-1]["response"]["usage"]["input_tokens"]


async def test_steering_is_declined_with_the_input_handed_back(edge: Edge, ingate_key: str) -> None:
    async with _socket(edge, ingate_key) as ws:
        done = await _response(ws, _create("hi"))
        await ws.send_json(
            {"type": "response.steer", "previous_response_id": done[-1]["response"]["id"], "input": "more"}
        )
        failed = await _frame(ws)
        assert (await _response(ws, _create("still serving")))[-1]["type"] == "response.completed"
    assert failed["type"] == "response.steer.failed"
    assert (failed["error"]["code"], failed["steer"]["input"]) == ("steering_not_supported", "more")


@pytest.mark.parametrize("auth", ["Bearer sk-ingate-not-a-real-key", None])
async def test_a_bad_or_missing_key_is_refused_at_the_upgrade(edge: Edge, auth: str | None) -> None:
    headers = {} if auth is None else {"Authorization": auth}
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as raised:
            await session.ws_connect(_ws_url(edge), headers=headers)
    assert raised.value.status == 401
    assert raised.value.headers is not None and raised.value.headers["x-ingate-request-id"].startswith("req_")


async def test_a_key_revoked_while_its_socket_is_open_is_refused_at_the_next_create(edge: Edge) -> None:
    created = json.loads(edge.cli("keys", "create", "--json")[1])
    async with _socket(edge, created["key"]) as ws:
        assert (await _response(ws, _create("hi")))[-1]["type"] == "response.completed"
        code, _, err = edge.cli("keys", "revoke", created["key_id"])
        assert code == 0, err
        deadline = asyncio.get_running_loop().time() + FRAME_TIMEOUT_S
        while (last := (await _response(ws, _create("hi")))[-1])["type"] != "error":  # revoked within 1 s
            assert asyncio.get_running_loop().time() < deadline, "the revoke never reached the socket"
            await asyncio.sleep(0.2)
    assert (last["status"], last["error"]["code"]) == (401, "invalid_api_key")


async def test_malformed_frames_get_error_frames_and_the_socket_keeps_serving(
    edge: Edge, ingate_key: str
) -> None:
    async with tap_records(edge.nats_url) as tap, _socket(edge, ingate_key) as ws:
        errors = []
        for bad in ("not json", "[1, 2]", '{"type": "session.update"}', '{"no": "type"}'):
            await ws.send_str(bad)
            errors.append(await _frame(ws))
        await ws.send_bytes(b'{"type": "response.create"}')
        errors.append(await _frame(ws))
        errors.append((await _response(ws, _create("x", background=True)))[-1])
        errors.append((await _response(ws, _create("x", model=12)))[-1])  # the proxy's own 400
        done = await _response(ws, _create("still there?"))
        refused = await tap.record_for(errors[0]["error"]["request_id"])
    for frame in errors:
        assert (frame["type"], frame["status"]) == ("error", 400), frame
        assert frame["error"]["type"] == "invalid_request_error" and frame["error"]["message"]
        assert frame["headers"]["x-ingate-request-id"] == frame["error"]["request_id"]
    assert "JSON" in errors[0]["error"]["message"]
    assert "session.update" in errors[2]["error"]["message"]
    assert done[-1]["type"] == "response.completed"
    assert (refused.status, refused.error_type, refused.endpoint) == (400, "invalid_request", "responses")


async def test_provider_errors_are_error_frames_and_the_socket_stays_open(
    edge: Edge, ingate_key: str
) -> None:
    async with _socket(edge, ingate_key, {"X-Ingate-Provider": "dead"}) as ws:
        [unreachable] = await _response(ws, _create("hi"))
        [again] = await _response(ws, _create("hi"))
    for frame in (unreachable, again):
        assert (frame["type"], frame["status"], frame["error"]["code"]) == (
            "error",
            502,
            "upstream_unreachable",
        )
        assert frame["headers"]["x-ingate-request-id"].startswith("req_")


async def test_a_stream_the_provider_breaks_is_an_error_frame_and_the_socket_stays_open(
    edge: Edge, ingate_key: str
) -> None:
    async with tap_records(edge.nats_url) as tap, _socket(edge, ingate_key, {"X-Mock-Drop-After": "3"}) as ws:
        broken = await _response(ws, _create("hi"))
        again = await _response(ws, _create("hi"))
        record = await tap.record_for(broken[0]["headers"]["X-Ingate-Request-Id"])
    for frames in (broken, again):
        assert frames[0]["type"] == "response.created"
        assert (frames[-1]["type"], frames[-1]["status"]) == ("error", 502)
        assert frames[-1]["error"]["code"] == "upstream_stream_broken"
    assert (record.status, record.error_type) == (502, "upstream_stream_broken")


async def test_an_oversized_create_gets_413_and_an_oversized_frame_closes_the_socket(
    edge: Edge, ingate_key: str
) -> None:
    async with _socket(edge, ingate_key) as ws:
        [too_large] = await _response(ws, _create("x" * (MAX_BODY + 1)))
        assert (too_large["status"], too_large["error"]["code"]) == (413, "request_too_large")
        assert (await _response(ws, _create("fits")))[-1]["type"] == "response.completed"
        await ws.send_str("x" * (MAX_BODY + 128 * 1024))
        closing = await ws.receive(timeout=FRAME_TIMEOUT_S)
    assert closing.type == aiohttp.WSMsgType.CLOSE and closing.data == 1009


async def test_a_client_that_leaves_mid_response_is_recorded_as_499(edge: Edge, ingate_key: str) -> None:
    async with tap_records(edge.nats_url) as tap:
        async with _socket(edge, ingate_key, SLOW) as ws:
            await ws.send_json(_create("talk for a while"))
            created = await _frame(ws)
            assert created["type"] == "response.created"
        record = await tap.record_for(created["headers"]["X-Ingate-Request-Id"], timeout_s=FRAME_TIMEOUT_S)
    assert (record.status, record.error_type, record.endpoint) == (499, "client_disconnected", "responses")


async def test_plain_http_on_the_path_and_upgrades_elsewhere_are_unchanged(
    edge: Edge, ingate_key: str
) -> None:
    auth = {"Authorization": f"Bearer {ingate_key}"}
    upgrade = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
               "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}  # fmt: skip
    async with httpx.AsyncClient(base_url=edge.url, timeout=FRAME_TIMEOUT_S) as client:
        plain = await client.get("/v1/responses", headers=auth)
        models = await client.get("/v1/models", headers={**auth, **upgrade})
    assert plain.status_code == 405 and plain.json()["error"]["code"] == "method_not_allowed"
    assert models.status_code == 200 and models.json()["data"]


@pytest.fixture(scope="module")
def idle_edge(nats_server: NatsServer, mock_url: str, logs_dir: Path) -> Iterator[Edge]:
    """An edge that closes idle sockets after a second and takes only a few connections."""
    running = start_edge(
        nats_server.url,
        mock_url,
        logs_dir,
        name="edge-ws-idle",
        INGATE_EDGE_WEBSOCKET_IDLE_TIMEOUT_S=str(IDLE_TIMEOUT_S),
        INGATE_EDGE_MAX_CONNECTIONS=str(MAX_CONNECTIONS),
    )
    try:
        yield running
    finally:
        running.service.stop()


async def test_an_idle_socket_is_closed(idle_edge: Edge) -> None:
    key = idle_edge.new_key("--name", "ws-idle")
    async with _socket(idle_edge, key) as ws:
        assert (await _response(ws, _create("hi")))[-1]["type"] == "response.completed"
        closing = await ws.receive(timeout=FRAME_TIMEOUT_S)
    assert closing.type == aiohttp.WSMsgType.CLOSE and closing.data == 1000


async def test_sockets_count_against_the_connection_limit(idle_edge: Edge) -> None:
    key = idle_edge.new_key("--name", "ws-limit")
    # Kept busy (a slow response) so that the idle timeout does not close them meanwhile.
    async with _socket(idle_edge, key, SLOW) as first, _socket(idle_edge, key, SLOW) as second:
        for ws in (first, second):
            await ws.send_json(_create("stay a while"))
            assert (await _frame(ws))["type"] == "response.created"
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.WSServerHandshakeError) as raised:
                await session.ws_connect(_ws_url(idle_edge), headers={"Authorization": f"Bearer {key}"})
    assert raised.value.status == 503
