"""Route strategies and providers' wait hints, on their own (no network)."""

import datetime as dt
import email.utils
from collections import Counter
from typing import Any

import msgspec
import pytest

from ingate_config import RouteConfig, load_settings
from ingate_edge.routing.hints import wait_hint_s
from ingate_edge.routing.rewrite import with_model
from ingate_edge.routing.strategies import Latency, LeastBusy, TargetLoad, Weighted
from ingate_edge.routing.table import Deployment, RouteTable
from ingate_edge.upstream import Upstreams
from ingate_providers import ProviderFormat
from ingate_providers.anthropic import ANTHROPIC
from ingate_providers.ollama import OLLAMA
from ingate_providers.openai import OPENAI

NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("weights", "picks"),
    [((3, 1), 400), ((1, 1), 100), ((5, 3, 2), 1000), ((1,), 10), ((1, 1_000), 2002)],
)
def test_weighted_splits_exactly_by_weight(weights: tuple[int, ...], picks: int) -> None:
    strategy = Weighted(weights, [TargetLoad() for _ in weights])
    ready = list(range(len(weights)))
    chosen = Counter(strategy.order(ready)[0] for _ in range(picks))
    total = sum(weights)
    assert {index: chosen[index] for index in ready} == {
        index: picks * weight // total for index, weight in enumerate(weights)
    }


def test_weighted_interleaves_and_lists_every_ready_target() -> None:
    strategy = Weighted((3, 1), [TargetLoad(), TargetLoad()])
    orders = [strategy.order([0, 1]) for _ in range(8)]
    assert [order[0] for order in orders] == [0, 0, 1, 0, 0, 0, 1, 0]
    assert all(sorted(order) == [0, 1] for order in orders)


def test_weighted_shares_among_the_targets_left() -> None:
    strategy = Weighted((2, 1, 1), [TargetLoad() for _ in range(3)])
    chosen = Counter(strategy.order([1, 2])[0] for _ in range(100))
    assert chosen == {1: 50, 2: 50}
    chosen = Counter(strategy.order([0, 1, 2])[0] for _ in range(400))
    assert chosen == {0: 200, 1: 100, 2: 100}


def test_least_busy_prefers_fewest_in_flight() -> None:
    loads = [TargetLoad(), TargetLoad(), TargetLoad()]
    loads[0].in_flight = 5
    loads[1].in_flight = 1
    loads[2].in_flight = 3
    assert LeastBusy((1, 1, 1), loads).order([0, 1, 2]) == [1, 2, 0]
    assert LeastBusy((1, 1, 1), loads).order([0, 2]) == [2, 0]


def test_least_busy_spreads_ties_in_turn() -> None:
    strategy = LeastBusy((1, 1), [TargetLoad(), TargetLoad()])
    assert Counter(strategy.order([0, 1])[0] for _ in range(10)) == {0: 5, 1: 5}


def test_latency_tries_unmeasured_then_fastest() -> None:
    loads = [TargetLoad(), TargetLoad(), TargetLoad()]
    strategy = Latency((1, 1, 1), loads)
    loads[0].observe_ttfb(200.0)
    loads[2].observe_ttfb(50.0)
    assert strategy.order([0, 1, 2]) == [1, 2, 0]
    loads[1].observe_ttfb(500.0)
    assert strategy.order([0, 1, 2])[0] == 2
    assert strategy.order([0, 1])[0] == 0


def test_latency_average_moves_towards_new_samples() -> None:
    load = TargetLoad()
    load.observe_ttfb(100.0)
    for _ in range(30):
        load.observe_ttfb(10.0)
    assert load.ttfb_ms is not None and 10.0 <= load.ttfb_ms < 11.0


def test_latency_measures_a_slow_target_again_now_and_then() -> None:
    loads = [TargetLoad(), TargetLoad()]
    loads[1].observe_ttfb(900.0)
    loads[0].observe_ttfb(10.0)
    strategy = Latency((1, 1), loads)
    firsts = []
    for _ in range(64):
        first = strategy.order([0, 1])[0]
        firsts.append(first)
        loads[first].observe_ttfb(10.0 if first == 0 else 900.0)
    assert 0 < firsts.count(1) <= 64 // 16


