"""The shared response cache through real edges and the official SDKs: the same request again is
answered from the cache without an upstream call, on any edge, as JSON or as a stream the SDK
reads; per key unless shared; bypassed, expired and bad headers as DESIGN.md says; a hit's record
says what it saved, and it counts against the key's limits as a request, not as tokens."""

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import anthropic
import httpx
import openai
import pytest

from ingate_nats import NatsServer
from tests.conftest import Edge, running_mock, start_edge
from tests.support.events import tap_records

CHAT = "/v1/chat/completions"
TIMEOUT_S = 30.0
DEADLINE_S = 60.0  # generous: a busy machine may be slow to store an answer
T = TypeVar("T")


@pytest.fixture(scope="module")
def cache_mock(logs_dir: Path) -> Iterator[str]:
    """A mock of this module's own, so that its request counts are this module's."""
    with running_mock(logs_dir, "mock-provider-cache") as url:
        yield url


@pytest.fixture(scope="module")
def edges(nats_server: NatsServer, cache_mock: str, logs_dir: Path) -> Iterator[tuple[Edge, Edge]]:
    first = start_edge(nats_server.url, cache_mock, logs_dir, name="edge-cache-a")
    second = start_edge(nats_server.url, cache_mock, logs_dir, name="edge-cache-b")
    try:
        yield first, second
    finally:
        first.service.stop()
        second.service.stop()


@pytest.fixture(scope="module")
def shared_edge(nats_server: NatsServer, cache_mock: str, logs_dir: Path) -> Iterator[Edge]:
    edge = start_edge(
        nats_server.url, cache_mock, logs_dir, name="edge-cache-shared", INGATE_CACHE_SHARED="true"
    )
    try:
        yield edge
    finally:
        edge.service.stop()


def _upstream_calls(mock: str, path: str = CHAT) -> int:
    stats: dict[str, Any] = httpx.get(f"{mock}/_mock/stats", timeout=TIMEOUT_S).json()
    calls: int = stats["paths"].get(path, 0)
    return calls


def _client(edge: Edge, key: str, **headers: str) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=f"{edge.url}/v1", api_key=key, max_retries=0, timeout=TIMEOUT_S, default_headers=headers
    )


def _ask(client: openai.OpenAI, text: str) -> tuple[str, Mapping[str, str]]:
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o", messages=[{"role": "user", "content": text}], max_tokens=30
    )
    content = raw.parse().choices[0].message.content
    assert content
    return content, raw.headers


def _until_hit(ask: Callable[[], T], header: Callable[[T], str], mock: str | None = None) -> T:
    """`ask()` again until the cache answers it: the first answer is stored after it has gone to
    its caller, so an immediate repeat may still miss. With `mock`: the hit made no call to it."""
    deadline = time.monotonic() + DEADLINE_S
    while True:
        before = _upstream_calls(mock) if mock else 0
        answer = ask()
        if header(answer) == "hit":
            if mock:
                assert _upstream_calls(mock) == before, "a hit called the provider"
            return answer
        assert time.monotonic() < deadline, "the answer never reached the cache"
        time.sleep(0.05)


def _hit(client: openai.OpenAI, prompt: str, mock: str | None = None) -> tuple[str, Mapping[str, str]]:
    return _until_hit(lambda: _ask(client, prompt), lambda answer: answer[1]["x-ingate-cache"], mock)


def _prompt() -> str:
    return f"tell me about {uuid.uuid4()}"  # a body no other test sends


def test_the_same_request_again_is_answered_from_the_cache(edges: tuple[Edge, Edge], cache_mock: str) -> None:
    edge, _ = edges
    client = _client(edge, edge.new_key("--cache-ttl", "300"))
    prompt = _prompt()
    first, first_headers = _ask(client, prompt)
    assert first_headers["x-ingate-cache"] == "miss"
    second, second_headers = _hit(client, prompt, cache_mock)  # answered without the provider
    assert second == first
    assert first_headers["x-ingate-request-id"] != second_headers["x-ingate-request-id"]
    parsed = client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": prompt}], max_tokens=30
    )
    assert parsed.headers["X-Ingate-Request-Id"] != first_headers["x-ingate-request-id"]  # type: ignore[attr-defined]


def test_a_stream_is_replayed_as_a_stream_the_sdk_reads(edges: tuple[Edge, Edge], cache_mock: str) -> None:
    edge, _ = edges
    client = _client(edge, edge.new_key("--cache-ttl", "300"))
    prompt = _prompt()

    def streamed() -> tuple[str, int, str]:
        with client.chat.completions.with_streaming_response.create(
            model="gpt-4o",
            messages=[{"role": "user", "content": prompt}],
            max_tokens=30,
            stream=True,
            stream_options={"include_usage": True},
        ) as response:
            chunks = list(response.parse())
            header = response.headers["x-ingate-cache"]
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        usage = next(c.usage for c in chunks if c.usage is not None)
        return text, usage.completion_tokens, header

    first = streamed()
    assert first[2] == "miss"
    second = _until_hit(streamed, lambda answer: answer[2], cache_mock)
    assert second[:2] == first[:2] and first[0]


