"""Abandoned streams: the mock stops generating once the client goes away."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.mock_provider.conftest import ANTHROPIC_KEY, OPENAI_KEY, start_mock, stop_mock

OPENAI_AUTH = {"authorization": f"Bearer {OPENAI_KEY}"}
ANTHROPIC_AUTH = {"x-api-key": ANTHROPIC_KEY, "anthropic-version": "2023-06-01"}
SLOW = {"X-Mock-Tokens-Per-Second": "5", "X-Mock-Reply-Tokens": "200"}
STREAM_S = 40.0  # how long a SLOW stream runs when nothing stops it
USER = [{"role": "user", "content": "hi"}]
STREAMS = [
    ("/v1/chat/completions", {"model": "gpt-4o", "messages": USER, "stream": True}, OPENAI_AUTH),
    ("/v1/responses", {"model": "gpt-4o", "input": "hi", "stream": True}, OPENAI_AUTH),
    ("/v1/messages", {"model": "c", "max_tokens": 1000, "messages": USER, "stream": True}, ANTHROPIC_AUTH),
    ("/api/chat", {"model": "llama3.2", "messages": USER}, {}),
]
STREAM_IDS = ["openai-chat", "openai-responses", "anthropic", "ollama"]


def _active_streams(probe: httpx.Client) -> int:
    count = probe.get("/healthz").json()["active_streams"]
    assert isinstance(count, int)
    return count


def _settles_at_zero(probe: httpx.Client, within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while _active_streams(probe) != 0:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.mark.parametrize(("path", "payload", "headers"), STREAMS, ids=STREAM_IDS)
def test_abandoned_stream_stops(
    mock_provider_url: str, path: str, payload: dict[str, Any], headers: dict[str, str]
) -> None:
    with httpx.Client(base_url=mock_provider_url, timeout=10) as probe:
        assert _settles_at_zero(probe, STREAM_S / 2)
        with (
            httpx.Client(base_url=mock_provider_url, timeout=10) as client,
            client.stream("POST", path, json=payload, headers={**headers, **SLOW}) as response,
        ):
            assert response.status_code == 200
            chunks = response.iter_raw()  # keep it: dropping the iterator closes the connection
            assert next(chunks)
            assert _active_streams(probe) == 1
            time.sleep(0.3)  # a connected client that merely reads slowly is not "gone"
            assert _active_streams(probe) == 1
        # the client is gone; 200 tokens at 5/s would otherwise run for 40 s
        assert _settles_at_zero(probe, STREAM_S / 2)


def test_finished_streams_are_not_counted(mock_provider_url: str) -> None:
    path, payload, headers = STREAMS[0]
    with httpx.Client(base_url=mock_provider_url, timeout=10) as client:
        assert _settles_at_zero(client, STREAM_S / 2)
        response = client.post(path, json=payload, headers=headers)
        assert response.text.endswith("data: [DONE]\n\n")
        assert _active_streams(client) == 0


def test_terminate_does_not_wait_for_a_connected_stream(tmp_path: Path) -> None:
    mock = start_mock(tmp_path / "stderr.log")
    proc, url = mock.proc, mock.url
    try:
        path, payload, headers = STREAMS[0]
        with (
            httpx.Client(base_url=url, timeout=10) as client,
            client.stream("POST", path, json=payload, headers={**headers, **SLOW}) as response,
        ):
            chunks = response.iter_raw()
            assert next(chunks)
            proc.terminate()
            # Well before the stream's 40 s: the shutdown's grace period (2 s) cut it short.
            proc.wait(timeout=STREAM_S / 2)
    finally:
        stop_mock(proc)
