"""Limits, budgets and access through the official SDKs, on two edges sharing one NATS."""

import functools
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

from ingate_nats import NatsServer
from ingate_pricing import PriceTable
from tests.conftest import Edge, start_edge

_HELLO: Any = [{"role": "user", "content": "hello"}]
CLAUDE = "claude-sonnet-4-20250514"


@pytest.fixture(scope="module")
def second_edge(
    nats_server: NatsServer, mock_url: str, logs_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Edge]:
    running = start_edge(
        nats_server.url, mock_url, logs_dir, name="edge-2", data_dir=tmp_path_factory.mktemp("edge-2")
    )
    try:
        yield running
    finally:
        running.service.stop()


def _openai(edge: Edge, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=edge.url, api_key=key, max_retries=0, timeout=20)


def _chat(client: openai.OpenAI, model: str = "gpt-4o", **extra: object) -> object:
    return client.chat.completions.create(model=model, messages=_HELLO, max_tokens=20, **extra)  # type: ignore[call-overload]


def _openai_chat(client: openai.OpenAI) -> openai.types.chat.ChatCompletion:
    return client.chat.completions.create(model="gpt-4o", messages=_HELLO, max_tokens=20)


# How long a change may take to reach an edge before a test gives up. The target (within a
# second) is for a quiet machine; the tests check that it arrives at all, without a restart.
PROPAGATION_S = 20.0