def test_a_hit_is_served_by_any_edge(edges: tuple[Edge, Edge], cache_mock: str) -> None:
    one, other = edges
    key = one.new_key("--cache-ttl", "300")
    prompt = _prompt()
    made, _ = _ask(_client(one, key), prompt)
    _hit(_client(one, key), prompt)
    served, _ = _hit(_client(other, key), prompt, cache_mock)
    assert served == made


def test_another_key_misses_unless_the_cache_is_shared(
    edges: tuple[Edge, Edge], shared_edge: Edge, cache_mock: str
) -> None:
    edge, _ = edges
    prompt = _prompt()
    _hit(_client(edge, edge.new_key("--cache-ttl", "300")), prompt)
    _, other_key = _ask(_client(edge, edge.new_key("--cache-ttl", "300")), prompt)
    assert other_key["x-ingate-cache"] == "miss"  # never another key's answer

    shared_prompt = _prompt()
    made, _ = _hit(_client(shared_edge, shared_edge.new_key("--cache-ttl", "300")), shared_prompt)
    served, _ = _hit(
        _client(shared_edge, shared_edge.new_key("--cache-ttl", "300")), shared_prompt, cache_mock
    )
    assert served == made


def test_the_request_header_asks_for_the_cache_and_bypass_skips_it(
    edges: tuple[Edge, Edge], cache_mock: str
) -> None:
    edge, _ = edges
    key = edge.new_key()  # no TTL of its own
    prompt = _prompt()
    _, plain = _ask(_client(edge, key), prompt)
    assert "x-ingate-cache" not in plain
    asking = _client(edge, key, **{"X-Ingate-Cache-TTL": "300"})
    assert _ask(asking, prompt)[1]["x-ingate-cache"] == "miss"
    _hit(asking, prompt)
    before = _upstream_calls(cache_mock)
    bypassing = _client(edge, key, **{"X-Ingate-Cache-TTL": "300", "X-Ingate-Cache": "bypass"})
    assert _ask(bypassing, prompt)[1]["x-ingate-cache"] == "bypass"
    assert _upstream_calls(cache_mock) - before == 1


def test_an_entry_expires_after_its_ttl(edges: tuple[Edge, Edge]) -> None:
    edge, _ = edges
    client = _client(edge, edge.new_key(), **{"X-Ingate-Cache-TTL": "1"})
    prompt = _prompt()
    assert _ask(client, prompt)[1]["x-ingate-cache"] == "miss"
    deadline = time.monotonic() + 60
    while _ask(client, prompt)[1]["x-ingate-cache"] == "hit":
        assert time.monotonic() < deadline, "the entry outlived its TTL"
        time.sleep(0.2)


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Ingate-Cache-TTL": "soon"},
        {"X-Ingate-Cache-TTL": "-5"},
        {"X-Ingate-Cache-TTL": "99999999999"},
        {"X-Ingate-Cache-TTL": ""},
        {"X-Ingate-Cache": "sometimes"},
    ],
)
def test_a_bad_cache_header_is_a_400_naming_it(edges: tuple[Edge, Edge], headers: dict[str, str]) -> None:
    edge, _ = edges
    client = _client(edge, edge.new_key(), **headers)
    with pytest.raises(openai.BadRequestError) as refused:
        _ask(client, _prompt())
    assert next(iter(headers)) in refused.value.message
    assert refused.value.response.headers["x-ingate-request-id"]


def test_an_error_is_never_cached(edges: tuple[Edge, Edge], cache_mock: str) -> None:
    edge, _ = edges
    client = _client(edge, edge.new_key("--cache-ttl", "300"))
    prompt = _prompt()
    httpx.post(f"{cache_mock}/_mock/faults", json={"fail_next": 1, "status": 500}, timeout=TIMEOUT_S)
    with pytest.raises(openai.InternalServerError):
        _ask(client, prompt)
    assert _ask(client, prompt)[1]["x-ingate-cache"] == "miss"
    _hit(client, prompt)


async def test_a_hit_s_record_costs_nothing_and_says_what_it_saved(edges: tuple[Edge, Edge]) -> None:
    edge, _ = edges
    client = _client(edge, edge.new_key("--cache-ttl", "300"))
    prompt = _prompt()
    async with tap_records(edge.nats_url) as tap:
        _, made = await asyncio.to_thread(_ask, client, prompt)
        _, served = await asyncio.to_thread(_hit, client, prompt)
        first = await tap.record_for(made["x-ingate-request-id"])
        hit = await tap.record_for(served["x-ingate-request-id"])
    assert not first.cache_hit and first.cost_usd > 0
    assert hit.cache_hit and hit.cost_usd == 0 and hit.cost_saved_usd == first.cost_usd
    assert (hit.input_tokens, hit.output_tokens, hit.attempts) == (0, 0, 0)
    assert (hit.status, hit.provider, hit.model) == (200, first.provider, first.model)


