"""The limiter's pure pieces, table-driven: bucket arithmetic, headers, token estimates, access."""

import msgspec
import pytest

from ingate_contracts import KeyRecord
from ingate_edge.errors import GatewayError
from ingate_edge.limits import check_expiry, check_model, check_provider
from ingate_edge.limits.bucket import BucketState, grant, level_at, wait_for
from ingate_edge.limits.estimate import DEFAULT_OUTPUT_TOKENS, output_cap, reserve_tokens
from ingate_edge.limits.headers import duration, retry_headers
from ingate_edge.limits.lease import REQUESTS, TOKENS, Lease
from ingate_edge.probe import RequestProbe

_probe = msgspec.json.Decoder(RequestProbe).decode


@pytest.mark.parametrize(
    ("state", "limit", "now", "expected"),
    [
        (None, 3, 100.0, 3.0),  # never used: full
        (BucketState(0.0, 100.0), 3, 100.0, 0.0),
        (BucketState(0.0, 100.0), 3, 120.0, 1.0),  # 3 per minute: one back every 20 s
        (BucketState(0.0, 100.0), 3, 1000.0, 3.0),  # never above the limit
        (BucketState(-3.0, 100.0), 3, 160.0, 0.0),  # a debt is waited out first
        (BucketState(2.0, 100.0), 60, 99.0, 2.0),  # a clock behind the writer's adds nothing
        (BucketState(0.0, 100.0, 10), 100, 100.0, 90.0),  # limit raised: what was used stays used
        (BucketState(5.0, 100.0, 10), 2, 100.0, -3.0),  # limit lowered below the use: a debt
    ],
)
def test_level_at(state: BucketState | None, limit: int, now: float, expected: float) -> None:
    assert level_at(state, limit, now) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("level", "need", "want", "expected"),
    [
        (10.0, 1.0, 5.0, 5.0),  # a whole slice when there is one
        (3.7, 1.0, 5.0, 3.0),  # else the whole units there are
        (0.9, 1.0, 5.0, 0.0),  # not even one: nothing
        (500.0, 300.0, 350.0, 350.0),  # tokens: reservation plus slice
        (320.5, 300.0, 350.0, 320.0),
        (299.0, 300.0, 350.0, 0.0),
    ],
)
def test_grant(level: float, need: float, want: float, expected: float) -> None:
    assert grant(level, need, want) == expected


def test_waits() -> None:
    assert wait_for(0.0, 1.0, 3) == pytest.approx(20.0)
    assert wait_for(2.0, 1.0, 3) == 0.0
    assert wait_for(-60.0, 1.0, 60) == pytest.approx(61.0)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.0, "0ms"),
        (0.0201, "21ms"),
        (1.0, "1s"),
        (1.5, "1.5s"),
        (17.2874, "17.287s"),
        (360.0, "6m0s"),
        (61.2, "1m2s"),
    ],
)
def test_reset_duration_in_openai_format(seconds: float, text: str) -> None:
    assert duration(seconds) == text.encode()


def test_limit_and_retry_headers() -> None:
    now = 1_700_000_000.0
    requests = Lease("k.rpm", 3, REQUESTS)
    requests.permits, requests.level, requests.seen_at = 1.0, 0.5, now - 3.0  # 0.5 + 3 s at 3/60 per s
    headers: list[tuple[bytes, bytes]] = []
    requests.add_headers(headers, now)
    assert headers == [
        (b"x-ratelimit-limit-requests", b"3"),
        (b"x-ratelimit-remaining-requests", b"1"),  # 1 held here + 0.65 in the bucket, floored
        (b"x-ratelimit-reset-requests", b"27s"),  # 1.35 short of 3, at 3 per minute
    ]
    tokens = Lease("k.tpm", 10, TOKENS)
    tokens.level, tokens.seen_at = -4.0, now  # a debt
    tokens.add_headers(headers, now)
    assert headers[3:] == [
        (b"x-ratelimit-limit-tokens", b"10"),
        (b"x-ratelimit-remaining-tokens", b"0"),
        (b"x-ratelimit-reset-tokens", b"1m24s"),
    ]
    assert retry_headers(19.2) == [(b"retry-after", b"20"), (b"retry-after-ms", b"19200")]
    assert retry_headers(0.0) == [(b"retry-after", b"1"), (b"retry-after-ms", b"1")]


