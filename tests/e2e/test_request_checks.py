"""Checks on what a request says: deep JSON, too many headers, a model allow-list with no model.

Each is a refusal in the caller's dialect with its request id, and the edge serves on.
"""

from dataclasses import dataclass

import anthropic
import httpx
import openai
import pytest

from tests.conftest import Edge, Translators
from tests.e2e.test_bad_input import (
    CHAT,
    DIALECTS,
    TIMEOUT,
    DialectName,
    anthropic_client,
    assert_anthropic_sdk_error,
    assert_envelope,
    assert_openai_sdk_error,
    assert_serves,
    openai_client,
)

DEPTH = 100_000


@dataclass(frozen=True)
class Target:
    name: str
    dialect: DialectName
    path: str
    headers: tuple[tuple[str, str], ...] = ()


TARGETS = [
    Target("openai", "openai", "/v1/chat/completions"),
    Target("anthropic", "anthropic", "/v1/messages", (("anthropic-version", "2023-06-01"),)),
    Target("ollama", "ollama", "/api/chat"),
    Target(
        "openai-translated-to-anthropic",
        "openai",
        "/v1/chat/completions",
        (("x-ingate-provider", "anthropic"), ("x-ingate-translate", "true")),
    ),
]
DEEP_BODIES = {
    "arrays": b"[" * DEPTH,
    "arrays-in-messages": b'{"model":"m","messages":' + b"[" * DEPTH + b"]" * DEPTH + b"}",
    "objects-in-a-field": b'{"model":"m","messages":[],"x":' + b'{"a":' * DEPTH + b"1" + b"}" * DEPTH + b"}",
}


@pytest.mark.parametrize("body_name", sorted(DEEP_BODIES))
@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
def test_deeply_nested_json_is_a_400(
    target: Target, body_name: str, edge: Edge, ingate_key: str, translators: Translators
) -> None:
    headers = {
        "authorization": f"Bearer {ingate_key}",
        "content-type": "application/json",
        **dict(target.headers),
    }
    response = httpx.post(
        f"{edge.url}{target.path}", content=DEEP_BODIES[body_name], headers=headers, timeout=TIMEOUT
    )
    assert_envelope(response, target.dialect, 400)
    assert_serves(edge, ingate_key)


# --- the number of headers --------------------------------------------------------------------


@pytest.mark.parametrize("dialect", ["openai", "anthropic", "ollama"])
def test_too_many_headers_get_431(dialect: DialectName, edge: Edge, ingate_key: str) -> None:
    spec = DIALECTS[dialect]
    headers = [(f"x-h-{i}", "1") for i in range(500)]  # ~6 KB: the line count, not the bytes, is over
    headers += [("authorization", f"Bearer {ingate_key}"), *spec.headers]
    response = httpx.post(f"{edge.url}{spec.path}", json=spec.body, headers=headers, timeout=TIMEOUT)
    message = assert_envelope(response, dialect, 431)
    assert "header lines" in message
    assert_serves(edge, ingate_key)


def test_headers_within_the_count_pass(edge: Edge, ingate_key: str) -> None:
    headers = [(f"x-h-{i}", "1") for i in range(80)]  # plus httpx's own: under the default 100
    headers.append(("authorization", f"Bearer {ingate_key}"))
    response = httpx.post(f"{edge.url}/v1/chat/completions", json=CHAT, headers=headers, timeout=TIMEOUT)
    assert response.status_code == 200, response.text[:300]


# --- a model allow-list needs a model ---------------------------------------------------------


@pytest.fixture(scope="module")
def restricted_key(edge: Edge) -> str:
    return edge.new_key("--name", "front-door-models", "--models", "gpt-4o*,claude-*,llama3*")


NO_MODEL: list[tuple[DialectName, str, dict[str, object]]] = [
    ("openai", "/v1/chat/completions", {"messages": [{"role": "user", "content": "hi"}]}),
    ("openai", "/v1/chat/completions", {"model": None, "messages": [{"role": "user", "content": "hi"}]}),
    ("openai", "/v1/embeddings", {"input": "hi"}),
    ("openai", "/v1/responses", {"input": "hi"}),
    ("anthropic", "/v1/messages", {"max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}),
    ("ollama", "/api/chat", {"stream": False, "messages": [{"role": "user", "content": "hi"}]}),
    ("ollama", "/api/generate", {"stream": False, "prompt": "hi"}),
]


@pytest.mark.parametrize(
    ("dialect", "path", "body"), NO_MODEL, ids=[f"{d}{p}-{len(b)}" for d, p, b in NO_MODEL]
)
def test_restricted_key_without_a_model_is_refused(
    dialect: DialectName, path: str, body: dict[str, object], edge: Edge, restricted_key: str
) -> None:
    headers = {"authorization": f"Bearer {restricted_key}", **dict(DIALECTS[dialect].headers)}
    response = httpx.post(f"{edge.url}{path}", json=body, headers=headers, timeout=TIMEOUT)
    message = assert_envelope(response, dialect, 400)
    assert "model" in message
    assert_serves(edge, restricted_key)


def test_restricted_key_without_a_model_through_the_sdks(edge: Edge, restricted_key: str) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        openai_client(edge, restricted_key).chat.completions.create(
            messages=[{"role": "user", "content": "hi"}],
            extra_body={"model": None},
            model="",
        )
    assert_openai_sdk_error(raised.value, 400)
    with pytest.raises(anthropic.BadRequestError) as refused:
        anthropic_client(edge, restricted_key).messages.create(
            model="", max_tokens=8, messages=[{"role": "user", "content": "hi"}]
        )
    assert_anthropic_sdk_error(refused.value, 400)
    # Named and allowed, it goes through; named and not allowed stays a 403.
    answer = openai_client(edge, restricted_key).chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "hi"}]
    )
    assert answer.choices[0].message.content
    with pytest.raises(openai.PermissionDeniedError) as denied:
        openai_client(edge, restricted_key).chat.completions.create(
            model="gpt-3.5-turbo", messages=[{"role": "user", "content": "hi"}]
        )
    assert_openai_sdk_error(denied.value, 403)
