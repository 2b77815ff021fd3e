"""The provider formats: each one's whole description, and that a new one needs nothing else.

Adding a format is its module and one registry line (plus its name in `Format`); these
tests hold the rest of Ingate to that: config, translation and the edge take the formats
from the registry and never ask which one they are looking at.
"""

import json
import re
import typing
from pathlib import Path

import pytest

from ingate_config import ConfigError, load_settings
from ingate_edge import errors
from ingate_providers import (
    FORMATS,
    STREAM_CONTENT_TYPES,
    ErrorKind,
    Format,
    Framing,
    ProviderFormat,
    Shape,
    Usage,
)
from ingate_translate import CodecPair

ROOT = Path(__file__).resolve().parents[2]
OPENAI, ANTHROPIC, OLLAMA = FORMATS["openai"], FORMATS["anthropic"], FORMATS["ollama"]
GEMINI = FORMATS["gemini"]
EDGE_KINDS = [kind for kind in vars(errors).values() if isinstance(kind, ErrorKind)]


# -- the registry and the interface ------------------------------------------


@pytest.mark.parametrize("name", FORMATS)
def test_every_format_describes_everything_the_interface_names(name: Format) -> None:
    fmt = FORMATS[name]
    assert isinstance(fmt, ProviderFormat)
    assert fmt.name == name
    for attribute in typing.get_type_hints(ProviderFormat):
        assert hasattr(fmt, attribute), f"{name} does not set {attribute}"
    assert name in fmt.serves
    assert fmt.framing in typing.get_args(Framing)
    # A name may recur at another path only (Gemini's API under /v1beta and /v1).
    assert fmt.endpoints and len({(e.name, e.path) for e in fmt.endpoints}) == len(fmt.endpoints)
    assert all(e.takes_id for e in fmt.endpoints if e.custom_method)
    assert fmt.default_base_url.startswith(("http://", "https://"))
    assert fmt.default_base_url.endswith(fmt.base_path)


def test_the_format_type_names_exactly_the_registry() -> None:
    assert set(typing.get_args(Format)) == set(FORMATS)


def test_translation_uses_the_providers_shape_type() -> None:
    hints = typing.get_type_hints(CodecPair)
    assert hints["client"] is Shape and hints["backend"] is Shape


def test_config_has_one_builtin_provider_per_format_and_accepts_exactly_their_formats() -> None:
    settings = load_settings(environ={})
    assert {name: (p.format, p.base_url) for name, p in settings.providers.items()} == {
        name: (name, fmt.default_base_url) for name, fmt in FORMATS.items()
    }
    for name in FORMATS:
        env = {"INGATE_CUSTOM_FORMAT": name, "INGATE_CUSTOM_BASE_URL": "http://up:1"}
        assert load_settings(environ=env).providers["custom"].format == name
    with pytest.raises(ConfigError) as raised:
        load_settings(environ={"INGATE_CUSTOM_FORMAT": "gopher", "INGATE_CUSTOM_BASE_URL": "http://up:1"})
    assert "providers.custom.format" in str(raised.value)  # the Format type itself refuses it


# Only the error table may name formats: it holds each envelope's error types.
_FORMAT_LITERAL = re.compile("[\"'](?:" + "|".join(FORMATS) + ")[\"']")
_MAY_NAME_FORMATS = {Path("services/edge/src/ingate_edge/errors.py")}


@pytest.mark.parametrize("package", ["services/edge/src", "libs/config/src", "services/cli/src"])
def test_nothing_outside_the_provider_modules_asks_which_format_it_has(package: str) -> None:
    named = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / package).rglob("*.py"))
        if path.relative_to(ROOT) not in _MAY_NAME_FORMATS
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if _FORMAT_LITERAL.search(line)
    ]
    assert named == []


# -- addresses and credentials -----------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "dialect", "path", "expected"),
    [
        (OPENAI, OPENAI, "/chat/completions", "/chat/completions"),
        (OPENAI, OPENAI, "/models/gpt-4o", "/models/gpt-4o"),
        (ANTHROPIC, ANTHROPIC, "/v1/messages", "/v1/messages"),
        (ANTHROPIC, ANTHROPIC, "/v1/models", "/v1/models"),
        (OLLAMA, OLLAMA, "/api/chat", "/api/chat"),
        # Ollama's base URL has no /v1; the OpenAI API it serves lives under /v1.
        (OLLAMA, OPENAI, "/chat/completions", "/v1/chat/completions"),
        (OLLAMA, OPENAI, "/models", "/v1/models"),
    ],
)
def test_paths_join_each_base_url_convention(
    fmt: ProviderFormat, dialect: ProviderFormat, path: str, expected: str
) -> None:
    assert fmt.native_path(dialect, path) == expected


