"""The load profile: its answer checks on their own, and short headless runs against the suite's edge.

Locust runs as a subprocess only: importing it here would patch this process with gevent.
"""

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Edge, Translators
from tests.load import traffic
from tests.load.run import ROOT, locust_command, parse_args
from tests.load.traffic import (
    check_chat_completion,
    check_chat_stream,
    check_embeddings,
    check_message,
    check_message_stream,
    check_ollama_chat,
    check_ollama_stream,
)

OPENAI_STREAM = (
    b'data: {"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n'
    b'data: {"object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'
    b'data: {"object":"chat.completion.chunk","choices":[],"usage":{"total_tokens":3}}\n\n'
    b"data: [DONE]\n\n"
)
ANTHROPIC_STREAM = (
    b'event: message_start\ndata: {"type":"message_start"}\n\n'
    b'event: content_block_delta\ndata: {"type":"content_block_delta"}\n\n'
    b'event: message_delta\ndata: {"type":"message_delta"}\n\n'
    b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
)
OLLAMA_STREAM = b'{"message":{"content":"Hi"},"done":false}\n{"message":{"content":""},"done":true}\n'


ERROR_THEN_DONE = b'data: {"error":{"type":"server_error"}}\n\ndata: [DONE]\n\n'
CHAT = b'{"object":"chat.completion","choices":[{"finish_reason":"stop"}]}'
OPENAI_AUTH = (
    b'{"error":{"message":"bad key (req_1)","type":"invalid_request_error","code":"invalid_api_key"}}'
)
ANTHROPIC_AUTH = b'{"type":"error","error":{"type":"authentication_error","message":"bad key"}}'


@pytest.mark.parametrize(
    ("check", "body", "problem"),
    [
        (check_chat_stream, OPENAI_STREAM, None),
        (check_chat_stream, OPENAI_STREAM.replace(b"\n\n", b"\r\n\r\n"), None),
        (check_chat_stream, OPENAI_STREAM[:-16], "stream ended without data: [DONE]"),
        (check_chat_stream, OPENAI_STREAM[:60], "stream ended without data: [DONE]"),
        (check_chat_stream, OPENAI_STREAM.replace(b'"stop"', b"null"), "stream without a finish_reason"),
        (check_chat_stream, ERROR_THEN_DONE, "stream event is not a chat.completion.chunk"),
        (check_message_stream, ANTHROPIC_STREAM, None),
        (check_message_stream, ANTHROPIC_STREAM[:-50], "stream ended without message_stop"),
        (check_message_stream, ANTHROPIC_STREAM[40:], "stream did not start with message_start"),
        (
            check_message_stream,
            ANTHROPIC_STREAM.replace(b"event: message_delta", b"event: error"),
            "stream carried an error event",
        ),
        (check_ollama_stream, OLLAMA_STREAM, None),
        (check_ollama_stream, OLLAMA_STREAM.split(b"\n")[0], "Ollama answer not done"),
        (check_ollama_stream, b'{"error":"upstream gone"}\n', "Ollama stream line is not an answer"),
        (check_ollama_stream, b"", "empty Ollama stream"),
        (check_chat_completion, CHAT, None),
        (check_chat_completion, CHAT.replace(b'"stop"', b"null"), "chat.completion without finish_reason"),
        (check_chat_completion, CHAT[:20], "not a chat.completion"),
        (check_message, b'{"type":"message","stop_reason":"end_turn"}', None),
        (check_message, ANTHROPIC_AUTH, "not an Anthropic message"),
        (check_embeddings, b'{"object":"list","data":[{"embedding":[0.1]}]}', None),
        (check_embeddings, b'{"object":"list","data":[]}', "embeddings list without a vector"),
        (check_ollama_chat, b'{"message":{"content":"Hi"},"done":true}', None),
    ],
)  # fmt: skip
def test_checks_accept_complete_answers_and_name_what_is_wrong(
    check: traffic.Check, body: bytes, problem: str | None
) -> None:
    assert check(body) == problem


@pytest.mark.parametrize(
    ("status", "body", "label"),
    [
        (401, OPENAI_AUTH, "HTTP 401 invalid_api_key"),
        (401, ANTHROPIC_AUTH, "HTTP 401 authentication_error"),
        (502, b'{"error":"upstream unreachable (request req_123)"}', "HTTP 502 upstream unreachable"),
        (503, b"<html>Service Unavailable</html>", "HTTP 503"),
    ],
)
def test_failure_labels_group_without_per_request_details(status: int, body: bytes, label: str) -> None:
    assert traffic.describe_failure(status, body) == label


