"""How many tokens to reserve before forwarding: the prompt's size and the output cap asked for."""

from typing import Final

import msgspec

from ingate_edge.probe import RequestProbe

# When a request names no output cap: enough for a typical answer; what it really uses is
# settled afterwards either way.
DEFAULT_OUTPUT_TOKENS: Final = 1024
# A budget reserves a request's maximum cost; without a cap that is taken as this many output
# tokens (the documented contract), so that only longer answers can overrun a reservation.
BUDGET_OUTPUT_TOKENS: Final = 4096
# A token is about four bytes of English text; JSON syntax makes this a slight overestimate.
BYTES_PER_TOKEN: Final = 4
_NO_OUTPUT: Final = frozenset(
    {"embeddings", "embed", "messages.count_tokens", "models", "models.retrieve", "tags"}
    | {"models.countTokens", "models.list", "models.get"}  # Gemini's
)


class _OllamaOptions(msgspec.Struct):
    num_predict: int | None = None


class _GenerationConfig(msgspec.Struct, rename="camel"):
    max_output_tokens: msgspec.Raw = msgspec.Raw()


_decode_cap = msgspec.json.Decoder(int | None).decode
_decode_options = msgspec.json.Decoder(_OllamaOptions).decode
_decode_generation = msgspec.json.Decoder(_GenerationConfig).decode


def _cap(raw: msgspec.Raw) -> int | None:
    if not raw:
        return None
    try:
        value = _decode_cap(raw)
    except msgspec.MsgspecError:
        return None  # the provider will say what is wrong with it
    return value if value is not None and value > 0 else None


def output_cap(probe: RequestProbe) -> int | None:
    for raw in (probe.max_completion_tokens, probe.max_tokens, probe.max_output_tokens):
        cap = _cap(raw)
        if cap is not None:
            return cap
    if probe.generation_config:
        try:
            return _cap(_decode_generation(probe.generation_config).max_output_tokens)
        except msgspec.MsgspecError:
            return None
    if probe.options:
        try:
            predict = _decode_options(probe.options).num_predict
        except msgspec.MsgspecError:
            return None
        return predict if predict is not None and predict > 0 else None
    return None


def request_size(
    endpoint: str, body_bytes: int, probe: RequestProbe | None, default_output: int
) -> tuple[int, int]:
    """(prompt, output) tokens to reserve; `default_output` when the request sets no cap."""
    if body_bytes == 0:
        return 0, 0
    prompt = body_bytes // BYTES_PER_TOKEN + 1
    if endpoint in _NO_OUTPUT or probe is None:
        return prompt, 0
    cap = output_cap(probe)
    return prompt, cap if cap is not None else default_output


def reserve_tokens(endpoint: str, body_bytes: int, probe: RequestProbe | None) -> int:
    """For the token rate limits."""
    prompt, output = request_size(endpoint, body_bytes, probe, DEFAULT_OUTPUT_TOKENS)
    return prompt + output
