"""The few fields the edge reads from a request body; everything else passes through unparsed.

The output caps are kept raw (no copy, no check) and read only for keys with token limits.
Where the path names the model (Gemini's), the probe's model is the path's.
"""

import msgspec

from ingate_edge import errors
from ingate_edge.errors import GatewayError
from ingate_edge.paths import ApiPath


class RequestProbe(msgspec.Struct):
    model: str | None = None
    stream: bool | None = None
    max_tokens: msgspec.Raw = msgspec.Raw()  # OpenAI chat (older name) and Anthropic
    max_completion_tokens: msgspec.Raw = msgspec.Raw()  # OpenAI chat
    max_output_tokens: msgspec.Raw = msgspec.Raw()  # OpenAI Responses
    options: msgspec.Raw = msgspec.Raw()  # Ollama: options.num_predict
    # Gemini: generationConfig.maxOutputTokens
    generation_config: msgspec.Raw = msgspec.field(default=msgspec.Raw(), name="generationConfig")


_decode_probe = msgspec.json.Decoder(RequestProbe).decode


def probe_request(
    route: ApiPath, id_tail: str, method: str, body: bytes, content_type: bytes | None
) -> RequestProbe | None:
    """What the edge reads of a POST's body (None for other methods), with the model the path
    names in place of the body's where the path names one (Gemini's)."""
    if method != "POST":
        return None
    probe = probe_body(body, content_type)
    path_model = route.path_model(id_tail)
    if path_model is not None:
        probe.model = path_model
    return probe


def probe_body(body: bytes, content_type: bytes | None) -> RequestProbe:
    if content_type is not None and b"json" not in content_type.lower():
        raise GatewayError(
            errors.INVALID_REQUEST,
            f"Expected Content-Type: application/json, got {content_type[:80].decode('latin-1')!r}.",
        )
    if not body.strip():
        raise GatewayError(errors.INVALID_REQUEST, "Request body is empty; expected a JSON object.")
    try:
        if not body.isascii():
            # msgspec skips fields it does not decode without checking them; the provider would not.
            body.decode("utf-8")
        return _decode_probe(body)
    except msgspec.ValidationError as exc:
        raise GatewayError(errors.INVALID_REQUEST, f"Invalid request body: {exc}.") from None
    except RecursionError:  # msgspec's depth bound is the interpreter's recursion limit
        raise GatewayError(errors.INVALID_REQUEST, "Request body is nested too deeply.") from None
    except UnicodeDecodeError:
        raise GatewayError(errors.INVALID_REQUEST, "Request body is not valid UTF-8.") from None
    except msgspec.DecodeError as exc:
        raise GatewayError(errors.INVALID_REQUEST, f"Request body is not valid JSON: {exc}.") from None