def test_a_person_keeps_a_user_id_and_resends_the_session_so_far() -> None:
    person = traffic.Person(random.Random(7), "sk-ingate-test", {"X-Mock-Latency-Ms": "5"})
    kind = next(k for k in traffic.KINDS if k.name == "openai.chat")
    sessions: dict[str, list[int]] = {}
    for _ in range(200):
        body, headers = person.next_request(kind)
        assert headers["X-Ingate-User-Id"] == person.user_id
        assert headers["Authorization"] == "Bearer sk-ingate-test"
        assert headers["X-Mock-Latency-Ms"] == "5"
        sessions.setdefault(headers["X-Ingate-Session-Id"], []).append(body.count(b'"role":"user"'))
    low, high = traffic.SESSION_TURNS
    assert len(sessions) >= 200 // high
    for user_turns in list(sessions.values())[:-1]:  # the last session may still be going
        assert low <= len(user_turns) <= high
        assert user_turns == list(range(1, len(user_turns) + 1)), "each turn resends the earlier ones"


def test_extra_headers_parse_and_bad_ones_are_named() -> None:
    assert traffic.parse_headers("") == {}
    assert traffic.parse_headers("X-Mock-Latency-Ms: 300; X-Trace: a:b ;") == {
        "X-Mock-Latency-Ms": "300",
        "X-Trace": "a:b",
    }
    with pytest.raises(ValueError, match="'oops'"):
        traffic.parse_headers("X-Ok: 1; oops")


# Each run ends once every kind was sent (--until-each), however slow the machine; --time only
# caps a run that would never get there.
RUN_CAP = "150s"


def _summary(path: Path) -> tuple[dict[str, tuple[int, int]], dict[str, int]]:
    """Requests and failures per kind, and failures per label, as the run ended."""
    summary = json.loads(path.read_text())
    kinds = {name: (requests, failures) for name, (requests, failures) in summary["requests"].items()}
    return kinds, summary["failures"]


@pytest.mark.timeout(240)
def test_profile_sends_every_kind_and_none_fails(
    edge: Edge, translators: Translators, tmp_path: Path
) -> None:
    key = edge.new_key("--name", "load-smoke", "--user", "load-smoke")
    done = subprocess.run(
        [
            sys.executable, "-m", "tests.load.run", "--host", edge.url, "--users", "10", "--spawn-rate", "10",
            "--time", RUN_CAP, "--until-each", "2", "--think", "0.05", "--max-fail-ratio", "0",
            "--summary", str(tmp_path / "summary.json"),
        ],
        cwd=ROOT, env={**os.environ, "LOAD_KEY": key}, capture_output=True, text=True, timeout=200,
        check=False,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    stats, failures = _summary(tmp_path / "summary.json")
    assert sorted(stats) == sorted(kind.name for kind in traffic.KINDS), output[-4000:]
    assert all(requests >= 2 for requests, _ in stats.values()), stats
    assert all(failed == 0 for _, failed in stats.values()), output[-4000:]
    assert failures == {}


def _run_locust(edge: Edge, key: str, summary: Path, *extra: str) -> str:
    """Locust straight, without the driver's preflight: these runs are meant to fail."""
    options = parse_args(
        ["--users", "4", "--time", RUN_CAP, "--until-each", "1", "--think", "0.05", "--summary", str(summary),
         *extra]
    )  # fmt: skip
    done = subprocess.run(
        locust_command(options, edge.url),
        cwd=ROOT, env={**os.environ, "LOAD_KEY": key}, capture_output=True, text=True, timeout=200,
        check=False,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 1, output[-4000:]
    assert "requests failed" in output
    return output


@pytest.mark.timeout(240)
def test_streams_cut_short_are_failures(edge: Edge, translators: Translators, tmp_path: Path) -> None:
    key = edge.new_key("--name", "load-broken-streams")
    # The mock provider drops every stream after three events; JSON answers are unaffected.
    summary = tmp_path / "cut.json"
    _run_locust(edge, key, summary, "--headers", "X-Mock-Drop-After: 3", "--max-fail-ratio", "0.01")
    stats, _ = _summary(summary)
    assert sorted(stats) == sorted(kind.name for kind in traffic.KINDS), stats
    streams = {name: counts for name, counts in stats.items() if name.endswith(".stream")}
    assert streams, stats
    assert all(failures == requests for requests, failures in streams.values()), stats
    assert all(failures == 0 for name, (_, failures) in stats.items() if name not in streams), stats


@pytest.mark.timeout(240)
def test_failed_requests_are_counted_and_fail_the_run(edge: Edge, tmp_path: Path) -> None:
    summary = tmp_path / "bad.json"
    _run_locust(edge, "sk-ingate-not-a-key", summary, "--max-fail-ratio", "0.5")
    stats, failures = _summary(summary)
    assert stats
    assert all(failed == requests > 0 for requests, failed in stats.values()), stats
    assert failures
    assert all("HTTP 401" in label for label in failures), failures
