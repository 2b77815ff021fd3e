"""Putting a target's model name where the request named a route: its body, or its path.

Gemini's paths name the model (/v1beta/models/smart:generateContent): there the path's
model is replaced and the body passed on untouched. Elsewhere the body is passed on byte
for byte but for its `"model":"<route>"` member, replaced in place; the result is checked
by decoding just its `model` field again. When that check fails (the pair also appears
nested before the top-level one, the name is written with escapes, keys are repeated) the
body is decoded and encoded whole instead.
"""

import re
from typing import Final

import msgspec

from ingate_edge.paths import ApiPath


class _Model(msgspec.Struct):
    model: str | None = None


_decode_model = msgspec.json.Decoder(_Model).decode
_encode = msgspec.json.Encoder().encode
# The first `"model":` member; when it is not the top-level one the check below finds out.
_MEMBER: Final = re.compile(rb'"model"\s*:\s*')


def json_string(text: str) -> bytes:
    """`text` as a JSON string, quotes included: what `with_model` looks for and puts in."""
    return _encode(text)


def with_model(body: bytes, route_json: bytes, model: str, model_json: bytes) -> bytes:
    """`body` (a JSON object whose top-level `model` is the route named by `route_json`, a JSON
    string) asking for `model` (`model_json`) instead."""
    member = _MEMBER.search(body)
    if member is not None and body.startswith(route_json, member.end()):
        at = member.end()
        candidate = body[:at] + model_json + body[at + len(route_json) :]
        if _decode_model(candidate).model == model:
            return candidate
    document = msgspec.json.decode(body)
    document["model"] = model
    return _encode(document)


def retarget(
    api: ApiPath, body: bytes, route_json: bytes, model: str, model_json: bytes
) -> tuple[bytes, str]:
    """The body, and what follows the path's prefix, of a request for route `route_json` (a
    JSON string) asking for `model` (`model_json`) instead."""
    if api.method_suffix:
        return body, api.tail_for(model)
    return with_model(body, route_json, model, model_json), ""
