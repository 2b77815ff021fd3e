"""A request that failed over is charged once, for the attempt that answered: its tokens
against the key's token limit, its cost against the key's budget."""

import asyncio
import hashlib
import json
import time

import openai
import pytest

from ingate_contracts.keys import key_id_for_hash
from tests.conftest import Edge
from tests.e2e.routing.conftest import Mocks
from tests.support.events import tap_records

HELLO: list[openai.types.chat.ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]


def _fail_both_targets(mocks: Mocks) -> None:
    # "charged" is weighted over alpha and gamma, with beta as its fallback.
    mocks.alpha.faults(fail_next=1, status=500)
    mocks.gamma.faults(fail_next=1, status=502)


def test_three_attempts_take_one_token_reservation(routed: Edge, mocks: Mocks) -> None:
    # About 200 tokens are reserved per request (its max_tokens and its size): 300 a minute
    # holds one reservation, not the three a charge per attempt would take.
    client = openai.OpenAI(
        base_url=routed.url, api_key=routed.new_key("--tpm", "300"), max_retries=0, timeout=30
    )
    _fail_both_targets(mocks)
    raw = client.chat.completions.with_raw_response.create(model="charged", messages=HELLO, max_tokens=190)
    assert (raw.headers["x-ingate-attempts"], raw.headers["x-ingate-target"]) == (
        "3",
        "beta/gpt-4o-2024-08-06",
    )
    usage = raw.parse().usage
    assert usage is not None and usage.total_tokens < 100
    # Settled with what the answer used, once: room for the next request's reservation.
    again = client.chat.completions.with_raw_response.create(model="charged", messages=HELLO, max_tokens=190)
    assert again.headers["x-ingate-attempts"] == "1"


def test_a_routed_request_reserves_the_dearest_deployments_maximum_cost(routed: Edge) -> None:
    # "cross" answers with o4-mini or Claude 3.5 Haiku; 5,000 output tokens of either cost more
    # than a cent, so a budget of a cent cannot admit it, however little it would really use.
    client = openai.OpenAI(base_url=routed.url, api_key=routed.new_key("--budget-usd", "0.01"), max_retries=0)
    with pytest.raises(openai.RateLimitError) as refused:
        client.chat.completions.create(model="cross", messages=HELLO, max_tokens=5000)
    assert refused.value.code == "insufficient_quota"
    assert "could cost up to" in refused.value.message
    client.chat.completions.create(model="cross", messages=HELLO, max_tokens=20)  # well within it


def test_a_failed_over_request_costs_its_answer_once(routed: Edge, mocks: Mocks) -> None:
    key = routed.new_key("--budget-usd", "5")
    client = openai.OpenAI(base_url=routed.url, api_key=key, max_retries=0, timeout=30)
    _fail_both_targets(mocks)

    async def answered_cost() -> float:
        async with tap_records(routed.nats_url) as tap:
            raw = client.chat.completions.with_raw_response.create(model="charged", messages=HELLO)
            assert raw.headers["x-ingate-attempts"] == "3"
            record = await tap.record_for(raw.headers["x-ingate-request-id"])
            assert record.attempt_errors == ["upstream_500", "upstream_502"] or record.attempt_errors == [
                "upstream_502",
                "upstream_500",
            ]
            assert record.cost_usd > 0
            return record.cost_usd

    cost = asyncio.run(answered_cost())
    key_id = key_id_for_hash(hashlib.sha256(key.encode()).hexdigest())
    deadline = time.monotonic() + 30
    while True:
        code, out, err = routed.cli("keys", "list", "--json")
        assert code == 0, err
        spent = next(k["spend_usd"] for k in json.loads(out) if k["key_id"] == key_id)
        if spent and abs(spent - cost) < 2e-6:
            break
        assert time.monotonic() < deadline, f"spend {spent}, answer cost {cost}"
        time.sleep(0.2)
