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
_MEMBER: Final = re.compile(rb'"model"\s*:\s*')


def with_model(body: bytes, route_name: str, model: str) -> bytes:
    """`body` (a JSON object whose top-level `model` is `route_name`) asking for `model` instead."""
    old = _encode(route_name)
    new = _encode(model)
    for match in _MEMBER.finditer(body):
        start = match.end()
        if body.startswith(old, start):
            candidate = body[:start] + new + body[start + len(old) :]
            if _decode_model(candidate).model == model:
                return candidate
            break
    document = msgspec.json.decode(body)
    document["model"] = model
    return _encode(document)