def _http_date(seconds_from_now: float) -> bytes:
    return email.utils.formatdate(NOW + seconds_from_now, usegmt=True).encode()


def _rfc3339(seconds_from_now: float) -> bytes:
    return (
        dt.datetime.fromtimestamp(NOW + seconds_from_now, dt.UTC).isoformat().replace("+00:00", "Z").encode()
    )


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([], None),
        ([(b"retry-after", b"2")], 2.0),
        ([(b"Retry-After", b" 20 ")], 20.0),
        ([(b"retry-after", b"0.5")], 0.5),
        ([(b"retry-after", _http_date(30))], 30.0),
        ([(b"retry-after", _http_date(-30))], 0.0),
        ([(b"retry-after-ms", b"150"), (b"retry-after", b"1")], 0.15),
        ([(b"retry-after", b"soon")], None),
        ([(b"retry-after", b"-5")], None),
        ([(b"retry-after", b"inf")], None),
        ([(b"retry-after", b"nan")], None),
        ([(b"x-ratelimit-remaining-requests", b"0"), (b"x-ratelimit-reset-requests", b"6m0s")], 360.0),
        ([(b"x-ratelimit-remaining-requests", b"0"), (b"x-ratelimit-reset-requests", b"1m30.5s")], 90.5),
        ([(b"x-ratelimit-remaining-tokens", b"0"), (b"x-ratelimit-reset-tokens", b"20ms")], 0.02),
        # A reset of a limit with room left says nothing about this 429.
        ([(b"x-ratelimit-remaining-requests", b"7"), (b"x-ratelimit-reset-requests", b"6m0s")], None),
        ([(b"x-ratelimit-remaining-requests", b"0"), (b"x-ratelimit-reset-requests", b"6 minutes")], None),
        (
            [
                (b"anthropic-ratelimit-requests-remaining", b"0"),
                (b"anthropic-ratelimit-requests-reset", _rfc3339(12)),
            ],
            12.0,
        ),
        (
            [(b"anthropic-ratelimit-tokens-remaining", b"0"), (b"anthropic-ratelimit-tokens-reset", b"x")],
            None,
        ),
        ([(b"retry-after", b"\xff\xfe")], None),
    ],
)
def test_wait_hint(headers: list[tuple[bytes, bytes]], expected: float | None) -> None:
    hint = wait_hint_s(headers, NOW)
    if expected is None:
        assert hint is None
    else:
        assert hint == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    "body",
    [
        b'{"model":"smart","messages":[{"role":"user","content":"hi"}]}',
        b'{ "model" : "smart" , "stream": true}',
        b'{"messages":[{"role":"user","content":"say \\"model\\":\\"smart\\""}],"model":"smart"}',
        # The pair nested before the top-level member: the in-place edit would hit the wrong one.
        b'{"metadata":{"model":"smart"},"model":"smart"}',
        # Written with an escape: found only by decoding.
        b'{"model":"sm\\u0061rt","max_tokens":5}',
        b'{"model":"smart-2","model":"smart"}',
        '{"model":"smart","messages":[{"role":"user","content":"héllo ✓"}]}'.encode(),
    ],
)
def test_with_model_changes_only_the_top_level_model(body: bytes) -> None:
    rewritten = with_model(body, b'"smart"', "llama3:8b@eu", b'"llama3:8b@eu"')
    before = msgspec.json.decode(body)
    after = msgspec.json.decode(rewritten)
    assert after.pop("model") == "llama3:8b@eu"
    before.pop("model")
    assert after == before
    if before.get("metadata"):
        assert after["metadata"] == {"model": "smart"}


class _Cooling:
    def __init__(self, *cooling: str) -> None:
        self.ids = set(cooling)

    def cooling(self, target_id: str, now: float) -> bool:
        return target_id in self.ids


