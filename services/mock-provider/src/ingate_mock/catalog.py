"""The models each dialect lists: OpenAI and Anthropic ``/v1/models`` (list and
retrieve) and the data behind Ollama's ``/api/tags``."""

from __future__ import annotations

import hashlib
from typing import Any

from ingate_mock.faults import anthropic_error, openai_error
from ingate_mock.wire import Request

OPENAI_MODELS: tuple[tuple[str, int], ...] = (
    ("gpt-4.1", 1744316542),
    ("gpt-4.1-mini", 1744318173),
    ("gpt-4o", 1715367049),
    ("gpt-4o-mini", 1721172741),
    ("o4-mini", 1744225351),
    ("text-embedding-3-small", 1705948997),
    ("text-embedding-3-large", 1705953180),
)

ANTHROPIC_MODELS: tuple[tuple[str, str, str], ...] = (
    ("claude-opus-4-1-20250805", "Claude Opus 4.1", "2025-08-05T00:00:00Z"),
    ("claude-sonnet-4-20250514", "Claude Sonnet 4", "2025-05-22T00:00:00Z"),
    ("claude-3-5-haiku-20241022", "Claude Haiku 3.5", "2024-10-22T00:00:00Z"),
)

# name, family, parameter size, size in bytes
OLLAMA_MODELS: tuple[tuple[str, str, str, int], ...] = (
    ("llama3.2:latest", "llama", "3.2B", 2019393189),
    ("qwen2.5:0.5b", "qwen2", "494.03M", 397821319),
    ("nomic-embed-text:latest", "nomic-bert", "137M", 274302450),
)
_OLLAMA_MODIFIED_AT = "2025-01-15T10:30:00.123456789Z"


def openai_entry(model_id: str, created: int) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": created, "owned_by": "system"}


def openai_list() -> dict[str, Any]:
    return {"object": "list", "data": [openai_entry(m, c) for m, c in OPENAI_MODELS]}


def openai_find(model_id: str) -> dict[str, Any] | None:
    for name, created in OPENAI_MODELS:
        if name == model_id:
            return openai_entry(name, created)
    return None


def anthropic_entry(model_id: str, display: str, created_at: str) -> dict[str, Any]:
    return {"type": "model", "id": model_id, "display_name": display, "created_at": created_at}


def anthropic_list() -> dict[str, Any]:
    data = [anthropic_entry(*m) for m in ANTHROPIC_MODELS]
    return {
        "data": data,
        "has_more": False,
        "first_id": data[0]["id"],
        "last_id": data[-1]["id"],
    }


def anthropic_find(model_id: str) -> dict[str, Any] | None:
    for entry in ANTHROPIC_MODELS:
        if entry[0] == model_id:
            return anthropic_entry(*entry)
    return None


def ollama_tags() -> dict[str, Any]:
    models = []
    for name, family, params, size in OLLAMA_MODELS:
        models.append(
            {
                "name": name,
                "model": name,
                "modified_at": _OLLAMA_MODIFIED_AT,
                "size": size,
                "digest": hashlib.sha256(name.encode()).hexdigest(),
                "details": {
                    "parent_model": "",
                    "format": "gguf",
                    "family": family,
                    "families": [family],
                    "parameter_size": params,
                    "quantization_level": "Q4_K_M",
                },
            }
        )
    return {"models": models}


async def openai_models(req: Request) -> None:
    await req.json(openai_list())


async def openai_model(req: Request) -> None:
    model_id = req.path.removeprefix("/v1/models/")
    found = openai_find(model_id)
    if found is None:
        message = f"The model '{model_id}' does not exist"
        body = openai_error(message, "invalid_request_error", param="model", code="model_not_found")
        await req.json(body, 404)
        return
    await req.json(found)


async def anthropic_models(req: Request) -> None:
    await req.json(anthropic_list())


async def anthropic_model(req: Request) -> None:
    model_id = req.path.removeprefix("/v1/models/")
    found = anthropic_find(model_id)
    if found is None:
        message = f"model: {model_id}"
        await req.json(anthropic_error("not_found_error", message, req.request_id), 404)
        return
    await req.json(found)