@pytest.mark.parametrize("fmt", FORMATS.values(), ids=list(FORMATS))
def test_every_served_endpoint_lands_where_its_own_sdk_would_send_it(fmt: ProviderFormat) -> None:
    for dialect in (FORMATS[name] for name in fmt.serves):
        for endpoint in dialect.endpoints:
            joined = fmt.base_path + fmt.native_path(dialect, endpoint.path)
            assert joined == dialect.base_path + endpoint.path


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        (OPENAI, (("authorization", "Bearer sk-1"),)),
        (ANTHROPIC, (("x-api-key", "sk-1"),)),
        (OLLAMA, (("authorization", "Bearer sk-1"),)),
        (GEMINI, (("x-goog-api-key", "sk-1"),)),
    ],
)
def test_credential_headers(fmt: ProviderFormat, expected: tuple[tuple[str, str], ...]) -> None:
    assert fmt.credential_headers("sk-1") == expected


# -- streams ------------------------------------------------------------------


def test_stream_framing() -> None:
    framing = {name: (f.framing, f.stream_content_type) for name, f in FORMATS.items()}
    assert framing == {
        "openai": ("sse", b"text/event-stream"),
        "anthropic": ("sse", b"text/event-stream"),
        "ollama": ("ndjson", b"application/x-ndjson"),
        "gemini": ("sse", b"text/event-stream"),
    }
    assert set(STREAM_CONTENT_TYPES) == {b"text/event-stream", b"application/x-ndjson"}


def test_only_ollama_chat_and_generate_and_geminis_stream_method_stream_by_default() -> None:
    by_default = {(f.name, e.name) for f in FORMATS.values() for e in f.endpoints if e.streams_by_default}
    assert by_default == {
        ("ollama", "chat"),
        ("ollama", "generate"),
        ("gemini", "models.streamGenerateContent"),
    }


def test_what_the_translator_covers() -> None:
    covered = {(f.name, e.name) for f in FORMATS.values() if f.backend_shape for e in f.endpoints if e.shape}
    assert covered == {
        ("openai", "chat.completions"),
        ("openai", "responses"),
        ("anthropic", "messages"),
        ("ollama", "chat"),
        ("ollama", "generate"),
        ("gemini", "models.generateContent"),
        ("gemini", "models.streamGenerateContent"),
    }


# -- usage --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "body", "expected"),
    [
        (
            OPENAI,
            {
                "usage": {
                    "prompt_tokens": 11,
                    "completion_tokens": 7,
                    "prompt_tokens_details": {"cached_tokens": 4},
                }
            },
            (11, 7, 4),
        ),
        (OPENAI, {"usage": {"prompt_tokens": 3, "total_tokens": 3}}, (3, 0, 0)),
        (OPENAI, {"usage": {"input_tokens": 5, "output_tokens": 2}}, (5, 2, 0)),
        (OPENAI, {"response": {"usage": {"input_tokens": 8, "output_tokens": 1,
                                         "input_tokens_details": {"cached_tokens": 6}}}}, (8, 1, 6)),
        (OPENAI, {"choices": []}, (0, 0, 0)),
        (
            ANTHROPIC,
            {"usage": {"input_tokens": 10, "output_tokens": 20, "cache_read_input_tokens": 30,
                       "cache_creation_input_tokens": 5}},
            (45, 20, 30),
        ),
        (ANTHROPIC, {"type": "message_start", "message": {"usage": {"input_tokens": 12, "output_tokens": 1}}},
         (12, 1, 0)),
        (ANTHROPIC, {"type": "message_delta", "usage": {"output_tokens": 33}}, (0, 33, 0)),
        (OLLAMA, {"prompt_eval_count": 9, "eval_count": 12, "done": True}, (9, 12, 0)),
        (OLLAMA, {"message": {"content": "a"}, "done": False}, (0, 0, 0)),
        # Gemini's prompt count includes the cached part; tool-use prompts are input too.
        (GEMINI, {"usageMetadata": {"promptTokenCount": 20, "candidatesTokenCount": 5,
                                    "cachedContentTokenCount": 8, "toolUsePromptTokenCount": 3}}, (23, 5, 8)),
        (GEMINI, {"candidates": [], "usageMetadata": {"promptTokenCount": 4}}, (4, 0, 0)),
        # A stream asked for without alt=sse: one array, the last response's counts final.
        (GEMINI, [{"usageMetadata": {"promptTokenCount": 4}},
                  {"usageMetadata": {"promptTokenCount": 4, "candidatesTokenCount": 9}}], (4, 9, 0)),
    ],
)  # fmt: skip
def test_usage_from_bodies(fmt: ProviderFormat, body: object, expected: tuple[int, int, int]) -> None:
    usage = Usage()
    fmt.read_usage(json.dumps(body).encode(), usage)
    assert (usage.input_tokens, usage.output_tokens, usage.cache_read_tokens) == expected


