"""The circuit breaker of one edge on its own (never started: no NATS), time given by the test."""

import re

import msgspec
import pytest

from ingate_edge.cooldown_entry import CooldownEntry, decode_entry, encode_entry, entry_key
from ingate_edge.cooldowns import FAILURE_THRESHOLD, PROBE_TIMEOUT_S, RETRY_AFTER_CAP_S, Cooldowns

T = "openai/gpt-4o"
NOW = 1_800_000_000.0
COOL = 30.0


def _tripped(now: float = NOW) -> Cooldowns:
    cooldowns = Cooldowns(edge_id="edge-a")
    for _ in range(FAILURE_THRESHOLD):
        cooldowns.failed(T, now, COOL)
    assert not cooldowns.available(T, now)
    return cooldowns


def test_an_unknown_target_is_available() -> None:
    cooldowns = Cooldowns()
    assert cooldowns.available(T, NOW)
    cooldowns.succeeded(T, NOW)
    assert cooldowns.available(T, NOW)


def test_consecutive_failures_trip_and_a_success_resets_the_count() -> None:
    cooldowns = Cooldowns()
    for _ in range(FAILURE_THRESHOLD - 1):
        cooldowns.failed(T, NOW, COOL)
    assert cooldowns.available(T, NOW)
    cooldowns.succeeded(T, NOW)
    for _ in range(FAILURE_THRESHOLD - 1):
        cooldowns.failed(T, NOW, COOL)
    assert cooldowns.available(T, NOW)
    cooldowns.failed(T, NOW, COOL)
    assert not cooldowns.available(T, NOW)
    assert not cooldowns.available(T, NOW + COOL - 0.01)
    assert cooldowns.available("openai/gpt-4o-mini", NOW)  # per target


def test_once_run_out_one_caller_probes_and_the_rest_wait() -> None:
    cooldowns = _tripped()
    later = NOW + COOL
    assert cooldowns.available(T, later)
    assert not cooldowns.available(T, later)
    assert not cooldowns.available(T, later + PROBE_TIMEOUT_S - 0.01)
    # The probe's outcome never came: another caller probes.
    assert cooldowns.available(T, later + PROBE_TIMEOUT_S)
    assert not cooldowns.available(T, later + PROBE_TIMEOUT_S)


def test_a_probe_that_succeeds_restores_the_target() -> None:
    cooldowns = _tripped()
    assert cooldowns.available(T, NOW + COOL)
    cooldowns.succeeded(T, NOW + COOL + 1)
    assert cooldowns.available(T, NOW + COOL + 1)
    assert cooldowns.available(T, NOW + COOL + 1)
    # The count starts again from nothing.
    for _ in range(FAILURE_THRESHOLD - 1):
        cooldowns.failed(T, NOW + COOL + 2, COOL)
    assert cooldowns.available(T, NOW + COOL + 2)


def test_a_probe_that_fails_reopens_at_once() -> None:
    cooldowns = _tripped()
    probe_at = NOW + COOL
    assert cooldowns.available(T, probe_at)
    cooldowns.failed(T, probe_at + 1, COOL)
    assert not cooldowns.available(T, probe_at + 1)
    assert not cooldowns.available(T, probe_at + 1 + COOL - 0.01)
    assert cooldowns.available(T, probe_at + 1 + COOL)  # a fresh probe for the new cooldown


def test_late_outcomes_during_a_cooldown_neither_extend_nor_lift_it() -> None:
    cooldowns = _tripped()
    for _ in range(FAILURE_THRESHOLD * 2):
        cooldowns.failed(T, NOW + 1, COOL)
    assert cooldowns.available(T, NOW + COOL)  # not extended
    cooldowns = _tripped()
    cooldowns.succeeded(T, NOW + 1)  # a request sent before the cooldown began
    assert not cooldowns.available(T, NOW + 1)