def _table(**route: Any) -> RouteTable:
    config = msgspec.convert({"name": "smart", **route}, RouteConfig)
    return RouteTable({"smart": config}, Upstreams(load_settings(environ={}).providers))


_TWO_AND_ONE = {
    "targets": [
        {"provider": "openai", "model": "gpt-4o", "weight": 3},
        {"provider": "openai", "model": "gpt-4o-mini", "weight": 1},
    ],
    "fallbacks": [{"provider": "anthropic", "model": "claude-sonnet-4-20250514"}],
}


def _ids(plan: list[Deployment]) -> list[str]:
    return [deployment.id for deployment in plan]


@pytest.mark.parametrize(
    ("route", "cooling", "expected"),
    [
        (_TWO_AND_ONE, (), ["openai/gpt-4o", "openai/gpt-4o-mini", "anthropic/claude-sonnet-4-20250514"]),
        (_TWO_AND_ONE, ("openai/gpt-4o",), ["openai/gpt-4o-mini", "anthropic/claude-sonnet-4-20250514"]),
        ({**_TWO_AND_ONE, "max_attempts": 2}, (), ["openai/gpt-4o", "openai/gpt-4o-mini"]),
        (
            {**_TWO_AND_ONE, "max_attempts": 4},
            ("openai/gpt-4o-mini",),
            ["openai/gpt-4o", "anthropic/claude-sonnet-4-20250514"] * 2,
        ),
        (
            _TWO_AND_ONE,
            ("openai/gpt-4o", "openai/gpt-4o-mini", "anthropic/claude-sonnet-4-20250514"),
            [],
        ),
        (
            {"targets": [{"provider": "openai", "model": "gpt-4o"}], "max_attempts": 3},
            (),
            ["openai/gpt-4o"] * 3,
        ),
    ],
)
def test_plan_orders_targets_then_fallbacks(
    route: dict[str, Any], cooling: tuple[str, ...], expected: list[str]
) -> None:
    virtual = _table(**route).get("smart")
    assert virtual is not None
    assert _ids(virtual.plan(_Cooling(*cooling), NOW)) == expected


def test_routes_share_a_deployment_and_its_load() -> None:
    config = [
        msgspec.convert({"name": name, "targets": [{"provider": "openai", "model": "gpt-4o"}]}, RouteConfig)
        for name in ("a", "b")
    ]
    table = RouteTable({c.name: c for c in config}, Upstreams(load_settings(environ={}).providers))
    first, second = table.get("a"), table.get("b")
    assert first is not None and second is not None
    assert first.targets[0] is second.targets[0]
    assert table.get("gpt-4o") is None and table.get(None) is None
    assert table.names == ("a", "b")


@pytest.mark.parametrize(
    ("fmt", "body", "member", "key"),
    [
        (OPENAI, b'{"object":"list","data":[{"id":"gpt-4o","object":"model"}]}', "data", "id"),
        (ANTHROPIC, b'{"data":[{"type":"model","id":"claude-x"}],"has_more":false}', "data", "id"),
        (OLLAMA, b'{"models":[{"name":"llama3","model":"llama3"}]}', "models", "name"),
    ],
)
def test_model_lists_gain_routes_once(fmt: ProviderFormat, body: bytes, member: str, key: str) -> None:
    listed = msgspec.json.decode(fmt.with_models(body, ["smart", "fast"]))
    names = [entry[key] for entry in listed[member]]
    assert names[1:] == ["smart", "fast"]
    again = msgspec.json.decode(fmt.with_models(fmt.with_models(body, ["smart"]), ["smart"]))
    assert [entry[key] for entry in again[member]].count("smart") == 1


@pytest.mark.parametrize("body", [b"", b"not json", b"[]", b'{"data":"x"}', b'{"error":{"message":"no"}}'])
def test_model_lists_not_shaped_as_lists_pass_unchanged(body: bytes) -> None:
    assert OPENAI.with_models(body, ["smart"]) == body