@pytest.mark.parametrize(
    ("body", "cap"),
    [
        (b'{"model":"m","max_tokens":300}', 300),
        (b'{"max_completion_tokens":50,"max_tokens":300}', 50),  # the newer name wins
        (b'{"max_output_tokens":70}', 70),
        (b'{"options":{"num_predict":90,"temperature":0}}', 90),
        (b'{"max_tokens":"lots"}', None),  # malformed: the provider will say so
        (b'{"max_tokens":-5}', None),
        (b'{"max_tokens":null}', None),
        (b'{"options":{"num_predict":"x"}}', None),
        (b'{"model":"m"}', None),
    ],
)
def test_output_cap(body: bytes, cap: int | None) -> None:
    assert output_cap(_probe(body)) == cap


def test_reservation_is_prompt_size_plus_output_cap() -> None:
    body = b'{"model":"m","max_tokens":300,"messages":[]}'
    assert reserve_tokens("messages", len(body), _probe(body)) == len(body) // 4 + 1 + 300
    plain = b'{"model":"m"}'
    assert (
        reserve_tokens("chat.completions", len(plain), _probe(plain))
        == len(plain) // 4 + 1 + DEFAULT_OUTPUT_TOKENS
    )
    assert reserve_tokens("embeddings", 400, _probe(plain)) == 101  # embeddings produce no output tokens
    assert reserve_tokens("models", 0, None) == 0


def _key(**fields: object) -> KeyRecord:
    return KeyRecord(key_id="key_000000000000", created_at="2026-01-01T00:00:00+00:00", **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("models", "model", "allowed"),
    [
        ((), "anything", True),
        (("gpt-4o*",), "gpt-4o-mini", True),
        (("gpt-4o*",), "gpt-4.1", False),
        (("gpt-4o*", "claude-*"), "claude-sonnet-4-5", True),
        (("gpt-4o",), "gpt-4o-mini", False),  # a glob matches the whole name
        (("[a-z]*",), "Gpt", False),  # case matters, as model names are exact
    ],
)
def test_model_allow_list(models: tuple[str, ...], model: str | None, allowed: bool) -> None:
    key = _key(models=models)
    if allowed:
        check_model(key, model)
    else:
        with pytest.raises(GatewayError) as raised:
            check_model(key, model)
        assert raised.value.status == 403


@pytest.mark.parametrize("model", [None, ""])
def test_model_allow_list_needs_a_model(model: str | None) -> None:
    check_model(_key(), model)  # no allow-list: the provider judges a missing model
    with pytest.raises(GatewayError) as raised:
        check_model(_key(models=("gpt-4o",)), model)
    assert raised.value.status == 400 and "model" in raised.value.message


def test_provider_allow_list_and_expiry() -> None:
    check_provider(_key(), "openai")
    check_provider(_key(providers=("openai",)), "openai")
    with pytest.raises(GatewayError) as raised:
        check_provider(_key(providers=("anthropic",)), "openai")
    assert raised.value.status == 403 and raised.value.error_type == "provider_not_allowed"
    check_expiry(_key(expires_at="2030-01-01T00:00:00+00:00"), now=1_800_000_000.0 - 100_000_000)
    for expired in ("2020-01-01T00:00:00+00:00", "2020-01-01T00:00:00", "not a date"):
        with pytest.raises(GatewayError) as raised:
            check_expiry(_key(expires_at=expired), now=1_700_000_000.0)
        assert raised.value.status == 401
