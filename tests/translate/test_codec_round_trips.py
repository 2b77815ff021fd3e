"""Each codec read and written back through the IR gives what it was: stop reasons, usage,
tool choices and thinking configs survive the internal representation unchanged."""

import json

import pytest

from ingate_translate import ir
from ingate_translate.schemas import anthropic as an
from ingate_translate.shapes import anthropic_messages as am
from ingate_translate.shapes import anthropic_messages_request as amr
from ingate_translate.shapes import openai_chat as oc
from ingate_translate.shapes import openai_chat_request as ocr
from tests.translate.support import Json, dumps

WEATHER: Json = {"type": "function", "function": {"name": "w", "parameters": {"type": "object"}}}


@pytest.mark.parametrize("reason", sorted(am.STOP_REASONS))
def test_anthropic_stop_reasons(reason: str) -> None:
    back = am.ANTHROPIC_STOPS[am.STOP_REASONS[reason]]
    assert back == {"model_context_window_exceeded": "max_tokens"}.get(reason, reason)


@pytest.mark.parametrize("finish", ["stop", "length", "tool_calls", "content_filter"])
def test_openai_finish_reasons(finish: str) -> None:
    assert oc.FINISH_REASONS[oc.stop_reason(finish, has_tool_calls=False)] == finish


def test_tool_calls_win_over_a_stop_finish() -> None:
    assert oc.stop_reason("stop", has_tool_calls=True) == "tool_calls"
    assert oc.stop_reason("stop", has_tool_calls=False, refused=True) == "content_filter"


@pytest.mark.parametrize(("read", "written"), [(10, 0), (0, 7), (100, 20)])
def test_usage_round_trips_with_the_cache(read: int, written: int) -> None:
    usage = an.Usage(
        input_tokens=5, output_tokens=9, cache_read_input_tokens=read, cache_creation_input_tokens=written
    )
    inner = ir.Usage()
    am.read_usage(usage, inner)
    assert inner.input_tokens == 5 + read + written  # the IR's input includes the cache
    assert am.write_usage(inner) == usage
    openai_usage = oc.write_usage(inner)
    assert oc.read_usage(openai_usage) == inner


@pytest.mark.parametrize(
    "choice", ["auto", "required", "none", {"type": "function", "function": {"name": "w"}}]
)
@pytest.mark.parametrize("parallel", [None, False])
def test_openai_tool_choice_round_trips(choice: object, parallel: bool | None) -> None:
    body: Json = {
        "model": "m",
        "messages": [{"role": "user", "content": "x"}],
        "tools": [WEATHER],
        "tool_choice": choice,
    }
    if parallel is not None:
        body["parallel_tool_calls"] = parallel
    out = json.loads(ocr.write_request(ocr.read_request(dumps(body))).body)
    assert out["tool_choice"] == choice
    assert out.get("parallel_tool_calls") == (parallel if choice != "none" else None)


@pytest.mark.parametrize(
    "choice",
    [
        {"type": "auto"},
        {"type": "any"},
        {"type": "none"},
        {"type": "tool", "name": "w"},
        {"type": "any", "disable_parallel_tool_use": True},
    ],
)
def test_anthropic_tool_choice_round_trips(choice: Json) -> None:
    body: Json = {
        "model": "m",
        "max_tokens": 10,
        "messages": [{"role": "user", "content": "x"}],
        "tools": [{"name": "w", "input_schema": {"type": "object"}}],
        "tool_choice": choice,
    }
    assert json.loads(amr.write_request(amr.read_request(dumps(body))).body)["tool_choice"] == choice


@pytest.mark.parametrize("budget", [1024, 2048, 5000, 8192, 16000])
def test_a_thinking_budget_survives_within_its_effort(budget: int) -> None:
    effort = ir.effort_for_budget(budget)
    assert ir.effort_for_budget(ir.budget_for_effort(effort)) == effort


def test_cache_marks_round_trip_on_anthropic() -> None:
    body: Json = {
        "model": "m",
        "max_tokens": 10,
        "system": [{"type": "text", "text": "s", "cache_control": {"type": "ephemeral", "ttl": "1h"}}],
        "messages": [
            {
                "role": "user",
                "content": [{"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}}],
            }
        ],
        "tools": [{"name": "w", "input_schema": {"type": "object"}, "cache_control": {"type": "ephemeral"}}],
    }
    request = amr.read_request(dumps(body))
    assert request.system[0].cache == "1h" and request.tools[0].cache == "5m"
    out = json.loads(amr.write_request(request).body)
    assert (out["system"], out["messages"], out["tools"]) == (body["system"], body["messages"], body["tools"])
