"""The Gemini format on its own: usageMetadata as records count it, stream text, model lists."""

import json

from ingate_edge import errors
from ingate_providers import FORMATS, Reported, Usage

GEMINI = FORMATS["gemini"]


def _event(parts: list[dict[str, object]], usage: dict[str, int], finish: str | None = None) -> str:
    candidate: dict[str, object] = {"content": {"role": "model", "parts": parts}, "index": 0}
    if finish is not None:
        candidate["finishReason"] = finish
    return json.dumps(
        {"candidates": [candidate], "usageMetadata": usage, "modelVersion": "m", "responseId": "r"}
    )


def test_thinking_is_part_of_the_output_and_cached_prompt_tokens_of_the_input() -> None:
    usage = Usage()
    body = {
        "usageMetadata": {
            "promptTokenCount": 1200,
            "cachedContentTokenCount": 1024,
            "candidatesTokenCount": 12,
            "thoughtsTokenCount": 30,
            "totalTokenCount": 1242,
        },
        "candidates": [{"finishReason": "STOP"}],
    }
    assert GEMINI.read_usage(json.dumps(body), usage) == Reported.BOTH
    assert usage == Usage(input_tokens=1200, output_tokens=42, cache_read_tokens=1024, reasoning_tokens=30)


def test_a_stream_reports_its_input_early_and_its_output_with_the_finish() -> None:
    usage = Usage()
    first = _event([{"text": "Thinking", "thought": True}], {"promptTokenCount": 5, "thoughtsTokenCount": 4})
    middle = _event([{"text": "Hello"}], {"promptTokenCount": 5, "thoughtsTokenCount": 4})
    last = _event(
        [{"text": " you"}],
        {"promptTokenCount": 5, "candidatesTokenCount": 2, "thoughtsTokenCount": 4},
        "STOP",
    )
    assert GEMINI.read_usage(first, usage) == Reported.INPUT
    assert GEMINI.read_usage(middle, usage) == Reported.INPUT
    assert (usage.input_tokens, usage.output_tokens) == (5, 4)  # provisional: the thinking so far
    assert GEMINI.read_usage(last, usage) == Reported.BOTH
    assert usage == Usage(input_tokens=5, output_tokens=6, reasoning_tokens=4)


def test_every_usage_event_carries_the_marker() -> None:
    assert GEMINI.usage_marker in _event([{"text": "x"}], {"promptTokenCount": 1}).replace(" ", "")


def test_generated_text_counts_answers_thoughts_and_call_arguments() -> None:
    event = _event(
        [
            {"text": "hmm", "thought": True},
            {"text": "ok"},
            {"functionCall": {"name": "f", "args": {"city": "Paris"}}, "thoughtSignature": "c2ln"},
        ],
        {"promptTokenCount": 1},
    )
    assert GEMINI.generated_bytes(event) == len("hmm") + len("ok") + len('{"city": "Paris"}')
    assert GEMINI.generated_bytes("not json") == 0


def test_routes_join_the_model_list_as_gemini_lists_models() -> None:
    listing = json.dumps({"models": [{"name": "models/gemini-2.5-flash"}], "nextPageToken": ""}).encode()
    joined = json.loads(GEMINI.with_models(listing, ["smart", "gemini-2.5-flash"]))
    names = [model["name"] for model in joined["models"]]
    assert names == ["models/gemini-2.5-flash", "models/smart"]  # a listed model is not added twice
    assert "generateContent" in joined["models"][1]["supportedGenerationMethods"]


def test_error_body_is_googles_with_the_request_id_in_a_request_info_detail() -> None:
    body = json.loads(GEMINI.error_body(errors.AUTHENTICATION, "Invalid Ingate API key.", "req_9"))
    assert body == {
        "error": {
            "code": 401,
            "message": "Invalid Ingate API key.",
            "status": "UNAUTHENTICATED",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "invalid_api_key",
                    "domain": "ingate",
                },
                {"@type": "type.googleapis.com/google.rpc.RequestInfo", "requestId": "req_9"},
            ],
        }
    }
