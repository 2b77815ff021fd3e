"""Pure parts of the edge's request path: routes, headers, id splicing."""

import json

import pytest

from ingate_edge.answer import with_request_id_field
from ingate_edge.auth import extract_key, take_key_param
from ingate_edge.headers import split_headers
from ingate_edge.paths import PATHS, find_path, guess_dialect
from ingate_providers import FORMATS

DESIGN_PATHS = {
    "/v1/chat/completions": "openai",
    "/chat/completions": "openai",
    "/v1/embeddings": "openai",
    "/embeddings": "openai",
    "/v1/models": "openai",
    "/models": "openai",
    "/v1/responses": "openai",
    "/responses": "openai",
    "/v1/messages": "anthropic",
    "/v1/messages/count_tokens": "anthropic",
    "/api/generate": "ollama",
    "/api/chat": "ollama",
    "/api/embed": "ollama",
    "/api/tags": "ollama",
    # "More APIs"
    "/api/show": "ollama",
    "/api/ps": "ollama",
    "/api/version": "ollama",
    "/api/embeddings": "ollama",
    "/v1beta/models": "gemini",
}
# Gemini's API under /v1 too; /v1/models is OpenAI's unless a Google SDK asks.
GEMINI_MODEL_PATHS = {
    "/v1beta/models/gemini-2.5-flash:generateContent": ("models.generateContent", "gemini-2.5-flash"),
    "/v1/models/gemini-2.5-flash:streamGenerateContent": ("models.streamGenerateContent", "gemini-2.5-flash"),
    "/v1beta/models/gemini-2.0-flash-001:countTokens": ("models.countTokens", "gemini-2.0-flash-001"),
}


@pytest.mark.parametrize(("path", "dialect"), DESIGN_PATHS.items())
def test_every_design_path_is_routed_to_its_provider(path: str, dialect: str) -> None:
    found = find_path(path)
    assert found is not None
    route, id_tail = found
    assert route.format.name == dialect
    assert id_tail == ""
    # OpenAI's base URL already ends in /v1, so its endpoint paths never repeat it.
    assert route.endpoint.path == (path.removeprefix("/v1") if dialect == "openai" else path)


def test_path_table_has_nothing_beyond_the_design() -> None:
    assert set(PATHS) == set(DESIGN_PATHS)
    assert set(PATHS["/v1/models"].alternatives) == {"anthropic", "gemini"}


@pytest.mark.parametrize(("path", "expected"), GEMINI_MODEL_PATHS.items())
def test_gemini_paths_name_the_model_before_a_custom_method(path: str, expected: tuple[str, str]) -> None:
    found = find_path(path)
    assert found is not None
    route, tail = found
    assert (route.format.name, route.endpoint.name, route.path_model(tail)) == ("gemini", *expected)
    # The provider's path is the caller's: Gemini's base URL has no version in it.
    assert route.endpoint.path + tail == path
    assert route.endpoint.path + route.tail_for("other-model") == path.replace(expected[1], "other-model")


@pytest.mark.parametrize(
    ("path", "owner", "model_id"),
    [
        # A colon in an id is not a custom method unless the API has that method.
        ("/v1/models/llama3.2:latest", "openai", "llama3.2:latest"),
        ("/v1beta/models/gemini-2.5-pro", "gemini", "gemini-2.5-pro"),
        ("/v1beta/models/gemini-2.5-pro:embedContent", "gemini", "gemini-2.5-pro:embedContent"),
    ],
)
def test_model_ids_with_colons_are_ids(path: str, owner: str, model_id: str) -> None:
    found = find_path(path)
    assert found is not None
    route, tail = found
    assert (route.format.name, tail, route.path_model(tail)) == (owner, model_id, None)


@pytest.mark.parametrize(("path", "model"), [("/v1/models/gpt-4o", "gpt-4o"), ("/models/o3-mini", "o3-mini")])
def test_model_retrieval_paths(path: str, model: str) -> None:
    found = find_path(path)
    assert found is not None
    route, id_tail = found
    assert (route.endpoint.name, route.endpoint.path, id_tail) == ("models.retrieve", "/models/", model)
    assert route.alternatives["anthropic"].endpoint.path == "/v1/models/"


@pytest.mark.parametrize("path", ["/v1/models", "/models"])
def test_model_listing_is_shared_by_openai_and_anthropic(path: str) -> None:
    found = find_path(path)
    assert found is not None
    route = found[0]
    assert route.format is FORMATS["openai"]
    anthropic = route.alternatives["anthropic"]
    assert (anthropic.format, anthropic.endpoint.path) == (FORMATS["anthropic"], "/v1/models")


@pytest.mark.parametrize(
    "path",
    [
        "/", "/v1", "/v1/models/", "/v1/models/a/b", "/v2/chat/completions", "/api",
        "/v1beta/models/a/b:generateContent", "/v1beta/tunedModels/x:generateContent",
    ],
)  # fmt: skip
def test_unknown_paths_have_no_route(path: str) -> None:
    assert find_path(path) is None


