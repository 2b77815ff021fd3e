"""IR answers and errors as Ollama bodies, checked field by field and parsed by the ollama client's types."""

import json

import pytest
from ollama import ChatResponse, GenerateResponse

from ingate_translate import ir
from ingate_translate.shapes.ollama import OLLAMA_CHAT, OLLAMA_GENERATE
from tests.translate.support import CREATED, Json

CONTEXT = ir.Context(model="smart", created=CREATED)  # the model the caller named is echoed
WHEN = "2023-11-14T22:13:20Z"
COUNTS: Json = {
    "total_duration": 0,
    "load_duration": 0,
    "prompt_eval_count": 12,
    "prompt_eval_duration": 0,
    "eval_count": 5,
    "eval_duration": 0,
}
USAGE = ir.Usage(input_tokens=12, output_tokens=5, cache_read_tokens=4)


def answer(*parts: ir.Part, stop: ir.StopReason = "end") -> ir.Response:
    return ir.Response(id="msg_1", model="gpt-4o-2024-08-06", parts=list(parts), stop=stop, usage=USAGE)


def chat_body(response: ir.Response) -> Json:
    body: Json = json.loads(OLLAMA_CHAT.write_response(response, CONTEXT))
    parsed = ChatResponse.model_validate(body)
    assert parsed.done and parsed.model == "smart"
    return body


def test_a_text_answer() -> None:
    assert chat_body(answer(ir.Text(text="Hello"), ir.Text(text=" there"))) == {
        "model": "smart",
        "created_at": WHEN,
        "done": True,
        "done_reason": "stop",
        **COUNTS,
        "message": {"role": "assistant", "content": "Hello there"},
    }


def test_thinking_and_tool_calls() -> None:
    body = chat_body(
        answer(
            ir.Thinking(text="Paris, ", signature="sig-1"),
            ir.RedactedThinking(data="opaque"),
            ir.Thinking(text="then Rome.", signature="sig-2"),
            ir.ToolCall(id="toolu_1", name="get_weather", arguments={"city": "Paris"}),
            ir.ToolCall(id="toolu_2", name="get_weather", arguments={"city": "Rome"}),
            stop="tool_calls",
        )
    )
    assert body["done_reason"] == "stop"  # Ollama reports tool calls as a stop
    assert body["message"] == {
        "role": "assistant",
        "content": "",
        "thinking": "Paris, then Rome.",  # signatures and redacted thinking have no place
        "tool_calls": [
            {"function": {"name": "get_weather", "arguments": {"city": "Paris"}}},
            {"function": {"name": "get_weather", "arguments": {"city": "Rome"}}},
        ],
    }


@pytest.mark.parametrize(
    ("stop", "reason"),
    [
        ("end", "stop"),
        ("stop_sequence", "stop"),
        ("tool_calls", "stop"),
        ("content_filter", "stop"),
        ("pause", "stop"),
        ("length", "length"),
    ],
)
def test_done_reasons(stop: ir.StopReason, reason: str) -> None:
    assert chat_body(answer(ir.Text(text="x"), stop=stop))["done_reason"] == reason


def test_a_generate_answer() -> None:
    response = answer(ir.Thinking(text="Rayleigh."), ir.Text(text="Scattering."), stop="length")
    body = json.loads(OLLAMA_GENERATE.write_response(response, CONTEXT))
    assert body == {
        "model": "smart",
        "created_at": WHEN,
        "done": True,
        "done_reason": "length",
        **COUNTS,
        "response": "Scattering.",
        "thinking": "Rayleigh.",
    }
    assert GenerateResponse.model_validate(body).response == "Scattering."


def test_an_answer_without_usage_counts_zero() -> None:
    response = ir.Response(id="x", model="m", parts=[ir.Text(text="hi")])
    body = json.loads(OLLAMA_CHAT.write_response(response, CONTEXT))
    assert (body["prompt_eval_count"], body["eval_count"]) == (0, 0)


ERRORS = {
    "plain": (ir.Error(status=429, kind="rate_limit", message="Slow down."), 429, "Slow down."),
    "with a parameter": (
        ir.Error(status=400, kind="invalid_request", message="Unsupported option.", param="options.mirostat"),
        400,
        "Unsupported option. (parameter: options.mirostat)",
    ),
    "naming its parameter already": (
        ir.Error(status=400, kind="invalid_request", message="think must be true or false.", param="think"),
        400,
        "think must be true or false.",
    ),
    "upstream down": (ir.Error(status=503, kind="overloaded", message="Overloaded"), 503, "Overloaded"),
}


@pytest.mark.parametrize(("error", "status", "message"), ERRORS.values(), ids=ERRORS.keys())
def test_errors_are_one_message(error: ir.Error, status: int, message: str) -> None:
    for codec in (OLLAMA_CHAT, OLLAMA_GENERATE):
        got_status, body = codec.write_error(error)
        assert got_status == status
        assert json.loads(body) == {"error": message}


def test_created_at_follows_the_context() -> None:
    later = ir.Context(model="m", created=CREATED + 86_400 + 61)
    body = json.loads(OLLAMA_CHAT.write_response(answer(ir.Text(text="x")), later))
    assert body["created_at"] == "2023-11-15T22:14:21Z"
