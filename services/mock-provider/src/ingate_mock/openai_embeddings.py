"""OpenAI ``POST /v1/embeddings`` with ``float`` and ``base64`` encodings."""

from __future__ import annotations

from typing import Any

import msgspec

from ingate_mock.faults import openai_error
from ingate_mock.vectors import DEFAULT_DIMENSIONS, embed, embed_base64
from ingate_mock.wire import Request

_MAX_DIMENSIONS = 4096
_INVALID_INPUT = (
    "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference."
)


class EmbeddingsRequest(msgspec.Struct):
    """The fields of an embeddings request the mock looks at."""

    model: str
    input: str | list[Any]
    encoding_format: str = "float"
    dimensions: int | None = None


_decode = msgspec.json.Decoder(EmbeddingsRequest).decode


def _inputs(raw: str | list[Any]) -> list[tuple[str, int]] | None:
    """Each input as (hashable text, token count); ``None`` when malformed."""
    if isinstance(raw, str):
        return [(raw, len(raw.split()))]
    if not raw:
        return None
    if all(isinstance(item, int) for item in raw):
        return [(" ".join(map(str, raw)), len(raw))]
    items: list[tuple[str, int]] = []
    for item in raw:
        if isinstance(item, str):
            items.append((item, len(item.split())))
        elif isinstance(item, list) and item and all(isinstance(t, int) for t in item):
            items.append((" ".join(map(str, item)), len(item)))
        else:
            return None
    return items


async def embeddings(req: Request) -> None:
    body = _decode(req.body)
    inputs = _inputs(body.input)
    if inputs is None:
        await req.json(openai_error(_INVALID_INPUT, "invalid_request_error"), 400)
        return
    dims = DEFAULT_DIMENSIONS if body.dimensions is None else body.dimensions
    if not 1 <= dims <= _MAX_DIMENSIONS:
        message = f"Invalid value for 'dimensions' = {dims}. Must be between 1 and 4096."
        await req.json(openai_error(message, "invalid_request_error", param="dimensions"), 400)
        return
    if body.encoding_format not in ("float", "base64"):
        message = f"'{body.encoding_format}' is not one of ['float', 'base64'] - 'encoding_format'"
        await req.json(openai_error(message, "invalid_request_error", param="encoding_format"), 400)
        return
    as_base64 = body.encoding_format == "base64"
    data = [
        {
            "object": "embedding",
            "index": index,
            "embedding": embed_base64(text, dims) if as_base64 else embed(text, dims),
        }
        for index, (text, _) in enumerate(inputs)
    ]
    tokens = sum(count for _, count in inputs)
    await req.json(
        {
            "object": "list",
            "data": data,
            "model": body.model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }
    )