@pytest.mark.parametrize("fmt", FORMATS.values(), ids=list(FORMATS))
@pytest.mark.parametrize("body", [b"", b"not json", b"[1,2]", b'{"usage": "lots"}', b"\xff\xfe"])
def test_garbage_bodies_count_nothing(fmt: ProviderFormat, body: bytes) -> None:
    usage = Usage()
    fmt.read_usage(body, usage)
    assert usage == Usage()


@pytest.mark.parametrize(
    ("fmt", "event"),
    [
        (OPENAI, '{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":1}}'),
        (ANTHROPIC, '{"type":"message_delta","usage":{"output_tokens":33}}'),
        (OLLAMA, '{"done":true,"prompt_eval_count":6,"eval_count":9}'),
        (GEMINI, '{"candidates":[],"usageMetadata":{"promptTokenCount":5}}'),
    ],
)
def test_stream_events_with_usage_carry_the_marker(fmt: ProviderFormat, event: str) -> None:
    assert fmt.usage_marker in event


# -- error envelopes ----------------------------------------------------------


@pytest.mark.parametrize("kind", EDGE_KINDS)
def test_error_envelopes_match_each_sdks_dialect(kind: ErrorKind) -> None:
    assert json.loads(OPENAI.error_body(kind, "boom", "req_1")) == {
        "error": {
            "message": "boom",
            "type": kind.types["openai"],
            "param": None,
            "code": kind.code,
            "request_id": "req_1",
        }
    }
    assert json.loads(ANTHROPIC.error_body(kind, "boom", "req_1")) == {
        "type": "error",
        "error": {"type": kind.types["anthropic"], "message": "boom"},
        "request_id": "req_1",
    }
    assert json.loads(OLLAMA.error_body(kind, "boom", "req_1")) == {"error": "boom", "request_id": "req_1"}
    gemini = json.loads(GEMINI.error_body(kind, "boom", "req_1"))["error"]
    assert (gemini["code"], gemini["message"], gemini["status"]) == (
        kind.status,
        "boom",
        kind.types["gemini"],
    )
    assert {"@type": "type.googleapis.com/google.rpc.RequestInfo", "requestId": "req_1"} in gemini["details"]


def test_error_envelopes_as_the_sdks_see_them() -> None:
    body = json.loads(OPENAI.error_body(errors.AUTHENTICATION, "bad key", "req_2"))
    assert (body["error"]["type"], body["error"]["code"]) == ("invalid_request_error", "invalid_api_key")
    body = json.loads(ANTHROPIC.error_body(errors.TOO_MANY_CONNECTIONS, "busy", "req_3"))
    assert body["error"]["type"] == "overloaded_error"
    statuses = {
        kind.status: json.loads(GEMINI.error_body(kind, "x", "req_4"))["error"]["status"]
        for kind in (errors.INVALID_REQUEST, errors.AUTHENTICATION, errors.PERMISSION, errors.NOT_FOUND,
                     errors.RATE_LIMITED_TOKENS, errors.INTERNAL, errors.UNAVAILABLE, errors.UPSTREAM_TIMEOUT)
    }  # fmt: skip
    assert statuses == {
        400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
        429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED",
    }  # fmt: skip
