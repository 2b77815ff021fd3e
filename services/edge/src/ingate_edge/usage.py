"""Token usage as each provider reports it, read from answers and streams.

Only the usage fields are decoded (msgspec skips the rest unparsed). Input tokens
always include cached ones; `cached_tokens` says how many of them were cache reads.
"""

from typing import Literal

import msgspec

Format = Literal["openai", "anthropic", "ollama"]


class Usage(msgspec.Struct):
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0


class _Details(msgspec.Struct):
    cached_tokens: int | None = None


class _OpenAIUsage(msgspec.Struct):
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    prompt_tokens_details: _Details | None = None
    # The Responses API names them like Anthropic does.
    input_tokens: int | None = None
    output_tokens: int | None = None
    input_tokens_details: _Details | None = None


class _OpenAIBody(msgspec.Struct):
    usage: _OpenAIUsage | None = None
    response: "_OpenAIBody | None" = None  # Responses API stream events wrap the response


class _AnthropicUsage(msgspec.Struct):
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    cache_creation_input_tokens: int | None = None


class _AnthropicMessage(msgspec.Struct):
    usage: _AnthropicUsage | None = None


class _AnthropicBody(msgspec.Struct):
    usage: _AnthropicUsage | None = None
    message: _AnthropicMessage | None = None  # message_start wraps the message


class _OllamaBody(msgspec.Struct):
    prompt_eval_count: int | None = None
    eval_count: int | None = None


_decode_openai = msgspec.json.Decoder(_OpenAIBody).decode
_decode_anthropic = msgspec.json.Decoder(_AnthropicBody).decode
_decode_ollama = msgspec.json.Decoder(_OllamaBody).decode


def read_usage(fmt: Format, body: bytes | str, into: Usage) -> None:
    """Fold whatever usage `body` reports into `into`; bodies without usage change nothing."""
    try:
        if fmt == "openai":
            _fold_openai(_decode_openai(body), into)
        elif fmt == "anthropic":
            _fold_anthropic(_decode_anthropic(body), into)
        else:
            _fold_ollama(_decode_ollama(body), into)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return  # not JSON, or not shaped as usage: nothing to count


def read_stream_usage(fmt: Format, events: list[tuple[str, str]], into: Usage) -> None:
    """Fold the usage any of these stream events reports into `into`."""
    for _, data in events:
        if '"usage"' in data:  # cheap filter: most events carry no usage
            read_usage(fmt, data, into)


def _fold_openai(body: _OpenAIBody, into: Usage) -> None:
    usage = body.usage if body.usage is not None else (body.response.usage if body.response else None)
    if usage is None:
        return
    if usage.prompt_tokens is not None or usage.completion_tokens is not None:
        into.input_tokens = usage.prompt_tokens or 0
        into.output_tokens = usage.completion_tokens or 0
        details = usage.prompt_tokens_details
    else:
        into.input_tokens = usage.input_tokens or 0
        into.output_tokens = usage.output_tokens or 0
        details = usage.input_tokens_details
    into.cached_tokens = (details.cached_tokens or 0) if details else 0


def _fold_anthropic(body: _AnthropicBody, into: Usage) -> None:
    usage = body.usage if body.usage is not None else (body.message.usage if body.message else None)
    if usage is None:
        return
    # message_start carries the input side, message_delta the final output (and, lately, input).
    if usage.input_tokens is not None:
        cache_read = usage.cache_read_input_tokens or 0
        into.input_tokens = usage.input_tokens + cache_read + (usage.cache_creation_input_tokens or 0)
        into.cached_tokens = cache_read
    if usage.output_tokens is not None:
        into.output_tokens = usage.output_tokens


def _fold_ollama(body: _OllamaBody, into: Usage) -> None:
    if body.prompt_eval_count is not None:
        into.input_tokens = body.prompt_eval_count
    if body.eval_count is not None:
        into.output_tokens = body.eval_count
