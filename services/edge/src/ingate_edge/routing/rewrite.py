"""Putting a target's model name into a request body that named a route.

The body is otherwise passed on byte for byte: the `"model":"<route>"` member is replaced
in place, and the result is checked by decoding just its `model` field again. When that
check fails (the pair also appears nested before the top-level one, the name is written
with escapes, keys are repeated) the body is decoded and encoded whole instead.
"""

import re
from typing import Final

import msgspec


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
