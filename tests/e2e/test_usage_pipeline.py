"""Mixed SDK traffic with user and session headers → `ingate usage` shows exact totals.

The whole path is real: edge → JetStream → analytics consumer → ClickHouse engine
→ usage query over NATS → the `ingate usage` command.
"""

import uuid

import anthropic
import ollama
import openai
import pytest

from tests.conftest import Edge, Translators
from tests.support.processes import Service
from tests.support.usage import usage_report, user_usage_when_stored


class Expected:
    def __init__(self) -> None:
        self.requests = 0
        self.errors = 0
        self.input_tokens = 0
        self.output_tokens = 0

    def add(self, input_tokens: int, output_tokens: int, error: bool = False) -> None:
        self.requests += 1
        self.errors += int(error)
        self.input_tokens += input_tokens
        self.output_tokens += output_tokens


@pytest.mark.timeout(300)
def test_usage_totals_are_exact_per_user_and_session(
    edge: Edge, ingate_key: str, translators: Translators, analytics: Service
) -> None:
    user = f"user_{uuid.uuid4().hex[:8]}"
    sessions = [f"sess_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    per_session = {s: Expected() for s in sessions}

    def headers(session: str) -> dict[str, str]:
        return {"X-Ingate-User-Id": user, "X-Ingate-Session-Id": session}

    oai = openai.OpenAI(base_url=edge.url, api_key=ingate_key, max_retries=0)
    for i in range(4):
        s = sessions[i % 2]
        c = oai.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": f"q {i}"}], extra_headers=headers(s)
        )
        assert c.usage is not None
        per_session[s].add(c.usage.prompt_tokens, c.usage.completion_tokens)
    for i in range(3):
        s = sessions[i % 2]
        chunks = list(
            oai.chat.completions.create(
                model="gpt-4o-mini",
                messages=[{"role": "user", "content": f"stream {i}"}],
                stream=True,
                stream_options={"include_usage": True},
                extra_headers=headers(s),
            )
        )
        usage = chunks[-1].usage
        assert usage is not None
        per_session[s].add(usage.prompt_tokens, usage.completion_tokens)
    claude = anthropic.Anthropic(base_url=edge.url, api_key=ingate_key, max_retries=0)
    for i in range(2):
        s = sessions[1]
        with claude.messages.stream(
            model="claude-sonnet-4-20250514",
            max_tokens=50,
            messages=[{"role": "user", "content": f"a {i}"}],
            extra_headers=headers(s),
        ) as stream:
            final = stream.get_final_message()
        per_session[s].add(final.usage.input_tokens, final.usage.output_tokens)
    llama = ollama.Client(
        host=edge.url, headers={"Authorization": f"Bearer {ingate_key}", **headers(sessions[0])}
    )
    answer = llama.chat(model="llama3.2", messages=[{"role": "user", "content": "x"}], stream=False)
    per_session[sessions[0]].add(answer.prompt_eval_count or 0, answer.eval_count or 0)
    translated = openai.OpenAI(
        base_url=edge.url,
        api_key=ingate_key,
        default_headers={
            "X-Ingate-Provider": "anthropic",
            "X-Ingate-Translate": "true",
            **headers(sessions[0]),
        },
        max_retries=0,
    )
    t = translated.chat.completions.create(
        model="claude-sonnet-4-20250514", messages=[{"role": "user", "content": "t"}]
    )
    assert t.usage is not None
    per_session[sessions[0]].add(t.usage.prompt_tokens, t.usage.completion_tokens)
    with pytest.raises(openai.InternalServerError):
        oai.chat.completions.create(
            model="gpt-4o",
            messages=[{"role": "user", "content": "boom"}],
            extra_headers={**headers(sessions[1]), "X-Mock-Status": "500"},
        )
    per_session[sessions[1]].add(0, 0, error=True)

    total = Expected()
    for expected in per_session.values():
        total.requests += expected.requests
        total.errors += expected.errors
        total.input_tokens += expected.input_tokens
        total.output_tokens += expected.output_tokens

    report = user_usage_when_stored(edge, user, total.requests)
    [row] = report["users"]
    assert row["user_id"] == user
    assert (row["requests"], row["errors"]) == (total.requests, total.errors)
    assert (row["input_tokens"], row["output_tokens"]) == (total.input_tokens, total.output_tokens)
    assert row["cost_usd"] > 0
    assert row["p50_ms"] > 0
    assert row["p95_ms"] >= row["p50_ms"]
    by_session = {s["session_id"]: s for s in report["sessions"]}
    assert set(by_session) == set(sessions)
    for session, expected in per_session.items():
        got = by_session[session]
        assert (got["requests"], got["errors"], got["input_tokens"], got["output_tokens"]) == (
            expected.requests,
            expected.errors,
            expected.input_tokens,
            expected.output_tokens,
        )
    only_one = usage_report(edge, "--session", sessions[0], "--since", "1h")
    assert [s["session_id"] for s in only_one["sessions"]] == [sessions[0]]
