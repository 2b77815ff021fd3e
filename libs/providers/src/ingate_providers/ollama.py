"""Ollama's API: no key by default, NDJSON streams, counts on the final `"done":true` line.

Ollama also serves OpenAI's API under /v1, so a translated request for an Ollama provider
is sent as OpenAI's chat; and it streams /api/chat and /api/generate unless the request
says `"stream": false`.

/api/show, /api/ps and /api/version ask about Ollama itself. Front-ends call them before
anything else (show is how they learn a model's capabilities), so when the model is one
of Ingate's routes, or the provider chosen (`X-Ingate-Provider`) is not an Ollama, Ingate
answers them in Ollama's shape instead of refusing (`local_answer`): a show body with the
capabilities every translated provider has (completion, tools), no models loaded in
memory, and the Ollama API version whose /api/chat and /api/generate Ingate translates
(front-ends compare it to enable features; Ingate's own 0.x would look like an Ollama too
old for tools or thinking). With no provider named, /api/ps and /api/version go to the
built-in Ollama provider, as every Ollama path does.
"""

from typing import Any, Final

import msgspec

from ingate_providers.endpoint import GET, POST, Endpoint
from ingate_providers.errors import ErrorKind
from ingate_providers.format import ProviderFormat
from ingate_providers.usage import Reported, Usage

# The Ollama release whose /api/chat and /api/generate (think levels, tool_name) Ingate translates.
API_VERSION: Final = "0.12.0"
_EPOCH: Final = "1970-01-01T00:00:00Z"


class _Body(msgspec.Struct):
    prompt_eval_count: int | None = None
    eval_count: int | None = None


class _Function(msgspec.Struct):
    arguments: msgspec.Raw = msgspec.Raw(b"")  # an object, not a string as in OpenAI's chat


class _ToolCall(msgspec.Struct):
    function: _Function | None = None


class _Message(msgspec.Struct):
    content: str | None = None
    thinking: str | None = None
    tool_calls: list[_ToolCall] | None = None


class _Line(msgspec.Struct):
    message: _Message | None = None  # /api/chat
    response: str | None = None  # /api/generate
    thinking: str | None = None  # /api/generate with think


_decode = msgspec.json.Decoder(_Body).decode
_decode_line = msgspec.json.Decoder(_Line).decode
_encode = msgspec.json.Encoder().encode


class Ollama(ProviderFormat):
    __slots__ = ()

    name = "ollama"
    default_base_url = "http://localhost:11434"
    fallback_key_env = None
    base_path = ""
    endpoints = (
        Endpoint(
            name="generate",
            path="/api/generate",
            methods=POST,
            streams_by_default=True,
            shape="ollama-generate",
        ),
        Endpoint(name="chat", path="/api/chat", methods=POST, streams_by_default=True, shape="ollama-chat"),
        Endpoint(name="embed", path="/api/embed", methods=POST),
        Endpoint(name="embeddings", path="/api/embeddings", methods=POST),  # the legacy embed
        Endpoint(name="tags", path="/api/tags", methods=GET, lists_models=True),
        Endpoint(name="show", path="/api/show", methods=POST),
        Endpoint(name="ps", path="/api/ps", methods=GET),
        Endpoint(name="version", path="/api/version", methods=GET),
    )
    serves = frozenset({"ollama", "openai"})
    # Translated requests go to Ollama's OpenAI-compatible API (/v1/chat/completions).
    backend_shape = "openai-chat"
    framing = "ndjson"
    stream_content_type = b"application/x-ndjson"
    usage_marker = '"done":true'
    sdk_header = None
    path_prefixes = ("/api/",)
    model_id_member = "name"
    model_list_member = "models"

    def model_entry(self, name: str) -> dict[str, Any]:
        return {
            "name": name,
            "model": name,
            "modified_at": _EPOCH,
            "size": 0,
            "digest": "",
            "details": _DETAILS,
        }

    def local_answer(self, endpoint: Endpoint, model: str) -> bytes | None:
        if endpoint.name == "show":
            return _encode(_show(model))
        return _LOCAL_ANSWERS.get(endpoint.name)

    def credential_headers(self, api_key: str) -> tuple[tuple[str, str], ...]:
        # Ollama itself needs none; a key configured (ollama.com, a proxy in front) goes as Bearer.
        return (("authorization", f"Bearer {api_key}"),)

    def error_body(self, kind: ErrorKind, message: str, request_id: str) -> bytes:  # noqa: ARG002
        # Ollama's errors carry no type or code: the message is the whole error.
        return _encode({"error": message, "request_id": request_id})

    def _fold_usage(self, body: bytes | str, into: Usage) -> Reported:
        # Chat, generate and embed answers, and a stream's final line. A prompt Ollama had
        # cached is reported without prompt_eval_count: that side is then not reported.
        decoded = _decode(body)
        reported = Reported.NOTHING
        if decoded.prompt_eval_count is not None:
            into.input_tokens = decoded.prompt_eval_count
            reported |= Reported.INPUT
        if decoded.eval_count is not None:
            into.output_tokens = decoded.eval_count
            reported |= Reported.OUTPUT
        return reported

    def _generated_text(self, event: bytes | str) -> str:
        line = _decode_line(event)
        message = line.message
        said = ""
        if message is not None:
            said = (message.content or "") + (message.thinking or "")
            calls = message.tool_calls or ()
            said += "".join(bytes(call.function.arguments).decode() for call in calls if call.function)
        return said + (line.response or "") + (line.thinking or "")


# A model Ingate reaches elsewhere: no local file, so no format, family, size or quantization.
_DETAILS: Final = {
    "parent_model": "",
    "format": "",
    "family": "",
    "families": None,
    "parameter_size": "",
    "quantization_level": "",
}
_LOCAL_ANSWERS: Final = {
    "version": _encode({"version": API_VERSION}),
    "ps": _encode({"models": []}),  # nothing is loaded in this machine's memory
}


def _show(model: str) -> dict[str, Any]:
    """/api/show for a model no Ollama serves: what every translated provider can do."""
    return {
        "license": "",
        "modelfile": f"# {model} is answered through Ingate by another provider.\nFROM {model}\n",
        "parameters": "",
        "template": "",
        "details": _DETAILS,
        "model_info": {},
        "capabilities": ["completion", "tools"],
        "modified_at": _EPOCH,
    }


OLLAMA: Final = Ollama()
