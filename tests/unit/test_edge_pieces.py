"""Pure parts of the edge's request path: routes, headers, error envelopes, id splicing."""

import json

import pytest

from ingate_edge import errors
from ingate_edge.errors import error_body
from ingate_edge.headers import split_headers
from ingate_edge.proxy import with_request_id_field
from ingate_edge.routes import ROUTES, find_route, guess_dialect

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
}


@pytest.mark.parametrize(("path", "dialect"), DESIGN_PATHS.items())
def test_every_design_path_is_routed_to_its_provider(path: str, dialect: str) -> None:
    found = find_route(path)
    assert found is not None
    route, suffix = found
    assert route.dialect == dialect
    # OpenAI's base URL already ends in /v1, so the suffix never repeats it.
    assert suffix == (path.removeprefix("/v1") if dialect == "openai" else path)


def test_route_table_has_nothing_beyond_the_design() -> None:
    assert set(ROUTES) == set(DESIGN_PATHS)


@pytest.mark.parametrize(
    ("path", "suffix"),
    [("/v1/models/gpt-4o", "/models/gpt-4o"), ("/models/o3-mini", "/models/o3-mini")],
)
def test_model_retrieval_paths(path: str, suffix: str) -> None:
    found = find_route(path)
    assert found is not None
    assert found[1] == suffix


@pytest.mark.parametrize(
    "path", ["/", "/v1", "/v1/models/", "/v1/models/a/b", "/v2/chat/completions", "/api"]
)
def test_unknown_paths_have_no_route(path: str) -> None:
    assert find_route(path) is None


@pytest.mark.parametrize(
    ("path", "dialect"),
    [
        ("/v1/messages/batches", "anthropic"),
        ("/api/pull", "ollama"),
        ("/v1/files", "openai"),
        ("/", "openai"),
    ],
)
def test_unknown_paths_answer_in_the_likely_callers_dialect(path: str, dialect: str) -> None:
    assert guess_dialect(path) == dialect


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


@pytest.mark.parametrize(
    "kind",
    [errors.AUTHENTICATION, errors.NOT_FOUND, errors.TOO_LARGE, errors.UPSTREAM_TIMEOUT, errors.PERMISSION],
)
def test_error_envelopes_match_each_sdks_dialect(kind: errors.ErrorKind) -> None:
    openai = json.loads(error_body("openai", kind, "boom", "req_1"))
    assert openai == {
        "error": {
            "message": "boom",
            "type": kind.openai_type,
            "param": None,
            "code": kind.openai_code,
            "request_id": "req_1",
        }
    }
    anthropic = json.loads(error_body("anthropic", kind, "boom", "req_1"))
    assert anthropic == {
        "type": "error",
        "error": {"type": kind.anthropic_type, "message": "boom"},
        "request_id": "req_1",
    }
    assert json.loads(error_body("ollama", kind, "boom", "req_1")) == {"error": "boom", "request_id": "req_1"}


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