def test_a_hit_counts_as_a_request_against_the_key_s_limits(shared_edge: Edge) -> None:
    prompt = _prompt()
    # Another key fills the (shared) cache, so every request of the limited key is a hit.
    _hit(_client(shared_edge, shared_edge.new_key("--cache-ttl", "300")), prompt)
    limited = _client(shared_edge, shared_edge.new_key("--cache-ttl", "300", "--rpm", "2"))
    assert _ask(limited, prompt)[1]["x-ingate-cache"] == "hit"
    assert _ask(limited, prompt)[1]["x-ingate-cache"] == "hit"
    with pytest.raises(openai.RateLimitError):
        _ask(limited, prompt)


def test_an_anthropic_stream_is_replayed_to_the_anthropic_sdk(
    edges: tuple[Edge, Edge], cache_mock: str
) -> None:
    edge, _ = edges
    client = anthropic.Anthropic(
        base_url=edge.url, api_key=edge.new_key("--cache-ttl", "300"), max_retries=0, timeout=TIMEOUT_S
    )
    prompt = _prompt()

    def streamed() -> tuple[str, int]:
        with client.messages.stream(
            model="claude-sonnet-4-20250514", max_tokens=30, messages=[{"role": "user", "content": prompt}]
        ) as stream:
            text = "".join(stream.text_stream)
            final = stream.get_final_message()
        return text, final.usage.output_tokens

    first = streamed()
    deadline = time.monotonic() + DEADLINE_S
    while True:  # the SDK's stream helper hides the headers: the provider's count says it all
        before = _upstream_calls(cache_mock, "/v1/messages")
        second = streamed()
        if _upstream_calls(cache_mock, "/v1/messages") == before:
            break
        assert time.monotonic() < deadline, "the answer never reached the cache"
    assert second == first and first[0]


def test_the_key_s_ttl_is_set_by_the_cli_and_the_admin_api(edges: tuple[Edge, Edge]) -> None:
    edge, _ = edges
    code, out, err = edge.cli("keys", "create", "--cache-ttl", "600", "--json")
    assert code == 0, err
    created = json.loads(out)
    assert created["cache_ttl"] == 600
    code, out, _ = edge.cli("keys", "update", created["key_id"], "--cache-ttl", "none", "--json")
    assert code == 0 and json.loads(out)["cache_ttl"] is None
    for bad in ("0", "-1", "soon", str(30 * 86400 + 1)):
        code, _, err = edge.cli("keys", "update", created["key_id"], "--cache-ttl", bad)
        assert code == 2 and "--cache-ttl" in err, (bad, err)


@pytest.fixture(scope="module")
def tight_edge(nats_server: NatsServer, cache_mock: str, logs_dir: Path) -> Iterator[Edge]:
    """An edge keeping no answer over 200 bytes (a chat completion is larger), none longer than a second."""
    edge = start_edge(
        nats_server.url,
        cache_mock,
        logs_dir,
        name="edge-cache-tight",
        INGATE_CACHE_MAX_BYTES="200",
        INGATE_CACHE_MAX_TTL_S="1",
    )
    try:
        yield edge
    finally:
        edge.service.stop()


def test_an_answer_over_the_size_cap_is_served_but_not_kept(tight_edge: Edge) -> None:
    client = _client(tight_edge, tight_edge.new_key("--cache-ttl", "300"))
    prompt = _prompt()
    _, first = _ask(client, prompt)
    assert int(first["content-length"]) > 200
    assert (first["x-ingate-cache"], _ask(client, prompt)[1]["x-ingate-cache"]) == ("miss", "miss")


def test_no_entry_outlives_the_edge_s_longest_ttl(tight_edge: Edge) -> None:
    client = _client(tight_edge, tight_edge.new_key("--cache-ttl", "300"))
    prompt = _prompt()
    assert _ask(client, prompt)[1]["x-ingate-cache"] == "miss"
    deadline = time.monotonic() + 60
    while _ask(client, prompt)[1]["x-ingate-cache"] == "hit":  # the key asks 300 s; the edge allows 1
        assert time.monotonic() < deadline, "the entry outlived INGATE_CACHE_MAX_TTL_S"
        time.sleep(0.2)


def test_an_answer_too_large_for_one_nats_message_is_cached_too(
    edges: tuple[Edge, Edge], cache_mock: str
) -> None:
    edge, other = edges
    key = edge.new_key("--cache-ttl", "300")
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": _prompt()}]}
    headers = {"authorization": f"Bearer {key}", "X-Mock-Reply-Tokens": "120000"}

    def post(on: Edge) -> httpx.Response:
        return httpx.post(f"{on.url}{CHAT}", json=body, headers=headers, timeout=TIMEOUT_S)

    first = post(edge)
    assert first.status_code == 200 and len(first.content) > 600 * 1024  # over the KV entry's limit
    served = _until_hit(lambda: post(other), lambda answer: answer.headers["x-ingate-cache"], cache_mock)
    assert served.json()["choices"] == first.json()["choices"]
