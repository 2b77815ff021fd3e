"""The edge's capture pieces without a process: redaction, the cut at the cap, Ollama's lines
merged, and the decision who is captured."""

import json

import pytest

from ingate_config import PayloadsConfig, ProviderConfig
from ingate_contracts import RequestRecord
from ingate_edge.capture import REDACTED, Capturer, NdjsonCapture, Redactor
from ingate_edge.capture.bodies import keep, utf8_prefix
from ingate_translate import ir

CREDENTIAL = "sk-provider-0123456789abcdef"
KEY = "sk-ingate-AbCdEfGhIjKlMnOpQrStUv_-09"
ADMIN = "sk-ingate-admin-ZyXwVuTsRqPoNmLk"
REDACTOR = Redactor([CREDENTIAL, "", "sk-provider-0123"], [r"ACCT-\d{4}", r"(?i)secret word"])


@pytest.mark.parametrize(
    ("text", "expected", "changed"),
    [
        ("nothing here", "nothing here", False),
        (f"key {CREDENTIAL}!", f"key {REDACTED}!", True),
        (f"Bearer {KEY}", f"Bearer {REDACTED}", True),
        (f'{{"token": "{ADMIN}"}}', f'{{"token": "{REDACTED}"}}', True),
        ("sk-ingate-", "sk-ingate-", False),  # the prefix alone holds nothing
        ("sk-provider-0123 alone", f"{REDACTED} alone", True),  # a shorter credential too
        ("ACCT-1234 and acct-1234", f"{REDACTED} and acct-1234", True),
        ("a SECRET WORD", f"a {REDACTED}", True),
        (f"{CREDENTIAL} {KEY}", f"{REDACTED} {REDACTED}", True),
        # Key characters run on: what follows a key without a break goes with it.
        (f"{KEY}{CREDENTIAL}", REDACTED, True),
    ],
)
def test_redaction(text: str, expected: str, changed: bool) -> None:
    assert REDACTOR.redact(text) == (expected, changed)


def test_the_margin_is_wider_than_any_credential() -> None:
    long_credential = "k" * 10_000
    assert Redactor([long_credential], []).margin > len(long_credential)
    assert Redactor([], []).margin >= 4096


@pytest.mark.parametrize(
    ("data", "limit", "expected"),
    [
        (b"abc", 5, b"abc"),
        (b"abcdef", 3, b"abc"),
        ("aé".encode(), 2, b"a"),  # é is two bytes: not cut in half
        ("a€".encode(), 3, b"a"),
        ("a€".encode(), 4, "a€".encode()),
        ("😀".encode(), 3, b""),
    ],
)
def test_utf8_prefix(data: bytes, limit: int, expected: bytes) -> None:
    assert utf8_prefix(data, limit) == expected


@pytest.mark.parametrize(
    ("data", "max_bytes", "text", "truncated", "redacted"),
    [
        (b"short", 100, "short", False, False),
        (b"x" * 20, 10, "x" * 10, True, False),
        (f"{KEY} tail".encode(), 12, f"{REDACTED} t", True, True),
        # Longer than the cap, but not once redacted: kept whole.
        (f"a{KEY} b".encode(), 14, f"a{REDACTED} b", False, True),
        (b"\xff\xfe ok", 100, "\ufffd\ufffd ok", False, False),
        # U+FFFD is three bytes: the text grows past the cap and is cut again.
        (b"\xff" * 6, 6, "\ufffd\ufffd", True, False),
    ],
)
def test_keep(data: bytes, max_bytes: int, text: str, truncated: bool, redacted: bool) -> None:
    kept = keep(data, REDACTOR, max_bytes)
    assert (kept.text, kept.truncated, kept.redacted) == (text, truncated, redacted)
    assert len(kept.text.encode()) <= max_bytes


def test_a_secret_straddling_the_cap_of_a_huge_body_is_redacted() -> None:
    body = b"y" * 990 + KEY.encode() + b"z" * 1_000_000
    kept = keep(body, REDACTOR, 1000)
    assert kept.text == "y" * 990 + REDACTED
    assert kept.truncated and kept.redacted


def line(**item: object) -> bytes:
    return json.dumps(item).encode()


def test_ollama_lines_merge_into_one_answer() -> None:
    capture = NdjsonCapture()
    call = {"function": {"name": "weather", "arguments": {"city": "Paris"}}}
    capture.line(line(model="m", message={"role": "assistant", "content": "Hel"}, done=False))
    capture.line(
        line(model="m", message={"role": "assistant", "content": "lo", "tool_calls": [call]}, done=False)
    )
    capture.line(b"not json")
    capture.line(line(model="m", message={"role": "assistant", "content": ""}, done=True, eval_count=2))
    merged = json.loads(capture.finish(ir.Context(model="m")))
    assert merged == {
        "model": "m",
        "message": {"role": "assistant", "content": "Hello", "tool_calls": [call]},
        "done": True,
        "eval_count": 2,
    }


def test_ollama_generate_lines_merge_their_response() -> None:
    capture = NdjsonCapture()
    capture.line(line(model="m", response="a", done=False))
    capture.line(line(model="m", response="b", done=True))
    assert json.loads(capture.finish(ir.Context(model="m")))["response"] == "ab"


def test_lines_that_are_not_json_are_kept_as_they_came() -> None:
    capture = NdjsonCapture()
    capture.line(b"\xffbroken")
    assert capture.finish(ir.Context(model="m")) == "\ufffdbroken"


def provider(api_key: str | None) -> ProviderConfig:
    return ProviderConfig(name="p", format="openai", base_url="http://p", api_key=api_key)


def test_a_provider_added_later_has_its_credential_redacted_and_a_removed_one_still() -> None:
    capturer = Capturer(PayloadsConfig(redact=["ACCT-1"]), [provider(CREDENTIAL)])
    capturer.use_providers([provider("sk-added-at-run-time")])  # the first one removed
    text = f"{CREDENTIAL} sk-added-at-run-time ACCT-1"
    assert capturer.redactor.redact(text) == (f"{REDACTED} {REDACTED} {REDACTED}", True)


def test_a_payload_is_cut_and_redacted_and_streams_are_assembled() -> None:
    capturer = Capturer(PayloadsConfig(max_bytes=4096), [provider(CREDENTIAL), provider(None)])
    record = RequestRecord(ts=1.5, request_id="req_1", method="POST", endpoint="chat", model="m")
    capture = capturer.begin("openai-chat", f'{{"k": "{CREDENTIAL}"}}'.encode())
    capture.sse("openai-chat").feed(
        [("", '{"id":"c","model":"m","choices":[{"index":0,"delta":{"content":"hi"}}]}')]
    )
    payload = capturer.payload(capture, record)
    assert payload.request_body == f'{{"k": "{REDACTED}"}}'
    assert json.loads(payload.response_body)["choices"][0]["message"]["content"] == "hi"
    assert (payload.request_id, payload.ts, payload.redacted, payload.truncated) == (
        "req_1",
        1.5,
        True,
        False,
    )
    assert not capturer.all  # only keys that ask are captured