def _eventually(check: Callable[[], bool], within_s: float = PROPAGATION_S) -> None:
    """Fails unless `check` holds within `within_s`."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < within_s, "not in force in time"
        time.sleep(0.02)


def _answers(edge: Edge, key: str, error: type[openai.APIStatusError] | None) -> bool:
    """Whether a chat request through `edge` gets `error` (None: is answered)."""
    try:
        _chat(_openai(edge, key))
    except openai.APIStatusError as exc:
        return type(exc) is error
    return error is None


def test_fourth_request_of_a_3_rpm_key_is_rate_limited(edge: Edge) -> None:
    client = _openai(edge, edge.new_key("--rpm", "3"))
    remaining = []
    for _ in range(3):
        raw = client.chat.completions.with_raw_response.create(model="gpt-4o", messages=_HELLO)
        assert raw.headers["x-ratelimit-limit-requests"] == "3"
        remaining.append(int(raw.headers["x-ratelimit-remaining-requests"]))
        assert raw.headers["x-ratelimit-reset-requests"].endswith("s")
    assert remaining == [2, 1, 0]
    with pytest.raises(openai.RateLimitError) as raised:
        _chat(client)
    response = raised.value.response
    assert 1 <= int(response.headers["retry-after"]) <= 20
    assert response.headers["x-ratelimit-remaining-requests"] == "0"
    assert response.headers["x-ingate-request-id"].startswith("req_")
    assert raised.value.code == "rate_limit_exceeded"


def test_anthropic_sdk_raises_its_rate_limit_error(edge: Edge) -> None:
    client = anthropic.Anthropic(base_url=edge.url, api_key=edge.new_key("--rpm", "1"), max_retries=0)
    client.messages.create(model="claude-sonnet-4-20250514", max_tokens=20, messages=_HELLO)
    with pytest.raises(anthropic.RateLimitError) as raised:
        client.messages.create(model="claude-sonnet-4-20250514", max_tokens=20, messages=_HELLO)
    assert raised.value.body["error"]["type"] == "rate_limit_error"  # type: ignore[index]
    assert int(raised.value.response.headers["retry-after"]) >= 1


def _limit_headers(edge: Edge, key: str) -> dict[str, list[str]]:
    raw = _openai(edge, key).chat.completions.with_raw_response.create(model="gpt-4o", messages=_HELLO)
    return {name: raw.headers.get_list(name) for name in raw.headers if name.startswith("x-ratelimit-")}


def test_keys_without_limits_pass_the_providers_limit_headers_through(edge: Edge, ingate_key: str) -> None:
    headers = _limit_headers(edge, ingate_key)
    # The mock sends OpenAI's six, as OpenAI does, for its (large) organisation.
    assert headers["x-ratelimit-limit-requests"] == ["10000"]
    assert len(headers) == 6


def test_a_keys_own_limits_replace_the_providers_headers(edge: Edge) -> None:
    headers = _limit_headers(edge, edge.new_key("--rpm", "50", "--tpm", "90000"))
    # One value each (not "50, 10000", which is what httpx makes of a header sent twice).
    assert headers["x-ratelimit-limit-requests"] == ["50"]
    assert headers["x-ratelimit-limit-tokens"] == ["90000"]
    assert len(headers) == 6
    # Only the kinds the key limits are replaced: the provider's token figures still say something.
    headers = _limit_headers(edge, edge.new_key("--rpm", "50"))
    assert headers["x-ratelimit-limit-requests"] == ["50"]
    assert headers["x-ratelimit-limit-tokens"] == ["30000000"]


def test_per_user_limits_isolate_users_under_one_key(edge: Edge) -> None:
    client = _openai(edge, edge.new_key("--per-user-rpm", "2"))
    for _ in range(2):
        _chat(client, extra_headers={"X-Ingate-User-Id": "alice"})
    with pytest.raises(openai.RateLimitError):
        _chat(client, extra_headers={"X-Ingate-User-Id": "alice"})
    _chat(client, extra_headers={"X-Ingate-User-Id": "bob"})  # bob has a bucket of his own


def test_two_edges_share_one_limit(edge: Edge, second_edge: Edge) -> None:
    key = edge.new_key("--rpm", "12")
    clients = [_openai(edge, key), _openai(second_edge, key)]

    def attempt(i: int) -> bool:
        try:
            _chat(clients[i % 2])
        except openai.RateLimitError:
            return False
        return True

    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        admitted = sum(pool.map(attempt, range(48)))
    elapsed = time.monotonic() - started
    # One bucket of 12 for both edges, plus what refills meanwhile (12/min): the stated overshoot.
    assert 12 <= admitted <= 12 + int(elapsed * 12 / 60) + 1


def test_token_limit_holds_for_streams(edge: Edge) -> None:
    client = _openai(edge, edge.new_key("--tpm", "2000"))
    # No max_tokens: about 1,050 tokens are reserved, and the stream then uses ~3,000.
    stream = client.chat.completions.create(
        model="gpt-4o", messages=_HELLO, stream=True, extra_headers={"X-Mock-Reply-Tokens": "3000"}
    )
    chunks = sum(1 for _ in stream)
    assert chunks > 100
    # Settled with the stream's real usage: the key is in debt, even for a small request.
    with pytest.raises(openai.RateLimitError) as raised:
        _chat(client, stream=True)
    assert raised.value.response.headers["x-ratelimit-limit-tokens"] == "2000"


def test_budget_exhaustion_on_both_edges_and_after_a_restart(
    edge: Edge, nats_server: NatsServer, mock_url: str, logs_dir: Path, tmp_path: Path
) -> None:
    key = edge.new_key("--budget-usd", "0.0003")  # room for one small gpt-4o request's maximum cost
    _chat(_openai(edge, key))
    with pytest.raises(openai.RateLimitError) as raised:
        _chat(_openai(edge, key))
    assert raised.value.code == "insufficient_quota"
    third = start_edge(nats_server.url, mock_url, logs_dir, name="edge-3", data_dir=tmp_path)
    try:  # a fresh edge learns the spend from NATS, not from its own memory

        def refused() -> bool:
            try:
                _chat(_openai(third, key))
            except openai.RateLimitError as exc:
                return exc.code == "insufficient_quota"
            return False

        _eventually(refused)
    finally:
        third.service.stop()


def test_revoke_and_limit_change_reach_both_running_edges(edge: Edge, second_edge: Edge) -> None:
    key = edge.new_key("--rpm", "1")
    _chat(_openai(edge, key))
    for each in (edge, second_edge):
        with pytest.raises(openai.RateLimitError):
            _chat(_openai(each, key))
    code, _, err = edge.cli("keys", "update", key, "--rpm", "1000")
    assert code == 0, err

    for target in (second_edge, edge):
        _eventually(functools.partial(_answers, target, key, None))
    code, _, err = edge.cli("keys", "revoke", key)
    assert code == 0, err
    for target in (edge, second_edge):
        _eventually(functools.partial(_answers, target, key, openai.AuthenticationError))


def test_providers_and_models_outside_the_allow_lists_are_forbidden(edge: Edge) -> None:
    key = edge.new_key("--providers", "openai", "--models", "gpt-4o-mini*")
    client = _openai(edge, key)
    _chat(client, model="gpt-4o-mini")
    with pytest.raises(openai.PermissionDeniedError) as raised:
        _chat(client)  # gpt-4o: not in the list
    assert "gpt-4o" in raised.value.message
    claude = anthropic.Anthropic(base_url=edge.url, api_key=key, max_retries=0)
    with pytest.raises(anthropic.PermissionDeniedError):
        claude.messages.create(model="claude-sonnet-4-20250514", max_tokens=20, messages=_HELLO)


def test_an_expired_key_is_refused(edge: Edge) -> None:
    key = edge.new_key("--expires", "10s")  # room for a slow `keys create` and the first request
    made = time.monotonic()  # it expires before made + 10 s
    _chat(_openai(edge, key))
    time.sleep(max(0.0, made + 10.1 - time.monotonic()))
    with pytest.raises(openai.AuthenticationError) as raised:
        _chat(_openai(edge, key))
    assert "expired" in raised.value.message


def test_concurrent_requests_on_a_nearly_spent_budget_stay_within_it(edge: Edge, second_edge: Edge) -> None:
    prices = PriceTable.shipped()
    key = edge.new_key("--budget-usd", "0.05")
    # Real spend first: one long answer takes the budget to within a few requests of its end.
    big = _openai(edge, key).chat.completions.create(
        model="gpt-4o", messages=_HELLO, max_tokens=4500, extra_headers={"X-Mock-Reply-Tokens": "4500"}
    )
    assert big.usage is not None
    spent = prices.ceiling("gpt-4o", big.usage.prompt_tokens, big.usage.completion_tokens)
    left = 0.05 - spent
    openai_client = _openai(edge, key)
    anthropic_client = anthropic.Anthropic(base_url=second_edge.url, api_key=key, max_retries=0, timeout=20)

    def attempt(i: int) -> float | openai.RateLimitError | anthropic.RateLimitError:
        """The request's cost if admitted (OpenAI's SDK on one edge, Anthropic's on the other)."""
        try:
            if i % 2:
                answer = anthropic_client.messages.create(model=CLAUDE, max_tokens=20, messages=_HELLO)
                return prices.ceiling(CLAUDE, answer.usage.input_tokens, answer.usage.output_tokens)
            chat = _openai_chat(openai_client)
            assert chat.usage is not None
            return prices.ceiling("gpt-4o", chat.usage.prompt_tokens, chat.usage.completion_tokens)
        except (openai.RateLimitError, anthropic.RateLimitError) as refused:
            return refused

    with ThreadPoolExecutor(40) as pool:
        outcomes = list(pool.map(attempt, range(40)))
    admitted = [cost for cost in outcomes if isinstance(cost, float)]
    refused = [outcome for outcome in outcomes if not isinstance(outcome, float)]
    most = max(admitted, default=0.0)
    print(f"budget left ${left:.6f}: {len(admitted)} of 40 admitted, costing ${sum(admitted):.6f}")
    assert admitted, "a budget with room for several requests admitted none"
    assert refused, "nothing was refused: the test did not reach the end of the budget"
    for refusal in refused:  # the documented 429, in each SDK's own terms, with a request id
        assert isinstance(refusal.body, dict)
        if isinstance(refusal, openai.RateLimitError):
            assert refusal.code == "insufficient_quota"
        else:
            assert refusal.body["error"]["type"] == "rate_limit_error"
        assert refusal.response.headers["x-should-retry"] == "false"
        assert refusal.body["request_id"] == refusal.response.headers["x-ingate-request-id"]
    assert sum(admitted) <= left + most  # within the budget, plus at most one request
