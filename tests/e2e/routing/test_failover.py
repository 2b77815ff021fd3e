"""Routes through the official SDKs: shares, failover, cooldowns shared by two edges, the
caller's own format across providers, and what happens when every target is down."""

import asyncio
import time
from collections import Counter
from collections.abc import Callable

import anthropic
import httpx
import ollama
import openai
import pytest

from tests.conftest import Edge, Translators
from tests.e2e.routing.conftest import Mocks
from tests.support.events import tap_records

HELLO: list[openai.types.chat.ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]


def _openai(edge: Edge, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=edge.url, api_key=key, max_retries=0, timeout=30)


def _eventually(condition: Callable[[], bool], timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def _until_answered_by(client: openai.OpenAI, route: str, target: str) -> None:
    """Until `target` answers a request for `route` (once a cooldown, if any, has run out)."""

    def answered_by_target() -> bool:
        raw = client.chat.completions.with_raw_response.create(model=route, messages=HELLO)
        return raw.headers["x-ingate-target"] == target

    _eventually(answered_by_target, timeout_s=60)


def test_weighted_route_splits_by_weight(routed: Edge, routing_key: str, mocks: Mocks) -> None:
    client = _openai(routed, routing_key)
    targets: Counter[str] = Counter()
    for _ in range(200):
        raw = client.chat.completions.with_raw_response.create(model="split", messages=HELLO)
        assert raw.headers["x-ingate-attempts"] == "1"
        targets[raw.headers["x-ingate-target"]] += 1
        assert raw.parse().choices[0].message.content
    assert set(targets) == {"alpha/gpt-4o", "beta/gpt-4o"}
    assert abs(targets["alpha/gpt-4o"] - 150) <= 8  # 3:1, within a few percent
    assert (mocks.alpha.requests(), mocks.beta.requests()) == (
        targets["alpha/gpt-4o"],
        targets["beta/gpt-4o"],
    )


def test_primary_500_is_answered_by_the_fallback_and_recorded(
    routed: Edge, routing_key: str, mocks: Mocks
) -> None:
    mocks.alpha.faults(fail_next=1, status=500)

    async def run() -> None:
        async with tap_records(routed.nats_url) as tap:
            raw = _openai(routed, routing_key).chat.completions.with_raw_response.create(
                model="failover", messages=HELLO
            )
            assert raw.headers["x-ingate-target"] == "beta/gpt-4o-mini"
            assert raw.headers["x-ingate-attempts"] == "2"
            completion = raw.parse()
            assert completion.choices[0].message.content
            record = await tap.record_for(raw.headers["x-ingate-request-id"])
            assert (record.route, record.provider, record.model) == ("failover", "beta", "gpt-4o-mini")
            assert (record.status, record.error_type) == (200, "")
            assert record.attempts == 2 and record.attempt_errors == ["upstream_500"]
            assert record.attempt_targets == ["alpha/gpt-4o-mini", "beta/gpt-4o-mini"]  # in order tried
            assert record.input_tokens > 0 and record.cost_usd > 0

    asyncio.run(run())
    assert (mocks.alpha.requests(), mocks.beta.requests()) == (1, 1)


def test_connection_refused_goes_to_the_fallback(routed: Edge, routing_key: str, mocks: Mocks) -> None:
    mocks.alpha.faults(refuse_connections=True)
    raw = _openai(routed, routing_key).chat.completions.with_raw_response.create(
        model="refused", messages=HELLO
    )
    assert raw.headers["x-ingate-target"] == "beta/gpt-4.1"
    assert raw.headers["x-ingate-attempts"] == "2"
    mocks.alpha.clear()
    # Once it listens again (after a cooldown, if it tripped one) alpha is the target again.
    client = _openai(routed, routing_key)
    _until_answered_by(client, "refused", "alpha/gpt-4.1")


def test_429_with_retry_after_cools_the_target_on_both_edges(
    routing_edges: tuple[Edge, Edge], routing_key: str, mocks: Mocks
) -> None:
    first, second = routing_edges
    mocks.alpha.faults(fail_next=1, status=429, retry_after_s=60)
    raw = _openai(first, routing_key).chat.completions.with_raw_response.create(
        model="limited", messages=HELLO
    )
    assert (raw.headers["x-ingate-target"], raw.headers["x-ingate-attempts"]) == ("beta/gpt-4.1-mini", "2")
    assert mocks.alpha.requests() == 1
    # alpha would answer now, but both edges skip it for the minute it asked for.
    for edge in (second, first, second):
        raw = _openai(edge, routing_key).chat.completions.with_raw_response.create(
            model="limited", messages=HELLO
        )
        assert (raw.headers["x-ingate-target"], raw.headers["x-ingate-attempts"]) == (
            "beta/gpt-4.1-mini",
            "1",
        )
    assert mocks.alpha.requests() == 1


def test_a_stream_whose_primary_fails_streams_whole_from_the_fallback(
    routed: Edge, routing_key: str, mocks: Mocks
) -> None:
    mocks.alpha.faults(fail_next=1, status=503)
    with _openai(routed, routing_key).chat.completions.with_streaming_response.create(
        model="streamed", messages=HELLO, stream=True
    ) as response:
        assert response.headers["x-ingate-target"] == "beta/gpt-4.1-nano"
        assert response.headers["x-ingate-attempts"] == "2"
        chunks = list(response.parse())
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text and chunks[-1].choices[0].finish_reason == "stop"
    assert all(chunk.usage is None for chunk in chunks)  # the caller asked for no usage chunk


def test_a_stream_broken_midway_is_not_retried_and_is_an_error(
    routed: Edge, routing_key: str, mocks: Mocks
) -> None:
    mocks.alpha.faults(break_stream_after=2)

    async def run() -> None:
        async with tap_records(routed.nats_url) as tap:
            client = openai.AsyncOpenAI(base_url=routed.url, api_key=routing_key, max_retries=0, timeout=30)
            seen: dict[str, str] = {}

            async def read_all() -> None:
                async with client.chat.completions.with_streaming_response.create(
                    model="broken", messages=HELLO, stream=True
                ) as response:
                    seen["request_id"] = response.headers["x-ingate-request-id"]
                    async for _ in await response.parse():
                        pass

            with pytest.raises((openai.APIError, httpx.HTTPError)):
                await read_all()
            record = await tap.record_for(seen["request_id"])
            assert record.error_type == "upstream_stream_broken" and record.attempts == 1
            assert record.route == "broken" and record.provider == "alpha"

    asyncio.run(run())
    assert mocks.beta.requests() == 0


def test_openai_caller_failing_over_to_anthropic_sees_openai_shapes(
    routed: Edge, routing_key: str, mocks: Mocks, translators: Translators
) -> None:
    client = _openai(routed, routing_key)
    mocks.alpha.faults(fail_next=2, status=500)
    raw = client.chat.completions.with_raw_response.create(model="cross", messages=HELLO, max_tokens=50)
    assert raw.headers["x-ingate-target"] == "claude/claude-3-5-haiku-20241022"
    completion = raw.parse()
    assert completion.object == "chat.completion" and completion.choices[0].message.content
    assert completion.usage is not None and completion.usage.prompt_tokens > 0
    stream = client.chat.completions.create(model="cross", messages=HELLO, stream=True, max_tokens=50)
    chunks = list(stream)
    assert all(chunk.object == "chat.completion.chunk" for chunk in chunks)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def test_anthropic_caller_failing_over_to_openai_sees_anthropic_shapes(
    routed: Edge, routing_key: str, mocks: Mocks, translators: Translators
) -> None:
    mocks.gamma.faults(fail_next=1, status=529)
    client = anthropic.Anthropic(base_url=routed.url, api_key=routing_key, max_retries=0, timeout=30)
    raw = client.messages.with_raw_response.create(
        model="cross-claude", max_tokens=50, messages=[{"role": "user", "content": "hi"}]
    )
    assert raw.headers["x-ingate-target"] == "beta/gpt-4o-2024-11-20"
    message = raw.parse()
    assert message.type == "message" and message.content[0].type == "text"


def test_every_target_down_is_503_all_targets_failed_in_each_dialect(
    routed: Edge, routing_key: str, mocks: Mocks
) -> None:
    mocks.alpha.faults(fail_next=1, status=500)
    with pytest.raises(openai.InternalServerError) as openai_error:
        _openai(routed, routing_key).chat.completions.create(model="down", messages=HELLO)
    assert openai_error.value.status_code == 503 and openai_error.value.code == "all_targets_failed"
    assert "dead/gpt-4o" in openai_error.value.message and "alpha/o1" in openai_error.value.message
    assert openai_error.value.response.headers["x-ingate-attempts"] == "2"

    mocks.gamma.faults(fail_next=1, status=500)
    claude = anthropic.Anthropic(base_url=routed.url, api_key=routing_key, max_retries=0, timeout=30)
    with pytest.raises(anthropic.APIStatusError) as anthropic_error:
        claude.messages.create(
            model="down-claude", max_tokens=5, messages=[{"role": "user", "content": "hi"}]
        )
    assert anthropic_error.value.status_code == 503
    assert anthropic_error.value.body["type"] == "error"  # type: ignore[index]
    assert anthropic_error.value.response.headers["x-ingate-request-id"]

    mocks.gamma.faults(fail_next=1, status=500)
    llama = ollama.Client(host=routed.url, headers={"Authorization": f"Bearer {routing_key}"}, timeout=30)
    with pytest.raises(ollama.ResponseError) as ollama_error:
        llama.chat(model="down-llama", messages=[{"role": "user", "content": "hi"}])
    assert ollama_error.value.status_code == 503
    assert "dead-llama/llama3.2: upstream_unreachable" in ollama_error.value.error


def test_least_busy_keeps_away_from_the_slow_target(routed: Edge, routing_key: str, mocks: Mocks) -> None:
    mocks.alpha.faults(latency_s=3.0)
    total = 40
    left = [total]

    async def worker(client: openai.AsyncOpenAI, seen: Counter[str]) -> None:
        while left[0] > 0:
            left[0] -= 1
            raw = await client.chat.completions.with_raw_response.create(model="busy", messages=HELLO)
            seen[raw.headers["x-ingate-target"]] += 1

    async def run() -> Counter[str]:
        seen: Counter[str] = Counter()
        client = openai.AsyncOpenAI(base_url=routed.url, api_key=routing_key, max_retries=0, timeout=30)
        await asyncio.gather(*(worker(client, seen) for _ in range(4)))
        return seen

    # Four requests always in flight: the slow target holds its few while the fast one
    # answers the rest (each new request goes where fewer are in flight).
    seen = asyncio.run(run())
    assert sum(seen.values()) == total
    assert seen["alpha/gpt-4-turbo"] <= 8, seen


def test_an_app_on_a_route_keeps_working_through_an_outage(
    routed: Edge, routing_key: str, mocks: Mocks
) -> None:
    client = _openai(routed, routing_key)
    answered: Counter[str] = Counter()
    retried = 0
    for index in range(120):
        if index == 30:
            mocks.alpha.faults(refuse_connections=True)  # one of the two deployments goes down
        raw = client.chat.completions.with_raw_response.create(model="outage", messages=HELLO)
        assert raw.parse().choices[0].message.content
        answered[raw.headers["x-ingate-target"]] += 1
        retried += raw.headers["x-ingate-attempts"] != "1"
    # Every request answered; after three failures alpha is skipped, tried again only by the
    # one probe each two-second cooldown allows.
    assert sum(answered.values()) == 120
    assert answered["alpha/gpt-3.5-turbo"] == 15  # its weighted half of the first 30
    assert 3 <= retried <= 3 + 20, retried
    mocks.alpha.clear()
    _until_answered_by(client, "outage", "alpha/gpt-3.5-turbo")


def test_a_request_the_provider_refuses_is_passed_on_not_retried(
    routed: Edge, routing_key: str, mocks: Mocks
) -> None:
    answer = httpx.post(
        f"{routed.url}/v1/chat/completions",
        headers={"Authorization": f"Bearer {routing_key}"},
        json={"model": "failover", "messages": "not a list"},
        timeout=30,
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["type"] == "invalid_request_error"
    assert answer.headers["x-ingate-attempts"] == "1"
    assert (mocks.alpha.requests(), mocks.beta.requests()) == (1, 0)


def test_an_endpoint_no_target_can_serve_is_all_targets_failed(routed: Edge, routing_key: str) -> None:
    answer = httpx.post(
        f"{routed.url}/v1/embeddings",
        headers={"Authorization": f"Bearer {routing_key}"},
        json={"model": "down-claude", "input": "hello"},
        timeout=30,
    )
    assert answer.status_code == 503
    error = answer.json()["error"]
    assert error["code"] == "all_targets_failed" and "untranslatable" in error["message"]
    assert answer.headers["x-ingate-request-id"] == error["request_id"]


@pytest.mark.parametrize(
    "body",
    [
        b'{"model":"split"',
        b'{"model":"split","messages":[' + b"[" * 5000 + b"]" * 5000 + b"]}",
        b'{"model":7}',
    ],
)
def test_malformed_bodies_naming_a_route_get_a_clear_400(routed: Edge, routing_key: str, body: bytes) -> None:
    answer = httpx.post(
        f"{routed.url}/v1/chat/completions",
        headers={"Authorization": f"Bearer {routing_key}", "content-type": "application/json"},
        content=body,
        timeout=30,
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["request_id"] == answer.headers["x-ingate-request-id"]


def test_records_of_requests_without_a_route(routed: Edge, routing_key: str) -> None:
    async def run() -> None:
        async with tap_records(routed.nats_url) as tap:
            raw = _openai(routed, routing_key).chat.completions.with_raw_response.create(
                model="gpt-4o", messages=HELLO
            )
            assert "x-ingate-target" not in raw.headers
            plain = await tap.record_for(raw.headers["x-ingate-request-id"])
            assert (plain.route, plain.attempts, plain.attempt_errors) == ("", 1, [])
            assert plain.attempt_targets == [f"{plain.provider}/gpt-4o"]
            async with httpx.AsyncClient(timeout=30) as http:
                refused = await http.post(
                    f"{routed.url}/v1/chat/completions",
                    headers={"Authorization": "Bearer sk-ingate-not-a-key"},
                    json={"model": "split", "messages": HELLO},
                )
            assert refused.status_code == 401
            record = await tap.record_for(refused.headers["x-ingate-request-id"])
            assert (record.route, record.attempts, record.attempt_targets) == ("", 0, [])  # none tried

    asyncio.run(run())


def test_a_keys_provider_list_applies_to_each_target(routed: Edge, mocks: Mocks) -> None:
    only_beta = _openai(routed, routed.new_key("--providers", "beta"))
    raw = only_beta.chat.completions.with_raw_response.create(model="failover", messages=HELLO)
    assert (raw.headers["x-ingate-target"], raw.headers["x-ingate-attempts"]) == ("beta/gpt-4o-mini", "1")
    assert mocks.alpha.requests() == 0
    with pytest.raises(openai.PermissionDeniedError) as refused:
        _openai(routed, routed.new_key("--providers", "gamma")).chat.completions.create(
            model="failover", messages=HELLO
        )
    assert refused.value.code == "provider_not_allowed"
    restricted = _openai(routed, routed.new_key("--models", "gpt-*"))
    with pytest.raises(openai.PermissionDeniedError):  # the route's name is what a model list allows
        restricted.chat.completions.create(model="failover", messages=HELLO)
