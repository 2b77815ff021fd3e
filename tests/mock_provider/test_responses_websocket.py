"""The mock's Responses API over WebSocket: the upgrade checks the key as the HTTP path does,
each create is answered with the events of the SSE stream, and errors are frames."""

from __future__ import annotations

from typing import Any

import aiohttp
import httpx
import pytest

from tests.mock_provider.conftest import OPENAI_KEY

AUTH = {"Authorization": f"Bearer {OPENAI_KEY}"}
CREATE = {"model": "gpt-4o", "input": "say something", "max_output_tokens": 30}
TIMEOUT_S = 60.0


def _ws(url: str) -> str:
    return url.replace("http://", "ws://", 1) + "/v1/responses"


async def _answer(ws: aiohttp.ClientWebSocketResponse, frame: dict[str, Any]) -> list[dict[str, Any]]:
    await ws.send_json(frame)
    frames: list[dict[str, Any]] = []
    while not frames or frames[-1]["type"] not in ("response.completed", "response.incomplete", "error"):
        frames.append((await ws.receive(timeout=TIMEOUT_S)).json())
    return frames


@pytest.mark.parametrize("auth", [None, "Bearer sk-wrong-key-000000"])
async def test_the_upgrade_needs_the_key(mock_provider_url: str, auth: str | None) -> None:
    headers = {} if auth is None else {"Authorization": auth}
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as raised:
            await session.ws_connect(_ws(mock_provider_url), headers=headers)
    assert raised.value.status == 401


async def test_frames_are_the_events_of_the_sse_stream(mock_provider_url: str) -> None:
    async with httpx.AsyncClient(base_url=mock_provider_url, timeout=TIMEOUT_S) as client:
        async with client.stream(
            "POST", "/v1/responses", json={**CREATE, "stream": True}, headers=AUTH
        ) as sse:
            names = [line[len("event: ") :] async for line in sse.aiter_lines() if line.startswith("event: ")]
        before = (await client.get("/_mock/stats")).json()["websockets"]
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(_ws(mock_provider_url), headers=AUTH) as ws,
        ):
            first = await _answer(ws, {"type": "response.create", **CREATE})
            [bad] = await _answer(ws, {"type": "session.update"})
            second = await _answer(ws, {"type": "response.create", **CREATE})
        after = (await client.get("/_mock/stats")).json()["websockets"]
    assert [f["type"] for f in first] == names == [f["type"] for f in second]
    assert [f["sequence_number"] for f in first] == list(range(len(first)))
    assert first[-1]["response"]["usage"]["output_tokens"] > 0
    assert (bad["type"], bad["status"], bad["error"]["type"]) == ("error", 400, "invalid_request_error")
    assert after - before == 1