@pytest.mark.parametrize(
    ("path", "dialect"),
    [
        ("/v1/messages/batches", "anthropic"),
        ("/api/pull", "ollama"),
        ("/v1beta/files", "gemini"),
        ("/v1/files", "openai"),
        ("/", "openai"),
    ],
)
def test_unknown_paths_answer_in_the_likely_callers_dialect(path: str, dialect: str) -> None:
    assert guess_dialect(path).name == dialect


def test_split_headers_keeps_credentials_and_ingate_headers_from_upstream() -> None:
    parsed = split_headers(
        [
            (b"host", b"gw"),
            (b"authorization", b"Bearer sk-ingate-abc"),
            (b"x-api-key", b"sk-ingate-abc"),
            (b"x-ingate-user-id", b"u1"),
            (b"x-ingate-session-id", b"s1"),
            (b"x-ingate-provider", b"openai"),
            (b"x-ingate-something-new", b"x"),
            (b"content-type", b"application/json"),
            (b"content-length", b"12"),
            (b"connection", b"keep-alive, x-private"),
            (b"x-private", b"hop"),
            (b"transfer-encoding", b"chunked"),
            (b"accept-encoding", b"gzip"),
            (b"anthropic-version", b"2023-06-01"),
            (b"openai-organization", b"org-1"),
        ]
    )
    forwarded = dict(parsed.forward)
    assert forwarded == {
        "accept-encoding": "identity",
        "content-type": "application/json",
        "anthropic-version": "2023-06-01",
        "openai-organization": "org-1",
    }
    assert (parsed.authorization, parsed.x_api_key) == (b"Bearer sk-ingate-abc", b"sk-ingate-abc")
    assert (parsed.user_id, parsed.session_id, parsed.provider) == (b"u1", b"s1", b"openai")
    assert parsed.content_length == b"12"
    assert parsed.sdk is FORMATS["anthropic"]  # anthropic-version: the Anthropic SDK sent it


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"id":"c1","object":"chat.completion"}', {"id": "c1", "object": "chat.completion"}),
        (b'{"id": "c1"}\n', {"id": "c1"}),
        (b"{}", {}),
        (b'{ "nested": {"a": {}} }', {"nested": {"a": {}}}),
    ],
)
def test_request_id_field_is_spliced_into_json_objects(body: bytes, expected: dict[str, object]) -> None:
    spliced = json.loads(with_request_id_field(body, "req_x"))
    assert spliced == {**expected, "headers": {"X-Ingate-Request-Id": "req_x"}}


@pytest.mark.parametrize("body", [b"", b"[1,2]", b"not json", b'"str"'])
def test_request_id_field_leaves_non_objects_alone(body: bytes) -> None:
    assert with_request_id_field(body, "req_x") == body


def test_googles_key_header_is_a_credential_and_its_sdk_header_says_gemini() -> None:
    parsed = split_headers(
        [
            (b"x-goog-api-key", b"sk-ingate-abc"),
            (b"x-goog-api-client", b"google-genai-sdk/1.0"),
            (b"content-type", b"application/json"),
        ]
    )
    assert dict(parsed.forward) == {
        "accept-encoding": "identity",
        "x-goog-api-client": "google-genai-sdk/1.0",
        "content-type": "application/json",
    }
    assert parsed.x_goog_api_key == b"sk-ingate-abc"
    assert parsed.sdk is FORMATS["gemini"]


@pytest.mark.parametrize(
    ("query", "key", "rest"),
    [
        (b"", None, b""),
        (b"alt=sse", None, b"alt=sse"),
        (b"key=sk-ingate-1", b"sk-ingate-1", b""),
        (b"alt=sse&key=sk-ingate-1", b"sk-ingate-1", b"alt=sse"),
        (b"key=sk-ingate-1&alt=sse&pageSize=5", b"sk-ingate-1", b"alt=sse&pageSize=5"),
        # Every spelling of the parameter stays here, however many times it is sent.
        (b"k%65y=sk-ingate-2&key=sk-ingate-3&alt=sse", b"sk-ingate-2", b"alt=sse"),
        (b"key=sk%2Dingate%2D4", b"sk-ingate-4", b""),
        (b"monkey=1&keys=2", None, b"monkey=1&keys=2"),
    ],
)
def test_the_key_query_parameter_is_taken_out_of_the_query(
    query: bytes, key: bytes | None, rest: bytes
) -> None:
    assert take_key_param(query) == (key, rest)


def test_the_key_is_looked_for_in_every_place_a_caller_may_put_it() -> None:
    assert extract_key(b"Bearer sk-a", b"sk-b", b"sk-c", b"sk-d") == "sk-a"
    assert extract_key(None, b"sk-b", b"sk-c", b"sk-d") == "sk-b"
    assert extract_key(None, None, b"sk-c", b"sk-d") == "sk-c"
    assert extract_key(None, None, None, b"sk-d") == "sk-d"
    assert extract_key(b"Basic x", b"", b" ", b"") is None