def test_retry_after_cools_at_once_and_is_capped() -> None:
    cooldowns = Cooldowns()
    cooldowns.failed(T, NOW, COOL, retry_after_s=120.0, reason="upstream_429")
    assert not cooldowns.available(T, NOW + 119.9)
    assert cooldowns.available(T, NOW + 120.0)

    cooldowns = Cooldowns()
    cooldowns.failed(T, NOW, COOL, retry_after_s=86_400.0)
    assert not cooldowns.available(T, NOW + RETRY_AFTER_CAP_S - 0.01)
    assert cooldowns.available(T, NOW + RETRY_AFTER_CAP_S)

    long_cooldown = RETRY_AFTER_CAP_S * 2  # the cap is never below the route's own cooldown
    cooldowns = Cooldowns()
    cooldowns.failed(T, NOW, long_cooldown, retry_after_s=86_400.0)
    assert not cooldowns.available(T, NOW + long_cooldown - 0.01)
    assert cooldowns.available(T, NOW + long_cooldown)


def test_retry_after_extends_a_cooldown_but_never_shortens_it() -> None:
    cooldowns = Cooldowns()
    cooldowns.failed(T, NOW, COOL, retry_after_s=60.0)
    cooldowns.failed(T, NOW + 1, COOL, retry_after_s=5.0)
    assert not cooldowns.available(T, NOW + 59)
    cooldowns.failed(T, NOW + 2, COOL, retry_after_s=100.0)
    assert not cooldowns.available(T, NOW + 101)
    assert cooldowns.available(T, NOW + 102)


def test_a_retry_after_of_nothing_counts_as_a_plain_failure() -> None:
    cooldowns = Cooldowns()
    for bad in (0.0, -5.0, float("nan")):
        cooldowns.failed(T, NOW, COOL, retry_after_s=bad)
    assert not cooldowns.available(T, NOW)  # the third failure tripped, for cooldown_s
    assert cooldowns.available(T, NOW + COOL)


def test_a_failed_probe_with_retry_after_waits_as_asked() -> None:
    cooldowns = _tripped()
    assert cooldowns.available(T, NOW + COOL)
    cooldowns.failed(T, NOW + COOL, COOL, retry_after_s=5.0)
    assert not cooldowns.available(T, NOW + COOL + 4.9)
    assert cooldowns.available(T, NOW + COOL + 5.0)


@pytest.mark.parametrize(
    "target", ["ollama/llama3:8b", "azure/gpt-4o@2024-08-06", "custom/my model", "x/é.*>", "a"]
)
def test_keys_are_valid_for_nats_kv_and_distinct(target: str) -> None:
    key = entry_key(target)
    assert re.fullmatch(r"[-_A-Za-z0-9]+", key), key
    assert entry_key(target + " ") != key


def test_entries_round_trip_and_bad_ones_are_refused() -> None:
    entry = CooldownEntry("ollama/llama3:8b", NOW, "upstream_429", "edge-a")
    assert decode_entry(encode_entry(entry)) == entry
    for bad in (
        b"not json",
        b'{"until": 1800000000.0}',
        b'{"target": "", "until": 1800000000.0}',
        b'{"target": "a", "until": -1}',
        b'{"target": "a", "until": 1e400}',
        b'{"target": "a", "until": "soon"}',
    ):
        with pytest.raises(msgspec.DecodeError):
            decode_entry(bad)


def test_cooling_is_a_plain_look_that_hands_out_no_probe() -> None:
    cooldowns = _tripped()
    assert cooldowns.cooling(T, NOW)
    assert not cooldowns.cooling("openai/gpt-4o-mini", NOW)
    later = NOW + COOL
    assert not cooldowns.cooling(T, later)
    assert not cooldowns.cooling(T, later)  # looking twice takes nothing
    assert cooldowns.available(T, later)  # so the probe is still there to hand out
    assert not cooldowns.available(T, later)


def test_a_zero_cooldown_never_skips_on_failures_but_honours_retry_after() -> None:
    cooldowns = Cooldowns()
    for _ in range(FAILURE_THRESHOLD * 3):
        cooldowns.failed(T, NOW, 0.0)
    assert cooldowns.available(T, NOW) and cooldowns.available(T, NOW)
    assert cooldowns.shared(T) is None and not cooldowns.cooling(T, NOW)
    cooldowns.failed(T, NOW, 0.0, retry_after_s=5.0)
    assert cooldowns.cooling(T, NOW + 4.9)
